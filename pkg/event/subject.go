package event

import (
	"fmt"
	"strings"
)

// Subject returns the NATS subject for an event type in a park:
// "<service>.<aggregate>.<verb>.<park>", e.g. "intake.ticket.submitted.wangcheng".
// Consumers filter on "<type>.>" for every park or "<type>.<park>" for one.
func Subject(typ, park string) (string, error) {
	if err := validTokens(typ, 3); err != nil {
		return "", fmt.Errorf("event type %q: %w", typ, err)
	}
	if err := validTokens(park, 1); err != nil {
		return "", fmt.Errorf("park %q: %w", park, err)
	}
	return typ + "." + park, nil
}

// ValidPark reports whether park can be used as a subject token:
// lower-case letters, digits and '-', 1 to 63 characters.
func ValidPark(park string) bool {
	return validTokens(park, 1) == nil && len(park) <= 63
}

func validTokens(s string, n int) error {
	parts := strings.Split(s, ".")
	if len(parts) != n {
		return fmt.Errorf("want %d dot-separated tokens, got %d", n, len(parts))
	}
	for _, p := range parts {
		if p == "" {
			return fmt.Errorf("empty token")
		}
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return fmt.Errorf("token %q: only a-z, 0-9, '_' and '-' are allowed", p)
			}
		}
	}
	return nil
}

// Stream describes one JetStream stream every service declares at start-up.
type Stream struct {
	// Name is the stream name.
	Name string
	// Subjects are the subjects the stream captures.
	Subjects []string
}

// Stream names.
const (
	StreamIntake     = "INTAKE"
	StreamLiaison    = "LIAISON"
	StreamApproval   = "APPROVAL"
	StreamPolicy     = "POLICY"
	StreamSLA        = "SLA"
	StreamDeadLetter = "DEADLETTER"
)

// DeadLetterPrefix starts every dead-letter subject:
// "dlq.<consumer>.<original subject>".
const DeadLetterPrefix = "dlq"

// Streams lists every stream of the system, one per publishing service plus
// the dead-letter stream.
func Streams() []Stream {
	return []Stream{
		{Name: StreamIntake, Subjects: []string{"intake.>"}},
		{Name: StreamLiaison, Subjects: []string{"liaison.>"}},
		{Name: StreamApproval, Subjects: []string{"approval.>"}},
		{Name: StreamPolicy, Subjects: []string{"policy.>"}},
		{Name: StreamSLA, Subjects: []string{"sla.>"}},
		{Name: StreamDeadLetter, Subjects: []string{DeadLetterPrefix + ".>"}},
	}
}

// DeadLetterSubject is where consumer sends a message it gave up on.
func DeadLetterSubject(consumer, original string) string {
	return DeadLetterPrefix + "." + consumer + "." + original
}
