package approval_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/services/approval"
)

const (
	secret   = "approval-test-secret-0123456789abcdef"
	issuer   = "parkdesk"
	audience = "parkdesk-api"
)

// api serves e's service over HTTP with real tokens.
type api struct {
	t      *testing.T
	srv    *httptest.Server
	signer *auth.Signer
}

func newAPI(t *testing.T, e *env) *api {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Issuer: issuer, Audience: audience, HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(secret, issuer, audience)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(approval.MakeHTTPHandler(e.svc, v, logger))
	t.Cleanup(srv.Close)
	return &api{t: t, srv: srv, signer: signer}
}

// do sends a request as who (nil: anonymous) and decodes a JSON answer into out.
func (a *api) do(who *auth.Principal, method, path, body string, out any, headers ...string) int {
	a.t.Helper()
	req, err := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if who != nil {
		tok, err := a.signer.Sign(*who, time.Hour)
		if err != nil {
			a.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		a.t.Fatalf("%s %s: %d with %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// TestHTTPFlow: through the HTTP API, a ticket appears in the window's
// queue, is accepted, corrected and approved; the firm sees the decision number.
func TestHTTPFlow(t *testing.T) {
	e := newEnv(t)
	a := newAPI(t, e)
	e.mustApply(e.submitted(ticket{id: "t-http", matters: []string{"fire-acceptance"}, commitment: 10}))

	var queue approval.TaskPage
	if code := a.do(&window, "GET", "/v1/tasks", "", &queue); code != 200 || len(queue.Items) != 1 || queue.Items[0].TicketID != "t-http" {
		t.Fatalf("window queue %d %+v", code, queue)
	}
	acc := queue.Items[0]
	var problem struct {
		Status int `json:"status"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	tests := []struct {
		name   string
		who    *auth.Principal
		method string
		path   string
		body   string
		want   int
	}{
		{"anonymous", nil, "GET", "/v1/tasks", "", 401},
		{"wrong department", &housing, "POST", "/v1/tasks/" + acc.ID + "/decision", `{"action":"accept"}`, 403},
		{"unknown field", &window, "POST", "/v1/tasks/" + acc.ID + "/decision", `{"action":"accept","colour":"red"}`, 400},
		{"unknown action", &window, "POST", "/v1/tasks/" + acc.ID + "/decision", `{"action":"stamp"}`, 400},
		{"unknown task", &window, "POST", "/v1/tasks/0191c0de-0000-7000-8000-000000000000/decision", `{"action":"accept"}`, 404},
		{"not a task id", &window, "GET", "/v1/tasks/nope", "", 404},
		{"firm has no queue", ptr(authEnterprise("firm-1")), "GET", "/v1/tasks", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := a.do(tt.who, tt.method, tt.path, tt.body, &problem); code != tt.want || problem.Status != tt.want {
				t.Fatalf("status %d (%d), want %d", code, problem.Status, tt.want)
			}
		})
	}
	if a.do(&window, "POST", "/v1/tasks/"+acc.ID+"/decision", `{"action":"not_accept"}`, &problem); len(problem.Errors) != 1 || problem.Errors[0].Field != "reason" {
		t.Fatalf("problem %+v, want the reason named", problem)
	}

	var res approval.DecisionResult
	if code := a.do(&window, "POST", "/v1/tasks/"+acc.ID+"/decision", `{"action":"accept"}`, &res, "Idempotency-Key", "acc-1"); code != 200 || res.Workflow.State != approval.StateInReview {
		t.Fatalf("accept %d %+v", code, res.Workflow)
	}
	if code := a.do(&window, "POST", "/v1/tasks/"+acc.ID+"/decision", `{"action":"accept"}`, &res, "Idempotency-Key", "acc-1"); code != 200 || !res.Replayed {
		t.Fatalf("replayed accept %d %v", code, res.Replayed)
	}
	wf := res.Workflow.ID
	if code := a.do(&housing, "GET", "/v1/tasks", "", &queue); code != 200 || len(queue.Items) != 1 || queue.Items[0].WorkflowID != wf {
		t.Fatalf("housing queue %d %+v", code, queue)
	}
	review := queue.Items[0].ID
	if code := a.do(&housing, "POST", "/v1/tasks/"+review+"/decision", `{"action":"request_correction","items":["消防设施检测报告"]}`, &res); code != 200 || res.Workflow.State != approval.StateCorrection {
		t.Fatalf("correction %d %s", code, res.Workflow.State)
	}
	if code := a.do(&housing, "POST", "/v1/tasks/"+review+"/decision", `{"action":"approve"}`, &problem); code != 409 {
		t.Fatalf("approve while paused: %d", code)
	}
	e.mustApply(e.ev(event.TicketMaterialsSupplied, "ticket", "t-http", &intakepb.TicketMaterialsSupplied{TicketId: "t-http"}))
	a.do(&housing, "POST", "/v1/tasks/"+review+"/decision", `{"action":"approve","reason":"验收合格"}`, &res)
	a.do(&housing, "GET", "/v1/tasks", "", &queue)
	if code := a.do(&housing, "POST", "/v1/tasks/"+queue.Items[0].ID+"/decision", `{"action":"approve"}`, &res); code != 200 || res.Workflow.DecisionNumber != "望经开审〔2026〕0001号" {
		t.Fatalf("final approval %d %q", code, res.Workflow.DecisionNumber)
	}

	firm := authEnterprise("firm-1")
	var list approval.WorkflowPage
	if code := a.do(&firm, "GET", "/v1/workflows?ticket_id=t-http", "", &list); code != 200 || len(list.Items) != 1 || list.Items[0].DecisionNumber != "望经开审〔2026〕0001号" {
		t.Fatalf("the firm's list %d %+v", code, list)
	}
	other := authEnterprise("firm-2")
	if a.do(&other, "GET", "/v1/workflows?ticket_id=t-http", "", &list); len(list.Items) != 0 {
		t.Fatalf("another firm sees %+v", list.Items)
	}
	if code := a.do(&other, "GET", "/v1/workflows/"+wf, "", &problem); code != 404 {
		t.Fatalf("another firm reads the workflow: %d", code)
	}
	var hist struct {
		History []approval.HistoryEntry `json:"history"`
	}
	if code := a.do(&firm, "GET", "/v1/workflows/"+wf+"/history", "", &hist); code != 200 || len(hist.History) < 8 {
		t.Fatalf("history %d, %d entries", code, len(hist.History))
	}
	var defs struct {
		Definitions []approval.Definition `json:"definitions"`
	}
	if code := a.do(&firm, "GET", "/v1/workflows/definitions", "", &defs); code != 200 || len(defs.Definitions) != len(demoSeeds(t).Definitions) {
		t.Fatalf("definitions %d, %d", code, len(defs.Definitions))
	}
	var spec struct {
		Paths map[string]any `json:"paths"`
	}
	if code := a.do(nil, "GET", "/openapi.json", "", &spec); code != 200 {
		t.Fatalf("openapi %d", code)
	}
	for _, p := range []string{"/v1/tasks", "/v1/tasks/{id}/decision", "/v1/workflows", "/v1/workflows/{id}/history"} {
		if spec.Paths[p] == nil {
			t.Errorf("openapi lacks %s", p)
		}
	}
}

func ptr[T any](v T) *T { return &v }
