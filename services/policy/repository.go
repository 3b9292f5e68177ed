package policy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/proto/policypb"
)

// Aggregates of the events policy publishes.
const (
	AggPolicy      = "policy"
	AggOffer       = "offer"
	AggApplication = "application"
)

// Calendars gives parks' working-day calendars (owned by sla; policy reads
// the same seeds) for the working days from application to payment.
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

// Repository is the policy schema's store.
type Repository struct {
	db   *sqlx.DB
	cals Calendars
}

// NewRepository returns a Repository over the policy schema's pool; cals
// may be nil (then no working-day figures).
func NewRepository(conn *sqlx.DB, cals Calendars) (*Repository, error) {
	if conn == nil {
		return nil, errors.New("new policy repository: db is required")
	}
	if cals == nil {
		cals = CalendarMap{}
	}
	return &Repository{db: conn, cals: cals}, nil
}

// DB returns the pool.
func (r *Repository) DB() *sqlx.DB { return r.db }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()} }

func timeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// emit adds one event to the outbox in tx.
func emit(ctx context.Context, tx *sqlx.Tx, typ, park, aggType, aggID string, version int64, at time.Time,
	payload proto.Message, causation string) error {
	ev, err := event.New(typ, park, event.Aggregate{Type: aggType, ID: aggID, Version: version}, at, payload)
	if err != nil {
		return err
	}
	ev.CausationID = causation
	return outbox.Add(ctx, tx, ev)
}

func modePB(mode string) policypb.Mode {
	if mode == ModeProactive {
		return policypb.Mode_MODE_PROACTIVE
	}
	return policypb.Mode_MODE_APPLICATION
}

// --- policies ---

const policyColumns = `id, park, content, status, version, budget_fen, reserved_fen, paid_fen, created_at, updated_at,
	published_at, closed_at`

type policyRow struct {
	ID          string       `db:"id"`
	Park        string       `db:"park"`
	Content     []byte       `db:"content"`
	Status      string       `db:"status"`
	Version     int64        `db:"version"`
	BudgetFen   int64        `db:"budget_fen"`
	ReservedFen int64        `db:"reserved_fen"`
	PaidFen     int64        `db:"paid_fen"`
	CreatedAt   time.Time    `db:"created_at"`
	UpdatedAt   time.Time    `db:"updated_at"`
	PublishedAt sql.NullTime `db:"published_at"`
	ClosedAt    sql.NullTime `db:"closed_at"`
}

func (r policyRow) policy() (*Policy, error) {
	var in PolicyInput
	if err := json.Unmarshal(r.Content, &in); err != nil {
		return nil, fmt.Errorf("policy %s content: %w", r.ID, err)
	}
	p, err := Compile(in)
	if err != nil {
		return nil, fmt.Errorf("policy %s no longer compiles: %w", r.ID, err)
	}
	p.ID, p.Park, p.Status, p.Version = r.ID, r.Park, r.Status, r.Version
	p.BudgetFen, p.ReservedFen, p.PaidFen = r.BudgetFen, r.ReservedFen, r.PaidFen
	p.CreatedAt, p.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	p.PublishedAt, p.ClosedAt = timeOf(r.PublishedAt), timeOf(r.ClosedAt)
	return p, nil
}

func loadPolicy(ctx context.Context, q sqlx.QueryerContext, id, lock string) (*Policy, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fault.NotFound("policy")
	}
	var row policyRow
	if err := sqlx.GetContext(ctx, q, &row, `SELECT `+policyColumns+` FROM policies WHERE id = $1 `+lock, id); err != nil {
		if isNoRows(err) {
			return nil, fault.NotFound("policy")
		}
		return nil, fmt.Errorf("load policy %s: %w", id, err)
	}
	return row.policy()
}

func selectPolicies(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]*Policy, error) {
	var rows []policyRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+policyColumns+` FROM policies WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	out := make([]*Policy, 0, len(rows))
	for _, r := range rows {
		p, err := r.policy()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Policy reads a policy.
func (r *Repository) Policy(ctx context.Context, id string) (*Policy, error) {
	return loadPolicy(ctx, r.db, id, "")
}

// Policies lists a park's policies, newest first; status "" means any.
func (r *Repository) Policies(ctx context.Context, park string, statuses []string) ([]*Policy, error) {
	return selectPolicies(ctx, r.db, `park = $1 AND (coalesce(cardinality($2::text[]), 0) = 0 OR status = ANY($2))
		ORDER BY created_at DESC, id`, park, pq.StringArray(statuses))
}

// SavePolicy creates a draft (id "") or replaces a draft's content.
func (r *Repository) SavePolicy(ctx context.Context, park, id string, in PolicyInput, actor string, now time.Time) (*Policy, error) {
	in.Park = park
	p, err := Compile(in)
	if err != nil {
		return nil, err
	}
	content, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	err = db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		version := int64(1)
		if id == "" {
			pid := newID()
			res, err := tx.ExecContext(ctx, `INSERT INTO policies (id, park, code, content, status, mode, period, window_from,
				window_to, budget_fen, version, created_by, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, 1, $10, $11, $11) ON CONFLICT (park, code) DO NOTHING`,
				pid, park, in.Code, content, in.Mode, in.Period, p.from, p.to, in.BudgetFen, actor, now)
			if err != nil {
				return fmt.Errorf("insert policy: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fault.Fields(fault.ErrConflict, fault.FieldError{Field: "code", Reason: "the park has a policy " + in.Code + " already"})
			}
			id = pid
		} else {
			old, err := loadPolicy(ctx, tx, id, "FOR UPDATE")
			if err != nil {
				return err
			}
			if old.Park != park {
				return fault.NotFound("policy")
			}
			if old.Status != StatusDraft {
				return fault.Conflict("the policy is " + old.Status + ": only a draft can be changed")
			}
			if old.Code != in.Code {
				return fault.Invalid("code", "the code of a policy cannot change")
			}
			version = old.Version + 1
			if _, err := tx.ExecContext(ctx, `UPDATE policies SET content = $2, mode = $3, period = $4, window_from = $5,
				window_to = $6, budget_fen = $7, version = $8, updated_at = $9 WHERE id = $1`,
				id, content, in.Mode, in.Period, p.from, p.to, in.BudgetFen, version, now); err != nil {
				return fmt.Errorf("update policy: %w", err)
			}
		}
		return emit(ctx, tx, event.PolicySaved, park, AggPolicy, id, version, now, &policypb.PolicySaved{PolicyId: id,
			Code: in.Code, DocumentNumber: in.DocumentNumber, Title: in.Title, Mode: modePB(in.Mode), Period: in.Period,
			BudgetFen: in.BudgetFen, SavedBy: actor, SavedAt: ts(now)}, "")
	})
	if err != nil {
		return nil, err
	}
	return r.Policy(ctx, id)
}

// PublishResult is what publishing matched.
type PublishResult struct {
	Policy        *Policy `json:"policy"`
	EligibleFirms int     `json:"eligible_firms"`
	Offers        int     `json:"offers"`
}

// PublishPolicy publishes a draft and matches it against every firm of its
// park; a proactive policy offers its benefit to each eligible firm.
func (r *Repository) PublishPolicy(ctx context.Context, id, actor string, now time.Time) (PublishResult, error) {
	var res PublishResult
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		res = PublishResult{}
		p, err := loadPolicy(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if p.Status != StatusDraft {
			return fault.Conflict("the policy is " + p.Status + " already")
		}
		if !now.Before(p.to) {
			return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "window_to", Reason: "the window has ended: nothing to publish"})
		}
		p.Version++
		if _, err := tx.ExecContext(ctx, `UPDATE policies SET status = 'published', published_at = $2, updated_at = $2,
			version = $3 WHERE id = $1`, id, now, p.Version); err != nil {
			return fmt.Errorf("publish policy: %w", err)
		}
		p.Status, p.PublishedAt = StatusPublished, now
		firms, err := parkFirms(ctx, tx, p.Park)
		if err != nil {
			return err
		}
		facts := make([]Facts, len(firms))
		for i := range firms {
			facts[i] = FactsOf(firms[i])
		}
		type hit struct {
			firm   int
			amount int64
		}
		parts := make([][]hit, runtime.GOMAXPROCS(0))
		n := NewMatcher([]*Policy{p}).MatchAll(facts, len(parts), func(w, firm int, _ *Policy, amount int64) {
			parts[w] = append(parts[w], hit{firm, amount})
		})
		var ids []string
		var amounts []int64
		for _, part := range parts[:n] {
			for _, h := range part {
				ids, amounts = append(ids, firms[h.firm].ID), append(amounts, h.amount)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO matches (policy_id, enterprise_id, amount_fen, matched_at)
			SELECT $1, e, a, $4 FROM unnest($2::text[], $3::bigint[]) AS u(e, a)
			ON CONFLICT (policy_id, enterprise_id) DO UPDATE SET amount_fen = EXCLUDED.amount_fen, matched_at = EXCLUDED.matched_at`,
			id, pq.StringArray(ids), pq.Int64Array(amounts), now); err != nil {
			return fmt.Errorf("record matches: %w", err)
		}
		res.EligibleFirms = len(ids)
		if p.Mode == ModeProactive {
			for i, id := range ids {
				made, err := offer(ctx, tx, p, id, amounts[i], "published", now, "")
				if err != nil {
					return err
				}
				if made {
					res.Offers++
				}
			}
		}
		res.Policy = p
		return emit(ctx, tx, event.PolicyPublished, p.Park, AggPolicy, id, p.Version, now, &policypb.PolicyPublished{
			PolicyId: id, Code: p.Code, DocumentNumber: p.DocumentNumber, Title: p.Title, Mode: modePB(p.Mode),
			Period: p.Period, BudgetFen: p.BudgetFen, PerFirmCapFen: p.PerFirmCapFen, WindowFrom: ts(p.from),
			WindowTo: ts(p.to), PublishedAt: ts(now), PublishedBy: actor, EligibleFirms: int32(res.EligibleFirms),
			Offers: int32(res.Offers)}, "")
	})
	return res, err
}

// ClosePolicy closes a published policy: no new applications or offers;
// open offers lapse. Reservations stay and can still be paid.
func (r *Repository) ClosePolicy(ctx context.Context, id, reason, actor string, now time.Time) (*Policy, error) {
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		p, err := loadPolicy(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if p.Status != StatusPublished {
			return fault.Conflict("the policy is " + p.Status + ": only a published policy can be closed")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE policies SET status = 'closed', closed_at = $2, updated_at = $2,
			version = version + 1 WHERE id = $1`, id, now); err != nil {
			return fmt.Errorf("close policy: %w", err)
		}
		open, err := selectOffers(ctx, tx, `o.policy_id = $1 AND o.state = 'open' ORDER BY o.id FOR UPDATE OF o`, id)
		if err != nil {
			return err
		}
		for i := range open {
			if err := lapse(ctx, tx, &open[i], "the policy closed", now, ""); err != nil {
				return err
			}
		}
		return emit(ctx, tx, event.PolicyClosed, p.Park, AggPolicy, id, p.Version+1, now, &policypb.PolicyClosed{
			PolicyId: id, Code: p.Code, Reason: reason, ClosedBy: actor, ClosedAt: ts(now)}, "")
	})
	if err != nil {
		return nil, err
	}
	return r.Policy(ctx, id)
}

// --- firms ---

const firmColumns = `enterprise_id, park, name, uscc, industry_code, scale, flags, key_enterprise, figures_year, revenue_fen,
	tax_paid_fen, rd_ratio_percent, land_area_mu, headcount, officer_id, backup_officer_id, profile_known`

type firmRow struct {
	ID             string         `db:"enterprise_id"`
	Park           string         `db:"park"`
	Name           string         `db:"name"`
	USCC           string         `db:"uscc"`
	IndustryCode   string         `db:"industry_code"`
	Scale          string         `db:"scale"`
	Flags          pq.StringArray `db:"flags"`
	KeyEnterprise  bool           `db:"key_enterprise"`
	FiguresYear    int            `db:"figures_year"`
	RevenueFen     int64          `db:"revenue_fen"`
	TaxPaidFen     int64          `db:"tax_paid_fen"`
	RDRatioPercent float64        `db:"rd_ratio_percent"`
	LandAreaMu     float64        `db:"land_area_mu"`
	Headcount      int            `db:"headcount"`
	OfficerID      string         `db:"officer_id"`
	BackupID       string         `db:"backup_officer_id"`
	ProfileKnown   bool           `db:"profile_known"`
}

func (r firmRow) firm() Firm {
	return Firm{ID: r.ID, Park: r.Park, Name: r.Name, USCC: r.USCC, IndustryCode: r.IndustryCode, Scale: r.Scale,
		Flags: append([]string{}, r.Flags...), KeyEnterprise: r.KeyEnterprise, OfficerID: r.OfficerID, BackupOfficerID: r.BackupID,
		Figures: Figures{Year: r.FiguresYear, RevenueFen: r.RevenueFen, TaxPaidFen: r.TaxPaidFen, RDRatioPercent: r.RDRatioPercent,
			LandAreaMu: r.LandAreaMu, Headcount: r.Headcount}}
}

// Firm reads a firm whose profile policy knows.
func (r *Repository) Firm(ctx context.Context, id string) (Firm, error) {
	return loadFirm(ctx, r.db, id, "")
}

func loadFirm(ctx context.Context, q sqlx.QueryerContext, id, lock string) (Firm, error) {
	var row firmRow
	if err := sqlx.GetContext(ctx, q, &row, `SELECT `+firmColumns+` FROM firms WHERE enterprise_id = $1 `+lock, id); err != nil {
		if isNoRows(err) {
			return Firm{}, fault.NotFound("enterprise")
		}
		return Firm{}, fmt.Errorf("load firm %s: %w", id, err)
	}
	if !row.ProfileKnown {
		return Firm{}, fault.NotFound("enterprise")
	}
	return row.firm(), nil
}

func parkFirms(ctx context.Context, q sqlx.QueryerContext, park string) ([]Firm, error) {
	var rows []firmRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+firmColumns+` FROM firms WHERE park = $1 AND profile_known
		ORDER BY enterprise_id`, park); err != nil {
		return nil, fmt.Errorf("firms of %s: %w", park, err)
	}
	out := make([]Firm, len(rows))
	for i, r := range rows {
		out[i] = r.firm()
	}
	return out, nil
}

// upsertFirm records a firm's profile (the whole profile, as intake sends it).
func upsertFirm(ctx context.Context, tx *sqlx.Tx, f Firm, now time.Time) error {
	fg := f.Figures
	_, err := tx.ExecContext(ctx, `INSERT INTO firms (enterprise_id, park, name, uscc, industry_code, scale, flags,
		key_enterprise, figures_year, revenue_fen, tax_paid_fen, rd_ratio_percent, land_area_mu, headcount, profile_known, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, true, $15)
		ON CONFLICT (enterprise_id) DO UPDATE SET park = EXCLUDED.park, name = EXCLUDED.name, uscc = EXCLUDED.uscc,
		industry_code = EXCLUDED.industry_code, scale = EXCLUDED.scale, flags = EXCLUDED.flags,
		key_enterprise = EXCLUDED.key_enterprise, figures_year = EXCLUDED.figures_year, revenue_fen = EXCLUDED.revenue_fen,
		tax_paid_fen = EXCLUDED.tax_paid_fen, rd_ratio_percent = EXCLUDED.rd_ratio_percent, land_area_mu = EXCLUDED.land_area_mu,
		headcount = EXCLUDED.headcount, profile_known = true, updated_at = EXCLUDED.updated_at`,
		f.ID, f.Park, f.Name, f.USCC, f.IndustryCode, f.Scale, pq.StringArray(append([]string{}, f.Flags...)), f.KeyEnterprise,
		fg.Year, fg.RevenueFen, fg.TaxPaidFen, fg.RDRatioPercent, fg.LandAreaMu, fg.Headcount, now)
	if err != nil {
		return fmt.Errorf("record firm %s: %w", f.ID, err)
	}
	return nil
}

// assignOfficers records a firm's liaison officers.
func assignOfficers(ctx context.Context, tx *sqlx.Tx, park, firm, officer, backup string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO firms (enterprise_id, park, officer_id, backup_officer_id, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enterprise_id) DO UPDATE SET officer_id = EXCLUDED.officer_id,
		backup_officer_id = EXCLUDED.backup_officer_id, updated_at = EXCLUDED.updated_at`, firm, park, officer, backup, now)
	if err != nil {
		return fmt.Errorf("record officers of %s: %w", firm, err)
	}
	return nil
}

// rematchFirm recomputes a firm's matches against its park's published
// policies; for proactive policies it offers what the firm now qualifies
// for and lapses open offers it no longer does.
func rematchFirm(ctx context.Context, tx *sqlx.Tx, f Firm, cause string, now time.Time, causation string) error {
	ps, err := selectPolicies(ctx, tx, `park = $1 AND status = 'published' AND window_to > $2 ORDER BY id`, f.Park, now)
	if err != nil {
		return err
	}
	facts := FactsOf(f)
	hits := map[string]int64{}
	NewMatcher(ps).Match(&facts, func(p *Policy, amount int64) { hits[p.ID] = amount })
	if _, err := tx.ExecContext(ctx, `DELETE FROM matches m USING policies p WHERE m.policy_id = p.id AND m.enterprise_id = $1
		AND p.park = $2 AND p.status = 'published'`, f.ID, f.Park); err != nil {
		return fmt.Errorf("clear matches of %s: %w", f.ID, err)
	}
	open, err := selectOffers(ctx, tx, `o.enterprise_id = $1 AND o.state = 'open' ORDER BY o.id FOR UPDATE OF o`, f.ID)
	if err != nil {
		return err
	}
	for _, p := range ps {
		amount, ok := hits[p.ID]
		if !ok {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO matches (policy_id, enterprise_id, amount_fen, matched_at)
			VALUES ($1, $2, $3, $4)`, p.ID, f.ID, amount, now); err != nil {
			return fmt.Errorf("record match: %w", err)
		}
		if p.Mode == ModeProactive {
			if _, err := offer(ctx, tx, p, f.ID, amount, cause, now, causation); err != nil {
				return err
			}
		}
	}
	for i := range open {
		o := &open[i]
		amount, ok := hits[o.PolicyID]
		switch {
		case !ok:
			if err := lapse(ctx, tx, o, "the firm no longer meets the policy's rules ("+cause+")", now, causation); err != nil {
				return err
			}
		case amount != o.AmountFen:
			if _, err := tx.ExecContext(ctx, `UPDATE offers SET amount_fen = $2 WHERE id = $1`, o.ID, amount); err != nil {
				return fmt.Errorf("update offer %s: %w", o.ID, err)
			}
		}
	}
	return nil
}

// --- offers ---

const offerColumns = `o.id, o.park, o.policy_id, p.code AS policy_code, p.content->>'title' AS policy_title, o.enterprise_id,
	o.period, o.amount_fen, o.state, o.cause, o.reason, coalesce(o.application_id::text, '') AS application_id, o.created_at,
	o.expires_at, o.closed_at, o.version`

type offerScan struct {
	ID            string       `db:"id"`
	Park          string       `db:"park"`
	PolicyID      string       `db:"policy_id"`
	PolicyCode    string       `db:"policy_code"`
	PolicyTitle   string       `db:"policy_title"`
	EnterpriseID  string       `db:"enterprise_id"`
	Period        string       `db:"period"`
	AmountFen     int64        `db:"amount_fen"`
	State         string       `db:"state"`
	Cause         string       `db:"cause"`
	Reason        string       `db:"reason"`
	ApplicationID string       `db:"application_id"`
	CreatedAt     time.Time    `db:"created_at"`
	ExpiresAt     time.Time    `db:"expires_at"`
	ClosedAt      sql.NullTime `db:"closed_at"`
	Version       int64        `db:"version"`
}

// offer creates an open offer of p to firm unless the firm has one, an
// active application, or its benefit of the period already; it reports
// whether it made one.
func offer(ctx context.Context, tx *sqlx.Tx, p *Policy, firm string, amount int64, cause string, now time.Time, causation string) (bool, error) {
	var taken bool
	if err := tx.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM applications WHERE policy_id = $1 AND enterprise_id = $2
		AND period = $3 AND state IN ('submitted', 'in_review', 'public_notice', 'approved', 'paid'))
		OR EXISTS (SELECT 1 FROM ledger WHERE policy_id = $1 AND enterprise_id = $2 AND period = $3 AND kind = 'reserve')`,
		p.ID, firm, p.Period); err != nil {
		return false, fmt.Errorf("benefit of %s: %w", firm, err)
	}
	if taken {
		return false, nil
	}
	id := newID()
	res, err := tx.ExecContext(ctx, `INSERT INTO offers (id, park, policy_id, enterprise_id, period, amount_fen, state, cause,
		created_at, expires_at, version) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, 1) ON CONFLICT DO NOTHING`,
		id, p.Park, p.ID, firm, p.Period, amount, cause, now, p.to)
	if err != nil {
		return false, fmt.Errorf("offer %s to %s: %w", p.Code, firm, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, emit(ctx, tx, event.PolicyOfferCreated, p.Park, AggOffer, id, 1, now, &policypb.OfferCreated{OfferId: id,
		PolicyId: p.ID, PolicyCode: p.Code, PolicyTitle: p.Title, EnterpriseId: firm, Period: p.Period, AmountFen: amount,
		Cause: cause, CreatedAt: ts(now), ExpiresAt: ts(p.to)}, causation)
}

func lapse(ctx context.Context, tx *sqlx.Tx, o *Offer, reason string, now time.Time, causation string) error {
	o.Version++
	if _, err := tx.ExecContext(ctx, `UPDATE offers SET state = 'lapsed', reason = $2, closed_at = $3, version = $4 WHERE id = $1`,
		o.ID, reason, now, o.Version); err != nil {
		return fmt.Errorf("lapse offer %s: %w", o.ID, err)
	}
	return emit(ctx, tx, event.PolicyOfferLapsed, o.Park, AggOffer, o.ID, o.Version, now, &policypb.OfferLapsed{OfferId: o.ID,
		PolicyId: o.PolicyID, EnterpriseId: o.EnterpriseID, Reason: reason, LapsedAt: ts(now)}, causation)
}

func selectOffers(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]Offer, error) {
	var rows []offerScan
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+offerColumns+` FROM offers o JOIN policies p ON p.id = o.policy_id
		WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("offers: %w", err)
	}
	out := make([]Offer, len(rows))
	for i, r := range rows {
		out[i] = Offer{ID: r.ID, Park: r.Park, PolicyID: r.PolicyID, PolicyCode: r.PolicyCode, PolicyTitle: r.PolicyTitle,
			EnterpriseID: r.EnterpriseID, Period: r.Period, AmountFen: r.AmountFen, State: r.State, Cause: r.Cause,
			Reason: r.Reason, ApplicationID: r.ApplicationID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(),
			ClosedAt: timeOf(r.ClosedAt), Version: r.Version}
	}
	return out, nil
}

// Offer reads an offer.
func (r *Repository) Offer(ctx context.Context, id string) (Offer, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Offer{}, fault.NotFound("offer")
	}
	os, err := selectOffers(ctx, r.db, `o.id = $1`, id)
	if err != nil {
		return Offer{}, err
	}
	if len(os) == 0 {
		return Offer{}, fault.NotFound("offer")
	}
	return os[0], nil
}

// OffersOf lists a firm's offers, newest first.
func (r *Repository) OffersOf(ctx context.Context, firm string) ([]Offer, error) {
	return selectOffers(ctx, r.db, `o.enterprise_id = $1 ORDER BY o.created_at DESC, o.id`, firm)
}
