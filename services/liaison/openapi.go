package liaison

// OpenAPI returns the OpenAPI 3.1 fragment (paths and component schemas) of
// the liaison routes, for the service's and the gateway's /openapi.json.
func OpenAPI() map[string]any {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	ok := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	problem := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	texts := map[string]string{"400": "invalid field", "403": "not allowed (an officer acting outside their own firms)",
		"404": "not found or out of scope", "409": "conflicts with the current state", "422": "breaks a rule (e.g. no such active officer)"}
	responses := func(success string, body map[string]any, codes ...string) map[string]any {
		m := map[string]any{"401": problem("missing or invalid token")}
		for _, c := range codes {
			m[c] = problem(texts[c])
		}
		m[success] = body
		return m
	}
	q := func(name, desc string, schema map[string]any) map[string]any {
		return map[string]any{"name": name, "in": "query", "description": desc, "schema": schema}
	}
	path := map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
	str := map[string]any{"type": "string"}
	integer := map[string]any{"type": "integer"}
	boolean := map[string]any{"type": "boolean"}
	ts := map[string]any{"type": "string", "format": "date-time"}
	date := map[string]any{"type": "string", "format": "date"}
	strs := map[string]any{"type": "array", "items": str}
	num := map[string]any{"type": []any{"number", "null"}}
	body := func(name string, required bool) map[string]any {
		return map[string]any{"required": required, "content": map[string]any{"application/json": map[string]any{"schema": ref(name)}}}
	}
	list := func(key, item string) map[string]any {
		return map[string]any{"type": "object", "properties": map[string]any{key: map[string]any{"type": "array", "items": ref(item)}}}
	}
	obj := func(required []string, props map[string]any) map[string]any {
		m := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			m["required"] = required
		}
		return m
	}
	officerRef := obj(nil, map[string]any{"id": str, "name": str, "phone": str})
	paths := map[string]any{
		"/v1/officers": map[string]any{
			"get": map[string]any{
				"summary":    "The park's liaison officers (驻企联络员) with their loads (manager; admin with park; the park's officers)",
				"parameters": []any{q("park", "admin only", str), q("status", "active, on_leave or left", str)},
				"responses":  responses("200", ok("officers", list("officers", "LiaisonOfficer")), "400", "403"),
			},
			"post": map[string]any{
				"summary":     "Add an officer to the park's roster (manager; admin)",
				"requestBody": body("LiaisonOfficerInput", true),
				"responses":   responses("201", ok("the officer", ref("LiaisonOfficer")), "400", "403", "409", "422"),
			},
		},
		"/v1/officers/{id}": map[string]any{
			"get": map[string]any{
				"summary": "One officer", "parameters": []any{path},
				"responses": responses("200", ok("the officer", ref("LiaisonOfficer")), "403", "404"),
			},
			"patch": map[string]any{
				"summary":     "Change an officer (manager; admin). Status on_leave or left hands their firms and open requests over (backup first, else re-assignment, else flagged to the manager)",
				"parameters":  []any{path},
				"requestBody": body("LiaisonOfficerPatch", true),
				"responses":   responses("200", ok("the officer and the hand-over", ref("LiaisonOfficerChange")), "400", "403", "404", "409", "422"),
			},
		},
		"/v1/liaison/firms": map[string]any{"get": map[string]any{
			"summary":    "Firms with their officers: an officer's own (primary or backup); the park's for a manager",
			"parameters": []any{q("officer_id", "manager: firms of this officer", str), q("unassigned", "manager: only firms flagged for want of an officer", boolean), q("park", "admin only", str)},
			"responses":  responses("200", ok("firms", list("firms", "LiaisonFirm")), "400", "403"),
		}},
		"/v1/liaison/firms/{id}": map[string]any{"get": map[string]any{
			"summary": "A firm and its officers (一企一员): the firm, its officers, managers", "parameters": []any{path},
			"responses": responses("200", ok("the firm", ref("LiaisonFirm")), "403", "404"),
		}},
		"/v1/liaison/firms/{id}/assignment": map[string]any{"put": map[string]any{
			"summary":     "Reassign a firm's officer and backup (manager; admin); the previous officer's open requests of the firm move",
			"parameters":  []any{path},
			"requestBody": body("LiaisonReassignment", true),
			"responses":   responses("200", ok("the firm", ref("LiaisonFirm")), "400", "403", "404", "409", "422"),
		}},
		"/v1/liaison/queue": map[string]any{"get": map[string]any{
			"summary":   "What the caller must act on, pending first then oldest: an officer's requests; a manager's escalated, returned and waiting requests",
			"responses": responses("200", ok("requests", list("requests", "LiaisonRequest")), "403"),
		}},
		"/v1/liaison/requests": map[string]any{"get": map[string]any{
			"summary": "Requests (诉求, 代办) in the caller's scope, newest first",
			"parameters": []any{q("state", "waiting, pending, acknowledged, returned or closed", str), q("holder_id", "officer holding it", str),
				q("enterprise_id", "firm", str), q("overdue", "only those whose response clock breached", boolean),
				q("limit", "1 to 500, default 200", integer), q("park", "admin only", str)},
			"responses": responses("200", ok("requests", list("requests", "LiaisonRequest")), "400", "403"),
		}},
		"/v1/liaison/requests/{id}": map[string]any{"get": map[string]any{
			"summary": "A request with its dispatches (each timed by sla) and chases", "parameters": []any{path},
			"responses": responses("200", ok("the request", ref("LiaisonRequest")), "403", "404"),
		}},
		"/v1/liaison/requests/{id}/ack": map[string]any{"post": map[string]any{
			"summary":    "Sign for a request (签收, 随叫随到): the holder, the firm's officer or backup, or a manager; every response clock of it stops. Signing again is answered the same",
			"parameters": []any{path},
			"responses":  responses("200", ok("the request", ref("LiaisonRequest")), "403", "404", "409"),
		}},
		"/v1/liaison/requests/{id}/return": map[string]any{"post": map[string]any{
			"summary":     "Send a request back to the dispatcher with a reason (退单): the officer holding it",
			"parameters":  []any{path},
			"requestBody": body("LiaisonReturn", true),
			"responses":   responses("200", ok("the request", ref("LiaisonRequest")), "400", "403", "404", "409"),
		}},
		"/v1/liaison/requests/{id}/chase": map[string]any{"post": map[string]any{
			"summary":     "Chase the holder of a request (催办; manager); every chase is recorded",
			"parameters":  []any{path},
			"requestBody": body("LiaisonChaseInput", false),
			"responses":   responses("201", ok("the chase", ref("LiaisonChase")), "400", "403", "404", "409"),
		}},
		"/v1/liaison/requests/{id}/redispatch": map[string]any{"post": map[string]any{
			"summary":     "Dispatch a returned or signed-for request to an officer (manager); a new response clock starts",
			"parameters":  []any{path},
			"requestBody": body("LiaisonRedispatch", true),
			"responses":   responses("200", ok("the request", ref("LiaisonRequest")), "400", "403", "404", "409", "422"),
		}},
		"/v1/liaison/visits": map[string]any{
			"post": map[string]any{
				"summary":     "Log a visit (走访) by the firm's officer; an issue with open_ticket asks intake for a proxy ticket (代办); a key firm's visit cadence clock resets",
				"requestBody": body("LiaisonVisitInput", true),
				"responses":   responses("201", ok("the visit", ref("LiaisonVisit")), "400", "403", "404"),
			},
			"get": map[string]any{
				"summary":    "Visits in the caller's scope, newest first",
				"parameters": []any{q("enterprise_id", "firm", str), q("officer_id", "officer", str), q("limit", "1 to 500, default 100", integer), q("park", "admin only", str)},
				"responses":  responses("200", ok("visits", list("visits", "LiaisonVisit")), "400", "403"),
			},
		},
		"/v1/liaison/promises": map[string]any{
			"post": map[string]any{
				"summary":     "Record a promise to a firm (说到做到) by its officer, due by the end of due_on; it goes overdue once if still open then",
				"requestBody": body("LiaisonPromiseInput", true),
				"responses":   responses("201", ok("the promise", ref("LiaisonPromise")), "400", "403", "404"),
			},
			"get": map[string]any{
				"summary":    "Promises in the caller's scope, open and soonest due first",
				"parameters": []any{q("enterprise_id", "firm", str), q("officer_id", "officer", str), q("state", "open, kept, not_kept or cancelled", str), q("limit", "1 to 500, default 200", integer), q("park", "admin only", str)},
				"responses":  responses("200", ok("promises", list("promises", "LiaisonPromise")), "400", "403"),
			},
		},
		"/v1/liaison/promises/{id}/close": map[string]any{"post": map[string]any{
			"summary":     "Close a promise with its outcome (the officer who made it, or a manager)",
			"parameters":  []any{path},
			"requestBody": body("LiaisonPromiseOutcome", true),
			"responses":   responses("200", ok("the promise", ref("LiaisonPromise")), "400", "403", "404", "409"),
		}},
		"/v1/liaison/overview": map[string]any{"get": map[string]any{
			"summary":    "Officers' loads, response times, overdue acknowledgements, visit coverage and promises; unassigned firms (manager; admin with park)",
			"parameters": []any{q("from", "date or RFC 3339; default 30 days before to", str), q("to", "date (inclusive) or RFC 3339; default the end of today (Asia/Shanghai)", str), q("park", "admin only", str)},
			"responses":  responses("200", ok("the overview", ref("LiaisonOverview")), "400", "403"),
		}},
	}
	officerProps := map[string]any{"id": str, "park": str, "name": str, "phone": str, "industries": strs, "departments": strs,
		"cap": integer, "status": map[string]any{"type": "string", "enum": []any{"active", "on_leave", "left"}}, "manager_id": str,
		"firms": integer, "backup_firms": integer, "open_requests": integer, "load": integer}
	dispatch := obj(nil, map[string]any{"id": str, "level": integer, "assignee_id": str, "assignee_role": str, "reason": str,
		"dispatched_at": ts, "breached_at": ts, "stopped_at": ts})
	chase := obj(nil, map[string]any{"id": str, "request_id": str, "chased_by": str, "holder_id": str, "note": str, "chased_at": ts, "count": integer})
	issue := obj(nil, map[string]any{"id": str, "description": str, "title": str, "open_ticket": boolean})
	schemas := map[string]any{
		"LiaisonOfficer": obj(nil, officerProps),
		"LiaisonOfficerInput": obj([]string{"name", "cap"}, map[string]any{"id": str, "park": str, "name": str, "phone": str,
			"industries": strs, "departments": strs, "cap": integer, "manager_id": str}),
		"LiaisonOfficerPatch": obj(nil, map[string]any{"name": str, "phone": str, "industries": strs, "departments": strs,
			"cap": integer, "status": map[string]any{"type": "string", "enum": []any{"active", "on_leave", "left"}}, "manager_id": str, "reason": str}),
		"LiaisonOfficerChange": obj(nil, map[string]any{"officer": ref("LiaisonOfficer"), "assigned": strs,
			"handover": obj(nil, map[string]any{"officer_id": str, "status": str, "reason": str, "open_request_ids": strs,
				"firms": map[string]any{"type": "array", "items": obj(nil, map[string]any{"enterprise_id": str, "officer_id": str,
					"backup_officer_id": str, "how": map[string]any{"type": "string", "enum": []any{"backup", "reassigned", "flagged", "backup_replaced"}},
					"open_request_ids": strs})}})}),
		"LiaisonFirm": obj(nil, map[string]any{"enterprise_id": str, "park": str, "name": str, "uscc": str, "industry_code": str,
			"key_enterprise": boolean, "officer_id": str, "officer": officerRef, "backup_officer_id": str, "backup": officerRef,
			"flagged": boolean, "flag_reason": str, "flagged_at": ts, "registered_at": ts, "assigned_at": ts, "last_visit_at": ts,
			"visit_overdue": boolean, "open_requests": integer}),
		"LiaisonReassignment": obj([]string{"officer_id"}, map[string]any{"officer_id": str,
			"backup_officer_id": map[string]any{"type": "string", "description": "omitted keeps (or chooses) the backup; empty removes it"}, "reason": str}),
		"LiaisonRequest": obj(nil, map[string]any{"id": str, "park": str, "ticket_id": str, "ticket_number": str, "enterprise_id": str,
			"firm_name": str, "kind": map[string]any{"type": "string", "enum": []any{"demand", "proxy"}},
			"title": str, "description": str, "state": map[string]any{"type": "string", "enum": []any{"waiting", "pending", "acknowledged", "returned", "closed"}},
			"holder_id": str, "holder_role": str, "level": map[string]any{"type": "integer", "description": "0 officer, 1 backup, 2 manager"},
			"response_working_hours": integer, "submitted_at": ts, "dispatched_at": ts, "acknowledged_at": ts, "acknowledged_by": str,
			"returned_at": ts, "return_reason": str, "closed_at": ts, "close_reason": str, "overdue_at": ts,
			"dispatches": map[string]any{"type": "array", "items": dispatch}, "chases": map[string]any{"type": "array", "items": chase}}),
		"LiaisonReturn":     obj([]string{"reason"}, map[string]any{"reason": str}),
		"LiaisonChaseInput": obj(nil, map[string]any{"note": str}),
		"LiaisonChase":      chase,
		"LiaisonRedispatch": obj([]string{"officer_id"}, map[string]any{"officer_id": str, "reason": str}),
		"LiaisonVisitInput": obj([]string{"enterprise_id", "visited_at", "people_met"}, map[string]any{"enterprise_id": str,
			"visited_at": map[string]any{"type": "string", "description": "date (Asia/Shanghai) or RFC 3339 instant, not in the future"},
			"people_met": strs, "notes": str,
			"issues": map[string]any{"type": "array", "items": obj([]string{"description"}, map[string]any{"description": str, "title": str, "open_ticket": boolean})}}),
		"LiaisonVisit": obj(nil, map[string]any{"id": str, "park": str, "enterprise_id": str, "officer_id": str, "visited_at": ts,
			"people_met": strs, "issues": map[string]any{"type": "array", "items": issue}, "notes": str, "logged_at": ts,
			"cadence_working_days": integer}),
		"LiaisonPromiseInput": obj([]string{"enterprise_id", "content", "due_on"}, map[string]any{"enterprise_id": str, "content": str, "due_on": date}),
		"LiaisonPromiseOutcome": obj([]string{"outcome"}, map[string]any{"outcome": map[string]any{"type": "string", "enum": []any{"kept", "not_kept", "cancelled"}},
			"note": map[string]any{"type": "string", "description": "required unless kept"}}),
		"LiaisonPromise": obj(nil, map[string]any{"id": str, "park": str, "enterprise_id": str, "officer_id": str, "content": str,
			"due_at": ts, "made_at": ts, "state": map[string]any{"type": "string", "enum": []any{"open", "kept", "not_kept", "cancelled"}},
			"note": str, "closed_at": ts, "closed_by": str, "overdue_at": ts, "late": boolean}),
		"LiaisonOverview": obj(nil, map[string]any{"park": str, "from": ts, "to": ts, "waiting_requests": integer, "requests_at_manager": integer,
			"unassigned_firms": map[string]any{"type": "array", "items": ref("LiaisonFirm")},
			"officers": map[string]any{"type": "array", "items": obj(nil, map[string]any{"officer_id": str, "name": str, "status": str,
				"cap": integer, "firms": integer, "backup_firms": integer, "open_requests": integer, "load": integer,
				"pending_acknowledgements": integer, "overdue_acknowledgements": integer, "breached_dispatches": integer, "acknowledged": integer,
				"avg_response_minutes": num, "max_response_minutes": num, "returned": integer, "chases": integer,
				"key_firms": integer, "key_firms_visited": integer, "key_firms_visit_overdue": integer, "visit_coverage": num,
				"visits": integer, "open_promises": integer, "overdue_promises": integer})}}),
	}
	return map[string]any{"paths": paths, "components": map[string]any{"schemas": schemas}}
}
