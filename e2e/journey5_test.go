package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// journeyRectification is 差评整改: a second firm's business licence is
// approved, the firm rates it 非常不满意, which opens a rectification ticket
// for the market department with a 15-working-day clock; a follow-up call
// (回访) is recorded with the fix, which closes it in time.
func (s *suite) journeyRectification(t *testing.T) {
	firm, window, market := s.as(s.firm(firmB)), s.as(s.staff("approval-office")), s.as(s.staff("market"))

	s.setClock(t, at(time.September, 17, 9, 30)) // Thursday
	var mats []materialInput
	for _, code := range []string{"application-form", "articles", "id-documents", "premises-proof"} {
		mats = append(mats, firm.upload(t, code))
	}
	var tk ticket
	firm.post(t, "/v1/tickets", map[string]any{"matter_code": "business-license", "materials": mats},
		"Idempotency-Key", "e2e-licence-b").into(t, 201, &tk)
	for _, acc := range window.tasksOf(t, tk.ID, "acceptance", 1) {
		window.decide(t, acc.ID, map[string]any{"action": "accept"})
	}
	for _, rv := range market.tasksOf(t, tk.ID, "review", 1) {
		market.decide(t, rv.ID, map[string]any{"action": "approve"})
	}
	tk = firm.ticketWhen(t, tk.ID, "approved", func(x ticket) bool { return x.Status == "completed" })

	// A bad rating needs a comment; with one it opens a rectification.
	firm.post(t, "/v1/tickets/"+tk.ID+"/rating", map[string]any{"score": 1}).want(t, 400)
	firm.post(t, "/v1/tickets/"+tk.ID+"/rating", map[string]any{"score": 1,
		"comment": "窗口要求重复提交材料，多跑了两趟"}).into(t, 200, &tk)
	if tk.Rating == nil || tk.Rating.Level != "非常不满意" || tk.Rating.RectificationTicketID == "" {
		t.Fatalf("bad rating: %+v", tk.Rating)
	}
	rectID := tk.Rating.RectificationTicketID
	rated := s.events.one(t, "intake.ticket.rated", "the bad rating", func(e seen) bool { return e.AggregateID == tk.ID })
	if p := rated.Payload.(*intakepb.TicketRated); p.GetScore() != 1 || p.GetRectificationTicketId() != rectID || p.GetDepartment() != "market" {
		t.Errorf("intake.ticket.rated: %v", p)
	}

	// Fifteen working days from Thursday 09-17: counting from Friday, the
	// make-up Sunday 09-20 and Saturday 10-10 count, Mid-Autumn (09-25..27)
	// and National Day (10-01..07) do not: due Wednesday 10-14 17:30.
	due := at(time.October, 14, 17, 30)
	started := s.events.one(t, "sla.clock.started", "the rectification clock", func(e seen) bool {
		c := e.Payload.(*slapb.ClockEvent).GetClock()
		return c.GetKind() == "rectification" && c.GetTicketId() == rectID
	})
	if c := started.Payload.(*slapb.ClockEvent).GetClock(); !c.GetDeadline().AsTime().Equal(due) || c.GetDepartment() != "market" ||
		c.GetCommitmentWorkingDays() != 15 {
		t.Errorf("rectification clock: due %s, department %s, %d working days (want %s, market, 15)",
			local(c.GetDeadline().AsTime()), c.GetDepartment(), c.GetCommitmentWorkingDays(), local(due))
	}
	rect := firm.ticketWhen(t, rectID, "the rectification's deadline", func(x ticket) bool {
		return x.SLA.Deadline != nil && x.SLA.State == "green"
	})
	if rect.Kind != "rectification" || rect.Status != "submitted" || rect.RelatedTicketID != tk.ID ||
		len(rect.Departments) != 1 || rect.Departments[0] != "market" || !rect.SLA.Deadline.Equal(due) {
		t.Errorf("rectification ticket: %+v", rect)
	}

	// Only the department (or the manager) records the fix, and only with the follow-up.
	s.as(s.staff("tax")).post(t, "/v1/tickets/"+rectID+"/resolution", map[string]string{"summary": "x", "follow_up": "x"}).want(t, 403)
	firm.post(t, "/v1/tickets/"+rectID+"/resolution", map[string]string{"summary": "x", "follow_up": "x"}).want(t, 403)
	market.post(t, "/v1/tickets/"+rectID+"/resolution", map[string]string{"summary": "已整改"}).want(t, 400)

	s.setClock(t, at(time.September, 17, 16, 0))
	market.post(t, "/v1/tickets/"+rectID+"/resolution", map[string]string{
		"summary":   "约谈窗口人员，推行首问负责制和一次性告知清单",
		"follow_up": "9月17日电话回访企业负责人，企业认可整改措施",
	}).into(t, 200, &rect)
	if rect.Status != "completed" || rect.Outcome != "rectified" || !strings.Contains(rect.Resolution, "回访") {
		t.Errorf("rectified: %s %s %q", rect.Status, rect.Outcome, rect.Resolution)
	}
	closed := s.events.one(t, "intake.ticket.closed", "the rectification closes", func(e seen) bool { return e.AggregateID == rectID })
	if p := closed.Payload.(*intakepb.TicketClosed); p.GetOutcome() != "rectified" || p.GetRelatedTicketId() != tk.ID ||
		p.GetKind() != intakepb.TicketKind_TICKET_KIND_RECTIFICATION {
		t.Errorf("intake.ticket.closed: %v", p)
	}
	stopped := s.events.one(t, "sla.clock.stopped", "the rectification clock stops", func(e seen) bool {
		return e.AggregateID == started.AggregateID
	})
	if stopped.Payload.(*slapb.ClockEvent).GetClock().GetStoppedLate() {
		t.Error("the rectification clock stopped late")
	}
	firm.ticketWhen(t, rectID, "stopped in time", func(x ticket) bool { return x.SLA.State == "stopped" })
	s.rated = tk.ID
}
