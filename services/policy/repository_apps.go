package policy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/policypb"
)

const appColumns = `id, park, policy_id, policy_code, policy_title, enterprise_id, enterprise_name, period, amount_fen,
	state, channel, coalesce(offer_id::text, '') AS offer_id, submitted_by, submitted_role, officer_id, materials, explanation,
	workflow_id, stage, decision_number, reason, payment_reference, submitted_at, decided_at, paid_at, closed_at, version`

type appRow struct {
	ID               string         `db:"id"`
	Park             string         `db:"park"`
	PolicyID         string         `db:"policy_id"`
	PolicyCode       string         `db:"policy_code"`
	PolicyTitle      string         `db:"policy_title"`
	EnterpriseID     string         `db:"enterprise_id"`
	EnterpriseName   string         `db:"enterprise_name"`
	Period           string         `db:"period"`
	AmountFen        int64          `db:"amount_fen"`
	State            string         `db:"state"`
	Channel          string         `db:"channel"`
	OfferID          string         `db:"offer_id"`
	SubmittedBy      string         `db:"submitted_by"`
	SubmittedRole    string         `db:"submitted_role"`
	OfficerID        string         `db:"officer_id"`
	Materials        []byte         `db:"materials"`
	Explanation      []byte         `db:"explanation"`
	WorkflowID       string         `db:"workflow_id"`
	Stage            string         `db:"stage"`
	DecisionNumber   string         `db:"decision_number"`
	Reason           string         `db:"reason"`
	PaymentReference sql.NullString `db:"payment_reference"`
	SubmittedAt      time.Time      `db:"submitted_at"`
	DecidedAt        sql.NullTime   `db:"decided_at"`
	PaidAt           sql.NullTime   `db:"paid_at"`
	ClosedAt         sql.NullTime   `db:"closed_at"`
	Version          int64          `db:"version"`
}

func (r appRow) app() (*Application, error) {
	a := &Application{ID: r.ID, Park: r.Park, PolicyID: r.PolicyID, PolicyCode: r.PolicyCode, PolicyTitle: r.PolicyTitle,
		EnterpriseID: r.EnterpriseID, EnterpriseName: r.EnterpriseName, Period: r.Period, AmountFen: r.AmountFen, State: r.State,
		Channel: r.Channel, OfferID: r.OfferID, SubmittedBy: r.SubmittedBy, SubmittedRole: r.SubmittedRole, OfficerID: r.OfficerID,
		WorkflowID: r.WorkflowID, Stage: r.Stage, DecisionNumber: r.DecisionNumber, Reason: r.Reason,
		PaymentReference: r.PaymentReference.String, SubmittedAt: r.SubmittedAt.UTC(), DecidedAt: timeOf(r.DecidedAt),
		PaidAt: timeOf(r.PaidAt), ClosedAt: timeOf(r.ClosedAt), Version: r.Version, Materials: []Material{}}
	if err := json.Unmarshal(r.Materials, &a.Materials); err != nil {
		return nil, fmt.Errorf("application %s materials: %w", r.ID, err)
	}
	if len(r.Explanation) > 2 {
		a.Explanation = &Match{}
		if err := json.Unmarshal(r.Explanation, a.Explanation); err != nil {
			return nil, fmt.Errorf("application %s explanation: %w", r.ID, err)
		}
	}
	return a, nil
}

func selectApps(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]*Application, error) {
	var rows []appRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+appColumns+` FROM applications WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	out := make([]*Application, 0, len(rows))
	for _, r := range rows {
		a, err := r.app()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func loadApp(ctx context.Context, q sqlx.QueryerContext, id, lock string) (*Application, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fault.NotFound("application")
	}
	as, err := selectApps(ctx, q, `id = $1 `+lock, id)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, fault.NotFound("application")
	}
	return as[0], nil
}

func history(ctx context.Context, tx *sqlx.Tx, a *Application, at time.Time, action, actor, detail string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO application_history (application_id, at, state, action, actor, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, at, a.State, action, actor, detail); err != nil {
		return fmt.Errorf("history of %s: %w", a.ID, err)
	}
	return nil
}

// setState writes an application's state, stage, reason and times, with
// the next version.
func setState(ctx context.Context, tx *sqlx.Tx, a *Application) error {
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET state = $2, stage = $3, workflow_id = $4, decision_number = $5,
		reason = $6, decided_at = $7, paid_at = $8, closed_at = $9, payment_reference = $10, version = $11 WHERE id = $1`,
		a.ID, a.State, a.Stage, a.WorkflowID, a.DecisionNumber, a.Reason, nullTime(a.DecidedAt), nullTime(a.PaidAt),
		nullTime(a.ClosedAt), sql.NullString{String: a.PaymentReference, Valid: a.PaymentReference != ""}, a.Version); err != nil {
		if db.IsUniqueViolation(err, "applications_payment_reference") {
			return fault.Fields(fault.ErrConflict, fault.FieldError{Field: "reference", Reason: "this payment reference is recorded for another application"})
		}
		return fmt.Errorf("update application %s: %w", a.ID, err)
	}
	return nil
}

// Submission is an application ready to be stored: the service has
// checked who may file it.
type Submission struct {
	PolicyID  string
	Firm      Firm
	OfferID   string
	Channel   string
	Actor     string
	ActorRole string
	Materials []Material
}

// Submit stores an application and sends it to approval. The policy must be
// open and the firm eligible (422 with every failing rule otherwise); a
// proactive policy is taken up only through its offer; a firm has one
// active application and one benefit per policy and period (409).
func (r *Repository) Submit(ctx context.Context, s Submission, now time.Time) (*Application, error) {
	var id string
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		p, err := loadPolicy(ctx, tx, s.PolicyID, "FOR SHARE")
		if err != nil {
			return err
		}
		if p.Park != s.Firm.Park {
			return fault.NotFound("policy")
		}
		if p.Status != StatusPublished {
			return fault.Conflict("the policy is " + p.Status + ": it takes no applications")
		}
		if !p.Open(now) {
			return fault.Newf(fault.ErrConflict, "the policy's window is %s to %s", p.WindowFrom, p.WindowTo)
		}
		var o *Offer
		if s.OfferID != "" {
			os, err := selectOffers(ctx, tx, `o.id = $1 FOR UPDATE OF o`, s.OfferID)
			if err != nil {
				return err
			}
			if len(os) == 0 || os[0].EnterpriseID != s.Firm.ID {
				return fault.NotFound("offer")
			}
			o = &os[0]
			if o.State != OfferOpen {
				return fault.Conflict("the offer is " + o.State)
			}
		} else if p.Mode == ModeProactive {
			return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "offer_id",
				Reason: "a proactive policy (免申即享) is not applied for: confirm the offer made to the firm"})
		}
		facts := FactsOf(s.Firm)
		m := p.Evaluate(&facts)
		if !m.Eligible {
			var fe []fault.FieldError
			for i, rr := range m.Rules {
				if !rr.Passed {
					fe = append(fe, fault.FieldError{Field: fmt.Sprintf("eligibility[%d]", i), Reason: rr.Label + ": " + failedChecks(rr)})
				}
			}
			if len(fe) == 0 {
				fe = append(fe, fault.FieldError{Field: "benefit", Reason: m.Reason})
			}
			return fault.Fields(fault.ErrUnprocessable, fe...)
		}
		if err := checkMaterials(p, s.Materials); err != nil {
			return err
		}
		var had bool
		if err := tx.GetContext(ctx, &had, `SELECT EXISTS (SELECT 1 FROM ledger WHERE policy_id = $1 AND enterprise_id = $2
			AND period = $3 AND kind = 'reserve')`, p.ID, s.Firm.ID, p.Period); err != nil {
			return fmt.Errorf("benefit of %s: %w", s.Firm.ID, err)
		}
		if had {
			return fault.Newf(fault.ErrConflict, "the firm has had this policy's benefit for %s already (one per firm, policy and period)", p.Period)
		}
		a := &Application{ID: newID(), Park: p.Park, PolicyID: p.ID, PolicyCode: p.Code, PolicyTitle: p.Title,
			EnterpriseID: s.Firm.ID, EnterpriseName: s.Firm.Name, Period: p.Period, AmountFen: m.AmountFen, State: AppSubmitted,
			Channel: s.Channel, SubmittedBy: s.Actor, SubmittedRole: s.ActorRole, OfficerID: s.Firm.OfficerID,
			Materials: s.Materials, SubmittedAt: now, Version: 1}
		if a.Materials == nil {
			a.Materials = []Material{}
		}
		if o != nil {
			a.OfferID = o.ID
		}
		mat, _ := json.Marshal(a.Materials)
		expl, _ := json.Marshal(m)
		if _, err := tx.ExecContext(ctx, `INSERT INTO applications (id, park, policy_id, policy_code, policy_title, enterprise_id,
			enterprise_name, period, amount_fen, state, channel, offer_id, submitted_by, submitted_role, officer_id, materials,
			explanation, submitted_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
			$17, $18, $19)`, a.ID, a.Park, a.PolicyID, a.PolicyCode, a.PolicyTitle, a.EnterpriseID, a.EnterpriseName, a.Period,
			a.AmountFen, a.State, a.Channel, sql.NullString{String: a.OfferID, Valid: a.OfferID != ""}, a.SubmittedBy,
			a.SubmittedRole, a.OfficerID, mat, expl, now, a.Version); err != nil {
			if db.IsUniqueViolation(err, "applications_one_active") {
				return fault.Newf(fault.ErrConflict, "the firm has an application for this policy for %s already (one per firm, policy and period)", p.Period)
			}
			return fmt.Errorf("insert application: %w", err)
		}
		if err := history(ctx, tx, a, now, "submit", s.Actor, a.Channel); err != nil {
			return err
		}
		pbm := make([]*policypb.Material, len(a.Materials))
		for i, m := range a.Materials {
			pbm[i] = &policypb.Material{Code: m.Code, Name: m.Name, Sha256: m.SHA256, Size: m.Size, Ref: m.Ref}
		}
		if err := emit(ctx, tx, event.PolicyApplicationSubmitted, a.Park, AggApplication, a.ID, 1, now, &policypb.ApplicationSubmitted{
			ApplicationId: a.ID, PolicyId: p.ID, PolicyCode: p.Code, PolicyTitle: p.Title, DocumentNumber: p.DocumentNumber,
			EnterpriseId: a.EnterpriseID, EnterpriseName: a.EnterpriseName, Period: a.Period, AmountFen: a.AmountFen,
			Channel: a.Channel, OfferId: a.OfferID, SubmittedBy: a.SubmittedBy, SubmittedByRole: a.SubmittedRole,
			OfficerId: a.OfficerID, Materials: pbm, SubmittedAt: ts(now)}, ""); err != nil {
			return err
		}
		if o != nil {
			o.Version++
			if _, err := tx.ExecContext(ctx, `UPDATE offers SET state = 'confirmed', application_id = $2, closed_at = $3,
				amount_fen = $4, version = $5 WHERE id = $1`, o.ID, a.ID, now, a.AmountFen, o.Version); err != nil {
				return fmt.Errorf("confirm offer %s: %w", o.ID, err)
			}
			if err := emit(ctx, tx, event.PolicyOfferConfirmed, o.Park, AggOffer, o.ID, o.Version, now, &policypb.OfferConfirmed{
				OfferId: o.ID, PolicyId: o.PolicyID, EnterpriseId: o.EnterpriseID, ApplicationId: a.ID, ConfirmedBy: s.Actor,
				ConfirmedAt: ts(now)}, ""); err != nil {
				return err
			}
		}
		id = a.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r.Application(ctx, id)
}

func failedChecks(rr RuleResult) string {
	var parts []string
	for _, c := range rr.Checks {
		if !c.Passed {
			parts = append(parts, fmt.Sprintf("%s (the firm: %s)", c.Test, c.Actual))
		}
	}
	return strings.Join(parts, "; ")
}

// checkMaterials reports every required material missing at once, and
// any material the policy does not ask for.
func checkMaterials(p *Policy, ms []Material) error {
	var v fault.Violations
	given := map[string]bool{}
	for i, m := range ms {
		f := fmt.Sprintf("materials[%d]", i)
		spec := false
		for _, s := range p.Materials {
			spec = spec || s.Code == m.Code
		}
		switch {
		case !spec:
			v.Addf(f+".code", "the policy asks for no material %q", m.Code)
		case given[m.Code]:
			v.Add(f+".code", "given twice")
		}
		given[m.Code] = true
		if len(m.SHA256) != 64 || strings.Trim(strings.ToLower(m.SHA256), "0123456789abcdef") != "" {
			v.Add(f+".sha256", "the hex SHA-256 of the content (64 characters)")
		}
		if m.Size <= 0 {
			v.Add(f+".size", "the content's size in bytes, above 0")
		}
	}
	for _, s := range p.Materials {
		if !s.Optional && !given[s.Code] {
			v.Addf("materials."+s.Code, "required: %s", s.Name)
		}
	}
	return v.Err(fault.ErrUnprocessable)
}

// Withdraw withdraws an undecided application; approval withdraws its workflow.
func (r *Repository) Withdraw(ctx context.Context, id, actor, reason string, now time.Time) (*Application, error) {
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		a, err := loadApp(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if !a.Undecided() {
			return fault.Conflict("the application is " + a.State + ": only an undecided application can be withdrawn")
		}
		a.State, a.Reason, a.ClosedAt, a.Version = AppWithdrawn, reason, now, a.Version+1
		if err := setState(ctx, tx, a); err != nil {
			return err
		}
		if err := history(ctx, tx, a, now, "withdraw", actor, reason); err != nil {
			return err
		}
		return emit(ctx, tx, event.PolicyApplicationWithdrawn, a.Park, AggApplication, a.ID, a.Version, now,
			&policypb.ApplicationWithdrawn{ApplicationId: a.ID, EnterpriseId: a.EnterpriseID, Reason: reason,
				WithdrawnBy: actor, WithdrawnAt: ts(now)}, "")
	})
	if err != nil {
		return nil, err
	}
	return r.Application(ctx, id)
}

// ErrBudget is the kind of a reservation the budget cannot cover.
var ErrBudget = errors.New("budget exhausted")

// reserve reserves an approved application's amount from its policy's
// budget in tx: one conditional UPDATE, so concurrent reservations are
// serialised on the policy's row and never exceed the budget (the table's
// CHECK would refuse it besides). When the budget cannot cover it the
// application is refused, with the figures in the reason.
func reserve(ctx context.Context, tx *sqlx.Tx, a *Application, workflowID, decision string, at time.Time, causation string) error {
	var had bool
	if err := tx.GetContext(ctx, &had, `SELECT EXISTS (SELECT 1 FROM ledger WHERE policy_id = $1 AND enterprise_id = $2
		AND period = $3 AND kind = 'reserve')`, a.PolicyID, a.EnterpriseID, a.Period); err != nil {
		return fmt.Errorf("benefit of %s: %w", a.EnterpriseID, err)
	}
	var b struct {
		Budget   int64 `db:"budget_fen"`
		Reserved int64 `db:"reserved_fen"`
		Paid     int64 `db:"paid_fen"`
	}
	var err error
	if !had {
		err = tx.GetContext(ctx, &b, `UPDATE policies SET reserved_fen = reserved_fen + $2
			WHERE id = $1 AND budget_fen - reserved_fen - paid_fen >= $2 RETURNING budget_fen, reserved_fen, paid_fen`,
			a.PolicyID, a.AmountFen)
	}
	a.WorkflowID, a.DecisionNumber, a.DecidedAt, a.Version = workflowID, decision, at, a.Version+1
	if had || isNoRows(err) {
		if err := tx.GetContext(ctx, &b, `SELECT budget_fen, reserved_fen, paid_fen FROM policies WHERE id = $1`, a.PolicyID); err != nil {
			return fmt.Errorf("budget of %s: %w", a.PolicyID, err)
		}
		remaining := b.Budget - b.Reserved - b.Paid
		reason := fmt.Sprintf("budget exhausted (预算不足): %s needed, %s remaining of %s (reserved %s, paid %s)",
			FormatMoney(a.AmountFen), FormatMoney(remaining), FormatMoney(b.Budget), FormatMoney(b.Reserved), FormatMoney(b.Paid))
		if had {
			reason = "the firm has had this policy's benefit for " + a.Period + " already (one per firm, policy and period)"
		}
		a.State, a.Reason, a.ClosedAt = AppRefused, reason, at
		if err := setState(ctx, tx, a); err != nil {
			return err
		}
		if err := history(ctx, tx, a, at, "refuse", "system", reason); err != nil {
			return err
		}
		return emit(ctx, tx, event.DisbursementRefused, a.Park, AggApplication, a.ID, a.Version, at, &policypb.DisbursementRefused{
			ApplicationId: a.ID, PolicyId: a.PolicyID, EnterpriseId: a.EnterpriseID, AmountFen: a.AmountFen, Reason: reason,
			RemainingFen: remaining, WorkflowId: workflowID, DecisionNumber: decision, RefusedAt: ts(at)}, causation)
	}
	if err != nil {
		return fmt.Errorf("reserve for %s: %w", a.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ledger (policy_id, application_id, enterprise_id, period, kind, amount_fen,
		reference, actor, reason, at) VALUES ($1, $2, $3, $4, 'reserve', $5, $6, 'system', 'approved', $7)`,
		a.PolicyID, a.ID, a.EnterpriseID, a.Period, a.AmountFen, decision, at); err != nil {
		return fmt.Errorf("ledger reserve for %s: %w", a.ID, err)
	}
	a.State, a.Reason = AppApproved, ""
	if err := setState(ctx, tx, a); err != nil {
		return err
	}
	if err := history(ctx, tx, a, at, "reserve", "system", decision); err != nil {
		return err
	}
	return emit(ctx, tx, event.DisbursementReserved, a.Park, AggApplication, a.ID, a.Version, at, &policypb.DisbursementReserved{
		ApplicationId: a.ID, PolicyId: a.PolicyID, EnterpriseId: a.EnterpriseID, AmountFen: a.AmountFen, WorkflowId: workflowID,
		DecisionNumber: decision, BudgetFen: b.Budget, ReservedFen: b.Reserved, PaidFen: b.Paid,
		RemainingFen: b.Budget - b.Reserved - b.Paid, ReservedAt: ts(at)}, causation)
}

// Disburse pays an approved application's reservation out (拨付) under a
// payment reference. Paying again with the same reference answers the same.
func (r *Repository) Disburse(ctx context.Context, id, reference, actor string, now time.Time) (*Application, error) {
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		a, err := loadApp(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if a.State == AppPaid && a.PaymentReference == reference {
			return nil
		}
		if a.State != AppApproved {
			return fault.Conflict("the application is " + a.State + ": only an approved (reserved) application is paid")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE policies SET reserved_fen = reserved_fen - $2, paid_fen = paid_fen + $2
			WHERE id = $1`, a.PolicyID, a.AmountFen); err != nil {
			return fmt.Errorf("pay from %s: %w", a.PolicyID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger (policy_id, application_id, enterprise_id, period, kind, amount_fen,
			reference, actor, reason, at) VALUES ($1, $2, $3, $4, 'pay', $5, $6, $7, '拨付', $8)`,
			a.PolicyID, a.ID, a.EnterpriseID, a.Period, a.AmountFen, reference, actor, now); err != nil {
			return fmt.Errorf("ledger pay for %s: %w", a.ID, err)
		}
		a.State, a.PaidAt, a.ClosedAt, a.PaymentReference, a.Version = AppPaid, now, now, reference, a.Version+1
		if err := setState(ctx, tx, a); err != nil {
			return err
		}
		if err := history(ctx, tx, a, now, "pay", actor, reference); err != nil {
			return err
		}
		return emit(ctx, tx, event.DisbursementPaid, a.Park, AggApplication, a.ID, a.Version, now, &policypb.DisbursementPaid{
			ApplicationId: a.ID, PolicyId: a.PolicyID, EnterpriseId: a.EnterpriseID, AmountFen: a.AmountFen,
			Reference: reference, PaidBy: actor, PaidAt: ts(now)}, "")
	})
	if err != nil {
		return nil, err
	}
	return r.Application(ctx, id)
}

// Release gives an approved application's reservation back to the budget.
func (r *Repository) Release(ctx context.Context, id, reason, actor string, now time.Time) (*Application, error) {
	err := db.InTx(ctx, r.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		a, err := loadApp(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if a.State != AppApproved {
			return fault.Conflict("the application is " + a.State + ": only an approved, unpaid reservation is released")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE policies SET reserved_fen = reserved_fen - $2 WHERE id = $1`,
			a.PolicyID, a.AmountFen); err != nil {
			return fmt.Errorf("release to %s: %w", a.PolicyID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger (policy_id, application_id, enterprise_id, period, kind, amount_fen,
			actor, reason, at) VALUES ($1, $2, $3, $4, 'release', $5, $6, $7, $8)`,
			a.PolicyID, a.ID, a.EnterpriseID, a.Period, a.AmountFen, actor, reason, now); err != nil {
			return fmt.Errorf("ledger release for %s: %w", a.ID, err)
		}
		a.State, a.Reason, a.ClosedAt, a.Version = AppReleased, reason, now, a.Version+1
		if err := setState(ctx, tx, a); err != nil {
			return err
		}
		if err := history(ctx, tx, a, now, "release", actor, reason); err != nil {
			return err
		}
		return emit(ctx, tx, event.DisbursementReleased, a.Park, AggApplication, a.ID, a.Version, now, &policypb.DisbursementReleased{
			ApplicationId: a.ID, PolicyId: a.PolicyID, EnterpriseId: a.EnterpriseID, AmountFen: a.AmountFen, Reason: reason,
			ReleasedBy: actor, ReleasedAt: ts(now)}, "")
	})
	if err != nil {
		return nil, err
	}
	return r.Application(ctx, id)
}

// Application reads an application with its timeline and ledger entries.
func (r *Repository) Application(ctx context.Context, id string) (*Application, error) {
	a, err := loadApp(ctx, r.db, id, "")
	if err != nil {
		return nil, err
	}
	var hs []struct {
		At     time.Time `db:"at"`
		State  string    `db:"state"`
		Action string    `db:"action"`
		Actor  string    `db:"actor"`
		Detail string    `db:"detail"`
	}
	if err := r.db.SelectContext(ctx, &hs, `SELECT at, state, action, actor, detail FROM application_history
		WHERE application_id = $1 ORDER BY id`, id); err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	for _, h := range hs {
		a.History = append(a.History, HistoryEntry{At: h.At.UTC(), State: h.State, Action: h.Action, Actor: h.Actor, Detail: h.Detail})
	}
	if a.Ledger, err = selectLedger(ctx, r.db, `application_id = $1 ORDER BY id`, id); err != nil {
		return nil, err
	}
	return a, nil
}

// AppQuery filters applications; empty fields match all.
type AppQuery struct {
	Park         string
	EnterpriseID string
	PolicyID     string
	State        string
	OfficerID    string
	Limit        int
}

// Applications lists applications, newest first.
func (r *Repository) Applications(ctx context.Context, q AppQuery) ([]*Application, error) {
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 200
	}
	if q.PolicyID != "" {
		if _, err := uuid.Parse(q.PolicyID); err != nil {
			return []*Application{}, nil
		}
	}
	return selectApps(ctx, r.db, `($1 = '' OR park = $1) AND ($2 = '' OR enterprise_id = $2)
		AND ($3 = '' OR policy_id::text = $3) AND ($4 = '' OR state = $4)
		AND ($5 = '' OR enterprise_id IN (SELECT enterprise_id FROM firms WHERE officer_id = $5 OR backup_officer_id = $5))
		ORDER BY submitted_at DESC, id LIMIT $6`, q.Park, q.EnterpriseID, q.PolicyID, q.State, q.OfficerID, q.Limit)
}

// --- ledger ---

type ledgerRow struct {
	ID            int64     `db:"id"`
	PolicyID      string    `db:"policy_id"`
	ApplicationID string    `db:"application_id"`
	EnterpriseID  string    `db:"enterprise_id"`
	Period        string    `db:"period"`
	Kind          string    `db:"kind"`
	AmountFen     int64     `db:"amount_fen"`
	Reference     string    `db:"reference"`
	Actor         string    `db:"actor"`
	Reason        string    `db:"reason"`
	At            time.Time `db:"at"`
}

func selectLedger(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]LedgerEntry, error) {
	var rows []ledgerRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, policy_id, application_id, enterprise_id, period, kind, amount_fen,
		reference, actor, reason, at FROM ledger WHERE `+where, args...); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	out := make([]LedgerEntry, len(rows))
	for i, r := range rows {
		out[i] = LedgerEntry{ID: r.ID, PolicyID: r.PolicyID, ApplicationID: r.ApplicationID, EnterpriseID: r.EnterpriseID,
			Period: r.Period, Kind: r.Kind, AmountFen: r.AmountFen, Reference: r.Reference, Actor: r.Actor, Reason: r.Reason,
			At: r.At.UTC()}
	}
	return out, nil
}

// Balance checks a policy's running totals against its ledger.
func (r *Repository) Balance(ctx context.Context, policyID string) (Balance, error) {
	var b Balance
	if _, err := uuid.Parse(policyID); err != nil {
		return b, fault.NotFound("policy")
	}
	err := r.db.QueryRowxContext(ctx, `SELECT p.budget_fen, p.reserved_fen, p.paid_fen,
		coalesce(sum(l.amount_fen) FILTER (WHERE l.kind = 'reserve'), 0),
		coalesce(sum(l.amount_fen) FILTER (WHERE l.kind = 'pay'), 0),
		coalesce(sum(l.amount_fen) FILTER (WHERE l.kind = 'release'), 0)
		FROM policies p LEFT JOIN ledger l ON l.policy_id = p.id WHERE p.id = $1 GROUP BY p.id`, policyID).
		Scan(&b.BudgetFen, &b.ReservedFen, &b.PaidFen, &b.ReservesFen, &b.PaysFen, &b.ReleasesFen)
	if isNoRows(err) {
		return b, fault.NotFound("policy")
	}
	if err != nil {
		return b, fmt.Errorf("balance of %s: %w", policyID, err)
	}
	b.RemainingFen = b.BudgetFen - b.ReservedFen - b.PaidFen
	if b.ReservedFen != b.ReservesFen-b.PaysFen-b.ReleasesFen {
		b.Problems = append(b.Problems, fmt.Sprintf("reserved %d ≠ reserves %d − pays %d − releases %d", b.ReservedFen, b.ReservesFen, b.PaysFen, b.ReleasesFen))
	}
	if b.PaidFen != b.PaysFen {
		b.Problems = append(b.Problems, fmt.Sprintf("paid %d ≠ pays %d", b.PaidFen, b.PaysFen))
	}
	if b.RemainingFen < 0 {
		b.Problems = append(b.Problems, "over-committed")
	}
	var bad []string
	if err := r.db.SelectContext(ctx, &bad, `SELECT application_id::text FROM ledger WHERE policy_id = $1 GROUP BY application_id
		HAVING sum(amount_fen) FILTER (WHERE kind IN ('pay', 'release')) > coalesce(sum(amount_fen) FILTER (WHERE kind = 'reserve'), 0)
		OR count(*) FILTER (WHERE kind = 'reserve') > 1`, policyID); err != nil {
		return b, fmt.Errorf("settlements of %s: %w", policyID, err)
	}
	for _, id := range bad {
		b.Problems = append(b.Problems, "application "+id+" settled beyond its reservation")
	}
	b.Balanced = len(b.Problems) == 0
	return b, nil
}

// Ledger returns a policy's ledger with its balance.
func (r *Repository) Ledger(ctx context.Context, policyID string) (LedgerView, error) {
	b, err := r.Balance(ctx, policyID)
	if err != nil {
		return LedgerView{}, err
	}
	es, err := selectLedger(ctx, r.db, `policy_id = $1 ORDER BY id`, policyID)
	if err != nil {
		return LedgerView{}, err
	}
	return LedgerView{PolicyID: policyID, Balance: b, Entries: es}, nil
}

// --- views ---

// Overview computes a manager's per-policy figures for a park.
func (r *Repository) Overview(ctx context.Context, park string) (Overview, error) {
	ov := Overview{Park: park, Policies: []PolicyFigures{}}
	ps, err := r.Policies(ctx, park, nil)
	if err != nil {
		return ov, err
	}
	type counts struct {
		PolicyID  string `db:"policy_id"`
		Eligible  int    `db:"eligible"`
		Open      int    `db:"offers_open"`
		Confirmed int    `db:"offers_confirmed"`
		Apps      int    `db:"apps"`
		Progress  int    `db:"in_progress"`
		Benefit   int    `db:"beneficiaries"`
		Paid      int    `db:"paid"`
		Refused   int    `db:"refused"`
		Denied    int    `db:"denied"`
		Withdrawn int    `db:"withdrawn"`
	}
	var cs []counts
	if err := r.db.SelectContext(ctx, &cs, `SELECT p.id::text AS policy_id,
		(SELECT count(*) FROM matches m WHERE m.policy_id = p.id) AS eligible,
		(SELECT count(*) FROM offers o WHERE o.policy_id = p.id AND o.state = 'open') AS offers_open,
		(SELECT count(*) FROM offers o WHERE o.policy_id = p.id AND o.state = 'confirmed') AS offers_confirmed,
		count(a.id) AS apps,
		count(a.id) FILTER (WHERE a.state IN ('submitted', 'in_review', 'public_notice')) AS in_progress,
		count(a.id) FILTER (WHERE a.state IN ('approved', 'paid')) AS beneficiaries,
		count(a.id) FILTER (WHERE a.state = 'paid') AS paid,
		count(a.id) FILTER (WHERE a.state = 'refused') AS refused,
		count(a.id) FILTER (WHERE a.state IN ('denied', 'not_accepted')) AS denied,
		count(a.id) FILTER (WHERE a.state = 'withdrawn') AS withdrawn
		FROM policies p LEFT JOIN applications a ON a.policy_id = p.id WHERE p.park = $1 GROUP BY p.id`, park); err != nil {
		return ov, fmt.Errorf("policy figures of %s: %w", park, err)
	}
	byID := map[string]counts{}
	for _, c := range cs {
		byID[c.PolicyID] = c
	}
	var paid []struct {
		PolicyID  string    `db:"policy_id"`
		Submitted time.Time `db:"submitted_at"`
		Paid      time.Time `db:"paid_at"`
	}
	if err := r.db.SelectContext(ctx, &paid, `SELECT policy_id::text, submitted_at, paid_at FROM applications
		WHERE park = $1 AND state = 'paid' AND paid_at IS NOT NULL`, park); err != nil {
		return ov, fmt.Errorf("paid applications of %s: %w", park, err)
	}
	cal, hasCal := r.cals.ForPark(park)
	sum, n, ok := map[string]float64{}, map[string]int{}, map[string]bool{}
	for _, p := range paid {
		if _, seen := ok[p.PolicyID]; !seen {
			ok[p.PolicyID] = hasCal
		}
		if !hasCal {
			continue
		}
		d, err := cal.WorkingTimeBetween(p.Submitted, p.Paid)
		if err != nil {
			ok[p.PolicyID] = false
			continue
		}
		sum[p.PolicyID] += float64(d) / float64(cal.WorkingDay())
		n[p.PolicyID]++
	}
	for _, p := range ps {
		c := byID[p.ID]
		f := PolicyFigures{PolicyID: p.ID, Code: p.Code, Title: p.Title, DocumentNumber: p.DocumentNumber, Mode: p.Mode,
			Status: p.Status, Period: p.Period, EligibleFirms: c.Eligible, OffersOpen: c.Open, OffersConfirmed: c.Confirmed,
			Applications: c.Apps, InProgress: c.Progress, Beneficiaries: c.Benefit, Paid: c.Paid, Refused: c.Refused,
			Denied: c.Denied, Withdrawn: c.Withdrawn, BudgetFen: p.BudgetFen, ReservedFen: p.ReservedFen, PaidFen: p.PaidFen,
			RemainingFen: p.RemainingFen()}
		if c.Eligible > 0 {
			f.UptakePercent = round2(100 * float64(c.Benefit) / float64(c.Eligible))
		}
		f.UsedPercent = round2(100 * float64(p.ReservedFen+p.PaidFen) / float64(p.BudgetFen))
		if ok[p.ID] && n[p.ID] > 0 {
			avg := round2(sum[p.ID] / float64(n[p.ID]))
			f.AvgWorkingDaysToPayment = &avg
		}
		ov.Policies = append(ov.Policies, f)
		ov.BudgetFen += p.BudgetFen
		ov.ReservedFen += p.ReservedFen
		ov.PaidFen += p.PaidFen
		ov.RemainingFen += p.RemainingFen()
	}
	return ov, nil
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}

// FirmView gathers a firm's offers, applications and payments.
func (r *Repository) FirmView(ctx context.Context, f Firm) (FirmView, error) {
	v := FirmView{EnterpriseID: f.ID, Name: f.Name, Park: f.Park}
	var err error
	if v.Offers, err = r.OffersOf(ctx, f.ID); err != nil {
		return v, err
	}
	if v.Applications, err = selectApps(ctx, r.db, `enterprise_id = $1 ORDER BY submitted_at DESC, id`, f.ID); err != nil {
		return v, err
	}
	if v.Payments, err = selectLedger(ctx, r.db, `enterprise_id = $1 AND kind = 'pay' ORDER BY id`, f.ID); err != nil {
		return v, err
	}
	for _, p := range v.Payments {
		v.ReceivedFen += p.AmountFen
	}
	for _, a := range v.Applications {
		if a.State == AppApproved {
			v.ReservedFen += a.AmountFen
		}
	}
	return v, nil
}

// Matches evaluates every published policy of the firm's park for it, with
// its offers and applications of them.
func (r *Repository) Matches(ctx context.Context, f Firm, now time.Time) (MatchesView, error) {
	v := MatchesView{EnterpriseID: f.ID, Name: f.Name, Park: f.Park, Matches: []MatchView{}}
	ps, err := selectPolicies(ctx, r.db, `park = $1 AND status = 'published' ORDER BY published_at, id`, f.Park)
	if err != nil {
		return v, err
	}
	offers, err := selectOffers(ctx, r.db, `o.enterprise_id = $1 AND o.state IN ('open', 'confirmed')`, f.ID)
	if err != nil {
		return v, err
	}
	apps, err := selectApps(ctx, r.db, `enterprise_id = $1 ORDER BY submitted_at DESC`, f.ID)
	if err != nil {
		return v, err
	}
	facts := FactsOf(f)
	for _, p := range ps {
		mv := MatchView{Match: p.Evaluate(&facts), Status: p.Status, OpenNow: p.Open(now)}
		for i := range offers {
			if offers[i].PolicyID == p.ID && offers[i].Period == p.Period {
				mv.Offer = &offers[i]
			}
		}
		for _, a := range apps {
			if a.PolicyID == p.ID && a.Period == p.Period && mv.Application == nil {
				mv.Application = a
			}
		}
		if mv.Eligible {
			v.EligibleFen += mv.AmountFen
		}
		v.Matches = append(v.Matches, mv)
	}
	return v, nil
}

// appsByWorkflow finds the application of a workflow, locked.
func appByWorkflow(ctx context.Context, tx *sqlx.Tx, workflowID string) (*Application, error) {
	as, err := selectApps(ctx, tx, `workflow_id = $1 FOR UPDATE`, workflowID)
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return as[0], nil
}
