package intake

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/proto/slapb"
)

// What intake consumes, each stream through its own durable consumer that
// takes every subject of the stream, so that each aggregate's versions arrive
// without gaps and are applied strictly in order (types intake has no use for
// only advance the version):
//
//	APPROVAL  approval.workflow.* and approval.stage.* move a ticket's matters
//	          (accepted, correction requested, decided...) and so the ticket's
//	          status; a ticket completes, and intake.ticket.closed is
//	          published, when every matter's workflow has finished.
//	          approval.enterprise.credit_flagged sets the firm's bad-credit flag.
//	SLA       sla.clock.* update the ticket's SLA state and deadline as last reported.
//	LIAISON   liaison.assignment.changed / liaison.officer.handover keep each
//	          firm's officer (for scoping and the profile); liaison.request.*
//	          move demands; liaison.visit.ticket_requested files a proxy demand.
//
// Every event touching a ticket is appended to its timeline.

// Consumer names: durable JetStream consumers and inbox scopes.
const (
	ConsumerApproval = "intake-approval"
	ConsumerSLA      = "intake-sla"
	ConsumerLiaison  = "intake-liaison"
)

// Engine applies consumed events to intake's state.
type Engine struct {
	repo       *Repository
	clock      clock.Clock
	logger     *slog.Logger
	maxDeliver int
}

// EngineConfig configures an Engine.
type EngineConfig struct {
	Repo   *Repository
	Clock  clock.Clock
	Logger *slog.Logger
	// MaxDeliver bounds the tries of a failing event, waiting for an earlier
	// one included, before it is dead-lettered. Default 20.
	MaxDeliver int
}

// NewEngine returns an Engine.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.Repo == nil {
		return nil, fmt.Errorf("intake engine: repository required")
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
	return &Engine{repo: cfg.Repo, clock: cfg.Clock, logger: cfg.Logger, maxDeliver: cfg.MaxDeliver}, nil
}

// Consumers declares the durable consumers of the approval, sla and liaison streams.
func (e *Engine) Consumers(ctx context.Context, js jetstream.JetStream) ([]*inbox.Consumer, error) {
	var out []*inbox.Consumer
	for _, s := range []struct{ name, stream string }{
		{ConsumerApproval, event.StreamApproval}, {ConsumerSLA, event.StreamSLA}, {ConsumerLiaison, event.StreamLiaison},
	} {
		c, err := inbox.New(ctx, e.repo.db, js, inbox.Config{Name: s.name, Stream: s.stream, MaxDeliver: e.maxDeliver,
			Logger: e.logger}, e.Handler(s.name))
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Handler returns the inbox handler of the consumer named scope.
func (e *Engine) Handler(scope string) inbox.Handler {
	return func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
		if ev.AggregateID != "" && ev.AggregateVersion > 0 {
			fresh, err := inbox.Advance(ctx, tx, scope, ev, true)
			if err != nil || !fresh {
				return err
			}
		}
		h, ok := handlers[ev.Type]
		if !ok {
			return nil
		}
		a := &apply{e: e, tx: tx, ev: ev, now: e.clock.Now().UTC(), origin: origin{traceparent: ev.Traceparent, causation: ev.ID}}
		if err := h(a, ctx); err != nil {
			return fmt.Errorf("apply %s %s: %w", ev.Type, ev.ID, err)
		}
		return nil
	}
}

// apply is the application of one event inside its transaction.
type apply struct {
	e      *Engine
	tx     *sqlx.Tx
	ev     event.Event
	now    time.Time
	origin origin
}

var handlers = map[string]func(*apply, context.Context) error{
	event.WorkflowOpened:              (*apply).workflowOpened,
	event.WorkflowAccepted:            (*apply).workflowAccepted,
	event.WorkflowNotAccepted:         (*apply).workflowNotAccepted,
	event.WorkflowCorrectionRequested: (*apply).workflowPaused,
	event.WorkflowPaused:              (*apply).workflowPaused,
	event.WorkflowResumed:             (*apply).workflowResumed,
	event.WorkflowDecided:             (*apply).workflowDecided,
	event.WorkflowRevoked:             (*apply).workflowRevoked,
	event.StageOpened:                 (*apply).stageOpened,
	event.StageCompleted:              (*apply).workflowNote,
	event.ExtensionRequested:          (*apply).workflowNote,
	event.TaskDelegated:               (*apply).workflowNote,
	event.VerificationCompleted:       (*apply).workflowNote,
	event.EnterpriseCreditFlagged:     (*apply).creditFlagged,

	event.ClockStarted:         (*apply).clock,
	event.ClockPaused:          (*apply).clock,
	event.ClockResumed:         (*apply).clock,
	event.ClockWarned:          (*apply).clock,
	event.ClockBreached:        (*apply).clock,
	event.ClockStopped:         (*apply).clock,
	event.ClockCancelled:       (*apply).clock,
	event.ClockReset:           (*apply).clock,
	event.ClockDeadlineChanged: (*apply).clock,
	event.ClockEscalated:       (*apply).clock,

	event.OfficerAssigned:      (*apply).officerAssigned,
	event.OfficerHandover:      (*apply).handover,
	event.RequestDispatched:    (*apply).requestDispatched,
	event.RequestAcknowledged:  (*apply).requestAcknowledged,
	event.RequestReturned:      (*apply).requestNote,
	event.RequestChased:        (*apply).requestNote,
	event.RequestClosed:        (*apply).requestNote,
	event.VisitTicketRequested: (*apply).visitTicket,
}

// at returns the instant a payload gives, or the event's when it gives none.
func (a *apply) at(t *timestamppb.Timestamp) time.Time {
	if t == nil || !t.IsValid() || (t.GetSeconds() == 0 && t.GetNanos() == 0) {
		return a.ev.OccurredAt.UTC()
	}
	return t.AsTime().UTC()
}

func permanent(ev event.Event, format string, args ...any) error {
	return fmt.Errorf("%s %s: %s: %w", ev.Type, ev.ID, fmt.Sprintf(format, args...), inbox.ErrPermanent)
}

// onTicket applies fn to the ticket id names, if intake has it: approval
// and sla also run policy applications, whose ids are not tickets.
func (a *apply) onTicket(ctx context.Context, id string, fn func(t *Ticket) (Change, error)) error {
	if !validUUID(id) {
		return nil
	}
	_, err := a.e.repo.updateTicketTx(ctx, a.tx, id, a.now, a.origin, fn)
	if fault.KindOf(err) == fault.ErrNotFound {
		return nil
	}
	return err
}

// entry is a timeline entry for the event being applied.
func (a *apply) entry(at time.Time, actor, summary string, detail map[string]any) TimelineEntry {
	return TimelineEntry{At: at, Type: a.ev.Type, Actor: actor, Summary: summary, Detail: detail, EventID: a.ev.ID}
}

// finish derives the ticket's status after a change to its items and, when
// it has just completed, closes it.
func finish(t *Ticket, ch *Change, at time.Time) {
	if Derive(t) {
		done := at
		t.CompletedAt = &done
		ch.Emits = append(ch.Emits, closedEvent(*t))
		ch.Timeline = append(ch.Timeline, TimelineEntry{At: at, Type: event.TicketClosed,
			Summary: "completed: " + t.Outcome, Detail: map[string]any{"outcome": t.Outcome}})
	}
}

// item finds the ticket's item of a workflow, binding the workflow to the
// item of its matter (or to the only unbound item) the first time.
func item(t *Ticket, workflow, matter string) int {
	for i, it := range t.Items {
		if workflow != "" && it.WorkflowID == workflow {
			return i
		}
	}
	var unbound []int
	for i, it := range t.Items {
		if it.WorkflowID != "" {
			continue
		}
		if matter != "" && it.MatterCode == matter {
			t.Items[i].WorkflowID = workflow
			return i
		}
		unbound = append(unbound, i)
	}
	if matter == "" && len(unbound) > 0 {
		// A workflow event without a matter code before the workflow was
		// opened: only unambiguous when one matter is left unbound; else the
		// first unbound in catalog order (approval opens them in that order).
		t.Items[unbound[0]].WorkflowID = workflow
		return unbound[0]
	}
	return -1
}

func transitionActor(tr *approvalpb.Transition) string {
	if tr == nil {
		return ""
	}
	return tr.GetActor()
}

// onItem applies fn to the item of a workflow of a ticket and derives the ticket.
func (a *apply) onItem(ctx context.Context, ticket, workflow, matter string,
	fn func(t *Ticket, it *TicketItem) TimelineEntry) error {
	return a.onTicket(ctx, ticket, func(t *Ticket) (Change, error) {
		if t.Kind != KindMatter && t.Kind != KindBundle {
			return Change{}, nil
		}
		i := item(t, workflow, matter)
		if i < 0 {
			a.e.logger.WarnContext(ctx, "workflow event for a matter the ticket does not have",
				"type", a.ev.Type, "ticket", ticket, "workflow", workflow, "matter", matter)
			return Change{}, nil
		}
		it := &t.Items[i]
		entry := fn(t, it)
		it.UpdatedAt = a.now
		if entry.Detail == nil {
			entry.Detail = map[string]any{}
		}
		entry.Detail["matter_code"], entry.Detail["workflow_id"] = it.MatterCode, workflow
		ch := Change{Timeline: []TimelineEntry{entry}}
		finish(t, &ch, entry.At)
		return ch, nil
	})
}

func (a *apply) workflowOpened(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowOpened)
	if p.GetSubjectType() != "" && p.GetSubjectType() != "ticket" {
		return nil
	}
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), p.GetMatterCode(), func(t *Ticket, it *TicketItem) TimelineEntry {
		if it.Status == ItemPending && it.Stage == "" {
			it.Stage, it.StageDepartment = "acceptance", p.GetAcceptanceDepartment()
		}
		return a.entry(a.at(p.GetOpenedAt()), transitionActor(p.GetTransition()),
			fmt.Sprintf("workflow opened for %s, awaiting acceptance (受理)", it.MatterName), nil)
	})
}

func (a *apply) workflowAccepted(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowAccepted)
	if p.GetSubjectType() != "" && p.GetSubjectType() != "ticket" {
		return nil
	}
	at := a.at(p.GetAcceptedAt())
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), p.GetMatterCode(), func(t *Ticket, it *TicketItem) TimelineEntry {
		if !it.Terminal() {
			it.Status = ItemAccepted
		}
		if it.Stage == "acceptance" {
			it.Stage, it.StageDepartment = "", ""
		}
		if len(p.GetMissingMaterials()) > 0 {
			it.MissingMaterials = append([]string{}, p.GetMissingMaterials()...)
		}
		if t.AcceptedAt == nil {
			t.AcceptedAt = &at
		}
		detail := map[string]any{"department": p.GetDepartment(), "commitment_working_days": p.GetCommitmentWorkingDays()}
		summary := fmt.Sprintf("%s accepted (受理) by %s", it.MatterName, p.GetDepartment())
		if d := p.GetSupplementDueWorkingDays(); d > 0 {
			summary += fmt.Sprintf("; tolerant acceptance (容缺), materials due in %d working days", d)
			detail["supplement_due_working_days"] = d
		}
		if p.GetVerificationWorkingDays() > 0 {
			detail["commitment_approval"] = true
		}
		return a.entry(at, transitionActor(p.GetTransition()), summary, detail)
	})
}

func (a *apply) workflowNotAccepted(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowNotAccepted)
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), "", func(t *Ticket, it *TicketItem) TimelineEntry {
		it.Status, it.Reason, it.Stage, it.StageDepartment = ItemNotAccepted, p.GetReason(), "", ""
		return a.entry(a.at(p.GetDecidedAt()), transitionActor(p.GetTransition()),
			fmt.Sprintf("%s not accepted (不予受理): %s", it.MatterName, p.GetReason()), map[string]any{"reason": p.GetReason()})
	})
}

var pauseNames = map[approvalpb.PauseReason]string{
	approvalpb.PauseReason_PAUSE_REASON_CORRECTION:    "correction",
	approvalpb.PauseReason_PAUSE_REASON_PUBLIC_NOTICE: "public_notice",
	approvalpb.PauseReason_PAUSE_REASON_HEARING:       "hearing",
	approvalpb.PauseReason_PAUSE_REASON_TESTING:       "testing",
	approvalpb.PauseReason_PAUSE_REASON_EXPERT_REVIEW: "expert_review",
}

func (a *apply) workflowPaused(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowPaused)
	correction := a.ev.Type == event.WorkflowCorrectionRequested
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), "", func(t *Ticket, it *TicketItem) TimelineEntry {
		at := a.at(p.GetPausedAt())
		if correction {
			if !it.Terminal() {
				it.Status = ItemCorrectionRequested
			}
			it.CorrectionItems = append([]string{}, p.GetItems()...)
			it.Paused = "correction"
			return a.entry(at, transitionActor(p.GetTransition()),
				fmt.Sprintf("%s: correction requested (补正): %s", it.MatterName, strings.Join(p.GetItems(), ", ")),
				map[string]any{"items": p.GetItems()})
		}
		it.Paused = pauseNames[p.GetReason()]
		return a.entry(at, transitionActor(p.GetTransition()), fmt.Sprintf("%s paused: %s", it.MatterName, it.Paused),
			map[string]any{"reason": it.Paused})
	})
}

func (a *apply) workflowResumed(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowResumed)
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), "", func(t *Ticket, it *TicketItem) TimelineEntry {
		it.Paused = ""
		if it.Status == ItemCorrectionRequested {
			it.Status, it.CorrectionItems = ItemAccepted, []string{}
		}
		return a.entry(a.at(p.GetResumedAt()), transitionActor(p.GetTransition()), it.MatterName+" resumed", nil)
	})
}

var decidedStatus = map[string]string{"approved": ItemApproved, "denied": ItemDenied, "withdrawn": ItemWithdrawn, "lapsed": ItemLapsed}

func (a *apply) workflowDecided(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowDecided)
	if p.GetSubjectType() != "" && p.GetSubjectType() != "ticket" {
		return nil
	}
	status, ok := decidedStatus[p.GetOutcome()]
	if !ok {
		return permanent(a.ev, "unknown outcome %q", p.GetOutcome())
	}
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), p.GetMatterCode(), func(t *Ticket, it *TicketItem) TimelineEntry {
		it.Status, it.DecisionNumber, it.Stage, it.StageDepartment, it.Paused = status, p.GetDecisionNumber(), "", "", ""
		it.CorrectionItems = []string{}
		if tr := p.GetTransition(); tr != nil {
			it.Reason = tr.GetReason()
		}
		summary := fmt.Sprintf("%s %s", it.MatterName, p.GetOutcome())
		if p.GetDecisionNumber() != "" {
			summary += " " + p.GetDecisionNumber()
		}
		return a.entry(a.at(p.GetDecidedAt()), transitionActor(p.GetTransition()), summary,
			map[string]any{"outcome": p.GetOutcome(), "decision_number": p.GetDecisionNumber()})
	})
}

func (a *apply) workflowRevoked(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.WorkflowRevoked)
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), "", func(t *Ticket, it *TicketItem) TimelineEntry {
		it.Status, it.Reason = ItemRevoked, p.GetReason()
		if t.Status == StatusCompleted {
			counts := map[string]int{}
			for _, x := range t.Items {
				counts[x.Status]++
			}
			t.Outcome = outcome(counts, len(t.Items))
		}
		return a.entry(a.at(p.GetRevokedAt()), transitionActor(p.GetTransition()),
			fmt.Sprintf("%s approval %s revoked: %s", it.MatterName, p.GetDecisionNumber(), p.GetReason()),
			map[string]any{"reason": p.GetReason(), "decision_number": p.GetDecisionNumber()})
	})
}

func (a *apply) stageOpened(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.StageOpened)
	return a.onItem(ctx, p.GetTicketId(), p.GetWorkflowId(), "", func(t *Ticket, it *TicketItem) TimelineEntry {
		if !it.Terminal() {
			it.Stage, it.StageDepartment = p.GetStageName(), p.GetDepartment()
		}
		return a.entry(a.at(p.GetOpenedAt()), transitionActor(p.GetTransition()),
			fmt.Sprintf("%s: stage %s opened at %s", it.MatterName, p.GetStageName(), p.GetDepartment()),
			map[string]any{"stage": p.GetStageName(), "department": p.GetDepartment(), "share_working_days": p.GetShareWorkingDays()})
	})
}

// workflowNote records an approval event on the timeline without changing state.
func (a *apply) workflowNote(ctx context.Context) error {
	var ticket, workflow, summary string
	var tr *approvalpb.Transition
	detail := map[string]any{}
	switch p := a.ev.Payload.(type) {
	case *approvalpb.StageCompleted:
		ticket, workflow, tr = p.GetTicketId(), p.GetWorkflowId(), p.GetTransition()
		summary = fmt.Sprintf("stage %s completed: %s", p.GetStageCode(), p.GetOutcome())
		if p.GetDeemed() {
			summary += " (deemed)"
		}
		detail["outcome"], detail["department"] = p.GetOutcome(), p.GetDepartment()
	case *approvalpb.ExtensionRequested:
		ticket, workflow, tr = p.GetTicketId(), p.GetWorkflowId(), p.GetTransition()
		summary = fmt.Sprintf("extension (延期) of %d working days requested: %s", p.GetWorkingDays(), p.GetReason())
	case *approvalpb.VerificationCompleted:
		ticket, workflow, tr = p.GetTicketId(), p.GetWorkflowId(), p.GetTransition()
		summary = "verification (核查) passed"
		if !p.GetPassed() {
			summary = "verification (核查) failed: " + p.GetReason()
		}
	case *approvalpb.TaskDelegated:
		workflow, tr = p.GetWorkflowId(), p.GetTransition()
		summary = "task delegated within " + p.GetDepartment()
	default:
		return nil
	}
	if ticket == "" {
		var err error
		if ticket, err = a.ticketOfWorkflow(ctx, workflow); err != nil || ticket == "" {
			return err
		}
	}
	return a.onTicket(ctx, ticket, func(t *Ticket) (Change, error) {
		detail["workflow_id"] = workflow
		for _, it := range t.Items {
			if it.WorkflowID == workflow {
				detail["matter_code"] = it.MatterCode
			}
		}
		return Change{Timeline: []TimelineEntry{a.entry(a.ev.OccurredAt.UTC(), transitionActor(tr), summary, detail)}}, nil
	})
}

func (a *apply) ticketOfWorkflow(ctx context.Context, workflow string) (string, error) {
	if workflow == "" {
		return "", nil
	}
	var ids []string
	if err := a.tx.SelectContext(ctx, &ids, `SELECT ticket_id FROM ticket_items WHERE workflow_id = $1`, workflow); err != nil {
		return "", fmt.Errorf("ticket of workflow: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// creditFlagged sets the firm's bad-credit flag (a false commitment found at
// verification) and publishes its profile change.
func (a *apply) creditFlagged(ctx context.Context) error {
	p := a.ev.Payload.(*approvalpb.EnterpriseCreditFlagged)
	e, err := enterpriseTx(ctx, a.tx, p.GetEnterpriseId(), true)
	if fault.KindOf(err) == fault.ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if e.HasFlag(FlagBadCredit) {
		return nil
	}
	e.Flags = append(e.Flags, FlagBadCredit)
	slices.Sort(e.Flags)
	return saveEnterprise(ctx, a.tx, &e, a.now, a.origin, []Emit{profileChangedEvent(e, []string{"flags"})})
}

var clockStates = map[slapb.ClockState]string{
	slapb.ClockState_CLOCK_STATE_GREEN:     "green",
	slapb.ClockState_CLOCK_STATE_YELLOW:    "yellow",
	slapb.ClockState_CLOCK_STATE_RED:       "red",
	slapb.ClockState_CLOCK_STATE_STOPPED:   "stopped",
	slapb.ClockState_CLOCK_STATE_CANCELLED: "cancelled",
}

var clockSummaries = map[string]string{
	event.ClockStarted: "clock started", event.ClockPaused: "clock paused", event.ClockResumed: "clock resumed",
	event.ClockWarned: "warning (黄灯)", event.ClockBreached: "breached (红灯)", event.ClockStopped: "clock stopped",
	event.ClockCancelled: "clock cancelled", event.ClockReset: "clock reset", event.ClockDeadlineChanged: "deadline changed",
	event.ClockEscalated: "escalated",
}

// clock records the snapshot of a ticket's clock as sla reported it.
func (a *apply) clock(ctx context.Context) error {
	var c *slapb.Clock
	detail := map[string]any{}
	switch p := a.ev.Payload.(type) {
	case *slapb.ClockEvent:
		c = p.GetClock()
		if p.GetReason() != "" {
			detail["reason"] = p.GetReason()
		}
	case *slapb.DeadlineChanged:
		c = p.GetClock()
		detail["cause"] = p.GetCause()
		if p.GetPreviousDeadline() != nil {
			detail["previous_deadline"] = p.GetPreviousDeadline().AsTime().UTC()
		}
	case *slapb.Escalated:
		c = p.GetClock()
		detail["level"], detail["notify"] = p.GetLevel(), p.GetNotify()
	}
	if c == nil || c.GetTicketId() == "" {
		return nil
	}
	snap := Clock{ID: c.GetClockId(), Kind: c.GetKind(), WorkflowID: c.GetSubjectId(), MatterCode: c.GetMatterCode(),
		State: clockStates[c.GetState()], Paused: c.GetPaused(), StoppedLate: c.GetStoppedLate(), Version: a.ev.AggregateVersion}
	if d := c.GetDeadline(); d != nil {
		v := d.AsTime().UTC()
		snap.Deadline = &v
	}
	if d := c.GetLegalDeadline(); d != nil {
		v := d.AsTime().UTC()
		snap.LegalDeadline = &v
	}
	if snap.Kind != "resolution" && snap.Kind != "stage" && snap.Kind != "supplement" && snap.Kind != "verification" {
		snap.WorkflowID = ""
	}
	return a.onTicket(ctx, c.GetTicketId(), func(t *Ticket) (Change, error) {
		replaced := false
		for i := range t.SLA.Clocks {
			if t.SLA.Clocks[i].ID == snap.ID {
				t.SLA.Clocks[i], replaced = snap, true
			}
		}
		if !replaced {
			t.SLA.Clocks = append(t.SLA.Clocks, snap)
		}
		DeriveSLA(t)
		detail["kind"], detail["state"], detail["clock_id"] = snap.Kind, snap.State, snap.ID
		if snap.Deadline != nil {
			detail["deadline"] = *snap.Deadline
		}
		if snap.MatterCode != "" {
			detail["matter_code"] = snap.MatterCode
		}
		summary := fmt.Sprintf("%s %s", snap.Kind, clockSummaries[a.ev.Type])
		return Change{Clock: &snap, Timeline: []TimelineEntry{a.entry(a.ev.OccurredAt.UTC(), "sla", summary, detail)}}, nil
	})
}

// setOfficer records a firm's officers if the event is newer than what intake has.
func (a *apply) setOfficer(ctx context.Context, firm, officer, backup string, at time.Time) error {
	if !validUUID(firm) {
		return nil
	}
	_, err := a.tx.ExecContext(ctx, `UPDATE enterprises SET officer_id = $2, backup_officer_id = $3, assigned_at = $4
		WHERE id = $1 AND (assigned_at IS NULL OR assigned_at <= $4)`, firm, officer, backup, at)
	if err != nil {
		return fmt.Errorf("set officer: %w", err)
	}
	return nil
}

func (a *apply) officerAssigned(ctx context.Context) error {
	p := a.ev.Payload.(*liaisonpb.OfficerAssigned)
	return a.setOfficer(ctx, p.GetEnterpriseId(), p.GetOfficerId(), p.GetBackupOfficerId(), a.at(p.GetAssignedAt()))
}

func (a *apply) handover(ctx context.Context) error {
	p := a.ev.Payload.(*liaisonpb.Handover)
	for _, f := range p.GetFirms() {
		if err := a.setOfficer(ctx, f.GetEnterpriseId(), f.GetOfficerId(), f.GetBackupOfficerId(), a.at(p.GetHandedOverAt())); err != nil {
			return err
		}
	}
	return nil
}

func (a *apply) requestDispatched(ctx context.Context) error {
	p := a.ev.Payload.(*liaisonpb.RequestDispatched)
	origin := p.GetOriginRequestId()
	if origin == "" {
		origin = p.GetRequestId()
	}
	var ticket any
	if validUUID(p.GetTicketId()) {
		var n int
		if err := a.tx.GetContext(ctx, &n, `SELECT count(*) FROM tickets WHERE id = $1`, p.GetTicketId()); err != nil {
			return err
		}
		if n > 0 {
			ticket = p.GetTicketId()
		}
	}
	at := a.at(p.GetDispatchedAt())
	if _, err := a.tx.ExecContext(ctx, `INSERT INTO liaison_dispatches (request_id, origin_request_id, ticket_id, officer_id,
		dispatched_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING`,
		p.GetRequestId(), origin, ticket, p.GetOfficerId(), at); err != nil {
		return fmt.Errorf("record dispatch: %w", err)
	}
	if ticket == nil {
		return nil
	}
	return a.onTicket(ctx, p.GetTicketId(), func(t *Ticket) (Change, error) {
		t.RequestID = origin
		if t.Kind == KindDemand && (t.Status == StatusSubmitted || t.Status == StatusAcknowledged || t.Status == StatusDispatched) {
			t.Status = StatusDispatched
			Derive(t)
		}
		summary := fmt.Sprintf("dispatched to officer %s", p.GetOfficerId())
		if p.GetEscalationLevel() > 0 {
			summary = fmt.Sprintf("escalated (level %d) to %s", p.GetEscalationLevel(), p.GetOfficerId())
		}
		return Change{Timeline: []TimelineEntry{a.entry(at, "", summary, map[string]any{"request_id": p.GetRequestId(),
			"officer_id": p.GetOfficerId(), "response_working_hours": p.GetResponseWorkingHours()})}}, nil
	})
}

// dispatchTicket returns the ticket of a dispatch, if it has one.
func (a *apply) dispatchTicket(ctx context.Context, request string) (string, error) {
	var ids []string
	if err := a.tx.SelectContext(ctx, &ids, `SELECT coalesce(ticket_id::text, '') FROM liaison_dispatches
		WHERE request_id = $1 OR origin_request_id = $1 LIMIT 1`, request); err != nil {
		return "", fmt.Errorf("dispatch ticket: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

func (a *apply) requestAcknowledged(ctx context.Context) error {
	p := a.ev.Payload.(*liaisonpb.RequestAcknowledged)
	ticket, err := a.dispatchTicket(ctx, p.GetRequestId())
	if err != nil || ticket == "" {
		return err
	}
	return a.onTicket(ctx, ticket, func(t *Ticket) (Change, error) {
		if t.Kind == KindDemand && (t.Status == StatusSubmitted || t.Status == StatusDispatched) {
			t.Status = StatusAcknowledged
			Derive(t)
		}
		return Change{Timeline: []TimelineEntry{a.entry(a.at(p.GetAcknowledgedAt()), p.GetOfficerId(),
			"signed for (签收) by officer "+p.GetOfficerId(), map[string]any{"request_id": p.GetRequestId()})}}, nil
	})
}

// requestNote records a request's return, chase or close on its ticket.
func (a *apply) requestNote(ctx context.Context) error {
	var ticket, request, actor, summary string
	switch p := a.ev.Payload.(type) {
	case *liaisonpb.RequestReturned:
		ticket, request, actor = p.GetTicketId(), p.GetRequestId(), p.GetOfficerId()
		summary = "returned (退单) by officer: " + p.GetReason()
	case *liaisonpb.RequestChased:
		request, actor = p.GetRequestId(), p.GetChasedBy()
		summary = fmt.Sprintf("chased (催办) %d time(s): %s", p.GetChaseCount(), p.GetNote())
	case *liaisonpb.RequestClosed:
		ticket, request = p.GetTicketId(), p.GetRequestId()
		summary = "liaison request closed: " + p.GetReason()
	default:
		return nil
	}
	if ticket == "" {
		var err error
		if ticket, err = a.dispatchTicket(ctx, request); err != nil || ticket == "" {
			return err
		}
	}
	returned := a.ev.Type == event.RequestReturned
	return a.onTicket(ctx, ticket, func(t *Ticket) (Change, error) {
		if returned && t.Kind == KindDemand && (t.Status == StatusDispatched || t.Status == StatusAcknowledged) {
			t.Status = StatusSubmitted
			Derive(t)
		}
		return Change{Timeline: []TimelineEntry{a.entry(a.ev.OccurredAt.UTC(), actor, summary, map[string]any{"request_id": request})}}, nil
	})
}

// visitTicket files a demand on the firm's behalf for an issue found on a
// visit (channel proxy); the request id is its idempotency key.
func (a *apply) visitTicket(ctx context.Context) error {
	p := a.ev.Payload.(*liaisonpb.VisitTicketRequested)
	e, err := enterpriseTx(ctx, a.tx, p.GetEnterpriseId(), false)
	if fault.KindOf(err) == fault.ErrNotFound {
		return permanent(a.ev, "enterprise %q is not registered", p.GetEnterpriseId())
	}
	if err != nil {
		return err
	}
	title := strings.TrimSpace(p.GetTitle())
	if title == "" {
		title = "走访发现问题"
	}
	officer := p.GetOfficerId()
	t := newDemand(e, title, p.GetDescription(), ChannelProxy, officer, "liaison", a.ev.OccurredAt.UTC())
	t.idempotencyKey = "visit:" + p.GetRequestId()
	t.Timeline = []TimelineEntry{{At: t.SubmittedAt, Type: event.TicketSubmitted, Actor: officer,
		Summary: "filed by the liaison officer for an issue found on a visit (走访)",
		Detail:  map[string]any{"visit_id": p.GetVisitId(), "request_id": p.GetRequestId()}, EventID: a.ev.ID}}
	ok, err := a.e.repo.insertTicket(ctx, a.tx, &t)
	if err != nil || !ok {
		return err
	}
	return a.e.repo.finishNew(ctx, a.tx, &t, a.origin, []Emit{submittedEvent(t)})
}
