package intake

// OpenAPI returns the OpenAPI 3.1 fragment (paths and component schemas) of
// the intake routes, for the service's and the gateway's /openapi.json.
func OpenAPI() map[string]any {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	ok := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	problem := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	reasons := map[string]string{"400": "invalid field (problem lists each)", "403": "role not allowed", "404": "not found or out of your scope",
		"409": "conflicts with the resource's state", "413": "too large", "422": "breaks a rule (problem lists each field)"}
	errs := func(codes ...string) map[string]any {
		m := map[string]any{"401": problem("missing or invalid token")}
		for _, c := range codes {
			m[c] = problem(reasons[c])
		}
		return m
	}
	with := func(m map[string]any, extra map[string]any) map[string]any {
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	q := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "query", "description": desc, "schema": map[string]any{"type": "string"}}
	}
	path := func(name string, uuid bool) map[string]any {
		s := map[string]any{"type": "string"}
		if uuid {
			s["format"] = "uuid"
		}
		return map[string]any{"name": name, "in": "path", "required": true, "schema": s}
	}
	body := func(name string) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(name)}}}
	}
	str := map[string]any{"type": "string"}
	strs := map[string]any{"type": "array", "items": str}
	integer := map[string]any{"type": "integer"}
	boolean := map[string]any{"type": "boolean"}
	number := map[string]any{"type": "number"}
	ts := map[string]any{"type": "string", "format": "date-time"}
	obj := func(props map[string]any, required ...string) map[string]any {
		m := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			r := make([]any, len(required))
			for i, s := range required {
				r[i] = s
			}
			m["required"] = r
		}
		return m
	}
	list := func(name string) map[string]any { return map[string]any{"type": "array", "items": ref(name)} }
	page := func(item string) map[string]any {
		return obj(map[string]any{"items": list(item), "next": map[string]any{"type": "string", "description": "cursor of the next page (pass as after)"}})
	}
	ticketParam := path("id", true)
	paths := map[string]any{
		"/v1/enterprises": map[string]any{
			"post": map[string]any{
				"summary":     "Register a firm (staff of its park, admin); the USCC is checked including its GB 32100-2015 check digit",
				"requestBody": body("EnterpriseInput"),
				"responses":   with(errs("400", "403", "409"), map[string]any{"201": ok("the firm (Location: /v1/enterprises/{id})", ref("Enterprise"))}),
			},
			"get": map[string]any{
				"summary": "Firms in your scope: the park's (staff, manager), your assigned firms (liaison), your own (firm), any (admin)",
				"parameters": []any{q("park", "admin only"), q("flag", "high-tech, specialized-sme, listed or bad-credit"),
					q("industry", "GB/T 4754 code prefix"), q("after", "cursor"), q("limit", "1 to 200, default 50")},
				"responses": with(errs("400", "403"), map[string]any{"200": ok("a page", page("Enterprise"))}),
			},
		},
		"/v1/enterprises/{id}": map[string]any{
			"get": map[string]any{
				"summary":    "A firm's profile and assigned liaison (the firm, its liaison, the park's staff and manager, admin)",
				"parameters": []any{path("id", true)},
				"responses":  with(errs("404"), map[string]any{"200": ok("the firm", ref("Enterprise"))}),
			},
			"patch": map[string]any{
				"summary":     "Change a profile (staff of its park, admin; the firm may change only its declared figures); published as intake.enterprise.profile_changed",
				"parameters":  []any{path("id", true)},
				"requestBody": body("EnterprisePatch"),
				"responses":   with(errs("400", "403", "404"), map[string]any{"200": ok("the firm", ref("Enterprise"))}),
			},
		},
		"/v1/catalog/matters": map[string]any{"get": map[string]any{
			"summary":    "The park's matters (事项) with commitments, legal limits and materials (anyone signed in)",
			"parameters": []any{q("park", "default: your park")},
			"responses":  with(errs("400", "404"), map[string]any{"200": ok("matters", obj(map[string]any{"matters": list("Matter")}))}),
		}},
		"/v1/catalog/matters/{code}": map[string]any{"get": map[string]any{
			"summary": "One matter", "parameters": []any{path("code", false), q("park", "default: your park")},
			"responses": with(errs("404"), map[string]any{"200": ok("the matter", ref("Matter"))}),
		}},
		"/v1/catalog/bundles": map[string]any{"get": map[string]any{
			"summary":    "The park's bundles (一件事) with their matters, merged materials and one overall commitment (anyone signed in)",
			"parameters": []any{q("park", "default: your park")},
			"responses":  with(errs("400", "404"), map[string]any{"200": ok("bundles", obj(map[string]any{"bundles": list("Bundle")}))}),
		}},
		"/v1/catalog/bundles/{code}": map[string]any{"get": map[string]any{
			"summary": "One bundle", "parameters": []any{path("code", false), q("park", "default: your park")},
			"responses": with(errs("404"), map[string]any{"200": ok("the bundle", ref("Bundle"))}),
		}},
		"/v1/tickets/uploads": map[string]any{"post": map[string]any{
			"summary": "Upload a material's content (the firm, a liaison, window staff): stored in the JetStream Object Store under its SHA-256; cite it in a ticket by that hash",
			"requestBody": map[string]any{"required": true, "description": "the raw content; Content-Type is recorded as its media type",
				"content": map[string]any{"*/*": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}},
			"responses": with(errs("400", "403", "413"), map[string]any{"201": ok("the stored content", ref("Upload"))}),
		}},
		"/v1/tickets": map[string]any{
			"post": map[string]any{
				"summary": "File a matter, a 一件事 bundle or a demand (诉求): the firm (online), its liaison (proxy) or window staff (window). " +
					"Missing key materials are a 422 listing every one; missing non-key materials of a matter that allows tolerant acceptance " +
					"(容缺) are accepted with a supplement due date. The same Idempotency-Key (per submitter) with the same body returns the same ticket (200, Idempotent-Replayed); with another body, 409.",
				"parameters": []any{map[string]any{"name": "Idempotency-Key", "in": "header", "required": true,
					"description": "1 to 200 printable ASCII characters, unique per submission", "schema": str}},
				"requestBody": body("SubmitRequest"),
				"responses": with(errs("400", "403", "409", "422"), map[string]any{
					"201": ok("the new ticket, numbered per park and year (e.g. WCJK-2026-000123)", ref("Ticket")),
					"200": ok("the ticket filed earlier under this Idempotency-Key", ref("Ticket")),
				}),
			},
			"get": map[string]any{
				"summary": "Tickets in your scope, newest first (a firm its own, a liaison its firms', staff and managers their park, admin all)",
				"parameters": []any{q("status", "submitted, accepted, correction_requested, dispatched, acknowledged, completed, withdrawn"),
					q("sla_state", "green, yellow, red, stopped, late"), q("kind", "matter, bundle, demand, rectification"),
					q("matter", "matter code (also matches bundles containing it)"), q("bundle", "bundle code"), q("department", "department code"),
					q("enterprise_id", "a firm"), q("park", "admin only"), q("after", "cursor"), q("limit", "1 to 200, default 50")},
				"responses": with(errs("400", "403"), map[string]any{"200": ok("a page (items without timelines)", page("Ticket"))}),
			},
		},
		"/v1/tickets/{id}": map[string]any{"get": map[string]any{
			"summary":    "A ticket: status, current stage, each matter's workflow, deadline and SLA state as last reported, liaison, materials, and a timeline of every event",
			"parameters": []any{ticketParam},
			"responses":  with(errs("404"), map[string]any{"200": ok("the ticket", ref("Ticket"))}),
		}},
		"/v1/tickets/{id}/materials": map[string]any{"post": map[string]any{
			"summary":     "Answer a correction request (补正) completely, or supply materials owed under tolerant acceptance (容缺) (the firm); only materials asked for are accepted; published as intake.ticket.materials_supplied (the clock resumes)",
			"parameters":  []any{ticketParam},
			"requestBody": body("SupplyRequest"),
			"responses":   with(errs("400", "403", "404", "409", "422"), map[string]any{"200": ok("the ticket", ref("Ticket"))}),
		}},
		"/v1/tickets/{id}/rating": map[string]any{"post": map[string]any{
			"summary":     "Rate a completed ticket once (好差评, the firm): 5 非常满意 … 1 非常不满意; 1–2 need a comment and open a rectification ticket",
			"parameters":  []any{ticketParam},
			"requestBody": body("RatingInput"),
			"responses":   with(errs("400", "403", "404", "409"), map[string]any{"200": ok("the rated ticket", ref("Ticket"))}),
		}},
		"/v1/tickets/{id}/withdraw": map[string]any{"post": map[string]any{
			"summary":     "Withdraw an open ticket (the firm); published as intake.ticket.withdrawn",
			"parameters":  []any{ticketParam},
			"requestBody": body("WithdrawInput"),
			"responses":   with(errs("400", "403", "404", "409"), map[string]any{"200": ok("the ticket", ref("Ticket"))}),
		}},
		"/v1/tickets/{id}/resolution": map[string]any{"post": map[string]any{
			"summary":     "Complete a demand (its liaison, the park's staff or manager) or a rectification (staff of its department or the park's manager; follow_up 回访 required); published as intake.ticket.closed",
			"parameters":  []any{ticketParam},
			"requestBody": body("ResolutionInput"),
			"responses":   with(errs("400", "403", "404", "409"), map[string]any{"200": ok("the completed ticket", ref("Ticket"))}),
		}},
	}
	figures := obj(map[string]any{"year": integer, "revenue_fen": map[string]any{"type": "integer", "description": "fen (分)"},
		"tax_paid_fen": map[string]any{"type": "integer", "description": "fen (分)"}, "rd_ratio_percent": number,
		"land_area_mu": map[string]any{"type": "number", "description": "mu (亩)"}, "headcount": integer}, "year")
	flags := map[string]any{"type": "array", "items": map[string]any{"enum": []any{FlagHighTech, FlagSpecializedSME, FlagListed, FlagBadCredit}}}
	scale := map[string]any{"enum": []any{"large", "medium", "small", "micro"}}
	liaison := obj(map[string]any{"officer_id": str, "backup_officer_id": str, "assigned_at": ts})
	spec := obj(map[string]any{"code": str, "name": str, "key": boolean, "matters": strs})
	material := obj(map[string]any{"code": str, "name": str, "sha256": str, "size": integer, "media_type": str, "ref": str,
		"purpose": map[string]any{"enum": []any{PurposeSubmission, PurposeCorrection, PurposeSupplement}}, "supplied_at": ts})
	materialInput := obj(map[string]any{"code": map[string]any{"type": "string", "description": "the catalog material code"},
		"name": str, "sha256": map[string]any{"type": "string", "description": "hex SHA-256 of content you uploaded"},
		"size": integer, "media_type": str}, "code", "sha256")
	schemas := map[string]any{
		"Enterprise": obj(map[string]any{"id": str, "uscc": str, "name": str, "park": str, "industry_code": str, "scale": scale,
			"flags": flags, "key_enterprise": boolean, "figures": figures, "liaison": liaison, "synthetic": boolean,
			"version": integer, "created_at": ts, "updated_at": ts}),
		"EnterpriseInput": obj(map[string]any{"uscc": map[string]any{"type": "string", "description": "统一社会信用代码, 18 characters"},
			"name": str, "park": map[string]any{"type": "string", "description": "default: staff's own park; admin must give it"},
			"industry_code": map[string]any{"type": "string", "description": "GB/T 4754, e.g. C3981"}, "scale": scale,
			"flags": flags, "key_enterprise": boolean, "figures": figures}, "uscc", "name", "industry_code", "scale"),
		"EnterprisePatch": obj(map[string]any{"name": str, "industry_code": str, "scale": scale, "flags": flags,
			"key_enterprise": boolean, "figures": figures}),
		"Matter": obj(map[string]any{"park": str, "code": str, "name": str, "department": str, "department_name": str,
			"legal_days":      map[string]any{"type": "integer", "description": "法定时限, working days"},
			"commitment_days": map[string]any{"type": "integer", "description": "承诺时限, working days"},
			"warn_days":       integer, "tolerant_acceptance": boolean, "commitment_approval": boolean,
			"supplement_days": map[string]any{"type": "integer", "description": "working days to supply materials accepted as missing"},
			"materials":       map[string]any{"type": "array", "items": spec}}),
		"Bundle": obj(map[string]any{"park": str, "code": str, "name": str, "matter_codes": strs, "matters": list("Matter"),
			"materials": map[string]any{"type": "array", "items": spec}, "commitment_days": integer, "legal_days": integer, "warn_days": integer}),
		"Upload": obj(map[string]any{"sha256": str, "size": integer, "media_type": str, "ref": str, "created_at": ts}),
		"SubmitRequest": obj(map[string]any{
			"enterprise_id": map[string]any{"type": "string", "description": "required for a liaison or staff; a firm files for itself"},
			"matter_code":   str, "bundle_code": str,
			"demand":    obj(map[string]any{"title": str, "description": str}, "title", "description"),
			"channel":   map[string]any{"enum": []any{ChannelOnline, ChannelWindow, ChannelProxy}, "description": "optional; must match your role"},
			"materials": map[string]any{"type": "array", "items": materialInput},
		}),
		"SupplyRequest":   obj(map[string]any{"materials": map[string]any{"type": "array", "items": materialInput}}, "materials"),
		"RatingInput":     obj(map[string]any{"score": map[string]any{"type": "integer", "minimum": 1, "maximum": 5}, "comment": str}, "score"),
		"WithdrawInput":   obj(map[string]any{"reason": str}, "reason"),
		"ResolutionInput": obj(map[string]any{"summary": str, "follow_up": map[string]any{"type": "string", "description": "回访 record; required for a rectification"}}, "summary"),
		"Ticket": obj(map[string]any{
			"id": str, "number": str, "park": str, "enterprise_id": str, "enterprise_name": str,
			"kind":        map[string]any{"enum": []any{KindMatter, KindBundle, KindDemand, KindRectification}},
			"channel":     map[string]any{"enum": []any{ChannelOnline, ChannelWindow, ChannelProxy, ChannelSystem}},
			"matter_code": str, "bundle_code": str, "title": str, "description": str,
			"status": map[string]any{"enum": []any{StatusSubmitted, StatusAccepted, StatusCorrectionRequested, StatusDispatched,
				StatusAcknowledged, StatusCompleted, StatusWithdrawn}},
			"outcome": map[string]any{"enum": []any{"", OutcomeApproved, OutcomePartial, OutcomeDenied, OutcomeNotAccepted,
				OutcomeWithdrawn, OutcomeLapsed, OutcomeResolved, OutcomeRectified}},
			"stage":           map[string]any{"type": "string", "description": "current stage of a matter, or 'k of n matters completed' of a bundle"},
			"commitment_days": integer, "legal_days": integer, "warn_days": integer, "departments": strs,
			"items": map[string]any{"type": "array", "items": obj(map[string]any{"matter_code": str, "matter_name": str, "department": str,
				"commitment_days": integer, "legal_days": integer, "warn_days": integer, "tolerant_acceptance": boolean,
				"commitment_approval": boolean, "missing_materials": strs, "workflow_id": str,
				"status": map[string]any{"enum": []any{ItemPending, ItemAccepted, ItemCorrectionRequested, ItemApproved, ItemDenied,
					ItemNotAccepted, ItemWithdrawn, ItemLapsed, ItemRevoked}},
				"stage": str, "stage_department": str, "paused": str, "correction_items": strs, "decision_number": str, "reason": str, "updated_at": ts})},
			"materials":  map[string]any{"type": "array", "items": material},
			"supplement": obj(map[string]any{"materials": strs, "working_days": integer, "due_at": ts}),
			"sla": obj(map[string]any{"state": map[string]any{"enum": []any{"", "green", "yellow", "red", "stopped", "late"}},
				"deadline": ts, "legal_deadline": ts, "paused": boolean,
				"clocks": map[string]any{"type": "array", "items": obj(map[string]any{"id": str, "kind": str, "matter_code": str,
					"state": str, "paused": boolean, "deadline": ts, "legal_deadline": ts, "stopped_late": boolean})}}),
			"liaison": liaison, "liaison_request_id": str, "related_ticket_id": str, "resolution": str,
			"rating":       obj(map[string]any{"score": integer, "level": str, "comment": str, "rated_at": ts, "rectification_ticket_id": str}),
			"submitted_by": str, "submitted_at": ts, "accepted_at": ts, "completed_at": ts, "updated_at": ts, "version": integer,
			"timeline": map[string]any{"type": "array", "items": obj(map[string]any{"at": ts, "type": str, "actor": str,
				"summary": str, "detail": map[string]any{"type": "object"}, "event_id": str})},
		}),
	}
	return map[string]any{"paths": paths, "components": map[string]any{"schemas": schemas}}
}
