package sla

// OpenAPI returns the OpenAPI 3.1 fragment (paths and component schemas) of
// the sla routes, for the service's and the gateway's /openapi.json.
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
		for _, c := range codes {
			m[c] = problem(map[string]string{"400": "invalid field", "403": "not allowed", "404": "not found or out of scope", "409": "conflicts with the clock's state"}[c])
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
	body := func(name string) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(name)}}}
	}
	ts := map[string]any{"type": "string", "format": "date-time"}
	rate := map[string]any{"type": []any{"number", "null"}}
	paths := map[string]any{
		"/v1/sla/clocks": map[string]any{"get": map[string]any{
			"summary":    "The SLA clocks of a ticket, for its timeline (staff and managers of the park, the firm, its liaison)",
			"parameters": []any{with(q("ticket_id", "ticket", str), map[string]any{"required": true})},
			"responses":  with(errs("400"), map[string]any{"200": ok("clocks", map[string]any{"type": "object", "properties": map[string]any{"clocks": map[string]any{"type": "array", "items": ref("SLAClock")}}})}),
		}},
		"/v1/sla/clocks/{id}": map[string]any{"get": map[string]any{
			"summary": "One SLA clock", "parameters": []any{path("id")},
			"responses": with(errs("404"), map[string]any{"200": ok("the clock", ref("SLAClock"))}),
		}},
		"/v1/sla/clocks/{id}/extension": map[string]any{"post": map[string]any{
			"summary":     "Ask for an extension (延期) once per clock (staff of the clock's department)",
			"parameters":  []any{path("id")},
			"requestBody": body("SLAExtensionRequest"),
			"responses":   with(errs("400", "403", "404", "409"), map[string]any{"201": ok("the pending extension", ref("SLAExtension"))}),
		}},
		"/v1/sla/extensions": map[string]any{"get": map[string]any{
			"summary":    "Extensions of the park (manager; admin with park)",
			"parameters": []any{q("park", "admin only", str), q("state", "pending, granted or refused", str)},
			"responses":  with(errs("400", "403"), map[string]any{"200": ok("extensions", map[string]any{"type": "object", "properties": map[string]any{"extensions": map[string]any{"type": "array", "items": ref("SLAExtension")}}})}),
		}},
		"/v1/sla/extensions/{id}/decision": map[string]any{"post": map[string]any{
			"summary":     "Grant or refuse an extension (manager of the park); a grant moves the deadline",
			"parameters":  []any{path("id")},
			"requestBody": body("SLAExtensionDecision"),
			"responses":   with(errs("400", "403", "404", "409"), map[string]any{"200": ok("the decided extension", ref("SLAExtension"))}),
		}},
		"/v1/sla/overview": map[string]any{"get": map[string]any{
			"summary": "On-time, early, working days used, commitment compression, once-only, online and satisfaction figures (manager; admin)",
			"parameters": []any{q("from", "date or RFC 3339; default the first of this month", str), q("to", "date (inclusive) or RFC 3339; default now", str),
				q("by", "park (default), department, matter or officer", str), q("park", "admin only", str)},
			"responses": with(errs("400", "403"), map[string]any{"200": ok("figures per group", ref("SLAOverview"))}),
		}},
		"/v1/sla/breaches": map[string]any{"get": map[string]any{
			"summary":    "Open warnings and breaches, most urgent first (manager; admin)",
			"parameters": []any{q("state", "yellow or red; default both", str), q("page", "from 1", integer), q("page_size", "1 to 200, default 50", integer), q("park", "admin only", str)},
			"responses":  with(errs("400", "403"), map[string]any{"200": ok("a page", map[string]any{"type": "object", "properties": map[string]any{"items": map[string]any{"type": "array", "items": ref("SLAClock")}, "page": integer, "page_size": integer, "total": integer}})}),
		}},
		"/v1/sla/stream": map[string]any{"get": map[string]any{
			"summary":    "Live warnings, breaches and escalations of the park as Server-Sent Events (manager; admin with park or all)",
			"parameters": []any{q("park", "admin only", str)},
			"responses": with(errs("403"), map[string]any{"200": map[string]any{"description": "event: sla.clock.warned|sla.clock.breached|sla.clock.escalated, data: SLAStreamItem; comment heartbeats every 15 s",
				"content": map[string]any{"text/event-stream": map[string]any{"schema": ref("SLAStreamItem")}}}}),
		}},
	}
	pause := map[string]any{"type": "object", "properties": map[string]any{"reason": map[string]any{"enum": []any{"correction", "public_notice", "hearing", "testing", "expert_review"}}, "from": ts, "to": ts}}
	schemas := map[string]any{
		"SLAClock": map[string]any{"type": "object", "properties": map[string]any{
			"id": str, "park": str, "kind": map[string]any{"enum": []any{"acceptance", "resolution", "stage", "liaison_response", "visit_cadence", "verification", "rectification", "supplement"}},
			"subject_id": str, "workflow_id": str, "ticket_id": str, "enterprise_id": str, "department": str, "officer_id": str, "handler_id": str, "matter_code": str,
			"started_at": ts, "budget": map[string]any{"type": "integer", "description": "working days; working hours for liaison_response"},
			"legal_budget": integer, "warn_days": integer, "extension_days": integer, "pauses": map[string]any{"type": "array", "items": pause},
			"state": map[string]any{"enum": []any{"green", "yellow", "red", "stopped", "cancelled"}}, "deadline": ts, "legal_deadline": ts, "warn_at": ts,
			"escalation_level": integer, "warned_at": ts, "breached_at": ts, "stopped_at": ts, "cancelled_at": ts, "stopped_late": map[string]any{"type": "boolean"},
			"stopped_early": map[string]any{"type": "boolean"}, "used_working_days": map[string]any{"type": "number"}, "version": integer,
		}},
		"SLAExtensionRequest": map[string]any{"type": "object", "required": []any{"working_days", "reason"}, "properties": map[string]any{
			"working_days": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxExtensionDays}, "reason": str}},
		"SLAExtensionDecision": map[string]any{"type": "object", "required": []any{"decision"}, "properties": map[string]any{
			"decision": map[string]any{"enum": []any{"grant", "refuse"}}, "reason": map[string]any{"type": "string", "description": "required to refuse"}}},
		"SLAExtension": map[string]any{"type": "object", "properties": map[string]any{
			"id": str, "clock_id": str, "park": str, "working_days": integer, "reason": str, "requested_by": str, "requested_at": ts,
			"state": map[string]any{"enum": []any{"pending", "granted", "refused"}}, "decided_by": str, "decided_at": ts, "decision_reason": str,
			"previous_deadline": ts, "new_deadline": ts}},
		"SLAOverview": map[string]any{"type": "object", "properties": map[string]any{
			"park": str, "from": ts, "to": ts, "by": str, "groups": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
				"key": str, "completed": integer, "on_time": integer, "on_time_rate": rate, "early_rate": rate, "avg_working_days_used": rate,
				"avg_commitment_days": rate, "commitment_compression": rate, "once_only_rate": rate, "online_rate": rate, "rated": integer,
				"satisfaction": rate, "avg_rating": rate, "stage_overruns": integer, "yellow_cards": integer, "red_cards": integer, "score": rate}}}}},
		"SLAStreamItem": map[string]any{"type": "object", "properties": map[string]any{
			"id": str, "type": str, "park": str, "occurred_at": ts, "clock_id": str, "kind": str, "ticket_id": str, "department": str,
			"state": str, "deadline": ts, "level": integer, "notify": map[string]any{"type": "array", "items": str}}},
	}
	return map[string]any{"paths": paths, "components": map[string]any{"schemas": schemas}}
}
