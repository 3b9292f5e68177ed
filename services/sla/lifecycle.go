package sla

import (
	"slices"
	"time"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Change is one event-worthy change of a clock: its event type and the
// clock as it stood right after the change, version included.
type Change struct {
	// Type is the sla.clock.* event type.
	Type string
	// At is when the change happened.
	At time.Time
	// Reason explains a pause, a stop or a cancel.
	Reason string
	// Level is the escalation rung of an escalated change.
	Level int
	// PreviousDeadline and Cause describe a deadline_changed change.
	PreviousDeadline time.Time
	Cause            string
	// Clock is the snapshot after the change.
	Clock Clock
}

// Causes of a deadline change.
const (
	CauseExtension = "extension"
	CauseCalendar  = "calendar"
)

func (c *Clock) record(typ string, at time.Time, reason string) Change {
	c.Version++
	snap := *c
	snap.Pauses = slices.Clone(c.Pauses)
	return Change{Type: typ, At: at, Reason: reason, Clock: snap}
}

// Start derives the new clock's deadlines and schedules its first firing.
// A calendar that lacks a needed year leaves the deadlines unknown (and the
// clock unscheduled) until the park's calendar changes; the error is
// returned for logging alongside the started change.
func (c *Clock) Start(cal *workday.Calendar) (Change, error) {
	c.State = StateGreen
	err := c.Derive(cal)
	c.schedule(cal)
	return c.record(event.ClockStarted, c.StartedAt, ""), err
}

// Pause stops the clock counting from at. Pausing a paused clock changes
// nothing; a closed clock cannot pause.
func (c *Clock) Pause(at time.Time, reason PauseReason) ([]Change, error) {
	if !c.State.Open() {
		return nil, ErrClosed
	}
	if c.Paused() {
		return nil, nil
	}
	c.Pauses = append(c.Pauses, Pause{Reason: reason, From: at})
	c.NextFireAt = time.Time{}
	return []Change{c.record(event.ClockPaused, at, string(reason))}, nil
}

// Resume closes the open pause at at (never before it began) and moves the
// deadlines by the paused office time. Resuming a running clock changes
// nothing.
func (c *Clock) Resume(at time.Time, cal *workday.Calendar) ([]Change, error) {
	if !c.State.Open() {
		return nil, ErrClosed
	}
	if !c.Paused() {
		return nil, nil
	}
	p := &c.Pauses[len(c.Pauses)-1]
	p.To = maxTime(at, p.From)
	err := c.Derive(cal)
	c.schedule(cal)
	return []Change{c.record(event.ClockResumed, at, string(p.Reason))}, err
}

// Stop ends the clock at at: on time when at is not after the deadline.
func (c *Clock) Stop(at time.Time, reason string, cal *workday.Calendar) ([]Change, error) {
	if !c.State.Open() {
		return nil, nil
	}
	if c.Paused() {
		c.Pauses[len(c.Pauses)-1].To = maxTime(at, c.Pauses[len(c.Pauses)-1].From)
	}
	c.State, c.StoppedAt, c.NextFireAt = StateStopped, at, time.Time{}
	c.StoppedLate = !c.Deadline.IsZero() && at.After(c.Deadline)
	var err error
	if cal != nil {
		var used time.Duration
		if used, err = c.used(cal, at); err == nil {
			c.UsedDays = used.Hours() / cal.WorkingDay().Hours()
			if !c.Kind.InHours() {
				c.StoppedEarly = used <= c.budget(cal)-cal.WorkingDay()
			}
		}
	}
	return []Change{c.record(event.ClockStopped, at, reason)}, err
}

// Cancel ends the clock without counting it, e.g. on withdrawal.
func (c *Clock) Cancel(at time.Time, reason string) []Change {
	if !c.State.Open() {
		return nil
	}
	if c.Paused() {
		c.Pauses[len(c.Pauses)-1].To = maxTime(at, c.Pauses[len(c.Pauses)-1].From)
	}
	c.State, c.CancelledAt, c.NextFireAt = StateCancelled, at, time.Time{}
	return []Change{c.record(event.ClockCancelled, at, reason)}
}

// Reset restarts the clock from at, with a new budget when budget > 0: the
// visit cadence restarts from each visit.
func (c *Clock) Reset(at time.Time, budget int, cal *workday.Calendar) ([]Change, error) {
	if !c.State.Open() {
		return nil, ErrClosed
	}
	if budget > 0 {
		c.Budget = budget
	}
	c.StartedAt, c.Pauses, c.ExtensionDays = at, nil, 0
	c.State, c.EscalationLevel = StateGreen, 0
	c.WarnedAt, c.BreachedAt = time.Time{}, time.Time{}
	err := c.Derive(cal)
	c.schedule(cal)
	return []Change{c.record(event.ClockReset, at, "")}, err
}

// Extend adds granted working days to the commitment and moves the deadline.
func (c *Clock) Extend(days int, at time.Time, cal *workday.Calendar) ([]Change, error) {
	if !c.State.Open() {
		return nil, ErrClosed
	}
	prev := c.Deadline
	c.ExtensionDays += days
	err := c.Derive(cal)
	c.schedule(cal)
	ch := c.record(event.ClockDeadlineChanged, at, "")
	ch.PreviousDeadline, ch.Cause = prev, CauseExtension
	return []Change{ch}, err
}

// Recompute derives the clock again over a changed calendar. It reports
// whether anything stored changed, and a deadline_changed change when the
// deadline moved. The state never goes back: a warning or breach that
// happened stays.
func (c *Clock) Recompute(at time.Time, cal *workday.Calendar) (bool, []Change, error) {
	if !c.State.Open() {
		return false, nil, nil
	}
	prev, prevWarn, prevLegal, prevNext := c.Deadline, c.WarnAt, c.LegalDeadline, c.NextFireAt
	err := c.Derive(cal)
	c.schedule(cal)
	if c.Deadline.Equal(prev) {
		dirty := !c.WarnAt.Equal(prevWarn) || !c.LegalDeadline.Equal(prevLegal) || !c.NextFireAt.Equal(prevNext)
		return dirty, nil, err
	}
	ch := c.record(event.ClockDeadlineChanged, at, "")
	ch.PreviousDeadline, ch.Cause = prev, CauseCalendar
	return true, []Change{ch}, err
}

// escalationDelay is the office time after the deadline at which rung level
// is reached: at once, then 1 and 3 working days.
func escalationDelay(level int, cal *workday.Calendar) time.Duration {
	switch level {
	case 2:
		return cal.WorkingDay()
	case 3:
		return 3 * cal.WorkingDay()
	}
	return 0
}

// schedule sets NextFireAt from the state: the warning instant while green,
// the deadline while yellow, the next escalation rung while red; nothing
// while paused, closed or without a known deadline.
func (c *Clock) schedule(cal *workday.Calendar) {
	c.NextFireAt = time.Time{}
	if !c.State.Open() || c.Paused() || c.Deadline.IsZero() {
		return
	}
	switch c.State {
	case StateGreen:
		c.NextFireAt = c.WarnAt
	case StateYellow:
		c.NextFireAt = c.Deadline
	case StateRed:
		if c.EscalationLevel >= MaxEscalation || cal == nil {
			return
		}
		t, err := cal.AddWorkingTime(c.Deadline, escalationDelay(c.EscalationLevel+1, cal))
		if err == nil {
			c.NextFireAt = t.UTC()
		}
	}
}

// Fire applies every transition due at now, in order: green → yellow
// (warned), yellow → red (breached, with escalation rung 1), then the later
// rungs. A scheduler that ran late fires the missed transitions together,
// still each once and in order.
func (c *Clock) Fire(now time.Time, cal *workday.Calendar) []Change {
	var out []Change
	for !c.NextFireAt.IsZero() && !c.NextFireAt.After(now) {
		switch c.State {
		case StateGreen:
			c.State, c.WarnedAt = StateYellow, now
			c.schedule(cal)
			out = append(out, c.record(event.ClockWarned, now, ""))
		case StateYellow:
			c.State, c.BreachedAt, c.EscalationLevel = StateRed, now, 1
			c.schedule(cal)
			out = append(out, c.record(event.ClockBreached, now, ""))
			ch := c.record(event.ClockEscalated, now, "")
			ch.Level = 1
			out = append(out, ch)
		case StateRed:
			c.EscalationLevel++
			c.schedule(cal)
			ch := c.record(event.ClockEscalated, now, "")
			ch.Level = c.EscalationLevel
			out = append(out, ch)
		default:
			c.NextFireAt = time.Time{}
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
