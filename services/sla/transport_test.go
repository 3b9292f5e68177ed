package sla_test

import (
	"bufio"
	"context"
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
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/sla"
)

const secret = "test-secret-test-secret-test-secret-0123456789"

func tokens(t *testing.T) (*auth.Verifier, func(auth.Principal) string) {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Issuer: "parkdesk", Audience: "parkdesk-api", HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewHMACSigner(secret, "parkdesk", "parkdesk-api")
	if err != nil {
		t.Fatal(err)
	}
	return v, func(p auth.Principal) string {
		if p.Subject == "" {
			p.Subject = "u"
		}
		tok, err := s.Sign(p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

func call(t *testing.T, srv *httptest.Server, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, out
}

func TestHTTPAPI(t *testing.T) {
	e := newEnv(t, at(t, "2026-09-18 09:00"))
	e.mustApply(accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-09-18 10:00"), 3))
	c := e.clockOf("t-1", sla.KindResolution)
	v, sign := tokens(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(sla.MakeHTTPHandler(sla.LoggingMiddleware(logger)(e.service()), v, logger))
	defer srv.Close()
	mgr, stf := sign(manager), sign(staff)

	status, body := call(t, srv, "POST", "/v1/sla/clocks/"+c.ID+"/extension", stf, `{"working_days": 2, "reason": "专家论证"}`)
	if status != http.StatusCreated || body["state"] != "pending" {
		t.Fatalf("request extension: %d %v", status, body)
	}
	id := body["id"].(string)
	cases := []struct {
		name, method, path, token, body string
		status                          int
		check                           func(map[string]any) bool
	}{
		{"decision grants", "POST", "/v1/sla/extensions/" + id + "/decision", mgr, `{"decision": "grant"}`, 200,
			func(b map[string]any) bool {
				return b["state"] == "granted" && b["new_deadline"] == "2026-09-24T09:30:00Z"
			}},
		{"the ticket's clocks show it", "GET", "/v1/sla/clocks?ticket_id=t-1", stf, "", 200,
			func(b map[string]any) bool {
				cs := b["clocks"].([]any)
				return len(cs) == 1 && cs[0].(map[string]any)["extension_days"] == 2.0
			}},
		{"a second request conflicts", "POST", "/v1/sla/clocks/" + c.ID + "/extension", stf, `{"working_days": 1, "reason": "x"}`, 409, nil},
		{"unknown field", "POST", "/v1/sla/clocks/" + c.ID + "/extension", stf, `{"days": 1}`, 400, nil},
		{"no token", "GET", "/v1/sla/overview", "", "", 401, nil},
		{"overview", "GET", "/v1/sla/overview?from=2026-09-01&to=2026-09-30&by=matter", mgr, "", 200,
			func(b map[string]any) bool {
				return b["by"] == "matter" && b["from"] == "2026-08-31T16:00:00Z" && b["to"] == "2026-09-30T16:00:00Z"
			}},
		{"bad date names the field", "GET", "/v1/sla/overview?from=yesterday", mgr, "", 400,
			func(b map[string]any) bool { return strings.Contains(toJSON(b["errors"]), `"field":"from"`) }},
		{"bad page names the field", "GET", "/v1/sla/breaches?page=x", mgr, "", 400,
			func(b map[string]any) bool { return strings.Contains(toJSON(b["errors"]), `"field":"page"`) }},
		{"breaches", "GET", "/v1/sla/breaches?state=red", mgr, "", 200,
			func(b map[string]any) bool { return b["total"] == 0.0 && len(b["items"].([]any)) == 0 }},
		{"staff may not see the overview", "GET", "/v1/sla/overview", stf, "", 403, nil},
		{"an unknown clock", "GET", "/v1/sla/clocks/not-a-uuid", stf, "", 404, nil},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, srv, tt.method, tt.path, tt.token, tt.body)
			if status != tt.status || (tt.check != nil && !tt.check(body)) {
				t.Fatalf("%d %v, want %d", status, body, tt.status)
			}
		})
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestStreamSendsLiveAlertsOfTheManagersPark(t *testing.T) {
	nt := testenv.JetStream(t)
	v, sign := tokens(t)
	shutdown, stop := context.WithCancel(context.Background())
	defer stop()
	h, err := sla.NewStreamHandler(sla.StreamConfig{Conn: nt.Conn, Verifier: v, Shutdown: shutdown, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, c := range []struct {
		token  string
		status int
	}{{"", 401}, {sign(staff), 403}} {
		if status, _ := call(t, srv, "GET", "/v1/sla/stream", c.token, ""); status != c.status {
			t.Fatalf("status %d, want %d", status, c.status)
		}
	}

	req, _ := http.NewRequest("GET", srv.URL+"/v1/sla/stream", nil)
	req.Header.Set("Authorization", "Bearer "+sign(manager))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func(match func(string) bool) string {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatal("stream ended")
				}
				if match(l) {
					return l
				}
			case <-timeout:
				t.Fatal("timed out reading the stream")
			}
		}
	}
	next(func(l string) bool { return l == ": connected" })

	alert := func(typ, p string) event.Event {
		ev, err := event.New(typ, p, event.Aggregate{Type: "clock", ID: "c-1", Version: 2}, time.Now(),
			&slapb.ClockEvent{Clock: &slapb.Clock{ClockId: "c-1", Kind: "resolution", State: slapb.ClockState_CLOCK_STATE_YELLOW}})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	other, warned, breached := alert(event.ClockWarned, "liling"), alert(event.ClockWarned, park), alert(event.ClockBreached, park)
	publish(t, nt.JS, other, other.ID)
	publish(t, nt.JS, warned, warned.ID)
	publish(t, nt.JS, warned, warned.ID+"-republished")
	publish(t, nt.JS, breached, breached.ID)

	isData := func(l string) bool { return strings.HasPrefix(l, "data: ") }
	for _, want := range []event.Event{warned, breached} {
		var item sla.StreamItem
		if err := json.Unmarshal([]byte(strings.TrimPrefix(next(isData), "data: ")), &item); err != nil {
			t.Fatal(err)
		}
		if item.ID != want.ID || item.Type != want.Type || item.Park != park || item.State != "yellow" {
			t.Fatalf("got %+v, want %s %s", item, want.Type, want.ID)
		}
	}
	next(func(l string) bool { return l == ": heartbeat" })
	stop()
	for range lines {
	}
}
