package e2e

import (
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// managerA is the seeded manager of the park (seeds/officers.yaml), who holds
// a request escalated to the top.
const managerA = "0191c0de-0000-7000-8000-0000000000f1"

// journeyOnCall is 随叫随到: the demo firm's demand goes unacknowledged for
// the response hours (4 working hours) and escalates to its backup officer,
// then to the park's manager; its officer signs for it, resolves it,
// records a promise and keeps it.
func (s *suite) journeyOnCall(t *testing.T) {
	firm, a1, mgr := s.as(s.firm(firmA)), s.as(s.officer(officerA1)), s.as(s.manager())

	filed := at(time.September, 15, 9, 30) // Tuesday
	s.setClock(t, filed)
	var tk ticket
	firm.post(t, "/v1/tickets", map[string]any{"demand": map[string]string{
		"title": "厂区供电频繁跳闸", "description": "二号车间本周三次跳闸，请协调供电部门排查。"}},
		"Idempotency-Key", "e2e-demand-1").into(t, 201, &tk)
	if tk.Kind != "demand" || tk.Liaison.OfficerID != officerA1 {
		t.Fatalf("demand: %+v", tk)
	}

	// Dispatched to the firm's officer, with four working hours to sign:
	// 09:30-12:00 and 13:30-15:00.
	dispatched := func(level int32, to string) *liaisonpb.RequestDispatched {
		t.Helper()
		e := s.events.one(t, "liaison.request.dispatched", "dispatch to "+to, func(e seen) bool {
			p := e.Payload.(*liaisonpb.RequestDispatched)
			return p.GetTicketId() == tk.ID && p.GetEscalationLevel() == level
		})
		p := e.Payload.(*liaisonpb.RequestDispatched)
		if p.GetOfficerId() != to || p.GetResponseWorkingHours() != 4 {
			t.Fatalf("dispatch level %d: %v (want to %s, 4 working hours)", level, p, to)
		}
		return p
	}
	responseClock := func(dispatch string) *slapb.Clock {
		t.Helper()
		e := s.events.one(t, "sla.clock.started", "the response clock of dispatch "+dispatch, func(e seen) bool {
			c := e.Payload.(*slapb.ClockEvent).GetClock()
			return c.GetKind() == "liaison_response" && c.GetSubjectId() == dispatch
		})
		return e.Payload.(*slapb.ClockEvent).GetClock()
	}
	d0 := dispatched(0, officerA1)
	c0 := responseClock(d0.GetRequestId())
	within(t, "the officer's response deadline", c0.GetDeadline().AsTime(), at(time.September, 15, 15, 0), time.Minute)
	request := d0.GetOriginRequestId()
	tk = firm.ticketWhen(t, tk.ID, "dispatched to the officer", func(x ticket) bool {
		return x.Status == "dispatched" && x.LiaisonRequestID == request
	})
	var queue struct {
		Requests []struct {
			ID string `json:"id"`
		} `json:"requests"`
	}
	a1.get(t, "/v1/liaison/queue").into(t, 200, &queue)
	inQueue := false
	for _, q := range queue.Requests {
		inQueue = inQueue || q.ID == request
	}
	if !inQueue {
		t.Errorf("the officer's queue %v lacks request %s", queue, request)
	}

	// Unsigned at the deadline: the backup gets it, with four more working
	// hours (15:00-17:30, then 09:00-10:30 the next day).
	s.setClock(t, c0.GetDeadline().AsTime().Add(time.Second))
	s.events.one(t, "sla.clock.breached", "the officer's response clock", func(e seen) bool {
		return e.AggregateID == c0.GetClockId()
	})
	esc := s.events.one(t, "sla.clock.escalated", "the urgent escalation of the officer's clock", func(e seen) bool {
		return e.AggregateID == c0.GetClockId()
	})
	if p := esc.Payload.(*slapb.Escalated); !p.GetUrgent() || p.GetLevel() != 1 {
		t.Errorf("escalation of a call: %v (want urgent, level 1)", p)
	}
	d1 := dispatched(1, officerA2)
	c1 := responseClock(d1.GetRequestId())
	within(t, "the backup's response deadline", c1.GetDeadline().AsTime(), at(time.September, 16, 10, 30), time.Minute)

	// Unsigned again: the park's manager holds it.
	s.setClock(t, c1.GetDeadline().AsTime().Add(time.Second))
	dispatched(2, managerA)
	var rq struct {
		State      string `json:"state"`
		Level      int    `json:"level"`
		HolderRole string `json:"holder_role"`
		Dispatches []struct {
			Level      int       `json:"level"`
			AssigneeID string    `json:"assignee_id"`
			BreachedAt time.Time `json:"breached_at"`
		} `json:"dispatches"`
		AcknowledgedBy string `json:"acknowledged_by"`
	}
	eventually(t, 30*time.Second, "the request escalated to the manager", func() (bool, string) {
		r := mgr.get(t, "/v1/liaison/requests/"+request)
		r.into(t, 200, &rq)
		return rq.Level == 2 && rq.HolderRole == "manager" && len(rq.Dispatches) == 3, r.String()
	})
	for _, d := range rq.Dispatches[:2] {
		if d.BreachedAt.IsZero() {
			t.Errorf("dispatch %+v: its breach is not recorded", d)
		}
	}

	// The firm's own officer signs for it after all, resolves it and
	// promises a follow-up.
	a1.post(t, "/v1/liaison/requests/"+request+"/ack", nil).into(t, 200, &rq)
	if rq.State != "acknowledged" || rq.AcknowledgedBy != officerA1 {
		t.Errorf("signed for: %+v", rq)
	}
	s.events.one(t, "liaison.request.acknowledged", "the officer signs", func(e seen) bool {
		p := e.Payload.(*liaisonpb.RequestAcknowledged)
		return p.GetOriginRequestId() == request && p.GetOfficerId() == officerA1
	})
	firm.ticketWhen(t, tk.ID, "acknowledged", func(x ticket) bool { return x.Status == "acknowledged" })
	firm.post(t, "/v1/tickets/"+tk.ID+"/resolution", map[string]string{"summary": "x"}).want(t, 403)
	a1.post(t, "/v1/tickets/"+tk.ID+"/resolution", map[string]string{
		"summary": "已协调供电公司更换二号车间进线开关，试运行正常。"}).into(t, 200, &tk)
	if tk.Status != "completed" || tk.Outcome != "resolved" {
		t.Errorf("resolved demand: %s %s", tk.Status, tk.Outcome)
	}
	closed := s.events.one(t, "intake.ticket.closed", "the demand closes", func(e seen) bool { return e.AggregateID == tk.ID })
	if p := closed.Payload.(*intakepb.TicketClosed); p.GetOutcome() != "resolved" {
		t.Errorf("intake.ticket.closed: %v", p)
	}

	var pr struct {
		ID    string    `json:"id"`
		State string    `json:"state"`
		DueAt time.Time `json:"due_at"`
		Late  bool      `json:"late"`
	}
	a1.post(t, "/v1/liaison/promises", map[string]string{"enterprise_id": firmA,
		"content": "周五前陪同供电公司现场复查", "due_on": "2026-09-18"}).into(t, 201, &pr)
	if pr.State != "open" || !pr.DueAt.Equal(time.Date(2026, 9, 19, 0, 0, 0, 0, shanghai)) {
		t.Errorf("promise: %+v (want open, due at the end of 2026-09-18)", pr)
	}
	s.events.one(t, "liaison.promise.made", "the promise", func(e seen) bool {
		return e.Payload.(*liaisonpb.PromiseMade).GetPromiseId() == pr.ID
	})
	s.as(s.officer(officerA3)).post(t, "/v1/liaison/promises/"+pr.ID+"/close", map[string]string{"outcome": "kept"}).want(t, 403, 404)
	s.setClock(t, at(time.September, 16, 16, 0))
	a1.post(t, "/v1/liaison/promises/"+pr.ID+"/close", map[string]string{"outcome": "kept"}).into(t, 200, &pr)
	if pr.State != "kept" || pr.Late {
		t.Errorf("kept promise: %+v", pr)
	}
	kept := s.events.one(t, "liaison.promise.closed", "the promise kept", func(e seen) bool {
		return e.Payload.(*liaisonpb.PromiseClosed).GetPromiseId() == pr.ID
	})
	if p := kept.Payload.(*liaisonpb.PromiseClosed); p.GetOutcome() != "kept" || p.GetLate() {
		t.Errorf("liaison.promise.closed: %v", p)
	}
	s.demand = tk.ID
}

// within fails unless got is want or up to slack later (instants computed
// from "now" carry the seconds the stack took since the clock was set).
func within(t *testing.T, what string, got, want time.Time, slack time.Duration) {
	t.Helper()
	if got.Before(want) || got.After(want.Add(slack)) {
		t.Errorf("%s is %s, want %s (up to %s later)", what, local(got), local(want), slack)
	}
}
