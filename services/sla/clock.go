package sla

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Kind is what a clock measures.
type Kind string

// The kinds of clock (DOMAIN.md, "SLA clocks").
const (
	KindAcceptance      Kind = "acceptance"       // 受理
	KindResolution      Kind = "resolution"       // 办结
	KindStage           Kind = "stage"            // 环节时限
	KindLiaisonResponse Kind = "liaison_response" // 随叫随到, in working hours
	KindVisitCadence    Kind = "visit_cadence"    // 走访
	KindVerification    Kind = "verification"     // 告知承诺 follow-up
	KindRectification   Kind = "rectification"    // 差评整改
	KindSupplement      Kind = "supplement"       // 容缺 materials
)

// Kinds lists every kind of clock.
func Kinds() []Kind {
	return []Kind{KindAcceptance, KindResolution, KindStage, KindLiaisonResponse,
		KindVisitCadence, KindVerification, KindRectification, KindSupplement}
}

// InHours reports whether the kind's budget is in working hours rather than
// working days.
func (k Kind) InHours() bool { return k == KindLiaisonResponse }

// State is the colour of a clock.
type State string

// The states of a clock.
const (
	StateGreen     State = "green"
	StateYellow    State = "yellow"
	StateRed       State = "red"
	StateStopped   State = "stopped"
	StateCancelled State = "cancelled"
)

// Open reports whether a clock in state s is still running (or paused).
func (s State) Open() bool { return s == StateGreen || s == StateYellow || s == StateRed }

// PauseReason says why a clock stopped counting.
type PauseReason string

// The reasons a clock pauses: a correction, or a wait the law excludes.
const (
	PauseCorrection   PauseReason = "correction"    // 补正
	PausePublicNotice PauseReason = "public_notice" // 公示
	PauseHearing      PauseReason = "hearing"       // 听证
	PauseTesting      PauseReason = "testing"       // 检验检测
	PauseExpertReview PauseReason = "expert_review" // 专家评审
)

// Pause is one interval during which a clock did not count. To is zero while
// the pause lasts.
type Pause struct {
	// Reason says why.
	Reason PauseReason `json:"reason"`
	// From and To bound the pause.
	From time.Time `json:"from"`
	To   time.Time `json:"to,omitzero"`
}

// MaxEscalation is the top rung of the escalation ladder: 1 handler and
// liaison, 2 department head, 3 park manager.
const MaxEscalation = 3

// ErrClosed is matched by operations on a stopped or cancelled clock.
var ErrClosed = fault.Conflict("clock is stopped or cancelled")

// Clock is one SLA clock. Its deadlines are derived from its facts (start,
// budget, extension, pauses) and the park's calendar, never stored as the
// only truth, so a calendar change recomputes them exactly.
type Clock struct {
	// ID is the clock's UUID.
	ID string `json:"id"`
	// Park is the tenant whose calendar the clock runs on.
	Park string `json:"park"`
	// Kind is what the clock measures.
	Kind Kind `json:"kind"`
	// SubjectID is what is timed: the ticket (acceptance, rectification),
	// the workflow (resolution, supplement, verification), the stage, the
	// liaison request or the firm (visit cadence).
	SubjectID string `json:"subject_id"`
	// WorkflowID is the approval workflow, when there is one.
	WorkflowID string `json:"workflow_id,omitempty"`
	// TicketID is the ticket whose timeline shows the clock.
	TicketID string `json:"ticket_id,omitempty"`
	// EnterpriseID is the firm served.
	EnterpriseID string `json:"enterprise_id,omitempty"`
	// Department is the department answerable for the clock.
	Department string `json:"department,omitempty"`
	// OfficerID is the firm's liaison officer.
	OfficerID string `json:"officer_id,omitempty"`
	// HandlerID is the reviewer handling the workflow.
	HandlerID string `json:"handler_id,omitempty"`
	// MatterCode is the matter (or bundle) served.
	MatterCode string `json:"matter_code,omitempty"`

	// StartedAt is when the clock started (or was last reset).
	StartedAt time.Time `json:"started_at"`
	// Budget is the commitment: working days, or working hours when
	// Kind.InHours.
	Budget int `json:"budget"`
	// LegalBudget is the statutory limit in working days; 0 when none.
	LegalBudget int `json:"legal_budget,omitempty"`
	// WarnDays is the matter's warning threshold in working days; 0 means 1.
	WarnDays int `json:"warn_days,omitempty"`
	// ExtensionDays are the working days granted by an extension.
	ExtensionDays int `json:"extension_days,omitempty"`
	// VerificationDays starts a verification clock when an approved
	// resolution stops (告知承诺制).
	VerificationDays int     `json:"-"`
	Pauses           []Pause `json:"pauses"`

	// State is the colour, or stopped / cancelled.
	State State `json:"state"`
	// Deadline is the commitment's deadline, LegalDeadline the legal
	// limit's, WarnAt when the clock turns yellow; zero while the park's
	// calendar cannot place them.
	Deadline      time.Time `json:"deadline,omitzero"`
	LegalDeadline time.Time `json:"legal_deadline,omitzero"`
	WarnAt        time.Time `json:"warn_at,omitzero"`
	// NextFireAt is when the scheduler next looks at the clock; zero when
	// paused, closed or at the top of the ladder.
	NextFireAt time.Time `json:"-"`
	// EscalationLevel is the rung reached, 0 before the breach.
	EscalationLevel int `json:"escalation_level"`
	// WarnedAt, BreachedAt, StoppedAt and CancelledAt record the transitions.
	WarnedAt    time.Time `json:"warned_at,omitzero"`
	BreachedAt  time.Time `json:"breached_at,omitzero"`
	StoppedAt   time.Time `json:"stopped_at,omitzero"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// StoppedLate says the clock stopped after its deadline; StoppedEarly
	// that it stopped at least one working day before using its budget.
	StoppedLate  bool `json:"stopped_late,omitempty"`
	StoppedEarly bool `json:"stopped_early,omitempty"`
	// UsedDays is the counted office time at stop, in working days.
	UsedDays float64 `json:"used_working_days,omitempty"`
	// Version counts the clock's events; each event carries the next one.
	Version int64 `json:"version"`
}

// Paused reports whether the clock is in an open pause.
func (c *Clock) Paused() bool {
	return len(c.Pauses) > 0 && c.Pauses[len(c.Pauses)-1].To.IsZero()
}

// Corrected reports whether the clock was ever paused for a correction.
func (c *Clock) Corrected() bool {
	for _, p := range c.Pauses {
		if p.Reason == PauseCorrection {
			return true
		}
	}
	return false
}

// budget is the commitment in office time, extension included.
func (c *Clock) budget(cal *workday.Calendar) time.Duration {
	if c.Kind.InHours() {
		return time.Duration(c.Budget) * time.Hour
	}
	return time.Duration(c.Budget+c.ExtensionDays) * cal.WorkingDay()
}

// countStart is the instant the budget starts to run: the start itself for a
// budget in hours, else the first office instant of the first working day
// after the start's date ("counting starts the next working day").
func (c *Clock) countStart(cal *workday.Calendar) (time.Time, error) {
	if c.Kind.InHours() {
		return c.StartedAt, nil
	}
	end, err := cal.AddWorkingDays(c.StartedAt, 1)
	if err != nil {
		return time.Time{}, err
	}
	return cal.AddWorkingTime(end, -cal.WorkingDay())
}

// instantAt returns when the clock will have counted d of office time: d
// after the count start, pushed forward by every closed pause that began
// before that instant. An open pause is ignored: the result is then the
// instant as of the pause's start.
func (c *Clock) instantAt(cal *workday.Calendar, start time.Time, d time.Duration) (time.Time, error) {
	t, err := cal.AddWorkingTime(start, d)
	if err != nil {
		return time.Time{}, err
	}
	for _, p := range c.Pauses {
		from := p.From
		if from.Before(start) {
			from = start
		}
		if p.To.IsZero() || !p.To.After(from) || !from.Before(t) {
			continue
		}
		paused, err := cal.WorkingTimeBetween(from, p.To)
		if err != nil {
			return time.Time{}, err
		}
		if t, err = cal.AddWorkingTime(t, paused); err != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}

// Derive recomputes the deadline, the legal deadline and the warning instant
// from the clock's facts and cal. On error (a year the calendar lacks) they
// are left zero: the clock has no known deadline until the calendar grows.
func (c *Clock) Derive(cal *workday.Calendar) error {
	c.Deadline, c.LegalDeadline, c.WarnAt = time.Time{}, time.Time{}, time.Time{}
	if cal == nil {
		return errors.New("derive: no calendar")
	}
	start, err := c.countStart(cal)
	if err != nil {
		return fmt.Errorf("derive clock %s: %w", c.ID, err)
	}
	b := c.budget(cal)
	deadline, err := c.instantAt(cal, start, b)
	if err != nil {
		return fmt.Errorf("derive clock %s deadline: %w", c.ID, err)
	}
	warn, err := c.instantAt(cal, start, c.warnOffset(cal, b))
	if err != nil {
		return fmt.Errorf("derive clock %s warning: %w", c.ID, err)
	}
	var legal time.Time
	if c.LegalBudget > 0 && !c.Kind.InHours() {
		if legal, err = c.instantAt(cal, start, time.Duration(c.LegalBudget)*cal.WorkingDay()); err != nil {
			return fmt.Errorf("derive clock %s legal deadline: %w", c.ID, err)
		}
	}
	c.Deadline, c.LegalDeadline, c.WarnAt = deadline, legal, warn
	return nil
}

// WarnFraction is the share of the budget after which a clock turns yellow
// whatever its threshold in days.
const WarnFraction = 0.8

// warnOffset is the counted office time at which the clock turns yellow:
// WarnFraction of the budget, or earlier when the remaining time reaches the
// warn threshold in days. The threshold in days applies only to budgets in
// days longer than it; otherwise it would be yellow from the start.
func (c *Clock) warnOffset(cal *workday.Calendar, b time.Duration) time.Duration {
	w := time.Duration(math.Round(float64(b)*WarnFraction/float64(time.Second))) * time.Second
	if c.Kind.InHours() {
		return w
	}
	days := c.WarnDays
	if days <= 0 {
		days = 1
	}
	if days < c.Budget+c.ExtensionDays {
		w = min(w, b-time.Duration(days)*cal.WorkingDay())
	}
	return w
}

// used returns the office time counted between the count start and at,
// paused time excluded.
func (c *Clock) used(cal *workday.Calendar, at time.Time) (time.Duration, error) {
	start, err := c.countStart(cal)
	if err != nil || !at.After(start) {
		return 0, err
	}
	total, err := cal.WorkingTimeBetween(start, at)
	if err != nil {
		return 0, err
	}
	for _, p := range c.Pauses {
		from, to := p.From, p.To
		if from.Before(start) {
			from = start
		}
		if to.IsZero() || to.After(at) {
			to = at
		}
		if !to.After(from) {
			continue
		}
		d, err := cal.WorkingTimeBetween(from, to)
		if err != nil {
			return 0, err
		}
		total -= d
	}
	return max(total, 0), nil
}
