package sla

import (
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// ExtensionState is where an extension request stands.
type ExtensionState string

// The states of an extension.
const (
	ExtensionPending ExtensionState = "pending"
	ExtensionGranted ExtensionState = "granted"
	ExtensionRefused ExtensionState = "refused"
)

// MaxExtensionDays bounds the working days one extension may ask for.
const MaxExtensionDays = 60

// MaxReasonLength bounds a reason, in characters.
const MaxReasonLength = 500

// Extension is a request for more working days on a clock (延期): asked for
// once per clock, with a reason, and granted or refused by a park manager.
type Extension struct {
	// ID is the extension's UUID; ClockID the clock it extends.
	ID      string `json:"id"`
	ClockID string `json:"clock_id"`
	// Park is the clock's park, whose managers decide.
	Park string `json:"park"`
	// WorkingDays and Reason are what was asked for.
	WorkingDays int    `json:"working_days"`
	Reason      string `json:"reason"`
	// RequestedBy is the staff member (or approval's handler) who asked.
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	// State is pending until a manager decides.
	State ExtensionState `json:"state"`
	// DecidedBy, DecidedAt and DecisionReason record the decision.
	DecidedBy      string    `json:"decided_by,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	DecisionReason string    `json:"decision_reason,omitempty"`
	// PreviousDeadline and NewDeadline record what a grant moved.
	PreviousDeadline time.Time `json:"previous_deadline,omitzero"`
	NewDeadline      time.Time `json:"new_deadline,omitzero"`
}

// CheckRequest reports why x cannot be asked for on c: the clock must be
// running and not yet breached (an extension moves a deadline that has not
// passed), and the days and reason must be sensible.
func (x Extension) CheckRequest(c Clock) error {
	var v fault.Violations
	if x.WorkingDays < 1 || x.WorkingDays > MaxExtensionDays {
		v.Addf("working_days", "must be between 1 and %d", MaxExtensionDays)
	}
	if x.Reason == "" {
		v.Add("reason", "required")
	} else if len([]rune(x.Reason)) > MaxReasonLength {
		v.Addf("reason", "at most %d characters", MaxReasonLength)
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return err
	}
	switch {
	case !c.State.Open():
		return ErrClosed
	case c.State == StateRed:
		return fault.Conflict("the clock is already breached; an extension must be granted before the deadline")
	}
	return nil
}

// Decide records a manager's decision on a pending extension. A grant on a
// clock already breached is refused: red is final.
func (x *Extension) Decide(grant bool, by, reason string, at time.Time, c Clock) error {
	if x.State != ExtensionPending {
		return fault.Conflict("the extension was already " + string(x.State))
	}
	if !grant && reason == "" {
		return fault.Invalid("reason", "required when refusing")
	}
	if len([]rune(reason)) > MaxReasonLength {
		return fault.Invalidf("reason", "at most %d characters", MaxReasonLength)
	}
	if grant {
		if err := (Extension{WorkingDays: x.WorkingDays, Reason: x.Reason}).CheckRequest(c); err != nil {
			return err
		}
		x.State = ExtensionGranted
	} else {
		x.State = ExtensionRefused
	}
	x.DecidedBy, x.DecidedAt, x.DecisionReason = by, at, reason
	return nil
}
