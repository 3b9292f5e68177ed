package sla

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

var liaisonHandlers = map[string]func(*apply, context.Context) error{
	event.RequestDispatched:   (*apply).requestDispatched,
	event.RequestAcknowledged: (*apply).requestAcknowledged,
	event.RequestReturned:     (*apply).requestReturned,
	event.RequestClosed:       (*apply).requestClosed,
	event.VisitLogged:         (*apply).visitLogged,
	event.OfficerAssigned:     (*apply).officerAssigned,
}

// requestDispatched starts the liaison response clock (随叫随到), in
// working hours.
func (a *apply) requestDispatched(ctx context.Context) error {
	p, ok := a.ev.Payload.(*liaisonpb.RequestDispatched)
	if !ok || p.GetRequestId() == "" {
		return permanent(a.ev, "request id is required")
	}
	if exists, err := clockExists(ctx, a.tx, a.ev.Park, KindLiaisonResponse, "", p.GetRequestId()); err != nil || exists {
		return err
	}
	hours := int(p.GetResponseWorkingHours())
	if hours <= 0 {
		hours = a.e.cfg.ResponseHours
	}
	return a.start(ctx, &Clock{Park: a.ev.Park, Kind: KindLiaisonResponse, SubjectID: p.GetRequestId(),
		TicketID: p.GetTicketId(), EnterpriseID: p.GetEnterpriseId(), OfficerID: p.GetOfficerId(),
		StartedAt: a.at(p.GetDispatchedAt()), Budget: hours})
}

// requestAcknowledged stops the response clock (签收).
func (a *apply) requestAcknowledged(ctx context.Context) error {
	p, ok := a.ev.Payload.(*liaisonpb.RequestAcknowledged)
	if !ok || p.GetRequestId() == "" {
		return permanent(a.ev, "request id is required")
	}
	c, err := openClock(ctx, a.tx, a.ev.Park, KindLiaisonResponse, "", p.GetRequestId())
	if err != nil {
		return err
	}
	if c == nil {
		exists, err := clockExists(ctx, a.tx, a.ev.Park, KindLiaisonResponse, "", p.GetRequestId())
		if err != nil || exists {
			return err
		}
		return fmt.Errorf("request %s has no response clock yet: %w", p.GetRequestId(), inbox.ErrRetryLater)
	}
	return a.stop(ctx, []*Clock{c}, a.at(p.GetAcknowledgedAt()), "acknowledged")
}

// requestReturned cancels the response clocks of the dispatches a return
// (退单) ends: the request goes back to the dispatcher, whose next dispatch
// starts a clock of its own.
func (a *apply) requestReturned(ctx context.Context) error {
	p, ok := a.ev.Payload.(*liaisonpb.RequestReturned)
	if !ok || p.GetRequestId() == "" {
		return permanent(a.ev, "request id is required")
	}
	return a.cancelDispatches(ctx, p.GetRequestId(), p.GetOpenDispatchIds(), "returned")
}

// requestClosed cancels the response clocks still open when the ticket
// behind the request was closed or withdrawn.
func (a *apply) requestClosed(ctx context.Context) error {
	p, ok := a.ev.Payload.(*liaisonpb.RequestClosed)
	if !ok || p.GetRequestId() == "" {
		return permanent(a.ev, "request id is required")
	}
	return a.cancelDispatches(ctx, p.GetRequestId(), p.GetOpenDispatchIds(), "closed")
}

func (a *apply) cancelDispatches(ctx context.Context, request string, dispatches []string, reason string) error {
	if len(dispatches) == 0 {
		dispatches = []string{request}
	}
	return a.cancel(ctx, `park = $1 AND kind = 'liaison_response' AND subject_id = ANY($2::text[])`, reason,
		a.ev.OccurredAt.UTC(), a.ev.Park, pq.Array(dispatches))
}

// visitLogged restarts the firm's visit cadence clock from the visit, or
// starts one when the visit names a cadence.
func (a *apply) visitLogged(ctx context.Context) error {
	p, ok := a.ev.Payload.(*liaisonpb.VisitLogged)
	if !ok || p.GetEnterpriseId() == "" {
		return permanent(a.ev, "enterprise id is required")
	}
	at := a.at(p.GetVisitedAt())
	c, err := openClock(ctx, a.tx, a.ev.Park, KindVisitCadence, "", p.GetEnterpriseId())
	if err != nil {
		return err
	}
	if c == nil {
		if p.GetCadenceWorkingDays() <= 0 {
			return nil
		}
		return a.start(ctx, &Clock{Park: a.ev.Park, Kind: KindVisitCadence, SubjectID: p.GetEnterpriseId(),
			EnterpriseID: p.GetEnterpriseId(), OfficerID: p.GetOfficerId(), StartedAt: at,
			Budget: int(p.GetCadenceWorkingDays())})
	}
	if !at.After(c.StartedAt) {
		return nil
	}
	cal, err := a.calendar(ctx, c.Park)
	if err != nil {
		return err
	}
	if p.GetOfficerId() != "" {
		c.OfficerID = p.GetOfficerId()
	}
	changes, err := c.Reset(at, int(p.GetCadenceWorkingDays()), cal)
	a.derived(ctx, c, err)
	return a.save(ctx, []*Clock{c}, changes)
}

// officerAssigned keeps the firm's officers (一企一员) for scoping reads.
func (a *apply) officerAssigned(ctx context.Context) error {
	p, ok := a.ev.Payload.(*liaisonpb.OfficerAssigned)
	if !ok || p.GetEnterpriseId() == "" {
		return permanent(a.ev, "enterprise id is required")
	}
	_, err := a.tx.ExecContext(ctx, `INSERT INTO assignments (enterprise_id, park, officer_id, backup_officer_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT (enterprise_id) DO UPDATE SET park = EXCLUDED.park,
		officer_id = EXCLUDED.officer_id, backup_officer_id = EXCLUDED.backup_officer_id`,
		p.GetEnterpriseId(), a.ev.Park, p.GetOfficerId(), p.GetBackupOfficerId())
	if err != nil {
		return fmt.Errorf("record assignment: %w", err)
	}
	return nil
}

// officerOf is the liaison officer a clock of the firm escalates to: the one
// the event names, else the firm's primary officer as liaison last reported
// (approval's events do not name one, yet DOMAIN.md's ladder tells "the
// handler and the liaison at once").
func (a *apply) officerOf(ctx context.Context, named, enterprise string) (string, error) {
	if named != "" || enterprise == "" {
		return named, nil
	}
	var officers []string
	if err := a.tx.SelectContext(ctx, &officers, `SELECT officer_id FROM assignments WHERE enterprise_id = $1`, enterprise); err != nil {
		return "", fmt.Errorf("officer of %s: %w", enterprise, err)
	}
	if len(officers) == 0 {
		return "", nil
	}
	return officers[0], nil
}
