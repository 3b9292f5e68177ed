package liaison

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

// LogVisit records a visit and its issues; the firm's visit cadence clock
// resets (sla), and each issue marked open_ticket asks intake for a proxy
// ticket.
func (r *Repository) LogVisit(ctx context.Context, v Visit, check func(Firm) error) (Visit, error) {
	err := r.inTx(ctx, func(t *txn) error {
		f, err := t.lockedFirm(ctx, v.EnterpriseID)
		if err != nil {
			return err
		}
		if f == nil {
			return fault.NotFound("firm")
		}
		if err := check(*f); err != nil {
			return err
		}
		v.Park = f.Park
		v.CadenceWorkingDays = 0
		if f.KeyEnterprise {
			v.CadenceWorkingDays = t.r.cfg.VisitCadenceDays
		}
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO visits (id, park, enterprise_id, officer_id, visited_at, people_met, notes, logged_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, v.ID, v.Park, v.EnterpriseID, v.OfficerID, v.VisitedAt,
			pq.StringArray(v.PeopleMet), v.Notes, t.now); err != nil {
			return fmt.Errorf("insert visit: %w", err)
		}
		v.LoggedAt = t.now
		issues := make([]*liaisonpb.VisitIssue, len(v.Issues))
		for i, is := range v.Issues {
			if _, err := t.tx.ExecContext(ctx, `INSERT INTO visit_issues (id, visit_id, seq, description, title, open_ticket)
				VALUES ($1, $2, $3, $4, $5, $6)`, is.ID, v.ID, i+1, is.Description, is.Title, is.OpenTicket); err != nil {
				return fmt.Errorf("insert visit issue: %w", err)
			}
			issues[i] = &liaisonpb.VisitIssue{IssueId: is.ID, Description: is.Description, OpenTicket: is.OpenTicket, Title: is.Title}
		}
		if _, err := t.tx.ExecContext(ctx, `UPDATE firms SET
			visit_overdue_at = CASE WHEN last_visit_at IS NULL OR $2 > last_visit_at THEN NULL ELSE visit_overdue_at END,
			last_visit_at = greatest(last_visit_at, $2) WHERE enterprise_id = $1`, v.EnterpriseID, v.VisitedAt); err != nil {
			return fmt.Errorf("firm visited: %w", err)
		}
		version := int64(1)
		if err := t.emitVersion(event.VisitLogged, v.Park, aggVisit, v.ID, version, &liaisonpb.VisitLogged{
			VisitId: v.ID, EnterpriseId: v.EnterpriseID, OfficerId: v.OfficerID, VisitedAt: timestamppb.New(v.VisitedAt),
			CadenceWorkingDays: int32(v.CadenceWorkingDays), PeopleMet: v.PeopleMet, Issues: issues}); err != nil {
			return err
		}
		for _, is := range v.Issues {
			if !is.OpenTicket {
				continue
			}
			version++
			if err := t.emitVersion(event.VisitTicketRequested, v.Park, aggVisit, v.ID, version, &liaisonpb.VisitTicketRequested{
				RequestId: is.ID, VisitId: v.ID, EnterpriseId: v.EnterpriseID, OfficerId: v.OfficerID, Title: is.Title,
				Description: is.Description}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Visit{}, err
	}
	return v, nil
}

// Visits lists visits, newest first, with their issues.
func (r *Repository) Visits(ctx context.Context, q VisitQuery) ([]Visit, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var rows []struct {
		ID           string         `db:"id"`
		Park         string         `db:"park"`
		EnterpriseID string         `db:"enterprise_id"`
		OfficerID    string         `db:"officer_id"`
		VisitedAt    time.Time      `db:"visited_at"`
		PeopleMet    pq.StringArray `db:"people_met"`
		Notes        string         `db:"notes"`
		LoggedAt     time.Time      `db:"logged_at"`
		Key          bool           `db:"key_enterprise"`
	}
	if err := r.cfg.DB.SelectContext(ctx, &rows, `SELECT v.id, v.park, v.enterprise_id, v.officer_id, v.visited_at,
		v.people_met, v.notes, v.logged_at, coalesce(f.key_enterprise, false) AS key_enterprise
		FROM visits v LEFT JOIN firms f ON f.enterprise_id = v.enterprise_id
		WHERE ($1 = '' OR v.park = $1) AND ($2 = '' OR v.enterprise_id = $2) AND ($3 = '' OR v.officer_id = $3)
		AND ($4 = '' OR v.officer_id = $4 OR f.officer_id = $4 OR f.backup_officer_id = $4)
		ORDER BY v.visited_at DESC, v.id DESC LIMIT $5`, q.Park, q.EnterpriseID, q.OfficerID, q.ForOfficer, limit); err != nil {
		return nil, fmt.Errorf("select visits: %w", err)
	}
	out := make([]Visit, len(rows))
	ids := make([]string, len(rows))
	at := map[string]int{}
	for i, v := range rows {
		out[i] = Visit{ID: v.ID, Park: v.Park, EnterpriseID: v.EnterpriseID, OfficerID: v.OfficerID,
			VisitedAt: v.VisitedAt.UTC(), PeopleMet: nonNil(v.PeopleMet), Issues: []Issue{}, Notes: v.Notes,
			LoggedAt: v.LoggedAt.UTC()}
		if v.Key {
			out[i].CadenceWorkingDays = r.cfg.VisitCadenceDays
		}
		ids[i], at[v.ID] = v.ID, i
	}
	if len(ids) == 0 {
		return out, nil
	}
	var issues []struct {
		ID          string `db:"id"`
		VisitID     string `db:"visit_id"`
		Description string `db:"description"`
		Title       string `db:"title"`
		OpenTicket  bool   `db:"open_ticket"`
	}
	if err := r.cfg.DB.SelectContext(ctx, &issues, `SELECT id, visit_id, description, title, open_ticket FROM visit_issues
		WHERE visit_id = ANY($1) ORDER BY visit_id, seq`, pq.StringArray(ids)); err != nil {
		return nil, fmt.Errorf("select visit issues: %w", err)
	}
	for _, is := range issues {
		v := &out[at[is.VisitID]]
		v.Issues = append(v.Issues, Issue{ID: is.ID, Description: is.Description, Title: is.Title, OpenTicket: is.OpenTicket})
	}
	return out, nil
}

// --- promises ---

const promiseCols = `id, park, enterprise_id, officer_id, content, due_at, made_at, state, note, closed_at, closed_by, overdue_at`

type promiseRow struct {
	ID           string       `db:"id"`
	Park         string       `db:"park"`
	EnterpriseID string       `db:"enterprise_id"`
	OfficerID    string       `db:"officer_id"`
	Content      string       `db:"content"`
	DueAt        time.Time    `db:"due_at"`
	MadeAt       time.Time    `db:"made_at"`
	State        string       `db:"state"`
	Note         string       `db:"note"`
	ClosedAt     sql.NullTime `db:"closed_at"`
	ClosedBy     string       `db:"closed_by"`
	OverdueAt    sql.NullTime `db:"overdue_at"`
}

func (r promiseRow) promise() Promise {
	p := Promise{ID: r.ID, Park: r.Park, EnterpriseID: r.EnterpriseID, OfficerID: r.OfficerID, Content: r.Content,
		DueAt: r.DueAt.UTC(), MadeAt: r.MadeAt.UTC(), State: PromiseState(r.State), Note: r.Note,
		ClosedAt: nullTime(r.ClosedAt), ClosedBy: r.ClosedBy, OverdueAt: nullTime(r.OverdueAt)}
	p.Late = !p.ClosedAt.IsZero() && p.ClosedAt.After(p.DueAt)
	return p
}

func selectPromises(ctx context.Context, q queryer, where string, args ...any) ([]Promise, error) {
	var rows []promiseRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+promiseCols+` FROM promises WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("select promises: %w", err)
	}
	out := make([]Promise, len(rows))
	for i, r := range rows {
		out[i] = r.promise()
	}
	return out, nil
}

// MakePromise records an open promise to a firm.
func (r *Repository) MakePromise(ctx context.Context, p Promise, check func(Firm) error) (Promise, error) {
	err := r.inTx(ctx, func(t *txn) error {
		fs, err := selectFirms(ctx, t.tx, `f.enterprise_id = $1 FOR SHARE OF f`, p.EnterpriseID)
		if err != nil {
			return err
		}
		if len(fs) == 0 {
			return fault.NotFound("firm")
		}
		if err := check(fs[0]); err != nil {
			return err
		}
		p.Park, p.MadeAt, p.State = fs[0].Park, t.now, PromiseOpen
		if _, err := t.tx.ExecContext(ctx, `INSERT INTO promises (id, park, enterprise_id, officer_id, content, due_at, made_at, state)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'open')`, p.ID, p.Park, p.EnterpriseID, p.OfficerID, p.Content, p.DueAt, p.MadeAt); err != nil {
			return fmt.Errorf("insert promise: %w", err)
		}
		return t.emit(ctx, event.PromiseMade, p.Park, aggPromise, p.ID, &liaisonpb.PromiseMade{PromiseId: p.ID,
			EnterpriseId: p.EnterpriseID, OfficerId: p.OfficerID, Content: p.Content, DueAt: timestamppb.New(p.DueAt),
			MadeAt: timestamppb.New(p.MadeAt)})
	})
	return p, err
}

// ClosePromise closes a promise with its outcome.
func (r *Repository) ClosePromise(ctx context.Context, id string, out PromiseOutcome, by Actor, check func(Promise) error) (Promise, error) {
	var p Promise
	err := r.inTx(ctx, func(t *txn) error {
		ps, err := selectPromises(ctx, t.tx, `id = $1 FOR UPDATE`, id)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return fault.NotFound("promise")
		}
		p = ps[0]
		if err := check(p); err != nil {
			return err
		}
		p.State, p.Note, p.ClosedAt, p.ClosedBy = out.Outcome, out.Note, t.now, by.ID
		p.Late = t.now.After(p.DueAt)
		if _, err := t.tx.ExecContext(ctx, `UPDATE promises SET state = $2, note = $3, closed_at = $4, closed_by = $5 WHERE id = $1`,
			p.ID, string(p.State), p.Note, p.ClosedAt, p.ClosedBy); err != nil {
			return fmt.Errorf("close promise: %w", err)
		}
		return t.emit(ctx, event.PromiseClosed, p.Park, aggPromise, p.ID, &liaisonpb.PromiseClosed{PromiseId: p.ID,
			EnterpriseId: p.EnterpriseID, OfficerId: p.OfficerID, Outcome: string(p.State), Note: p.Note,
			ClosedAt: timestamppb.New(p.ClosedAt), Late: p.Late})
	})
	return p, err
}

// Promises lists promises, soonest due first.
func (r *Repository) Promises(ctx context.Context, q PromiseQuery) ([]Promise, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 200
	}
	return selectPromises(ctx, r.cfg.DB, `($1 = '' OR park = $1) AND ($2 = '' OR enterprise_id = $2)
		AND ($3 = '' OR officer_id = $3) AND ($5 = '' OR state = $5)
		AND ($4 = '' OR officer_id = $4 OR enterprise_id IN (SELECT enterprise_id FROM firms
			WHERE officer_id = $4 OR backup_officer_id = $4))
		ORDER BY (state <> 'open'), due_at, id LIMIT $6`, q.Park, q.EnterpriseID, q.OfficerID, q.ForOfficer, string(q.State), limit)
}

// FireOverdue marks up to batch open promises past due as overdue, once
// each, publishing liaison.promise.overdue, and returns how many it marked
// and the next instant a promise falls due (zero when none).
func (r *Repository) FireOverdue(ctx context.Context, batch int) (int, time.Time, error) {
	n := 0
	var next sql.NullTime
	err := r.inTx(ctx, func(t *txn) error {
		ps, err := selectPromises(ctx, t.tx, `state = 'open' AND overdue_at IS NULL AND due_at <= $1
			ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`, t.now, batch)
		if err != nil {
			return err
		}
		n = len(ps)
		for _, p := range ps {
			if _, err := t.tx.ExecContext(ctx, `UPDATE promises SET overdue_at = $2 WHERE id = $1`, p.ID, t.now); err != nil {
				return fmt.Errorf("promise overdue: %w", err)
			}
			if err := t.emit(ctx, event.PromiseOverdue, p.Park, aggPromise, p.ID, &liaisonpb.PromiseOverdue{PromiseId: p.ID,
				EnterpriseId: p.EnterpriseID, OfficerId: p.OfficerID, DueAt: timestamppb.New(p.DueAt)}); err != nil {
				return err
			}
		}
		return t.tx.GetContext(ctx, &next, `SELECT min(due_at) FROM promises WHERE state = 'open' AND overdue_at IS NULL`)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("fire overdue promises: %w", err)
	}
	return n, nullTime(next), nil
}
