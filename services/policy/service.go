// Package policy is parkdesk's policy redemption service (政策兑现
// "一窗式"): policies as data (eligibility rules in a small safe language,
// benefit formulas in integer fen, budgets and windows), matching of the
// park's firms when a policy is published or a firm's profile changes,
// proactive offers (免申即享) confirmed in one step, applications run
// through the approval engine, budgets reserved at the decision and never
// over-committed, and a ledger of reservations, payments (拨付) and
// releases that always balances.
package policy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

// FinanceDepartment is the department whose staff pay out (拨付) and see ledgers.
const FinanceDepartment = "finance"

// Service is the policy API.
type Service interface {
	// Policies lists the park's policies: every one for its staff, managers
	// and admins; published and closed ones for firms and liaisons.
	Policies(ctx context.Context, q PolicyQuery) ([]*Policy, error)
	Policy(ctx context.Context, id string) (*Policy, error)
	// CreatePolicy saves a draft (manager; admin naming the park).
	CreatePolicy(ctx context.Context, in PolicyInput) (*Policy, error)
	// UpdatePolicy replaces a draft.
	UpdatePolicy(ctx context.Context, id string, in PolicyInput) (*Policy, error)
	// PublishPolicy publishes a draft: the park's firms are matched and a
	// proactive policy's offers made.
	PublishPolicy(ctx context.Context, id string) (PublishResult, error)
	ClosePolicy(ctx context.Context, id string, in CloseInput) (*Policy, error)
	// Ledger is a policy's ledger and balance (manager, finance staff, admin).
	Ledger(ctx context.Context, policyID string) (LedgerView, error)
	// Overview is the manager's per-policy uptake, budget and speed.
	Overview(ctx context.Context, q OverviewQuery) (Overview, error)
	// Matches evaluates the park's published policies for a firm, rule by
	// rule, with the amounts.
	Matches(ctx context.Context, q MatchQuery) (MatchesView, error)
	// Apply applies for a policy, or confirms a proactive offer (offer_id).
	Apply(ctx context.Context, in ApplicationInput) (*Application, error)
	Applications(ctx context.Context, q ApplicationQuery) ([]*Application, error)
	Application(ctx context.Context, id string) (*Application, error)
	Withdraw(ctx context.Context, id string, in WithdrawInput) (*Application, error)
	// Disburse records the payment (拨付) of an approved application.
	Disburse(ctx context.Context, id string, in DisbursementInput) (*Application, error)
	// Release gives an approved application's reservation back unpaid.
	Release(ctx context.Context, id string, in ReleaseInput) (*Application, error)
	// FirmView is a firm's offers, applications and payments.
	FirmView(ctx context.Context, enterpriseID string) (FirmView, error)
}

// PolicyQuery filters policies.
type PolicyQuery struct {
	Park   string
	Status string
}

// CloseInput closes a policy.
type CloseInput struct {
	Reason string `json:"reason"`
}

// OverviewQuery picks the park (admins only; others see their own).
type OverviewQuery struct {
	Park string
}

// MatchQuery asks for a firm's matches.
type MatchQuery struct {
	EnterpriseID string
	// EligibleOnly leaves out the policies the firm does not meet.
	EligibleOnly bool
}

// ApplicationInput is an application, or the confirmation of an offer.
type ApplicationInput struct {
	PolicyID string `json:"policy_id,omitempty"`
	// OfferID confirms a 免申即享 offer: nothing else is needed.
	OfferID string `json:"offer_id,omitempty"`
	// EnterpriseID is the firm: a liaison names it; a firm may omit it.
	EnterpriseID string     `json:"enterprise_id,omitempty"`
	Materials    []Material `json:"materials,omitempty"`
}

// ApplicationQuery filters applications in the caller's scope.
type ApplicationQuery struct {
	Park         string
	EnterpriseID string
	PolicyID     string
	State        string
	Limit        int
}

// WithdrawInput withdraws an application.
type WithdrawInput struct {
	Reason string `json:"reason"`
}

// DisbursementInput records a payment.
type DisbursementInput struct {
	// Reference is the payment's voucher or bank reference.
	Reference string `json:"reference"`
}

// ReleaseInput releases a reservation.
type ReleaseInput struct {
	Reason string `json:"reason"`
}

// ServiceConfig configures the service.
type ServiceConfig struct {
	Store *Repository
	Clock clock.Clock
}

type service struct {
	repo  *Repository
	clock clock.Clock
}

// NewService returns the Service.
func NewService(cfg ServiceConfig) (Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("policy service: Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	return &service{repo: cfg.Store, clock: cfg.Clock}, nil
}

// --- scope ---

// parkOf resolves the park a caller acts in: its own, or for an admin the
// one named.
func parkOf(p auth.Principal, park string) (string, error) {
	if p.Role == auth.RoleAdmin {
		if park == "" {
			return "", fault.Invalid("park", "required of an admin")
		}
		if !event.ValidPark(park) {
			return "", fault.Invalid("park", "not a park id")
		}
		return park, nil
	}
	if park != "" && park != p.Park {
		return "", fault.Forbidden("another park's data")
	}
	return p.Park, nil
}

// canSeeFirm: the firm itself, its liaison officers, the park's managers
// and staff, admins.
func canSeeFirm(p auth.Principal, f Firm) bool {
	switch p.Role {
	case auth.RoleAdmin:
		return true
	case auth.RoleEnterprise:
		return p.EnterpriseID == f.ID
	case auth.RoleLiaison:
		return p.Park == f.Park && p.OfficerID != "" && (p.OfficerID == f.OfficerID || p.OfficerID == f.BackupOfficerID)
	case auth.RoleManager, auth.RoleStaff:
		return p.CanSeePark(f.Park)
	}
	return false
}

// canActForFirm: the firm itself, or its liaison officers (代办).
func canActForFirm(p auth.Principal, f Firm) bool {
	switch p.Role {
	case auth.RoleEnterprise:
		return p.EnterpriseID == f.ID
	case auth.RoleLiaison:
		return canSeeFirm(p, f)
	}
	return false
}

func canManage(p auth.Principal, park string) error {
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return err
	}
	if !p.CanSeePark(park) {
		return fault.NotFound("policy")
	}
	return nil
}

func canSeeMoney(p auth.Principal, park string) error {
	if p.Role == auth.RoleStaff && !p.InDepartment(FinanceDepartment) {
		return fault.Forbidden("only the finance department's staff, managers and admins handle disbursements")
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin, auth.RoleStaff); err != nil {
		return err
	}
	if !p.CanSeePark(park) {
		return fault.NotFound("policy")
	}
	return nil
}

// firm returns a firm the caller may see, else not found.
func (s *service) firm(ctx context.Context, p auth.Principal, id string) (Firm, error) {
	if id == "" {
		return Firm{}, fault.Invalid("enterprise_id", "required")
	}
	f, err := s.repo.Firm(ctx, id)
	if err != nil {
		return Firm{}, err
	}
	if !canSeeFirm(p, f) {
		return Firm{}, fault.NotFound("enterprise")
	}
	return f, nil
}

func (s *service) visiblePolicy(ctx context.Context, p auth.Principal, id string) (*Policy, error) {
	pol, err := s.repo.Policy(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.CanSeePark(pol.Park) || pol.Status == StatusDraft && (p.Role == auth.RoleEnterprise || p.Role == auth.RoleLiaison) {
		return nil, fault.NotFound("policy")
	}
	return pol, nil
}

// --- policies ---

func (s *service) Policies(ctx context.Context, q PolicyQuery) ([]*Policy, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	park, err := parkOf(p, q.Park)
	if err != nil {
		return nil, err
	}
	var statuses []string
	switch q.Status {
	case "":
	case StatusDraft, StatusPublished, StatusClosed:
		statuses = []string{q.Status}
	default:
		return nil, fault.Invalid("status", "draft, published or closed")
	}
	if p.Role == auth.RoleEnterprise || p.Role == auth.RoleLiaison {
		if q.Status == StatusDraft {
			return []*Policy{}, nil
		}
		if len(statuses) == 0 {
			statuses = []string{StatusPublished, StatusClosed}
		}
	}
	return s.repo.Policies(ctx, park, statuses)
}

func (s *service) Policy(ctx context.Context, id string) (*Policy, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	return s.visiblePolicy(ctx, p, id)
}

func (s *service) CreatePolicy(ctx context.Context, in PolicyInput) (*Policy, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleAdmin); err != nil {
		return nil, err
	}
	park, err := parkOf(p, in.Park)
	if err != nil {
		return nil, err
	}
	return s.repo.SavePolicy(ctx, park, "", in, p.Subject, s.clock.Now().UTC())
}

func (s *service) UpdatePolicy(ctx context.Context, id string, in PolicyInput) (*Policy, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	old, err := s.repo.Policy(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canManage(p, old.Park); err != nil {
		return nil, err
	}
	if in.Park != "" && in.Park != old.Park {
		return nil, fault.Invalid("park", "a policy cannot move to another park")
	}
	return s.repo.SavePolicy(ctx, old.Park, id, in, p.Subject, s.clock.Now().UTC())
}

func (s *service) PublishPolicy(ctx context.Context, id string) (PublishResult, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return PublishResult{}, err
	}
	old, err := s.repo.Policy(ctx, id)
	if err != nil {
		return PublishResult{}, err
	}
	if err := canManage(p, old.Park); err != nil {
		return PublishResult{}, err
	}
	return s.repo.PublishPolicy(ctx, id, p.Subject, s.clock.Now().UTC())
}

func reasonField(v *fault.Violations, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if required && s == "" {
		v.Add(field, "required")
	}
	if utf8.RuneCountInString(s) > 500 {
		v.Add(field, "at most 500 characters")
	}
	return s
}

func (s *service) ClosePolicy(ctx context.Context, id string, in CloseInput) (*Policy, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v fault.Violations
	reason := reasonField(&v, "reason", in.Reason, true)
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	old, err := s.repo.Policy(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canManage(p, old.Park); err != nil {
		return nil, err
	}
	return s.repo.ClosePolicy(ctx, id, reason, p.Subject, s.clock.Now().UTC())
}

func (s *service) Ledger(ctx context.Context, policyID string) (LedgerView, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return LedgerView{}, err
	}
	pol, err := s.repo.Policy(ctx, policyID)
	if err != nil {
		return LedgerView{}, err
	}
	if err := canSeeMoney(p, pol.Park); err != nil {
		return LedgerView{}, err
	}
	return s.repo.Ledger(ctx, policyID)
}

func (s *service) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return Overview{}, err
	}
	if err := p.Require(auth.RoleManager, auth.RoleStaff, auth.RoleAdmin); err != nil {
		return Overview{}, err
	}
	park, err := parkOf(p, q.Park)
	if err != nil {
		return Overview{}, err
	}
	return s.repo.Overview(ctx, park)
}

// --- firms ---

func (s *service) Matches(ctx context.Context, q MatchQuery) (MatchesView, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return MatchesView{}, err
	}
	if q.EnterpriseID == "" && p.Role == auth.RoleEnterprise {
		q.EnterpriseID = p.EnterpriseID
	}
	f, err := s.firm(ctx, p, q.EnterpriseID)
	if err != nil {
		return MatchesView{}, err
	}
	v, err := s.repo.Matches(ctx, f, s.clock.Now().UTC())
	if err != nil {
		return v, err
	}
	if q.EligibleOnly {
		v.Matches = slices.DeleteFunc(v.Matches, func(m MatchView) bool { return !m.Eligible })
	}
	return v, nil
}

func (s *service) FirmView(ctx context.Context, enterpriseID string) (FirmView, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return FirmView{}, err
	}
	if enterpriseID == "" && p.Role == auth.RoleEnterprise {
		enterpriseID = p.EnterpriseID
	}
	f, err := s.firm(ctx, p, enterpriseID)
	if err != nil {
		return FirmView{}, err
	}
	return s.repo.FirmView(ctx, f)
}

// --- applications ---

func (s *service) Apply(ctx context.Context, in ApplicationInput) (*Application, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Require(auth.RoleEnterprise, auth.RoleLiaison); err != nil {
		return nil, err
	}
	firmID := in.EnterpriseID
	if firmID == "" && p.Role == auth.RoleEnterprise {
		firmID = p.EnterpriseID
	}
	policyID, channel := in.PolicyID, ChannelOnline
	if p.Role == auth.RoleLiaison {
		channel = ChannelProxy
	}
	var v fault.Violations
	if in.OfferID != "" {
		o, err := s.repo.Offer(ctx, in.OfferID)
		switch {
		case errors.Is(err, fault.ErrNotFound):
			v.Add("offer_id", "no such offer")
		case err != nil:
			return nil, err
		default:
			if firmID == "" {
				firmID = o.EnterpriseID
			}
			if firmID != o.EnterpriseID {
				v.Add("offer_id", "the offer is not made to this firm")
			}
			if policyID != "" && policyID != o.PolicyID {
				v.Add("policy_id", "the offer is of another policy")
			}
			policyID, channel = o.PolicyID, ChannelOffer
		}
	} else if policyID == "" {
		v.Add("policy_id", "required (or offer_id to confirm an offer)")
	}
	if firmID == "" {
		v.Add("enterprise_id", "required of a liaison officer")
	}
	if len(in.Materials) > 30 {
		v.Add("materials", "at most 30")
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	f, err := s.firm(ctx, p, firmID)
	if err != nil {
		return nil, err
	}
	if !canActForFirm(p, f) {
		return nil, fault.Forbidden("only the firm or its liaison officer may apply for it")
	}
	return s.repo.Submit(ctx, Submission{PolicyID: policyID, Firm: f, OfferID: in.OfferID, Channel: channel,
		Actor: p.Subject, ActorRole: string(p.Role), Materials: in.Materials}, s.clock.Now().UTC())
}

func (s *service) visibleApp(ctx context.Context, p auth.Principal, id string) (*Application, Firm, error) {
	a, err := s.repo.Application(ctx, id)
	if err != nil {
		return nil, Firm{}, err
	}
	f, err := s.repo.Firm(ctx, a.EnterpriseID)
	if err != nil {
		f = Firm{ID: a.EnterpriseID, Park: a.Park}
	}
	if !canSeeFirm(p, f) {
		return nil, Firm{}, fault.NotFound("application")
	}
	return a, f, nil
}

func (s *service) Application(ctx context.Context, id string) (*Application, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	a, _, err := s.visibleApp(ctx, p, id)
	return a, err
}

func (s *service) Applications(ctx context.Context, q ApplicationQuery) ([]*Application, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	park, err := parkOf(p, q.Park)
	if err != nil {
		return nil, err
	}
	rq := AppQuery{Park: park, EnterpriseID: q.EnterpriseID, PolicyID: q.PolicyID, State: q.State, Limit: q.Limit}
	switch p.Role {
	case auth.RoleEnterprise:
		if q.EnterpriseID != "" && q.EnterpriseID != p.EnterpriseID {
			return nil, fault.Forbidden("another firm's applications")
		}
		rq.EnterpriseID = p.EnterpriseID
	case auth.RoleLiaison:
		rq.OfficerID = p.OfficerID
	}
	return s.repo.Applications(ctx, rq)
}

func (s *service) Withdraw(ctx context.Context, id string, in WithdrawInput) (*Application, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v fault.Violations
	reason := reasonField(&v, "reason", in.Reason, false)
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	_, f, err := s.visibleApp(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !canActForFirm(p, f) {
		return nil, fault.Forbidden("only the firm or its liaison officer may withdraw its application")
	}
	return s.repo.Withdraw(ctx, id, p.Subject, reason, s.clock.Now().UTC())
}

func (s *service) Disburse(ctx context.Context, id string, in DisbursementInput) (*Application, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v fault.Violations
	ref := strings.TrimSpace(in.Reference)
	switch {
	case ref == "":
		v.Add("reference", "required: the payment voucher or bank reference")
	case utf8.RuneCountInString(ref) > 64:
		v.Add("reference", "at most 64 characters")
	}
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	a, err := s.repo.Application(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canSeeMoney(p, a.Park); err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			return nil, fault.NotFound("application")
		}
		return nil, err
	}
	return s.repo.Disburse(ctx, id, ref, p.Subject, s.clock.Now().UTC())
}

func (s *service) Release(ctx context.Context, id string, in ReleaseInput) (*Application, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	var v fault.Violations
	reason := reasonField(&v, "reason", in.Reason, true)
	if err := v.Err(fault.ErrInvalid); err != nil {
		return nil, err
	}
	a, err := s.repo.Application(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := canSeeMoney(p, a.Park); err != nil {
		if errors.Is(err, fault.ErrNotFound) {
			return nil, fault.NotFound("application")
		}
		return nil, err
	}
	return s.repo.Release(ctx, id, reason, p.Subject, s.clock.Now().UTC())
}
