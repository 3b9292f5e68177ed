package approval

import (
	"encoding/json"
	"net/http"
)

// OpenAPI returns the OpenAPI 3.1 fragment (paths and component schemas) of
// the approval routes, for the service's and the gateway's /openapi.json.
func OpenAPI() map[string]any {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	ok := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	problem := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	errs := func(codes ...string) map[string]any {
		m := map[string]any{"401": problem("missing or invalid token")}
		desc := map[string]string{"400": "invalid field (problem lists each)", "403": "not allowed (wrong role, department or assignee)",
			"404": "not found or out of scope", "409": "conflicts with the task's or workflow's state (e.g. decided already, awaiting corrected materials)",
			"413": "body too large", "422": "breaks a rule (e.g. tolerant acceptance for a firm with a bad-credit flag)"}
		for _, c := range codes {
			m[c] = problem(desc[c])
		}
		return m
	}
	with := func(m map[string]any, extra map[string]any) map[string]any {
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	q := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "description": desc, "schema": schema}
	}
	path := func(name string) map[string]any {
		return map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string", "format": "uuid"}}
	}
	str := map[string]any{"type": "string"}
	integer := map[string]any{"type": "integer"}
	boolean := map[string]any{"type": "boolean"}
	ts := map[string]any{"type": "string", "format": "date-time"}
	strs := map[string]any{"type": "array", "items": str}
	states := []any{"pending_acceptance", "in_review", "correction", "public_notice", "approved", "denied", "not_accepted", "withdrawn", "lapsed", "revoked"}
	page := func(item string) map[string]any {
		return map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": ref(item)},
			"page": integer, "page_size": integer, "total": integer}}
	}
	pageParams := []any{q("page", "from 1", integer), q("page_size", "1 to 200, default 50", integer)}
	paths := map[string]any{
		"/v1/tasks": map[string]any{"get": map[string]any{
			"summary": "My work queue: open tasks of my departments (a manager: the park's; admin: any park), actionable first, most urgent SLA deadline first",
			"parameters": append([]any{q("department", "one of my departments", str), q("kind", "acceptance, review, public_notice or verification", str),
				q("assignee", `a user id, or "me"`, str), q("park", "admin only", str)}, pageParams...),
			"responses": with(errs("400", "403"), map[string]any{"200": ok("a page of tasks", page("ApprovalTask"))}),
		}},
		"/v1/tasks/{id}": map[string]any{"get": map[string]any{
			"summary": "One task (staff of its department, the park's manager, admin)", "parameters": []any{path("id")},
			"responses": with(errs("404"), map[string]any{"200": ok("the task", ref("ApprovalTask"))}),
		}},
		"/v1/tasks/{id}/decision": map[string]any{"post": map[string]any{
			"summary":     "Act on a task (staff of its department; its assignee once delegated). A resubmission (same Idempotency-Key, or the same decision again) returns the first result with replayed=true; a different decision on a decided task is 409; of two concurrent decisions exactly one wins.",
			"parameters":  []any{path("id"), map[string]any{"name": "Idempotency-Key", "in": "header", "schema": str}},
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref("ApprovalDecision")}}},
			"responses":   with(errs("400", "403", "404", "409", "413", "422"), map[string]any{"200": ok("the task and its workflow after the decision", ref("ApprovalDecisionResult"))}),
		}},
		"/v1/workflows": map[string]any{"get": map[string]any{
			"summary": "Workflows (staff and manager: the park's; the firm: its own; admin: all), newest first",
			"parameters": append([]any{q("ticket_id", "one ticket's workflows", str), q("state", "a workflow state", map[string]any{"enum": states}),
				q("enterprise_id", "one firm's", str), q("park", "admin only", str)}, pageParams...),
			"responses": with(errs("400", "403"), map[string]any{"200": ok("a page of workflows", page("ApprovalWorkflowSummary"))}),
		}},
		"/v1/workflows/definitions": map[string]any{"get": map[string]any{
			"summary":   "Workflow definitions, latest version of each (anyone signed in)",
			"responses": with(errs(), map[string]any{"200": ok("definitions", map[string]any{"type": "object", "properties": map[string]any{"definitions": map[string]any{"type": "array", "items": ref("ApprovalDefinition")}}})}),
		}},
		"/v1/workflows/{id}": map[string]any{"get": map[string]any{
			"summary": "One workflow with its tasks, corrections and decision number", "parameters": []any{path("id")},
			"responses": with(errs("404"), map[string]any{"200": ok("the workflow", ref("ApprovalWorkflow"))}),
		}},
		"/v1/workflows/{id}/history": map[string]any{"get": map[string]any{
			"summary": "The audit trail: every transition with actor, reason, state before and after, and the event payload", "parameters": []any{path("id")},
			"responses": with(errs("404"), map[string]any{"200": ok("transitions, oldest first", map[string]any{"type": "object", "properties": map[string]any{"history": map[string]any{"type": "array", "items": ref("ApprovalHistoryEntry")}}})}),
		}},
		"/v1/workflows/{id}/withdraw": map[string]any{"post": map[string]any{
			"summary": "Withdraw an undecided workflow (the firm itself)", "parameters": []any{path("id")},
			"requestBody": map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object", "properties": map[string]any{"reason": str}}}}},
			"responses":   with(errs("400", "403", "404", "409"), map[string]any{"200": ok("the withdrawn workflow", ref("ApprovalWorkflow"))}),
		}},
	}
	task := map[string]any{
		"id": str, "workflow_id": str, "park": str, "kind": map[string]any{"enum": []any{"acceptance", "review", "public_notice", "verification"}},
		"stage_index": integer, "stage_code": str, "stage_name": str, "mode": map[string]any{"enum": []any{"single", "all", "any", "quorum", "public_notice"}},
		"round": integer, "department": str, "assignee": str, "state": map[string]any{"enum": []any{"open", "done", "cancelled"}},
		"outcome": str, "deemed": boolean, "timed_out": boolean, "actor": str, "reason": str, "share_days": integer, "due_at": ts,
		"created_at": ts, "decided_at": ts,
	}
	taskView := map[string]any{}
	for k, v := range task {
		taskView[k] = v
	}
	for k, v := range map[string]any{"ticket_id": str, "ticket_number": str, "title": str, "matter_code": str, "enterprise_id": str,
		"subject_type": str, "subject_id": str, "definition_code": str, "workflow_state": map[string]any{"enum": states},
		"deadline": ts, "warn_at": ts, "sla_state": map[string]any{"enum": []any{"green", "yellow", "red", "stopped", "cancelled"}}, "actionable": boolean} {
		taskView[k] = v
	}
	workflowProps := map[string]any{
		"id": str, "park": str, "subject_type": map[string]any{"enum": []any{"ticket", "policy_application"}}, "subject_id": str,
		"ticket_id": str, "ticket_number": str, "title": str, "enterprise_id": str, "matter_code": str, "bundle_code": str, "channel": str,
		"definition": ref("ApprovalDefinition"), "state": map[string]any{"enum": states}, "stage_index": integer, "round": integer,
		"commitment_days": integer, "legal_days": integer, "warn_days": integer, "missing_materials": strs, "supplement_pending": boolean,
		"supplemented_at": ts, "commitment_approval": boolean, "extension_requested": boolean,
		"corrections": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
			"stage_index": integer, "stage_code": str, "task_id": str, "items": strs, "requested_by": str, "requested_at": ts, "supplied_at": ts, "supplied": strs}}},
		"decision_number": map[string]any{"type": "string", "description": "e.g. 望经开审〔2026〕0001号, on approval"},
		"decision_reason": str, "handler_id": str, "submitted_at": ts, "opened_at": ts, "accepted_at": ts, "decided_at": ts, "revoked_at": ts,
		"version": integer, "tasks": map[string]any{"type": "array", "items": ref("ApprovalTaskRecord")},
	}
	stage := map[string]any{"type": "object", "properties": map[string]any{
		"code": str, "name": str, "kind": map[string]any{"enum": []any{"review", "public_notice"}}, "department": str,
		"countersign": map[string]any{"type": "object", "properties": map[string]any{"mode": map[string]any{"enum": []any{"all", "any", "quorum"}}, "quorum": integer, "departments": strs}},
		"share_days":  integer, "deemed_on_timeout": boolean, "notice_days": integer}}
	schemas := map[string]any{
		"ApprovalTaskRecord": map[string]any{"type": "object", "properties": task},
		"ApprovalTask":       map[string]any{"type": "object", "properties": taskView},
		"ApprovalDecision": map[string]any{"type": "object", "required": []any{"action"}, "properties": map[string]any{
			"action":              map[string]any{"enum": []any{"accept", "not_accept", "request_correction", "approve", "deny", "return", "delegate", "request_extension", "verify"}},
			"reason":              map[string]any{"type": "string", "maxLength": MaxReason, "description": "required to not_accept, deny, return, request_extension and a failed verify"},
			"items":               map[string]any{"type": "array", "items": str, "maxItems": MaxItems, "description": "request_correction: the complete list, once per stage"},
			"to_stage":            map[string]any{"type": "string", "description": "return: an earlier stage's code (default the previous)"},
			"assignee":            map[string]any{"type": "string", "description": "delegate: a colleague of the same department"},
			"working_days":        map[string]any{"type": "integer", "minimum": 1, "maximum": MaxExtensionDays, "description": "request_extension"},
			"commitment_approval": map[string]any{"type": "boolean", "description": "accept under 告知承诺制 (not for a firm with a bad-credit flag)"},
			"passed":              map[string]any{"type": "boolean", "description": "verify: false revokes the approval and flags the firm's credit"}}},
		"ApprovalDecisionResult":  map[string]any{"type": "object", "properties": map[string]any{"task": ref("ApprovalTaskRecord"), "workflow": ref("ApprovalWorkflow"), "replayed": boolean}},
		"ApprovalWorkflow":        map[string]any{"type": "object", "properties": workflowProps},
		"ApprovalWorkflowSummary": map[string]any{"type": "object", "properties": map[string]any{"id": str, "park": str, "subject_type": str, "subject_id": str, "ticket_id": str, "ticket_number": str, "title": str, "enterprise_id": str, "matter_code": str, "bundle_code": str, "definition_code": str, "state": map[string]any{"enum": states}, "stage_index": integer, "decision_number": str, "opened_at": ts, "accepted_at": ts, "decided_at": ts, "deadline": ts, "sla_state": str}},
		"ApprovalHistoryEntry":    map[string]any{"type": "object", "properties": map[string]any{"version": integer, "type": str, "at": ts, "actor": str, "actor_role": str, "action": str, "reason": str, "from_state": str, "to_state": str, "task_id": str, "stage_code": str, "payload": map[string]any{"type": "object", "description": "the event payload (protobuf JSON)"}}},
		"ApprovalDefinition": map[string]any{"type": "object", "properties": map[string]any{
			"code": str, "version": integer, "name": str, "subject": map[string]any{"enum": []any{"ticket", "policy_application"}}, "matter": str, "policy": str,
			"department": str, "commitment_days": integer, "legal_days": integer, "warn_days": integer,
			"acceptance":          map[string]any{"type": "object", "properties": map[string]any{"department": str, "auto": boolean}},
			"tolerant_acceptance": map[string]any{"type": "object", "properties": map[string]any{"supplement_days": integer}},
			"commitment_approval": map[string]any{"type": "object", "properties": map[string]any{"verification_days": integer, "verification_department": str}},
			"stages":              map[string]any{"type": "array", "items": stage},
			"materials":           map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{"code": str, "name": str, "key": boolean}}}}},
	}
	return map[string]any{"paths": paths, "components": map[string]any{"schemas": schemas}}
}

func openAPIHandler() http.Handler {
	doc := OpenAPI()
	doc["openapi"] = "3.1.0"
	doc["info"] = map[string]any{"title": "parkdesk approval", "version": "1"}
	body, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}
