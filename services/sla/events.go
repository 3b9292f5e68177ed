package sla

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// What sla publishes: every change of a clock as sla.clock.<verb> with the
// clock's snapshot (aggregate "clock", one version per event), and every
// supervision card as sla.card.issued (aggregate "card").
//
// What sla consumes is in engine.go.

// origin is what an outgoing event inherits from the cause of the change.
type origin struct {
	traceparent string
	causation   string
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

var statePB = map[State]slapb.ClockState{
	StateGreen:     slapb.ClockState_CLOCK_STATE_GREEN,
	StateYellow:    slapb.ClockState_CLOCK_STATE_YELLOW,
	StateRed:       slapb.ClockState_CLOCK_STATE_RED,
	StateStopped:   slapb.ClockState_CLOCK_STATE_STOPPED,
	StateCancelled: slapb.ClockState_CLOCK_STATE_CANCELLED,
}

// ClockPB converts a clock to its protobuf snapshot.
func ClockPB(c Clock) *slapb.Clock {
	pb := &slapb.Clock{
		ClockId:       c.ID,
		Kind:          string(c.Kind),
		SubjectId:     c.SubjectID,
		TicketId:      c.TicketID,
		Department:    c.Department,
		OfficerId:     c.OfficerID,
		MatterCode:    c.MatterCode,
		State:         statePB[c.State],
		Paused:        c.Paused(),
		StartedAt:     ts(c.StartedAt),
		Deadline:      ts(c.Deadline),
		LegalDeadline: ts(c.LegalDeadline),
		WarnAt:        ts(c.WarnAt),
		StoppedLate:   c.StoppedLate,
	}
	if !c.Kind.InHours() {
		pb.CommitmentWorkingDays = int32(c.Budget + c.ExtensionDays)
		pb.LegalWorkingDays = int32(c.LegalBudget)
	}
	return pb
}

// changeEvent builds the sla.clock.* event of ch, occurring at now.
func changeEvent(ch Change, now time.Time, o origin) (event.Event, error) {
	var payload proto.Message
	switch ch.Type {
	case event.ClockDeadlineChanged:
		payload = &slapb.DeadlineChanged{Clock: ClockPB(ch.Clock), PreviousDeadline: ts(ch.PreviousDeadline), Cause: ch.Cause}
	case event.ClockEscalated:
		rs := Recipients(ch.Clock, ch.Level)
		notify := make([]string, len(rs))
		for i, r := range rs {
			notify[i] = r.String()
		}
		payload = &slapb.Escalated{Clock: ClockPB(ch.Clock), Level: int32(ch.Level), Notify: notify, Urgent: Urgent(ch.Clock)}
	default:
		payload = &slapb.ClockEvent{Clock: ClockPB(ch.Clock), Reason: ch.Reason}
	}
	ev, err := event.New(ch.Type, ch.Clock.Park, event.Aggregate{Type: "clock", ID: ch.Clock.ID, Version: ch.Clock.Version}, now, payload)
	if err != nil {
		return event.Event{}, fmt.Errorf("build %s event of clock %s: %w", ch.Type, ch.Clock.ID, err)
	}
	ev.Traceparent, ev.CausationID = o.traceparent, o.causation
	return ev, nil
}

// changeEvents builds the events of several changes.
func changeEvents(changes []Change, now time.Time, o origin) ([]event.Event, error) {
	out := make([]event.Event, 0, len(changes))
	for _, ch := range changes {
		ev, err := changeEvent(ch, now, o)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// cardEvent builds sla.card.issued for c.
func cardEvent(c Card, now time.Time, o origin) (event.Event, error) {
	ev, err := event.New(event.CardIssued, c.Park, event.Aggregate{Type: "card", ID: c.ID, Version: 1}, now,
		&slapb.CardIssued{CardId: c.ID, ClockId: c.ClockID, Department: c.Department, Colour: c.Colour,
			NoticeNumber: c.NoticeNumber, Reason: c.Reason})
	if err != nil {
		return event.Event{}, fmt.Errorf("build card event %s: %w", c.ID, err)
	}
	ev.Traceparent, ev.CausationID = o.traceparent, o.causation
	return ev, nil
}
