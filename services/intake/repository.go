package intake

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/outbox"
)

// Repository is intake's persistence in its own schema.
type Repository struct {
	db *sqlx.DB

	mu   sync.Mutex
	seqs map[string]bool // ticket number sequences known to exist
}

// NewRepository returns a Repository over conn, whose search_path is intake's schema.
func NewRepository(conn *sqlx.DB) (*Repository, error) {
	if conn == nil {
		return nil, errors.New("intake: repository needs a database")
	}
	return &Repository{db: conn, seqs: map[string]bool{}}, nil
}

// DB returns the pool.
func (r *Repository) DB() *sqlx.DB { return r.db }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// validUUID reports whether s is a UUID, so that a foreign id never reaches
// a uuid column (which would abort the transaction).
func validUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// publish writes emits to the outbox in tx as the next versions of the aggregate.
func publish(ctx context.Context, tx *sqlx.Tx, park, aggType, aggID string, version *int64, now time.Time,
	origin origin, emits []Emit) error {
	evs := make([]event.Event, 0, len(emits))
	for _, em := range emits {
		*version++
		ev, err := event.New(em.Type, park, event.Aggregate{Type: aggType, ID: aggID, Version: *version}, now, em.Payload)
		if err != nil {
			return fmt.Errorf("build %s: %w", em.Type, err)
		}
		ev.Traceparent, ev.CausationID = origin.traceparent, origin.causation
		evs = append(evs, ev)
	}
	if len(evs) == 0 {
		return nil
	}
	return outbox.Add(ctx, tx, evs...)
}

// origin is what an event published while handling another inherits.
type origin struct {
	traceparent string
	causation   string
}

// ---- parks and catalog ----

// Park returns a park.
func (r *Repository) Park(ctx context.Context, id string) (Park, error) {
	var p Park
	err := r.db.QueryRowxContext(ctx, `SELECT id, name, short_name, ticket_prefix FROM parks WHERE id = $1`, id).
		Scan(&p.ID, &p.Name, &p.ShortName, &p.TicketPrefix)
	if isNoRows(err) {
		return Park{}, fault.NotFound("park")
	}
	return p, err
}

type matterRow struct {
	Park               string `db:"park"`
	Code               string `db:"code"`
	Name               string `db:"name"`
	Department         string `db:"department"`
	DepartmentName     string `db:"department_name"`
	LegalDays          int    `db:"legal_days"`
	CommitmentDays     int    `db:"commitment_days"`
	WarnDays           int    `db:"warn_days"`
	TolerantAcceptance bool   `db:"tolerant_acceptance"`
	CommitmentApproval bool   `db:"commitment_approval"`
	SupplementDays     int    `db:"supplement_days"`
	Materials          []byte `db:"materials"`
}

func (m matterRow) matter() (Matter, error) {
	out := Matter{Park: m.Park, Code: m.Code, Name: m.Name, Department: m.Department, DepartmentName: m.DepartmentName,
		LegalDays: m.LegalDays, CommitmentDays: m.CommitmentDays, WarnDays: m.WarnDays, TolerantAcceptance: m.TolerantAcceptance,
		CommitmentApproval: m.CommitmentApproval, SupplementDays: m.SupplementDays}
	if err := json.Unmarshal(m.Materials, &out.Materials); err != nil {
		return Matter{}, fmt.Errorf("matter %s materials: %w", m.Code, err)
	}
	return out, nil
}

const matterCols = `m.park, m.code, m.name, m.department, coalesce(d.name, '') AS department_name, m.legal_days,
	m.commitment_days, m.warn_days, m.tolerant_acceptance, m.commitment_approval, m.supplement_days, m.materials`

func (r *Repository) selectMatters(ctx context.Context, where string, args ...any) ([]Matter, error) {
	var rows []matterRow
	if err := r.db.SelectContext(ctx, &rows, `SELECT `+matterCols+` FROM matters m LEFT JOIN departments d ON d.code = m.department
		WHERE `+where+` ORDER BY m.position, m.code`, args...); err != nil {
		return nil, fmt.Errorf("select matters: %w", err)
	}
	out := make([]Matter, 0, len(rows))
	for _, row := range rows {
		m, err := row.matter()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Matters returns the park's catalog of matters in catalog order.
func (r *Repository) Matters(ctx context.Context, park string) ([]Matter, error) {
	return r.selectMatters(ctx, `m.park = $1`, park)
}

// Matter returns one matter of the park.
func (r *Repository) Matter(ctx context.Context, park, code string) (Matter, error) {
	ms, err := r.selectMatters(ctx, `m.park = $1 AND m.code = $2`, park, code)
	if err != nil {
		return Matter{}, err
	}
	if len(ms) == 0 {
		return Matter{}, fault.NotFound("matter")
	}
	return ms[0], nil
}

type bundleRow struct {
	Park           string         `db:"park"`
	Code           string         `db:"code"`
	Name           string         `db:"name"`
	Matters        pq.StringArray `db:"matters"`
	CommitmentDays int            `db:"commitment_days"`
	LegalDays      int            `db:"legal_days"`
	WarnDays       int            `db:"warn_days"`
}

func (r *Repository) selectBundles(ctx context.Context, park, code string) ([]Bundle, error) {
	var rows []bundleRow
	if err := r.db.SelectContext(ctx, &rows, `SELECT park, code, name, matters, commitment_days, legal_days, warn_days
		FROM bundles WHERE park = $1 AND ($2 = '' OR code = $2) ORDER BY position, code`, park, code); err != nil {
		return nil, fmt.Errorf("select bundles: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	matters, err := r.Matters(ctx, park)
	if err != nil {
		return nil, err
	}
	byCode := map[string]Matter{}
	for _, m := range matters {
		byCode[m.Code] = m
	}
	out := make([]Bundle, 0, len(rows))
	for _, row := range rows {
		b := Bundle{Park: row.Park, Code: row.Code, Name: row.Name, MatterCodes: row.Matters,
			CommitmentDays: row.CommitmentDays, LegalDays: row.LegalDays, WarnDays: row.WarnDays}
		for _, c := range row.Matters {
			m, ok := byCode[c]
			if !ok {
				return nil, fmt.Errorf("bundle %s: matter %s is not in the catalog", row.Code, c)
			}
			b.Matters = append(b.Matters, m)
		}
		b.Materials = MergeMaterials(b.Matters)
		out = append(out, b)
	}
	return out, nil
}

// Bundles returns the park's bundles with their matters and merged materials.
func (r *Repository) Bundles(ctx context.Context, park string) ([]Bundle, error) {
	return r.selectBundles(ctx, park, "")
}

// Bundle returns one bundle of the park.
func (r *Repository) Bundle(ctx context.Context, park, code string) (Bundle, error) {
	if code == "" {
		return Bundle{}, fault.NotFound("bundle")
	}
	bs, err := r.selectBundles(ctx, park, code)
	if err != nil {
		return Bundle{}, err
	}
	if len(bs) == 0 {
		return Bundle{}, fault.NotFound("bundle")
	}
	return bs[0], nil
}

// ---- enterprises ----

type enterpriseRow struct {
	ID              string          `db:"id"`
	USCC            string          `db:"uscc"`
	Name            string          `db:"name"`
	Park            string          `db:"park"`
	IndustryCode    string          `db:"industry_code"`
	Scale           string          `db:"scale"`
	Flags           pq.StringArray  `db:"flags"`
	KeyEnterprise   bool            `db:"key_enterprise"`
	FiguresYear     sql.NullInt64   `db:"figures_year"`
	RevenueFen      sql.NullInt64   `db:"revenue_fen"`
	TaxPaidFen      sql.NullInt64   `db:"tax_paid_fen"`
	RDRatioPercent  sql.NullFloat64 `db:"rd_ratio_percent"`
	LandAreaMu      sql.NullFloat64 `db:"land_area_mu"`
	Headcount       sql.NullInt64   `db:"headcount"`
	OfficerID       string          `db:"officer_id"`
	BackupOfficerID string          `db:"backup_officer_id"`
	AssignedAt      sql.NullTime    `db:"assigned_at"`
	Synthetic       bool            `db:"synthetic"`
	Version         int64           `db:"version"`
	CreatedAt       time.Time       `db:"created_at"`
	UpdatedAt       time.Time       `db:"updated_at"`
}

const enterpriseCols = `id, uscc, name, park, industry_code, scale, flags, key_enterprise, figures_year, revenue_fen,
	tax_paid_fen, rd_ratio_percent::float8 AS rd_ratio_percent, land_area_mu::float8 AS land_area_mu, headcount,
	officer_id, backup_officer_id, assigned_at, synthetic, version, created_at, updated_at`

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func (row enterpriseRow) enterprise() Enterprise {
	e := Enterprise{ID: row.ID, USCC: row.USCC, Name: row.Name, Park: row.Park, IndustryCode: row.IndustryCode,
		Scale: row.Scale, Flags: append([]string{}, row.Flags...), KeyEnterprise: row.KeyEnterprise,
		Liaison:   Liaison{OfficerID: row.OfficerID, BackupOfficerID: row.BackupOfficerID, AssignedAt: timePtr(row.AssignedAt)},
		Synthetic: row.Synthetic, Version: row.Version, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC()}
	if row.FiguresYear.Valid {
		e.Figures = &Figures{Year: int(row.FiguresYear.Int64), RevenueFen: row.RevenueFen.Int64, TaxPaidFen: row.TaxPaidFen.Int64,
			RDRatioPercent: row.RDRatioPercent.Float64, LandAreaMu: row.LandAreaMu.Float64, Headcount: int(row.Headcount.Int64)}
	}
	return e
}

func figureArgs(f *Figures) []any {
	if f == nil {
		return []any{nil, nil, nil, nil, nil, nil}
	}
	return []any{f.Year, f.RevenueFen, f.TaxPaidFen, f.RDRatioPercent, f.LandAreaMu, f.Headcount}
}

// insertEnterprise inserts e in tx and publishes intake.enterprise.registered.
// It reports false, writing nothing, when the id or the USCC exists already.
func insertEnterprise(ctx context.Context, tx *sqlx.Tx, e *Enterprise, createdBy string, now time.Time, o origin) (bool, error) {
	args := append([]any{e.ID, e.USCC, e.Name, e.Park, e.IndustryCode, e.Scale, arr(e.Flags), e.KeyEnterprise},
		figureArgs(e.Figures)...)
	args = append(args, e.Synthetic, createdBy, now)
	res, err := tx.ExecContext(ctx, `INSERT INTO enterprises (id, uscc, name, park, industry_code, scale, flags, key_enterprise,
		figures_year, revenue_fen, tax_paid_fen, rd_ratio_percent, land_area_mu, headcount, synthetic, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
		ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return false, fmt.Errorf("insert enterprise: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	e.CreatedAt, e.UpdatedAt = now, now
	if err := publish(ctx, tx, e.Park, "enterprise", e.ID, &e.Version, now, o, []Emit{registeredEvent(*e)}); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE enterprises SET version = $2 WHERE id = $1`, e.ID, e.Version)
	return true, err
}

// CreateEnterprise registers e and publishes intake.enterprise.registered in
// one transaction. A USCC registered already is a conflict (409).
func (r *Repository) CreateEnterprise(ctx context.Context, e Enterprise, createdBy string, now time.Time, o origin) (Enterprise, error) {
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		e.Version = 0
		ok, err := insertEnterprise(ctx, tx, &e, createdBy, now, o)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Conflict("an enterprise with this USCC is registered already")
		}
		return nil
	})
	if err != nil {
		return Enterprise{}, err
	}
	return r.Enterprise(ctx, e.ID)
}

// Enterprise returns one firm.
func (r *Repository) Enterprise(ctx context.Context, id string) (Enterprise, error) {
	return enterpriseTx(ctx, r.db, id, false)
}

type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func enterpriseTx(ctx context.Context, q queryer, id string, forUpdate bool) (Enterprise, error) {
	if !validUUID(id) {
		return Enterprise{}, fault.NotFound("enterprise")
	}
	var row enterpriseRow
	query := `SELECT ` + enterpriseCols + ` FROM enterprises WHERE id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	if err := q.GetContext(ctx, &row, query, id); err != nil {
		if isNoRows(err) {
			return Enterprise{}, fault.NotFound("enterprise")
		}
		return Enterprise{}, fmt.Errorf("select enterprise: %w", err)
	}
	return row.enterprise(), nil
}

// saveEnterprise writes e's profile and publishes emits as its next versions.
func saveEnterprise(ctx context.Context, tx *sqlx.Tx, e *Enterprise, now time.Time, o origin, emits []Emit) error {
	if err := publish(ctx, tx, e.Park, "enterprise", e.ID, &e.Version, now, o, emits); err != nil {
		return err
	}
	e.UpdatedAt = now
	args := append([]any{e.ID, e.Name, e.IndustryCode, e.Scale, arr(e.Flags), e.KeyEnterprise}, figureArgs(e.Figures)...)
	args = append(args, e.Version, now)
	_, err := tx.ExecContext(ctx, `UPDATE enterprises SET name = $2, industry_code = $3, scale = $4, flags = $5,
		key_enterprise = $6, figures_year = $7, revenue_fen = $8, tax_paid_fen = $9, rd_ratio_percent = $10,
		land_area_mu = $11, headcount = $12, version = $13, updated_at = $14 WHERE id = $1`, args...)
	if err != nil {
		return fmt.Errorf("update enterprise: %w", err)
	}
	return nil
}

// UpdateEnterprise runs fn on the locked firm and stores what it changed
// with the events it returns, in one transaction.
func (r *Repository) UpdateEnterprise(ctx context.Context, id string, now time.Time, o origin,
	fn func(*Enterprise) ([]Emit, error)) (Enterprise, error) {
	var out Enterprise
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		e, err := enterpriseTx(ctx, tx, id, true)
		if err != nil {
			return err
		}
		emits, err := fn(&e)
		if err != nil {
			return err
		}
		if len(emits) > 0 {
			if err := saveEnterprise(ctx, tx, &e, now, o, emits); err != nil {
				return err
			}
		}
		out = e
		return nil
	})
	return out, err
}

// Scope limits what a caller may list: a park, one firm, or an officer's firms.
type Scope struct {
	Park         string
	EnterpriseID string
	OfficerID    string
}

// cursor encodes a keyset position.
func encodeCursor(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

func decodeCursor(s string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fault.Invalid("after", "not a cursor from a previous page")
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != n {
		return nil, fault.Invalid("after", "not a cursor from a previous page")
	}
	return parts, nil
}

// where builds a WHERE clause with numbered arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "?", fmt.Sprintf("$%d", len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}

// Enterprises lists firms in scope, by id.
func (r *Repository) Enterprises(ctx context.Context, s Scope, q EnterpriseQuery) (EnterprisePage, error) {
	var w where
	if s.Park != "" {
		w.add(`park = ?`, s.Park)
	}
	if s.EnterpriseID != "" {
		w.add(`id = ?::uuid`, s.EnterpriseID)
	}
	if s.OfficerID != "" {
		w.add(`(officer_id = ? OR backup_officer_id = ?)`, s.OfficerID, s.OfficerID)
	}
	if q.Park != "" {
		w.add(`park = ?`, q.Park)
	}
	if q.Flag != "" {
		w.add(`? = ANY(flags)`, q.Flag)
	}
	if q.Industry != "" {
		w.add(`industry_code LIKE ?`, q.Industry+"%")
	}
	if q.After != "" {
		parts, err := decodeCursor(q.After, 1)
		if err != nil || !validUUID(parts[0]) {
			return EnterprisePage{}, fault.Invalid("after", "not a cursor from a previous page")
		}
		w.add(`id > ?::uuid`, parts[0])
	}
	var rows []enterpriseRow
	if err := r.db.SelectContext(ctx, &rows, `SELECT `+enterpriseCols+` FROM enterprises WHERE `+w.String()+
		fmt.Sprintf(` ORDER BY id LIMIT %d`, q.Limit+1), w.args...); err != nil {
		return EnterprisePage{}, fmt.Errorf("list enterprises: %w", err)
	}
	page := EnterprisePage{Items: []Enterprise{}}
	for i, row := range rows {
		if i == q.Limit {
			page.Next = encodeCursor(rows[i-1].ID)
			break
		}
		page.Items = append(page.Items, row.enterprise())
	}
	return page, nil
}

// ---- uploads ----

// SaveUpload records content a user stored (idempotently).
func (r *Repository) SaveUpload(ctx context.Context, by string, u Upload) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO uploads (sha256, uploaded_by, size, media_type, ref, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uploaded_by, sha256) DO NOTHING`,
		u.SHA256, by, u.Size, u.MediaType, u.Ref, u.CreatedAt)
	if err != nil {
		return fmt.Errorf("save upload: %w", err)
	}
	return nil
}

// Uploads returns the uploads by a user among the hashes, by hash.
func (r *Repository) Uploads(ctx context.Context, by string, hashes []string) (map[string]Upload, error) {
	var rows []struct {
		SHA256    string    `db:"sha256"`
		Size      int64     `db:"size"`
		MediaType string    `db:"media_type"`
		Ref       string    `db:"ref"`
		CreatedAt time.Time `db:"created_at"`
	}
	if err := r.db.SelectContext(ctx, &rows, `SELECT sha256, size, media_type, ref, created_at FROM uploads
		WHERE uploaded_by = $1 AND sha256 = ANY($2)`, by, arr(hashes)); err != nil {
		return nil, fmt.Errorf("select uploads: %w", err)
	}
	out := map[string]Upload{}
	for _, row := range rows {
		out[row.SHA256] = Upload{SHA256: row.SHA256, Size: row.Size, MediaType: row.MediaType, Ref: row.Ref, CreatedAt: row.CreatedAt.UTC()}
	}
	return out, nil
}

// ---- tickets ----

type ticketRow struct {
	ID                    string         `db:"id"`
	Park                  string         `db:"park"`
	Number                string         `db:"number"`
	EnterpriseID          string         `db:"enterprise_id"`
	EnterpriseName        string         `db:"enterprise_name"`
	OfficerID             string         `db:"officer_id"`
	BackupOfficerID       string         `db:"backup_officer_id"`
	AssignedAt            sql.NullTime   `db:"assigned_at"`
	BadCredit             bool           `db:"bad_credit"`
	Kind                  string         `db:"kind"`
	Channel               string         `db:"channel"`
	MatterCode            string         `db:"matter_code"`
	BundleCode            string         `db:"bundle_code"`
	Departments           pq.StringArray `db:"departments"`
	Title                 string         `db:"title"`
	Description           string         `db:"description"`
	Status                string         `db:"status"`
	Outcome               string         `db:"outcome"`
	Stage                 string         `db:"stage"`
	CommitmentDays        int            `db:"commitment_days"`
	LegalDays             int            `db:"legal_days"`
	WarnDays              int            `db:"warn_days"`
	SupplementMaterials   pq.StringArray `db:"supplement_materials"`
	SupplementDays        int            `db:"supplement_days"`
	SupplementDueAt       sql.NullTime   `db:"supplement_due_at"`
	SLAState              string         `db:"sla_state"`
	SLAPaused             bool           `db:"sla_paused"`
	Deadline              sql.NullTime   `db:"deadline"`
	LegalDeadline         sql.NullTime   `db:"legal_deadline"`
	RequestID             string         `db:"liaison_request_id"`
	RelatedTicketID       sql.NullString `db:"related_ticket_id"`
	Resolution            string         `db:"resolution"`
	Rating                sql.NullInt64  `db:"rating"`
	RatingComment         string         `db:"rating_comment"`
	RatedAt               sql.NullTime   `db:"rated_at"`
	RectificationTicketID sql.NullString `db:"rectification_ticket_id"`
	SubmittedBy           string         `db:"submitted_by"`
	SubmitterRole         string         `db:"submitter_role"`
	IdempotencyKey        sql.NullString `db:"idempotency_key"`
	RequestHash           sql.NullString `db:"request_hash"`
	SubmittedAt           time.Time      `db:"submitted_at"`
	AcceptedAt            sql.NullTime   `db:"accepted_at"`
	CompletedAt           sql.NullTime   `db:"completed_at"`
	UpdatedAt             time.Time      `db:"updated_at"`
	Version               int64          `db:"version"`
}

const ticketCols = `t.id, t.park, t.number, t.enterprise_id, e.name AS enterprise_name, e.officer_id, e.backup_officer_id,
	e.assigned_at, 'bad-credit' = ANY(e.flags) AS bad_credit, t.kind, t.channel, t.matter_code, t.bundle_code, t.departments,
	t.title, t.description, t.status, t.outcome, t.stage, t.commitment_days, t.legal_days, t.warn_days, t.supplement_materials,
	t.supplement_days, t.supplement_due_at, t.sla_state, t.sla_paused, t.deadline, t.legal_deadline, t.liaison_request_id,
	t.related_ticket_id, t.resolution, t.rating, t.rating_comment, t.rated_at, t.rectification_ticket_id, t.submitted_by,
	t.submitter_role, t.idempotency_key, t.request_hash, t.submitted_at, t.accepted_at, t.completed_at, t.updated_at, t.version`

func (row ticketRow) ticket() Ticket {
	t := Ticket{ID: row.ID, Number: row.Number, Park: row.Park, EnterpriseID: row.EnterpriseID, EnterpriseName: row.EnterpriseName,
		Kind: row.Kind, Channel: row.Channel, MatterCode: row.MatterCode, BundleCode: row.BundleCode,
		Title: row.Title, Description: row.Description, Status: row.Status, Outcome: row.Outcome, Stage: row.Stage,
		CommitmentDays: row.CommitmentDays, LegalDays: row.LegalDays, WarnDays: row.WarnDays,
		Departments: append([]string{}, row.Departments...), Items: []TicketItem{},
		SLA:       SLA{State: row.SLAState, Paused: row.SLAPaused, Deadline: timePtr(row.Deadline), LegalDeadline: timePtr(row.LegalDeadline)},
		Liaison:   Liaison{OfficerID: row.OfficerID, BackupOfficerID: row.BackupOfficerID, AssignedAt: timePtr(row.AssignedAt)},
		RequestID: row.RequestID, RelatedTicketID: row.RelatedTicketID.String, Resolution: row.Resolution,
		SubmittedBy: row.SubmittedBy, SubmittedAt: row.SubmittedAt.UTC(), AcceptedAt: timePtr(row.AcceptedAt),
		CompletedAt: timePtr(row.CompletedAt), UpdatedAt: row.UpdatedAt.UTC(), Version: row.Version,
		submitterRole: row.SubmitterRole, idempotencyKey: row.IdempotencyKey.String, requestHash: row.RequestHash.String,
		badCredit: row.BadCredit}
	if len(row.SupplementMaterials) > 0 || row.SupplementDays > 0 {
		t.Supplement = &Supplement{Materials: append([]string{}, row.SupplementMaterials...), WorkingDays: row.SupplementDays,
			DueAt: timePtr(row.SupplementDueAt)}
	}
	if row.Rating.Valid {
		t.Rating = &Rating{Score: int(row.Rating.Int64), Level: RatingLevels[int(row.Rating.Int64)], Comment: row.RatingComment,
			RatedAt: row.RatedAt.Time.UTC(), RectificationTicketID: row.RectificationTicketID.String}
	}
	return t
}

type itemRow struct {
	TicketID           string         `db:"ticket_id"`
	Seq                int            `db:"seq"`
	MatterCode         string         `db:"matter_code"`
	MatterName         string         `db:"matter_name"`
	Department         string         `db:"department"`
	CommitmentDays     int            `db:"commitment_days"`
	LegalDays          int            `db:"legal_days"`
	WarnDays           int            `db:"warn_days"`
	TolerantAcceptance bool           `db:"tolerant_acceptance"`
	CommitmentApproval bool           `db:"commitment_approval"`
	MissingMaterials   pq.StringArray `db:"missing_materials"`
	WorkflowID         string         `db:"workflow_id"`
	Status             string         `db:"status"`
	Stage              string         `db:"stage"`
	StageDepartment    string         `db:"stage_department"`
	Paused             string         `db:"paused"`
	CorrectionItems    pq.StringArray `db:"correction_items"`
	DecisionNumber     string         `db:"decision_number"`
	Reason             string         `db:"reason"`
	UpdatedAt          time.Time      `db:"updated_at"`
}

func (row itemRow) item() TicketItem {
	return TicketItem{Seq: row.Seq, MatterCode: row.MatterCode, MatterName: row.MatterName, Department: row.Department,
		CommitmentDays: row.CommitmentDays, LegalDays: row.LegalDays, WarnDays: row.WarnDays,
		TolerantAcceptance: row.TolerantAcceptance, CommitmentApproval: row.CommitmentApproval,
		MissingMaterials: append([]string{}, row.MissingMaterials...), WorkflowID: row.WorkflowID, Status: row.Status,
		Stage: row.Stage, StageDepartment: row.StageDepartment, Paused: row.Paused,
		CorrectionItems: append([]string{}, row.CorrectionItems...), DecisionNumber: row.DecisionNumber, Reason: row.Reason,
		UpdatedAt: row.UpdatedAt.UTC()}
}

type clockRow struct {
	ClockID       string       `db:"clock_id"`
	TicketID      string       `db:"ticket_id"`
	Kind          string       `db:"kind"`
	WorkflowID    string       `db:"workflow_id"`
	MatterCode    string       `db:"matter_code"`
	State         string       `db:"state"`
	Paused        bool         `db:"paused"`
	Deadline      sql.NullTime `db:"deadline"`
	LegalDeadline sql.NullTime `db:"legal_deadline"`
	StoppedLate   bool         `db:"stopped_late"`
	Version       int64        `db:"version"`
}

// loadTicket reads a ticket with its items, materials and clocks (and its
// timeline when asked), locking the ticket row when forUpdate.
func loadTicket(ctx context.Context, q queryer, id string, forUpdate, timeline bool) (Ticket, error) {
	if !validUUID(id) {
		return Ticket{}, fault.NotFound("ticket")
	}
	var row ticketRow
	query := `SELECT ` + ticketCols + ` FROM tickets t JOIN enterprises e ON e.id = t.enterprise_id WHERE t.id = $1`
	if forUpdate {
		query += ` FOR UPDATE OF t`
	}
	if err := q.GetContext(ctx, &row, query, id); err != nil {
		if isNoRows(err) {
			return Ticket{}, fault.NotFound("ticket")
		}
		return Ticket{}, fmt.Errorf("select ticket: %w", err)
	}
	t := row.ticket()
	var items []itemRow
	if err := q.SelectContext(ctx, &items, `SELECT * FROM ticket_items WHERE ticket_id = $1 ORDER BY seq`, id); err != nil {
		return Ticket{}, fmt.Errorf("select items: %w", err)
	}
	for _, it := range items {
		t.Items = append(t.Items, it.item())
	}
	var mats []struct {
		Code       string    `db:"code"`
		Name       string    `db:"name"`
		SHA256     string    `db:"sha256"`
		Size       int64     `db:"size"`
		MediaType  string    `db:"media_type"`
		Ref        string    `db:"ref"`
		Purpose    string    `db:"purpose"`
		SuppliedAt time.Time `db:"supplied_at"`
	}
	if err := q.SelectContext(ctx, &mats, `SELECT code, name, sha256, size, media_type, ref, purpose, supplied_at
		FROM ticket_materials WHERE ticket_id = $1 ORDER BY id`, id); err != nil {
		return Ticket{}, fmt.Errorf("select materials: %w", err)
	}
	for _, m := range mats {
		t.Materials = append(t.Materials, Material{Code: m.Code, Name: m.Name, SHA256: m.SHA256, Size: m.Size,
			MediaType: m.MediaType, Ref: m.Ref, Purpose: m.Purpose, SuppliedAt: m.SuppliedAt.UTC()})
	}
	var clocks []clockRow
	if err := q.SelectContext(ctx, &clocks, `SELECT clock_id, ticket_id, kind, workflow_id, matter_code, state, paused,
		deadline, legal_deadline, stopped_late, version FROM ticket_clocks WHERE ticket_id = $1 ORDER BY kind, clock_id`, id); err != nil {
		return Ticket{}, fmt.Errorf("select clocks: %w", err)
	}
	for _, c := range clocks {
		t.SLA.Clocks = append(t.SLA.Clocks, Clock{ID: c.ClockID, Kind: c.Kind, WorkflowID: c.WorkflowID, MatterCode: c.MatterCode,
			State: c.State, Paused: c.Paused, Deadline: timePtr(c.Deadline), LegalDeadline: timePtr(c.LegalDeadline),
			StoppedLate: c.StoppedLate, Version: c.Version})
	}
	if timeline {
		var entries []struct {
			At      time.Time `db:"at"`
			Type    string    `db:"type"`
			Actor   string    `db:"actor"`
			Summary string    `db:"summary"`
			Detail  []byte    `db:"detail"`
			EventID string    `db:"event_id"`
		}
		if err := q.SelectContext(ctx, &entries, `SELECT at, type, actor, summary, detail, event_id FROM ticket_timeline
			WHERE ticket_id = $1 ORDER BY at, id`, id); err != nil {
			return Ticket{}, fmt.Errorf("select timeline: %w", err)
		}
		for _, e := range entries {
			te := TimelineEntry{At: e.At.UTC(), Type: e.Type, Actor: e.Actor, Summary: e.Summary, EventID: e.EventID}
			if len(e.Detail) > 0 {
				_ = json.Unmarshal(e.Detail, &te.Detail)
			}
			t.Timeline = append(t.Timeline, te)
		}
	}
	return t, nil
}

// Ticket returns a ticket with its timeline.
func (r *Repository) Ticket(ctx context.Context, id string) (Ticket, error) {
	return loadTicket(ctx, r.db, id, false, true)
}

// TicketByKey returns the ticket a submitter filed under an Idempotency-Key.
func (r *Repository) TicketByKey(ctx context.Context, submitter, key string) (Ticket, bool, error) {
	var id string
	err := r.db.GetContext(ctx, &id, `SELECT id FROM tickets WHERE submitted_by = $1 AND idempotency_key = $2`, submitter, key)
	if isNoRows(err) {
		return Ticket{}, false, nil
	}
	if err != nil {
		return Ticket{}, false, fmt.Errorf("select ticket by key: %w", err)
	}
	t, err := r.Ticket(ctx, id)
	return t, err == nil, err
}

// sequenceName is the ticket number sequence of a park and year.
func sequenceName(park string, year int) string {
	if len(park) <= 48 {
		return fmt.Sprintf("tn_%s_%d", park, year)
	}
	sum := sha256.Sum256([]byte(park))
	return fmt.Sprintf("tn_%s_%d", hex.EncodeToString(sum[:8]), year)
}

// ensureSequence creates the park's number sequence for year if needed, on
// its own connection and committed at once, so that no submission waits on
// another's transaction for a number.
func (r *Repository) ensureSequence(ctx context.Context, name string) error {
	r.mu.Lock()
	known := r.seqs[name]
	r.mu.Unlock()
	if known {
		return nil
	}
	_, err := r.db.ExecContext(ctx, `CREATE SEQUENCE IF NOT EXISTS `+pq.QuoteIdentifier(name)+` AS bigint MINVALUE 1`)
	// Two creators at once: the loser sees a unique violation on the catalog; the sequence exists.
	if err != nil && !db.IsUniqueViolation(err, "") {
		return fmt.Errorf("create sequence %s: %w", name, err)
	}
	r.mu.Lock()
	r.seqs[name] = true
	r.mu.Unlock()
	return nil
}

// nextNumber issues the park's next ticket number for the year of at.
// Numbers come from a sequence: unique and increasing, never rolled back
// (gaps allowed), and never a lock held until commit.
func (r *Repository) nextNumber(ctx context.Context, tx *sqlx.Tx, park string, at time.Time) (string, error) {
	var prefix string
	if err := tx.GetContext(ctx, &prefix, `SELECT ticket_prefix FROM parks WHERE id = $1`, park); err != nil {
		if isNoRows(err) {
			return "", fault.Invalid("park", "unknown park")
		}
		return "", fmt.Errorf("park prefix: %w", err)
	}
	year := at.In(shanghai).Year()
	name := sequenceName(park, year)
	if err := r.ensureSequence(ctx, name); err != nil {
		return "", err
	}
	var n int64
	if err := tx.GetContext(ctx, &n, `SELECT nextval($1::regclass)`, pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("next ticket number: %w", err)
	}
	return FormatTicketNumber(prefix, year, n), nil
}

// arr is a text[] argument: never NULL, an empty array for none.
func arr(s []string) pq.StringArray {
	if s == nil {
		return pq.StringArray{}
	}
	return pq.StringArray(s)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insertTicket inserts a new ticket with its items, materials and timeline,
// giving it a number. It reports false, writing nothing, when the
// submitter's Idempotency-Key names a ticket already.
func (r *Repository) insertTicket(ctx context.Context, tx *sqlx.Tx, t *Ticket) (bool, error) {
	number, err := r.nextNumber(ctx, tx, t.Park, t.SubmittedAt)
	if err != nil {
		return false, err
	}
	t.Number = number
	var supMaterials []string
	var supDays int
	var supDue *time.Time
	if t.Supplement != nil {
		supMaterials, supDays, supDue = t.Supplement.Materials, t.Supplement.WorkingDays, t.Supplement.DueAt
	}
	var id string
	err = tx.GetContext(ctx, &id, `INSERT INTO tickets (id, park, number, enterprise_id, kind, channel, matter_code, bundle_code,
		matter_codes, departments, title, description, status, outcome, stage, commitment_days, legal_days, warn_days,
		supplement_materials, supplement_days, supplement_due_at, related_ticket_id, submitted_by, submitter_role,
		idempotency_key, request_hash, submitted_at, updated_at, version, liaison_request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24,
			$25, $26, $27, $27, 0, $28)
		ON CONFLICT (submitted_by, idempotency_key) DO NOTHING RETURNING id`,
		t.ID, t.Park, t.Number, t.EnterpriseID, t.Kind, t.Channel, t.MatterCode, t.BundleCode, arr(t.MatterCodes()),
		arr(t.Departments), t.Title, t.Description, t.Status, t.Outcome, t.Stage, t.CommitmentDays, t.LegalDays,
		t.WarnDays, arr(supMaterials), supDays, supDue, nullString(t.RelatedTicketID), t.SubmittedBy,
		t.submitterRole, nullString(t.idempotencyKey), nullString(t.requestHash), t.SubmittedAt, t.RequestID)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert ticket: %w", err)
	}
	t.UpdatedAt = t.SubmittedAt
	for i := range t.Items {
		it := &t.Items[i]
		it.Seq, it.UpdatedAt = i+1, t.SubmittedAt
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_items (ticket_id, seq, matter_code, matter_name, department,
			commitment_days, legal_days, warn_days, tolerant_acceptance, commitment_approval, missing_materials, status, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			t.ID, it.Seq, it.MatterCode, it.MatterName, it.Department, it.CommitmentDays, it.LegalDays, it.WarnDays,
			it.TolerantAcceptance, it.CommitmentApproval, arr(it.MissingMaterials), it.Status, it.UpdatedAt); err != nil {
			return false, fmt.Errorf("insert item: %w", err)
		}
	}
	if err := insertMaterials(ctx, tx, t.ID, t.Materials); err != nil {
		return false, err
	}
	return true, nil
}

func insertMaterials(ctx context.Context, tx *sqlx.Tx, ticket string, ms []Material) error {
	for _, m := range ms {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_materials (ticket_id, code, name, sha256, size, media_type, ref,
			purpose, supplied_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			ticket, m.Code, m.Name, m.SHA256, m.Size, m.MediaType, m.Ref, m.Purpose, m.SuppliedAt); err != nil {
			return fmt.Errorf("insert material: %w", err)
		}
	}
	return nil
}

func insertTimeline(ctx context.Context, tx *sqlx.Tx, ticket string, entries []TimelineEntry) error {
	for _, e := range entries {
		var detail any
		if len(e.Detail) > 0 {
			b, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("timeline detail: %w", err)
			}
			detail = b
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_timeline (ticket_id, at, type, actor, summary, detail, event_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, ticket, e.At, e.Type, e.Actor, e.Summary, detail, e.EventID); err != nil {
			return fmt.Errorf("insert timeline: %w", err)
		}
	}
	return nil
}

// CreateTicket stores a new ticket, its number, its first timeline entry
// and the events emit builds from it (with the number), in one transaction.
// When the submitter's Idempotency-Key names a ticket already, it writes
// nothing and returns that ticket with created false.
func (r *Repository) CreateTicket(ctx context.Context, t Ticket, o origin, emit func(Ticket) []Emit) (Ticket, bool, error) {
	created := false
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		nt := t
		ok, err := r.insertTicket(ctx, tx, &nt)
		if err != nil || !ok {
			created = false
			return err
		}
		if err := r.finishNew(ctx, tx, &nt, o, emit(nt)); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return Ticket{}, false, err
	}
	if !created {
		existing, ok, err := r.TicketByKey(ctx, t.SubmittedBy, t.idempotencyKey)
		if err != nil {
			return Ticket{}, false, err
		}
		if !ok {
			return Ticket{}, false, fault.Unavailable("the ticket under this Idempotency-Key is being written; retry", nil)
		}
		return existing, false, nil
	}
	out, err := r.Ticket(ctx, t.ID)
	return out, true, err
}

// finishNew writes a new ticket's timeline and events, and its version.
func (r *Repository) finishNew(ctx context.Context, tx *sqlx.Tx, t *Ticket, o origin, emits []Emit) error {
	if err := insertTimeline(ctx, tx, t.ID, t.Timeline); err != nil {
		return err
	}
	if err := publish(ctx, tx, t.Park, "ticket", t.ID, &t.Version, t.SubmittedAt, o, emits); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE tickets SET version = $2 WHERE id = $1`, t.ID, t.Version)
	return err
}

// Change is what a change to a ticket writes besides the ticket itself.
type Change struct {
	Emits     []Emit
	Timeline  []TimelineEntry
	Materials []Material
	Clock     *Clock
	// NewTicket is a ticket the change opens (a rectification), with its
	// timeline; it is numbered and stored in the same transaction.
	NewTicket *Ticket
}

// saveTicket writes t (row and items) and what ch adds, publishing ch's
// events as the ticket's next versions.
func saveTicket(ctx context.Context, tx *sqlx.Tx, t *Ticket, ch Change, now time.Time, o origin) error {
	if err := publish(ctx, tx, t.Park, "ticket", t.ID, &t.Version, now, o, ch.Emits); err != nil {
		return err
	}
	t.UpdatedAt = now
	var supMaterials []string
	var supDays int
	var supDue *time.Time
	if t.Supplement != nil {
		supMaterials, supDays, supDue = t.Supplement.Materials, t.Supplement.WorkingDays, t.Supplement.DueAt
	}
	var rating any
	var ratingComment string
	var ratedAt *time.Time
	var rect any
	if t.Rating != nil {
		rating, ratingComment, ratedAt, rect = t.Rating.Score, t.Rating.Comment, &t.Rating.RatedAt, nullString(t.Rating.RectificationTicketID)
	}
	_, err := tx.ExecContext(ctx, `UPDATE tickets SET status = $2, outcome = $3, stage = $4, supplement_materials = $5,
		supplement_days = $6, supplement_due_at = $7, sla_state = $8, sla_paused = $9, deadline = $10, legal_deadline = $11,
		liaison_request_id = $12, resolution = $13, rating = $14, rating_comment = $15, rated_at = $16,
		rectification_ticket_id = $17, accepted_at = $18, completed_at = $19, updated_at = $20, version = $21 WHERE id = $1`,
		t.ID, t.Status, t.Outcome, t.Stage, arr(supMaterials), supDays, supDue, t.SLA.State, t.SLA.Paused,
		t.SLA.Deadline, t.SLA.LegalDeadline, t.RequestID, t.Resolution, rating, ratingComment, ratedAt, rect,
		t.AcceptedAt, t.CompletedAt, now, t.Version)
	if err != nil {
		return fmt.Errorf("update ticket: %w", err)
	}
	for _, it := range t.Items {
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_items SET missing_materials = $3, workflow_id = $4, status = $5,
			stage = $6, stage_department = $7, paused = $8, correction_items = $9, decision_number = $10, reason = $11,
			updated_at = $12 WHERE ticket_id = $1 AND seq = $2`,
			t.ID, it.Seq, arr(it.MissingMaterials), it.WorkflowID, it.Status, it.Stage, it.StageDepartment,
			it.Paused, arr(it.CorrectionItems), it.DecisionNumber, it.Reason, it.UpdatedAt); err != nil {
			return fmt.Errorf("update item: %w", err)
		}
	}
	if err := insertMaterials(ctx, tx, t.ID, ch.Materials); err != nil {
		return err
	}
	if err := insertTimeline(ctx, tx, t.ID, ch.Timeline); err != nil {
		return err
	}
	if c := ch.Clock; c != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_clocks (clock_id, ticket_id, kind, workflow_id, matter_code, state,
			paused, deadline, legal_deadline, stopped_late, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (clock_id) DO UPDATE SET state = EXCLUDED.state, paused = EXCLUDED.paused, deadline = EXCLUDED.deadline,
				legal_deadline = EXCLUDED.legal_deadline, stopped_late = EXCLUDED.stopped_late, version = EXCLUDED.version,
				updated_at = EXCLUDED.updated_at`,
			c.ID, t.ID, c.Kind, c.WorkflowID, c.MatterCode, c.State, c.Paused, c.Deadline, c.LegalDeadline, c.StoppedLate,
			c.Version, now); err != nil {
			return fmt.Errorf("upsert clock: %w", err)
		}
	}
	return nil
}

// UpdateTicket runs fn on the locked ticket and stores the result and what
// fn's Change adds, in one transaction (fn may run again on a
// serialization failure, so it must only compute).
func (r *Repository) UpdateTicket(ctx context.Context, id string, now time.Time, o origin,
	fn func(t *Ticket) (Change, error)) (Ticket, error) {
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		_, err := r.updateTicketTx(ctx, tx, id, now, o, fn)
		return err
	})
	if err != nil {
		return Ticket{}, err
	}
	return r.Ticket(ctx, id)
}

func (r *Repository) updateTicketTx(ctx context.Context, tx *sqlx.Tx, id string, now time.Time, o origin,
	fn func(t *Ticket) (Change, error)) (Ticket, error) {
	t, err := loadTicket(ctx, tx, id, true, false)
	if err != nil {
		return Ticket{}, err
	}
	ch, err := fn(&t)
	if err != nil {
		return Ticket{}, err
	}
	if nt := ch.NewTicket; nt != nil {
		ok, err := r.insertTicket(ctx, tx, nt)
		if err != nil {
			return Ticket{}, err
		}
		if !ok {
			return Ticket{}, fault.Conflict("the ticket exists already")
		}
		if err := r.finishNew(ctx, tx, nt, o, nil); err != nil {
			return Ticket{}, err
		}
	}
	if err := saveTicket(ctx, tx, &t, ch, now, o); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// Tickets lists tickets in scope, newest first, without timelines.
func (r *Repository) Tickets(ctx context.Context, s Scope, q TicketQuery) (TicketPage, error) {
	var w where
	if s.Park != "" {
		w.add(`t.park = ?`, s.Park)
	}
	if s.EnterpriseID != "" {
		w.add(`t.enterprise_id = ?::uuid`, s.EnterpriseID)
	}
	if s.OfficerID != "" {
		w.add(`(e.officer_id = ? OR e.backup_officer_id = ?)`, s.OfficerID, s.OfficerID)
	}
	for _, f := range []struct{ cond, v string }{
		{`t.park = ?`, q.Park}, {`t.status = ?`, q.Status}, {`t.sla_state = ?`, q.SLAState}, {`t.kind = ?`, q.Kind},
		{`? = ANY(t.matter_codes)`, q.Matter}, {`t.bundle_code = ?`, q.Bundle}, {`? = ANY(t.departments)`, q.Department},
	} {
		if f.v != "" {
			w.add(f.cond, f.v)
		}
	}
	if q.EnterpriseID != "" {
		if !validUUID(q.EnterpriseID) {
			return TicketPage{}, fault.Invalid("enterprise_id", "must be a UUID")
		}
		w.add(`t.enterprise_id = ?::uuid`, q.EnterpriseID)
	}
	if q.After != "" {
		parts, err := decodeCursor(q.After, 2)
		if err != nil {
			return TicketPage{}, err
		}
		at, perr := time.Parse(time.RFC3339Nano, parts[0])
		if perr != nil || !validUUID(parts[1]) {
			return TicketPage{}, fault.Invalid("after", "not a cursor from a previous page")
		}
		w.add(`(t.submitted_at, t.id) < (?, ?::uuid)`, at, parts[1])
	}
	var rows []ticketRow
	if err := r.db.SelectContext(ctx, &rows, `SELECT `+ticketCols+` FROM tickets t JOIN enterprises e ON e.id = t.enterprise_id
		WHERE `+w.String()+fmt.Sprintf(` ORDER BY t.submitted_at DESC, t.id DESC LIMIT %d`, q.Limit+1), w.args...); err != nil {
		return TicketPage{}, fmt.Errorf("list tickets: %w", err)
	}
	page := TicketPage{Items: []Ticket{}}
	ids := []string{}
	for i, row := range rows {
		if i == q.Limit {
			last := rows[i-1]
			page.Next = encodeCursor(last.SubmittedAt.UTC().Format(time.RFC3339Nano), last.ID)
			break
		}
		page.Items = append(page.Items, row.ticket())
		ids = append(ids, row.ID)
	}
	if len(ids) == 0 {
		return page, nil
	}
	var items []itemRow
	if err := r.db.SelectContext(ctx, &items, `SELECT * FROM ticket_items WHERE ticket_id = ANY($1::uuid[]) ORDER BY ticket_id, seq`,
		arr(ids)); err != nil {
		return TicketPage{}, fmt.Errorf("list items: %w", err)
	}
	byID := map[string]int{}
	for i, t := range page.Items {
		byID[t.ID] = i
	}
	for _, it := range items {
		i := byID[it.TicketID]
		page.Items[i].Items = append(page.Items[i].Items, it.item())
	}
	return page, nil
}
