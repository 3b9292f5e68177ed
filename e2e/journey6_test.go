package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
)

// journeyScopes is the scope journey: each role is refused what is not
// theirs — another firm's ticket, another officer's firm, another park's
// overview, another department's task — through the gateway, as the
// services check it. Firm A files a licence and a demand for the purpose;
// the other journeys' tickets are checked too when they left them.
func (s *suite) journeyScopes(t *testing.T) {
	firmAc, firmBc := s.as(s.firm(firmA)), s.as(s.firm(firmB))
	a1, a3 := s.as(s.officer(officerA1)), s.as(s.officer(officerA3))
	mgr, other, admin := s.as(s.manager()), s.as(s.otherManager()), s.as(s.admin())
	window, market := s.as(s.staff("approval-office")), s.as(s.staff("market"))
	otherWindow := s.as(auth.Principal{Subject: "e2e-staff-hitech", Role: auth.RoleStaff, Park: otherPark, Departments: []string{"approval-office"}})

	var mats []materialInput
	for _, code := range []string{"application-form", "articles", "id-documents", "premises-proof"} {
		mats = append(mats, firmAc.upload(t, code))
	}
	var tk ticket
	firmAc.post(t, "/v1/tickets", map[string]any{"matter_code": "business-license", "materials": mats},
		"Idempotency-Key", "e2e-scopes-licence").into(t, 201, &tk)
	var demand ticket
	firmAc.post(t, "/v1/tickets", map[string]any{"demand": map[string]string{"title": "停车位不足", "description": "申请协调园区停车位"}},
		"Idempotency-Key", "e2e-scopes-demand").into(t, 201, &demand)
	var demandB ticket
	firmBc.post(t, "/v1/tickets", map[string]any{"demand": map[string]string{"title": "用工对接", "description": "希望参加园区招聘会"}},
		"Idempotency-Key", "e2e-scopes-demand-b").into(t, 201, &demandB)
	var accTask task
	for _, a := range window.tasksOf(t, tk.ID, "acceptance", 1) {
		accTask = a
	}
	dispatch := s.events.one(t, "liaison.request.dispatched", "the scope demand reaches the officer", func(e seen) bool {
		return e.Payload.(*liaisonpb.RequestDispatched).GetTicketId() == demand.ID
	})
	request := dispatch.Payload.(*liaisonpb.RequestDispatched).GetOriginRequestId()
	wf := firmAc.ticketWhen(t, tk.ID, "its workflow known", func(x ticket) bool {
		return len(x.Items) == 1 && x.Items[0].WorkflowID != ""
	}).Items[0].WorkflowID

	tickets := []string{tk.ID, demand.ID}
	for _, id := range []string{s.bundle, s.demand, s.permit} {
		if id != "" {
			tickets = append(tickets, id)
		}
	}
	ext := mustList(t, mgr, "/v1/sla/extensions", "extensions")

	checks := []scopeCheck{
		// Another firm's ticket, workflow, clocks, request and profile: not found.
		{"firm B reads firm A's profile", firmBc, "GET", "/v1/enterprises/" + firmA, nil, []int{404}},
		{"firm B reads firm A's workflow", firmBc, "GET", "/v1/workflows/" + wf, nil, []int{404}},
		{"firm B reads firm A's liaison request", firmBc, "GET", "/v1/liaison/requests/" + request, nil, []int{404}},
		{"firm B withdraws firm A's ticket", firmBc, "POST", "/v1/tickets/" + tk.ID + "/withdraw", map[string]string{"reason": "x"}, []int{404}},
		{"firm B answers firm A's correction", firmBc, "POST", "/v1/tickets/" + tk.ID + "/materials", map[string]any{"materials": mats}, []int{404}},
		{"firm B files for firm A", firmBc, "POST", "/v1/tickets", map[string]any{"enterprise_id": firmA, "matter_code": "business-license", "materials": mats}, []int{400, 422}},
		{"firm A works a queue", firmAc, "GET", "/v1/tasks", nil, []int{403}},
		{"firm A accepts its own ticket", firmAc, "POST", "/v1/tasks/" + accTask.ID + "/decision", map[string]any{"action": "accept"}, []int{403}},
		{"firm A reads the park's overview", firmAc, "GET", "/v1/sla/overview", nil, []int{403}},
		// Another officer's firm.
		{"officer a3 reads firm A", a3, "GET", "/v1/enterprises/" + firmA, nil, []int{404}},
		{"officer a3 reads firm A's assignment", a3, "GET", "/v1/liaison/firms/" + firmA, nil, []int{403, 404}},
		{"officer a3 signs for firm A's request", a3, "POST", "/v1/liaison/requests/" + request + "/ack", nil, []int{403, 404}},
		{"officer a3 logs a visit to firm A", a3, "POST", "/v1/liaison/visits", map[string]any{"enterprise_id": firmA,
			"visited_at": "2026-09-14", "people_met": []string{"张经理"}}, []int{403, 404}},
		{"officer a3 promises firm A", a3, "POST", "/v1/liaison/promises", map[string]any{"enterprise_id": firmA,
			"content": "x", "due_on": "2026-12-31"}, []int{403, 404}},
		{"officer a3 files for firm A", a3, "POST", "/v1/tickets", map[string]any{"enterprise_id": firmA,
			"demand": map[string]string{"title": "x", "description": "x"}}, []int{400, 422}},
		// Another department's and another park's staff.
		{"market accepts for the window", market, "POST", "/v1/tasks/" + accTask.ID + "/decision", map[string]any{"action": "accept"}, []int{403}},
		{"another park's window accepts", otherWindow, "POST", "/v1/tasks/" + accTask.ID + "/decision", map[string]any{"action": "accept"}, []int{404}},
		{"another park's window reads the task", otherWindow, "GET", "/v1/tasks/" + accTask.ID, nil, []int{404}},
		// Another park's manager.
		{"another park's manager reads this park's overview", other, "GET", "/v1/sla/overview?park=" + park, nil, []int{403}},
		{"another park's manager reads this park's breaches", other, "GET", "/v1/sla/breaches?park=" + park, nil, []int{403}},
		{"another park's manager follows this park's stream", other, "GET", "/v1/sla/stream?park=" + park, nil, []int{403}},
		{"another park's manager reads this park's officers", other, "GET", "/v1/liaison/overview?park=" + park, nil, []int{403}},
		{"another park's manager reads this park's queue", other, "GET", "/v1/tasks?park=" + park, nil, []int{403}},
		{"another park's manager reads firm A", other, "GET", "/v1/enterprises/" + firmA, nil, []int{404}},
		{"another park's manager reads the workflow", other, "GET", "/v1/workflows/" + wf, nil, []int{404}},
		{"another park's manager signs for the request", other, "POST", "/v1/liaison/requests/" + request + "/ack", nil, []int{404}},
		{"the manager reads another park's firm", mgr, "GET", "/v1/enterprises/" + firmOther, nil, []int{404}},
		{"the manager lists another park's tickets", mgr, "GET", "/v1/tickets?park=" + otherPark, nil, []int{403}},
		// Nobody without a valid token.
		{"no token", caller{s: s, who: "anonymous"}, "GET", "/v1/tickets/" + tk.ID, nil, []int{401}},
		{"a token of another secret", caller{s: s, who: "forger", token: forged(t)}, "GET", "/v1/tickets/" + tk.ID, nil, []int{401}},
	}
	for _, id := range tickets {
		checks = append(checks,
			scopeCheck{"firm B reads firm A's ticket " + id, firmBc, "GET", "/v1/tickets/" + id, nil, []int{404}},
			scopeCheck{"officer a3 reads firm A's ticket " + id, a3, "GET", "/v1/tickets/" + id, nil, []int{404}},
			scopeCheck{"another park's manager reads ticket " + id, other, "GET", "/v1/tickets/" + id, nil, []int{404}},
			scopeCheck{"firm B rates firm A's ticket " + id, firmBc, "POST", "/v1/tickets/" + id + "/rating", map[string]any{"score": 1, "comment": "x"}, []int{404}},
		)
	}
	if s.rated != "" {
		checks = append(checks, scopeCheck{"firm A reads firm B's ticket", firmAc, "GET", "/v1/tickets/" + s.rated, nil, []int{404}})
	}
	for _, x := range ext {
		checks = append(checks, scopeCheck{"another park's manager decides this park's extension", other, "POST", "/v1/sla/extensions/" + fmt.Sprint(x["id"]) + "/decision",
			map[string]string{"decision": "refuse", "reason": "x"}, []int{404}})
	}
	for _, c := range checks {
		r := c.c.do(t, c.method, c.path, c.body)
		ok := false
		for _, w := range c.want {
			ok = ok || r.Status == w
		}
		if !ok {
			t.Errorf("%s: want %v, got %s", c.name, c.want, r)
		}
	}

	// Lists are scoped, not refused: they show only what is the caller's.
	for firm, c := range map[string]caller{firmA: firmAc, firmB: firmBc} {
		own := map[string]bool{}
		for _, it := range mustList(t, c, "/v1/tickets?limit=200", "items") {
			own[fmt.Sprint(it["id"])] = true
			if it["enterprise_id"] != firm {
				t.Errorf("%s's ticket list shows %v of %v", c.who, it["id"], it["enterprise_id"])
			}
		}
		want := map[string]string{firmA: demand.ID, firmB: demandB.ID}[firm]
		if !own[want] {
			t.Errorf("%s's ticket list lacks its own demand %s", c.who, want)
		}
	}
	for _, it := range mustList(t, firmBc, "/v1/workflows?page_size=200", "items") {
		if it["enterprise_id"] != firmB {
			t.Errorf("firm B's workflows show %v of %v", it["id"], it["enterprise_id"])
		}
	}
	var clocks struct {
		Clocks []slaClock `json:"clocks"`
	}
	for _, c := range []caller{firmBc, a3, other} {
		c.get(t, "/v1/sla/clocks?ticket_id="+tk.ID).into(t, 200, &clocks)
		if len(clocks.Clocks) != 0 {
			t.Errorf("%s sees %d clocks of firm A's ticket", c.who, len(clocks.Clocks))
		}
	}
	for _, f := range mustList(t, a3, "/v1/liaison/firms", "firms") {
		if f["enterprise_id"] == firmA {
			t.Error("officer a3's firms include firm A")
		}
	}
	for _, r := range mustList(t, a3, "/v1/liaison/requests", "requests") {
		if r["enterprise_id"] == firmA {
			t.Errorf("officer a3's requests include firm A's %v", r["id"])
		}
	}
	for _, w := range mustList(t, market, "/v1/tasks?page_size=200", "items") {
		if w["department"] != "market" {
			t.Errorf("market's queue holds a %v task", w["department"])
		}
	}
	var ov struct {
		Groups []struct {
			Key string `json:"key"`
		} `json:"groups"`
	}
	other.get(t, "/v1/sla/overview?by=park&from=2026-09-01").into(t, 200, &ov)
	for _, g := range ov.Groups {
		if g.Key != otherPark {
			t.Errorf("another park's manager's overview shows %q", g.Key)
		}
	}

	// Positive controls: the same reads by those whose they are.
	for _, c := range []struct {
		name string
		c    caller
		path string
	}{
		{"firm A reads its ticket", firmAc, "/v1/tickets/" + tk.ID},
		{"officer a1 reads firm A's ticket", a1, "/v1/tickets/" + tk.ID},
		{"officer a1 reads firm A's assignment", a1, "/v1/liaison/firms/" + firmA},
		{"officer a1 reads firm A's request", a1, "/v1/liaison/requests/" + request},
		{"the manager reads the overview", mgr, "/v1/sla/overview"},
		{"the window reads its task", window, "/v1/tasks/" + accTask.ID},
		{"the admin reads this park's overview", admin, "/v1/sla/overview?park=" + park},
		{"firm A reads its workflow", firmAc, "/v1/workflows/" + wf},
	} {
		if r := c.c.get(t, c.path); r.Status != http.StatusOK {
			t.Errorf("%s: %s", c.name, r)
		}
	}
}

// scopeCheck is a request someone must be refused, and the statuses that refuse it.
type scopeCheck struct {
	name   string
	c      caller
	method string
	path   string
	body   any
	want   []int
}

// mustList GETs path and returns the objects under key.
func mustList(t *testing.T, c caller, path, key string) []map[string]any {
	t.Helper()
	var body map[string]json.RawMessage
	c.get(t, path).into(t, 200, &body)
	var out []map[string]any
	if err := json.Unmarshal(body[key], &out); err != nil {
		t.Fatalf("GET %s: %q: %v", path, key, err)
	}
	return out
}

// forged is a well-formed token signed with a secret the stack does not know.
func forged(t *testing.T) string {
	t.Helper()
	signer, err := auth.NewHMACSigner("not-the-stack-secret-0123456789abcdef", "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Sign(auth.Principal{Subject: "forger", Role: auth.RoleAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
