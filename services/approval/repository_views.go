package approval

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// taskViewSelect reads tasks with their workflow and the deadline of the
// task's own SLA clock, else of its workflow's resolution clock.
const taskViewSelect = `SELECT t.id, t.workflow_id, t.park, t.kind, t.stage_index, t.stage_code, t.stage_name, t.mode,
	t.round, t.department, t.assignee, t.state, t.outcome, t.deemed, t.timed_out, t.actor, t.reason, t.share_days, t.due_at,
	t.clock_kind, t.clock_subject, t.created_at, t.decided_at,
	w.ticket_id, w.ticket_number, w.title, w.matter_code, w.enterprise_id, w.subject_type, w.subject_id,
	w.definition_code, w.state AS workflow_state,
	coalesce(own.deadline, res.deadline, t.due_at) AS deadline, coalesce(own.warn_at, res.warn_at) AS warn_at,
	coalesce(own.state, res.state, '') AS sla_state
	FROM tasks t JOIN workflows w ON w.id = t.workflow_id
	LEFT JOIN LATERAL (SELECT c.deadline, c.warn_at, c.state FROM clock_deadlines c
		WHERE t.clock_kind <> '' AND c.kind = t.clock_kind AND c.subject_id = t.clock_subject AND c.park = t.park
		ORDER BY c.started_at DESC NULLS LAST LIMIT 1) own ON true
	LEFT JOIN LATERAL (SELECT c.deadline, c.warn_at, c.state FROM clock_deadlines c
		WHERE c.kind = 'resolution' AND c.subject_id = w.id::text AND c.park = t.park
		ORDER BY c.started_at DESC NULLS LAST LIMIT 1) res ON true`

type taskViewRow struct {
	taskRow
	TicketID       string       `db:"ticket_id"`
	TicketNumber   string       `db:"ticket_number"`
	Title          string       `db:"title"`
	MatterCode     string       `db:"matter_code"`
	EnterpriseID   string       `db:"enterprise_id"`
	SubjectType    string       `db:"subject_type"`
	SubjectID      string       `db:"subject_id"`
	DefinitionCode string       `db:"definition_code"`
	WorkflowState  string       `db:"workflow_state"`
	Deadline       sql.NullTime `db:"deadline"`
	WarnAt         sql.NullTime `db:"warn_at"`
	SLAState       string       `db:"sla_state"`
}

func (r taskViewRow) view() TaskView {
	st := State(r.WorkflowState)
	return TaskView{Task: *r.task(), TicketID: r.TicketID, TicketNumber: r.TicketNumber, Title: r.Title,
		MatterCode: r.MatterCode, EnterpriseID: r.EnterpriseID, SubjectType: r.SubjectType, SubjectID: r.SubjectID,
		DefinitionCode: r.DefinitionCode, WorkflowState: st, Deadline: timeOf(r.Deadline), WarnAt: timeOf(r.WarnAt),
		SLAState: r.SLAState, Actionable: r.State == string(TaskOpen) && st != StateCorrection && st != StatePublicNotice}
}

// Tasks returns a page of open tasks, the actionable ones first, then by
// deadline (the most urgent first; none last), then oldest first.
func (r *Repository) Tasks(ctx context.Context, q TaskQuery) (TaskPage, error) {
	where := ` WHERE t.state = 'open' AND ($1 = '' OR t.park = $1) AND (cardinality($2::text[]) = 0 OR t.department = ANY($2))
		AND ($3 = '' OR t.kind = $3) AND ($4 = '' OR t.assignee = $4)`
	args := []any{q.Park, pq.StringArray(append([]string{}, q.Departments...)), q.Kind, q.Assignee}
	var total int
	if err := r.db.GetContext(ctx, &total, `SELECT count(*) FROM tasks t`+where, args...); err != nil {
		return TaskPage{}, fmt.Errorf("count tasks: %w", err)
	}
	var rows []taskViewRow
	err := r.db.SelectContext(ctx, &rows, `SELECT * FROM (`+taskViewSelect+where+`) v
		ORDER BY (v.workflow_state IN ('correction', 'public_notice')), v.deadline ASC NULLS LAST, v.created_at, v.id
		LIMIT $5 OFFSET $6`, append(args, q.PageSize, (q.Page-1)*q.PageSize)...)
	if err != nil {
		return TaskPage{}, fmt.Errorf("tasks: %w", err)
	}
	out := TaskPage{Items: make([]TaskView, len(rows)), Page: q.Page, PageSize: q.PageSize, Total: total}
	for i, row := range rows {
		out.Items[i] = row.view()
	}
	return out, nil
}

// TaskView returns one task with its workflow and deadline.
func (r *Repository) TaskView(ctx context.Context, id string) (TaskView, error) {
	var row taskViewRow
	if err := r.db.GetContext(ctx, &row, taskViewSelect+` WHERE t.id = $1`, id); err != nil {
		if isNoRows(err) {
			return TaskView{}, fault.NotFound("task")
		}
		return TaskView{}, fmt.Errorf("task %s: %w", id, err)
	}
	return row.view(), nil
}

// Workflows returns a page of workflows, newest first.
func (r *Repository) Workflows(ctx context.Context, q WorkflowQuery) (WorkflowPage, error) {
	where := ` WHERE ($1 = '' OR w.park = $1) AND ($2 = '' OR w.enterprise_id = $2) AND ($3 = '' OR w.ticket_id = $3)
		AND ($4 = '' OR w.state = $4)`
	args := []any{q.Park, q.EnterpriseID, q.TicketID, q.State}
	var total int
	if err := r.db.GetContext(ctx, &total, `SELECT count(*) FROM workflows w`+where, args...); err != nil {
		return WorkflowPage{}, fmt.Errorf("count workflows: %w", err)
	}
	var rows []struct {
		ID             string         `db:"id"`
		Park           string         `db:"park"`
		SubjectType    string         `db:"subject_type"`
		SubjectID      string         `db:"subject_id"`
		TicketID       string         `db:"ticket_id"`
		TicketNumber   string         `db:"ticket_number"`
		Title          string         `db:"title"`
		EnterpriseID   string         `db:"enterprise_id"`
		MatterCode     string         `db:"matter_code"`
		BundleCode     string         `db:"bundle_code"`
		DefinitionCode string         `db:"definition_code"`
		State          string         `db:"state"`
		StageIndex     int            `db:"stage_index"`
		DecisionNumber sql.NullString `db:"decision_number"`
		OpenedAt       sql.NullTime   `db:"opened_at"`
		AcceptedAt     sql.NullTime   `db:"accepted_at"`
		DecidedAt      sql.NullTime   `db:"decided_at"`
		Deadline       sql.NullTime   `db:"deadline"`
		SLAState       string         `db:"sla_state"`
	}
	err := r.db.SelectContext(ctx, &rows, `SELECT w.id, w.park, w.subject_type, w.subject_id, w.ticket_id, w.ticket_number,
		w.title, w.enterprise_id, w.matter_code, w.bundle_code, w.definition_code, w.state, w.stage_index, w.decision_number,
		w.opened_at, w.accepted_at, w.decided_at, res.deadline, coalesce(res.state, '') AS sla_state
		FROM workflows w LEFT JOIN LATERAL (SELECT c.deadline, c.state FROM clock_deadlines c
			WHERE c.kind = 'resolution' AND c.subject_id = w.id::text AND c.park = w.park
			ORDER BY c.started_at DESC NULLS LAST LIMIT 1) res ON true`+where+`
		ORDER BY w.opened_at DESC, w.id LIMIT $5 OFFSET $6`, append(args, q.PageSize, (q.Page-1)*q.PageSize)...)
	if err != nil {
		return WorkflowPage{}, fmt.Errorf("workflows: %w", err)
	}
	out := WorkflowPage{Items: make([]WorkflowSummary, len(rows)), Page: q.Page, PageSize: q.PageSize, Total: total}
	for i, w := range rows {
		out.Items[i] = WorkflowSummary{ID: w.ID, Park: w.Park, SubjectType: w.SubjectType, SubjectID: w.SubjectID,
			TicketID: w.TicketID, TicketNumber: w.TicketNumber, Title: w.Title, EnterpriseID: w.EnterpriseID,
			MatterCode: w.MatterCode, BundleCode: w.BundleCode, DefinitionCode: w.DefinitionCode, State: State(w.State),
			StageIndex: w.StageIndex, DecisionNumber: w.DecisionNumber.String, OpenedAt: timeOf(w.OpenedAt),
			AcceptedAt: timeOf(w.AcceptedAt), DecidedAt: timeOf(w.DecidedAt), Deadline: timeOf(w.Deadline), SLAState: w.SLAState}
	}
	return out, nil
}

// History returns a workflow's transitions, oldest first.
func (r *Repository) History(ctx context.Context, id string) ([]HistoryEntry, error) {
	var rows []struct {
		Version   int64        `db:"version"`
		Type      string       `db:"type"`
		At        sql.NullTime `db:"at"`
		Actor     string       `db:"actor"`
		ActorRole string       `db:"actor_role"`
		Action    string       `db:"action"`
		Reason    string       `db:"reason"`
		FromState string       `db:"from_state"`
		ToState   string       `db:"to_state"`
		TaskID    string       `db:"task_id"`
		StageCode string       `db:"stage_code"`
		Payload   []byte       `db:"payload"`
	}
	if err := r.db.SelectContext(ctx, &rows, `SELECT version, type, at, actor, actor_role, action, reason, from_state,
		to_state, task_id, stage_code, payload FROM history WHERE workflow_id = $1 ORDER BY version`, id); err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	out := make([]HistoryEntry, len(rows))
	for i, h := range rows {
		out[i] = HistoryEntry{Version: h.Version, Type: h.Type, At: timeOf(h.At), Actor: h.Actor, ActorRole: h.ActorRole,
			Action: h.Action, Reason: h.Reason, FromState: h.FromState, ToState: h.ToState, TaskID: h.TaskID,
			StageCode: h.StageCode, Payload: h.Payload}
	}
	return out, nil
}
