package liaison_test

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
	"github.com/parkdesk/parkdesk/services/liaison"
)

type httpEnv struct {
	*team
	srv    *httptest.Server
	signer *auth.Signer
}

func newHTTP(t *testing.T) *httpEnv {
	t.Helper()
	tm := newTeam(t)
	secret := strings.Repeat("k", 32)
	v, err := auth.NewVerifier(auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(liaison.MakeHTTPHandler(tm.svc, v, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return &httpEnv{team: tm, srv: srv, signer: signer}
}

// do sends a request as p (nobody when p is nil) and returns the status,
// content type and decoded body.
func (h *httpEnv) do(t *testing.T, p *auth.Principal, method, path, body string) (int, string, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if p != nil {
		tok, err := h.signer.Sign(*p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	if len(b) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, b, err)
		}
	}
	return res.StatusCode, res.Header.Get("Content-Type"), out
}

func TestHTTP(t *testing.T) {
	h := newHTTP(t)
	h.mustApply(demand(t, "t-1", firmID(1), h.clk.Now()))
	req := h.requestOf("t-1").ID
	primary, other, manager := officerP(h.primary), officerP(h.other), managerOf(park)
	tests := []struct {
		name         string
		as           *auth.Principal
		method, path string
		body         string
		status       int
		check        func(t *testing.T, body map[string]any)
	}{
		{"no token", nil, "GET", "/v1/liaison/firms/" + firmID(1), "", 401, nil},
		{"another officer's firm", &other, "GET", "/v1/liaison/firms/" + firmID(1), "", 403, nil},
		{"own firm", &primary, "GET", "/v1/liaison/firms/" + firmID(1), "", 200, func(t *testing.T, b map[string]any) {
			if b["officer"].(map[string]any)["id"] != h.primary {
				t.Fatalf("firm %v", b)
			}
		}},
		{"unknown firm", &manager, "GET", "/v1/liaison/firms/nope", "", 404, nil},
		{"my queue", &primary, "GET", "/v1/liaison/queue", "", 200, func(t *testing.T, b map[string]any) {
			if rs := b["requests"].([]any); len(rs) != 1 || rs[0].(map[string]any)["id"] != req {
				t.Fatalf("queue %v", b)
			}
		}},
		{"another officer signs", &other, "POST", "/v1/liaison/requests/" + req + "/ack", "", 403, nil},
		{"the officer signs", &primary, "POST", "/v1/liaison/requests/" + req + "/ack", "", 200, func(t *testing.T, b map[string]any) {
			if b["state"] != "acknowledged" {
				t.Fatalf("request %v", b)
			}
		}},
		{"return without reason", &primary, "POST", "/v1/liaison/requests/" + req + "/return", `{}`, 400, func(t *testing.T, b map[string]any) {
			if !strings.Contains(b["errors"].([]any)[0].(map[string]any)["field"].(string), "reason") {
				t.Fatalf("problem %v", b)
			}
		}},
		{"chase without a body", &manager, "POST", "/v1/liaison/requests/" + req + "/chase", "", 201, func(t *testing.T, b map[string]any) {
			if b["count"] != 1.0 || b["holder_id"] != h.primary {
				t.Fatalf("chase %v", b)
			}
		}},
		{"visit with an unknown field", &primary, "POST", "/v1/liaison/visits", `{"enterprise_id":"x","when":"today"}`, 400, nil},
		{"visit missing fields", &primary, "POST", "/v1/liaison/visits", `{"enterprise_id":"` + firmID(1) + `"}`, 400, func(t *testing.T, b map[string]any) {
			if len(b["errors"].([]any)) != 2 {
				t.Fatalf("problem %v", b)
			}
		}},
		{"visit", &primary, "POST", "/v1/liaison/visits", `{"enterprise_id":"` + firmID(1) + `","visited_at":"2026-03-02","people_met":["张伟"],"issues":[{"description":"道路照明不足","open_ticket":true}]}`, 201, func(t *testing.T, b map[string]any) {
			if b["id"] == "" || len(b["issues"].([]any)) != 1 {
				t.Fatalf("visit %v", b)
			}
		}},
		{"promise", &primary, "POST", "/v1/liaison/promises", `{"enterprise_id":"` + firmID(1) + `","content":"两周内答复","due_on":"2026-03-16"}`, 201, nil},
		{"officers of the park", &primary, "GET", "/v1/officers", "", 200, func(t *testing.T, b map[string]any) {
			if len(b["officers"].([]any)) != 3 {
				t.Fatalf("officers %v", b)
			}
		}},
		{"an officer may not add officers", &primary, "POST", "/v1/officers", `{"name":"x","cap":3}`, 403, nil},
		{"a manager adds one", &manager, "POST", "/v1/officers", `{"name":"孙磊","cap":20,"industries":["c39"],"departments":["commerce"]}`, 201, func(t *testing.T, b map[string]any) {
			if b["park"] != park || b["status"] != "active" || b["industries"].([]any)[0] != "C39" {
				t.Fatalf("officer %v", b)
			}
		}},
		{"a bad cap", &manager, "PATCH", "/v1/officers/" + h.other, `{"cap":-2}`, 400, nil},
		{"reassign to an unknown officer", &manager, "PUT", "/v1/liaison/firms/" + firmID(1) + "/assignment", `{"officer_id":"nobody"}`, 422, nil},
		{"overview", &manager, "GET", "/v1/liaison/overview?from=2026-03-01&to=2026-03-02", "", 200, func(t *testing.T, b map[string]any) {
			if len(b["officers"].([]any)) != 4 {
				t.Fatalf("overview %v", b)
			}
		}},
		{"overview with a bad date", &manager, "GET", "/v1/liaison/overview?from=yesterday", "", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ctype, body := h.do(t, tt.as, tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			if status >= 400 && ctype != "application/problem+json" {
				t.Fatalf("content type %q", ctype)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

// TestOpenAPIDescribesEveryRoute: each route the handler serves is in the
// OpenAPI fragment with its method, and each documented one is served.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := newHTTP(t)
	spec := liaison.OpenAPI()
	paths := spec["paths"].(map[string]any)
	n := 0
	for path, ops := range paths {
		for method := range ops.(map[string]any) {
			n++
			concrete := strings.ReplaceAll(path, "{id}", "x")
			status, _, _ := h.do(t, nil, strings.ToUpper(method), concrete, "")
			// Without a token: 401, or 400 for a route whose body is decoded first.
			if status != 401 && status != 400 {
				t.Errorf("%s %s answered %d, want 401 or 400 (not routed?)", method, path, status)
			}
		}
	}
	if status, _, _ := h.do(t, nil, "DELETE", "/v1/liaison/firms/x", ""); status != 405 {
		t.Fatalf("an undocumented method answered %d", status)
	}
	if n != 20 {
		t.Fatalf("%d operations documented, want 20", n)
	}
	schemas := spec["components"].(map[string]any)["schemas"].(map[string]any)
	b, _ := json.Marshal(spec)
	for _, ref := range strings.Split(string(b), `"$ref":"#/components/schemas/`)[1:] {
		name := ref[:strings.IndexByte(ref, '"')]
		if _, ok := schemas[name]; !ok {
			t.Errorf("schema %s is referenced but not defined", name)
		}
	}
}
