package sla

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

// Repository is the service's PostgreSQL store; it owns the transactions of
// the HTTP API.
type Repository struct {
	db *sqlx.DB
}

// NewRepository returns a Repository over the sla schema's pool.
func NewRepository(conn *sqlx.DB) (*Repository, error) {
	if conn == nil {
		return nil, errors.New("new sla repository: db is required")
	}
	return &Repository{db: conn}, nil
}

// Clock returns the clock with id.
func (r *Repository) Clock(ctx context.Context, id string) (Clock, error) {
	cs, err := selectClocks(ctx, r.db, `id = $1`, id)
	if err != nil {
		return Clock{}, fmt.Errorf("get clock: %w", err)
	}
	if len(cs) == 0 {
		return Clock{}, fault.NotFound("clock")
	}
	return cs[0], nil
}

// TicketClocks returns every clock of a ticket, oldest first.
func (r *Repository) TicketClocks(ctx context.Context, ticketID string) ([]Clock, error) {
	cs, err := selectClocks(ctx, r.db, `ticket_id = $1 ORDER BY started_at, id LIMIT 500`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("ticket clocks: %w", err)
	}
	return cs, nil
}

// Officers returns the primary and backup officer of a firm ("" if unknown).
func (r *Repository) Officers(ctx context.Context, enterpriseID string) (string, string, error) {
	var a struct {
		Officer string `db:"officer_id"`
		Backup  string `db:"backup_officer_id"`
	}
	err := r.db.GetContext(ctx, &a, `SELECT officer_id, backup_officer_id FROM assignments WHERE enterprise_id = $1`, enterpriseID)
	if err != nil && !isNoRows(err) {
		return "", "", fmt.Errorf("officers of %s: %w", enterpriseID, err)
	}
	return a.Officer, a.Backup, nil
}

// lockClock reads one clock for update.
func lockClock(ctx context.Context, tx *sqlx.Tx, id string) (Clock, error) {
	cs, err := selectClocks(ctx, tx, `id = $1 FOR UPDATE`, id)
	if err != nil {
		return Clock{}, err
	}
	if len(cs) == 0 {
		return Clock{}, fault.NotFound("clock")
	}
	return cs[0], nil
}

// RequestExtension inserts the extension build makes for the locked clock.
func (r *Repository) RequestExtension(ctx context.Context, clockID string, build func(Clock) (Extension, error)) (Extension, error) {
	var x Extension
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		c, err := lockClock(ctx, tx, clockID)
		if err != nil {
			return err
		}
		if x, err = build(c); err != nil {
			return err
		}
		inserted, err := insertExtension(ctx, tx, x)
		if err != nil {
			return err
		}
		if !inserted {
			return fault.Conflict("the clock already has an extension; it may be asked for once")
		}
		return nil
	})
	if err != nil {
		return Extension{}, fmt.Errorf("request extension: %w", err)
	}
	return x, nil
}

// insertExtension inserts x unless its clock has one already.
func insertExtension(ctx context.Context, tx *sqlx.Tx, x Extension) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO extensions (id, clock_id, park, working_days, reason, requested_by,
		requested_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (clock_id) DO NOTHING`,
		x.ID, x.ClockID, x.Park, x.WorkingDays, x.Reason, x.RequestedBy, x.RequestedAt, x.State)
	if err != nil {
		return false, fmt.Errorf("insert extension: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

type extensionRow struct {
	ID               string       `db:"id"`
	ClockID          string       `db:"clock_id"`
	Park             string       `db:"park"`
	WorkingDays      int          `db:"working_days"`
	Reason           string       `db:"reason"`
	RequestedBy      string       `db:"requested_by"`
	RequestedAt      time.Time    `db:"requested_at"`
	State            string       `db:"state"`
	DecidedBy        string       `db:"decided_by"`
	DecidedAt        sql.NullTime `db:"decided_at"`
	DecisionReason   string       `db:"decision_reason"`
	PreviousDeadline sql.NullTime `db:"previous_deadline"`
	NewDeadline      sql.NullTime `db:"new_deadline"`
}

func (e extensionRow) extension() Extension {
	return Extension{ID: e.ID, ClockID: e.ClockID, Park: e.Park, WorkingDays: e.WorkingDays, Reason: e.Reason,
		RequestedBy: e.RequestedBy, RequestedAt: e.RequestedAt.UTC(), State: ExtensionState(e.State),
		DecidedBy: e.DecidedBy, DecidedAt: nt(e.DecidedAt), DecisionReason: e.DecisionReason,
		PreviousDeadline: nt(e.PreviousDeadline), NewDeadline: nt(e.NewDeadline)}
}

const extensionColumns = `id, clock_id, park, working_days, reason, requested_by, requested_at, state,
	decided_by, decided_at, decision_reason, previous_deadline, new_deadline`

// DecideExtension applies decide to the locked extension and clock, saves
// both and writes the clock's changes to the outbox.
func (r *Repository) DecideExtension(ctx context.Context, id string, decide func(*Extension, *Clock) ([]Change, error)) (Extension, Clock, error) {
	var (
		x Extension
		c Clock
	)
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		var row extensionRow
		err := tx.GetContext(ctx, &row, `SELECT `+extensionColumns+` FROM extensions WHERE id = $1 FOR UPDATE`, id)
		if isNoRows(err) {
			return fault.NotFound("extension")
		}
		if err != nil {
			return err
		}
		x = row.extension()
		if c, err = lockClock(ctx, tx, x.ClockID); err != nil {
			return err
		}
		changes, err := decide(&x, &c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE extensions SET state = $2, decided_by = $3, decided_at = $4,
			decision_reason = $5, previous_deadline = $6, new_deadline = $7 WHERE id = $1`,
			x.ID, x.State, x.DecidedBy, x.DecidedAt, x.DecisionReason, nullTime(x.PreviousDeadline), nullTime(x.NewDeadline)); err != nil {
			return fmt.Errorf("update extension: %w", err)
		}
		if len(changes) == 0 {
			return nil
		}
		if err := saveClocks(ctx, tx, []Clock{c}); err != nil {
			return err
		}
		o := origin{}
		if tp, ok := telemetry.TraceFrom(ctx); ok {
			o.traceparent = tp.Child().String()
		}
		evs, err := changeEvents(changes, x.DecidedAt, o)
		if err != nil {
			return err
		}
		return outbox.Add(ctx, tx, evs...)
	})
	if err != nil {
		return Extension{}, Clock{}, fmt.Errorf("decide extension: %w", err)
	}
	return x, c, nil
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: !t.IsZero()} }

// Extensions lists extensions, newest first.
func (r *Repository) Extensions(ctx context.Context, q ExtensionQuery) ([]Extension, error) {
	var rows []extensionRow
	err := r.db.SelectContext(ctx, &rows, `SELECT `+extensionColumns+` FROM extensions
		WHERE ($1 = '' OR park = $1) AND ($2 = '' OR state = $2) ORDER BY requested_at DESC LIMIT 500`, q.Park, string(q.State))
	if err != nil {
		return nil, fmt.Errorf("list extensions: %w", err)
	}
	out := make([]Extension, len(rows))
	for i, e := range rows {
		out[i] = e.extension()
	}
	return out, nil
}
