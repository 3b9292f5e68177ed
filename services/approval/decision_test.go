package approval_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/approval"
)

// TestConcurrentFinalApprovalsNumbering: 100 final approvals at once get
// 100 distinct, consecutive decision numbers of the park and year
// (一枚印章), and another park's run on its own.
func TestConcurrentFinalApprovalsNumbering(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	conn, err := db.Open(context.Background(), db.Config{URL: d.URL, Schema: "approval", MaxOpenConns: 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e := newEnvOn(t, conn)
	const n = 100
	tasks := make([]string, n)
	for i := range tasks {
		w := e.open("business-license")
		e.accept(w.ID)
		tasks[i] = e.openTask(w.ID, approval.TaskReview, "market").ID
	}
	numbers := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := e.svc.Decide(as(staff(fmt.Sprintf("m-%d", i), "market")), tasks[i], approve())
			errs[i] = err
			if err == nil {
				numbers[i] = r.Workflow.DecisionNumber
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("approval %d: %v", i, err)
		}
	}
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("望经开审〔2026〕%04d号", i+1)
	}
	got := slices.Clone(numbers)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("numbers %v, want 0001..0100 each once", got)
	}
	var stored int
	if err := conn.Get(&stored, `SELECT count(DISTINCT decision_number) FROM workflows WHERE state = 'approved'`); err != nil || stored != n {
		t.Fatalf("%d distinct stored numbers, err %v", stored, err)
	}
	// Every decided event carries its workflow's number.
	for i, tk := range tasks {
		_ = i
		w, err := e.repo.Workflow(context.Background(), e.workflowOfTask(tk))
		if err != nil {
			t.Fatal(err)
		}
		if d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided); d.GetDecisionNumber() != w.DecisionNumber {
			t.Fatalf("decided %v, workflow %s", d, w.DecisionNumber)
		}
	}
}

func asValidation(err error, target **fault.ValidationError) bool { return errors.As(err, target) }

func (e *env) workflowOfTask(task string) string {
	e.t.Helper()
	var id string
	if err := e.db.Get(&id, `SELECT workflow_id FROM tasks WHERE id = $1`, task); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestDecisionNumbersPerParkAndYear: each park and year counts on its own;
// a refused approval gives no number away.
func TestDecisionNumbersPerParkAndYear(t *testing.T) {
	e := newEnv(t)
	approveOne := func() string {
		w := e.open("business-license")
		e.accept(w.ID)
		return e.mustDecide(market, w.ID, approval.TaskReview, approve()).Workflow.DecisionNumber
	}
	if got := approveOne(); got != "望经开审〔2026〕0001号" {
		t.Fatalf("first number %s", got)
	}
	// A final approval refused (tolerant materials missing) takes no number.
	w := e.open("construction-permit", "safety-plan")
	e.accept(w.ID)
	for _, p := range []auth.Principal{housing, planning, eco, police} {
		e.mustDecide(p, w.ID, approval.TaskReview, approve())
	}
	_, err := e.decide(housing, w.ID, approval.TaskReview, approve())
	wantKind(t, err, fault.ErrConflict)
	if got := approveOne(); got != "望经开审〔2026〕0002号" {
		t.Fatalf("number after a refused approval %s, want 0002", got)
	}
	e.clk.Set(at(t, "2027-01-04 10:00"))
	if got := approveOne(); got != "望经开审〔2027〕0001号" {
		t.Fatalf("first number of 2027 %s", got)
	}
	if got := approval.DecisionNumber("长高审", 2026, 12345); got != "长高审〔2026〕12345号" {
		t.Fatalf("format %s", got)
	}
}

// TestDecisionAuthorization: only staff of the task's department act (its
// assignee once delegated); other parks see nothing.
func TestDecisionAuthorization(t *testing.T) {
	e := newEnv(t)
	w := e.open("construction-permit")
	acc := e.openTask(w.ID, approval.TaskAcceptance, "approval-office")
	tests := []struct {
		name string
		who  auth.Principal
		want error
	}{
		{"staff of another department", housing, fault.ErrForbidden},
		{"staff of another park", auth.Principal{Subject: "x", Role: auth.RoleStaff, Park: "liling", Departments: []string{"approval-office"}}, fault.ErrNotFound},
		{"a manager", manager, fault.ErrForbidden},
		{"the firm", authEnterprise("firm-1"), fault.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Decide(as(tt.who), acc.ID, approval.Decision{Action: approval.ActionAccept})
			wantKind(t, err, tt.want)
		})
	}
	if _, err := e.svc.Decide(context.Background(), acc.ID, approve()); !isKind(err, fault.ErrUnauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}
	if got := e.workflow(w.ID); got.State != approval.StatePendingAcceptance || len(e.outboxed(w.ID)) != 1 {
		t.Fatalf("refused decisions changed the workflow: %s, %v", got.State, types(e.outboxed(w.ID)))
	}
	e.accept(w.ID)
	// Delegation within the department: then only the assignee decides.
	colleague := staff("housing-2", "housing")
	e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionDelegate, Assignee: colleague.Subject})
	if dl := e.last(w.ID, event.TaskDelegated).Payload.(*approvalpb.TaskDelegated); dl.GetToAssignee() != "housing-2" || dl.GetDepartment() != "housing" {
		t.Fatalf("delegated %v", dl)
	}
	_, err := e.decide(housing, w.ID, approval.TaskReview, approve())
	wantKind(t, err, fault.ErrForbidden)
	e.mustDecide(colleague, w.ID, approval.TaskReview, approve())
	// Validation names the field.
	_, err = e.decide(planning, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionDeny})
	var ve *fault.ValidationError
	if !asValidation(err, &ve) || ve.Fields[0].Field != "reason" {
		t.Fatalf("deny without reason: %v", err)
	}
	_, err = e.decide(planning, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"a", "a"}})
	if !asValidation(err, &ve) || ve.Fields[0].Field != "items[1]" {
		t.Fatalf("duplicate items: %v", err)
	}
	_, err = e.decide(planning, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionAccept})
	wantKind(t, err, fault.ErrUnprocessable)
}

// TestConcurrentDecisionsOnOneTask: of two different decisions at once,
// exactly one wins and the other is a conflict; a double submission of the
// same decision returns the first result.
func TestConcurrentDecisionsOnOneTask(t *testing.T) {
	tests := []struct {
		name   string
		second auth.Principal
		d2     approval.Decision
	}{
		{"two colleagues approve", staff("market-2", "market"), approve()},
		{"approve and deny", staff("market-3", "market"), approval.Decision{Action: approval.ActionDeny, Reason: "不符合条件"}},
		{"the same person approves and denies", market, approval.Decision{Action: approval.ActionDeny, Reason: "改主意"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			for round := range 5 {
				w := e.open("business-license")
				e.accept(w.ID)
				task := e.openTask(w.ID, approval.TaskReview, "market").ID
				var wg sync.WaitGroup
				errs := make([]error, 2)
				start := make(chan struct{})
				for i, c := range []struct {
					p auth.Principal
					d approval.Decision
				}{{market, approve()}, {tt.second, tt.d2}} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						_, errs[i] = e.svc.Decide(as(c.p), task, c.d)
					}()
				}
				close(start)
				wg.Wait()
				ok, conflicts := 0, 0
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case isKind(err, fault.ErrConflict):
						conflicts++
					default:
						t.Fatalf("round %d: %v", round, err)
					}
				}
				if ok != 1 || conflicts != 1 {
					t.Fatalf("round %d: %d won, %d conflicts: %v", round, ok, conflicts, errs)
				}
				if n := e.count(event.WorkflowDecided, w.ID); n != 1 {
					t.Fatalf("round %d: %d decided events", round, n)
				}
			}
		})
	}
	t.Run("double submission", func(t *testing.T) {
		e := newEnv(t)
		w := e.open("business-license")
		e.accept(w.ID)
		task := e.openTask(w.ID, approval.TaskReview, "market").ID
		d := approval.Decision{Action: approval.ActionApprove, Reason: "同意", IdempotencyKey: "k-1"}
		first, err := e.svc.Decide(as(market), task, d)
		if err != nil || first.Replayed {
			t.Fatal(err)
		}
		events := len(e.outboxed(w.ID))
		again, err := e.svc.Decide(as(market), task, d)
		if err != nil || !again.Replayed || again.Workflow.DecisionNumber != first.Workflow.DecisionNumber {
			t.Fatalf("replay: %+v %v", again, err)
		}
		d.IdempotencyKey = ""
		if again, err = e.svc.Decide(as(market), task, d); err != nil || !again.Replayed {
			t.Fatalf("replay without key: %+v %v", again.Replayed, err)
		}
		_, err = e.svc.Decide(as(market), task, approval.Decision{Action: approval.ActionDeny, Reason: "x", IdempotencyKey: "k-1"})
		wantKind(t, err, fault.ErrUnprocessable)
		_, err = e.svc.Decide(as(staff("market-2", "market")), task, approve())
		wantKind(t, err, fault.ErrConflict)
		if got := len(e.outboxed(w.ID)); got != events {
			t.Fatalf("%d events after replays, want %d", got, events)
		}
	})
}

// TestWorkQueue: a department's open tasks, actionable first, most urgent
// SLA deadline first; nobody else's.
func TestWorkQueue(t *testing.T) {
	e := newEnv(t)
	var ws []*approval.Workflow
	for range 4 {
		w := e.open("fire-acceptance")
		e.accept(w.ID)
		ws = append(ws, w)
	}
	other := e.open("business-license")
	e.accept(other.ID)
	// Deadlines from sla: w2 most urgent, then w0, w3 without a clock; w1 waits for materials.
	deadlines := map[int]time.Time{0: at(t, "2026-03-06 17:30"), 1: at(t, "2026-03-03 17:30"), 2: at(t, "2026-03-04 17:30")}
	for i, d := range deadlines {
		tk := e.openTask(ws[i].ID, approval.TaskReview, "housing")
		e.mustApply(e.clockEvent(event.ClockStarted, fmt.Sprintf("c-%d", i), "stage", tk.ID, ws[i].TicketID, "housing",
			slapb.ClockState_CLOCK_STATE_GREEN, d))
	}
	// A stale snapshot does not overwrite a newer one.
	tk2 := e.openTask(ws[2].ID, approval.TaskReview, "housing")
	e.mustApply(e.clockEvent(event.ClockWarned, "c-2", "stage", tk2.ID, ws[2].TicketID, "housing", slapb.ClockState_CLOCK_STATE_YELLOW, at(t, "2026-03-04 17:30")))
	stale := e.clockEvent(event.ClockStarted, "c-2", "stage", tk2.ID, ws[2].TicketID, "housing", slapb.ClockState_CLOCK_STATE_GREEN, at(t, "2026-03-09 17:30"))
	stale.AggregateVersion = 1
	e.mustApply(stale)
	e.mustDecide(housing, ws[1].ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"x"}})

	page, err := e.svc.Tasks(as(housing), approval.TaskQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range page.Items {
		got = append(got, it.WorkflowID)
		if it.Department != "housing" {
			t.Fatalf("a %s task in housing's queue", it.Department)
		}
	}
	want := []string{ws[2].ID, ws[0].ID, ws[3].ID, ws[1].ID}
	if !slices.Equal(got, want) || page.Total != 4 {
		t.Fatalf("queue %v (total %d), want %v", got, page.Total, want)
	}
	if first := page.Items[0]; first.SLAState != "yellow" || !first.Deadline.Equal(at(t, "2026-03-04 17:30")) || !first.Actionable {
		t.Fatalf("first %+v", first)
	}
	if last := page.Items[3]; last.Actionable || last.WorkflowState != approval.StateCorrection {
		t.Fatalf("last %+v, want the paused one, not actionable", last)
	}
	tests := []struct {
		name  string
		who   auth.Principal
		q     approval.TaskQuery
		total int
		want  error
	}{
		{"market sees its own", market, approval.TaskQuery{}, 1, nil},
		{"window has nothing left", window, approval.TaskQuery{}, 0, nil},
		{"manager sees the park", manager, approval.TaskQuery{}, 5, nil},
		{"manager narrows to a department", manager, approval.TaskQuery{Department: "market"}, 1, nil},
		{"staff cannot look into another department", housing, approval.TaskQuery{Department: "market"}, 0, fault.ErrForbidden},
		{"the firm has no queue", authEnterprise("firm-1"), approval.TaskQuery{}, 0, fault.ErrForbidden},
		{"bad kind", housing, approval.TaskQuery{Kind: "nap"}, 0, fault.ErrInvalid},
		{"page size too big", housing, approval.TaskQuery{PageSize: 500}, 0, fault.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := e.svc.Tasks(as(tt.who), tt.q)
			if tt.want != nil {
				wantKind(t, err, tt.want)
				return
			}
			if err != nil || page.Total != tt.total {
				t.Fatalf("total %d, err %v, want %d", page.Total, err, tt.total)
			}
		})
	}
}

// TestHistory: every transition is an event with actor, reason and the
// state before and after; the history is those events, in version order.
func TestHistory(t *testing.T) {
	e := newEnv(t)
	w := e.open("fire-acceptance")
	e.accept(w.ID)
	e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"检测报告"}})
	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", w.TicketID, &intakepb.TicketMaterialsSupplied{TicketId: w.TicketID}))
	e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionApprove, Reason: "验收合格"})
	e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionDeny, Reason: "复查不合格"})

	h, err := e.svc.History(as(housing), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	evs := e.outboxed(w.ID)
	wantTypes := []string{event.WorkflowOpened, event.WorkflowAccepted, event.StageOpened, event.WorkflowCorrectionRequested,
		event.WorkflowResumed, event.StageCompleted, event.StageOpened, event.StageCompleted, event.WorkflowDecided}
	if !equal(types(evs), wantTypes) || len(h) != len(evs) {
		t.Fatalf("events %v, history %d entries", types(evs), len(h))
	}
	for i, entry := range h {
		if entry.Version != int64(i+1) || evs[i].AggregateVersion != entry.Version || entry.Type != evs[i].Type || evs[i].AggregateType != "workflow" {
			t.Fatalf("entry %d: version %d type %s; event %s v%d", i, entry.Version, entry.Type, evs[i].Type, evs[i].AggregateVersion)
		}
	}
	checks := []struct {
		i                     int
		actor, action, reason string
		from, to              string
	}{
		{0, "system", "open", "", "", "pending_acceptance"},
		{1, "window-1", "accept", "", "pending_acceptance", "in_review"},
		{3, "housing-1", "request_correction", "", "in_review", "correction"},
		{4, "firm-1", "resume", "materials supplied", "correction", "in_review"},
		{5, "housing-1", "approve", "验收合格", "in_review", "in_review"},
		{8, "housing-1", "deny", "复查不合格", "in_review", "denied"},
	}
	for _, c := range checks {
		got := h[c.i]
		if got.Actor != c.actor || got.Action != c.action || got.Reason != c.reason || got.FromState != c.from || got.ToState != c.to {
			t.Errorf("entry %d: %+v, want %+v", c.i, got, c)
		}
		tr := evs[c.i].Payload.(interface{ GetTransition() *approvalpb.Transition }).GetTransition()
		if tr.GetActor() != c.actor || tr.GetToState() != c.to || tr.GetReason() != c.reason {
			t.Errorf("event %d transition %v", c.i, tr)
		}
	}
	if _, err := e.svc.History(as(authEnterprise("firm-2")), w.ID); !isKind(err, fault.ErrNotFound) {
		t.Fatalf("another firm reads the history: %v", err)
	}
	if got, err := e.svc.Workflow(as(authEnterprise("firm-1")), w.ID); err != nil || got.State != approval.StateDenied {
		t.Fatalf("the firm reads its workflow: %v %v", got, err)
	}
}

// TestPolicyApplication: the policy definition is a seed: 初审 → 复核 → 公示
// (5 working days, clocks paused, ended by the scheduler) → 决定.
func TestPolicyApplication(t *testing.T) {
	e := newEnv(t)
	e.clk.Set(at(t, "2026-09-28 10:00"))
	w, err := e.repo.Open(context.Background(), approval.OpenSpec{Park: park, SubjectType: approval.SubjectPolicyApplication,
		SubjectID: "app-1", EnterpriseID: "firm-1", PolicyCode: "wc-2026-rd-subsidy", Title: "研发费用补助"}, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if w.State != approval.StateInReview || w.Definition.Code != "policy-application" || w.CommitmentDays != 15 {
		t.Fatalf("opened %s with %s (%d days)", w.State, w.Definition.Code, w.CommitmentDays)
	}
	if _, err := e.repo.Open(context.Background(), approval.OpenSpec{Park: park, SubjectType: approval.SubjectPolicyApplication,
		SubjectID: "app-1", PolicyCode: "x"}, e.clk.Now()); !isKind(err, fault.ErrConflict) {
		t.Fatalf("second open: %v", err)
	}
	e.mustDecide(commerce, w.ID, approval.TaskReview, approve())
	e.mustDecide(finance, w.ID, approval.TaskReview, approve())
	w = e.workflow(w.ID)
	if w.State != approval.StatePublicNotice {
		t.Fatalf("state %s, want public notice", w.State)
	}
	paused := e.last(w.ID, event.WorkflowPaused).Payload.(*approvalpb.WorkflowPaused)
	// 5 working days from Monday 2026-09-28: 09-29, 09-30, then the
	// National Day holiday (10-01..10-07 off), 10-08, 10-09 and Saturday
	// 10-10, a make-up working day.
	wantEnd := at(t, "2026-10-10 17:30")
	if paused.GetReason() != approvalpb.PauseReason_PAUSE_REASON_PUBLIC_NOTICE || !paused.GetResumeDueAt().AsTime().Equal(wantEnd) {
		t.Fatalf("paused %v, want a public notice until %v", paused, wantEnd)
	}
	notice := e.openTask(w.ID, approval.TaskPublicNotice, "commerce")
	if opened := e.last(w.ID, event.StageOpened).Payload.(*approvalpb.StageOpened); opened.GetShareWorkingDays() != 0 || opened.GetMode() != "public_notice" {
		t.Fatalf("notice opened %v: a notice has no stage clock", opened)
	}
	_, err = e.svc.Decide(as(commerce), notice.ID, approve())
	wantKind(t, err, fault.ErrConflict)
	sched, err := approval.NewNoticeScheduler(e.repo, e.clk, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := sched.RunOnce(context.Background()); err != nil || n != 0 {
		t.Fatalf("ended %d notices early, err %v", n, err)
	}
	e.clk.Set(wantEnd)
	if n, err := sched.RunOnce(context.Background()); err != nil || n != 1 {
		t.Fatalf("ended %d notices, err %v", n, err)
	}
	w = e.workflow(w.ID)
	if w.State != approval.StateInReview || w.StageIndex != 3 || w.Task(notice.ID).Outcome != approval.OutcomeNoticeEnded {
		t.Fatalf("state %s stage %d notice %+v", w.State, w.StageIndex, w.Task(notice.ID))
	}
	if r := e.last(w.ID, event.WorkflowResumed).Payload.(*approvalpb.WorkflowResumed); r.GetTransition().GetActor() != "system" {
		t.Fatalf("resumed %v", r)
	}
	r := e.mustDecide(finance, w.ID, approval.TaskReview, approve())
	if r.Workflow.State != approval.StateApproved || r.Workflow.DecisionNumber != "望经开审〔2026〕0001号" {
		t.Fatalf("state %s number %q", r.Workflow.State, r.Workflow.DecisionNumber)
	}
	d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided)
	if d.GetSubjectType() != "policy_application" || d.GetSubjectId() != "app-1" || d.GetTicketId() != "" {
		t.Fatalf("decided %v", d)
	}
}

// BenchmarkFinalApproval measures a final approval with its decision
// number, events and history, one workflow at a time.
func BenchmarkFinalApproval(b *testing.B) {
	e := newEnv(b)
	tasks := make([]string, b.N)
	for i := range tasks {
		w := e.open("business-license")
		e.accept(w.ID)
		tasks[i] = e.openTask(w.ID, approval.TaskReview, "market").ID
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.svc.Decide(as(market), tasks[i], approve()); err != nil {
			b.Fatal(err)
		}
	}
}
