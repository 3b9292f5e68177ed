package policy

// OpenAPI returns the OpenAPI 3.1 fragment (paths and component schemas) of
// the policy routes, for the service's and the gateway's /openapi.json.
func OpenAPI() map[string]any {
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	ok := func(desc string, schema map[string]any) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	problem := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	texts := map[string]string{"400": "invalid field (each named, a rule's with its position)", "403": "not allowed",
		"404": "not found or out of scope", "409": "conflicts with the current state (e.g. one application per firm, policy and period)",
		"422": "breaks a rule (not eligible: every failing rule listed; required materials missing: all listed)"}
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
	fen := map[string]any{"type": "integer", "description": "fen (分)"}
	boolean := map[string]any{"type": "boolean"}
	number := map[string]any{"type": "number"}
	ts := map[string]any{"type": "string", "format": "date-time"}
	date := map[string]any{"type": "string", "format": "date"}
	strs := map[string]any{"type": "array", "items": str}
	arr := func(item map[string]any) map[string]any { return map[string]any{"type": "array", "items": item} }
	body := func(name string, required bool) map[string]any {
		return map[string]any{"required": required, "content": map[string]any{"application/json": map[string]any{"schema": ref(name)}}}
	}
	obj := func(required []string, props map[string]any) map[string]any {
		m := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			m["required"] = required
		}
		return m
	}
	enum := func(vs ...any) map[string]any { return map[string]any{"type": "string", "enum": vs} }
	matches := map[string]any{
		"summary":    "A firm's matches (政策匹配): every published policy of its park evaluated rule by rule, with the amount it would receive, its offer and application (the firm, its liaison, the park's managers and staff)",
		"parameters": []any{q("eligible", "true: only the policies the firm meets", boolean)},
		"responses":  responses("200", ok("matches", ref("PolicyMatches")), "400", "403", "404"),
	}
	idMatches := map[string]any{}
	for k, v := range matches {
		idMatches[k] = v
	}
	idMatches["parameters"] = []any{path, q("eligible", "true: only the policies the firm meets", boolean)}
	flat := map[string]any{}
	for k, v := range matches {
		flat[k] = v
	}
	flat["parameters"] = []any{q("enterprise_id", "the firm (a firm's own by default)", str), q("eligible", "true: only the policies the firm meets", boolean)}
	paths := map[string]any{
		"/v1/policies": map[string]any{
			"get": map[string]any{
				"summary":    "The park's policies (drafts only for managers, staff and admins)",
				"parameters": []any{q("status", "draft, published or closed", str), q("park", "admin only", str)},
				"responses":  responses("200", ok("policies", obj(nil, map[string]any{"policies": arr(ref("Policy"))})), "400", "403"),
			},
			"post": map[string]any{
				"summary":     "Save a draft policy (manager; admin naming the park). Rules and formula are validated on save",
				"requestBody": body("PolicyInput", true),
				"responses":   responses("201", ok("the draft", ref("Policy")), "400", "403", "409"),
			},
		},
		"/v1/policies/overview": map[string]any{"get": map[string]any{
			"summary":    "Per-policy uptake, budget used and remaining, average working days from application to payment (manager, staff, admin)",
			"parameters": []any{q("park", "admin only", str)},
			"responses":  responses("200", ok("overview", ref("PolicyOverview")), "400", "403"),
		}},
		"/v1/policies/{id}": map[string]any{
			"get": map[string]any{"summary": "One policy with its budget figures", "parameters": []any{path},
				"responses": responses("200", ok("the policy", ref("Policy")), "404")},
			"put": map[string]any{"summary": "Replace a draft (manager; admin)", "parameters": []any{path},
				"requestBody": body("PolicyInput", true),
				"responses":   responses("200", ok("the draft", ref("Policy")), "400", "403", "404", "409")},
		},
		"/v1/policies/{id}/publish": map[string]any{"post": map[string]any{
			"summary":    "Publish a draft: the park's firms are matched; a proactive policy (免申即享) offers its benefit to each eligible firm",
			"parameters": []any{path},
			"responses":  responses("200", ok("what publication matched", ref("PublishResult")), "403", "404", "409", "422"),
		}},
		"/v1/policies/{id}/close": map[string]any{"post": map[string]any{
			"summary": "Close a published policy: no new applications; open offers lapse", "parameters": []any{path},
			"requestBody": body("ReasonInput", true),
			"responses":   responses("200", ok("the policy", ref("Policy")), "400", "403", "404", "409"),
		}},
		"/v1/policies/{id}/ledger": map[string]any{"get": map[string]any{
			"summary":    "The policy's ledger of reserve, pay and release entries with its balance check (manager, finance staff, admin)",
			"parameters": []any{path},
			"responses":  responses("200", ok("ledger", ref("PolicyLedger")), "403", "404"),
		}},
		"/v1/policy-matches":                  map[string]any{"get": flat},
		"/v1/enterprises/{id}/policy-matches": map[string]any{"get": idMatches},
		"/v1/policy-applications": map[string]any{
			"post": map[string]any{
				"summary":     "Apply for a policy (the firm, or its liaison officer 代办), or confirm a 免申即享 offer in one step with {offer_id}. The application runs through approval's policy definition (初审 → 复核 → 公示 → 决定); approval reserves the budget",
				"requestBody": body("PolicyApplicationInput", true),
				"responses":   responses("201", ok("the application", ref("PolicyApplication")), "400", "403", "404", "409", "422"),
			},
			"get": map[string]any{
				"summary": "Applications in the caller's scope, newest first",
				"parameters": []any{q("enterprise_id", "firm", str), q("policy_id", "policy", str), q("state", "state", str),
					q("limit", "1 to 500, default 200", integer), q("park", "admin only", str)},
				"responses": responses("200", ok("applications", obj(nil, map[string]any{"applications": arr(ref("PolicyApplication"))})), "400", "403"),
			},
		},
		"/v1/policy-applications/firm": map[string]any{"get": map[string]any{
			"summary":    "A firm's offers, applications and payments",
			"parameters": []any{q("enterprise_id", "the firm (a firm's own by default)", str)},
			"responses":  responses("200", ok("the firm's view", ref("PolicyFirmView")), "400", "404"),
		}},
		"/v1/policy-applications/{id}": map[string]any{"get": map[string]any{
			"summary": "One application with its timeline and ledger entries", "parameters": []any{path},
			"responses": responses("200", ok("the application", ref("PolicyApplication")), "404"),
		}},
		"/v1/policy-applications/{id}/withdraw": map[string]any{"post": map[string]any{
			"summary": "Withdraw an undecided application (the firm, its liaison); approval withdraws the workflow", "parameters": []any{path},
			"requestBody": body("ReasonInput", false),
			"responses":   responses("200", ok("the application", ref("PolicyApplication")), "400", "403", "404", "409"),
		}},
		"/v1/policy-applications/{id}/disbursement": map[string]any{"post": map[string]any{
			"summary": "Record the payment (拨付) of an approved application under a reference (finance staff, manager, admin); the same reference again answers the same", "parameters": []any{path},
			"requestBody": body("DisbursementInput", true),
			"responses":   responses("200", ok("the application", ref("PolicyApplication")), "400", "403", "404", "409"),
		}},
		"/v1/policy-applications/{id}/release": map[string]any{"post": map[string]any{
			"summary": "Give an approved application's reservation back to the budget unpaid (finance staff, manager, admin)", "parameters": []any{path},
			"requestBody": body("ReasonInput", true),
			"responses":   responses("200", ok("the application", ref("PolicyApplication")), "400", "403", "404", "409"),
		}},
	}
	rule := obj([]string{"label", "rule"}, map[string]any{"label": str, "rule": map[string]any{"type": "string",
		"description": `eligibility expression, e.g. flags has "high-tech" and rd_ratio >= 3% and revenue >= 2000万元; fields: industry, scale, flags, key_enterprise, figures_year, revenue, tax_paid, rd_ratio, rd_expense, land_area_mu, headcount, tax_per_mu, revenue_per_mu; operators >= <= > < == != in has and or not`}})
	benefit := obj([]string{"kind"}, map[string]any{"kind": enum("fixed", "rate", "tiers"), "amount_fen": fen, "base": str,
		"rate_percent": number, "cap_fen": fen, "tiers": arr(obj([]string{"amount_fen"}, map[string]any{"label": str, "min_fen": fen, "min": number, "amount_fen": fen}))})
	input := map[string]any{"park": str, "code": str, "document_number": str, "title": str, "issuer": str, "summary": str,
		"period": str, "window_from": date, "window_to": date, "mode": enum("application", "proactive"), "eligibility": arr(rule),
		"benefit": benefit, "per_firm_cap_fen": fen, "budget_fen": fen,
		"materials": arr(obj([]string{"code", "name"}, map[string]any{"code": str, "name": str, "optional": boolean}))}
	policy := map[string]any{"id": str, "status": enum("draft", "published", "closed"), "version": integer, "reserved_fen": fen,
		"paid_fen": fen, "created_at": ts, "updated_at": ts, "published_at": ts, "closed_at": ts}
	for k, v := range input {
		policy[k] = v
	}
	check := obj(nil, map[string]any{"field": str, "label": str, "test": str, "actual": str, "passed": boolean, "missing": boolean})
	match := map[string]any{"policy_id": str, "policy_code": str, "title": str, "document_number": str, "mode": str, "period": str,
		"eligible": boolean, "amount_fen": fen, "formula": str, "reason": str,
		"rules": arr(obj(nil, map[string]any{"label": str, "rule": str, "passed": boolean, "checks": arr(check)}))}
	offer := obj(nil, map[string]any{"id": str, "park": str, "policy_id": str, "policy_code": str, "policy_title": str,
		"enterprise_id": str, "period": str, "amount_fen": fen, "state": enum("open", "confirmed", "lapsed"), "cause": str,
		"reason": str, "application_id": str, "created_at": ts, "expires_at": ts, "closed_at": ts, "version": integer})
	material := obj([]string{"code", "sha256", "size"}, map[string]any{"code": str, "name": str, "sha256": str, "size": integer, "ref": str})
	ledgerEntry := obj(nil, map[string]any{"id": integer, "policy_id": str, "application_id": str, "enterprise_id": str, "period": str,
		"kind": enum("reserve", "pay", "release"), "amount_fen": fen, "reference": str, "actor": str, "reason": str, "at": ts})
	app := obj(nil, map[string]any{"id": str, "park": str, "policy_id": str, "policy_code": str, "policy_title": str,
		"enterprise_id": str, "enterprise_name": str, "period": str, "amount_fen": fen,
		"state":   enum("submitted", "in_review", "public_notice", "approved", "refused", "denied", "not_accepted", "withdrawn", "paid", "released"),
		"channel": enum("online", "proxy", "offer"), "offer_id": str, "submitted_by": str, "submitted_role": str, "officer_id": str,
		"materials": arr(material), "explanation": obj(nil, match), "workflow_id": str, "stage": str, "decision_number": str,
		"reason": str, "payment_reference": str, "submitted_at": ts, "decided_at": ts, "paid_at": ts, "closed_at": ts,
		"version": integer, "ledger": arr(ledgerEntry),
		"history": arr(obj(nil, map[string]any{"at": ts, "state": str, "action": str, "actor": str, "detail": str}))})
	matchView := map[string]any{"status": str, "open_now": boolean, "offer": offer, "application": app}
	for k, v := range match {
		matchView[k] = v
	}
	figures := obj(nil, map[string]any{"policy_id": str, "code": str, "title": str, "document_number": str, "mode": str,
		"status": str, "period": str, "eligible_firms": integer, "offers_open": integer, "offers_confirmed": integer,
		"applications": integer, "in_progress": integer, "beneficiaries": integer, "paid": integer, "refused": integer,
		"denied": integer, "withdrawn": integer, "uptake_percent": number, "budget_fen": fen, "reserved_fen": fen, "paid_fen": fen,
		"remaining_fen": fen, "used_percent": number, "avg_working_days_to_payment": map[string]any{"type": []any{"number", "null"}}})
	schemas := map[string]any{
		"PolicyInput": obj([]string{"code", "document_number", "title", "issuer", "period", "window_from", "window_to", "mode",
			"eligibility", "benefit", "budget_fen"}, input),
		"Policy":        obj(nil, policy),
		"PublishResult": obj(nil, map[string]any{"policy": ref("Policy"), "eligible_firms": integer, "offers": integer}),
		"ReasonInput":   obj(nil, map[string]any{"reason": str}),
		"PolicyMatches": obj(nil, map[string]any{"enterprise_id": str, "name": str, "park": str, "eligible_fen": fen,
			"matches": arr(obj(nil, matchView))}),
		"PolicyApplicationInput": obj(nil, map[string]any{"policy_id": str, "offer_id": str, "enterprise_id": str, "materials": arr(material)}),
		"PolicyApplication":      app,
		"DisbursementInput":      obj([]string{"reference"}, map[string]any{"reference": str}),
		"PolicyLedger": obj(nil, map[string]any{"policy_id": str, "entries": arr(ledgerEntry), "balance": obj(nil, map[string]any{
			"budget_fen": fen, "reserved_fen": fen, "paid_fen": fen, "remaining_fen": fen, "ledger_reserves_fen": fen,
			"ledger_pays_fen": fen, "ledger_releases_fen": fen, "balanced": boolean, "problems": strs})}),
		"PolicyOverview": obj(nil, map[string]any{"park": str, "policies": arr(figures), "budget_fen": fen, "reserved_fen": fen,
			"paid_fen": fen, "remaining_fen": fen}),
		"PolicyFirmView": obj(nil, map[string]any{"enterprise_id": str, "name": str, "park": str, "offers": arr(offer),
			"applications": arr(app), "payments": arr(ledgerEntry), "received_fen": fen, "reserved_fen": fen}),
	}
	return map[string]any{"paths": paths, "components": map[string]any{"schemas": schemas}}
}
