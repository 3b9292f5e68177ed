package approval

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Calendars gives parks' working-day calendars, for the end of a public
// notice. Calendars are owned by sla; approval reads the same seeds.
type Calendars interface {
	ForPark(park string) (*workday.Calendar, bool)
}

// CalendarMap is Calendars over fixed calendars.
type CalendarMap map[string]*workday.Calendar

// ForPark returns the park's calendar.
func (m CalendarMap) ForPark(park string) (*workday.Calendar, bool) {
	c, ok := m[park]
	return c, ok
}

// Repository is the approval schema's store.
type Repository struct {
	db   *sqlx.DB
	cals Calendars
}

// NewRepository returns a Repository over the approval schema's pool; cals
// may be nil (public notices then end by hand).
func NewRepository(conn *sqlx.DB, cals Calendars) (*Repository, error) {
	if conn == nil {
		return nil, errors.New("new approval repository: db is required")
	}
	if cals == nil {
		cals = CalendarMap{}
	}
	return &Repository{db: conn, cals: cals}, nil
}

// DB returns the pool.
func (r *Repository) DB() *sqlx.DB { return r.db }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()}
}

func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// origin is what the events of a unit of work inherit from its cause.
type origin struct {
	causation string
}

// --- definitions and parks ---

// SaveDefinitions stores each definition whose content differs from its
// code's latest version as a new version, in one transaction, and returns
// how many it stored.
func (r *Repository) SaveDefinitions(ctx context.Context, defs []Definition) (int, error) {
	n := 0
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		n = 0
		if _, err := tx.ExecContext(ctx, `LOCK TABLE definitions IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock definitions: %w", err)
		}
		for _, d := range defs {
			var latest struct {
				Version int    `db:"version"`
				Hash    string `db:"hash"`
			}
			err := tx.GetContext(ctx, &latest, `SELECT version, hash FROM definitions WHERE code = $1 ORDER BY version DESC LIMIT 1`, d.Code)
			if err != nil && !isNoRows(err) {
				return fmt.Errorf("latest definition %s: %w", d.Code, err)
			}
			hash := d.Hash()
			if latest.Hash == hash {
				continue
			}
			d.Version = latest.Version + 1
			content, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO definitions (code, version, subject, subject_key, name, content, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.Code, d.Version, d.Subject, d.Key(), d.Name, content, hash); err != nil {
				return fmt.Errorf("insert definition %s: %w", d.Code, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// definitionFor returns the latest definition for a subject's key (matter
// or policy); for a policy, the AnyPolicy one when the policy has none.
func definitionFor(ctx context.Context, q sqlx.QueryerContext, subject, key string) (Definition, bool, error) {
	var content []byte
	err := sqlx.GetContext(ctx, q, &content, `SELECT content FROM definitions
		WHERE subject = $1 AND subject_key IN ($2, CASE WHEN $1 = 'policy_application' THEN '*' ELSE $2 END)
		ORDER BY (subject_key = $2) DESC, created_at DESC, version DESC LIMIT 1`, subject, key)
	if isNoRows(err) {
		return Definition{}, false, nil
	}
	if err != nil {
		return Definition{}, false, fmt.Errorf("definition for %s %s: %w", subject, key, err)
	}
	var d Definition
	if err := json.Unmarshal(content, &d); err != nil {
		return Definition{}, false, fmt.Errorf("definition for %s %s: %w", subject, key, err)
	}
	return d, true, nil
}

// Definitions returns the latest version of every definition, by code.
func (r *Repository) Definitions(ctx context.Context) ([]Definition, error) {
	var rows [][]byte
	err := r.db.SelectContext(ctx, &rows, `SELECT DISTINCT ON (code) content FROM definitions ORDER BY code, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("definitions: %w", err)
	}
	out := make([]Definition, 0, len(rows))
	for _, c := range rows {
		var d Definition
		if err := json.Unmarshal(c, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Park is what approval knows of a park.
type Park struct {
	ID             string
	Name           string
	DecisionPrefix string
}

// SaveParks stores the parks' decision prefixes.
func (r *Repository) SaveParks(ctx context.Context, parks []Park) error {
	return db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		for _, p := range parks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO parks (park, name, decision_prefix) VALUES ($1, $2, $3)
				ON CONFLICT (park) DO UPDATE SET name = EXCLUDED.name, decision_prefix = EXCLUDED.decision_prefix`,
				p.ID, p.Name, p.DecisionPrefix); err != nil {
				return fmt.Errorf("save park %s: %w", p.ID, err)
			}
		}
		return nil
	})
}

// --- the transaction's environment ---

type txEnv struct {
	tx   *sqlx.Tx
	cals Calendars
}

// DecisionNumber formats decision number n of year with a park's prefix,
// e.g. 望经开审〔2026〕0001号.
func DecisionNumber(prefix string, year, n int) string {
	return fmt.Sprintf("%s〔%d〕%04d号", prefix, year, n)
}

func (e txEnv) NextDecisionNumber(ctx context.Context, park string, at time.Time) (string, error) {
	var prefix string
	err := e.tx.GetContext(ctx, &prefix, `SELECT decision_prefix FROM parks WHERE park = $1`, park)
	if isNoRows(err) {
		return "", fault.Newf(fault.ErrUnprocessable, "park %s has no decision-number prefix (seeds/parks.yaml decision_prefix)", park)
	}
	if err != nil {
		return "", fmt.Errorf("decision prefix of %s: %w", park, err)
	}
	year := at.In(shanghai).Year()
	var n int
	if err := e.tx.GetContext(ctx, &n, `INSERT INTO decision_sequences (park, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (park, year) DO UPDATE SET last = decision_sequences.last + 1 RETURNING last`, park, year); err != nil {
		return "", fmt.Errorf("next decision number of %s %d: %w", park, year, err)
	}
	return DecisionNumber(prefix, year, n), nil
}

func (e txEnv) BadCredit(ctx context.Context, park, enterpriseID string) (bool, error) {
	if enterpriseID == "" {
		return false, nil
	}
	var bad bool
	err := e.tx.GetContext(ctx, &bad, `SELECT intake_bad_credit OR credit_flagged_at IS NOT NULL FROM enterprises WHERE enterprise_id = $1`, enterpriseID)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("credit of %s: %w", enterpriseID, err)
	}
	return bad, nil
}

func (e txEnv) NoticeEnd(_ context.Context, park string, start time.Time, days int) (time.Time, error) {
	cal, ok := e.cals.ForPark(park)
	if !ok {
		return time.Time{}, nil
	}
	t, err := cal.AddWorkingDays(start, days)
	if errors.Is(err, workday.ErrYearNotLoaded) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("end of a public notice in %s: %w", park, err)
	}
	return t.UTC(), nil
}

// --- workflows ---

const workflowColumns = `id, park, subject_type, subject_id, ticket_id, ticket_number, title, enterprise_id, matter_code,
	bundle_code, channel, definition, state, stage_index, round, commitment_days, legal_days, warn_days, missing_materials,
	supplement_pending, supplemented_at, commitment_approval, extension_requested, corrections, decision_number,
	decision_reason, handler_id, submitted_at, opened_at, accepted_at, decided_at, revoked_at, version`

type workflowRow struct {
	ID                 string         `db:"id"`
	Park               string         `db:"park"`
	SubjectType        string         `db:"subject_type"`
	SubjectID          string         `db:"subject_id"`
	TicketID           string         `db:"ticket_id"`
	TicketNumber       string         `db:"ticket_number"`
	Title              string         `db:"title"`
	EnterpriseID       string         `db:"enterprise_id"`
	MatterCode         string         `db:"matter_code"`
	BundleCode         string         `db:"bundle_code"`
	Channel            string         `db:"channel"`
	Definition         []byte         `db:"definition"`
	State              string         `db:"state"`
	StageIndex         int            `db:"stage_index"`
	Round              int            `db:"round"`
	CommitmentDays     int            `db:"commitment_days"`
	LegalDays          int            `db:"legal_days"`
	WarnDays           int            `db:"warn_days"`
	MissingMaterials   pq.StringArray `db:"missing_materials"`
	SupplementPending  bool           `db:"supplement_pending"`
	SupplementedAt     sql.NullTime   `db:"supplemented_at"`
	CommitmentApproval bool           `db:"commitment_approval"`
	ExtensionRequested bool           `db:"extension_requested"`
	Corrections        []byte         `db:"corrections"`
	DecisionNumber     sql.NullString `db:"decision_number"`
	DecisionReason     string         `db:"decision_reason"`
	HandlerID          string         `db:"handler_id"`
	SubmittedAt        sql.NullTime   `db:"submitted_at"`
	OpenedAt           time.Time      `db:"opened_at"`
	AcceptedAt         sql.NullTime   `db:"accepted_at"`
	DecidedAt          sql.NullTime   `db:"decided_at"`
	RevokedAt          sql.NullTime   `db:"revoked_at"`
	Version            int64          `db:"version"`
}

func (r workflowRow) workflow() (*Workflow, error) {
	w := &Workflow{ID: r.ID, Park: r.Park, SubjectType: r.SubjectType, SubjectID: r.SubjectID, TicketID: r.TicketID,
		TicketNumber: r.TicketNumber, Title: r.Title, EnterpriseID: r.EnterpriseID, MatterCode: r.MatterCode,
		BundleCode: r.BundleCode, Channel: r.Channel, State: State(r.State), StageIndex: r.StageIndex, Round: r.Round,
		CommitmentDays: r.CommitmentDays, LegalDays: r.LegalDays, WarnDays: r.WarnDays,
		MissingMaterials: []string(r.MissingMaterials), SupplementPending: r.SupplementPending,
		SupplementedAt: timeOf(r.SupplementedAt), CommitmentApproval: r.CommitmentApproval,
		ExtensionRequested: r.ExtensionRequested, DecisionNumber: r.DecisionNumber.String, DecisionReason: r.DecisionReason,
		HandlerID: r.HandlerID, SubmittedAt: timeOf(r.SubmittedAt), OpenedAt: r.OpenedAt.UTC(),
		AcceptedAt: timeOf(r.AcceptedAt), DecidedAt: timeOf(r.DecidedAt), RevokedAt: timeOf(r.RevokedAt), Version: r.Version}
	if err := json.Unmarshal(r.Definition, &w.Definition); err != nil {
		return nil, fmt.Errorf("workflow %s definition: %w", r.ID, err)
	}
	if err := json.Unmarshal(r.Corrections, &w.Corrections); err != nil {
		return nil, fmt.Errorf("workflow %s corrections: %w", r.ID, err)
	}
	if w.MissingMaterials == nil {
		w.MissingMaterials = []string{}
	}
	return w, nil
}

const taskColumns = `id, workflow_id, park, kind, stage_index, stage_code, stage_name, mode, round, department, assignee,
	state, outcome, deemed, timed_out, actor, reason, share_days, due_at, clock_kind, clock_subject, created_at, decided_at`

type taskRow struct {
	ID           string       `db:"id"`
	WorkflowID   string       `db:"workflow_id"`
	Park         string       `db:"park"`
	Kind         string       `db:"kind"`
	StageIndex   int          `db:"stage_index"`
	StageCode    string       `db:"stage_code"`
	StageName    string       `db:"stage_name"`
	Mode         string       `db:"mode"`
	Round        int          `db:"round"`
	Department   string       `db:"department"`
	Assignee     string       `db:"assignee"`
	State        string       `db:"state"`
	Outcome      string       `db:"outcome"`
	Deemed       bool         `db:"deemed"`
	TimedOut     bool         `db:"timed_out"`
	Actor        string       `db:"actor"`
	Reason       string       `db:"reason"`
	ShareDays    int          `db:"share_days"`
	DueAt        sql.NullTime `db:"due_at"`
	ClockKind    string       `db:"clock_kind"`
	ClockSubject string       `db:"clock_subject"`
	CreatedAt    time.Time    `db:"created_at"`
	DecidedAt    sql.NullTime `db:"decided_at"`
}

func (r taskRow) task() *Task {
	return &Task{ID: r.ID, WorkflowID: r.WorkflowID, Park: r.Park, Kind: TaskKind(r.Kind), StageIndex: r.StageIndex,
		StageCode: r.StageCode, StageName: r.StageName, Mode: r.Mode, Round: r.Round, Department: r.Department,
		Assignee: r.Assignee, State: TaskState(r.State), Outcome: r.Outcome, Deemed: r.Deemed, TimedOut: r.TimedOut,
		Actor: r.Actor, Reason: r.Reason, ShareDays: r.ShareDays, DueAt: timeOf(r.DueAt), ClockKind: r.ClockKind,
		ClockSubject: r.ClockSubject, CreatedAt: r.CreatedAt.UTC(), DecidedAt: timeOf(r.DecidedAt)}
}

// loadWorkflow reads a workflow with its tasks and their actions, locking
// its row when lock is set: every change of a workflow holds that lock.
func loadWorkflow(ctx context.Context, q sqlx.QueryerContext, id string, lock bool) (*Workflow, error) {
	query := `SELECT ` + workflowColumns + ` FROM workflows WHERE id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	var row workflowRow
	if err := sqlx.GetContext(ctx, q, &row, query, id); err != nil {
		if isNoRows(err) {
			return nil, fault.NotFound("workflow")
		}
		return nil, fmt.Errorf("load workflow %s: %w", id, err)
	}
	w, err := row.workflow()
	if err != nil {
		return nil, err
	}
	var trs []taskRow
	if err := sqlx.SelectContext(ctx, q, &trs, `SELECT `+taskColumns+` FROM tasks WHERE workflow_id = $1 ORDER BY created_at, id`, id); err != nil {
		return nil, fmt.Errorf("load tasks of %s: %w", id, err)
	}
	byID := map[string]*Task{}
	for _, tr := range trs {
		t := tr.task()
		w.Tasks = append(w.Tasks, t)
		byID[t.ID] = t
	}
	var acts []struct {
		TaskID      string    `db:"task_id"`
		Actor       string    `db:"actor"`
		Action      string    `db:"action"`
		Fingerprint string    `db:"fingerprint"`
		Key         string    `db:"idempotency_key"`
		At          time.Time `db:"created_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &acts, `SELECT task_id, actor, action, fingerprint, idempotency_key, created_at
		FROM task_actions WHERE workflow_id = $1 ORDER BY id`, id); err != nil {
		return nil, fmt.Errorf("load actions of %s: %w", id, err)
	}
	for _, a := range acts {
		if t := byID[a.TaskID]; t != nil {
			t.Actions = append(t.Actions, ActionRecord{Actor: a.Actor, Action: a.Action, Fingerprint: a.Fingerprint,
				IdempotencyKey: a.Key, At: a.At.UTC()})
		}
	}
	return w, nil
}

// errExists reports that the subject already has a workflow.
var errExists = errors.New("the subject already has a workflow")

// save writes a workflow's changes: its row, its changed tasks and
// decisions, and one history row and one outbox event per change, with
// versions following the workflow's.
func (r *Repository) save(ctx context.Context, tx *sqlx.Tx, w *Workflow, o origin) error {
	changes := w.Changes()
	evs := make([]event.Event, 0, len(changes))
	type hist struct {
		c       Change
		payload []byte
	}
	hs := make([]hist, 0, len(changes))
	for i := range changes {
		w.Version++
		changes[i].Version = w.Version
		ev, payload, err := changeEvent(w, changes[i])
		if err != nil {
			return err
		}
		ev.CausationID = o.causation
		evs = append(evs, ev)
		hs = append(hs, hist{changes[i], payload})
	}
	defJSON, err := json.Marshal(w.Definition)
	if err != nil {
		return err
	}
	corr, err := json.Marshal(w.Corrections)
	if err != nil {
		return err
	}
	args := []any{w.ID, w.Park, w.SubjectType, w.SubjectID, w.TicketID, w.TicketNumber, w.Title, w.EnterpriseID,
		w.MatterCode, w.BundleCode, w.Channel, w.Definition.Code, w.Definition.Version, defJSON, string(w.State),
		w.StageIndex, w.Round, w.CommitmentDays, w.LegalDays, w.WarnDays, pq.StringArray(w.MissingMaterials),
		w.SupplementPending, nullTime(w.SupplementedAt), w.CommitmentApproval, w.ExtensionRequested, corr,
		sql.NullString{String: w.DecisionNumber, Valid: w.DecisionNumber != ""}, w.DecisionReason, w.HandlerID,
		nullTime(w.SubmittedAt), w.OpenedAt.UTC(), nullTime(w.AcceptedAt), nullTime(w.DecidedAt), nullTime(w.RevokedAt), w.Version}
	if w.created {
		res, err := tx.ExecContext(ctx, `INSERT INTO workflows (id, park, subject_type, subject_id, ticket_id, ticket_number,
			title, enterprise_id, matter_code, bundle_code, channel, definition_code, definition_version, definition, state,
			stage_index, round, commitment_days, legal_days, warn_days, missing_materials, supplement_pending, supplemented_at,
			commitment_approval, extension_requested, corrections, decision_number, decision_reason, handler_id, submitted_at,
			opened_at, accepted_at, decided_at, revoked_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
			$24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35)
			ON CONFLICT (subject_type, subject_id) DO NOTHING`, args...)
		if err != nil {
			return fmt.Errorf("insert workflow: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errExists
		}
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE workflows SET state = $2, stage_index = $3, round = $4,
			missing_materials = $5, supplement_pending = $6, supplemented_at = $7, commitment_approval = $8,
			extension_requested = $9, corrections = $10, decision_number = $11, decision_reason = $12, handler_id = $13,
			accepted_at = $14, decided_at = $15, revoked_at = $16, version = $17 WHERE id = $1`,
			w.ID, string(w.State), w.StageIndex, w.Round, pq.StringArray(w.MissingMaterials), w.SupplementPending,
			nullTime(w.SupplementedAt), w.CommitmentApproval, w.ExtensionRequested, corr,
			sql.NullString{String: w.DecisionNumber, Valid: w.DecisionNumber != ""}, w.DecisionReason, w.HandlerID,
			nullTime(w.AcceptedAt), nullTime(w.DecidedAt), nullTime(w.RevokedAt), w.Version); err != nil {
			return fmt.Errorf("update workflow %s: %w", w.ID, err)
		}
	}
	for _, t := range w.Tasks {
		if !t.dirty {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
			$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
			ON CONFLICT (id) DO UPDATE SET assignee = EXCLUDED.assignee, state = EXCLUDED.state, outcome = EXCLUDED.outcome,
			deemed = EXCLUDED.deemed, timed_out = EXCLUDED.timed_out, actor = EXCLUDED.actor, reason = EXCLUDED.reason,
			due_at = EXCLUDED.due_at, decided_at = EXCLUDED.decided_at`,
			t.ID, t.WorkflowID, t.Park, string(t.Kind), t.StageIndex, t.StageCode, t.StageName, t.Mode, t.Round, t.Department,
			t.Assignee, string(t.State), t.Outcome, t.Deemed, t.TimedOut, t.Actor, t.Reason, t.ShareDays, nullTime(t.DueAt),
			t.ClockKind, t.ClockSubject, t.CreatedAt.UTC(), nullTime(t.DecidedAt)); err != nil {
			return fmt.Errorf("save task %s: %w", t.ID, err)
		}
		for _, a := range t.FreshActions() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO task_actions (task_id, workflow_id, actor, action, fingerprint,
				idempotency_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				t.ID, w.ID, a.Actor, a.Action, a.Fingerprint, a.IdempotencyKey, a.At.UTC()); err != nil {
				return fmt.Errorf("record decision on %s: %w", t.ID, err)
			}
		}
	}
	for _, h := range hs {
		tr := h.c.Transition
		if _, err := tx.ExecContext(ctx, `INSERT INTO history (workflow_id, version, type, at, actor, actor_role, action,
			reason, from_state, to_state, task_id, stage_code, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			w.ID, h.c.Version, h.c.Type, tr.At.UTC(), tr.Actor, tr.ActorRole, tr.Action, tr.Reason, string(tr.From),
			string(tr.To), tr.TaskID, tr.StageCode, h.payload); err != nil {
			return fmt.Errorf("history of %s: %w", w.ID, err)
		}
	}
	if w.CreditFlagged() && w.EnterpriseID != "" {
		reason := "false commitment found at verification of " + w.DecisionNumber
		if _, err := tx.ExecContext(ctx, `INSERT INTO enterprises (enterprise_id, park, credit_flagged_at, credit_flag_reason)
			VALUES ($1, $2, $3, $4) ON CONFLICT (enterprise_id) DO UPDATE SET
			credit_flagged_at = coalesce(enterprises.credit_flagged_at, EXCLUDED.credit_flagged_at),
			credit_flag_reason = EXCLUDED.credit_flag_reason`, w.EnterpriseID, w.Park, w.RevokedAt.UTC(), reason); err != nil {
			return fmt.Errorf("flag credit of %s: %w", w.EnterpriseID, err)
		}
	}
	if err := outbox.Add(ctx, tx, evs...); err != nil {
		return err
	}
	w.changes = nil
	w.created = false
	for _, t := range w.Tasks {
		t.dirty = false
		for i := range t.Actions {
			t.Actions[i].fresh = false
		}
	}
	return nil
}

// mutateTx locks workflow id in tx, lets fn change it and saves what fn
// changed. fn reports whether it changed anything.
func (r *Repository) mutateTx(ctx context.Context, tx *sqlx.Tx, id string, o origin, fn func(Env, *Workflow) (bool, error)) (*Workflow, error) {
	w, err := loadWorkflow(ctx, tx, id, true)
	if err != nil {
		return nil, err
	}
	changed, err := fn(txEnv{tx: tx, cals: r.cals}, w)
	if err != nil {
		return nil, err
	}
	if changed {
		if err := r.save(ctx, tx, w, o); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Mutate is mutateTx in a transaction of its own.
func (r *Repository) Mutate(ctx context.Context, id string, fn func(Env, *Workflow) (bool, error)) (*Workflow, error) {
	var w *Workflow
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		var err error
		w, err = r.mutateTx(ctx, tx, id, origin{}, fn)
		return err
	})
	return w, err
}

// MutateTask is Mutate on the workflow of task taskID.
func (r *Repository) MutateTask(ctx context.Context, taskID string, fn func(Env, *Workflow) (bool, error)) (*Workflow, error) {
	var w *Workflow
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		var id string
		if err := tx.GetContext(ctx, &id, `SELECT workflow_id FROM tasks WHERE id = $1`, taskID); err != nil {
			if isNoRows(err) {
				return fault.NotFound("task")
			}
			return fmt.Errorf("task %s: %w", taskID, err)
		}
		var err error
		w, err = r.mutateTx(ctx, tx, id, origin{}, fn)
		return err
	})
	return w, err
}

// openTx opens a workflow for spec inside tx, unless its subject has one.
func (r *Repository) openTx(ctx context.Context, tx *sqlx.Tx, spec OpenSpec, def Definition, now time.Time, o origin) (*Workflow, error) {
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM workflows WHERE subject_type = $1 AND subject_id = $2)`,
		spec.SubjectType, spec.SubjectID); err != nil {
		return nil, fmt.Errorf("workflow of %s %s: %w", spec.SubjectType, spec.SubjectID, err)
	}
	if exists {
		return nil, errExists
	}
	w, err := Open(ctx, txEnv{tx: tx, cals: r.cals}, spec, def, now)
	if err != nil {
		return nil, err
	}
	return w, r.save(ctx, tx, w, o)
}

// Open opens a workflow in a transaction of its own; a subject that has one
// already is a conflict. The policy service's applications will come in here.
func (r *Repository) Open(ctx context.Context, spec OpenSpec, now time.Time) (*Workflow, error) {
	var w *Workflow
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		key := spec.MatterCode
		if spec.SubjectType == SubjectPolicyApplication {
			key = spec.PolicyCode
		}
		def, ok, err := definitionFor(ctx, tx, spec.SubjectType, key)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Newf(fault.ErrUnprocessable, "no workflow definition for %s %s", spec.SubjectType, key)
		}
		w, err = r.openTx(ctx, tx, spec, def, now, origin{})
		return err
	})
	if errors.Is(err, errExists) {
		return nil, fault.Conflict("the subject already has a workflow")
	}
	return w, err
}

// Workflow reads a workflow with its tasks.
func (r *Repository) Workflow(ctx context.Context, id string) (*Workflow, error) {
	return loadWorkflow(ctx, r.db, id, false)
}

// WorkflowIDs returns the ids of a ticket's workflows.
func workflowIDsOfTicket(ctx context.Context, q sqlx.QueryerContext, ticketID string) ([]string, error) {
	var ids []string
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT id FROM workflows WHERE ticket_id = $1 ORDER BY opened_at, id`, ticketID); err != nil {
		return nil, fmt.Errorf("workflows of ticket %s: %w", ticketID, err)
	}
	return ids, nil
}
