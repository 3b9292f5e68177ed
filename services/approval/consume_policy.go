package approval

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/policypb"
)

// ConsumerPolicy is the durable consumer of the policy service's
// applications (政策兑现): each submitted application opens a workflow of
// the policy_application definition (the policy's own, else the "*" one);
// a withdrawn one withdraws its undecided workflow.
const ConsumerPolicy = "approval-policy"

var policySubjects = []string{event.PolicyApplicationSubmitted + ".>", event.PolicyApplicationWithdrawn + ".>"}

// policyApplicationSubmitted opens the application's workflow, once: the
// subject (policy_application, application id) has at most one workflow.
func (e *Engine) policyApplicationSubmitted(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*policypb.ApplicationSubmitted)
	if !ok || p.GetApplicationId() == "" || p.GetPolicyCode() == "" {
		return permanent(ev, "application id and policy code are required")
	}
	def, found, err := definitionFor(ctx, tx, SubjectPolicyApplication, p.GetPolicyCode())
	if err != nil {
		return err
	}
	if !found {
		return permanent(ev, "no policy_application workflow definition for policy %s (nor %q)", p.GetPolicyCode(), AnyPolicy)
	}
	title := p.GetPolicyTitle()
	if n := p.GetEnterpriseName(); n != "" {
		title += " — " + n
	}
	spec := OpenSpec{Park: ev.Park, SubjectType: SubjectPolicyApplication, SubjectID: p.GetApplicationId(), Title: title,
		EnterpriseID: p.GetEnterpriseId(), PolicyCode: p.GetPolicyCode(), Channel: p.GetChannel(), SubmittedAt: ev.OccurredAt.UTC()}
	if p.GetSubmittedAt() != nil {
		spec.SubmittedAt = p.GetSubmittedAt().AsTime().UTC()
	}
	if _, err := e.cfg.Repo.openTx(ctx, tx, spec, def, e.cfg.Clock.Now().UTC(), origin{causation: ev.ID}); err != nil && !errors.Is(err, errExists) {
		return err
	}
	return nil
}

// policyApplicationWithdrawn withdraws the application's workflow unless it
// is decided; one not opened yet is retried later.
func (e *Engine) policyApplicationWithdrawn(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*policypb.ApplicationWithdrawn)
	if !ok || p.GetApplicationId() == "" {
		return permanent(ev, "application id is required")
	}
	var id string
	err := tx.GetContext(ctx, &id, `SELECT id FROM workflows WHERE subject_type = $1 AND subject_id = $2`,
		SubjectPolicyApplication, p.GetApplicationId())
	if isNoRows(err) {
		return fmt.Errorf("workflow of application %s not opened yet: %w", p.GetApplicationId(), inbox.ErrRetryLater)
	}
	if err != nil {
		return fmt.Errorf("workflow of application %s: %w", p.GetApplicationId(), err)
	}
	by := p.GetWithdrawnBy()
	if by == "" {
		by = "enterprise"
	}
	at := ev.OccurredAt.UTC()
	_, err = e.cfg.Repo.mutateTx(ctx, tx, id, origin{causation: ev.ID}, func(_ Env, w *Workflow) (bool, error) {
		if w.State.Decided() {
			return false, nil
		}
		return true, w.Withdraw(Actor{ID: by, Role: "enterprise"}, p.GetReason(), at)
	})
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	return err
}
