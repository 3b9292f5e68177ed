package approval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

// State is where a workflow instance stands.
type State string

// Workflow states. The last six are decided: nothing moves them but a
// failed verification, which turns approved into revoked.
const (
	StatePendingAcceptance State = "pending_acceptance"
	StateInReview          State = "in_review"
	StateCorrection        State = "correction"    // 补正: paused until the materials come
	StatePublicNotice      State = "public_notice" // 公示: paused for the notice
	StateApproved          State = "approved"
	StateDenied            State = "denied"
	StateNotAccepted       State = "not_accepted"
	StateWithdrawn         State = "withdrawn"
	StateLapsed            State = "lapsed" // 容缺 materials not supplied in time
	StateRevoked           State = "revoked"
)

// Decided reports whether the workflow has its result.
func (s State) Decided() bool {
	switch s {
	case StateApproved, StateDenied, StateNotAccepted, StateWithdrawn, StateLapsed, StateRevoked:
		return true
	}
	return false
}

// TaskKind says what a task asks of its department.
type TaskKind string

// Task kinds.
const (
	TaskAcceptance   TaskKind = "acceptance"    // 受理
	TaskReview       TaskKind = "review"        // a stage, or one member of a countersign
	TaskPublicNotice TaskKind = "public_notice" // 公示
	TaskVerification TaskKind = "verification"  // 告知承诺 核查
)

// TaskState is open, done or cancelled.
type TaskState string

// Task states.
const (
	TaskOpen      TaskState = "open"
	TaskDone      TaskState = "done"
	TaskCancelled TaskState = "cancelled"
)

// Task outcomes.
const (
	OutcomeAccepted           = "accepted"
	OutcomeNotAccepted        = "not_accepted"
	OutcomeApproved           = "approved"
	OutcomeDenied             = "denied"
	OutcomeReturned           = "returned"
	OutcomeSuperseded         = "superseded" // the stage passed or failed without this member
	OutcomeCancelled          = "cancelled"
	OutcomeWithdrawn          = "withdrawn"
	OutcomeLapsed             = "lapsed"
	OutcomeNoticeEnded        = "notice_ended"
	OutcomeVerified           = "verified"
	OutcomeVerificationFailed = "verification_failed"
)

// Actions on a task (POST /v1/tasks/{id}/decision) and on a workflow.
const (
	ActionAccept            = "accept"
	ActionNotAccept         = "not_accept"
	ActionRequestCorrection = "request_correction"
	ActionApprove           = "approve"
	ActionDeny              = "deny"
	ActionReturn            = "return"
	ActionDelegate          = "delegate"
	ActionRequestExtension  = "request_extension"
	ActionVerify            = "verify"
	ActionWithdraw          = "withdraw"
	// Actions of the system.
	ActionOpen      = "open"
	ActionResume    = "resume"
	ActionDeem      = "deem"
	ActionLapse     = "lapse"
	ActionEndNotice = "end_notice"
)

// Limits of a decision's fields.
const (
	MaxReason           = 2000
	MaxItems            = 50
	MaxItem             = 200
	MaxExtensionDays    = 60
	maxAssignee         = 128
	maxIdempotencyKey   = 200
	badCreditFlag       = "bad-credit"
	actorSystem         = "system"
	roleSystem          = "system"
	deemedActor         = "system:deemed"
	correctionPauseName = "correction"
	noticePauseName     = "public_notice"
)

// Actor is who acts: a user with a role, or the system.
type Actor struct {
	ID   string
	Role string
}

// System is the actor of timers, deemed approvals and lapses.
var System = Actor{ID: actorSystem, Role: roleSystem}

// Workflow is one workflow instance: the aggregate every action locks.
type Workflow struct {
	ID                 string       `json:"id"`
	Park               string       `json:"park"`
	SubjectType        string       `json:"subject_type"`
	SubjectID          string       `json:"subject_id"`
	TicketID           string       `json:"ticket_id,omitempty"`
	TicketNumber       string       `json:"ticket_number,omitempty"`
	Title              string       `json:"title,omitempty"`
	EnterpriseID       string       `json:"enterprise_id,omitempty"`
	MatterCode         string       `json:"matter_code,omitempty"`
	BundleCode         string       `json:"bundle_code,omitempty"`
	Channel            string       `json:"channel,omitempty"`
	Definition         Definition   `json:"definition"`
	State              State        `json:"state"`
	StageIndex         int          `json:"stage_index"`
	Round              int          `json:"round"`
	CommitmentDays     int          `json:"commitment_days"`
	LegalDays          int          `json:"legal_days"`
	WarnDays           int          `json:"warn_days"`
	MissingMaterials   []string     `json:"missing_materials,omitempty"`
	SupplementPending  bool         `json:"supplement_pending"`
	SupplementedAt     time.Time    `json:"supplemented_at,omitzero"`
	CommitmentApproval bool         `json:"commitment_approval"`
	ExtensionRequested bool         `json:"extension_requested"`
	Corrections        []Correction `json:"corrections"`
	DecisionNumber     string       `json:"decision_number,omitempty"`
	DecisionReason     string       `json:"decision_reason,omitempty"`
	HandlerID          string       `json:"handler_id,omitempty"`
	SubmittedAt        time.Time    `json:"submitted_at,omitzero"`
	OpenedAt           time.Time    `json:"opened_at"`
	AcceptedAt         time.Time    `json:"accepted_at,omitzero"`
	DecidedAt          time.Time    `json:"decided_at,omitzero"`
	RevokedAt          time.Time    `json:"revoked_at,omitzero"`
	Version            int64        `json:"version"`
	Tasks              []*Task      `json:"tasks"`

	changes []Change
	created bool
}

// Correction is one request for correction (补正): once per stage, with the
// complete list of what is missing or wrong (一次性告知).
type Correction struct {
	StageIndex  int       `json:"stage_index"`
	StageCode   string    `json:"stage_code"`
	TaskID      string    `json:"task_id"`
	Items       []string  `json:"items"`
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	SuppliedAt  time.Time `json:"supplied_at,omitzero"`
	Supplied    []string  `json:"supplied,omitempty"`
}

// Task is the work one department owes a workflow.
type Task struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflow_id"`
	Park       string    `json:"park"`
	Kind       TaskKind  `json:"kind"`
	StageIndex int       `json:"stage_index"`
	StageCode  string    `json:"stage_code,omitempty"`
	StageName  string    `json:"stage_name,omitempty"`
	Mode       string    `json:"mode,omitempty"`
	Round      int       `json:"round"`
	Department string    `json:"department"`
	Assignee   string    `json:"assignee,omitempty"`
	State      TaskState `json:"state"`
	Outcome    string    `json:"outcome,omitempty"`
	Deemed     bool      `json:"deemed,omitempty"`
	TimedOut   bool      `json:"timed_out,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	ShareDays  int       `json:"share_days"`
	DueAt      time.Time `json:"due_at,omitzero"`
	// ClockKind and ClockSubject find the task's SLA clock (its deadline).
	ClockKind    string    `json:"-"`
	ClockSubject string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	DecidedAt    time.Time `json:"decided_at,omitzero"`

	// Actions are the decisions taken on the task, oldest first.
	Actions []ActionRecord `json:"-"`

	dirty bool
}

// ActionRecord is one decision on a task, kept to answer double submissions.
type ActionRecord struct {
	Actor          string
	Action         string
	Fingerprint    string
	IdempotencyKey string
	At             time.Time
	fresh          bool
}

// Decision is a request to act on a task.
type Decision struct {
	// Action is accept, not_accept, request_correction, approve, deny,
	// return, delegate, request_extension or verify.
	Action string `json:"action"`
	// Reason is required to not accept, deny, return, ask for an
	// extension and fail a verification; an opinion otherwise.
	Reason string `json:"reason,omitempty"`
	// Items is the complete list of materials to correct.
	Items []string `json:"items,omitempty"`
	// ToStage is the earlier stage a return goes to (default the previous).
	ToStage string `json:"to_stage,omitempty"`
	// Assignee is the colleague a task is delegated to.
	Assignee string `json:"assignee,omitempty"`
	// WorkingDays is the extension asked for.
	WorkingDays int `json:"working_days,omitempty"`
	// CommitmentApproval accepts under 告知承诺制.
	CommitmentApproval bool `json:"commitment_approval,omitempty"`
	// Passed is a verification's result.
	Passed *bool `json:"passed,omitempty"`
	// IdempotencyKey (header Idempotency-Key) makes a resubmission return
	// the first result.
	IdempotencyKey string `json:"-"`
}

// Validate checks the decision's shape, naming every offending field.
func (d *Decision) Validate() error {
	var v fault.Violations
	d.Reason = strings.TrimSpace(d.Reason)
	if len([]rune(d.Reason)) > MaxReason {
		v.Addf("reason", "at most %d characters", MaxReason)
	}
	need := func(field string, ok bool, why string) {
		if !ok {
			v.Add(field, why)
		}
	}
	switch d.Action {
	case ActionAccept, ActionApprove:
	case ActionNotAccept, ActionDeny, ActionReturn:
		need("reason", d.Reason != "", "required to "+d.Action)
	case ActionRequestCorrection:
		d.Items = trimAll(d.Items)
		need("items", len(d.Items) > 0, "list every material to correct, once and completely")
		if len(d.Items) > MaxItems {
			v.Addf("items", "at most %d", MaxItems)
		}
		seen := map[string]bool{}
		for i, it := range d.Items {
			switch {
			case it == "":
				v.Addf(fmt.Sprintf("items[%d]", i), "empty")
			case len([]rune(it)) > MaxItem:
				v.Addf(fmt.Sprintf("items[%d]", i), "at most %d characters", MaxItem)
			case seen[it]:
				v.Addf(fmt.Sprintf("items[%d]", i), "%q is listed twice", it)
			}
			seen[it] = true
		}
	case ActionDelegate:
		d.Assignee = strings.TrimSpace(d.Assignee)
		need("assignee", d.Assignee != "", "required")
		if len(d.Assignee) > maxAssignee {
			v.Addf("assignee", "at most %d characters", maxAssignee)
		}
	case ActionRequestExtension:
		need("reason", d.Reason != "", "required to ask for an extension")
		need("working_days", d.WorkingDays >= 1 && d.WorkingDays <= MaxExtensionDays, fmt.Sprintf("must be 1 to %d", MaxExtensionDays))
	case ActionVerify:
		need("passed", d.Passed != nil, "required: true or false")
		if d.Passed != nil && !*d.Passed {
			need("reason", d.Reason != "", "required when the verification fails")
		}
	case "":
		v.Add("action", "required")
	default:
		v.Add("action", "must be accept, not_accept, request_correction, approve, deny, return, delegate, request_extension or verify")
	}
	if d.CommitmentApproval && d.Action != ActionAccept {
		v.Add("commitment_approval", "only when accepting")
	}
	if len(d.IdempotencyKey) > maxIdempotencyKey {
		v.Addf("Idempotency-Key", "at most %d characters", maxIdempotencyKey)
	}
	return v.Err(fault.ErrInvalid)
}

// Fingerprint identifies the decision's content, to tell a double
// submission from a different decision.
func (d Decision) Fingerprint() string {
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func trimAll(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.TrimSpace(x)
	}
	return out
}

// Transition is the audit record of a change: who, why, state before and after.
type Transition struct {
	Actor     string    `json:"actor"`
	ActorRole string    `json:"actor_role"`
	Action    string    `json:"action"`
	Reason    string    `json:"reason,omitempty"`
	From      State     `json:"from_state"`
	To        State     `json:"to_state"`
	TaskID    string    `json:"task_id,omitempty"`
	StageCode string    `json:"stage_code,omitempty"`
	At        time.Time `json:"at"`
}

// Change is one event the workflow publishes, in order.
type Change struct {
	// Type is the event type (approval.*).
	Type       string
	Transition Transition
	// Task is the task a stage or task event is about (a snapshot).
	Task *Task
	// Items lists the materials of a correction.
	Items []string
	// PauseReason is "correction" or "public_notice" for a pause.
	PauseReason string
	// ResumeDueAt is when a public notice ends.
	ResumeDueAt time.Time
	// WorkingDays is an extension's length.
	WorkingDays int
	// Passed is a verification's result.
	Passed bool
	// FromAssignee is a delegation's previous assignee.
	FromAssignee string
	// Outcome is a decided workflow's or a completed task's outcome.
	Outcome string
	// Deemed marks a deemed approval of a task.
	Deemed bool
	// Version is the workflow version the event carries; set on save.
	Version int64
}

// Changes returns the changes made since the workflow was loaded.
func (w *Workflow) Changes() []Change { return w.changes }

// Created reports whether the workflow was opened in this unit of work.
func (w *Workflow) Created() bool { return w.created }

// CreditFlagged reports whether this unit of work flagged the firm's credit.
func (w *Workflow) CreditFlagged() bool {
	return slices.ContainsFunc(w.changes, func(c Change) bool { return c.Type == event.EnterpriseCreditFlagged })
}

// Env is what a change may ask of the transaction it runs in.
type Env interface {
	// NextDecisionNumber issues the park's next decision number (文号) of
	// at's year: never repeated, never skipped.
	NextDecisionNumber(ctx context.Context, park string, at time.Time) (string, error)
	// BadCredit reports whether the firm carries a bad-credit flag.
	BadCredit(ctx context.Context, park, enterpriseID string) (bool, error)
	// NoticeEnd returns the end of a public notice of days working days from
	// start, or zero when the park's calendar cannot tell (then staff end it).
	NoticeEnd(ctx context.Context, park string, start time.Time, days int) (time.Time, error)
}

// OpenSpec is what a workflow opens with.
type OpenSpec struct {
	Park         string
	SubjectType  string
	SubjectID    string
	TicketID     string
	TicketNumber string
	Title        string
	EnterpriseID string
	MatterCode   string
	BundleCode   string
	// PolicyCode picks a policy application's definition.
	PolicyCode       string
	Channel          string
	CommitmentDays   int
	LegalDays        int
	WarnDays         int
	MissingMaterials []string
	SubmittedAt      time.Time
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Open starts a workflow of def for spec: it awaits acceptance, or is
// accepted at once when the definition says so.
func Open(ctx context.Context, env Env, spec OpenSpec, def Definition, now time.Time) (*Workflow, error) {
	w := &Workflow{
		ID: newID(), Park: spec.Park, SubjectType: spec.SubjectType, SubjectID: spec.SubjectID,
		TicketID: spec.TicketID, TicketNumber: spec.TicketNumber, Title: spec.Title, EnterpriseID: spec.EnterpriseID,
		MatterCode: spec.MatterCode, BundleCode: spec.BundleCode, Channel: spec.Channel, Definition: def,
		StageIndex: -1, CommitmentDays: cmp0(spec.CommitmentDays, def.CommitmentDays),
		LegalDays: cmp0(spec.LegalDays, def.LegalDays), WarnDays: cmp0(spec.WarnDays, def.WarnDays),
		MissingMaterials: append([]string{}, spec.MissingMaterials...), SubmittedAt: spec.SubmittedAt, OpenedAt: now,
		Corrections: []Correction{}, created: true,
	}
	if w.LegalDays < w.CommitmentDays {
		w.LegalDays = w.CommitmentDays
	}
	var acc *Task
	if !def.Acceptance.Auto {
		acc = w.newTask(TaskAcceptance, -1, def.Acceptance.Department, now)
		acc.ClockKind, acc.ClockSubject = "acceptance", w.TicketID
	}
	w.State = StatePendingAcceptance
	w.record(Change{Type: event.WorkflowOpened, Task: acc, Transition: w.transition(System, ActionOpen, "", "", acc, now)})
	if def.Acceptance.Auto {
		if err := w.accept(ctx, env, nil, System, Decision{Action: ActionAccept}, now); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// Task returns the workflow's task with id, or nil.
func (w *Workflow) Task(id string) *Task {
	for _, t := range w.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (w *Workflow) newTask(kind TaskKind, stage int, dept string, now time.Time) *Task {
	t := &Task{ID: newID(), WorkflowID: w.ID, Park: w.Park, Kind: kind, StageIndex: stage, Department: dept,
		State: TaskOpen, CreatedAt: now, dirty: true}
	if stage >= 0 {
		s := w.Definition.Stages[stage]
		t.StageCode, t.StageName, t.Mode, t.Round = s.Code, s.Name, s.Mode(), w.Round
	}
	w.Tasks = append(w.Tasks, t)
	return t
}

func (w *Workflow) transition(a Actor, action, reason string, from State, t *Task, now time.Time) Transition {
	tr := Transition{Actor: a.ID, ActorRole: a.Role, Action: action, Reason: reason, From: from, To: w.State, At: now}
	if t != nil {
		tr.TaskID, tr.StageCode = t.ID, t.StageCode
	}
	return tr
}

func (w *Workflow) record(c Change) {
	if c.Task != nil {
		snap := *c.Task
		snap.Actions = nil
		c.Task = &snap
	}
	w.changes = append(w.changes, c)
}

func (t *Task) close(state TaskState, outcome string, a Actor, reason string, now time.Time) {
	t.State, t.Outcome, t.Actor, t.Reason, t.DecidedAt, t.dirty = state, outcome, a.ID, reason, now, true
}

// Dirty reports whether the task changed in this unit of work.
func (t *Task) Dirty() bool { return t.dirty }

// Replay reports whether d resubmits a decision already taken on t by
// the same actor: by its idempotency key, or as a repeat of the task's last
// decision. A key reused for a different decision is refused.
func (t *Task) Replay(a Actor, d Decision) (bool, error) {
	fp := d.Fingerprint()
	if d.IdempotencyKey != "" {
		for _, r := range t.Actions {
			if r.IdempotencyKey == d.IdempotencyKey {
				if r.Actor != a.ID || r.Fingerprint != fp {
					return false, fault.New(fault.ErrUnprocessable, "this Idempotency-Key was used for a different decision")
				}
				return true, nil
			}
		}
	}
	if n := len(t.Actions); n > 0 {
		last := t.Actions[n-1]
		return last.Actor == a.ID && last.Fingerprint == fp, nil
	}
	return false, nil
}

// Decide applies d to task taskID on behalf of a.
func (w *Workflow) Decide(ctx context.Context, env Env, taskID string, a Actor, d Decision, now time.Time) error {
	t := w.Task(taskID)
	if t == nil {
		return fault.NotFound("task")
	}
	if t.State != TaskOpen {
		return fault.Newf(fault.ErrConflict, "the task is already %s (%s)", t.State, t.Outcome)
	}
	if err := w.decide(ctx, env, t, a, d, now); err != nil {
		return err
	}
	t.Actions = append(t.Actions, ActionRecord{Actor: a.ID, Action: d.Action, Fingerprint: d.Fingerprint(),
		IdempotencyKey: d.IdempotencyKey, At: now, fresh: true})
	t.dirty = true
	return nil
}

// FreshActions returns the decisions recorded on t in this unit of work.
func (t *Task) FreshActions() []ActionRecord {
	var out []ActionRecord
	for _, r := range t.Actions {
		if r.fresh {
			out = append(out, r)
		}
	}
	return out
}

func notOn(t *Task, action string) error {
	return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "action",
		Reason: fmt.Sprintf("%s is not an action on a %s task", action, t.Kind)})
}

func (w *Workflow) decide(ctx context.Context, env Env, t *Task, a Actor, d Decision, now time.Time) error {
	if d.Action == ActionDelegate {
		return w.delegate(t, a, d, now)
	}
	switch t.Kind {
	case TaskAcceptance:
		switch d.Action {
		case ActionAccept:
			return w.accept(ctx, env, t, a, d, now)
		case ActionNotAccept:
			return w.notAccept(t, a, d.Reason, now)
		}
	case TaskReview:
		if w.State == StateCorrection && d.Action != ActionRequestExtension {
			return fault.Conflict("the workflow awaits the corrected materials (补正); it resumes when the firm supplies them")
		}
		switch d.Action {
		case ActionApprove:
			return w.approve(ctx, env, t, a, d.Reason, false, now)
		case ActionDeny:
			return w.deny(ctx, env, t, a, d.Reason, now)
		case ActionRequestCorrection:
			return w.requestCorrection(t, a, d, now)
		case ActionReturn:
			return w.returnTo(ctx, env, t, a, d, now)
		case ActionRequestExtension:
			return w.requestExtension(t, a, d, now)
		}
	case TaskPublicNotice:
		switch d.Action {
		case ActionApprove:
			if !t.DueAt.IsZero() && now.Before(t.DueAt) {
				return fault.Newf(fault.ErrConflict, "the public notice runs until %s", t.DueAt.In(shanghai).Format("2006-01-02 15:04"))
			}
			return w.endNotice(ctx, env, t, a, d.Reason, now)
		case ActionDeny:
			return w.deny(ctx, env, t, a, d.Reason, now)
		case ActionReturn:
			return w.returnTo(ctx, env, t, a, d, now)
		}
	case TaskVerification:
		if d.Action == ActionVerify {
			return w.verify(t, a, *d.Passed, d.Reason, now)
		}
	}
	return notOn(t, d.Action)
}

func (w *Workflow) accept(ctx context.Context, env Env, t *Task, a Actor, d Decision, now time.Time) error {
	if w.State != StatePendingAcceptance {
		return fault.Newf(fault.ErrConflict, "the workflow is %s", w.State)
	}
	def := w.Definition
	tolerant := len(w.MissingMaterials) > 0
	if tolerant && def.TolerantAcceptance == nil {
		return fault.Newf(fault.ErrUnprocessable, "materials %s are missing and %s allows no tolerant acceptance (容缺受理): not accept it, listing them",
			strings.Join(w.MissingMaterials, ", "), def.Code)
	}
	if d.CommitmentApproval && def.CommitmentApproval == nil {
		return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "commitment_approval",
			Reason: def.Code + " allows no commitment approval (告知承诺制)"})
	}
	if tolerant || d.CommitmentApproval {
		bad, err := env.BadCredit(ctx, w.Park, w.EnterpriseID)
		if err != nil {
			return err
		}
		if bad && tolerant {
			return fault.Newf(fault.ErrUnprocessable, "materials %s are missing, and tolerant acceptance (容缺受理) is not offered to a firm with a bad-credit flag",
				strings.Join(w.MissingMaterials, ", "))
		}
		if bad {
			return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "commitment_approval",
				Reason: "commitment approval (告知承诺制) is not offered to a firm with a bad-credit flag"})
		}
	}
	from := w.State
	w.State, w.AcceptedAt, w.HandlerID = StateInReview, now, a.ID
	w.SupplementPending, w.CommitmentApproval = tolerant, d.CommitmentApproval
	if t != nil {
		t.close(TaskDone, OutcomeAccepted, a, d.Reason, now)
	}
	w.record(Change{Type: event.WorkflowAccepted, Task: t, Transition: w.transition(a, ActionAccept, d.Reason, from, t, now)})
	return w.openStage(ctx, env, 0, a, now)
}

func (w *Workflow) notAccept(t *Task, a Actor, reason string, now time.Time) error {
	if w.State != StatePendingAcceptance {
		return fault.Newf(fault.ErrConflict, "the workflow is %s", w.State)
	}
	from := w.State
	t.close(TaskDone, OutcomeNotAccepted, a, reason, now)
	w.State, w.DecidedAt, w.DecisionReason = StateNotAccepted, now, reason
	w.record(Change{Type: event.WorkflowNotAccepted, Task: t, Outcome: OutcomeNotAccepted,
		Transition: w.transition(a, ActionNotAccept, reason, from, t, now)})
	return nil
}

// openStage opens stage idx: a task per department, or a public notice
// that pauses the workflow.
func (w *Workflow) openStage(ctx context.Context, env Env, idx int, a Actor, now time.Time) error {
	st := w.Definition.Stages[idx]
	w.StageIndex = idx
	w.Round++
	if st.Kind == StagePublicNotice {
		due, err := env.NoticeEnd(ctx, w.Park, now, st.NoticeDays)
		if err != nil {
			return err
		}
		t := w.newTask(TaskPublicNotice, idx, st.Department, now)
		t.DueAt = due
		from := w.State
		w.State = StatePublicNotice
		w.record(Change{Type: event.WorkflowPaused, Task: t, PauseReason: noticePauseName, ResumeDueAt: due,
			Transition: w.transition(a, "public_notice", "", from, t, now)})
		w.record(Change{Type: event.StageOpened, Task: t, Transition: w.transition(a, "open_stage", "", w.State, t, now)})
		return nil
	}
	for _, dept := range st.Departments() {
		t := w.newTask(TaskReview, idx, dept, now)
		t.ShareDays, t.ClockKind, t.ClockSubject = st.ShareDays, "stage", ""
		t.ClockSubject = t.ID
		w.record(Change{Type: event.StageOpened, Task: t, Transition: w.transition(a, "open_stage", "", w.State, t, now)})
	}
	return nil
}

// members returns the tasks of the current run of the current stage.
func (w *Workflow) members() []*Task {
	var out []*Task
	for _, t := range w.Tasks {
		if t.StageIndex == w.StageIndex && t.Round == w.Round && (t.Kind == TaskReview || t.Kind == TaskPublicNotice) {
			out = append(out, t)
		}
	}
	return out
}

func (w *Workflow) lastStage() bool { return w.StageIndex == len(w.Definition.Stages)-1 }

func (w *Workflow) approve(ctx context.Context, env Env, t *Task, a Actor, reason string, deemed bool, now time.Time) error {
	if w.lastStage() && w.SupplementPending {
		return fault.Newf(fault.ErrConflict, "the materials missing under tolerant acceptance (%s) are not supplied yet: no final approval before they are",
			strings.Join(w.MissingMaterials, ", "))
	}
	t.close(TaskDone, OutcomeApproved, a, reason, now)
	t.Deemed = deemed
	action := ActionApprove
	if deemed {
		action = ActionDeem
	}
	w.record(Change{Type: event.StageCompleted, Task: t, Outcome: OutcomeApproved, Deemed: deemed,
		Transition: w.transition(a, action, reason, w.State, t, now)})
	return w.settle(ctx, env, a, now)
}

func (w *Workflow) deny(ctx context.Context, env Env, t *Task, a Actor, reason string, now time.Time) error {
	t.close(TaskDone, OutcomeDenied, a, reason, now)
	w.record(Change{Type: event.StageCompleted, Task: t, Outcome: OutcomeDenied,
		Transition: w.transition(a, ActionDeny, reason, w.State, t, now)})
	if t.Kind == TaskPublicNotice {
		return w.finish(StateDenied, a, ActionDeny, reason, nil, now)
	}
	return w.settle(ctx, env, a, now)
}

// settle decides the current stage when its members allow: approved when
// enough approved (all, any, quorum), denied when that can no longer happen.
func (w *Workflow) settle(ctx context.Context, env Env, a Actor, now time.Time) error {
	st := w.Definition.Stages[w.StageIndex]
	ms := w.members()
	approvals, denials := 0, 0
	var reasons []string
	for _, m := range ms {
		switch m.Outcome {
		case OutcomeApproved:
			approvals++
		case OutcomeDenied:
			denials++
			if st.Mode() == ModeSingle {
				reasons = append(reasons, m.Reason)
			} else {
				reasons = append(reasons, m.Department+": "+m.Reason)
			}
		}
	}
	need := st.Needed(len(ms))
	switch {
	case approvals >= need:
		w.supersede(ms, a, now)
		if w.lastStage() {
			return w.finalApprove(ctx, env, a, now)
		}
		return w.openStage(ctx, env, w.StageIndex+1, a, now)
	case denials > len(ms)-need:
		w.supersede(ms, a, now)
		return w.finish(StateDenied, a, ActionDeny, strings.Join(reasons, "; "), nil, now)
	}
	return nil
}

// supersede cancels the members still open once their stage is settled.
func (w *Workflow) supersede(ms []*Task, a Actor, now time.Time) {
	for _, m := range ms {
		if m.State == TaskOpen {
			m.close(TaskCancelled, OutcomeSuperseded, a, "the stage was settled without this department", now)
			w.record(Change{Type: event.StageCompleted, Task: m, Outcome: OutcomeSuperseded,
				Transition: w.transition(a, "supersede", m.Reason, w.State, m, now)})
		}
	}
}

func (w *Workflow) finalApprove(ctx context.Context, env Env, a Actor, now time.Time) error {
	if w.SupplementPending {
		return fault.Conflict("the materials missing under tolerant acceptance are not supplied yet")
	}
	num, err := env.NextDecisionNumber(ctx, w.Park, now)
	if err != nil {
		return err
	}
	from := w.State
	w.State, w.DecisionNumber, w.DecidedAt = StateApproved, num, now
	w.record(Change{Type: event.WorkflowDecided, Outcome: OutcomeApproved,
		Transition: w.transition(a, ActionApprove, "", from, nil, now)})
	if w.CommitmentApproval {
		c := w.Definition.CommitmentApproval
		t := w.newTask(TaskVerification, -1, c.VerificationDepartment, now)
		t.ClockKind, t.ClockSubject = "verification", w.ID
	}
	return nil
}

// finish decides the workflow with state (denied, withdrawn, lapsed),
// cancelling what is still open; skip is a task already recorded.
func (w *Workflow) finish(state State, a Actor, action, reason string, skip *Task, now time.Time) error {
	outcome := map[State]string{StateDenied: OutcomeDenied, StateWithdrawn: OutcomeWithdrawn, StateLapsed: OutcomeLapsed}[state]
	for _, t := range w.Tasks {
		if t.State != TaskOpen || t == skip {
			continue
		}
		t.close(TaskCancelled, outcome, a, reason, now)
		if t.Kind == TaskReview || t.Kind == TaskPublicNotice {
			w.record(Change{Type: event.StageCompleted, Task: t, Outcome: outcome,
				Transition: w.transition(a, action, reason, w.State, t, now)})
		}
	}
	from := w.State
	w.State, w.DecidedAt, w.DecisionReason = state, now, reason
	w.record(Change{Type: event.WorkflowDecided, Outcome: outcome, Transition: w.transition(a, action, reason, from, nil, now)})
	return nil
}

func (w *Workflow) requestCorrection(t *Task, a Actor, d Decision, now time.Time) error {
	for _, c := range w.Corrections {
		if c.StageIndex == w.StageIndex {
			return fault.Conflict("a correction was already asked for at this stage; the list must be complete the first time (一次性告知)")
		}
	}
	from := w.State
	w.State = StateCorrection
	w.Corrections = append(w.Corrections, Correction{StageIndex: w.StageIndex, StageCode: t.StageCode, TaskID: t.ID,
		Items: slices.Clone(d.Items), RequestedBy: a.ID, RequestedAt: now})
	w.record(Change{Type: event.WorkflowCorrectionRequested, Task: t, Items: slices.Clone(d.Items), PauseReason: correctionPauseName,
		Transition: w.transition(a, ActionRequestCorrection, d.Reason, from, t, now)})
	return nil
}

func (w *Workflow) returnTo(ctx context.Context, env Env, t *Task, a Actor, d Decision, now time.Time) error {
	target := w.StageIndex - 1
	if d.ToStage != "" {
		target = w.Definition.StageIndex(d.ToStage)
		if target < 0 {
			return fault.Invalidf("to_stage", "no stage %q in %s", d.ToStage, w.Definition.Code)
		}
	}
	if target < 0 || target >= w.StageIndex {
		return fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "to_stage", Reason: "a return goes to an earlier stage"})
	}
	t.close(TaskDone, OutcomeReturned, a, d.Reason, now)
	w.record(Change{Type: event.StageCompleted, Task: t, Outcome: OutcomeReturned,
		Transition: w.transition(a, ActionReturn, d.Reason, w.State, t, now)})
	for _, m := range w.members() {
		if m.State == TaskOpen {
			m.close(TaskCancelled, OutcomeCancelled, a, "returned to "+w.Definition.Stages[target].Code, now)
			w.record(Change{Type: event.StageCompleted, Task: m, Outcome: OutcomeCancelled,
				Transition: w.transition(a, ActionReturn, d.Reason, w.State, m, now)})
		}
	}
	if w.State == StatePublicNotice {
		w.State = StateInReview
		w.record(Change{Type: event.WorkflowResumed, Transition: w.transition(a, ActionReturn, d.Reason, StatePublicNotice, t, now)})
	}
	return w.openStage(ctx, env, target, a, now)
}

func (w *Workflow) requestExtension(t *Task, a Actor, d Decision, now time.Time) error {
	if w.ExtensionRequested {
		return fault.Conflict("an extension (延期) was already asked for on this workflow")
	}
	w.ExtensionRequested = true
	w.record(Change{Type: event.ExtensionRequested, Task: t, WorkingDays: d.WorkingDays,
		Transition: w.transition(a, ActionRequestExtension, d.Reason, w.State, t, now)})
	return nil
}

func (w *Workflow) delegate(t *Task, a Actor, d Decision, now time.Time) error {
	if t.Assignee == d.Assignee {
		return fault.Conflict("the task is already assigned to " + d.Assignee)
	}
	from := t.Assignee
	t.Assignee, t.dirty = d.Assignee, true
	w.record(Change{Type: event.TaskDelegated, Task: t, FromAssignee: from,
		Transition: w.transition(a, ActionDelegate, d.Reason, w.State, t, now)})
	return nil
}

func (w *Workflow) endNotice(ctx context.Context, env Env, t *Task, a Actor, reason string, now time.Time) error {
	t.close(TaskDone, OutcomeNoticeEnded, a, reason, now)
	w.record(Change{Type: event.StageCompleted, Task: t, Outcome: OutcomeNoticeEnded,
		Transition: w.transition(a, ActionEndNotice, reason, w.State, t, now)})
	from := w.State
	w.State = StateInReview
	w.record(Change{Type: event.WorkflowResumed, Task: t, Transition: w.transition(a, ActionEndNotice, reason, from, t, now)})
	return w.openStage(ctx, env, w.StageIndex+1, a, now)
}

func (w *Workflow) verify(t *Task, a Actor, passed bool, reason string, now time.Time) error {
	if w.State != StateApproved {
		return fault.Newf(fault.ErrConflict, "the workflow is %s", w.State)
	}
	from := w.State
	if passed {
		t.close(TaskDone, OutcomeVerified, a, reason, now)
		w.record(Change{Type: event.VerificationCompleted, Task: t, Passed: true,
			Transition: w.transition(a, ActionVerify, reason, from, t, now)})
		return nil
	}
	t.close(TaskDone, OutcomeVerificationFailed, a, reason, now)
	w.State, w.RevokedAt = StateRevoked, now
	w.record(Change{Type: event.VerificationCompleted, Task: t, Transition: w.transition(a, ActionVerify, reason, from, t, now)})
	w.record(Change{Type: event.WorkflowRevoked, Task: t, Transition: w.transition(a, ActionVerify, reason, from, t, now)})
	w.record(Change{Type: event.EnterpriseCreditFlagged, Task: t, Transition: w.transition(a, ActionVerify, reason, from, t, now)})
	return nil
}

// Withdraw ends an undecided workflow at the firm's request.
func (w *Workflow) Withdraw(a Actor, reason string, now time.Time) error {
	if w.State.Decided() {
		return fault.Newf(fault.ErrConflict, "the workflow is already %s", w.State)
	}
	return w.finish(StateWithdrawn, a, ActionWithdraw, reason, nil, now)
}

// MaterialsSupplied answers a correction: the workflow resumes. Outside a
// correction the materials are those missing under tolerant acceptance.
// It reports whether anything changed.
func (w *Workflow) MaterialsSupplied(ctx context.Context, env Env, a Actor, materials []string, now time.Time) (bool, error) {
	switch {
	case w.State == StateCorrection:
		c := &w.Corrections[len(w.Corrections)-1]
		c.SuppliedAt, c.Supplied = now, slices.Clone(materials)
		w.State = StateInReview
		w.record(Change{Type: event.WorkflowResumed, Transition: w.transition(a, ActionResume, "materials supplied", StateCorrection, nil, now)})
		// A member whose stage clock ran out while the request was pending
		// is deemed now, if the stage says so.
		for _, t := range w.members() {
			if t.State == TaskOpen && t.TimedOut && w.State == StateInReview && w.Definition.Stages[t.StageIndex].DeemedOnTimeout {
				if err := w.approve(ctx, env, t, Actor{ID: deemedActor, Role: roleSystem}, "stage clock ran out: deemed to agree (超时默认)", true, now); err != nil {
					return false, err
				}
			}
		}
		return true, nil
	case w.SupplementPending && !w.State.Decided():
		w.SupplementPending, w.SupplementedAt = false, now
		return true, nil
	}
	return false, nil
}

// StageTimedOut applies the breach of task taskID's stage clock: deemed
// approval (超时默认) when the stage says so. It reports whether anything changed.
func (w *Workflow) StageTimedOut(ctx context.Context, env Env, taskID string, now time.Time) (bool, error) {
	t := w.Task(taskID)
	if t == nil || t.State != TaskOpen || t.Kind != TaskReview || w.State.Decided() {
		return false, nil
	}
	t.TimedOut, t.dirty = true, true
	if !w.Definition.Stages[t.StageIndex].DeemedOnTimeout || w.State != StateInReview {
		return true, nil
	}
	return true, w.approve(ctx, env, t, Actor{ID: deemedActor, Role: roleSystem}, "stage clock ran out: deemed to agree (超时默认)", true, now)
}

// SupplementLapsed applies the breach of the supplement clock: a tolerant
// acceptance whose materials never came lapses. It reports whether anything changed.
func (w *Workflow) SupplementLapsed(now time.Time) (bool, error) {
	if !w.SupplementPending || w.State.Decided() {
		return false, nil
	}
	reason := "tolerant acceptance lapsed: " + strings.Join(w.MissingMaterials, ", ") + " not supplied in time"
	return true, w.finish(StateLapsed, System, ActionLapse, reason, nil, now)
}

// EndNotice ends the public notice task taskID when it is due.
func (w *Workflow) EndNotice(ctx context.Context, env Env, taskID string, now time.Time) (bool, error) {
	t := w.Task(taskID)
	if t == nil || t.State != TaskOpen || t.Kind != TaskPublicNotice || w.State != StatePublicNotice {
		return false, nil
	}
	if t.DueAt.IsZero() || now.Before(t.DueAt) {
		return false, nil
	}
	return true, w.endNotice(ctx, env, t, System, "public notice ended without objection", now)
}
