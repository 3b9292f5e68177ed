package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"context"
	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/services/gateway"
)

const secret = "test-secret-test-secret-test-secret-0123456789"

func verifier(t *testing.T) (*auth.Verifier, *auth.Signer) {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	return v, s
}

func TestProxyRoutesByLongestPrefixAndRequiresToken(t *testing.T) {
	upstream := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, name+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")[:6])
		}))
	}
	sla, stream := upstream("sla"), upstream("stream")
	defer sla.Close()
	defer stream.Close()
	routes, err := gateway.ParseRoutes("/v1/sla=" + sla.URL + ",/v1/calendars=" + sla.URL + ",/v1/sla/stream=" + stream.URL +
		",/v1/enterprises=" + sla.URL + ",/v1/enterprises/*/policy-matches=" + stream.URL)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(gateway.Upstreams(routes)); n != 2 {
		t.Errorf("%d upstreams, want 2", n)
	}
	v, s := verifier(t)
	h, err := gateway.NewProxy(v, routes)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := s.Sign(auth.Principal{Subject: "m1", Role: auth.RoleManager, Park: "wangcheng"}, time.Hour)
	cases := []struct {
		path, token string
		status      int
		body        string
	}{
		{"/v1/sla/overview", tok, 200, "sla /v1/sla/overview auth=Bearer"},
		{"/v1/sla/stream", tok, 200, "stream /v1/sla/stream auth=Bearer"},
		{"/v1/calendars/wangcheng", tok, 200, "sla /v1/calendars/wangcheng auth=Bearer"},
		{"/v1/enterprises/e-1", tok, 200, "sla /v1/enterprises/e-1 auth=Bearer"},
		{"/v1/enterprises/e-1/policy-matches", tok, 200, "stream /v1/enterprises/e-1/policy-matches auth=Bearer"},
		{"/v1/enterprises//policy-matches", tok, 200, "sla /v1/enterprises//policy-matches auth=Bearer"},
		{"/v1/slab", tok, 404, ""},
		{"/v1/tickets", tok, 404, ""},
		{"/v1/sla/overview", "", 401, ""},
		{"/v1/sla/overview", "garbage", 401, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s token=%v: status %d, want %d (%s)", c.path, c.token != "", rec.Code, c.status, rec.Body)
			continue
		}
		if c.body != "" && rec.Body.String() != c.body {
			t.Errorf("%s: body %q, want %q", c.path, rec.Body, c.body)
		}
		if c.status >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: error content type %q", c.path, rec.Header().Get("Content-Type"))
		}
	}
}

func TestUpstreamDownIs503Problem(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	routes, _ := gateway.ParseRoutes("/v1/sla=" + dead.URL)
	v, s := verifier(t)
	h, _ := gateway.NewProxy(v, routes)
	tok, _ := s.Sign(auth.Principal{Subject: "a", Role: auth.RoleAdmin}, time.Hour)
	req := httptest.NewRequest("GET", "/v1/sla/overview", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
}

func TestParseRoutesRejects(t *testing.T) {
	for _, s := range []string{"sla=http://x", "/v1/sla", "/v1/sla=notaurl", "/api/sla=http://x:1"} {
		if _, err := gateway.ParseRoutes(s); err == nil {
			t.Errorf("ParseRoutes(%q) accepted", s)
		}
	}
}

func TestOpenAPIMergesUpstreams(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"paths":{"/v1/calendars/{park}":{"get":{}}},"components":{"schemas":{"Calendar":{"type":"object"}}}}`)
	}))
	defer up.Close()
	dead := &url.URL{Scheme: "http", Host: "127.0.0.1:1"}
	u, _ := url.Parse(up.URL)
	rec := httptest.NewRecorder()
	gateway.OpenAPI(gateway.Spec(true), []*url.URL{u, dead}, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths      map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
		Missing []string `json:"x-missing"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/v1/calendars/{park}", "/v1/dev/clock"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("path %s missing", p)
		}
	}
	if _, ok := doc.Components.Schemas["Calendar"]; !ok {
		t.Error("schema Calendar missing")
	}
	if len(doc.Missing) != 1 || doc.Missing[0] != "127.0.0.1:1" {
		t.Errorf("x-missing = %v", doc.Missing)
	}
}

type memStore struct{ d time.Duration }

func (m *memStore) SetOffset(_ context.Context, d time.Duration) error { m.d = d; return nil }

func TestDevClockAdvancesForManagersOnly(t *testing.T) {
	v, s := verifier(t)
	base := clock.NewManual(time.Date(2026, 9, 18, 10, 0, 0, 0, time.UTC))
	off := clock.NewOffset(base)
	store := &memStore{}
	h := gateway.DevClock(v, off, store)
	manager, _ := s.Sign(auth.Principal{Subject: "m", Role: auth.RoleManager, Park: "wangcheng"}, time.Hour)
	firm, _ := s.Sign(auth.Principal{Subject: "e", Role: auth.RoleEnterprise, Park: "wangcheng", EnterpriseID: "e1"}, time.Hour)
	post := func(tok, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/v1/dev/clock", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(firm, `{"advance":"1h"}`); rec.Code != 403 {
		t.Errorf("enterprise advanced the clock: %d", rec.Code)
	}
	if rec := post(manager, `{"advance":"-1h"}`); rec.Code != 400 || !strings.Contains(rec.Body.String(), "advance") {
		t.Errorf("negative advance: %d %s", rec.Code, rec.Body)
	}
	if rec := post(manager, `{"advance":"36h"}`); rec.Code != 200 {
		t.Fatalf("advance: %d %s", rec.Code, rec.Body)
	}
	if store.d != 36*time.Hour || !off.Now().Equal(base.Now().Add(36*time.Hour)) {
		t.Errorf("offset %s, now %s", store.d, off.Now())
	}
	if rec := post(manager, `{"set":"2026-09-25T09:00:00+08:00"}`); rec.Code != 200 {
		t.Fatalf("set: %d %s", rec.Code, rec.Body)
	}
	if want := time.Date(2026, 9, 25, 1, 0, 0, 0, time.UTC); !off.Now().Equal(want) {
		t.Errorf("now %s, want %s", off.Now(), want)
	}
	if rec := post(manager, `{"set":"2026-01-01T00:00:00Z"}`); rec.Code != 400 {
		t.Errorf("moving back in time: %d", rec.Code)
	}
}

// atomicStore is an OffsetStore read by the upstreams' goroutines.
type atomicStore struct{ d atomic.Int64 }

func (a *atomicStore) SetOffset(_ context.Context, d time.Duration) error {
	a.d.Store(int64(d))
	return nil
}

// devService is an upstream telling its dev clock offset: it follows the
// stored offset only after lag answers.
func devService(t *testing.T, store *atomicStore, lag int64) (*url.URL, *atomic.Int64) {
	t.Helper()
	polls := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/dev/clock" {
			http.NotFound(w, r)
			return
		}
		var d time.Duration
		if polls.Add(1) > lag {
			d = time.Duration(store.d.Load())
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"now": time.Now().Add(d), "offset_ns": int64(d)})
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u, polls
}

func TestDevClockAnswersOnceEveryServiceFollows(t *testing.T) {
	store := &atomicStore{}
	prompt, _ := devService(t, store, 0)
	slow, polls := devService(t, store, 3)
	if err := gateway.Followed(store, []*url.URL{prompt, slow}).SetOffset(context.Background(), 36*time.Hour); err != nil {
		t.Fatalf("set: %v", err)
	}
	if store.d.Load() != int64(36*time.Hour) || polls.Load() < 4 {
		t.Errorf("stored %s; the slow service was asked %d times, want until it followed (4)", time.Duration(store.d.Load()), polls.Load())
	}

	never, _ := devService(t, store, 1<<40)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := gateway.Followed(store, []*url.URL{prompt, never}).SetOffset(ctx, 48*time.Hour)
	if err == nil || !strings.Contains(err.Error(), never.Host) {
		t.Errorf("a service that never follows: %v, want an error naming %s", err, never.Host)
	}
}
