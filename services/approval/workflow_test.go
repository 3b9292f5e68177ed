package approval_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/services/approval"
)

type vote struct {
	dept    string
	approve bool
}

// TestCountersign runs each countersign mode (会签) of the seeds across its
// three departments: the stage passes, fails or waits as the votes come.
func TestCountersign(t *testing.T) {
	a := func(d string) vote { return vote{d, true} }
	n := func(d string) vote { return vote{d, false} }
	tests := []struct {
		name    string
		matter  string
		first   string // department of the stage before the countersign
		votes   []vote
		want    string // "passed", "denied" or "pending"
		skipped int    // members superseded once the stage settled
	}{
		{"any: the first approval passes", "land-planning", "planning", []vote{a("eco")}, "passed", 2},
		{"any: passes after two denials", "land-planning", "planning", []vote{n("housing"), n("eco"), a("commerce")}, "passed", 0},
		{"any: denied when all deny", "land-planning", "planning", []vote{n("housing"), n("eco"), n("commerce")}, "denied", 0},
		{"any: one denial waits", "land-planning", "planning", []vote{n("commerce")}, "pending", 0},
		{"all: two approvals wait", "construction-permit", "housing", []vote{a("planning"), a("eco")}, "pending", 0},
		{"all: three approvals pass", "construction-permit", "housing", []vote{a("planning"), a("police"), a("eco")}, "passed", 0},
		{"all: one denial denies", "construction-permit", "housing", []vote{a("planning"), n("eco")}, "denied", 1},
		{"quorum 2: two approvals pass", "eia-approval", "eco", []vote{a("planning"), a("commerce")}, "passed", 1},
		{"quorum 2: one each waits", "eia-approval", "eco", []vote{n("planning"), a("housing")}, "pending", 0},
		{"quorum 2: two denials deny", "eia-approval", "eco", []vote{n("planning"), n("housing")}, "denied", 1},
		{"quorum 2: passes after a denial", "eia-approval", "eco", []vote{n("housing"), a("planning"), a("commerce")}, "passed", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.open(tt.matter)
			e.accept(w.ID)
			e.mustDecide(staff("first", tt.first), w.ID, approval.TaskReview, approve())
			w = e.workflow(w.ID)
			if w.StageIndex != 1 || w.Definition.Stages[1].Countersign == nil {
				t.Fatalf("stage %d is not the countersign", w.StageIndex)
			}
			members := 0
			for _, tk := range w.Tasks {
				if tk.StageIndex == 1 && tk.State == approval.TaskOpen {
					members++
				}
			}
			if members != 3 {
				t.Fatalf("%d open countersign tasks, want 3 in parallel", members)
			}
			for _, v := range tt.votes {
				d := approval.Decision{Action: approval.ActionApprove}
				if !v.approve {
					d = approval.Decision{Action: approval.ActionDeny, Reason: v.dept + " objects"}
				}
				e.mustDecide(staff("s-"+v.dept, v.dept), w.ID, approval.TaskReview, d)
			}
			w = e.workflow(w.ID)
			superseded := 0
			for _, tk := range w.Tasks {
				if tk.Outcome == approval.OutcomeSuperseded {
					superseded++
				}
			}
			if superseded != tt.skipped {
				t.Errorf("%d members superseded, want %d", superseded, tt.skipped)
			}
			switch tt.want {
			case "passed":
				want := approval.StateInReview
				if w.Definition.Stages[2].Kind == approval.StagePublicNotice {
					want = approval.StatePublicNotice
				}
				if w.State != want || w.StageIndex != 2 {
					t.Fatalf("state %s at stage %d, want %s at stage 2", w.State, w.StageIndex, want)
				}
				opened := e.last(w.ID, event.StageOpened).Payload.(*approvalpb.StageOpened)
				if opened.GetStageCode() != w.Definition.Stages[2].Code {
					t.Fatalf("last stage opened %s", opened.GetStageCode())
				}
			case "denied":
				if w.State != approval.StateDenied || w.DecisionNumber != "" {
					t.Fatalf("state %s number %q, want denied without a number", w.State, w.DecisionNumber)
				}
				d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided)
				if d.GetOutcome() != "denied" || !strings.Contains(d.GetTransition().GetReason(), "objects") {
					t.Fatalf("decided %v", d)
				}
				for _, tk := range w.Tasks {
					if tk.State == approval.TaskOpen {
						t.Fatalf("task %s still open after denial", tk.Department)
					}
				}
			case "pending":
				if w.State != approval.StateInReview || w.StageIndex != 1 {
					t.Fatalf("state %s at stage %d, want still at the countersign", w.State, w.StageIndex)
				}
			}
		})
	}
}

// TestCorrectionPausesAndResumes: a correction (补正) is asked once per
// stage with the complete list; the workflow pauses until intake reports
// the materials supplied.
func TestCorrectionPausesAndResumes(t *testing.T) {
	e := newEnv(t)
	w := e.open("fire-acceptance")
	e.accept(w.ID)
	items := []string{"消防设施检测报告（盖章页缺失）", "工程竣工验收报告"}
	r := e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: items})
	if r.Workflow.State != approval.StateCorrection {
		t.Fatalf("state %s, want correction", r.Workflow.State)
	}
	p := e.last(w.ID, event.WorkflowCorrectionRequested).Payload.(*approvalpb.WorkflowPaused)
	if !equal(p.GetItems(), items) || p.GetReason() != approvalpb.PauseReason_PAUSE_REASON_CORRECTION || p.GetTicketId() != w.TicketID {
		t.Fatalf("correction event %v", p)
	}

	tests := []struct {
		name string
		d    approval.Decision
		want error
	}{
		{"no approval while paused", approve(), fault.ErrConflict},
		{"no second correction", approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"另一份"}}, fault.ErrConflict},
		{"no denial while paused", approval.Decision{Action: approval.ActionDeny, Reason: "x"}, fault.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.decide(housing, w.ID, approval.TaskReview, tt.d)
			wantKind(t, err, tt.want)
		})
	}
	if n := e.count(event.WorkflowResumed, w.ID); n != 0 {
		t.Fatalf("%d resumes before the materials", n)
	}

	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", w.TicketID,
		&intakepb.TicketMaterialsSupplied{TicketId: w.TicketID, Materials: items}))
	w = e.workflow(w.ID)
	if w.State != approval.StateInReview || w.Corrections[0].SuppliedAt.IsZero() {
		t.Fatalf("state %s, correction %+v", w.State, w.Corrections)
	}
	if n := e.count(event.WorkflowResumed, w.ID); n != 1 {
		t.Fatalf("%d resumes, want 1", n)
	}
	// The same event again (another delivery) changes nothing.
	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", w.TicketID,
		&intakepb.TicketMaterialsSupplied{TicketId: w.TicketID, Materials: items}))
	if n := e.count(event.WorkflowResumed, w.ID); n != 1 {
		t.Fatalf("%d resumes after a second delivery, want 1", n)
	}
	e.mustDecide(housing, w.ID, approval.TaskReview, approve())
	// A correction at the next stage is a new stage's one.
	e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"验收意见"}})
	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", w.TicketID, &intakepb.TicketMaterialsSupplied{TicketId: w.TicketID}))
	r = e.mustDecide(housing, w.ID, approval.TaskReview, approve())
	if r.Workflow.State != approval.StateApproved || r.Workflow.DecisionNumber != "望经开审〔2026〕0001号" {
		t.Fatalf("state %s number %q", r.Workflow.State, r.Workflow.DecisionNumber)
	}
	d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided)
	if !d.GetCorrectionNeeded() || d.GetDecisionNumber() != r.Workflow.DecisionNumber {
		t.Fatalf("decided %v", d)
	}
}

// TestMaterialsBeforeSubmissionAreRetried: an event about a ticket approval
// has not seen yet waits for the submission.
func TestMaterialsBeforeSubmissionAreRetried(t *testing.T) {
	e := newEnv(t)
	err := e.apply(e.ev(event.TicketMaterialsSupplied, "ticket", "t-early", &intakepb.TicketMaterialsSupplied{TicketId: "t-early"}))
	if !isKind(err, errRetryLater) {
		t.Fatalf("error %v, want retry later", err)
	}
	// A demand ticket has no workflow: its events are ignored, not retried.
	e.mustApply(e.ev(event.TicketSubmitted, "ticket", "t-demand", &intakepb.TicketSubmitted{TicketId: "t-demand",
		Kind: intakepb.TicketKind_TICKET_KIND_DEMAND}))
	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", "t-demand", &intakepb.TicketMaterialsSupplied{TicketId: "t-demand"}))
	page, err := e.repo.Workflows(context.Background(), approval.WorkflowQuery{Page: 1, PageSize: 10})
	if err != nil || page.Total != 0 {
		t.Fatalf("%d workflows for a demand, err %v", page.Total, err)
	}
}

// TestTolerantAcceptance covers 容缺受理: offered when the definition allows
// it and the firm has no bad-credit flag; the final approval waits for the
// materials; a missed supplement deadline lapses the acceptance.
func TestTolerantAcceptance(t *testing.T) {
	const missing = "safety-plan"
	t.Run("lapses when the supplement clock runs out", func(t *testing.T) {
		e := newEnv(t)
		w := e.open("construction-permit", missing)
		e.accept(w.ID)
		acc := e.last(w.ID, event.WorkflowAccepted).Payload.(*approvalpb.WorkflowAccepted)
		if acc.GetSupplementDueWorkingDays() != 5 || !equal(acc.GetMissingMaterials(), []string{missing}) {
			t.Fatalf("accepted %v, want a 5-day supplement", acc)
		}
		e.mustDecide(housing, w.ID, approval.TaskReview, approve())
		e.mustApply(e.breach("supplement", w.ID, w.TicketID))
		w = e.workflow(w.ID)
		if w.State != approval.StateLapsed {
			t.Fatalf("state %s, want lapsed", w.State)
		}
		d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided)
		if d.GetOutcome() != "lapsed" || d.GetDecisionNumber() != "" || !strings.Contains(d.GetTransition().GetReason(), missing) {
			t.Fatalf("decided %v", d)
		}
		for _, tk := range w.Tasks {
			if tk.State == approval.TaskOpen {
				t.Fatalf("task %s of %s still open", tk.Kind, tk.Department)
			}
		}
		// A second breach delivery changes nothing.
		before := len(e.outboxed(w.ID))
		e.mustApply(e.breach("supplement", w.ID, w.TicketID))
		if after := len(e.outboxed(w.ID)); after != before {
			t.Fatalf("%d events after a repeated breach, want %d", after, before)
		}
	})
	t.Run("materials in time: no lapse, final approval allowed", func(t *testing.T) {
		e := newEnv(t)
		w := e.open("construction-permit", missing)
		e.accept(w.ID)
		e.mustDecide(housing, w.ID, approval.TaskReview, approve())
		e.mustDecide(planning, w.ID, approval.TaskReview, approve())
		e.mustDecide(eco, w.ID, approval.TaskReview, approve())
		e.mustDecide(police, w.ID, approval.TaskReview, approve())
		_, err := e.decide(housing, w.ID, approval.TaskReview, approve())
		wantKind(t, err, fault.ErrConflict)
		if e.workflow(w.ID).State != approval.StateInReview {
			t.Fatal("a refused final approval changed the workflow")
		}
		e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", w.TicketID,
			&intakepb.TicketMaterialsSupplied{TicketId: w.TicketID, Materials: []string{missing}}))
		if w = e.workflow(w.ID); w.SupplementPending {
			t.Fatal("supplement still pending")
		}
		e.mustApply(e.breach("supplement", w.ID, w.TicketID))
		r := e.mustDecide(housing, w.ID, approval.TaskReview, approve())
		if r.Workflow.State != approval.StateApproved {
			t.Fatalf("state %s, want approved", r.Workflow.State)
		}
	})
	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name    string
			matter  string
			flags   []string
			changed []string // flags set by a later profile change
		}{
			{"to a firm with a bad-credit flag", "construction-permit", []string{"high-tech", "bad-credit"}, nil},
			{"to a firm flagged 失信", "construction-permit", []string{"失信"}, nil},
			{"to a firm flagged bad-credit after registration", "construction-permit", []string{"high-tech"}, []string{"high-tech", "bad-credit"}},
			{"by a definition without it", "fire-acceptance", nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t)
				e.mustApply(e.ev(event.EnterpriseRegistered, "enterprise", "firm-x",
					&intakepb.EnterpriseRegistered{EnterpriseId: "firm-x", Name: "某公司", Flags: tt.flags}))
				if tt.changed != nil {
					e.mustApply(e.ev(event.EnterpriseProfileChanged, "enterprise", "firm-x",
						&intakepb.EnterpriseProfileChanged{EnterpriseId: "firm-x", Name: "某公司", ChangedFields: []string{"flags"}, Flags: tt.changed}))
				}
				w := e.openFor("firm-x", tt.matter, missing)
				_, err := e.decide(window, w.ID, approval.TaskAcceptance, approval.Decision{Action: approval.ActionAccept})
				wantKind(t, err, fault.ErrUnprocessable)
				if w = e.workflow(w.ID); w.State != approval.StatePendingAcceptance || e.count(event.WorkflowAccepted, w.ID) != 0 {
					t.Fatalf("state %s after a refused acceptance", w.State)
				}
				e.mustDecide(window, w.ID, approval.TaskAcceptance, approval.Decision{Action: approval.ActionNotAccept, Reason: "材料不全"})
				if na := e.last(w.ID, event.WorkflowNotAccepted).Payload.(*approvalpb.WorkflowNotAccepted); na.GetReason() != "材料不全" {
					t.Fatalf("not accepted %v", na)
				}
			})
		}
	})
}

// TestCommitmentApproval: 告知承诺制 approval, then its verification; a false
// commitment revokes the approval and flags the firm's credit, which then
// withholds tolerant acceptance and commitment approval.
func TestCommitmentApproval(t *testing.T) {
	tests := []struct {
		name   string
		passed bool
		want   approval.State
	}{
		{"verification passes", true, approval.StateApproved},
		{"false commitment revokes", false, approval.StateRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.open("construction-permit")
			e.accept(w.ID, approval.Decision{Action: approval.ActionAccept, CommitmentApproval: true})
			if acc := e.last(w.ID, event.WorkflowAccepted).Payload.(*approvalpb.WorkflowAccepted); acc.GetVerificationWorkingDays() != 20 {
				t.Fatalf("accepted %v, want 20 verification days", acc)
			}
			for _, p := range []struct{ who, dept string }{{"h", "housing"}, {"p", "planning"}, {"e", "eco"}, {"o", "police"}, {"h", "housing"}} {
				e.mustDecide(staff(p.who, p.dept), w.ID, approval.TaskReview, approve())
			}
			w = e.workflow(w.ID)
			if w.State != approval.StateApproved || w.DecisionNumber == "" {
				t.Fatalf("state %s number %q", w.State, w.DecisionNumber)
			}
			if d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided); !d.GetCommitmentApproval() {
				t.Fatalf("decided %v without commitment approval", d)
			}
			page, err := e.svc.Tasks(as(housing), approval.TaskQuery{Kind: string(approval.TaskVerification)})
			if err != nil || len(page.Items) != 1 || page.Items[0].WorkflowID != w.ID {
				t.Fatalf("verification queue %+v %v", page.Items, err)
			}
			passed := tt.passed
			d := approval.Decision{Action: approval.ActionVerify, Passed: &passed}
			if !passed {
				d.Reason = "现场核查：安全施工措施未落实"
			}
			r := e.mustDecide(housing, w.ID, approval.TaskVerification, d)
			if r.Workflow.State != tt.want {
				t.Fatalf("state %s, want %s", r.Workflow.State, tt.want)
			}
			vc := e.last(w.ID, event.VerificationCompleted).Payload.(*approvalpb.VerificationCompleted)
			if vc.GetPassed() != passed {
				t.Fatalf("verification %v", vc)
			}
			revoked, flagged := e.count(event.WorkflowRevoked, w.ID), e.count(event.EnterpriseCreditFlagged, w.ID)
			next := e.open("construction-permit")
			_, err = e.decide(window, next.ID, approval.TaskAcceptance, approval.Decision{Action: approval.ActionAccept, CommitmentApproval: true})
			if passed {
				if revoked+flagged != 0 || err != nil {
					t.Fatalf("%d revoked, %d flagged, next acceptance %v", revoked, flagged, err)
				}
				return
			}
			if revoked != 1 || flagged != 1 {
				t.Fatalf("%d revoked, %d flagged events, want 1 each", revoked, flagged)
			}
			rv := e.last(w.ID, event.WorkflowRevoked).Payload.(*approvalpb.WorkflowRevoked)
			if rv.GetDecisionNumber() != w.DecisionNumber || rv.GetReason() != d.Reason {
				t.Fatalf("revoked %v", rv)
			}
			cf := e.last(w.ID, event.EnterpriseCreditFlagged).Payload.(*approvalpb.EnterpriseCreditFlagged)
			if cf.GetEnterpriseId() != "firm-1" || cf.GetFlag() != "bad-credit" {
				t.Fatalf("credit flagged %v", cf)
			}
			wantKind(t, err, fault.ErrUnprocessable)
			// Nor tolerant acceptance any more.
			third := e.open("construction-permit", "funds-proof")
			_, err = e.decide(window, third.ID, approval.TaskAcceptance, approval.Decision{Action: approval.ActionAccept})
			wantKind(t, err, fault.ErrUnprocessable)
		})
	}
}

// TestDeemedApproval: a countersign member whose stage clock runs out is
// deemed to agree (超时默认) when the stage says so; the record says so.
func TestDeemedApproval(t *testing.T) {
	e := newEnv(t)
	w := e.open("construction-permit")
	e.accept(w.ID)
	e.mustDecide(housing, w.ID, approval.TaskReview, approve())
	e.mustDecide(planning, w.ID, approval.TaskReview, approve())
	late := e.openTask(w.ID, approval.TaskReview, "police")
	e.mustApply(e.breach("stage", late.ID, w.TicketID))
	if w = e.workflow(w.ID); w.StageIndex != 1 {
		t.Fatalf("stage %d: one deemed approval should not pass the all-of stage while eco is open", w.StageIndex)
	}
	tk := w.Task(late.ID)
	if tk.State != approval.TaskDone || tk.Outcome != approval.OutcomeApproved || !tk.Deemed || tk.Actor != "system:deemed" {
		t.Fatalf("late task %+v, want deemed approved", tk)
	}
	var sc *approvalpb.StageCompleted
	for _, ev := range e.outboxed(w.ID) {
		if p, ok := ev.Payload.(*approvalpb.StageCompleted); ok && p.GetStageId() == late.ID {
			sc = p
		}
	}
	if sc == nil || !sc.GetDeemed() || sc.GetOutcome() != "approved" || sc.GetDepartment() != "police" || sc.GetTransition().GetAction() != "deem" {
		t.Fatalf("stage completed %v", sc)
	}
	e.mustDecide(eco, w.ID, approval.TaskReview, approve())
	if w = e.workflow(w.ID); w.StageIndex != 2 {
		t.Fatalf("stage %d, want the decision stage", w.StageIndex)
	}
	// The decision stage deems nothing: a breach leaves the task open.
	final := e.openTask(w.ID, approval.TaskReview, "housing")
	e.mustApply(e.breach("stage", final.ID, w.TicketID))
	if tk := e.workflow(w.ID).Task(final.ID); tk.State != approval.TaskOpen || !tk.TimedOut {
		t.Fatalf("final task %+v, want open and timed out", tk)
	}
}

// TestDeemedAfterCorrection: a breach while the workflow waits for
// materials is applied once it resumes.
func TestDeemedAfterCorrection(t *testing.T) {
	e := newEnv(t)
	w := e.open("land-planning")
	e.accept(w.ID)
	e.mustDecide(planning, w.ID, approval.TaskReview, approve())
	e.mustDecide(commerce, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"总平面图"}})
	late := e.openTask(w.ID, approval.TaskReview, "eco")
	e.mustApply(e.breach("stage", late.ID, w.TicketID))
	if w = e.workflow(w.ID); w.StageIndex != 1 || w.State != approval.StateCorrection {
		t.Fatalf("state %s stage %d: no deemed approval while paused", w.State, w.StageIndex)
	}
	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", w.TicketID, &intakepb.TicketMaterialsSupplied{TicketId: w.TicketID}))
	if w = e.workflow(w.ID); w.StageIndex != 2 || !w.Task(late.ID).Deemed {
		t.Fatalf("stage %d, late %+v: the any-of stage should pass on the deemed approval", w.StageIndex, w.Task(late.ID))
	}
}

// TestReturnToEarlierStage: a return (reason required) cancels the stage
// and opens the earlier one anew.
func TestReturnToEarlierStage(t *testing.T) {
	e := newEnv(t)
	w := e.open("construction-permit")
	e.accept(w.ID)
	e.mustDecide(housing, w.ID, approval.TaskReview, approve())
	_, err := e.decide(planning, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionReturn})
	wantKind(t, err, fault.ErrInvalid)
	_, err = e.decide(planning, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionReturn, Reason: "x", ToStage: "decision"})
	wantKind(t, err, fault.ErrUnprocessable)
	r := e.mustDecide(planning, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionReturn, Reason: "规划条件不符", ToStage: "review"})
	if r.Workflow.StageIndex != 0 || r.Workflow.Round != 3 {
		t.Fatalf("stage %d round %d, want stage 0 in round 3", r.Workflow.StageIndex, r.Workflow.Round)
	}
	open := 0
	for _, tk := range r.Workflow.Tasks {
		if tk.State == approval.TaskOpen {
			open++
			if tk.StageCode != "review" || tk.Department != "housing" {
				t.Fatalf("open task %s/%s", tk.StageCode, tk.Department)
			}
		}
	}
	if open != 1 {
		t.Fatalf("%d open tasks, want the review only", open)
	}
	// Returning to review does not give its correction a second chance.
	e.mustDecide(housing, w.ID, approval.TaskReview, approval.Decision{Action: approval.ActionRequestCorrection, Items: []string{"a"}})
}

// TestWithdraw: the firm withdraws (through intake or here) before the
// decision, never after.
func TestWithdraw(t *testing.T) {
	e := newEnv(t)
	firm := func(id string) context.Context {
		return as(authEnterprise(id))
	}
	w := e.open("construction-permit")
	e.accept(w.ID)
	_, err := e.svc.Withdraw(firm("firm-2"), w.ID, "")
	wantKind(t, err, fault.ErrNotFound)
	got, err := e.svc.Withdraw(firm("firm-1"), w.ID, "项目暂缓")
	if err != nil || got.State != approval.StateWithdrawn {
		t.Fatalf("withdraw: %v %v", got, err)
	}
	if d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided); d.GetOutcome() != "withdrawn" {
		t.Fatalf("decided %v", d)
	}
	_, err = e.svc.Withdraw(firm("firm-1"), w.ID, "")
	wantKind(t, err, fault.ErrConflict)

	// Through intake: every undecided workflow of the ticket.
	w2 := e.open("business-license")
	e.mustApply(e.ev(event.TicketWithdrawn, "ticket", w2.TicketID, &intakepb.TicketWithdrawn{TicketId: w2.TicketID, Reason: "不办了"}))
	if w2 = e.workflow(w2.ID); w2.State != approval.StateWithdrawn || w2.DecisionReason != "不办了" {
		t.Fatalf("state %s reason %q", w2.State, w2.DecisionReason)
	}
}

// TestBundleFansOut: a 一件事 bundle opens one workflow per matter, each
// with its matter's definition, commitment (within the bundle's) and its
// own share of the missing materials.
func TestBundleFansOut(t *testing.T) {
	e := newEnv(t)
	e.mustApply(e.submitted(ticket{id: "b-1", bundle: "construction-startup", commitment: 15,
		matters: []string{"land-planning", "construction-permit", "eia-approval"}, missing: []string{"safety-plan"}}))
	page, err := e.repo.Workflows(context.Background(), approval.WorkflowQuery{TicketID: "b-1", Page: 1, PageSize: 10})
	if err != nil || page.Total != 3 {
		t.Fatalf("%d workflows, err %v", page.Total, err)
	}
	got := map[string]*approval.Workflow{}
	for _, s := range page.Items {
		got[s.MatterCode] = e.workflow(s.ID)
	}
	tests := []struct {
		matter     string
		commitment int
		missing    []string
	}{
		{"land-planning", 5, []string{}},
		{"construction-permit", 3, []string{"safety-plan"}},
		{"eia-approval", 10, []string{}},
	}
	for _, tt := range tests {
		w := got[tt.matter]
		if w == nil || w.Definition.Code != tt.matter || w.CommitmentDays != tt.commitment || !equal(w.MissingMaterials, tt.missing) ||
			w.SubjectID != "b-1/"+tt.matter || w.BundleCode != "construction-startup" {
			t.Errorf("%s: %+v", tt.matter, w)
		}
	}
	// A redelivered submission opens nothing more.
	e.mustApply(e.submitted(ticket{id: "b-1", bundle: "construction-startup", commitment: 15,
		matters: []string{"land-planning", "construction-permit", "eia-approval"}}))
	if page, _ := e.repo.Workflows(context.Background(), approval.WorkflowQuery{TicketID: "b-1", Page: 1, PageSize: 10}); page.Total != 3 {
		t.Fatalf("%d workflows after a redelivery", page.Total)
	}
}
