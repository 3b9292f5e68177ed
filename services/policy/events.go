package policy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

// What policy publishes is written in the same transaction as the change
// (repository*.go): policy.policy.saved/published/closed,
// policy.offer.created/lapsed/confirmed, policy.application.submitted/withdrawn,
// policy.disbursement.reserved/refused/paid/released.
//
// What it consumes:
//   - intake.enterprise.registered / profile_changed → the firm read model,
//     then the firm is matched again (offers made or lapsed);
//   - liaison.assignment.changed → the firm's officers (who may apply for it);
//   - approval.workflow.* and approval.stage.opened of policy_application
//     workflows → the application's state; an approval reserves the budget.

// Consumer names: the durable JetStream consumers and inbox scopes.
const (
	ConsumerIntake   = "policy-intake"
	ConsumerLiaison  = "policy-liaison"
	ConsumerApproval = "policy-approval"
)

// SubjectPolicyApplication is approval's subject type of our workflows.
const SubjectPolicyApplication = "policy_application"

var (
	intakeSubjects   = []string{event.EnterpriseRegistered + ".>", event.EnterpriseProfileChanged + ".>"}
	liaisonSubjects  = []string{event.OfficerAssigned + ".>"}
	approvalSubjects = []string{"approval.workflow.>", event.StageOpened + ".>"}
)

// EngineConfig configures an Engine.
type EngineConfig struct {
	Repo       *Repository
	Clock      clock.Clock
	Logger     *slog.Logger
	MaxDeliver int
}

// Engine applies the events policy consumes.
type Engine struct{ cfg EngineConfig }

// NewEngine returns an Engine.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Repo == nil {
		return nil, errors.New("policy engine: Repo is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = 20
	}
	return &Engine{cfg: cfg}, nil
}

// Consumers declares the durable consumers of the intake, liaison and
// approval streams. Approval's events are taken one at a time, in stream
// order, so an application's states follow its workflow's.
func (e *Engine) Consumers(ctx context.Context, js jetstream.JetStream) ([]*inbox.Consumer, error) {
	var out []*inbox.Consumer
	for _, s := range []struct {
		name, stream string
		subjects     []string
		concurrency  int
	}{
		{ConsumerIntake, event.StreamIntake, intakeSubjects, 4},
		{ConsumerLiaison, event.StreamLiaison, liaisonSubjects, 4},
		{ConsumerApproval, event.StreamApproval, approvalSubjects, 1},
	} {
		c, err := inbox.New(ctx, e.cfg.Repo.db, js, inbox.Config{Name: s.name, Stream: s.stream, Subjects: s.subjects,
			MaxDeliver: e.cfg.MaxDeliver, Concurrency: s.concurrency, Logger: e.cfg.Logger}, e.Handle)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func permanent(ev event.Event, format string, args ...any) error {
	return fmt.Errorf("%s %s: %s: %w", ev.Type, ev.ID, fmt.Sprintf(format, args...), inbox.ErrPermanent)
}

// Handle applies one event inside tx (an inbox.Handler).
func (e *Engine) Handle(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	var err error
	switch ev.Type {
	case event.EnterpriseRegistered, event.EnterpriseProfileChanged:
		err = e.enterprise(ctx, tx, ev)
	case event.OfficerAssigned:
		err = e.assignment(ctx, tx, ev)
	case event.WorkflowOpened, event.WorkflowAccepted, event.WorkflowNotAccepted, event.WorkflowPaused,
		event.WorkflowCorrectionRequested, event.WorkflowResumed, event.WorkflowDecided, event.StageOpened:
		err = e.workflow(ctx, tx, ev)
	}
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

func figuresOf(f *intakepb.DeclaredFigures) Figures {
	if f == nil {
		return Figures{}
	}
	return Figures{Year: int(f.GetYear()), RevenueFen: f.GetRevenueFen(), TaxPaidFen: f.GetTaxPaidFen(),
		RDRatioPercent: f.GetRdRatioPercent(), LandAreaMu: f.GetLandAreaMu(), Headcount: int(f.GetHeadcount())}
}

// enterprise records the firm's whole profile (unless the event is older
// than the one recorded) and matches the firm again.
func (e *Engine) enterprise(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	var f Firm
	cause := "registered"
	switch p := ev.Payload.(type) {
	case *intakepb.EnterpriseRegistered:
		f = Firm{ID: p.GetEnterpriseId(), USCC: p.GetUscc(), Name: p.GetName(), IndustryCode: p.GetIndustryCode(),
			Scale: p.GetScale(), Flags: p.GetFlags(), KeyEnterprise: p.GetKeyEnterprise(), Figures: figuresOf(p.GetFigures())}
	case *intakepb.EnterpriseProfileChanged:
		f = Firm{ID: p.GetEnterpriseId(), USCC: p.GetUscc(), Name: p.GetName(), IndustryCode: p.GetIndustryCode(),
			Scale: p.GetScale(), Flags: p.GetFlags(), KeyEnterprise: p.GetKeyEnterprise(), Figures: figuresOf(p.GetFigures())}
		cause = "profile_changed"
	}
	if f.ID == "" {
		return permanent(ev, "enterprise id is required")
	}
	f.Park = ev.Park
	if fresh, err := inbox.Advance(ctx, tx, "policy-enterprises", ev, false); err != nil || !fresh {
		return err
	}
	now := e.cfg.Clock.Now().UTC()
	if err := upsertFirm(ctx, tx, f, now); err != nil {
		return err
	}
	stored, err := loadFirm(ctx, tx, f.ID, "FOR UPDATE")
	if err != nil {
		return err
	}
	return rematchFirm(ctx, tx, stored, cause, now, ev.ID)
}

// assignment records the firm's liaison officers.
func (e *Engine) assignment(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*liaisonpb.OfficerAssigned)
	if !ok || p.GetEnterpriseId() == "" {
		return permanent(ev, "enterprise id is required")
	}
	if fresh, err := inbox.Advance(ctx, tx, "policy-assignments", ev, false); err != nil || !fresh {
		return err
	}
	return assignOfficers(ctx, tx, ev.Park, p.GetEnterpriseId(), p.GetOfficerId(), p.GetBackupOfficerId(), e.cfg.Clock.Now().UTC())
}

func at(t interface{ AsTime() time.Time }, valid bool, fallback time.Time) time.Time {
	if !valid {
		return fallback.UTC()
	}
	return t.AsTime().UTC()
}

// workflow follows a policy application's workflow. Events of ticket
// workflows are ignored; those that name no subject are matched by the
// workflow id recorded when the workflow opened.
func (e *Engine) workflow(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	var a *Application
	var err error
	bySubject := func(subjectType, subjectID string) error {
		if subjectType != SubjectPolicyApplication {
			return nil
		}
		a, err = loadApp(ctx, tx, subjectID, "FOR UPDATE")
		if err != nil {
			return permanent(ev, "application %s: %v", subjectID, err)
		}
		return nil
	}
	switch p := ev.Payload.(type) {
	case *approvalpb.WorkflowOpened:
		err = bySubject(p.GetSubjectType(), p.GetSubjectId())
	case *approvalpb.WorkflowAccepted:
		err = bySubject(p.GetSubjectType(), p.GetSubjectId())
	case *approvalpb.WorkflowDecided:
		err = bySubject(p.GetSubjectType(), p.GetSubjectId())
	default:
		a, err = appByWorkflow(ctx, tx, ev.AggregateID)
	}
	if err != nil || a == nil {
		return err
	}
	if fresh, err := inbox.Advance(ctx, tx, "policy-workflows", ev, false); err != nil || !fresh {
		return err
	}
	wf := ev.AggregateID
	when := ev.OccurredAt.UTC()
	if a.WorkflowID == "" {
		a.WorkflowID = wf
	}
	action, detail := "", ""
	switch p := ev.Payload.(type) {
	case *approvalpb.WorkflowOpened:
		action, detail = "workflow_opened", p.GetDefinitionCode()
	case *approvalpb.WorkflowAccepted:
		if a.State == AppSubmitted {
			a.State = AppInReview
		}
		action = "accepted"
	case *approvalpb.StageOpened:
		a.Stage, action, detail = p.GetStageName(), "stage_opened", p.GetStageName()
	case *approvalpb.WorkflowPaused:
		if a.Undecided() && p.GetReason() == approvalpb.PauseReason_PAUSE_REASON_PUBLIC_NOTICE {
			a.State = AppPublicNotice
		}
		action, detail = "paused", p.GetReason().String()
		if p.GetResumeDueAt() != nil {
			detail += " until " + p.GetResumeDueAt().AsTime().In(shanghai).Format("2006-01-02 15:04")
		}
	case *approvalpb.WorkflowResumed:
		if a.State == AppPublicNotice {
			a.State = AppInReview
		}
		action = "resumed"
	case *approvalpb.WorkflowNotAccepted:
		if !a.Undecided() {
			return nil
		}
		a.State, a.Reason, a.DecidedAt, a.ClosedAt = AppNotAccepted, p.GetReason(), at(p.GetDecidedAt(), p.GetDecidedAt() != nil, when), when
		action, detail = "not_accepted", p.GetReason()
	case *approvalpb.WorkflowDecided:
		if !a.Undecided() {
			return nil // withdrawn meanwhile, or decided already
		}
		decided := at(p.GetDecidedAt(), p.GetDecidedAt() != nil, when)
		switch p.GetOutcome() {
		case "approved":
			return reserve(ctx, tx, a, wf, p.GetDecisionNumber(), decided, ev.ID)
		case "withdrawn":
			a.State = AppWithdrawn
		default:
			a.State = AppDenied
		}
		a.Reason, a.DecidedAt, a.ClosedAt = p.GetTransition().GetReason(), decided, decided
		action, detail = p.GetOutcome(), p.GetTransition().GetReason()
	default:
		return nil
	}
	// Approval's own events are the audit trail of these steps: the
	// application's version (of policy's events) does not move.
	if err := setState(ctx, tx, a); err != nil {
		return err
	}
	return history(ctx, tx, a, when, action, "approval", detail)
}
