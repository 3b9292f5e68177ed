package sla

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
)

var approvalHandlers = map[string]func(*apply, context.Context) error{
	event.WorkflowAccepted:            (*apply).workflowAccepted,
	event.WorkflowNotAccepted:         (*apply).workflowNotAccepted,
	event.WorkflowCorrectionRequested: (*apply).workflowPaused,
	event.WorkflowPaused:              (*apply).workflowPaused,
	event.WorkflowResumed:             (*apply).workflowResumed,
	event.StageOpened:                 (*apply).stageOpened,
	event.StageCompleted:              (*apply).stageCompleted,
	event.WorkflowDecided:             (*apply).workflowDecided,
	event.ExtensionRequested:          (*apply).extensionRequested,
	event.VerificationCompleted:       (*apply).verificationCompleted,
}

var pauseReasons = map[approvalpb.PauseReason]PauseReason{
	approvalpb.PauseReason_PAUSE_REASON_CORRECTION:    PauseCorrection,
	approvalpb.PauseReason_PAUSE_REASON_PUBLIC_NOTICE: PausePublicNotice,
	approvalpb.PauseReason_PAUSE_REASON_HEARING:       PauseHearing,
	approvalpb.PauseReason_PAUSE_REASON_TESTING:       PauseTesting,
	approvalpb.PauseReason_PAUSE_REASON_EXPERT_REVIEW: PauseExpertReview,
}

// workflowAccepted stops the acceptance clock and starts the resolution clock
// (and a supplement clock under tolerant acceptance).
func (a *apply) workflowAccepted(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.WorkflowAccepted)
	if !ok || p.GetWorkflowId() == "" || p.GetCommitmentWorkingDays() <= 0 {
		return permanent(a.ev, "workflow id and a positive commitment are required")
	}
	at, park := a.at(p.GetAcceptedAt()), a.ev.Park
	t, err := a.ticketAccepted(ctx, park, p.GetTicketId(), at)
	if err != nil {
		return err
	}
	if err := a.stopAcceptance(ctx, park, p.GetTicketId(), at, "accepted"); err != nil {
		return err
	}
	if t.withdrawn {
		return nil
	}
	exists, err := clockExists(ctx, a.tx, park, KindResolution, p.GetWorkflowId(), p.GetWorkflowId())
	if err != nil || exists {
		return err
	}
	if t.enterprise == "" {
		t.enterprise = p.GetEnterpriseId()
	}
	officer, err := a.officerOf(ctx, p.GetOfficerId(), t.enterprise)
	if err != nil {
		return err
	}
	base := Clock{
		Park: park, WorkflowID: p.GetWorkflowId(), SubjectID: p.GetWorkflowId(), TicketID: p.GetTicketId(),
		EnterpriseID: t.enterprise, Department: p.GetDepartment(), OfficerID: officer,
		HandlerID: p.GetHandlerId(), MatterCode: p.GetMatterCode(), StartedAt: at,
	}
	res := base
	res.Kind, res.Budget, res.LegalBudget = KindResolution, int(p.GetCommitmentWorkingDays()), int(max(p.GetLegalWorkingDays(), 0))
	res.WarnDays, res.VerificationDays = int(max(p.GetWarnWorkingDays(), 0)), int(max(p.GetVerificationWorkingDays(), 0))
	if err := a.start(ctx, &res); err != nil {
		return err
	}
	if d := p.GetSupplementDueWorkingDays(); d > 0 {
		sup := base
		sup.Kind, sup.Budget = KindSupplement, int(d)
		return a.start(ctx, &sup)
	}
	return nil
}

func (a *apply) workflowNotAccepted(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.WorkflowNotAccepted)
	if !ok {
		return permanent(a.ev, "unexpected payload")
	}
	at := a.at(p.GetDecidedAt())
	if p.GetTicketId() != "" {
		if _, err := a.tx.ExecContext(ctx, `INSERT INTO tickets (ticket_id, park, not_accepted_at) VALUES ($1, $2, $3)
			ON CONFLICT (ticket_id) DO UPDATE SET not_accepted_at = coalesce(tickets.not_accepted_at, EXCLUDED.not_accepted_at)`,
			p.GetTicketId(), a.ev.Park, at); err != nil {
			return fmt.Errorf("ticket not accepted: %w", err)
		}
	}
	return a.stopAcceptance(ctx, a.ev.Park, p.GetTicketId(), at, "not accepted")
}

// workflowClocks returns the open resolution and stage clocks of a workflow,
// locked. When the workflow never had a resolution clock, the event came
// before the one that starts it: retry later.
func (a *apply) workflowClocks(ctx context.Context, workflow string) ([]*Clock, error) {
	cs, err := selectClocks(ctx, a.tx, `park = $1 AND workflow_id = $2 AND kind IN ('resolution', 'stage')
		AND state IN ('green', 'yellow', 'red') ORDER BY kind, started_at FOR UPDATE`, a.ev.Park, workflow)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		exists, err := clockExists(ctx, a.tx, a.ev.Park, KindResolution, workflow, workflow)
		if err != nil {
			return nil, err
		}
		if !exists {
			return nil, fmt.Errorf("workflow %s has no resolution clock yet: %w", workflow, inbox.ErrRetryLater)
		}
	}
	out := make([]*Clock, len(cs))
	for i := range cs {
		out[i] = &cs[i]
	}
	return out, nil
}

// workflowPaused pauses the resolution clock and the open stage clocks.
func (a *apply) workflowPaused(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.WorkflowPaused)
	if !ok || p.GetWorkflowId() == "" {
		return permanent(a.ev, "workflow id is required")
	}
	reason, ok := pauseReasons[p.GetReason()]
	if a.ev.Type == event.WorkflowCorrectionRequested {
		reason, ok = PauseCorrection, true
	}
	if !ok {
		return permanent(a.ev, "pause reason %v is not one the law excludes from the limit", p.GetReason())
	}
	cs, err := a.workflowClocks(ctx, p.GetWorkflowId())
	if err != nil {
		return err
	}
	var changes []Change
	for _, c := range cs {
		ch, err := c.Pause(a.at(p.GetPausedAt()), reason)
		if err != nil {
			return err
		}
		changes = append(changes, ch...)
	}
	return a.save(ctx, cs, changes)
}

// workflowResumed resumes the resolution clock and the open stage clocks.
func (a *apply) workflowResumed(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.WorkflowResumed)
	if !ok || p.GetWorkflowId() == "" {
		return permanent(a.ev, "workflow id is required")
	}
	cs, err := a.workflowClocks(ctx, p.GetWorkflowId())
	if err != nil {
		return err
	}
	return a.resume(ctx, cs, a.at(p.GetResumedAt()))
}

func (a *apply) resume(ctx context.Context, cs []*Clock, at time.Time) error {
	var changes []Change
	for _, c := range cs {
		cal, err := a.calendar(ctx, c.Park)
		if err != nil {
			return err
		}
		ch, err := c.Resume(at, cal)
		a.derived(ctx, c, err)
		changes = append(changes, ch...)
	}
	return a.save(ctx, cs, changes)
}

// stageOpened starts the clock of a stage's share (环节时限).
func (a *apply) stageOpened(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.StageOpened)
	if !ok || p.GetWorkflowId() == "" || p.GetStageId() == "" {
		return permanent(a.ev, "workflow and stage ids are required")
	}
	if p.GetShareWorkingDays() <= 0 {
		return nil
	}
	if c, err := openClock(ctx, a.tx, a.ev.Park, KindStage, p.GetWorkflowId(), p.GetStageId()); err != nil || c != nil {
		return err
	}
	c := Clock{Park: a.ev.Park, Kind: KindStage, WorkflowID: p.GetWorkflowId(), SubjectID: p.GetStageId(),
		TicketID: p.GetTicketId(), Department: p.GetDepartment(), StartedAt: a.at(p.GetOpenedAt()),
		Budget: int(p.GetShareWorkingDays())}
	if res, err := selectClocks(ctx, a.tx, `park = $1 AND kind = 'resolution' AND workflow_id = $2
		ORDER BY started_at DESC LIMIT 1`, a.ev.Park, p.GetWorkflowId()); err != nil {
		return err
	} else if len(res) == 1 {
		c.EnterpriseID, c.OfficerID, c.HandlerID, c.MatterCode = res[0].EnterpriseID, res[0].OfficerID, res[0].HandlerID, res[0].MatterCode
		if c.TicketID == "" {
			c.TicketID = res[0].TicketID
		}
	}
	return a.start(ctx, &c)
}

func (a *apply) stageCompleted(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.StageCompleted)
	if !ok || p.GetWorkflowId() == "" || p.GetStageId() == "" {
		return permanent(a.ev, "workflow and stage ids are required")
	}
	c, err := openClock(ctx, a.tx, a.ev.Park, KindStage, p.GetWorkflowId(), p.GetStageId())
	if err != nil || c == nil {
		return err
	}
	return a.stop(ctx, []*Clock{c}, a.at(p.GetCompletedAt()), p.GetOutcome())
}

// workflowDecided stops the resolution and stage clocks (cancels them when
// the firm withdrew), and starts the verification clock of a commitment
// approval.
func (a *apply) workflowDecided(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.WorkflowDecided)
	if !ok || p.GetWorkflowId() == "" {
		return permanent(a.ev, "workflow id is required")
	}
	at := a.at(p.GetDecidedAt())
	// A workflow withdrawn or lapsed before acceptance never had a resolution
	// clock: cancelling whatever is open is all there is to do.
	switch p.GetOutcome() {
	case "withdrawn":
		return a.cancel(ctx, `park = $1 AND workflow_id = $2`, "withdrawn", at, a.ev.Park, p.GetWorkflowId())
	case "lapsed":
		if err := a.cancel(ctx, `park = $1 AND workflow_id = $2 AND kind IN ('resolution', 'stage')`, "lapsed", at,
			a.ev.Park, p.GetWorkflowId()); err != nil {
			return err
		}
		return a.stopWhere(ctx, `park = $1 AND workflow_id = $2 AND kind = 'supplement'`, at, "lapsed", a.ev.Park, p.GetWorkflowId())
	}
	cs, err := a.workflowClocks(ctx, p.GetWorkflowId())
	if err != nil {
		return err
	}
	var verification *Clock
	for _, c := range cs {
		if c.Kind == KindResolution && c.VerificationDays > 0 && p.GetOutcome() == "approved" {
			verification = &Clock{Park: c.Park, Kind: KindVerification, WorkflowID: c.WorkflowID, SubjectID: c.WorkflowID,
				TicketID: c.TicketID, EnterpriseID: c.EnterpriseID, Department: c.Department, OfficerID: c.OfficerID,
				HandlerID: c.HandlerID, MatterCode: c.MatterCode, StartedAt: at, Budget: c.VerificationDays}
		}
	}
	if err := a.stop(ctx, cs, at, p.GetOutcome()); err != nil {
		return err
	}
	if p.GetOutcome() != "approved" {
		if err := a.cancel(ctx, `park = $1 AND workflow_id = $2 AND kind = 'supplement'`, p.GetOutcome(), at, a.ev.Park, p.GetWorkflowId()); err != nil {
			return err
		}
	}
	if verification != nil {
		return a.start(ctx, verification)
	}
	return nil
}

// extensionRequested records an extension asked for through the approval
// workflow, as POST /v1/sla/clocks/{id}/extension does. A clock that already
// has one, or is already red or closed, keeps its deadline.
func (a *apply) extensionRequested(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.ExtensionRequested)
	if !ok || p.GetWorkflowId() == "" || p.GetWorkingDays() <= 0 {
		return permanent(a.ev, "workflow id and positive working days are required")
	}
	if _, err := a.workflowClocks(ctx, p.GetWorkflowId()); err != nil {
		return err
	}
	c, err := openClock(ctx, a.tx, a.ev.Park, KindResolution, p.GetWorkflowId(), p.GetWorkflowId())
	if err != nil || c == nil {
		return err
	}
	x := Extension{ID: uuid.Must(uuid.NewV7()).String(), ClockID: c.ID, Park: c.Park, WorkingDays: int(p.GetWorkingDays()),
		Reason: p.GetReason(), RequestedBy: p.GetRequestedBy(), RequestedAt: a.ev.OccurredAt.UTC(), State: ExtensionPending}
	if err := x.CheckRequest(*c); err != nil {
		a.e.cfg.Logger.WarnContext(ctx, "extension request ignored", "clock", c.ID, "event", a.ev.ID, "err", err)
		return nil
	}
	inserted, err := insertExtension(ctx, a.tx, x)
	if err != nil {
		return err
	}
	if !inserted {
		a.e.cfg.Logger.WarnContext(ctx, "extension request ignored: the clock already has one", "clock", c.ID, "event", a.ev.ID)
	}
	return nil
}

// verificationCompleted stops the verification clock of a commitment
// approval (告知承诺 核查), whatever the verdict.
func (a *apply) verificationCompleted(ctx context.Context) error {
	p, ok := a.ev.Payload.(*approvalpb.VerificationCompleted)
	if !ok || p.GetWorkflowId() == "" {
		return permanent(a.ev, "workflow id is required")
	}
	outcome := "failed"
	if p.GetPassed() {
		outcome = "passed"
	}
	return a.stopWhere(ctx, `park = $1 AND workflow_id = $2 AND kind = 'verification'`, a.at(p.GetCompletedAt()), outcome,
		a.ev.Park, p.GetWorkflowId())
}
