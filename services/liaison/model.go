package liaison

import (
	"time"
)

// OfficerStatus is whether an officer takes firms.
type OfficerStatus string

// The statuses of an officer.
const (
	StatusActive  OfficerStatus = "active"
	StatusOnLeave OfficerStatus = "on_leave"
	StatusLeft    OfficerStatus = "left"
)

// Valid reports whether s is one of the statuses.
func (s OfficerStatus) Valid() bool {
	return s == StatusActive || s == StatusOnLeave || s == StatusLeft
}

// Officer is a liaison officer (驻企联络员) with their current load.
type Officer struct {
	ID          string        `json:"id"`
	Park        string        `json:"park"`
	Name        string        `json:"name"`
	Phone       string        `json:"phone,omitempty"`
	Industries  []string      `json:"industries"`
	Departments []string      `json:"departments"`
	Cap         int           `json:"cap"`
	Status      OfficerStatus `json:"status"`
	ManagerID   string        `json:"manager_id,omitempty"`
	// Firms is how many firms the officer is primary for.
	Firms int `json:"firms"`
	// BackupFirms is how many firms the officer backs.
	BackupFirms int `json:"backup_firms"`
	// OpenRequests counts the requests the officer holds, pending or acknowledged.
	OpenRequests int `json:"open_requests"`
	// Load is firms plus open requests, what assignment balances.
	Load int `json:"load"`
}

// OfficerInput creates an officer.
type OfficerInput struct {
	// ID is optional; a UUIDv7 is made when empty.
	ID          string   `json:"id"`
	Park        string   `json:"park"`
	Name        string   `json:"name"`
	Phone       string   `json:"phone"`
	Industries  []string `json:"industries"`
	Departments []string `json:"departments"`
	Cap         int      `json:"cap"`
	ManagerID   string   `json:"manager_id"`
}

// OfficerPatch changes an officer; nil fields stay. Setting Status to
// on_leave or left hands the officer's firms and open requests over.
type OfficerPatch struct {
	Name        *string        `json:"name"`
	Phone       *string        `json:"phone"`
	Industries  *[]string      `json:"industries"`
	Departments *[]string      `json:"departments"`
	Cap         *int           `json:"cap"`
	Status      *OfficerStatus `json:"status"`
	ManagerID   *string        `json:"manager_id"`
	// Reason is recorded with a hand-over.
	Reason string `json:"reason"`
}

// OfficerChange is an updated officer and, when they left or went on leave,
// where their firms went.
type OfficerChange struct {
	Officer  Officer   `json:"officer"`
	Handover *Handover `json:"handover,omitempty"`
	// Assigned lists firms that were waiting for an officer and got one
	// because this officer became available.
	Assigned []string `json:"assigned,omitempty"`
}

// Handover is where an officer's firms and open requests went.
type Handover struct {
	OfficerID      string         `json:"officer_id"`
	Status         OfficerStatus  `json:"status"`
	Reason         string         `json:"reason,omitempty"`
	Firms          []HandoverFirm `json:"firms"`
	OpenRequestIDs []string       `json:"open_request_ids"`
}

// How a firm moved in a hand-over.
const (
	HowBackup         = "backup"          // the backup became primary
	HowReassigned     = "reassigned"      // another officer was chosen
	HowFlagged        = "flagged"         // nobody fits: the manager must assign
	HowBackupReplaced = "backup_replaced" // the officer was the backup
)

// HandoverFirm is one firm of a hand-over.
type HandoverFirm struct {
	EnterpriseID    string   `json:"enterprise_id"`
	OfficerID       string   `json:"officer_id"`
	BackupOfficerID string   `json:"backup_officer_id,omitempty"`
	How             string   `json:"how"`
	OpenRequestIDs  []string `json:"open_request_ids"`
}

// OfficerRef names an officer.
type OfficerRef struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

// Firm is an enterprise with its officers (一企一员).
type Firm struct {
	EnterpriseID  string `json:"enterprise_id"`
	Park          string `json:"park"`
	Name          string `json:"name"`
	USCC          string `json:"uscc,omitempty"`
	IndustryCode  string `json:"industry_code,omitempty"`
	KeyEnterprise bool   `json:"key_enterprise"`
	// OfficerID is the primary officer; empty when the firm is flagged.
	OfficerID       string      `json:"officer_id,omitempty"`
	Officer         *OfficerRef `json:"officer,omitempty"`
	BackupOfficerID string      `json:"backup_officer_id,omitempty"`
	Backup          *OfficerRef `json:"backup,omitempty"`
	// Flagged is set when no officer fits and the park manager must assign one.
	Flagged      bool      `json:"flagged"`
	FlagReason   string    `json:"flag_reason,omitempty"`
	FlaggedAt    time.Time `json:"flagged_at,omitzero"`
	RegisteredAt time.Time `json:"registered_at"`
	AssignedAt   time.Time `json:"assigned_at,omitzero"`
	LastVisitAt  time.Time `json:"last_visit_at,omitzero"`
	// VisitOverdue is set when the sla service reported the firm's visit
	// cadence breached and no visit came since.
	VisitOverdue bool `json:"visit_overdue"`
	OpenRequests int  `json:"open_requests"`
}

// Reassignment is a manager's choice of a firm's officers.
type Reassignment struct {
	OfficerID string `json:"officer_id"`
	// BackupOfficerID: omitted keeps the backup (or chooses one if it no
	// longer fits); "" removes it.
	BackupOfficerID *string `json:"backup_officer_id"`
	Reason          string  `json:"reason"`
}

// RequestState is where a request stands.
type RequestState string

// The states of a request.
const (
	// RequestWaiting: the firm is not known yet; dispatched when it registers.
	RequestWaiting      RequestState = "waiting"
	RequestPending      RequestState = "pending"      // dispatched, not signed for
	RequestAcknowledged RequestState = "acknowledged" // 签收
	RequestReturned     RequestState = "returned"     // 退单, back with the dispatcher
	RequestClosed       RequestState = "closed"       // the ticket closed or was withdrawn
)

// Open reports whether a request in state s still needs someone.
func (s RequestState) Open() bool {
	return s == RequestWaiting || s == RequestPending || s == RequestAcknowledged || s == RequestReturned
}

// Holder roles.
const (
	RoleOfficer = "officer"
	RoleManager = "manager"
)

// Escalation levels of a request's dispatches.
const (
	LevelOfficer = 0
	LevelBackup  = 1
	LevelManager = 2
)

// Request is a demand (诉求) or proxy filing (代办) routed to a firm's officer.
type Request struct {
	ID             string       `json:"id"`
	Park           string       `json:"park"`
	TicketID       string       `json:"ticket_id"`
	TicketNumber   string       `json:"ticket_number,omitempty"`
	EnterpriseID   string       `json:"enterprise_id"`
	FirmName       string       `json:"firm_name,omitempty"`
	Kind           string       `json:"kind"`
	Title          string       `json:"title,omitempty"`
	Description    string       `json:"description,omitempty"`
	State          RequestState `json:"state"`
	HolderID       string       `json:"holder_id,omitempty"`
	HolderRole     string       `json:"holder_role,omitempty"`
	Level          int          `json:"level"`
	ResponseHours  int          `json:"response_working_hours"`
	SubmittedAt    time.Time    `json:"submitted_at"`
	DispatchedAt   time.Time    `json:"dispatched_at,omitzero"`
	AcknowledgedAt time.Time    `json:"acknowledged_at,omitzero"`
	AcknowledgedBy string       `json:"acknowledged_by,omitempty"`
	ReturnedAt     time.Time    `json:"returned_at,omitzero"`
	ReturnReason   string       `json:"return_reason,omitempty"`
	ClosedAt       time.Time    `json:"closed_at,omitzero"`
	CloseReason    string       `json:"close_reason,omitempty"`
	// OverdueAt is when the first response clock of the request breached.
	OverdueAt  time.Time  `json:"overdue_at,omitzero"`
	Dispatches []Dispatch `json:"dispatches,omitempty"`
	Chases     []Chase    `json:"chases,omitempty"`
	// DispatchID is the current dispatch, the one escalation follows.
	DispatchID string `json:"-"`
	// OfficerID and BackupOfficerID are the firm's, for scoping.
	OfficerID       string `json:"-"`
	BackupOfficerID string `json:"-"`
}

// Dispatch is one step of a request, timed by the sla service under its id.
type Dispatch struct {
	ID           string    `json:"id"`
	Level        int       `json:"level"`
	AssigneeID   string    `json:"assignee_id"`
	AssigneeRole string    `json:"assignee_role"`
	Reason       string    `json:"reason"`
	DispatchedAt time.Time `json:"dispatched_at"`
	BreachedAt   time.Time `json:"breached_at,omitzero"`
	StoppedAt    time.Time `json:"stopped_at,omitzero"`
}

// Chase is a manager's 催办 of a request.
type Chase struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	ChasedBy  string    `json:"chased_by"`
	HolderID  string    `json:"holder_id"`
	Note      string    `json:"note,omitempty"`
	ChasedAt  time.Time `json:"chased_at"`
	// Count is how many times the request has been chased, this one included.
	Count int `json:"count"`
}

// ReturnInput sends a request back (退单).
type ReturnInput struct {
	Reason string `json:"reason"`
}

// ChaseInput chases a request (催办).
type ChaseInput struct {
	Note string `json:"note"`
}

// RedispatchInput routes a returned or signed-for request to an officer.
type RedispatchInput struct {
	OfficerID string `json:"officer_id"`
	Reason    string `json:"reason"`
}

// VisitInput logs a visit (走访).
type VisitInput struct {
	EnterpriseID string `json:"enterprise_id"`
	// VisitedAt is a date (2006-01-02, Asia/Shanghai) or an RFC 3339 instant.
	VisitedAt string       `json:"visited_at"`
	PeopleMet []string     `json:"people_met"`
	Issues    []IssueInput `json:"issues"`
	Notes     string       `json:"notes"`
}

// IssueInput is an issue found on a visit.
type IssueInput struct {
	Description string `json:"description"`
	Title       string `json:"title"`
	// OpenTicket files a proxy ticket (代办) for the issue.
	OpenTicket bool `json:"open_ticket"`
}

// Visit is a logged visit.
type Visit struct {
	ID           string    `json:"id"`
	Park         string    `json:"park"`
	EnterpriseID string    `json:"enterprise_id"`
	OfficerID    string    `json:"officer_id"`
	VisitedAt    time.Time `json:"visited_at"`
	PeopleMet    []string  `json:"people_met"`
	Issues       []Issue   `json:"issues"`
	Notes        string    `json:"notes,omitempty"`
	LoggedAt     time.Time `json:"logged_at"`
	// CadenceWorkingDays is the key firm's visit cadence told to sla; 0 for
	// other firms.
	CadenceWorkingDays int `json:"cadence_working_days"`
}

// Issue is an issue found on a visit.
type Issue struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Title       string `json:"title,omitempty"`
	OpenTicket  bool   `json:"open_ticket"`
}

// PromiseState is where a promise stands.
type PromiseState string

// The states of a promise; all but open are outcomes.
const (
	PromiseOpen      PromiseState = "open"
	PromiseKept      PromiseState = "kept"
	PromiseNotKept   PromiseState = "not_kept"
	PromiseCancelled PromiseState = "cancelled"
)

// PromiseInput records a promise (说到做到).
type PromiseInput struct {
	EnterpriseID string `json:"enterprise_id"`
	Content      string `json:"content"`
	// DueOn is the date (Asia/Shanghai) by the end of which it is kept.
	DueOn string `json:"due_on"`
}

// PromiseOutcome closes a promise.
type PromiseOutcome struct {
	// Outcome is kept, not_kept or cancelled.
	Outcome PromiseState `json:"outcome"`
	// Note is required unless kept.
	Note string `json:"note"`
}

// Promise is an officer's promise to a firm.
type Promise struct {
	ID           string       `json:"id"`
	Park         string       `json:"park"`
	EnterpriseID string       `json:"enterprise_id"`
	OfficerID    string       `json:"officer_id"`
	Content      string       `json:"content"`
	DueAt        time.Time    `json:"due_at"`
	MadeAt       time.Time    `json:"made_at"`
	State        PromiseState `json:"state"`
	Note         string       `json:"note,omitempty"`
	ClosedAt     time.Time    `json:"closed_at,omitzero"`
	ClosedBy     string       `json:"closed_by,omitempty"`
	// OverdueAt is when the promise went past due while open.
	OverdueAt time.Time `json:"overdue_at,omitzero"`
	// Late is set on a promise closed after its due instant.
	Late bool `json:"late"`
}

// Queries.
type (
	// OfficerQuery lists a park's officers.
	OfficerQuery struct {
		Park   string
		Status OfficerStatus
	}
	// FirmQuery lists firms. OfficerID matches primary or backup.
	FirmQuery struct {
		Park       string
		OfficerID  string
		Unassigned bool
	}
	// RequestQuery lists requests. ForOfficer matches those the officer holds
	// or whose firm the officer serves.
	RequestQuery struct {
		Park         string
		State        RequestState
		HolderID     string
		ForOfficer   string
		EnterpriseID string
		Overdue      bool
		// Queue restricts to the requests HolderID must act on: pending
		// and acknowledged ones, oldest first.
		Queue bool
		// ManagerQueue is the park managers' queue: requests escalated to
		// them or returned to them, and requests waiting for their firm.
		ManagerQueue bool
		Limit        int
	}
	// VisitQuery lists visits, newest first.
	VisitQuery struct {
		Park         string
		EnterpriseID string
		OfficerID    string
		// ForOfficer matches visits of the officer's firms.
		ForOfficer string
		Limit      int
	}
	// PromiseQuery lists promises.
	PromiseQuery struct {
		Park         string
		EnterpriseID string
		OfficerID    string
		ForOfficer   string
		State        PromiseState
		Limit        int
	}
	// OverviewQuery asks for a park's figures over [From, To).
	OverviewQuery struct {
		Park     string
		From, To time.Time
	}
)

// Overview is the manager's view of a park's officers.
type Overview struct {
	Park       string         `json:"park"`
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Officers   []OfficerStats `json:"officers"`
	Unassigned []Firm         `json:"unassigned_firms"`
	// Waiting are requests of firms not known yet.
	Waiting int `json:"waiting_requests"`
	// AtManager are open requests held by the park's managers (escalated or returned).
	AtManager int `json:"requests_at_manager"`
}

// OfficerStats are one officer's figures.
type OfficerStats struct {
	OfficerID    string        `json:"officer_id"`
	Name         string        `json:"name"`
	Status       OfficerStatus `json:"status"`
	Cap          int           `json:"cap"`
	Firms        int           `json:"firms"`
	BackupFirms  int           `json:"backup_firms"`
	OpenRequests int           `json:"open_requests"`
	Load         int           `json:"load"`
	// PendingAcks are requests the officer holds and has not signed for.
	PendingAcks int `json:"pending_acknowledgements"`
	// OverdueAcks are those of them whose response clock breached.
	OverdueAcks int `json:"overdue_acknowledgements"`
	// BreachedDispatches counts the dispatches to the officer whose response
	// clock breached in the period (each escalated away from them).
	BreachedDispatches int `json:"breached_dispatches"`
	// Acknowledged counts requests the officer signed for in the period,
	// and the response times are from their first dispatch to the signature
	// (wall-clock minutes).
	Acknowledged       int      `json:"acknowledged"`
	AvgResponseMinutes *float64 `json:"avg_response_minutes"`
	MaxResponseMinutes *float64 `json:"max_response_minutes"`
	Returned           int      `json:"returned"`
	Chases             int      `json:"chases"`
	// KeyFirms are the officer's key firms (primary); Visited those with a
	// visit in the period; VisitOverdue those whose cadence breached with no
	// visit since. VisitCoverage is Visited / KeyFirms.
	KeyFirms        int      `json:"key_firms"`
	KeyFirmsVisited int      `json:"key_firms_visited"`
	VisitOverdue    int      `json:"key_firms_visit_overdue"`
	VisitCoverage   *float64 `json:"visit_coverage"`
	Visits          int      `json:"visits"`
	OpenPromises    int      `json:"open_promises"`
	OverduePromises int      `json:"overdue_promises"`
}

// Actor is who does something: an officer (by officer id), or a manager or
// admin (by subject).
type Actor struct {
	ID   string
	Role string
}
