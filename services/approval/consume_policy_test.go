package approval_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/policypb"
	"github.com/parkdesk/parkdesk/services/approval"
)

func (e *env) policySubmitted(app, policyCode string) event.Event {
	return e.ev(event.PolicyApplicationSubmitted, "application", app, &policypb.ApplicationSubmitted{ApplicationId: app,
		PolicyId: uuid.NewString(), PolicyCode: policyCode, PolicyTitle: "企业研发投入补贴", EnterpriseId: "firm-1",
		EnterpriseName: "湖南衡开智能电气有限公司", Period: "2026", AmountFen: 1_952_000, Channel: "online",
		SubmittedAt: timestamppb.New(e.clk.Now())})
}

func (e *env) policyWithdrawn(app string) event.Event {
	return e.ev(event.PolicyApplicationWithdrawn, "application", app, &policypb.ApplicationWithdrawn{ApplicationId: app,
		EnterpriseId: "firm-1", Reason: "材料需补充后重新申报", WithdrawnBy: "firm-1-user"})
}

// policyWorkflow returns the workflow of application app, or "".
func (e *env) policyWorkflow(app string) string {
	e.t.Helper()
	var ids []string
	if err := e.db.Select(&ids, `SELECT id FROM workflows WHERE subject_type = 'policy_application' AND subject_id = $1`, app); err != nil {
		e.t.Fatal(err)
	}
	if len(ids) > 1 {
		e.t.Fatalf("application %s has %d workflows", app, len(ids))
	}
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// TestPolicyApplicationConsumer: policy.application.submitted opens one
// workflow of the policy definition (accepted at once, 初审 open at
// commerce), whatever is redelivered; policy.application.withdrawn
// withdraws it while undecided; what cannot apply is retried or refused.
func TestPolicyApplicationConsumer(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"submitted opens the policy workflow once", func(t *testing.T, e *env) {
			app := uuid.NewString()
			sub := e.policySubmitted(app, "wc-2026-rd-subsidy")
			e.mustApply(sub)
			again := sub
			again.ID = uuid.NewString() // a re-publish under a new id
			e.mustApply(again)
			wf := e.policyWorkflow(app)
			if wf == "" {
				t.Fatal("no workflow")
			}
			w := e.workflow(wf)
			if w.Definition.Code != "policy-application" || w.State != approval.StateInReview || w.EnterpriseID != "firm-1" ||
				w.SubjectType != approval.SubjectPolicyApplication || w.Title != "企业研发投入补贴 — 湖南衡开智能电气有限公司" {
				t.Fatalf("workflow %s %s %s %q", w.Definition.Code, w.State, w.EnterpriseID, w.Title)
			}
			first := e.openTask(wf, approval.TaskReview, "commerce")
			if first.StageName != "初审" {
				t.Fatalf("first stage %q", first.StageName)
			}
			opened := e.last(wf, event.WorkflowOpened)
			if p := opened.Payload.(*approvalpb.WorkflowOpened); p.GetSubjectId() != app || p.GetSubjectType() != "policy_application" ||
				opened.CausationID != sub.ID {
				t.Fatalf("opened %v caused by %s", p, opened.CausationID)
			}
		}},
		{"withdrawn withdraws the undecided workflow", func(t *testing.T, e *env) {
			app := uuid.NewString()
			e.mustApply(e.policySubmitted(app, "wc-2026-rd-subsidy"))
			e.mustApply(e.policyWithdrawn(app))
			w := e.workflow(e.policyWorkflow(app))
			if w.State != approval.StateWithdrawn {
				t.Fatalf("state %s", w.State)
			}
			d := e.last(w.ID, event.WorkflowDecided).Payload.(*approvalpb.WorkflowDecided)
			if d.GetOutcome() != "withdrawn" || d.GetSubjectId() != app || d.GetTransition().GetActor() != "firm-1-user" {
				t.Fatalf("decided %v", d)
			}
			// Withdrawn again (a redelivery): nothing more happens.
			n := e.count(event.WorkflowDecided, w.ID)
			e.mustApply(e.policyWithdrawn(app))
			if e.count(event.WorkflowDecided, w.ID) != n {
				t.Fatal("a second withdrawal decided again")
			}
		}},
		{"withdrawn before the workflow opened is retried later", func(t *testing.T, e *env) {
			err := e.apply(e.policyWithdrawn(uuid.NewString()))
			if !errors.Is(err, inbox.ErrRetryLater) {
				t.Fatalf("err %v, want retry later", err)
			}
		}},
		{"an application without a policy code is refused for good", func(t *testing.T, e *env) {
			err := e.apply(e.policySubmitted(uuid.NewString(), ""))
			if !errors.Is(err, inbox.ErrPermanent) {
				t.Fatalf("err %v, want permanent", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newEnv(t)) })
	}
}

// TestPolicyApplicationThroughJetStream: an application published on the
// POLICY stream (twice, as a relay might) opens one workflow.
func TestPolicyApplicationThroughJetStream(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	nt := testenv.JetStream(t)
	e := newEnvOn(t, d.DB)
	run(t, e, nt, d.URL)
	app := uuid.NewString()
	sub := e.policySubmitted(app, "wc-2026-rd-subsidy")
	publish(t, nt.JS, sub, sub.ID)
	publish(t, nt.JS, sub, sub.ID+"-again")
	waitFor(t, "the policy workflow to open", func() bool { return e.policyWorkflow(app) != "" })
	w := e.workflow(e.policyWorkflow(app))
	if w.State != approval.StateInReview {
		t.Fatalf("state %s", w.State)
	}
	waitFor(t, "both deliveries to be acknowledged", func() bool {
		c, err := nt.JS.Consumer(context.Background(), event.StreamPolicy, approval.ConsumerPolicy)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Consumer >= 2
	})
	var n int
	if err := e.db.Get(&n, `SELECT count(*) FROM processed_events WHERE consumer = $1`, approval.ConsumerPolicy); err != nil || n != 1 {
		t.Fatalf("%d processed events (err %v), want the one event once", n, err)
	}
	e.policyWorkflow(app) // fails on a second workflow
}
