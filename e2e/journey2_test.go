package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

var noticeNumber = regexp.MustCompile(`^督办〔2026〕\d{4}号$`)

// journeyBreach is breach and escalation on the working-day calendar: a
// construction permit accepted on Friday 2026-09-18 is left untouched. Its
// three working days count the make-up Sunday 09-20, so it turns yellow at
// the end of Monday 09-21 and red at the end of Tuesday 09-22; the handler
// and the liaison officer are told at once, the department head one working
// day later (Wednesday 09-23) and the park manager three working days later:
// Monday 09-28, the Mid-Autumn holiday 09-25..27 not counting. The manager's
// live stream shows each step, a red card lands on the housing department,
// and an extension granted afterwards to a countersigning department moves
// its deadline across National Day.
func (s *suite) journeyBreach(t *testing.T) {
	firm, window, housing := s.as(s.firm(firmA)), s.as(s.staff("approval-office")), s.as(s.staff("housing"))
	planning, mgr := s.as(s.staff("planning")), s.as(s.manager())
	live := mgr.follow(t)

	s.setClock(t, at(time.September, 18, 9, 30)) // Friday
	var mats []materialInput
	for _, code := range []string{"application-form", "planning-permit", "construction-contract", "safety-plan", "funds-proof"} {
		mats = append(mats, firm.upload(t, code))
	}
	var tk ticket
	firm.post(t, "/v1/tickets", map[string]any{"matter_code": "construction-permit", "materials": mats},
		"Idempotency-Key", "e2e-permit-1").into(t, 201, &tk)
	s.setClock(t, at(time.September, 18, 10, 0))
	for _, acc := range window.tasksOf(t, tk.ID, "acceptance", 1) {
		window.decide(t, acc.ID, map[string]any{"action": "accept"})
	}
	var res slaClock
	mgr.clocksOf(t, tk.ID, "the resolution clock", func(cs []slaClock) bool {
		var ok bool
		res, ok = clockOf(cs, "resolution", "")
		return ok
	})
	wantDeadline, wantWarn := at(time.September, 22, 17, 30), at(time.September, 21, 17, 30)
	if !res.Deadline.Equal(wantDeadline) || !res.WarnAt.Equal(wantWarn) || res.Budget != 3 || res.Department != "housing" ||
		res.OfficerID != officerA1 || res.HandlerID != s.staff("approval-office").Subject {
		t.Fatalf("resolution clock: deadline %s, warning %s, %+v (want %s and %s: the make-up Sunday 09-20 is a working day)",
			local(res.Deadline), local(res.WarnAt), res, local(wantDeadline), local(wantWarn))
	}
	clockEvent := func(typ, what string, level int32) seen {
		t.Helper()
		return s.events.one(t, typ, what, func(e seen) bool {
			if e.AggregateID != res.ID {
				return false
			}
			if p, ok := e.Payload.(*slapb.Escalated); ok {
				return p.GetLevel() == level
			}
			return true
		})
	}
	onStream := func(typ string, level int) sseItem {
		t.Helper()
		return live.wait(t, fmt.Sprintf("%s (level %d) of the resolution clock", typ, level), func(it sseItem) bool {
			return it.Event == typ && it.ClockID == res.ID && it.Level == level
		})
	}

	// Yellow at the end of Monday.
	s.setClock(t, wantWarn.Add(time.Second))
	warned := clockEvent("sla.clock.warned", "the warning", 0)
	within(t, "the warning", warned.OccurredAt, wantWarn, 30*time.Second)
	onStream("sla.clock.warned", 0)
	firm.ticketWhen(t, tk.ID, "yellow", func(x ticket) bool { return x.SLA.State == "yellow" })

	// Red at the end of Tuesday: the handler and the liaison at once, a red
	// card for the housing department.
	s.setClock(t, wantDeadline.Add(time.Second))
	breached := clockEvent("sla.clock.breached", "the breach", 0)
	within(t, "the breach", breached.OccurredAt, wantDeadline, 30*time.Second)
	esc := clockEvent("sla.clock.escalated", "escalation to the handler and the liaison", 1)
	if got, want := esc.Payload.(*slapb.Escalated).GetNotify(), []string{"handler:" + res.HandlerID, "liaison:" + officerA1}; !slices.Equal(got, want) {
		t.Errorf("level 1 notifies %v, want %v", got, want)
	}
	card := s.events.one(t, "sla.card.issued", "the red card", func(e seen) bool {
		return e.Payload.(*slapb.CardIssued).GetClockId() == res.ID
	})
	if p := card.Payload.(*slapb.CardIssued); p.GetColour() != "red" || p.GetDepartment() != "housing" || !noticeNumber.MatchString(p.GetNoticeNumber()) {
		t.Errorf("card: %v", p)
	}
	onStream("sla.clock.breached", 0)
	onStream("sla.clock.escalated", 1)
	firm.ticketWhen(t, tk.ID, "red", func(x ticket) bool { return x.SLA.State == "red" })
	var breaches struct {
		Items []slaClock `json:"items"`
	}
	mgr.get(t, "/v1/sla/breaches?state=red").into(t, 200, &breaches)
	if !slices.ContainsFunc(breaches.Items, func(c slaClock) bool { return c.ID == res.ID }) {
		t.Errorf("the manager's breaches lack the resolution clock: %+v", breaches.Items)
	}
	// A breached clock takes no extension.
	housing.post(t, "/v1/sla/clocks/"+res.ID+"/extension", map[string]any{"working_days": 2, "reason": "现场核查"}).want(t, 409)

	// The department head one working day after the deadline.
	l2 := at(time.September, 23, 17, 30)
	s.setClock(t, l2.Add(time.Second))
	esc = clockEvent("sla.clock.escalated", "escalation to the department head", 2)
	within(t, "the department head's escalation", esc.OccurredAt, l2, 30*time.Second)
	if got := esc.Payload.(*slapb.Escalated).GetNotify(); !slices.Equal(got, []string{"department_head:housing"}) {
		t.Errorf("level 2 notifies %v", got)
	}
	onStream("sla.clock.escalated", 2)

	// A second firm's licence filed after office hours on Wednesday and never
	// accepted: its acceptance clock runs out on Thursday 09-24. Once that
	// breach has fired in the holiday, the manager's rung must not have: a
	// calendar without the holiday would have put it on Friday 09-25.
	var mats2 []materialInput
	firm2 := s.as(s.firm(firmB))
	for _, code := range []string{"application-form", "articles", "id-documents", "premises-proof"} {
		mats2 = append(mats2, firm2.upload(t, code))
	}
	var idle ticket
	firm2.post(t, "/v1/tickets", map[string]any{"matter_code": "business-license", "materials": mats2},
		"Idempotency-Key", "e2e-licence-idle").into(t, 201, &idle)
	s.setClock(t, at(time.September, 26, 12, 0)) // Saturday, in the holiday
	idleBreach := s.events.one(t, "sla.clock.breached", "the idle ticket's acceptance clock", func(e seen) bool {
		return e.Payload.(*slapb.ClockEvent).GetClock().GetTicketId() == idle.ID
	})
	if d := idleBreach.Payload.(*slapb.ClockEvent).GetClock().GetDeadline().AsTime(); !d.Equal(at(time.September, 24, 17, 30)) {
		t.Errorf("the idle ticket's acceptance deadline is %s, want 2026-09-24 17:30", local(d))
	}
	var now slaClock
	mgr.get(t, "/v1/sla/clocks/"+res.ID).into(t, 200, &now)
	if now.EscalationLevel != 2 {
		t.Fatalf("on 09-26 the resolution clock is at escalation level %d, want 2 (the holiday does not count)", now.EscalationLevel)
	}

	// The park manager three working days after the deadline: Monday 09-28.
	l3 := at(time.September, 28, 17, 30)
	s.setClock(t, l3.Add(time.Second))
	esc = clockEvent("sla.clock.escalated", "escalation to the manager", 3)
	within(t, "the manager's escalation", esc.OccurredAt, l3, 30*time.Second)
	if got := esc.Payload.(*slapb.Escalated).GetNotify(); !slices.Equal(got, []string{"manager:" + park}) {
		t.Errorf("level 3 notifies %v", got)
	}
	onStream("sla.clock.escalated", 3)
	type deptRow struct {
		Key      string `json:"key"`
		RedCards int    `json:"red_cards"`
	}
	var overview struct {
		Groups []deptRow `json:"groups"`
	}
	mgr.get(t, "/v1/sla/overview?by=department&from="+url.QueryEscape(clockStart.Format(time.RFC3339))).into(t, 200, &overview)
	if !slices.ContainsFunc(overview.Groups, func(g deptRow) bool { return g.Key == "housing" && g.RedCards >= 1 }) {
		t.Errorf("the department overview shows no red card for housing: %+v", overview.Groups)
	}

	// Housing reviews at last; the countersign (planning, eco, police, one
	// working day each) opens. Planning asks for two more working days and
	// the manager grants them: its deadline moves from Tuesday 09-29 over
	// National Day (10-01..07) to Thursday 10-08.
	for _, rv := range housing.tasksOf(t, tk.ID, "review", 1) {
		housing.decide(t, rv.ID, map[string]any{"action": "approve"})
	}
	var member task
	for _, tsk := range planning.tasksOf(t, tk.ID, "review", 1) {
		member = tsk
	}
	var stage slaClock
	mgr.clocksOf(t, tk.ID, "planning's stage clock", func(cs []slaClock) bool {
		var ok bool
		stage, ok = clockOf(cs, "stage", member.ID)
		return ok
	})
	if want := at(time.September, 29, 17, 30); !stage.Deadline.Equal(want) || stage.Department != "planning" {
		t.Fatalf("planning's stage clock: %s %s, want %s", stage.Department, local(stage.Deadline), local(want))
	}
	var x struct {
		ID               string    `json:"id"`
		State            string    `json:"state"`
		PreviousDeadline time.Time `json:"previous_deadline"`
		NewDeadline      time.Time `json:"new_deadline"`
	}
	s.as(s.staff("eco")).post(t, "/v1/sla/clocks/"+stage.ID+"/extension", map[string]any{"working_days": 2, "reason": "x"}).want(t, 403)
	planning.post(t, "/v1/sla/clocks/"+stage.ID+"/extension", map[string]any{"working_days": 2,
		"reason": "需调取规划档案核对红线"}).into(t, 201, &x)
	if x.State != "pending" {
		t.Fatalf("extension: %+v", x)
	}
	planning.post(t, "/v1/sla/extensions/"+x.ID+"/decision", map[string]string{"decision": "grant"}).want(t, 403)
	moved := at(time.October, 8, 17, 30)
	mgr.post(t, "/v1/sla/extensions/"+x.ID+"/decision", map[string]string{"decision": "grant"}).into(t, 200, &x)
	if x.State != "granted" || !x.PreviousDeadline.Equal(stage.Deadline) || !x.NewDeadline.Equal(moved) {
		t.Errorf("granted extension: %+v (want %s → %s)", x, local(stage.Deadline), local(moved))
	}
	changed := s.events.one(t, "sla.clock.deadline_changed", "planning's deadline moves", func(e seen) bool { return e.AggregateID == stage.ID })
	if p := changed.Payload.(*slapb.DeadlineChanged); p.GetCause() != "extension" || !p.GetClock().GetDeadline().AsTime().Equal(moved) ||
		!p.GetPreviousDeadline().AsTime().Equal(stage.Deadline) {
		t.Errorf("sla.clock.deadline_changed: %v", p)
	}
	eventually(t, 30*time.Second, "planning's queue shows the new deadline", func() (bool, string) {
		var tv struct {
			Deadline time.Time `json:"deadline"`
		}
		planning.get(t, "/v1/tasks/"+member.ID).into(t, 200, &tv)
		return tv.Deadline.Equal(moved), local(tv.Deadline)
	})

	// Eco and police, whose day ran out on 09-29, are deemed to agree
	// (超时默认); planning, extended, is still in time and signs; housing
	// decides: approved, with a decision number, late.
	s.setClock(t, at(time.September, 30, 9, 0))
	deemed := s.events.wait(t, 2, "approval.stage.completed", "eco and police deemed to agree", func(e seen) bool {
		p := e.Payload.(*approvalpb.StageCompleted)
		return p.GetTicketId() == tk.ID && p.GetDeemed()
	})
	for _, e := range deemed {
		if d := e.Payload.(*approvalpb.StageCompleted).GetDepartment(); d != "eco" && d != "police" {
			t.Errorf("deemed: %s", d)
		}
	}
	mgr.get(t, "/v1/sla/clocks/"+stage.ID).into(t, 200, &stage)
	if stage.State != "green" || !stage.Deadline.Equal(moved) || stage.ExtensionDays != 2 {
		t.Errorf("planning's extended stage clock on 09-30: %s, due %s, +%d days", stage.State, local(stage.Deadline), stage.ExtensionDays)
	}
	planning.decide(t, member.ID, map[string]any{"action": "approve"})
	for _, rv := range housing.tasksOf(t, tk.ID, "review", 1) {
		w := housing.decide(t, rv.ID, map[string]any{"action": "approve"})
		if w.State != "approved" || !decisionNumber.MatchString(w.DecisionNumber) {
			t.Errorf("decided: %s %q", w.State, w.DecisionNumber)
		}
	}
	tk = firm.ticketWhen(t, tk.ID, "completed late", func(x ticket) bool { return x.Status == "completed" && x.SLA.State == "late" })
	if tk.Outcome != "approved" {
		t.Errorf("outcome %s", tk.Outcome)
	}
	s.events.one(t, "sla.clock.stopped", "the resolution clock stops late", func(e seen) bool {
		return e.AggregateID == res.ID && e.Payload.(*slapb.ClockEvent).GetClock().GetStoppedLate()
	})

	// The idle ticket is withdrawn: its clock is cancelled, not counted.
	firm2.post(t, "/v1/tickets/"+idle.ID+"/withdraw", map[string]string{"reason": "改为线下办理"}).want(t, 200)
	s.events.one(t, "sla.clock.cancelled", "the idle ticket's clock", func(e seen) bool {
		return e.Payload.(*slapb.ClockEvent).GetClock().GetTicketId() == idle.ID
	})
	s.permit = tk.ID
}
