package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

var decisionNumber = regexp.MustCompile(`^望经开审〔2026〕\d{4}号$`)

// journeyBundle is 企业开办一件事: the demo firm files the business-startup
// bundle online, its liaison already assigned; each department receives its
// child; police asks for a correction (the firm's clock pauses, the firm
// supplies, it resumes); every department signs off; decision numbers are
// issued; the bundle completes on time; the firm rates it 非常满意; the
// manager's overview shows it on time and not once-only.
func (s *suite) journeyBundle(t *testing.T) {
	firm, window := s.as(s.firm(firmA)), s.as(s.staff("approval-office"))
	reviewers := map[string]caller{
		"business-license": s.as(s.staff("market")),
		"seal-engraving":   s.as(s.staff("police")),
		"tax-registration": s.as(s.staff("tax")),
	}
	depts := map[string]string{"business-license": "market", "seal-engraving": "police", "tax-registration": "tax"}
	started := clockStart

	// The firm's officer was assigned at registration, before anything was filed.
	s.events.one(t, "liaison.assignment.changed", "the demo firm's officer", func(e seen) bool {
		p, ok := e.Payload.(*liaisonpb.OfficerAssigned)
		return ok && p.GetEnterpriseId() == firmA && p.GetOfficerId() == officerA1 && p.GetBackupOfficerId() == officerA2
	})

	var bundle struct {
		Code           string   `json:"code"`
		MatterCodes    []string `json:"matter_codes"`
		CommitmentDays int      `json:"commitment_days"`
		Materials      []struct {
			Code string `json:"code"`
		} `json:"materials"`
	}
	firm.get(t, "/v1/catalog/bundles/business-startup").into(t, 200, &bundle)
	if len(bundle.MatterCodes) != 3 || bundle.CommitmentDays != 1 {
		t.Fatalf("bundle business-startup: %+v", bundle)
	}
	var mats []materialInput
	for _, m := range bundle.Materials {
		mats = append(mats, firm.upload(t, m.Code))
	}
	body := map[string]any{"bundle_code": "business-startup", "channel": "online", "materials": mats}
	var tk ticket
	firm.post(t, "/v1/tickets", body, "Idempotency-Key", "e2e-bundle-1").into(t, 201, &tk)
	if tk.Kind != "bundle" || tk.Channel != "online" || tk.Status != "submitted" || len(tk.Items) != 3 ||
		tk.Liaison.OfficerID != officerA1 || !slices.Equal(tk.Departments, []string{"market", "police", "tax"}) {
		t.Fatalf("filed bundle: %+v", tk)
	}
	if !regexp.MustCompile(`^[A-Z]+-2026-\d{6}$`).MatchString(tk.Number) {
		t.Errorf("ticket number %q is not <prefix>-2026-NNNNNN", tk.Number)
	}
	var again ticket
	r := firm.post(t, "/v1/tickets", body, "Idempotency-Key", "e2e-bundle-1")
	r.into(t, 200, &again)
	if again.ID != tk.ID || r.Header.Get("Idempotent-Replayed") == "" {
		t.Errorf("the same Idempotency-Key filed %s (header %q), want the same ticket %s", again.ID, r.Header.Get("Idempotent-Replayed"), tk.ID)
	}
	sub := s.events.one(t, "intake.ticket.submitted", "the bundle", func(e seen) bool { return e.AggregateID == tk.ID })
	if p := sub.Payload.(*intakepb.TicketSubmitted); p.GetOfficerId() != officerA1 || len(p.GetItems()) != 3 ||
		p.GetChannel() != intakepb.Channel_CHANNEL_ONLINE || p.GetBundleCode() != "business-startup" {
		t.Errorf("intake.ticket.submitted: %v", p)
	}
	if n := len(s.events.all(intakeSubmittedType, func(e seen) bool { return e.AggregateID == tk.ID })); n != 1 {
		t.Errorf("the bundle was announced %d times, want once (the replay is not a new ticket)", n)
	}

	// One workflow per matter; the window accepts each (受理).
	s.events.wait(t, 3, "approval.workflow.opened", "a workflow per matter", func(e seen) bool {
		return e.Payload.(*approvalpb.WorkflowOpened).GetTicketId() == tk.ID
	})
	for _, acc := range window.tasksOf(t, tk.ID, "acceptance", 3) {
		w := window.decide(t, acc.ID, map[string]any{"action": "accept"})
		if w.State != "in_review" {
			t.Fatalf("accepted %s: workflow %s", acc.MatterCode, w.State)
		}
	}
	s.events.wait(t, 3, "approval.workflow.accepted", "three acceptances", func(e seen) bool {
		return e.Payload.(*approvalpb.WorkflowAccepted).GetTicketId() == tk.ID
	})
	// The acceptance clock stopped in time; a resolution clock per matter
	// runs to the end of the next working day (Tue 09-15 17:30).
	acc := s.events.one(t, "sla.clock.stopped", "the acceptance clock", func(e seen) bool {
		c := e.Payload.(*slapb.ClockEvent).GetClock()
		return c.GetTicketId() == tk.ID && c.GetKind() == "acceptance"
	})
	if acc.Payload.(*slapb.ClockEvent).GetClock().GetStoppedLate() {
		t.Errorf("acceptance clock stopped late: %v", acc)
	}
	due := at(time.September, 15, 17, 30)
	for _, e := range s.events.wait(t, 3, "sla.clock.started", "three resolution clocks", func(e seen) bool {
		c := e.Payload.(*slapb.ClockEvent).GetClock()
		return c.GetTicketId() == tk.ID && c.GetKind() == "resolution"
	}) {
		if d := e.Payload.(*slapb.ClockEvent).GetClock().GetDeadline().AsTime(); !d.Equal(due) {
			t.Errorf("resolution clock %s due %s, want %s", e.AggregateID, local(d), local(due))
		}
	}

	// Each department receives its own child, and only its own.
	reviews := map[string]task{}
	for matter, rv := range reviewers {
		got := rv.tasksOf(t, tk.ID, "review", 1)
		for _, tsk := range got {
			if tsk.MatterCode != matter || tsk.Department != depts[matter] {
				t.Fatalf("%s's queue holds %+v, want the %s review", depts[matter], tsk, matter)
			}
			reviews[matter] = tsk
		}
	}
	s.events.wait(t, 3, "approval.stage.opened", "a review stage per department", func(e seen) bool {
		return e.Payload.(*approvalpb.StageOpened).GetTicketId() == tk.ID
	})

	// Police ask for a corrected legal representative's ID, once and completely.
	police := reviewers["seal-engraving"]
	police.decide(t, reviews["seal-engraving"].ID, map[string]any{"action": "request_correction", "items": []string{"legal-rep-id"},
		"reason": "身份证明已过期"})
	s.events.one(t, "approval.workflow.correction_requested", "police's correction", func(e seen) bool {
		p := e.Payload.(*approvalpb.WorkflowPaused)
		return p.GetTicketId() == tk.ID && slices.Equal(p.GetItems(), []string{"legal-rep-id"})
	})
	paused := s.events.one(t, "sla.clock.paused", "the seal-engraving resolution clock pauses", func(e seen) bool {
		c := e.Payload.(*slapb.ClockEvent).GetClock()
		return c.GetTicketId() == tk.ID && c.GetKind() == "resolution" && c.GetMatterCode() == "seal-engraving"
	})
	tk = firm.ticketWhen(t, tk.ID, "correction requested, the firm's clock paused", func(x ticket) bool {
		return x.Status == "correction_requested" && x.SLA.Paused && x.item("seal-engraving").Status == "correction_requested"
	})
	if it := tk.item("seal-engraving"); !slices.Equal(it.CorrectionItems, []string{"legal-rep-id"}) {
		t.Errorf("correction items %v", it.CorrectionItems)
	}
	police.post(t, "/v1/tasks/"+reviews["seal-engraving"].ID+"/decision", map[string]any{"action": "approve"}).want(t, 409)

	fix := firm.upload(t, "legal-rep-id")
	firm.post(t, "/v1/tickets/"+tk.ID+"/materials", map[string]any{"materials": []materialInput{fix}}).want(t, 200)
	s.events.one(t, "intake.ticket.materials_supplied", "the correction answered", func(e seen) bool { return e.AggregateID == tk.ID })
	s.events.one(t, "approval.workflow.resumed", "the workflow resumes", func(e seen) bool {
		return e.Payload.(*approvalpb.WorkflowResumed).GetTicketId() == tk.ID
	})
	s.events.one(t, "sla.clock.resumed", "the resolution clock resumes", func(e seen) bool {
		return e.AggregateID == paused.AggregateID
	})
	firm.ticketWhen(t, tk.ID, "resumed", func(x ticket) bool {
		return x.Status == "accepted" && !x.SLA.Paused && x.item("seal-engraving").Status == "accepted"
	})

	// Every department signs off: one decision number per matter, never repeated.
	for matter, rv := range reviewers {
		w := rv.decide(t, reviews[matter].ID, map[string]any{"action": "approve", "reason": "符合条件"})
		if w.State != "approved" || !decisionNumber.MatchString(w.DecisionNumber) {
			t.Fatalf("%s approved: state %s, decision number %q", matter, w.State, w.DecisionNumber)
		}
	}
	decided := s.events.wait(t, 3, "approval.workflow.decided", "three approvals", func(e seen) bool {
		return e.Payload.(*approvalpb.WorkflowDecided).GetTicketId() == tk.ID
	})
	numbers := map[string]bool{}
	for _, e := range decided {
		p := e.Payload.(*approvalpb.WorkflowDecided)
		if p.GetOutcome() != "approved" || !decisionNumber.MatchString(p.GetDecisionNumber()) {
			t.Errorf("approval.workflow.decided: %v", p)
		}
		numbers[p.GetDecisionNumber()] = true
	}
	if len(numbers) != 3 {
		t.Errorf("decision numbers %v: want three distinct", numbers)
	}

	// The bundle completes, on time, with one result for the firm.
	tk = firm.ticketWhen(t, tk.ID, "completed, its clocks stopped", func(x ticket) bool {
		return x.Status == "completed" && x.SLA.State != "" && x.SLA.State != "green" && x.SLA.State != "yellow"
	})
	if tk.Outcome != "approved" || tk.SLA.State != "stopped" {
		t.Errorf("completed bundle: outcome %s, sla %s (want approved, stopped on time)", tk.Outcome, tk.SLA.State)
	}
	for _, it := range tk.Items {
		if it.Status != "approved" || !numbers[it.DecisionNumber] {
			t.Errorf("item %+v", it)
		}
	}
	closed := s.events.one(t, "intake.ticket.closed", "the bundle closes", func(e seen) bool { return e.AggregateID == tk.ID })
	if p := closed.Payload.(*intakepb.TicketClosed); p.GetOutcome() != "approved" || len(p.GetDecisionNumbers()) != 3 {
		t.Errorf("intake.ticket.closed: %v", p)
	}
	for _, e := range s.events.wait(t, 3, "sla.clock.stopped", "three resolution clocks stop", func(e seen) bool {
		c := e.Payload.(*slapb.ClockEvent).GetClock()
		return c.GetTicketId() == tk.ID && c.GetKind() == "resolution"
	}) {
		if c := e.Payload.(*slapb.ClockEvent).GetClock(); c.GetStoppedLate() {
			t.Errorf("resolution clock of %s stopped late", c.GetMatterCode())
		}
	}

	// The firm rates it 非常满意: no rectification.
	firm.post(t, "/v1/tickets/"+tk.ID+"/rating", map[string]any{"score": 5, "comment": "一次办好"}).into(t, 200, &tk)
	if tk.Rating == nil || tk.Rating.Level != "非常满意" || tk.Rating.RectificationTicketID != "" {
		t.Errorf("rating: %+v", tk.Rating)
	}
	rated := s.events.one(t, "intake.ticket.rated", "the rating", func(e seen) bool { return e.AggregateID == tk.ID })
	if p := rated.Payload.(*intakepb.TicketRated); p.GetScore() != 5 || p.GetRectificationTicketId() != "" {
		t.Errorf("intake.ticket.rated: %v", p)
	}
	firm.post(t, "/v1/tickets/"+tk.ID+"/rating", map[string]any{"score": 4}).want(t, 409)

	// The manager's overview: on time, but not once-only (police asked for a correction).
	mgr := s.as(s.manager())
	q := "&from=" + url.QueryEscape(started.Format(time.RFC3339))
	type row struct {
		Key          string   `json:"key"`
		Completed    int      `json:"completed"`
		OnTime       int      `json:"on_time"`
		OnTimeRate   *float64 `json:"on_time_rate"`
		OnceOnlyRate *float64 `json:"once_only_rate"`
		OnlineRate   *float64 `json:"online_rate"`
		Rated        int      `json:"rated"`
		Satisfaction *float64 `json:"satisfaction"`
	}
	var byMatter struct {
		Groups []row `json:"groups"`
	}
	eventually(t, 30*time.Second, "the overview counts the three matters", func() (bool, string) {
		mgr.get(t, "/v1/sla/overview?by=matter"+q).into(t, 200, &byMatter)
		n := 0
		for _, g := range byMatter.Groups {
			n += g.Completed
		}
		return n == 3, fmt.Sprintf("%+v", byMatter.Groups)
	})
	for _, g := range byMatter.Groups {
		wantOnce := 1.0
		if g.Key == "seal-engraving" {
			wantOnce = 0
		}
		if g.Completed != 1 || g.OnTime != 1 || g.OnceOnlyRate == nil || *g.OnceOnlyRate != wantOnce ||
			g.OnlineRate == nil || *g.OnlineRate != 1 {
			t.Errorf("overview of %s: %+v (want 1 completed on time, once-only %v, online)", g.Key, g, wantOnce)
		}
	}
	var byPark struct {
		Groups []row `json:"groups"`
	}
	mgr.get(t, "/v1/sla/overview?by=park"+q).into(t, 200, &byPark)
	if len(byPark.Groups) != 1 || byPark.Groups[0].OnTimeRate == nil || *byPark.Groups[0].OnTimeRate != 1 ||
		byPark.Groups[0].OnceOnlyRate == nil || *byPark.Groups[0].OnceOnlyRate >= 1 {
		t.Errorf("overview of the park: %+v (want on time, once-only below 1)", byPark.Groups)
	}
	s.bundle = tk.ID
}

const intakeSubmittedType = "intake.ticket.submitted"
