// Package approval is the workflow engine of parkdesk (审批): definitions as
// data (stages, countersign groups 会签 all-of / any-of / quorum in parallel,
// time shares, deemed approval 超时默认, tolerant acceptance 容缺受理,
// commitment approval 告知承诺制, public notices 公示), one instance per
// ticket (per child of a bundle) or policy application, the staff's work
// queues sorted by SLA urgency, decision numbers (一枚印章) per park and year
// that never repeat or skip, and an audit trail in which every transition is
// an event.
//
// The rules are in ../../shared/DOMAIN.md ("Approval").
package approval

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

// shanghai is the time zone of decision-number years and of times shown.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// Service is the approval API. Every method checks the caller in ctx.
type Service interface {
	// Tasks returns the caller's work queue: open tasks of the staff's
	// departments (a manager's: the park's), most urgent SLA first.
	Tasks(ctx context.Context, q TaskQuery) (TaskPage, error)
	// Task returns one task the caller may see.
	Task(ctx context.Context, id string) (TaskView, error)
	// Decide acts on a task: only staff of its department (its assignee,
	// once delegated). A resubmitted decision returns the first result; a
	// different decision on a task already decided is a conflict.
	Decide(ctx context.Context, taskID string, d Decision) (DecisionResult, error)
	// Workflows lists the workflows the caller may see.
	Workflows(ctx context.Context, q WorkflowQuery) (WorkflowPage, error)
	// Workflow returns one workflow with its tasks.
	Workflow(ctx context.Context, id string) (*Workflow, error)
	// History returns a workflow's audit trail, oldest first.
	History(ctx context.Context, id string) ([]HistoryEntry, error)
	// Withdraw withdraws an undecided workflow (the firm itself).
	Withdraw(ctx context.Context, id string, reason string) (*Workflow, error)
	// Definitions returns the latest version of every definition.
	Definitions(ctx context.Context) ([]Definition, error)
}

// TaskQuery selects a work queue.
type TaskQuery struct {
	// Park is the park (admin only; others get their own).
	Park string
	// Department narrows to one department.
	Department string
	// Departments is the scope the service computes; not from the caller.
	Departments []string
	// Kind narrows to acceptance, review, public_notice or verification.
	Kind string
	// Assignee narrows to the tasks delegated to someone ("me" for the caller).
	Assignee string
	Page     int
	PageSize int
}

// TaskView is a task with what the queue shows of its workflow and clock.
type TaskView struct {
	Task
	TicketID       string    `json:"ticket_id,omitempty"`
	TicketNumber   string    `json:"ticket_number,omitempty"`
	Title          string    `json:"title,omitempty"`
	MatterCode     string    `json:"matter_code,omitempty"`
	EnterpriseID   string    `json:"enterprise_id,omitempty"`
	SubjectType    string    `json:"subject_type"`
	SubjectID      string    `json:"subject_id"`
	DefinitionCode string    `json:"definition_code"`
	WorkflowState  State     `json:"workflow_state"`
	Deadline       time.Time `json:"deadline,omitzero"`
	WarnAt         time.Time `json:"warn_at,omitzero"`
	SLAState       string    `json:"sla_state,omitempty"`
	// Actionable is false while the workflow waits for the firm or a notice.
	Actionable bool `json:"actionable"`
}

// TaskPage is a page of a work queue.
type TaskPage struct {
	Items    []TaskView `json:"items"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
	Total    int        `json:"total"`
}

// DecisionResult is the task and its workflow after a decision.
type DecisionResult struct {
	Task     Task      `json:"task"`
	Workflow *Workflow `json:"workflow"`
	// Replayed is set when the decision had been taken already.
	Replayed bool `json:"replayed"`
}

// WorkflowQuery selects workflows.
type WorkflowQuery struct {
	Park         string
	EnterpriseID string
	TicketID     string
	State        string
	Page         int
	PageSize     int
}

// WorkflowSummary is one line of a workflow list.
type WorkflowSummary struct {
	ID             string    `json:"id"`
	Park           string    `json:"park"`
	SubjectType    string    `json:"subject_type"`
	SubjectID      string    `json:"subject_id"`
	TicketID       string    `json:"ticket_id,omitempty"`
	TicketNumber   string    `json:"ticket_number,omitempty"`
	Title          string    `json:"title,omitempty"`
	EnterpriseID   string    `json:"enterprise_id,omitempty"`
	MatterCode     string    `json:"matter_code,omitempty"`
	BundleCode     string    `json:"bundle_code,omitempty"`
	DefinitionCode string    `json:"definition_code"`
	State          State     `json:"state"`
	StageIndex     int       `json:"stage_index"`
	DecisionNumber string    `json:"decision_number,omitempty"`
	OpenedAt       time.Time `json:"opened_at"`
	AcceptedAt     time.Time `json:"accepted_at,omitzero"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	Deadline       time.Time `json:"deadline,omitzero"`
	SLAState       string    `json:"sla_state,omitempty"`
}

// WorkflowPage is a page of workflows.
type WorkflowPage struct {
	Items    []WorkflowSummary `json:"items"`
	Page     int               `json:"page"`
	PageSize int               `json:"page_size"`
	Total    int               `json:"total"`
}

// HistoryEntry is one transition of a workflow: the event it published.
type HistoryEntry struct {
	Version   int64           `json:"version"`
	Type      string          `json:"type"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"`
	ActorRole string          `json:"actor_role"`
	Action    string          `json:"action"`
	Reason    string          `json:"reason,omitempty"`
	FromState string          `json:"from_state,omitempty"`
	ToState   string          `json:"to_state,omitempty"`
	TaskID    string          `json:"task_id,omitempty"`
	StageCode string          `json:"stage_code,omitempty"`
	Payload   json.RawMessage `json:"payload"`
}

// Store is the persistence the service needs; *Repository implements it.
type Store interface {
	Tasks(ctx context.Context, q TaskQuery) (TaskPage, error)
	TaskView(ctx context.Context, id string) (TaskView, error)
	Mutate(ctx context.Context, id string, fn func(Env, *Workflow) (bool, error)) (*Workflow, error)
	MutateTask(ctx context.Context, taskID string, fn func(Env, *Workflow) (bool, error)) (*Workflow, error)
	Workflow(ctx context.Context, id string) (*Workflow, error)
	Workflows(ctx context.Context, q WorkflowQuery) (WorkflowPage, error)
	History(ctx context.Context, id string) ([]HistoryEntry, error)
	Definitions(ctx context.Context) ([]Definition, error)
}

// ServiceConfig configures NewService.
type ServiceConfig struct {
	// Store persists. Required.
	Store Store
	// Clock tells the time. Default clock.System().
	Clock clock.Clock
}

type service struct {
	store Store
	clock clock.Clock
}

// NewService returns the Service over cfg.
func NewService(cfg ServiceConfig) (Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("approval service: Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System()
	}
	return &service{store: cfg.Store, clock: cfg.Clock}, nil
}

func actorOf(p auth.Principal) Actor { return Actor{ID: p.Subject, Role: string(p.Role)} }

func page(p, size int) (int, int, error) {
	var v fault.Violations
	if p < 0 {
		v.Add("page", "from 1")
	}
	if size < 0 || size > 200 {
		v.Add("page_size", "1 to 200")
	}
	if p == 0 {
		p = 1
	}
	if size == 0 {
		size = 50
	}
	return p, size, v.Err(fault.ErrInvalid)
}

func (s *service) Tasks(ctx context.Context, q TaskQuery) (TaskPage, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return TaskPage{}, err
	}
	if err := p.Require(auth.RoleStaff, auth.RoleManager, auth.RoleAdmin); err != nil {
		return TaskPage{}, err
	}
	if q.Page, q.PageSize, err = page(q.Page, q.PageSize); err != nil {
		return TaskPage{}, err
	}
	switch q.Kind {
	case "", string(TaskAcceptance), string(TaskReview), string(TaskPublicNotice), string(TaskVerification):
	default:
		return TaskPage{}, fault.Invalid("kind", "must be acceptance, review, public_notice or verification")
	}
	if q.Assignee == "me" {
		q.Assignee = p.Subject
	}
	switch p.Role {
	case auth.RoleAdmin:
	case auth.RoleManager:
		if q.Park != "" && q.Park != p.Park {
			return TaskPage{}, fault.Forbidden("a manager sees only the own park")
		}
		q.Park = p.Park
	case auth.RoleStaff:
		if q.Park != "" && q.Park != p.Park {
			return TaskPage{}, fault.Forbidden("staff see only the own park")
		}
		q.Park = p.Park
		q.Departments = slices.Clone(p.Departments)
		if q.Department != "" && !p.InDepartment(q.Department) {
			return TaskPage{}, fault.Forbidden("staff see only their own departments' tasks")
		}
	}
	if q.Department != "" {
		q.Departments = []string{q.Department}
	}
	return s.store.Tasks(ctx, q)
}

// canSeeTask reports whether p may see a task of park and dept.
func canSeeTask(p auth.Principal, park, dept string) bool {
	switch p.Role {
	case auth.RoleAdmin:
		return true
	case auth.RoleManager:
		return p.CanSeePark(park)
	case auth.RoleStaff:
		return p.CanSeePark(park) && p.InDepartment(dept)
	}
	return false
}

func (s *service) Task(ctx context.Context, id string) (TaskView, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return TaskView{}, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return TaskView{}, fault.NotFound("task")
	}
	t, err := s.store.TaskView(ctx, id)
	if err != nil {
		return TaskView{}, err
	}
	if !canSeeTask(p, t.Park, t.Department) {
		return TaskView{}, fault.NotFound("task")
	}
	return t, nil
}

func (s *service) Decide(ctx context.Context, taskID string, d Decision) (DecisionResult, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return DecisionResult{}, err
	}
	if err := p.Require(auth.RoleStaff); err != nil {
		return DecisionResult{}, err
	}
	if _, err := uuid.Parse(taskID); err != nil {
		return DecisionResult{}, fault.NotFound("task")
	}
	if err := d.Validate(); err != nil {
		return DecisionResult{}, err
	}
	a, now := actorOf(p), s.clock.Now().UTC()
	replayed := false
	w, err := s.store.MutateTask(ctx, taskID, func(env Env, w *Workflow) (bool, error) {
		replayed = false
		t := w.Task(taskID)
		if t == nil || !p.CanSeePark(w.Park) {
			return false, fault.NotFound("task")
		}
		if !p.InDepartment(t.Department) {
			return false, fault.Forbidden("only staff of department " + t.Department + " act on this task")
		}
		if t.Assignee != "" && t.Assignee != p.Subject && d.Action != ActionDelegate {
			return false, fault.Forbidden("the task is delegated to " + t.Assignee)
		}
		ok, err := t.Replay(a, d)
		if err != nil || ok {
			replayed = ok
			return false, err
		}
		return true, w.Decide(ctx, env, taskID, a, d, now)
	})
	if err != nil {
		return DecisionResult{}, err
	}
	return DecisionResult{Task: *w.Task(taskID), Workflow: w, Replayed: replayed}, nil
}

// canSeeWorkflow reports whether p may see w.
func canSeeWorkflow(p auth.Principal, park, enterprise string) bool {
	switch p.Role {
	case auth.RoleAdmin:
		return true
	case auth.RoleManager, auth.RoleStaff:
		return p.CanSeePark(park)
	case auth.RoleEnterprise:
		return p.CanSeePark(park) && enterprise != "" && enterprise == p.EnterpriseID
	}
	return false
}

func (s *service) Workflows(ctx context.Context, q WorkflowQuery) (WorkflowPage, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return WorkflowPage{}, err
	}
	if err := p.Require(auth.RoleStaff, auth.RoleManager, auth.RoleAdmin, auth.RoleEnterprise); err != nil {
		return WorkflowPage{}, err
	}
	if q.Page, q.PageSize, err = page(q.Page, q.PageSize); err != nil {
		return WorkflowPage{}, err
	}
	if q.State != "" && !slices.Contains(allStates, State(q.State)) {
		return WorkflowPage{}, fault.Invalid("state", "not a workflow state")
	}
	if p.Role != auth.RoleAdmin {
		if q.Park != "" && q.Park != p.Park {
			return WorkflowPage{}, fault.Forbidden("only the own park")
		}
		q.Park = p.Park
	}
	if p.Role == auth.RoleEnterprise {
		if q.EnterpriseID != "" && q.EnterpriseID != p.EnterpriseID {
			return WorkflowPage{}, fault.Forbidden("a firm sees only its own workflows")
		}
		q.EnterpriseID = p.EnterpriseID
	}
	return s.store.Workflows(ctx, q)
}

var allStates = []State{StatePendingAcceptance, StateInReview, StateCorrection, StatePublicNotice, StateApproved,
	StateDenied, StateNotAccepted, StateWithdrawn, StateLapsed, StateRevoked}

func (s *service) visible(ctx context.Context, id string) (*Workflow, auth.Principal, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, p, err
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, p, fault.NotFound("workflow")
	}
	w, err := s.store.Workflow(ctx, id)
	if err != nil {
		return nil, p, err
	}
	if !canSeeWorkflow(p, w.Park, w.EnterpriseID) {
		return nil, p, fault.NotFound("workflow")
	}
	return w, p, nil
}

func (s *service) Workflow(ctx context.Context, id string) (*Workflow, error) {
	w, _, err := s.visible(ctx, id)
	return w, err
}

func (s *service) History(ctx context.Context, id string) ([]HistoryEntry, error) {
	if _, _, err := s.visible(ctx, id); err != nil {
		return nil, err
	}
	return s.store.History(ctx, id)
}

func (s *service) Withdraw(ctx context.Context, id string, reason string) (*Workflow, error) {
	p, err := auth.Authenticated(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Require(auth.RoleEnterprise); err != nil {
		return nil, err
	}
	if len([]rune(reason)) > MaxReason {
		return nil, fault.Invalidf("reason", "at most %d characters", MaxReason)
	}
	if _, err := uuid.Parse(id); err != nil {
		return nil, fault.NotFound("workflow")
	}
	now := s.clock.Now().UTC()
	return s.store.Mutate(ctx, id, func(_ Env, w *Workflow) (bool, error) {
		if !canSeeWorkflow(p, w.Park, w.EnterpriseID) {
			return false, fault.NotFound("workflow")
		}
		return true, w.Withdraw(actorOf(p), reason, now)
	})
}

func (s *service) Definitions(ctx context.Context) ([]Definition, error) {
	if _, err := auth.Authenticated(ctx); err != nil {
		return nil, err
	}
	return s.store.Definitions(ctx)
}
