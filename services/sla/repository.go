package sla

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// queryer is what both *sqlx.DB and *sqlx.Tx offer.
type queryer interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

const clockColumns = `id, park, kind, subject_id, workflow_id, ticket_id, enterprise_id, department,
	officer_id, handler_id, matter_code, started_at, budget, legal_budget, warn_days, extension_days,
	verification_days, pauses, state, deadline, legal_deadline, warn_at, next_fire_at, escalation_level,
	warned_at, breached_at, stopped_at, cancelled_at, stopped_late, stopped_early, used_days, version`

// clockRow is a clocks row as stored.
type clockRow struct {
	ID               string          `db:"id"`
	Park             string          `db:"park"`
	Kind             string          `db:"kind"`
	SubjectID        string          `db:"subject_id"`
	WorkflowID       string          `db:"workflow_id"`
	TicketID         string          `db:"ticket_id"`
	EnterpriseID     string          `db:"enterprise_id"`
	Department       string          `db:"department"`
	OfficerID        string          `db:"officer_id"`
	HandlerID        string          `db:"handler_id"`
	MatterCode       string          `db:"matter_code"`
	StartedAt        time.Time       `db:"started_at"`
	Budget           int             `db:"budget"`
	LegalBudget      int             `db:"legal_budget"`
	WarnDays         int             `db:"warn_days"`
	ExtensionDays    int             `db:"extension_days"`
	VerificationDays int             `db:"verification_days"`
	Pauses           json.RawMessage `db:"pauses"`
	State            string          `db:"state"`
	Deadline         sql.NullTime    `db:"deadline"`
	LegalDeadline    sql.NullTime    `db:"legal_deadline"`
	WarnAt           sql.NullTime    `db:"warn_at"`
	NextFireAt       sql.NullTime    `db:"next_fire_at"`
	EscalationLevel  int             `db:"escalation_level"`
	WarnedAt         sql.NullTime    `db:"warned_at"`
	BreachedAt       sql.NullTime    `db:"breached_at"`
	StoppedAt        sql.NullTime    `db:"stopped_at"`
	CancelledAt      sql.NullTime    `db:"cancelled_at"`
	StoppedLate      bool            `db:"stopped_late"`
	StoppedEarly     bool            `db:"stopped_early"`
	UsedDays         float64         `db:"used_days"`
	Version          int64           `db:"version"`
}

func nt(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func (r clockRow) clock() (Clock, error) {
	c := Clock{
		ID: r.ID, Park: r.Park, Kind: Kind(r.Kind), SubjectID: r.SubjectID, WorkflowID: r.WorkflowID,
		TicketID: r.TicketID, EnterpriseID: r.EnterpriseID, Department: r.Department, OfficerID: r.OfficerID,
		HandlerID: r.HandlerID, MatterCode: r.MatterCode, StartedAt: r.StartedAt.UTC(), Budget: r.Budget,
		LegalBudget: r.LegalBudget, WarnDays: r.WarnDays, ExtensionDays: r.ExtensionDays,
		VerificationDays: r.VerificationDays, State: State(r.State), Deadline: nt(r.Deadline),
		LegalDeadline: nt(r.LegalDeadline), WarnAt: nt(r.WarnAt), NextFireAt: nt(r.NextFireAt),
		EscalationLevel: r.EscalationLevel, WarnedAt: nt(r.WarnedAt), BreachedAt: nt(r.BreachedAt),
		StoppedAt: nt(r.StoppedAt), CancelledAt: nt(r.CancelledAt), StoppedLate: r.StoppedLate,
		StoppedEarly: r.StoppedEarly, UsedDays: r.UsedDays, Version: r.Version,
	}
	if err := json.Unmarshal(r.Pauses, &c.Pauses); err != nil {
		return Clock{}, fmt.Errorf("clock %s pauses: %w", r.ID, err)
	}
	for i := range c.Pauses {
		c.Pauses[i].From = c.Pauses[i].From.UTC()
		if !c.Pauses[i].To.IsZero() {
			c.Pauses[i].To = c.Pauses[i].To.UTC()
		}
	}
	return c, nil
}

// selectClocks reads the clocks matching where (with its ORDER BY, LIMIT or
// FOR UPDATE suffix).
func selectClocks(ctx context.Context, q queryer, where string, args ...any) ([]Clock, error) {
	var rows []clockRow
	if err := q.SelectContext(ctx, &rows, `SELECT `+clockColumns+` FROM clocks WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("select clocks: %w", err)
	}
	out := make([]Clock, 0, len(rows))
	for _, r := range rows {
		c, err := r.clock()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// openClock returns the open clock of a subject, locked for update, or nil.
func openClock(ctx context.Context, tx *sqlx.Tx, park string, kind Kind, workflow, subject string) (*Clock, error) {
	cs, err := selectClocks(ctx, tx, `park = $1 AND kind = $2 AND workflow_id = $3 AND subject_id = $4
		AND state IN ('green', 'yellow', 'red') FOR UPDATE`, park, kind, workflow, subject)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

// clockExists reports whether a subject ever had a clock of kind.
func clockExists(ctx context.Context, tx *sqlx.Tx, park string, kind Kind, workflow, subject string) (bool, error) {
	var ok bool
	err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM clocks WHERE park = $1 AND kind = $2
		AND workflow_id = $3 AND subject_id = $4)`, park, kind, workflow, subject)
	if err != nil {
		return false, fmt.Errorf("clock exists: %w", err)
	}
	return ok, nil
}

func tsArray(ts []time.Time) []sql.NullString {
	out := make([]sql.NullString, len(ts))
	for i, t := range ts {
		if !t.IsZero() {
			out[i] = sql.NullString{String: t.UTC().Format(time.RFC3339Nano), Valid: true}
		}
	}
	return out
}

// saveClocks inserts new clocks and updates existing ones, in one statement.
func saveClocks(ctx context.Context, q sqlx.ExecerContext, cs []Clock) error {
	if len(cs) == 0 {
		return nil
	}
	n := len(cs)
	var (
		str                                        = func() []string { return make([]string, n) }
		ids, parks, kinds, subjects, workflows     = str(), str(), str(), str(), str()
		tickets, firms, depts, officers, handlers  = str(), str(), str(), str(), str()
		matters, pauses, states                    = str(), str(), str()
		budget, legal, warn, ext, verif, level     = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		paused, late, early                        = make([]bool, n), make([]bool, n), make([]bool, n)
		used                                       = make([]float64, n)
		version                                    = make([]int64, n)
		started, deadline, legalDeadline, warnAt   = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		next, warned, breached, stopped, cancelled = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	)
	for i, c := range cs {
		ps := c.Pauses
		if ps == nil {
			ps = []Pause{}
		}
		b, err := json.Marshal(ps)
		if err != nil {
			return fmt.Errorf("save clock %s: %w", c.ID, err)
		}
		ids[i], parks[i], kinds[i], subjects[i], workflows[i] = c.ID, c.Park, string(c.Kind), c.SubjectID, c.WorkflowID
		tickets[i], firms[i], depts[i], officers[i], handlers[i] = c.TicketID, c.EnterpriseID, c.Department, c.OfficerID, c.HandlerID
		matters[i], pauses[i], states[i] = c.MatterCode, string(b), string(c.State)
		budget[i], legal[i], warn[i] = int64(c.Budget), int64(c.LegalBudget), int64(c.WarnDays)
		ext[i], verif[i], level[i] = int64(c.ExtensionDays), int64(c.VerificationDays), int64(c.EscalationLevel)
		paused[i], late[i], early[i], used[i], version[i] = c.Paused(), c.StoppedLate, c.StoppedEarly, c.UsedDays, c.Version
		started[i], deadline[i], legalDeadline[i], warnAt[i] = c.StartedAt, c.Deadline, c.LegalDeadline, c.WarnAt
		next[i], warned[i], breached[i], stopped[i], cancelled[i] = c.NextFireAt, c.WarnedAt, c.BreachedAt, c.StoppedAt, c.CancelledAt
	}
	const stmt = `INSERT INTO clocks (` + clockColumns + `, paused)
		SELECT id, park, kind, subject_id, workflow_id, ticket_id, enterprise_id, department, officer_id,
			handler_id, matter_code, started_at::timestamptz, budget, legal_budget, warn_days, extension_days,
			verification_days, pauses::jsonb, state, deadline::timestamptz, legal_deadline::timestamptz,
			warn_at::timestamptz, next_fire_at::timestamptz, escalation_level, warned_at::timestamptz,
			breached_at::timestamptz, stopped_at::timestamptz, cancelled_at::timestamptz, stopped_late,
			stopped_early, used_days, version, paused
		FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::int[], $15::int[],
			$16::int[], $17::int[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[],
			$24::int[], $25::text[], $26::text[], $27::text[], $28::text[], $29::bool[], $30::bool[],
			$31::float8[], $32::bigint[], $33::bool[])
			AS u(id, park, kind, subject_id, workflow_id, ticket_id, enterprise_id, department, officer_id,
			handler_id, matter_code, started_at, budget, legal_budget, warn_days, extension_days,
			verification_days, pauses, state, deadline, legal_deadline, warn_at, next_fire_at,
			escalation_level, warned_at, breached_at, stopped_at, cancelled_at, stopped_late, stopped_early,
			used_days, version, paused)
		ON CONFLICT (id) DO UPDATE SET
			enterprise_id = EXCLUDED.enterprise_id, officer_id = EXCLUDED.officer_id,
			started_at = EXCLUDED.started_at, budget = EXCLUDED.budget, extension_days = EXCLUDED.extension_days,
			pauses = EXCLUDED.pauses, paused = EXCLUDED.paused, state = EXCLUDED.state,
			deadline = EXCLUDED.deadline, legal_deadline = EXCLUDED.legal_deadline, warn_at = EXCLUDED.warn_at,
			next_fire_at = EXCLUDED.next_fire_at, escalation_level = EXCLUDED.escalation_level,
			warned_at = EXCLUDED.warned_at, breached_at = EXCLUDED.breached_at, stopped_at = EXCLUDED.stopped_at,
			cancelled_at = EXCLUDED.cancelled_at, stopped_late = EXCLUDED.stopped_late,
			stopped_early = EXCLUDED.stopped_early, used_days = EXCLUDED.used_days, version = EXCLUDED.version,
			updated_at = now()`
	_, err := q.ExecContext(ctx, stmt, pq.Array(ids), pq.Array(parks), pq.Array(kinds), pq.Array(subjects),
		pq.Array(workflows), pq.Array(tickets), pq.Array(firms), pq.Array(depts), pq.Array(officers),
		pq.Array(handlers), pq.Array(matters), pq.Array(tsArray(started)), pq.Array(budget), pq.Array(legal),
		pq.Array(warn), pq.Array(ext), pq.Array(verif), pq.Array(pauses), pq.Array(states),
		pq.Array(tsArray(deadline)), pq.Array(tsArray(legalDeadline)), pq.Array(tsArray(warnAt)),
		pq.Array(tsArray(next)), pq.Array(level), pq.Array(tsArray(warned)), pq.Array(tsArray(breached)),
		pq.Array(tsArray(stopped)), pq.Array(tsArray(cancelled)), pq.Array(late), pq.Array(early),
		pq.Array(used), pq.Array(version), pq.Array(paused))
	if err != nil {
		return fmt.Errorf("save %d clocks: %w", n, err)
	}
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
