package sla

import (
	"fmt"
	"time"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Card colours (黄牌/红牌).
const (
	CardYellow = "yellow"
	CardRed    = "red"
)

// CardColour is the card a breach of a clock of kind k issues to the
// responsible department: red when the promise to the firm itself is broken
// (acceptance, resolution) or a department let its stage clock run out (a
// stage overrun counts even when the whole finishes on time, and in a
// countersign it is what deems the department to agree — DOMAIN.md gives that
// department a red card); yellow when a supporting promise overran (a liaison
// response, a verification, a rectification, a visit); none for a supplement
// clock, whose deadline binds the firm, not the department.
func CardColour(k Kind) string {
	switch k {
	case KindAcceptance, KindResolution, KindStage:
		return CardRed
	case KindSupplement:
		return ""
	}
	return CardYellow
}

// Card is a supervision card (效能监察) with its notice (督办单).
type Card struct {
	// ID is the card's UUID.
	ID string `json:"id"`
	// Park issues it; ClockID is the breached clock.
	Park    string `json:"park"`
	ClockID string `json:"clock_id"`
	// Department receives it.
	Department string `json:"department"`
	// Colour is CardYellow or CardRed.
	Colour string `json:"colour"`
	// NoticeNumber numbers the supervision notice, per park and year.
	NoticeNumber string `json:"notice_number"`
	// Reason says what was breached.
	Reason string `json:"reason"`
	// IssuedAt is when the breach fired.
	IssuedAt time.Time `json:"issued_at"`
}

// NoticeNumber formats the supervision notice number n of year, e.g.
// 督办〔2026〕0007号. Numbers run per park per year.
func NoticeNumber(prefix string, year, n int) string {
	return fmt.Sprintf("%s〔%d〕%04d号", prefix, year, n)
}

// cardReason says what a card is for, e.g. "resolution clock breached: deadline 2026-09-22 17:30".
func cardReason(c Clock, loc *time.Location) string {
	return fmt.Sprintf("%s clock breached: deadline %s", c.Kind, c.Deadline.In(loc).Format("2006-01-02 15:04"))
}

// Recipient is who a notification goes to: a role and the id within it.
type Recipient struct {
	// Role is one of the Recipient* roles.
	Role string `json:"role"`
	// ID identifies the person or unit within the role.
	ID string `json:"id"`
}

// String returns "role:id", the form escalation events list.
func (r Recipient) String() string { return r.Role + ":" + r.ID }

// Recipient roles of the escalation ladder.
const (
	RecipientHandler        = "handler"
	RecipientLiaison        = "liaison"
	RecipientDepartmentHead = "department_head"
	RecipientManager        = "manager"
)

// Recipients lists who rung level of c's escalation notifies: the handler and
// the liaison officer, then the department head, then the park manager.
func Recipients(c Clock, level int) []Recipient {
	var out []Recipient
	switch level {
	case 1:
		if c.HandlerID != "" {
			out = append(out, Recipient{RecipientHandler, c.HandlerID})
		}
		if c.OfficerID != "" {
			out = append(out, Recipient{RecipientLiaison, c.OfficerID})
		}
		if len(out) == 0 {
			out = append(out, Recipient{RecipientDepartmentHead, departmentOf(c)})
		}
	case 2:
		out = append(out, Recipient{RecipientDepartmentHead, departmentOf(c)})
	default:
		out = append(out, Recipient{RecipientManager, c.Park})
	}
	return out
}

// departmentOf names the department answerable for c; a clock without one
// (a liaison clock) belongs to the liaison office.
func departmentOf(c Clock) string {
	if c.Department != "" {
		return c.Department
	}
	return "liaison"
}

// Urgent reports whether an escalation of c goes out at once rather than in
// office hours: only an unanswered call of a firm (随叫随到) is urgent.
func Urgent(c Clock) bool { return c.Kind == KindLiaisonResponse }

// NextOfficeInstant returns t when it lies in office hours of a working day,
// else the start of the next office span: when a held notification goes out.
func NextOfficeInstant(cal *workday.Calendar, t time.Time) (time.Time, error) {
	f, err := cal.AddWorkingTime(t, time.Nanosecond)
	if err != nil {
		return time.Time{}, err
	}
	b, err := cal.AddWorkingTime(f, -time.Nanosecond)
	if err != nil {
		return time.Time{}, err
	}
	return b.UTC(), nil
}

// Notification is one message of the escalation ladder, held until
// DeliverAt.
type Notification struct {
	// Park and ClockID say what it is about; Level is the rung.
	Park    string
	ClockID string
	Level   int
	// Recipient is who receives it.
	Recipient Recipient
	// Urgent notifications go out at once; others at DeliverAt, the next
	// office-hours instant after CreatedAt.
	Urgent    bool
	CreatedAt time.Time
	DeliverAt time.Time
}

// notifications builds the messages of an escalated change.
func notifications(ch Change, cal *workday.Calendar) []Notification {
	urgent := Urgent(ch.Clock)
	deliver := ch.At
	if !urgent && cal != nil {
		if t, err := NextOfficeInstant(cal, ch.At); err == nil {
			deliver = t
		}
	}
	var out []Notification
	for _, r := range Recipients(ch.Clock, ch.Level) {
		out = append(out, Notification{Park: ch.Clock.Park, ClockID: ch.Clock.ID, Level: ch.Level,
			Recipient: r, Urgent: urgent, CreatedAt: ch.At, DeliverAt: deliver})
	}
	return out
}
