package policy

import "time"

// Application states.
const (
	AppSubmitted    = "submitted"     // sent to approval
	AppInReview     = "in_review"     // 初审 / 复核 / 决定
	AppPublicNotice = "public_notice" // 公示, clocks paused
	AppApproved     = "approved"      // approved, amount reserved from the budget
	AppRefused      = "refused"       // approved, but the budget could not cover it
	AppDenied       = "denied"        // not approved
	AppNotAccepted  = "not_accepted"  // 不予受理
	AppWithdrawn    = "withdrawn"     // withdrawn before the decision
	AppPaid         = "paid"          // 拨付: paid out
	AppReleased     = "released"      // reservation given back unpaid
)

// Channels of an application.
const (
	ChannelOnline = "online" // the firm itself
	ChannelProxy  = "proxy"  // 代办 by its liaison officer
	ChannelOffer  = "offer"  // a 免申即享 offer confirmed
)

// Offer states.
const (
	OfferOpen      = "open"
	OfferConfirmed = "confirmed"
	OfferLapsed    = "lapsed"
)

// Ledger entry kinds.
const (
	LedgerReserve = "reserve"
	LedgerPay     = "pay"
	LedgerRelease = "release"
)

// Material is the metadata of a material; its content lives in the object store.
type Material struct {
	Code   string `json:"code"`
	Name   string `json:"name,omitempty"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Ref    string `json:"ref,omitempty"`
}

// Application is a firm's application for a policy's benefit.
type Application struct {
	ID               string         `json:"id"`
	Park             string         `json:"park"`
	PolicyID         string         `json:"policy_id"`
	PolicyCode       string         `json:"policy_code"`
	PolicyTitle      string         `json:"policy_title"`
	EnterpriseID     string         `json:"enterprise_id"`
	EnterpriseName   string         `json:"enterprise_name"`
	Period           string         `json:"period"`
	AmountFen        int64          `json:"amount_fen"`
	State            string         `json:"state"`
	Channel          string         `json:"channel"`
	OfferID          string         `json:"offer_id,omitempty"`
	SubmittedBy      string         `json:"submitted_by"`
	SubmittedRole    string         `json:"submitted_role"`
	OfficerID        string         `json:"officer_id,omitempty"`
	Materials        []Material     `json:"materials"`
	Explanation      *Match         `json:"explanation,omitempty"`
	WorkflowID       string         `json:"workflow_id,omitempty"`
	Stage            string         `json:"stage,omitempty"`
	DecisionNumber   string         `json:"decision_number,omitempty"`
	Reason           string         `json:"reason,omitempty"`
	PaymentReference string         `json:"payment_reference,omitempty"`
	SubmittedAt      time.Time      `json:"submitted_at"`
	DecidedAt        time.Time      `json:"decided_at,omitzero"`
	PaidAt           time.Time      `json:"paid_at,omitzero"`
	ClosedAt         time.Time      `json:"closed_at,omitzero"`
	Version          int64          `json:"version"`
	History          []HistoryEntry `json:"history,omitempty"`
	Ledger           []LedgerEntry  `json:"ledger,omitempty"`
}

// Active reports whether the application still counts against "one per
// firm, policy and period".
func (a *Application) Active() bool {
	switch a.State {
	case AppSubmitted, AppInReview, AppPublicNotice, AppApproved, AppPaid:
		return true
	}
	return false
}

// Undecided reports whether approval has not decided the application yet.
func (a *Application) Undecided() bool {
	return a.State == AppSubmitted || a.State == AppInReview || a.State == AppPublicNotice
}

// HistoryEntry is one step of an application's timeline.
type HistoryEntry struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Action string    `json:"action"`
	Actor  string    `json:"actor,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Offer is a 免申即享 offer to a firm.
type Offer struct {
	ID            string    `json:"id"`
	Park          string    `json:"park"`
	PolicyID      string    `json:"policy_id"`
	PolicyCode    string    `json:"policy_code"`
	PolicyTitle   string    `json:"policy_title"`
	EnterpriseID  string    `json:"enterprise_id"`
	Period        string    `json:"period"`
	AmountFen     int64     `json:"amount_fen"`
	State         string    `json:"state"`
	Cause         string    `json:"cause"`
	Reason        string    `json:"reason,omitempty"`
	ApplicationID string    `json:"application_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	ClosedAt      time.Time `json:"closed_at,omitzero"`
	Version       int64     `json:"version"`
}

// LedgerEntry is one movement of a policy's budget.
type LedgerEntry struct {
	ID            int64     `json:"id"`
	PolicyID      string    `json:"policy_id"`
	ApplicationID string    `json:"application_id"`
	EnterpriseID  string    `json:"enterprise_id"`
	Period        string    `json:"period"`
	Kind          string    `json:"kind"`
	AmountFen     int64     `json:"amount_fen"`
	Reference     string    `json:"reference,omitempty"`
	Actor         string    `json:"actor,omitempty"`
	Reason        string    `json:"reason,omitempty"`
	At            time.Time `json:"at"`
}

// Balance is a policy's budget against its ledger. The ledger balances
// when the running totals equal the ledger's sums, nothing is settled twice
// or beyond its reservation, and reserved + paid never exceed the budget.
type Balance struct {
	BudgetFen    int64    `json:"budget_fen"`
	ReservedFen  int64    `json:"reserved_fen"`
	PaidFen      int64    `json:"paid_fen"`
	RemainingFen int64    `json:"remaining_fen"`
	ReservesFen  int64    `json:"ledger_reserves_fen"`
	PaysFen      int64    `json:"ledger_pays_fen"`
	ReleasesFen  int64    `json:"ledger_releases_fen"`
	Balanced     bool     `json:"balanced"`
	Problems     []string `json:"problems,omitempty"`
}

// LedgerView is a policy's ledger with its balance.
type LedgerView struct {
	PolicyID string        `json:"policy_id"`
	Balance  Balance       `json:"balance"`
	Entries  []LedgerEntry `json:"entries"`
}

// PolicyFigures are a manager's figures of one policy.
type PolicyFigures struct {
	PolicyID        string  `json:"policy_id"`
	Code            string  `json:"code"`
	Title           string  `json:"title"`
	DocumentNumber  string  `json:"document_number"`
	Mode            string  `json:"mode"`
	Status          string  `json:"status"`
	Period          string  `json:"period"`
	EligibleFirms   int     `json:"eligible_firms"`
	OffersOpen      int     `json:"offers_open"`
	OffersConfirmed int     `json:"offers_confirmed"`
	Applications    int     `json:"applications"`
	InProgress      int     `json:"in_progress"`
	Beneficiaries   int     `json:"beneficiaries"`
	Paid            int     `json:"paid"`
	Refused         int     `json:"refused"`
	Denied          int     `json:"denied"`
	Withdrawn       int     `json:"withdrawn"`
	UptakePercent   float64 `json:"uptake_percent"`
	BudgetFen       int64   `json:"budget_fen"`
	ReservedFen     int64   `json:"reserved_fen"`
	PaidFen         int64   `json:"paid_fen"`
	RemainingFen    int64   `json:"remaining_fen"`
	UsedPercent     float64 `json:"used_percent"`
	// AvgWorkingDaysToPayment is the mean working days from submission to
	// payment of the paid applications; null when none is paid or the
	// park's calendar does not cover them.
	AvgWorkingDaysToPayment *float64 `json:"avg_working_days_to_payment"`
}

// Overview is a manager's view of a park's policies.
type Overview struct {
	Park         string          `json:"park"`
	Policies     []PolicyFigures `json:"policies"`
	BudgetFen    int64           `json:"budget_fen"`
	ReservedFen  int64           `json:"reserved_fen"`
	PaidFen      int64           `json:"paid_fen"`
	RemainingFen int64           `json:"remaining_fen"`
}

// MatchView is a policy evaluated for a firm with the firm's offer and
// application of it, if any.
type MatchView struct {
	Match
	Status      string       `json:"status"`
	OpenNow     bool         `json:"open_now"`
	Offer       *Offer       `json:"offer,omitempty"`
	Application *Application `json:"application,omitempty"`
}

// MatchesView is every open policy of a firm's park evaluated for it.
type MatchesView struct {
	EnterpriseID string      `json:"enterprise_id"`
	Name         string      `json:"name"`
	Park         string      `json:"park"`
	Matches      []MatchView `json:"matches"`
	// EligibleFen is the sum of the amounts of the eligible policies.
	EligibleFen int64 `json:"eligible_fen"`
}

// FirmView is a firm's offers, applications and payments.
type FirmView struct {
	EnterpriseID string         `json:"enterprise_id"`
	Name         string         `json:"name"`
	Park         string         `json:"park"`
	Offers       []Offer        `json:"offers"`
	Applications []*Application `json:"applications"`
	Payments     []LedgerEntry  `json:"payments"`
	ReceivedFen  int64          `json:"received_fen"`
	ReservedFen  int64          `json:"reserved_fen"`
}
