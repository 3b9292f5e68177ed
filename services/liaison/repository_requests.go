package liaison

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

const requestCols = `r.id, r.park, r.ticket_id, r.ticket_number, r.enterprise_id, r.kind, r.title, r.description, r.state,
	r.holder_id, r.holder_role, r.level, r.response_hours, r.submitted_at, r.dispatched_at, r.acknowledged_at,
	r.acknowledged_by, r.returned_at, r.return_reason, r.closed_at, r.close_reason, r.overdue_at, r.dispatch_id,
	coalesce(f.officer_id, '') AS firm_officer_id, coalesce(f.backup_officer_id, '') AS firm_backup_id,
	coalesce(f.name, '') AS firm_name`

const requestFrom = ` FROM requests r LEFT JOIN firms f ON f.enterprise_id = r.enterprise_id`

type requestRow struct {
	ID             string       `db:"id"`
	Park           string       `db:"park"`
	TicketID       string       `db:"ticket_id"`
	TicketNumber   string       `db:"ticket_number"`
	EnterpriseID   string       `db:"enterprise_id"`
	Kind           string       `db:"kind"`
	Title          string       `db:"title"`
	Description    string       `db:"description"`
	State          string       `db:"state"`
	HolderID       string       `db:"holder_id"`
	HolderRole     string       `db:"holder_role"`
	Level          int          `db:"level"`
	ResponseHours  int          `db:"response_hours"`
	SubmittedAt    time.Time    `db:"submitted_at"`
	DispatchedAt   sql.NullTime `db:"dispatched_at"`
	AcknowledgedAt sql.NullTime `db:"acknowledged_at"`
	AcknowledgedBy string       `db:"acknowledged_by"`
	ReturnedAt     sql.NullTime `db:"returned_at"`
	ReturnReason   string       `db:"return_reason"`
	ClosedAt       sql.NullTime `db:"closed_at"`
	CloseReason    string       `db:"close_reason"`
	OverdueAt      sql.NullTime `db:"overdue_at"`
	DispatchID     string       `db:"dispatch_id"`
	FirmOfficer    string       `db:"firm_officer_id"`
	FirmBackup     string       `db:"firm_backup_id"`
	FirmName       string       `db:"firm_name"`
}

func (r requestRow) request() Request {
	return Request{ID: r.ID, Park: r.Park, TicketID: r.TicketID, TicketNumber: r.TicketNumber, EnterpriseID: r.EnterpriseID,
		FirmName: r.FirmName, Kind: r.Kind, Title: r.Title, Description: r.Description, State: RequestState(r.State), HolderID: r.HolderID,
		HolderRole: r.HolderRole, Level: r.Level, ResponseHours: r.ResponseHours, SubmittedAt: r.SubmittedAt.UTC(),
		DispatchedAt: nullTime(r.DispatchedAt), AcknowledgedAt: nullTime(r.AcknowledgedAt), AcknowledgedBy: r.AcknowledgedBy,
		ReturnedAt: nullTime(r.ReturnedAt), ReturnReason: r.ReturnReason, ClosedAt: nullTime(r.ClosedAt),
		CloseReason: r.CloseReason, OverdueAt: nullTime(r.OverdueAt), DispatchID: r.DispatchID,
		OfficerID: r.FirmOfficer, BackupOfficerID: r.FirmBackup}
}

func selectRequests(ctx context.Context, q queryer, where string, args ...any) ([]Request, error) {
	var rows []requestRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+requestCols+requestFrom+` WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("select requests: %w", err)
	}
	out := make([]Request, len(rows))
	for i, r := range rows {
		out[i] = r.request()
	}
	return out, nil
}

// lockedRequests selects requests with their rows locked; where may end in
// ORDER BY.
func (t *txn) lockedRequests(ctx context.Context, where string, args ...any) ([]Request, error) {
	return selectRequests(ctx, t.tx, where+` FOR UPDATE OF r`, args...)
}

func (t *txn) lockedRequest(ctx context.Context, id string) (Request, error) {
	rs, err := t.lockedRequests(ctx, `r.id = $1`, id)
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, fault.NotFound("request")
	}
	return rs[0], nil
}

// Requests lists requests: queues oldest first, pending before signed-for;
// other lists newest first.
func (r *Repository) Requests(ctx context.Context, q RequestQuery) ([]Request, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	order := `r.submitted_at DESC, r.id DESC`
	if q.Queue || q.ManagerQueue {
		order = `(r.state <> 'pending'), coalesce(r.dispatched_at, r.submitted_at), r.id`
	}
	return selectRequests(ctx, r.cfg.DB, `($1 = '' OR r.park = $1)
		AND ($2 = '' OR r.state = $2)
		AND ($3 = '' OR (r.holder_role = 'officer' AND r.holder_id = $3))
		AND ($4 = '' OR (r.holder_role = 'officer' AND r.holder_id = $4) OR f.officer_id = $4 OR f.backup_officer_id = $4)
		AND ($5 = '' OR r.enterprise_id = $5)
		AND (NOT $6 OR r.overdue_at IS NOT NULL)
		AND (NOT $7 OR r.state IN ('pending', 'acknowledged'))
		AND (NOT $8 OR (r.holder_role = 'manager' AND r.state IN ('pending', 'acknowledged', 'returned')) OR r.state = 'waiting')
		ORDER BY `+order+` LIMIT $9`,
		q.Park, string(q.State), q.HolderID, q.ForOfficer, q.EnterpriseID, q.Overdue, q.Queue, q.ManagerQueue, limit)
}

// Request returns a request with its dispatches and chases.
func (r *Repository) Request(ctx context.Context, id string) (Request, error) {
	rs, err := selectRequests(ctx, r.cfg.DB, `r.id = $1`, id)
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, fault.NotFound("request")
	}
	rq := rs[0]
	var ds []struct {
		ID           string       `db:"id"`
		Level        int          `db:"level"`
		AssigneeID   string       `db:"assignee_id"`
		AssigneeRole string       `db:"assignee_role"`
		Reason       string       `db:"reason"`
		DispatchedAt time.Time    `db:"dispatched_at"`
		BreachedAt   sql.NullTime `db:"breached_at"`
		StoppedAt    sql.NullTime `db:"stopped_at"`
	}
	if err := r.cfg.DB.SelectContext(ctx, &ds, `SELECT id, level, assignee_id, assignee_role, reason, dispatched_at,
		breached_at, stopped_at FROM dispatches WHERE request_id = $1 ORDER BY dispatched_at, id`, id); err != nil {
		return Request{}, fmt.Errorf("dispatches: %w", err)
	}
	for _, d := range ds {
		rq.Dispatches = append(rq.Dispatches, Dispatch{ID: d.ID, Level: d.Level, AssigneeID: d.AssigneeID,
			AssigneeRole: d.AssigneeRole, Reason: d.Reason, DispatchedAt: d.DispatchedAt.UTC(),
			BreachedAt: nullTime(d.BreachedAt), StoppedAt: nullTime(d.StoppedAt)})
	}
	var cs []struct {
		ID       string    `db:"id"`
		ChasedBy string    `db:"chased_by"`
		HolderID string    `db:"holder_id"`
		Note     string    `db:"note"`
		ChasedAt time.Time `db:"chased_at"`
	}
	if err := r.cfg.DB.SelectContext(ctx, &cs, `SELECT id, chased_by, holder_id, note, chased_at FROM chases
		WHERE request_id = $1 ORDER BY chased_at, id`, id); err != nil {
		return Request{}, fmt.Errorf("chases: %w", err)
	}
	for i, c := range cs {
		rq.Chases = append(rq.Chases, Chase{ID: c.ID, RequestID: id, ChasedBy: c.ChasedBy, HolderID: c.HolderID,
			Note: c.Note, ChasedAt: c.ChasedAt.UTC(), Count: i + 1})
	}
	return rq, nil
}

// Submission is a ticket intake routes to the firm's officer.
type Submission struct {
	TicketID     string
	Number       string
	EnterpriseID string
	Park         string
	// Kind is "demand" or "proxy".
	Kind        string
	Title       string
	Description string
	SubmittedAt time.Time
}

// submit records a request for a demand or proxy filing and dispatches it to
// the firm's officer (or its manager when the firm has none). When the firm
// is not known yet the request waits for its registration.
func (t *txn) submit(ctx context.Context, s Submission) error {
	if err := t.lockFirm(ctx, s.EnterpriseID); err != nil {
		return err
	}
	var seen bool
	if err := t.tx.GetContext(ctx, &seen, `SELECT EXISTS (SELECT 1 FROM requests WHERE ticket_id = $1)
		OR EXISTS (SELECT 1 FROM ticket_endings WHERE ticket_id = $1)`, s.TicketID); err != nil {
		return fmt.Errorf("request exists: %w", err)
	}
	if seen {
		return nil
	}
	f, err := t.lockedFirm(ctx, s.EnterpriseID)
	if err != nil {
		return err
	}
	r := Request{ID: newID(), Park: s.Park, TicketID: s.TicketID, TicketNumber: s.Number, EnterpriseID: s.EnterpriseID,
		Kind: s.Kind, Title: s.Title, Description: s.Description, State: RequestWaiting, ResponseHours: t.r.cfg.ResponseHours, SubmittedAt: s.SubmittedAt}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO requests (id, park, ticket_id, ticket_number, enterprise_id, kind,
		title, description, state, response_hours, submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'waiting', $9, $10)`,
		r.ID, r.Park, r.TicketID, r.TicketNumber, r.EnterpriseID, r.Kind, r.Title, r.Description, r.ResponseHours, r.SubmittedAt); err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	if f == nil {
		return nil
	}
	return t.route(ctx, &r, *f)
}

// route dispatches a new request to the firm's officer, or to the manager
// when the firm has none.
func (t *txn) route(ctx context.Context, r *Request, f Firm) error {
	if f.OfficerID != "" {
		return t.dispatch(ctx, r, LevelOfficer, f.OfficerID, RoleOfficer, "routed", true)
	}
	m, err := t.manager(ctx, r.Park, "")
	if err != nil {
		return err
	}
	return t.dispatch(ctx, r, LevelManager, m, RoleManager, "routed: the firm has no officer", true)
}

// dispatchWaiting routes the requests that arrived before their firm.
func (t *txn) dispatchWaiting(ctx context.Context, enterprise string) error {
	rs, err := t.lockedRequests(ctx, `r.enterprise_id = $1 AND r.state = 'waiting' ORDER BY r.submitted_at, r.id`, enterprise)
	if err != nil || len(rs) == 0 {
		return err
	}
	fs, err := selectFirms(ctx, t.tx, `f.enterprise_id = $1`, enterprise)
	if err != nil {
		return err
	}
	for i := range rs {
		if err := t.route(ctx, &rs[i], fs[0]); err != nil {
			return err
		}
	}
	return nil
}

// dispatch hands r to someone who must sign for it, as a new dispatch the
// sla service times. The first dispatch of a request has the request's id.
// restart marks a new routing (not an escalation): the response time counts
// from it.
func (t *txn) dispatch(ctx context.Context, r *Request, level int, to, role, reason string, restart bool) error {
	id := r.ID
	var used bool
	if err := t.tx.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM dispatches WHERE id = $1)`, id); err != nil {
		return fmt.Errorf("dispatch exists: %w", err)
	}
	if used {
		id = newID()
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO dispatches (id, request_id, level, assignee_id, assignee_role, reason, dispatched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, r.ID, level, to, role, reason, t.now); err != nil {
		return fmt.Errorf("insert dispatch: %w", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE requests SET state = 'pending', holder_id = $2, holder_role = $3, level = $4,
		dispatch_id = $5, dispatched_at = CASE WHEN $6 OR dispatched_at IS NULL THEN $7 ELSE dispatched_at END,
		acknowledged_at = NULL, acknowledged_by = '' WHERE id = $1`, r.ID, to, role, level, id, restart, t.now); err != nil {
		return fmt.Errorf("dispatch request: %w", err)
	}
	previous := r.HolderID
	r.State, r.HolderID, r.HolderRole, r.Level, r.DispatchID = RequestPending, to, role, level, id
	if restart || r.DispatchedAt.IsZero() {
		r.DispatchedAt = t.now
	}
	return t.emit(ctx, event.RequestDispatched, r.Park, aggRequest, r.ID, &liaisonpb.RequestDispatched{
		RequestId: id, TicketId: r.TicketID, EnterpriseId: r.EnterpriseID, OfficerId: to,
		ResponseWorkingHours: int32(r.ResponseHours), DispatchedAt: timestamppb.New(t.now), OriginRequestId: r.ID,
		EscalationLevel: int32(level), Reason: reason, Kind: r.Kind, TicketNumber: r.TicketNumber, Title: r.Title,
		PreviousOfficerId: previous})
}

// moveRequest gives an open request to another holder without a new
// dispatch: its response clock goes on (a hand-over, a reassignment).
func (t *txn) moveRequest(ctx context.Context, r Request, to, role string, level int) error {
	if _, err := t.tx.ExecContext(ctx, `UPDATE requests SET holder_id = $2, holder_role = $3, level = $4 WHERE id = $1`,
		r.ID, to, role, level); err != nil {
		return fmt.Errorf("move request %s: %w", r.ID, err)
	}
	return nil
}

// stopDispatches marks the request's timed dispatches stopped and returns
// their ids, oldest first.
func (t *txn) stopDispatches(ctx context.Context, request string) ([]string, error) {
	var ids []string
	if err := t.tx.SelectContext(ctx, &ids, `UPDATE dispatches SET stopped_at = $2 WHERE request_id = $1 AND stopped_at IS NULL
		RETURNING id`, request, t.now); err != nil {
		return nil, fmt.Errorf("stop dispatches: %w", err)
	}
	slices.Sort(ids) // UUIDv7: creation order
	if i := slices.Index(ids, request); i > 0 {
		ids = append([]string{request}, slices.Delete(ids, i, i+1)...)
	}
	return ids, nil
}

// breached escalates a request whose current dispatch was not signed for in
// time: from the officer to the firm's backup (when there is an active one
// other than the holder), from the backup to the manager. Breaches of
// earlier dispatches, of requests signed for, sent back or closed, and of
// dispatches liaison does not know are recorded or ignored.
func (t *txn) breached(ctx context.Context, dispatchID string, at time.Time) error {
	var reqID string
	err := t.tx.GetContext(ctx, &reqID, `SELECT request_id FROM dispatches WHERE id = $1`, dispatchID)
	if errors.Is(err, sql.ErrNoRows) {
		t.r.cfg.Logger.Warn("breach of an unknown dispatch ignored", "dispatch", dispatchID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("dispatch of breach: %w", err)
	}
	r, err := t.lockedRequest(ctx, reqID)
	if err != nil {
		return err
	}
	var stopped bool
	if err := t.tx.GetContext(ctx, &stopped, `UPDATE dispatches SET breached_at = coalesce(breached_at, $2) WHERE id = $1
		RETURNING stopped_at IS NOT NULL`, dispatchID, at); err != nil {
		return fmt.Errorf("record breach: %w", err)
	}
	if r.State != RequestPending || r.DispatchID != dispatchID || stopped {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE requests SET overdue_at = coalesce(overdue_at, $2) WHERE id = $1`, r.ID, at); err != nil {
		return fmt.Errorf("request overdue: %w", err)
	}
	why := fmt.Sprintf("escalated: not signed for within %d working hours", r.ResponseHours)
	if r.Level == LevelOfficer && r.BackupOfficerID != "" && r.BackupOfficerID != r.HolderID {
		var active bool
		if err := t.tx.GetContext(ctx, &active, `SELECT EXISTS (SELECT 1 FROM officers WHERE id = $1 AND status = 'active')`,
			r.BackupOfficerID); err != nil {
			return fmt.Errorf("backup active: %w", err)
		}
		if active {
			return t.dispatch(ctx, &r, LevelBackup, r.BackupOfficerID, RoleOfficer, why, false)
		}
	}
	if r.Level == LevelManager {
		return nil
	}
	officer := r.OfficerID
	if officer == "" && r.HolderRole == RoleOfficer {
		officer = r.HolderID
	}
	m, err := t.manager(ctx, r.Park, officer)
	if err != nil {
		return err
	}
	return t.dispatch(ctx, &r, LevelManager, m, RoleManager, why, false)
}

// Acknowledge signs for a request (签收): every dispatch still timed stops.
func (r *Repository) Acknowledge(ctx context.Context, id string, by Actor, check func(Request) error) (Request, error) {
	err := r.inTx(ctx, func(t *txn) error {
		rq, err := t.lockedRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := check(rq); err != nil {
			return err
		}
		if rq.State == RequestAcknowledged {
			return nil
		}
		ids, err := t.stopDispatches(ctx, rq.ID)
		if err != nil {
			return err
		}
		role := RoleOfficer
		if by.Role != RoleOfficer {
			role = RoleManager
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE requests SET state = 'acknowledged', acknowledged_at = $2,
			acknowledged_by = $3, holder_id = $3, holder_role = $4 WHERE id = $1`, rq.ID, t.now, by.ID, role); err != nil {
			return fmt.Errorf("acknowledge: %w", err)
		}
		for _, d := range ids {
			if err := t.emit(ctx, event.RequestAcknowledged, rq.Park, aggRequest, rq.ID, &liaisonpb.RequestAcknowledged{
				RequestId: d, OfficerId: by.ID, AcknowledgedAt: timestamppb.New(t.now), OriginRequestId: rq.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Request{}, err
	}
	return r.Request(ctx, id)
}

// Return sends a request back to the dispatcher, the park's manager (退单).
func (r *Repository) Return(ctx context.Context, id string, by Actor, reason string, check func(Request) error) (Request, error) {
	err := r.inTx(ctx, func(t *txn) error {
		rq, err := t.lockedRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := check(rq); err != nil {
			return err
		}
		ids, err := t.stopDispatches(ctx, rq.ID)
		if err != nil {
			return err
		}
		m, err := t.manager(ctx, rq.Park, by.ID)
		if err != nil {
			return err
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE requests SET state = 'returned', returned_at = $2, returned_by = $3,
			return_reason = $4, holder_id = $5, holder_role = 'manager' WHERE id = $1`, rq.ID, t.now, by.ID, reason, m); err != nil {
			return fmt.Errorf("return: %w", err)
		}
		return t.emit(ctx, event.RequestReturned, rq.Park, aggRequest, rq.ID, &liaisonpb.RequestReturned{
			RequestId: rq.ID, TicketId: rq.TicketID, EnterpriseId: rq.EnterpriseID, OfficerId: by.ID, Reason: reason,
			ReturnedAt: timestamppb.New(t.now), OpenDispatchIds: ids})
	})
	if err != nil {
		return Request{}, err
	}
	return r.Request(ctx, id)
}

// Chase records a chase (催办) of the request's holder.
func (r *Repository) Chase(ctx context.Context, id string, by Actor, note string, check func(Request) error) (Chase, error) {
	var c Chase
	err := r.inTx(ctx, func(t *txn) error {
		rq, err := t.lockedRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := check(rq); err != nil {
			return err
		}
		c = Chase{ID: newID(), RequestID: rq.ID, ChasedBy: by.ID, HolderID: rq.HolderID, Note: note, ChasedAt: t.now}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO chases (id, request_id, park, chased_by, holder_id, note, chased_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.RequestID, rq.Park, c.ChasedBy, c.HolderID, c.Note, c.ChasedAt); err != nil {
			return fmt.Errorf("insert chase: %w", err)
		}
		if err := t.tx.GetContext(ctx, &c.Count, `SELECT count(*) FROM chases WHERE request_id = $1`, rq.ID); err != nil {
			return fmt.Errorf("count chases: %w", err)
		}
		return t.emit(ctx, event.RequestChased, rq.Park, aggRequest, rq.ID, &liaisonpb.RequestChased{
			RequestId: rq.ID, ChaseId: c.ID, OfficerId: c.HolderID, ChasedBy: c.ChasedBy, Note: note,
			ChaseCount: int32(c.Count), ChasedAt: timestamppb.New(t.now)})
	})
	return c, err
}

// Redispatch routes a returned or signed-for request to an active officer of
// its park, with a new response clock.
func (r *Repository) Redispatch(ctx context.Context, id string, by Actor, officerID, reason string, check func(Request) error) (Request, error) {
	err := r.inTx(ctx, func(t *txn) error {
		rq, err := t.lockedRequest(ctx, id)
		if err != nil {
			return err
		}
		if err := check(rq); err != nil {
			return err
		}
		var active bool
		if err := t.tx.GetContext(ctx, &active, `SELECT EXISTS (SELECT 1 FROM officers WHERE id = $1 AND park = $2
			AND status = 'active')`, officerID, rq.Park); err != nil {
			return fmt.Errorf("officer active: %w", err)
		}
		if !active {
			return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "officer_id", Reason: "not an active officer of the request's park"})
		}
		if _, err := t.stopDispatches(ctx, rq.ID); err != nil {
			return err
		}
		why := "redispatched by manager"
		if reason != "" {
			why += ": " + reason
		}
		return t.dispatch(ctx, &rq, LevelOfficer, officerID, RoleOfficer, why, true)
	})
	if err != nil {
		return Request{}, err
	}
	return r.Request(ctx, id)
}

// ticketEnded closes the request of a ticket closed or withdrawn; a ticket
// ending before its submission was seen is remembered so that it is never
// dispatched.
func (t *txn) ticketEnded(ctx context.Context, ticket, reason string, at time.Time) error {
	rs, err := t.lockedRequests(ctx, `r.ticket_id = $1`, ticket)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO ticket_endings (ticket_id, reason, ended_at) VALUES ($1, $2, $3)
			ON CONFLICT (ticket_id) DO NOTHING`, ticket, reason, at)
		if err != nil {
			return fmt.Errorf("record ticket ending: %w", err)
		}
		return nil
	}
	rq := rs[0]
	if rq.State == RequestClosed {
		return nil
	}
	ids, err := t.stopDispatches(ctx, rq.ID)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE requests SET state = 'closed', closed_at = $2, close_reason = $3 WHERE id = $1`,
		rq.ID, at, reason); err != nil {
		return fmt.Errorf("close request: %w", err)
	}
	return t.emit(ctx, event.RequestClosed, rq.Park, aggRequest, rq.ID, &liaisonpb.RequestClosed{RequestId: rq.ID,
		TicketId: ticket, Reason: reason, ClosedAt: timestamppb.New(at), OpenDispatchIds: ids})
}
