package intake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/intake"
)

func pbts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// assign applies liaison.assignment.changed for a firm.
func assign(t testing.TB, e *env, v versions, firm, officer string) {
	t.Helper()
	e.mustApply(v.ev(t, event.OfficerAssigned, "enterprise", firm, e.clk.Now(),
		&liaisonpb.OfficerAssigned{EnterpriseId: firm, OfficerId: officer, AssignedAt: pbts(e.clk.Now())}))
}

// wf builds the approval events of one workflow with gap-free versions.
type wf struct {
	t      testing.TB
	v      versions
	id     string
	ticket string
	matter string
}

func (w wf) opened(when time.Time) event.Event {
	return w.v.ev(w.t, event.WorkflowOpened, "workflow", w.id, when, &approvalpb.WorkflowOpened{WorkflowId: w.id, TicketId: w.ticket,
		SubjectType: "ticket", SubjectId: w.ticket, MatterCode: w.matter, OpenedAt: pbts(when), AcceptanceDepartment: "approval-office"})
}

func (w wf) accepted(when time.Time) event.Event {
	return w.v.ev(w.t, event.WorkflowAccepted, "workflow", w.id, when, &approvalpb.WorkflowAccepted{WorkflowId: w.id, TicketId: w.ticket,
		MatterCode: w.matter, Department: "housing", CommitmentWorkingDays: 3, AcceptedAt: pbts(when), SubjectType: "ticket"})
}

func (w wf) correction(when time.Time, items ...string) event.Event {
	return w.v.ev(w.t, event.WorkflowCorrectionRequested, "workflow", w.id, when, &approvalpb.WorkflowPaused{WorkflowId: w.id,
		TicketId: w.ticket, Reason: approvalpb.PauseReason_PAUSE_REASON_CORRECTION, Items: items, PausedAt: pbts(when)})
}

func (w wf) stage(when time.Time, name string) event.Event {
	return w.v.ev(w.t, event.StageOpened, "workflow", w.id, when, &approvalpb.StageOpened{WorkflowId: w.id, TicketId: w.ticket,
		StageId: name, StageName: name, Department: "housing", OpenedAt: pbts(when)})
}

func (w wf) decided(when time.Time, outcome, number string) event.Event {
	return w.v.ev(w.t, event.WorkflowDecided, "workflow", w.id, when, &approvalpb.WorkflowDecided{WorkflowId: w.id, TicketId: w.ticket,
		Outcome: outcome, DecisionNumber: number, DecidedAt: pbts(when), MatterCode: w.matter, SubjectType: "ticket"})
}

func (w wf) notAccepted(when time.Time, reason string) event.Event {
	return w.v.ev(w.t, event.WorkflowNotAccepted, "workflow", w.id, when, &approvalpb.WorkflowNotAccepted{WorkflowId: w.id,
		TicketId: w.ticket, Reason: reason, DecidedAt: pbts(when)})
}

func itemStatuses(tk intake.Ticket) []string {
	var out []string
	for _, it := range tk.Items {
		out = append(out, it.Status)
	}
	return out
}

func TestBundleStatusAcrossPartialCompletion(t *testing.T) {
	e := newEnv(t)
	tk := e.submit(asFirmA, "b", intake.SubmitRequest{BundleCode: "business-startup", Materials: e.materials(asFirmA, businessStartupAll...)})
	v := versions{}
	ws := []wf{{e.t, v, "wf-license", tk.ID, "business-license"}, {e.t, v, "wf-seal", tk.ID, "seal-engraving"},
		{e.t, v, "wf-tax", tk.ID, "tax-registration"}}
	now := e.clk.Now()
	step := func(d time.Duration) time.Time { now = now.Add(d); return now }
	steps := []struct {
		name     string
		events   []event.Event
		status   string
		items    []string
		stage    string
		closedEv bool
	}{
		{"all opened", []event.Event{ws[0].opened(step(time.Minute)), ws[1].opened(step(time.Second)), ws[2].opened(step(time.Second))},
			"submitted", []string{"pending", "pending", "pending"}, "0 of 3 matters completed", false},
		{"two accepted", []event.Event{ws[0].accepted(step(time.Hour)), ws[2].accepted(step(time.Minute))},
			"accepted", []string{"accepted", "pending", "accepted"}, "0 of 3 matters completed", false},
		{"one approved", []event.Event{ws[0].decided(step(time.Hour), "approved", "望经开审〔2026〕0001号")},
			"accepted", []string{"approved", "pending", "accepted"}, "1 of 3 matters completed", false},
		{"correction on another", []event.Event{ws[1].accepted(step(time.Minute)), ws[1].correction(step(time.Minute), "legal-rep-id")},
			"correction_requested", []string{"approved", "correction_requested", "accepted"}, "1 of 3 matters completed, 1 awaiting correction", false},
		{"second approved", []event.Event{ws[2].decided(step(time.Hour), "approved", "望经开审〔2026〕0002号")},
			"correction_requested", []string{"approved", "correction_requested", "approved"}, "2 of 3 matters completed, 1 awaiting correction", false},
		{"last denied", []event.Event{ws[1].decided(step(time.Hour), "denied", "")},
			"completed", []string{"approved", "denied", "approved"}, "completed", true},
	}
	for _, s := range steps {
		e.mustApply(s.events...)
		got := e.ticket(tk.ID)
		if got.Status != s.status || !equal(itemStatuses(got), s.items) || got.Stage != s.stage {
			t.Fatalf("%s: status %s items %v stage %q; want %s %v %q", s.name, got.Status, itemStatuses(got), got.Stage,
				s.status, s.items, s.stage)
		}
		if closed := equal(e.outboxTypes(tk.ID), []string{event.TicketSubmitted, event.TicketClosed}); closed != s.closedEv {
			t.Fatalf("%s: events %v", s.name, e.outboxTypes(tk.ID))
		}
	}
	got := e.ticket(tk.ID)
	if got.Outcome != intake.OutcomePartial || got.CompletedAt == nil || got.AcceptedAt == nil {
		t.Fatalf("outcome %s completed %v accepted %v", got.Outcome, got.CompletedAt, got.AcceptedAt)
	}
	closed := e.outbox(tk.ID)[1]
	p := closed.Payload.(*intakepb.TicketClosed)
	if closed.AggregateVersion != 2 || p.GetOutcome() != intake.OutcomePartial || len(p.GetDecisionNumbers()) != 2 ||
		p.GetKind() != intakepb.TicketKind_TICKET_KIND_BUNDLE {
		t.Fatalf("closed event v%d %+v", closed.AggregateVersion, p)
	}
	// Every event is on the timeline: submitted, 3 opened, 3 accepted, 1 correction, 3 decided, closed.
	if len(got.Timeline) != 12 || got.Timeline[0].Type != event.TicketSubmitted || got.Timeline[11].Type != event.TicketClosed {
		t.Fatalf("timeline of %d: %+v", len(got.Timeline), got.Timeline)
	}
	// A redelivered decision (same event, same version) has no second effect.
	lastDecision := steps[len(steps)-1].events[0]
	e.mustApply(lastDecision)
	if n := len(e.outbox(tk.ID)); n != 2 {
		t.Fatalf("%d events after a redelivered decision", n)
	}
	if n := len(e.ticket(tk.ID).Timeline); n != 12 {
		t.Fatalf("timeline of %d after a redelivered decision", n)
	}
}

func TestWorkflowEventsApplyInOrder(t *testing.T) {
	e := newEnv(t)
	tk := e.submit(asFirmA, "m", intake.SubmitRequest{MatterCode: "construction-permit", Materials: e.materials(asFirmA, constructionPermitAll...)})
	w := wf{e.t, versions{}, "wf-1", tk.ID, "construction-permit"}
	now := e.clk.Now()
	opened, accepted, stage := w.opened(now), w.accepted(now.Add(time.Hour)), w.stage(now.Add(2*time.Hour), "审查")
	// The stage event (v3) before acceptance (v2): retried later, nothing applied.
	if err := e.apply(stage); !errorsIs(err, inbox.ErrRetryLater) {
		t.Fatalf("out of order: %v", err)
	}
	e.mustApply(opened, accepted, stage)
	e.mustApply(accepted) // stale: ignored
	got := e.ticket(tk.ID)
	if got.Status != intake.StatusAccepted || got.Stage != "审查" || got.Items[0].WorkflowID != "wf-1" {
		t.Fatalf("status %s stage %q workflow %q", got.Status, got.Stage, got.Items[0].WorkflowID)
	}
	if len(got.Timeline) != 4 {
		t.Fatalf("timeline of %d", len(got.Timeline))
	}
	// Events of workflows that are no tickets of intake (policy applications) change nothing.
	pol := wf{e.t, versions{}, "wf-pol", "0191c0de-0000-7000-8000-0000000fffff", "subsidy"}
	e.mustApply(pol.opened(now), pol.accepted(now))
	notUUID := wf{e.t, versions{}, "wf-app", "application-7", "subsidy"}
	e.mustApply(notUUID.opened(now))
}

func errorsIs(err, target error) bool {
	for err != nil {
		if err == target {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return strings.Contains(err.Error(), target.Error())
		}
		err = u.Unwrap()
	}
	return false
}

func TestCorrectionAnswer(t *testing.T) {
	e := newEnv(t)
	tk := e.submit(asFirmA, "m", intake.SubmitRequest{MatterCode: "construction-permit",
		Materials: e.materials(asFirmA, "application-form", "planning-permit", "construction-contract", "funds-proof")})
	if tk.Supplement == nil || !equal(tk.Supplement.Materials, []string{"safety-plan"}) {
		t.Fatalf("supplement %+v", tk.Supplement)
	}
	w := wf{e.t, versions{}, "wf-1", tk.ID, "construction-permit"}
	now := e.clk.Now()
	e.mustApply(w.opened(now), w.accepted(now), w.correction(now, "planning-permit", "施工合同"))
	if got := e.ticket(tk.ID); got.Status != intake.StatusCorrectionRequested {
		t.Fatalf("status %s", got.Status)
	}
	cases := []struct {
		name   string
		p      func() []intake.MaterialInput
		who    string
		status int
		field  string
	}{
		{"not asked for", func() []intake.MaterialInput {
			return e.materials(asFirmA, "planning-permit", "construction-contract", "articles")
		},
			"firm", 422, "materials[2].code"},
		{"incomplete answer", func() []intake.MaterialInput { return e.materials(asFirmA, "planning-permit") }, "firm", 422, "materials.施工合同"},
		{"only the owed 容缺 material while a correction is open", func() []intake.MaterialInput { return e.materials(asFirmA, "safety-plan") },
			"firm", 422, "materials"},
		{"staff may not answer for the firm", func() []intake.MaterialInput { return e.materials(asStaff, "planning-permit", "construction-contract") },
			"staff", 403, ""},
		{"complete answer (by code and by name)", func() []intake.MaterialInput {
			return e.materials(asFirmA, "planning-permit", "construction-contract")
		}, "firm", 200, ""},
		{"nothing is asked any more but the owed material", func() []intake.MaterialInput { return e.materials(asFirmA, "planning-permit") },
			"firm", 422, "materials[0].code"},
		{"the owed 容缺 material", func() []intake.MaterialInput { return e.materials(asFirmA, "safety-plan") }, "firm", 200, ""},
		{"nothing is asked at all", func() []intake.MaterialInput { return e.materials(asFirmA, "safety-plan") }, "firm", 409, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := asFirmA
			if c.who == "staff" {
				p = asStaff
			}
			_, err := e.svc.SupplyMaterials(as(p), tk.ID, intake.SupplyRequest{Materials: c.p()})
			if status(err) != c.status {
				t.Fatalf("status %d (%v), want %d", status(err), err, c.status)
			}
			if c.field != "" {
				if _, ok := fields(t, err)[c.field]; !ok {
					t.Fatalf("%v does not name %s", err, c.field)
				}
			}
		})
	}
	got := e.ticket(tk.ID)
	if got.Status != intake.StatusAccepted || len(got.Items[0].CorrectionItems) != 0 || len(got.Supplement.Materials) != 0 {
		t.Fatalf("after answers: %s %v %v", got.Status, got.Items[0].CorrectionItems, got.Supplement.Materials)
	}
	evs := e.outbox(tk.ID)
	if !equal(typesOf(evs), []string{event.TicketSubmitted, event.TicketMaterialsSupplied, event.TicketMaterialsSupplied}) {
		t.Fatalf("events %v", typesOf(evs))
	}
	corr := evs[1].Payload.(*intakepb.TicketMaterialsSupplied)
	sup := evs[2].Payload.(*intakepb.TicketMaterialsSupplied)
	if !equal(corr.GetMaterials(), []string{"planning-permit", "construction-contract"}) || !equal(corr.GetWorkflowIds(), []string{"wf-1"}) ||
		corr.GetSupplement() || !sup.GetSupplement() || !equal(sup.GetMaterials(), []string{"safety-plan"}) || evs[2].AggregateVersion != 3 {
		t.Fatalf("correction %+v supplement %+v", corr, sup)
	}
	purposes := map[string]int{}
	for _, m := range got.Materials {
		purposes[m.Purpose]++
	}
	if purposes["submission"] != 4 || purposes["correction"] != 2 || purposes["supplement"] != 1 {
		t.Fatalf("materials by purpose %v", purposes)
	}
}

func TestRatingOnceAndRectification(t *testing.T) {
	e := newEnv(t)
	assign(t, e, versions{}, firmA, "officer-1")
	tk := e.submit(asFirmA, "m", intake.SubmitRequest{MatterCode: "construction-permit", Materials: e.materials(asFirmA, constructionPermitAll...)})
	if _, err := e.svc.Rate(as(asFirmA), tk.ID, intake.RatingInput{Score: 5}); status(err) != 409 {
		t.Fatalf("rating an open ticket: %v", err)
	}
	w := wf{e.t, versions{}, "wf-1", tk.ID, "construction-permit"}
	now := e.clk.Now()
	e.mustApply(w.opened(now), w.accepted(now), w.decided(now, "approved", "望经开审〔2026〕0009号"))
	cases := []struct {
		name   string
		p      func() error
		status int
	}{
		{"staff may not rate", func() error { _, err := e.svc.Rate(as(asStaff), tk.ID, intake.RatingInput{Score: 5}); return err }, 403},
		{"score out of range", func() error { _, err := e.svc.Rate(as(asFirmA), tk.ID, intake.RatingInput{Score: 6}); return err }, 400},
		{"a bad rating needs a comment", func() error { _, err := e.svc.Rate(as(asFirmA), tk.ID, intake.RatingInput{Score: 1}); return err }, 400},
		{"bad rating", func() error {
			_, err := e.svc.Rate(as(asFirmA), tk.ID, intake.RatingInput{Score: 2, Comment: "跑了三次"})
			return err
		}, 200},
		{"only once", func() error { _, err := e.svc.Rate(as(asFirmA), tk.ID, intake.RatingInput{Score: 5}); return err }, 409},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.p(); status(err) != c.status {
				t.Fatalf("status %d (%v), want %d", status(err), err, c.status)
			}
		})
	}
	got := e.ticket(tk.ID)
	if got.Rating == nil || got.Rating.Level != "不满意" || got.Rating.RectificationTicketID == "" {
		t.Fatalf("rating %+v", got.Rating)
	}
	rated := e.outbox(tk.ID)
	last := rated[len(rated)-1]
	p := last.Payload.(*intakepb.TicketRated)
	if last.Type != event.TicketRated || p.GetScore() != 2 || p.GetRectificationTicketId() != got.Rating.RectificationTicketID ||
		p.GetDepartment() != "housing" || p.GetOfficerId() != "officer-1" || p.GetMatterCode() != "construction-permit" {
		t.Fatalf("rated event %s %+v", last.Type, p)
	}
	rect := e.ticket(got.Rating.RectificationTicketID)
	if rect.Kind != intake.KindRectification || rect.RelatedTicketID != tk.ID || !strings.HasPrefix(rect.Number, "WCJK-2026-") ||
		rect.Status != intake.StatusSubmitted || !equal(rect.Departments, []string{"housing"}) {
		t.Fatalf("rectification %+v", rect)
	}
	// The rectification is recorded by the department's staff with the follow-up call.
	if _, err := e.svc.Resolve(as(asStaff), rect.ID, intake.ResolutionInput{Summary: "x", FollowUp: "y"}); status(err) != 403 {
		t.Fatalf("staff of another department: %v", err)
	}
	if _, err := e.svc.Resolve(as(asHousing), rect.ID, intake.ResolutionInput{Summary: "窗口增设指引"}); status(err) != 400 {
		t.Fatalf("without follow-up: %v", err)
	}
	done, err := e.svc.Resolve(as(asHousing), rect.ID, intake.ResolutionInput{Summary: "窗口增设指引", FollowUp: "已电话回访，企业认可"})
	if err != nil || done.Status != intake.StatusCompleted || done.Outcome != intake.OutcomeRectified {
		t.Fatalf("resolved %+v, %v", done, err)
	}
	evs := e.outbox(rect.ID)
	if len(evs) != 1 || evs[0].Type != event.TicketClosed || evs[0].AggregateVersion != 1 ||
		evs[0].Payload.(*intakepb.TicketClosed).GetRelatedTicketId() != tk.ID {
		t.Fatalf("rectification events %v", typesOf(evs))
	}
}

func TestWithdraw(t *testing.T) {
	e := newEnv(t)
	tk := e.submit(asFirmA, "m", intake.SubmitRequest{MatterCode: "eia-approval", Materials: e.materials(asFirmA, "application-form", "eia-report")})
	if _, err := e.svc.Withdraw(as(asFirmA), tk.ID, intake.WithdrawInput{}); status(err) != 400 {
		t.Fatalf("no reason: %v", err)
	}
	got, err := e.svc.Withdraw(as(asFirmA), tk.ID, intake.WithdrawInput{Reason: "项目延期"})
	if err != nil || got.Status != intake.StatusWithdrawn {
		t.Fatalf("withdrawn %s, %v", got.Status, err)
	}
	if _, err := e.svc.Withdraw(as(asFirmA), tk.ID, intake.WithdrawInput{Reason: "again"}); status(err) != 409 {
		t.Fatalf("twice: %v", err)
	}
	// Approval then withdraws the workflow: the ticket stays withdrawn and is not closed again.
	w := wf{e.t, versions{}, "wf-1", tk.ID, "eia-approval"}
	e.mustApply(w.opened(e.clk.Now()), w.decided(e.clk.Now(), "withdrawn", ""))
	if got := e.ticket(tk.ID); got.Status != intake.StatusWithdrawn {
		t.Fatalf("status %s", got.Status)
	}
	if !equal(e.outboxTypes(tk.ID), []string{event.TicketSubmitted, event.TicketWithdrawn}) {
		t.Fatalf("events %v", e.outboxTypes(tk.ID))
	}
}

func TestSLAStateAsReported(t *testing.T) {
	e := newEnv(t)
	tk := e.submit(asFirmA, "m", intake.SubmitRequest{MatterCode: "eia-approval", Materials: e.materials(asFirmA, "application-form", "eia-report")})
	v := versions{}
	clockEv := func(typ, id, kind string, state slapb.ClockState, deadline time.Time) event.Event {
		return v.ev(t, typ, "clock", id, e.clk.Now(), &slapb.ClockEvent{Clock: &slapb.Clock{ClockId: id, Kind: kind, SubjectId: "wf-1",
			TicketId: tk.ID, State: state, Deadline: pbts(deadline), MatterCode: "eia-approval"}})
	}
	acc := at(t, "2026-03-03 17:30")
	res := at(t, "2026-03-17 17:30")
	steps := []struct {
		ev       event.Event
		state    string
		deadline time.Time
	}{
		{clockEv(event.ClockStarted, "c-acc", "acceptance", slapb.ClockState_CLOCK_STATE_GREEN, acc), "green", acc},
		{clockEv(event.ClockStopped, "c-acc", "acceptance", slapb.ClockState_CLOCK_STATE_STOPPED, acc), "stopped", acc},
		{clockEv(event.ClockStarted, "c-res", "resolution", slapb.ClockState_CLOCK_STATE_GREEN, res), "green", res},
		{clockEv(event.ClockWarned, "c-res", "resolution", slapb.ClockState_CLOCK_STATE_YELLOW, res), "yellow", res},
		{clockEv(event.ClockBreached, "c-res", "resolution", slapb.ClockState_CLOCK_STATE_RED, res), "red", res},
	}
	for i, s := range steps {
		e.mustApply(s.ev)
		got := e.ticket(tk.ID)
		if got.SLA.State != s.state || got.SLA.Deadline == nil || !got.SLA.Deadline.Equal(s.deadline) {
			t.Fatalf("step %d: state %s deadline %v; want %s %v", i, got.SLA.State, got.SLA.Deadline, s.state, s.deadline)
		}
	}
	page, err := e.svc.Tickets(as(asManager), intake.TicketQuery{SLAState: "red"})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("red tickets: %d, %v", len(page.Items), err)
	}
	if got := e.ticket(tk.ID); len(got.Timeline) != 6 || len(got.SLA.Clocks) != 2 {
		t.Fatalf("timeline %d clocks %d", len(got.Timeline), len(got.SLA.Clocks))
	}
}

func TestDemandFollowsLiaison(t *testing.T) {
	e := newEnv(t)
	lv := versions{}
	assign(t, e, lv, firmA, "officer-1")
	if _, _, err := e.svc.Submit(as(asFirmA), "d0", intake.SubmitRequest{Demand: &intake.DemandInput{Title: "停电"}}); status(err) != 400 {
		t.Fatalf("demand without description: %v", err)
	}
	tk := e.submit(asFirmA, "d", intake.SubmitRequest{Demand: &intake.DemandInput{Title: "供电不稳", Description: "我们厂区每周停电两次"}})
	p := e.outbox(tk.ID)[0].Payload.(*intakepb.TicketSubmitted)
	if p.GetKind() != intakepb.TicketKind_TICKET_KIND_DEMAND || p.GetOfficerId() != "officer-1" || p.GetDescription() == "" {
		t.Fatalf("demand payload %+v", p)
	}
	now := e.clk.Now()
	e.mustApply(lv.ev(t, event.RequestDispatched, "request", "req-1", now, &liaisonpb.RequestDispatched{RequestId: "req-1",
		OriginRequestId: "req-1", TicketId: tk.ID, EnterpriseId: firmA, OfficerId: "officer-1", DispatchedAt: pbts(now)}))
	if got := e.ticket(tk.ID); got.Status != intake.StatusDispatched || got.RequestID != "req-1" {
		t.Fatalf("after dispatch: %s %s", got.Status, got.RequestID)
	}
	e.mustApply(lv.ev(t, event.RequestAcknowledged, "request", "req-1", now, &liaisonpb.RequestAcknowledged{RequestId: "req-1",
		OfficerId: "officer-1", AcknowledgedAt: pbts(now)}))
	if got := e.ticket(tk.ID); got.Status != intake.StatusAcknowledged {
		t.Fatalf("after ack: %s", got.Status)
	}
	// The firm cannot close its own demand; its liaison can, and then the firm rates it.
	if _, err := e.svc.Resolve(as(asFirmA), tk.ID, intake.ResolutionInput{Summary: "x"}); status(err) != 403 {
		t.Fatalf("firm resolving: %v", err)
	}
	if _, err := e.svc.Resolve(as(asLiaison), tk.ID, intake.ResolutionInput{Summary: "协调供电公司更换变压器"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Rate(as(asFirmA), tk.ID, intake.RatingInput{Score: 5})
	if err != nil || got.Rating.Level != "非常满意" || got.Rating.RectificationTicketID != "" {
		t.Fatalf("rated %+v, %v", got.Rating, err)
	}
	if !equal(e.outboxTypes(tk.ID), []string{event.TicketSubmitted, event.TicketClosed, event.TicketRated}) {
		t.Fatalf("events %v", e.outboxTypes(tk.ID))
	}
}

func TestVisitFilesOneProxyDemand(t *testing.T) {
	e := newEnv(t)
	lv := versions{}
	req := &liaisonpb.VisitTicketRequested{RequestId: "issue-1", VisitId: "visit-1", EnterpriseId: firmA, OfficerId: "officer-1",
		Title: "用工难", Description: "普工缺口 200 人"}
	e.mustApply(lv.ev(t, event.VisitTicketRequested, "visit", "visit-1", e.clk.Now(), req))
	// The same request again (a second event) files nothing new.
	e.mustApply(lv.ev(t, event.VisitTicketRequested, "visit", "visit-1", e.clk.Now(), req))
	var ids []string
	if err := e.db.Select(&ids, `SELECT id FROM tickets`); err != nil || len(ids) != 1 {
		t.Fatalf("%d tickets, %v", len(ids), err)
	}
	tk := e.ticket(ids[0])
	if tk.Kind != intake.KindDemand || tk.Channel != intake.ChannelProxy || tk.SubmittedBy != "officer-1" || tk.Title != "用工难" {
		t.Fatalf("visit ticket %+v", tk)
	}
	p := e.outbox(tk.ID)[0].Payload.(*intakepb.TicketSubmitted)
	if p.GetChannel() != intakepb.Channel_CHANNEL_PROXY || p.GetKind() != intakepb.TicketKind_TICKET_KIND_DEMAND {
		t.Fatalf("payload %+v", p)
	}
	// A firm intake does not know can never be filed for.
	bad := lv.ev(t, event.VisitTicketRequested, "visit", "visit-2", e.clk.Now(), &liaisonpb.VisitTicketRequested{RequestId: "i2",
		EnterpriseId: "0191c0de-0000-7000-8000-0000000fffff", OfficerId: "officer-1"})
	if err := e.apply(bad); !errorsIs(err, inbox.ErrPermanent) {
		t.Fatalf("unknown firm: %v", err)
	}
}

func TestCreditFlagFromApproval(t *testing.T) {
	e := newEnv(t)
	v := versions{}
	flag := v.ev(t, event.EnterpriseCreditFlagged, "workflow", "wf-9", e.clk.Now(), &approvalpb.EnterpriseCreditFlagged{
		EnterpriseId: firmA, Flag: "bad-credit", Reason: "虚假承诺"})
	e.mustApply(flag)
	got, err := e.svc.Enterprise(as(asAdmin), firmA)
	if err != nil || !got.HasFlag(intake.FlagBadCredit) {
		t.Fatalf("flags %v, %v", got.Flags, err)
	}
	evs := e.outbox(firmA)
	last := evs[len(evs)-1]
	if last.Type != event.EnterpriseProfileChanged || !equal(last.Payload.(*intakepb.EnterpriseProfileChanged).GetChangedFields(), []string{"flags"}) {
		t.Fatalf("events %v", typesOf(evs))
	}
	// The firm no longer gets tolerant acceptance.
	_, _, err = e.svc.Submit(as(asFirmA), "k", intake.SubmitRequest{MatterCode: "construction-permit",
		Materials: e.materials(asFirmA, "application-form", "planning-permit", "construction-contract", "funds-proof")})
	if status(err) != 422 {
		t.Fatalf("tolerant acceptance for a bad-credit firm: %v", err)
	}
}

// publish sends ev to JetStream as its producer's outbox relay would.
func publish(t testing.TB, js jetstream.JetStream, ev event.Event, msgID string) {
	t.Helper()
	b, err := event.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	msg.Header.Set(event.HeaderType, ev.Type)
	msg.Header.Set(event.HeaderPark, ev.Park)
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
}

func runConsumers(t testing.TB, e *env) {
	t.Helper()
	cs, err := e.engine.Consumers(context.Background(), e.nats.JS)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, len(cs))
	for _, c := range cs {
		go func() { _ = c.Run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range cs {
			<-done
		}
	})
}

// Through real JetStream: approval events, one redelivered under another
// message id, complete a bundle exactly once; an SLA clock reaches the ticket.
func TestConsumersOverJetStream(t *testing.T) {
	e := newEnv(t)
	runConsumers(t, e)
	tk := e.submit(asFirmA, "b", intake.SubmitRequest{BundleCode: "construction-startup",
		Materials: e.materials(asFirmA, "application-form", "land-contract", "site-plan", "planning-permit", "construction-contract",
			"safety-plan", "funds-proof", "eia-report")})
	v := versions{}
	now := e.clk.Now()
	for i, m := range []string{"land-planning", "construction-permit", "eia-approval"} {
		w := wf{t, v, "wf-" + m, tk.ID, m}
		evs := []event.Event{w.opened(now), w.accepted(now), w.decided(now, "approved", "望经开审〔2026〕000"+string(rune('1'+i))+"号")}
		for _, ev := range evs {
			publish(t, e.nats.JS, ev, ev.ID)
			publish(t, e.nats.JS, ev, ev.ID+"-again")
		}
	}
	sv := versions{}
	clk := sv.ev(t, event.ClockStarted, "clock", "c-1", now, &slapb.ClockEvent{Clock: &slapb.Clock{ClockId: "c-1", Kind: "acceptance",
		TicketId: tk.ID, State: slapb.ClockState_CLOCK_STATE_GREEN, Deadline: pbts(at(t, "2026-03-03 17:30"))}})
	publish(t, e.nats.JS, clk, clk.ID)
	waitFor(t, "the bundle to complete and the clock to arrive", func() bool {
		got, err := e.svc.Ticket(as(asFirmA), tk.ID)
		return err == nil && got.Status == intake.StatusCompleted && got.SLA.State != ""
	})
	got := e.ticket(tk.ID)
	if got.Outcome != intake.OutcomeApproved || !equal(e.outboxTypes(tk.ID), []string{event.TicketSubmitted, event.TicketClosed}) {
		t.Fatalf("outcome %s events %v", got.Outcome, e.outboxTypes(tk.ID))
	}
	// 1 submitted + 9 workflow events + 1 closed + 1 clock: duplicates left no trace.
	if len(got.Timeline) != 12 {
		t.Fatalf("timeline of %d", len(got.Timeline))
	}
}
