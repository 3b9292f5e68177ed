package intake

import (
	"time"
)

// Flags an enterprise can carry. bad-credit also reaches intake from the
// approval service (a false commitment found at verification).
const (
	FlagHighTech       = "high-tech"       // 高新技术企业
	FlagSpecializedSME = "specialized-sme" // 专精特新
	FlagListed         = "listed"          // 上市
	FlagBadCredit      = "bad-credit"      // 失信
)

// Flags lists every enterprise flag.
var Flags = []string{FlagHighTech, FlagSpecializedSME, FlagListed, FlagBadCredit}

// Scales of an enterprise (大型, 中型, 小型, 微型).
var Scales = []string{"large", "medium", "small", "micro"}

// Figures are a firm's declared figures for one year. Money is integer fen.
type Figures struct {
	Year           int     `json:"year"`
	RevenueFen     int64   `json:"revenue_fen"`
	TaxPaidFen     int64   `json:"tax_paid_fen"`
	RDRatioPercent float64 `json:"rd_ratio_percent"`
	LandAreaMu     float64 `json:"land_area_mu"`
	Headcount      int     `json:"headcount"`
}

// Liaison is the firm's officer as the liaison service last reported it.
type Liaison struct {
	OfficerID       string     `json:"officer_id,omitempty"`
	BackupOfficerID string     `json:"backup_officer_id,omitempty"`
	AssignedAt      *time.Time `json:"assigned_at,omitempty"`
}

// Enterprise is a firm registered in a park.
type Enterprise struct {
	ID            string    `json:"id"`
	USCC          string    `json:"uscc"`
	Name          string    `json:"name"`
	Park          string    `json:"park"`
	IndustryCode  string    `json:"industry_code"`
	Scale         string    `json:"scale"`
	Flags         []string  `json:"flags"`
	KeyEnterprise bool      `json:"key_enterprise"`
	Figures       *Figures  `json:"figures,omitempty"`
	Liaison       Liaison   `json:"liaison"`
	Synthetic     bool      `json:"synthetic,omitempty"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// HasFlag reports whether e carries flag.
func (e Enterprise) HasFlag(flag string) bool {
	for _, f := range e.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// EnterpriseInput registers a firm.
type EnterpriseInput struct {
	ID            string   `json:"-"`
	USCC          string   `json:"uscc"`
	Name          string   `json:"name"`
	Park          string   `json:"park"`
	IndustryCode  string   `json:"industry_code"`
	Scale         string   `json:"scale"`
	Flags         []string `json:"flags"`
	KeyEnterprise bool     `json:"key_enterprise"`
	Figures       *Figures `json:"figures"`
}

// EnterprisePatch changes a profile; nil fields stay as they are. The firm
// itself may change only its figures.
type EnterprisePatch struct {
	Name          *string   `json:"name"`
	IndustryCode  *string   `json:"industry_code"`
	Scale         *string   `json:"scale"`
	Flags         *[]string `json:"flags"`
	KeyEnterprise *bool     `json:"key_enterprise"`
	Figures       *Figures  `json:"figures"`
}

// EnterpriseQuery filters a list of firms.
type EnterpriseQuery struct {
	Park     string
	Flag     string
	Industry string
	After    string
	Limit    int
}

// EnterprisePage is one page of firms; Next is the cursor of the next page.
type EnterprisePage struct {
	Items []Enterprise `json:"items"`
	Next  string       `json:"next,omitempty"`
}

// MaterialSpec is one material a matter requires.
type MaterialSpec struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Key materials can never be missing; non-key ones may be, under
	// tolerant acceptance (容缺受理).
	Key bool `json:"key"`
	// Matters lists, in a bundle's merged list, the matters needing it.
	Matters []string `json:"matters,omitempty"`
}

// Matter is one catalogued service (事项) of a park.
type Matter struct {
	Park               string         `json:"park"`
	Code               string         `json:"code"`
	Name               string         `json:"name"`
	Department         string         `json:"department"`
	DepartmentName     string         `json:"department_name,omitempty"`
	LegalDays          int            `json:"legal_days"`
	CommitmentDays     int            `json:"commitment_days"`
	WarnDays           int            `json:"warn_days"`
	TolerantAcceptance bool           `json:"tolerant_acceptance"`
	CommitmentApproval bool           `json:"commitment_approval"`
	SupplementDays     int            `json:"supplement_days"`
	Materials          []MaterialSpec `json:"materials"`
}

// Bundle is a 一件事: several matters filed once, with merged materials and
// one overall commitment.
type Bundle struct {
	Park           string         `json:"park"`
	Code           string         `json:"code"`
	Name           string         `json:"name"`
	MatterCodes    []string       `json:"matter_codes"`
	Matters        []Matter       `json:"matters"`
	Materials      []MaterialSpec `json:"materials"`
	CommitmentDays int            `json:"commitment_days"`
	LegalDays      int            `json:"legal_days"`
	WarnDays       int            `json:"warn_days"`
}

// Ticket kinds.
const (
	KindMatter        = "matter"
	KindBundle        = "bundle"
	KindDemand        = "demand"
	KindRectification = "rectification"
)

// Channels (渠道); system is a ticket the service opened itself.
const (
	ChannelOnline = "online"
	ChannelWindow = "window"
	ChannelProxy  = "proxy"
	ChannelSystem = "system"
)

// Ticket statuses.
const (
	StatusSubmitted           = "submitted"            // filed, awaiting acceptance (or the liaison)
	StatusAccepted            = "accepted"             // accepted, under review
	StatusCorrectionRequested = "correction_requested" // a reviewer asked for materials (补正)
	StatusDispatched          = "dispatched"           // a demand reached an officer
	StatusAcknowledged        = "acknowledged"         // the officer signed for it (签收)
	StatusCompleted           = "completed"            // every matter decided, or the demand/rectification resolved
	StatusWithdrawn           = "withdrawn"            // the firm withdrew it
)

// Item statuses: a matter of a ticket, as its workflow reports.
const (
	ItemPending             = "pending"
	ItemAccepted            = "accepted"
	ItemCorrectionRequested = "correction_requested"
	ItemApproved            = "approved"
	ItemDenied              = "denied"
	ItemNotAccepted         = "not_accepted"
	ItemWithdrawn           = "withdrawn"
	ItemLapsed              = "lapsed"
	ItemRevoked             = "revoked"
)

// Outcomes of a completed ticket.
const (
	OutcomeApproved    = "approved"
	OutcomePartial     = "partially_approved"
	OutcomeDenied      = "denied"
	OutcomeNotAccepted = "not_accepted"
	OutcomeWithdrawn   = "withdrawn"
	OutcomeLapsed      = "lapsed"
	OutcomeResolved    = "resolved"
	OutcomeRectified   = "rectified"
)

// TicketItem is one matter of a ticket and the state of its workflow.
type TicketItem struct {
	Seq                int       `json:"-"`
	MatterCode         string    `json:"matter_code"`
	MatterName         string    `json:"matter_name"`
	Department         string    `json:"department"`
	CommitmentDays     int       `json:"commitment_days"`
	LegalDays          int       `json:"legal_days"`
	WarnDays           int       `json:"warn_days"`
	TolerantAcceptance bool      `json:"tolerant_acceptance"`
	CommitmentApproval bool      `json:"commitment_approval"`
	MissingMaterials   []string  `json:"missing_materials"`
	WorkflowID         string    `json:"workflow_id,omitempty"`
	Status             string    `json:"status"`
	Stage              string    `json:"stage,omitempty"`
	StageDepartment    string    `json:"stage_department,omitempty"`
	Paused             string    `json:"paused,omitempty"`
	CorrectionItems    []string  `json:"correction_items"`
	DecisionNumber     string    `json:"decision_number,omitempty"`
	Reason             string    `json:"reason,omitempty"`
	UpdatedAt          time.Time `json:"updated_at"`
}

// Terminal reports whether the item's workflow has finished.
func (it TicketItem) Terminal() bool {
	switch it.Status {
	case ItemApproved, ItemDenied, ItemNotAccepted, ItemWithdrawn, ItemLapsed, ItemRevoked:
		return true
	}
	return false
}

// Material is one material supplied with a ticket: metadata here, content in
// the object store.
type Material struct {
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	MediaType  string    `json:"media_type"`
	Ref        string    `json:"ref"`
	Purpose    string    `json:"purpose"`
	SuppliedAt time.Time `json:"supplied_at"`
}

// Purposes of a material.
const (
	PurposeSubmission = "submission"
	PurposeCorrection = "correction" // 补正
	PurposeSupplement = "supplement" // 容缺 materials supplied later
)

// MaterialInput is a material in a request: a code from the catalog and the
// metadata of content uploaded before (POST /v1/tickets/uploads).
type MaterialInput struct {
	Code      string `json:"code"`
	Name      string `json:"name,omitempty"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size,omitempty"`
	MediaType string `json:"media_type,omitempty"`
}

// Supplement is what a ticket accepted under 容缺 still owes.
type Supplement struct {
	Materials   []string   `json:"materials"`
	WorkingDays int        `json:"working_days,omitempty"`
	DueAt       *time.Time `json:"due_at,omitempty"`
}

// SLA is the ticket's SLA state as the sla service last reported it.
type SLA struct {
	State         string     `json:"state,omitempty"`
	Deadline      *time.Time `json:"deadline,omitempty"`
	LegalDeadline *time.Time `json:"legal_deadline,omitempty"`
	Paused        bool       `json:"paused"`
	Clocks        []Clock    `json:"clocks,omitempty"`
}

// Clock is one SLA clock of a ticket as last reported.
type Clock struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind"`
	WorkflowID    string     `json:"-"`
	MatterCode    string     `json:"matter_code,omitempty"`
	State         string     `json:"state"`
	Paused        bool       `json:"paused"`
	Deadline      *time.Time `json:"deadline,omitempty"`
	LegalDeadline *time.Time `json:"legal_deadline,omitempty"`
	StoppedLate   bool       `json:"stopped_late,omitempty"`
	Version       int64      `json:"-"`
}

// Rating is a 好差评 (GB/T 39734): 5 非常满意 … 1 非常不满意.
type Rating struct {
	Score                 int       `json:"score"`
	Level                 string    `json:"level"`
	Comment               string    `json:"comment,omitempty"`
	RatedAt               time.Time `json:"rated_at"`
	RectificationTicketID string    `json:"rectification_ticket_id,omitempty"`
}

// TimelineEntry is one event in a ticket's life.
type TimelineEntry struct {
	At      time.Time      `json:"at"`
	Type    string         `json:"type"`
	Actor   string         `json:"actor,omitempty"`
	Summary string         `json:"summary"`
	Detail  map[string]any `json:"detail,omitempty"`
	EventID string         `json:"event_id,omitempty"`
}

// Ticket is one submission (办件/诉求) as the firm sees it.
type Ticket struct {
	ID              string          `json:"id"`
	Number          string          `json:"number"`
	Park            string          `json:"park"`
	EnterpriseID    string          `json:"enterprise_id"`
	EnterpriseName  string          `json:"enterprise_name,omitempty"`
	Kind            string          `json:"kind"`
	Channel         string          `json:"channel"`
	MatterCode      string          `json:"matter_code,omitempty"`
	BundleCode      string          `json:"bundle_code,omitempty"`
	Title           string          `json:"title"`
	Description     string          `json:"description,omitempty"`
	Status          string          `json:"status"`
	Outcome         string          `json:"outcome,omitempty"`
	Stage           string          `json:"stage"`
	CommitmentDays  int             `json:"commitment_days,omitempty"`
	LegalDays       int             `json:"legal_days,omitempty"`
	WarnDays        int             `json:"warn_days,omitempty"`
	Departments     []string        `json:"departments"`
	Items           []TicketItem    `json:"items"`
	Materials       []Material      `json:"materials,omitempty"`
	Supplement      *Supplement     `json:"supplement,omitempty"`
	SLA             SLA             `json:"sla"`
	Liaison         Liaison         `json:"liaison"`
	RequestID       string          `json:"liaison_request_id,omitempty"`
	RelatedTicketID string          `json:"related_ticket_id,omitempty"`
	Resolution      string          `json:"resolution,omitempty"`
	Rating          *Rating         `json:"rating,omitempty"`
	SubmittedBy     string          `json:"submitted_by"`
	SubmittedAt     time.Time       `json:"submitted_at"`
	AcceptedAt      *time.Time      `json:"accepted_at,omitempty"`
	CompletedAt     *time.Time      `json:"completed_at,omitempty"`
	UpdatedAt       time.Time       `json:"updated_at"`
	Timeline        []TimelineEntry `json:"timeline,omitempty"`
	Version         int64           `json:"version"`

	submitterRole  string
	idempotencyKey string
	requestHash    string
	badCredit      bool
}

// MatterCodes returns the codes of the ticket's matters.
func (t Ticket) MatterCodes() []string {
	out := make([]string, len(t.Items))
	for i, it := range t.Items {
		out[i] = it.MatterCode
	}
	return out
}

// TicketQuery filters a list of tickets.
type TicketQuery struct {
	Park         string
	Status       string
	SLAState     string
	Kind         string
	Matter       string
	Bundle       string
	Department   string
	EnterpriseID string
	After        string
	Limit        int
}

// TicketPage is one page of tickets (without timelines); Next is the cursor
// of the next page.
type TicketPage struct {
	Items []Ticket `json:"items"`
	Next  string   `json:"next,omitempty"`
}

// SubmitRequest is POST /v1/tickets: exactly one of MatterCode, BundleCode
// and Demand.
type SubmitRequest struct {
	EnterpriseID string          `json:"enterprise_id,omitempty"`
	MatterCode   string          `json:"matter_code,omitempty"`
	BundleCode   string          `json:"bundle_code,omitempty"`
	Demand       *DemandInput    `json:"demand,omitempty"`
	Channel      string          `json:"channel,omitempty"`
	Materials    []MaterialInput `json:"materials"`
}

// DemandInput is a free-form demand (诉求) for the firm's liaison.
type DemandInput struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// SupplyRequest is POST /v1/tickets/{id}/materials.
type SupplyRequest struct {
	Materials []MaterialInput `json:"materials"`
}

// RatingInput is POST /v1/tickets/{id}/rating.
type RatingInput struct {
	Score   int    `json:"score"`
	Comment string `json:"comment,omitempty"`
}

// ResolutionInput is POST /v1/tickets/{id}/resolution: how a demand was
// resolved, or how a bad rating was followed up (回访) and rectified.
type ResolutionInput struct {
	Summary  string `json:"summary"`
	FollowUp string `json:"follow_up,omitempty"`
}

// WithdrawInput is POST /v1/tickets/{id}/withdraw.
type WithdrawInput struct {
	Reason string `json:"reason"`
}

// Upload is content stored for later use as a material.
type Upload struct {
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	MediaType string    `json:"media_type"`
	Ref       string    `json:"ref"`
	CreatedAt time.Time `json:"created_at"`
}

// Park is a tenant as intake knows it (from seeds/parks.yaml).
type Park struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	ShortName    string `json:"short_name"`
	TicketPrefix string `json:"ticket_prefix"`
}
