package approval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// Consumer names: the durable JetStream consumers and inbox scopes.
const (
	ConsumerIntake = "approval-intake"
	ConsumerSLA    = "approval-sla"
)

// BadCreditFlags are the enterprise flags (intake.enterprise.registered)
// that withhold tolerant acceptance and commitment approval.
var BadCreditFlags = []string{badCreditFlag, "bad_credit", "dishonest", "失信"}

// EngineConfig configures an Engine.
type EngineConfig struct {
	// Repo is the store. Required.
	Repo *Repository
	// Clock tells the time. Default clock.System().
	Clock clock.Clock
	// Logger receives warnings. Default slog.Default().
	Logger *slog.Logger
	// MaxDeliver bounds the tries of a failing event. Default 20.
	MaxDeliver int
}

// Engine applies the events approval consumes: intake's submissions,
// supplied materials, withdrawals and firms; sla's clocks (deadlines for the
// work queue, breaches for deemed approvals and lapsed tolerant acceptances).
type Engine struct {
	cfg EngineConfig
}

// NewEngine returns an Engine.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Repo == nil {
		return nil, errors.New("approval engine: Repo is required")
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

// Subjects each consumer takes.
var (
	intakeSubjects = []string{event.TicketSubmitted + ".>", event.TicketMaterialsSupplied + ".>",
		event.TicketWithdrawn + ".>", event.EnterpriseRegistered + ".>", event.EnterpriseProfileChanged + ".>"}
	slaSubjects = []string{"sla.clock.>"}
)

// Consumers declares the durable consumers of the intake, sla and policy streams.
func (e *Engine) Consumers(ctx context.Context, js jetstream.JetStream) ([]*inbox.Consumer, error) {
	var out []*inbox.Consumer
	for _, s := range []struct {
		name, stream string
		subjects     []string
	}{{ConsumerIntake, event.StreamIntake, intakeSubjects}, {ConsumerSLA, event.StreamSLA, slaSubjects},
		{ConsumerPolicy, event.StreamPolicy, policySubjects}} {
		c, err := inbox.New(ctx, e.cfg.Repo.db, js, inbox.Config{Name: s.name, Stream: s.stream, Subjects: s.subjects,
			MaxDeliver: e.cfg.MaxDeliver, Logger: e.cfg.Logger}, e.Handle)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Handle applies one event inside tx (an inbox.Handler). Each handler is
// idempotent by state, so events of one ticket may come in any order: one
// that needs the ticket's workflows before they exist is retried later.
func (e *Engine) Handle(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	var err error
	switch ev.Type {
	case event.TicketSubmitted:
		err = e.ticketSubmitted(ctx, tx, ev)
	case event.TicketMaterialsSupplied:
		err = e.materialsSupplied(ctx, tx, ev)
	case event.TicketWithdrawn:
		err = e.ticketWithdrawn(ctx, tx, ev)
	case event.EnterpriseRegistered:
		err = e.enterpriseRegistered(ctx, tx, ev)
	case event.EnterpriseProfileChanged:
		err = e.enterpriseProfileChanged(ctx, tx, ev)
	case event.PolicyApplicationSubmitted:
		err = e.policyApplicationSubmitted(ctx, tx, ev)
	case event.PolicyApplicationWithdrawn:
		err = e.policyApplicationWithdrawn(ctx, tx, ev)
	case event.ClockStarted, event.ClockPaused, event.ClockResumed, event.ClockWarned, event.ClockBreached,
		event.ClockStopped, event.ClockCancelled, event.ClockReset, event.ClockDeadlineChanged, event.ClockEscalated:
		err = e.clockChanged(ctx, tx, ev)
	}
	if err != nil {
		return fmt.Errorf("apply %s %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

func permanent(ev event.Event, format string, args ...any) error {
	return fmt.Errorf("%s %s: %s: %w", ev.Type, ev.ID, fmt.Sprintf(format, args...), inbox.ErrPermanent)
}

func channelName(c intakepb.Channel) string {
	switch c {
	case intakepb.Channel_CHANNEL_ONLINE:
		return "online"
	case intakepb.Channel_CHANNEL_WINDOW:
		return "window"
	case intakepb.Channel_CHANNEL_PROXY:
		return "proxy"
	}
	return ""
}

// ticketSubmitted opens a workflow per matter of the ticket: one for a
// matter, one per child matter of a bundle (一件事, run in parallel).
func (e *Engine) ticketSubmitted(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*intakepb.TicketSubmitted)
	if !ok || p.GetTicketId() == "" {
		return permanent(ev, "ticket id is required")
	}
	kind := p.GetKind()
	if _, err := tx.ExecContext(ctx, `INSERT INTO tickets_seen (ticket_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		p.GetTicketId(), kind.String()); err != nil {
		return fmt.Errorf("record ticket: %w", err)
	}
	if kind != intakepb.TicketKind_TICKET_KIND_MATTER && kind != intakepb.TicketKind_TICKET_KIND_BUNDLE {
		return nil
	}
	codes := p.GetMatterCodes()
	if len(codes) == 0 {
		return permanent(ev, "a matter or bundle ticket without matter codes")
	}
	bundle := kind == intakepb.TicketKind_TICKET_KIND_BUNDLE
	now := e.cfg.Clock.Now().UTC()
	for i, code := range codes {
		def, found, err := definitionFor(ctx, tx, SubjectTicket, code)
		if err != nil {
			return err
		}
		if !found {
			dept := ""
			if ds := p.GetDepartments(); len(ds) == len(codes) {
				dept = ds[i]
			} else if len(ds) > 0 {
				dept = ds[0]
			}
			if dept == "" {
				return permanent(ev, "no workflow definition for matter %s and no department to fall back on", code)
			}
			e.cfg.Logger.WarnContext(ctx, "no workflow definition for the matter: one review stage by its department",
				"matter", code, "department", dept, "ticket", p.GetTicketId())
			def = fallbackDefinition(code, dept, int(p.GetCommitmentWorkingDays()), int(p.GetLegalWorkingDays()))
		}
		spec := OpenSpec{Park: ev.Park, SubjectType: SubjectTicket, SubjectID: p.GetTicketId(), TicketID: p.GetTicketId(),
			TicketNumber: p.GetNumber(), Title: p.GetTitle(), EnterpriseID: p.GetEnterpriseId(), MatterCode: code,
			BundleCode: p.GetBundleCode(), Channel: channelName(p.GetChannel()), SubmittedAt: p.GetSubmittedAt().AsTime().UTC()}
		if p.GetSubmittedAt() == nil {
			spec.SubmittedAt = ev.OccurredAt.UTC()
		}
		if bundle {
			// Each child keeps its matter's commitment, never beyond the bundle's.
			spec.SubjectID = p.GetTicketId() + "/" + code
			spec.CommitmentDays = def.CommitmentDays
			if c := int(p.GetCommitmentWorkingDays()); c > 0 && c < spec.CommitmentDays {
				spec.CommitmentDays = c
			}
			spec.LegalDays, spec.WarnDays = def.LegalDays, def.WarnDays
			for _, m := range p.GetMissingNonKeyMaterials() {
				if def.hasMaterial(m) {
					spec.MissingMaterials = append(spec.MissingMaterials, m)
				}
			}
		} else {
			spec.CommitmentDays, spec.LegalDays = int(p.GetCommitmentWorkingDays()), int(p.GetLegalWorkingDays())
			spec.WarnDays = int(p.GetWarnWorkingDays())
			spec.MissingMaterials = slices.Clone(p.GetMissingNonKeyMaterials())
		}
		if _, err := e.cfg.Repo.openTx(ctx, tx, spec, def, now, origin{causation: ev.ID}); err != nil && !errors.Is(err, errExists) {
			return err
		}
	}
	return nil
}

// fallbackDefinition serves a matter that has no definition: accepted and
// reviewed by its department, one stage.
func fallbackDefinition(matter, dept string, commitment, legal int) Definition {
	commitment = max(commitment, 1)
	return Definition{Code: "fallback-" + matter, Name: matter, Subject: SubjectTicket, Matter: matter, Department: dept,
		CommitmentDays: commitment, LegalDays: max(legal, commitment), WarnDays: 1,
		Acceptance: Acceptance{Department: dept},
		Stages:     []Stage{{Code: "review", Name: "审查决定", Kind: StageReview, Department: dept}}}
}

// ticketWorkflows returns the ids of a ticket's workflows; a ticket not
// submitted yet is retried later.
func (e *Engine) ticketWorkflows(ctx context.Context, tx *sqlx.Tx, ev event.Event, ticket string) ([]string, error) {
	var seen bool
	if err := tx.GetContext(ctx, &seen, `SELECT EXISTS (SELECT 1 FROM tickets_seen WHERE ticket_id = $1)`, ticket); err != nil {
		return nil, fmt.Errorf("ticket %s: %w", ticket, err)
	}
	if !seen {
		return nil, fmt.Errorf("ticket %s not submitted yet: %w", ticket, inbox.ErrRetryLater)
	}
	return workflowIDsOfTicket(ctx, tx, ticket)
}

// firm is the actor of what the firm did through intake.
func firm(w *Workflow) Actor {
	id := w.EnterpriseID
	if id == "" {
		id = "enterprise"
	}
	return Actor{ID: id, Role: "enterprise"}
}

// materialsSupplied resumes a ticket's workflows waiting for a correction,
// or records the materials missing under tolerant acceptance.
func (e *Engine) materialsSupplied(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*intakepb.TicketMaterialsSupplied)
	if !ok || p.GetTicketId() == "" {
		return permanent(ev, "ticket id is required")
	}
	ids, err := e.ticketWorkflows(ctx, tx, ev, p.GetTicketId())
	if err != nil {
		return err
	}
	at := ev.OccurredAt.UTC()
	for _, id := range ids {
		if _, err := e.cfg.Repo.mutateTx(ctx, tx, id, origin{causation: ev.ID}, func(env Env, w *Workflow) (bool, error) {
			return w.MaterialsSupplied(ctx, env, firm(w), p.GetMaterials(), at)
		}); err != nil {
			return err
		}
	}
	return nil
}

// ticketWithdrawn withdraws a ticket's undecided workflows.
func (e *Engine) ticketWithdrawn(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*intakepb.TicketWithdrawn)
	if !ok || p.GetTicketId() == "" {
		return permanent(ev, "ticket id is required")
	}
	ids, err := e.ticketWorkflows(ctx, tx, ev, p.GetTicketId())
	if err != nil {
		return err
	}
	at := ev.OccurredAt.UTC()
	for _, id := range ids {
		if _, err := e.cfg.Repo.mutateTx(ctx, tx, id, origin{causation: ev.ID}, func(_ Env, w *Workflow) (bool, error) {
			if w.State.Decided() {
				return false, nil
			}
			return true, w.Withdraw(firm(w), p.GetReason(), at)
		}); err != nil {
			return err
		}
	}
	return nil
}

// enterpriseRegistered records the firm's flags.
func (e *Engine) enterpriseRegistered(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*intakepb.EnterpriseRegistered)
	if !ok || p.GetEnterpriseId() == "" {
		return permanent(ev, "enterprise id is required")
	}
	return recordEnterprise(ctx, tx, ev, p.GetEnterpriseId(), p.GetName(), p.GetFlags())
}

// enterpriseProfileChanged keeps the firm's flags current: a bad-credit flag
// set after registration closes tolerant acceptance and commitment approval.
// The event carries the whole profile after the change.
func (e *Engine) enterpriseProfileChanged(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	p, ok := ev.Payload.(*intakepb.EnterpriseProfileChanged)
	if !ok || p.GetEnterpriseId() == "" {
		return permanent(ev, "enterprise id is required")
	}
	return recordEnterprise(ctx, tx, ev, p.GetEnterpriseId(), p.GetName(), p.GetFlags())
}

// recordEnterprise upserts the firm's read model unless ev is older than the
// profile already recorded (registration and changes may arrive out of order).
func recordEnterprise(ctx context.Context, tx *sqlx.Tx, ev event.Event, id, name string, flags []string) error {
	if fresh, err := inbox.Advance(ctx, tx, "approval-enterprises", ev, false); err != nil || !fresh {
		return err
	}
	bad := slices.ContainsFunc(flags, func(f string) bool {
		return slices.Contains(BadCreditFlags, strings.ToLower(strings.TrimSpace(f)))
	})
	if _, err := tx.ExecContext(ctx, `INSERT INTO enterprises (enterprise_id, park, name, flags, intake_bad_credit)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enterprise_id) DO UPDATE SET park = EXCLUDED.park, name = EXCLUDED.name,
		flags = EXCLUDED.flags, intake_bad_credit = EXCLUDED.intake_bad_credit`,
		id, ev.Park, name, pq.StringArray(append([]string{}, flags...)), bad); err != nil {
		return fmt.Errorf("record enterprise: %w", err)
	}
	return nil
}

// clockOf returns the clock snapshot an sla.clock.* event carries.
func clockOf(ev event.Event) *slapb.Clock {
	switch p := ev.Payload.(type) {
	case *slapb.ClockEvent:
		return p.GetClock()
	case *slapb.DeadlineChanged:
		return p.GetClock()
	case *slapb.Escalated:
		return p.GetClock()
	}
	return nil
}

func pbTime(t interface{ AsTime() time.Time }, valid bool) any {
	if !valid {
		return nil
	}
	return t.AsTime().UTC()
}

// clockChanged keeps the newest snapshot of each clock (deadlines for the
// work queue) and applies breaches: a stage clock's is a deemed approval
// when the stage says so (超时默认); a supplement clock's lapses a tolerant
// acceptance whose materials never came.
func (e *Engine) clockChanged(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	c := clockOf(ev)
	if c == nil || c.GetClockId() == "" {
		return permanent(ev, "a clock event without its clock")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO clock_deadlines (clock_id, park, kind, subject_id, ticket_id, state, paused,
		started_at, deadline, warn_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (clock_id) DO UPDATE SET state = EXCLUDED.state, paused = EXCLUDED.paused,
		started_at = EXCLUDED.started_at, deadline = EXCLUDED.deadline, warn_at = EXCLUDED.warn_at, version = EXCLUDED.version
		WHERE clock_deadlines.version < EXCLUDED.version`,
		c.GetClockId(), ev.Park, c.GetKind(), c.GetSubjectId(), c.GetTicketId(), stateName(c.GetState()), c.GetPaused(),
		pbTime(c.GetStartedAt(), c.GetStartedAt() != nil), pbTime(c.GetDeadline(), c.GetDeadline() != nil),
		pbTime(c.GetWarnAt(), c.GetWarnAt() != nil), ev.AggregateVersion)
	if err != nil {
		return fmt.Errorf("record clock %s: %w", c.GetClockId(), err)
	}
	if ev.Type != event.ClockBreached {
		return nil
	}
	at := ev.OccurredAt.UTC()
	subject := c.GetSubjectId()
	if _, err := uuid.Parse(subject); err != nil {
		return nil
	}
	var workflowID string
	switch c.GetKind() {
	case "stage":
		err := tx.GetContext(ctx, &workflowID, `SELECT workflow_id FROM tasks WHERE id = $1`, subject)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("task of stage clock %s: %w", c.GetClockId(), err)
		}
		_, err = e.cfg.Repo.mutateTx(ctx, tx, workflowID, origin{causation: ev.ID}, func(env Env, w *Workflow) (bool, error) {
			return w.StageTimedOut(ctx, env, subject, at)
		})
		return ignoreNotFound(err)
	case "supplement":
		_, err := e.cfg.Repo.mutateTx(ctx, tx, subject, origin{causation: ev.ID}, func(_ Env, w *Workflow) (bool, error) {
			return w.SupplementLapsed(at)
		})
		return ignoreNotFound(err)
	}
	return nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, fault.ErrNotFound) {
		return nil
	}
	return err
}

func stateName(s slapb.ClockState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "CLOCK_STATE_"))
}
