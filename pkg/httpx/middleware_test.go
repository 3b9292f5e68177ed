package httpx_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

func TestRequestID(t *testing.T) {
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{name: "missing generates", incoming: ""},
		{name: "valid kept", incoming: "gw-0193b2c4-aaaa", keep: true},
		{name: "control characters replaced", incoming: "abc\x01def"},
		{name: "too long replaced", incoming: strings.Repeat("a", 129)},
		{name: "non ascii replaced", incoming: "请求-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inCtx string
			h := httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inCtx = httpx.RequestIDFrom(r.Context())
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tt.incoming != "" {
				req.Header.Set(httpx.HeaderRequestID, tt.incoming)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			out := rec.Header().Get(httpx.HeaderRequestID)
			if out == "" || out != inCtx {
				t.Fatalf("header %q, context %q: want the same non-empty id", out, inCtx)
			}
			if tt.keep {
				if out != tt.incoming {
					t.Fatalf("id = %q, want the incoming %q", out, tt.incoming)
				}
				return
			}
			id, err := uuid.Parse(out)
			if err != nil || id.Version() != 7 {
				t.Fatalf("generated id %q is not a UUIDv7 (%v)", out, err)
			}
		})
	}
}

func TestTrace(t *testing.T) {
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, header := range []string{parent, "", "garbage"} {
		var got telemetry.Traceparent
		var ok bool
		h := httpx.Trace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, ok = telemetry.TraceFrom(r.Context())
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set(httpx.HeaderTraceparent, header)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if !ok {
			t.Fatalf("header %q: no trace in context", header)
		}
		continued := got.TraceIDString() == "4bf92f3577b34da6a3ce929d0e0e4736"
		if continued != (header == parent) {
			t.Fatalf("header %q: trace %s, continued = %v", header, got, continued)
		}
		if got.String() == parent {
			t.Fatal("the caller's span id was reused instead of a child span")
		}
	}
}

func TestRecover(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := httpx.RequestID(httpx.Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("nil map in decision handler")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/tasks/1/decision", nil))

	p := decodeProblem(t, rec)
	if p.Status != 500 || strings.Contains(p.Detail, "nil map") || p.RequestID == "" {
		t.Fatalf("problem = %+v", p)
	}
	if !strings.Contains(logs.String(), "nil map in decision handler") || !strings.Contains(logs.String(), "goroutine") {
		t.Fatalf("panic or stack not logged: %s", logs.String())
	}
}

func TestRecoverAfterWriteKeepsResponse(t *testing.T) {
	logger := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	h := httpx.Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("partial"))
		panic("late")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusAccepted || rec.Body.String() != "partial" {
		t.Fatalf("got %d %q, want the handler's own response untouched", rec.Code, rec.Body)
	}
}

func TestRecoverRepanicsAbort(t *testing.T) {
	logger := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	h := httpx.Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler re-panicked", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

func TestLimitBodyRejectsDeclaredLength(t *testing.T) {
	called := false
	h := httpx.LimitBody(8)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("0123456789")))
	if called || rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("called = %v, status = %d; want 413 without calling the handler", called, rec.Code)
	}
	decodeProblem(t, rec)
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	logger := telemetry.NewLogger("gateway", slog.LevelInfo, &logs)
	h := httpx.RequestID(httpx.AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("short and stout"))
	})))
	req := httptest.NewRequest("GET", "/v1/sla/overview", nil)
	req.Header.Set(httpx.HeaderRequestID, "req-42")
	h.ServeHTTP(httptest.NewRecorder(), req)

	var rec map[string]any
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("access log %q: %v", logs.String(), err)
	}
	want := map[string]any{"method": "GET", "path": "/v1/sla/overview", "status": 418.0, "bytes": 15.0, "request_id": "req-42", "service": "gateway"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	if _, ok := rec["duration"]; !ok {
		t.Error("no duration")
	}
	if strings.Count(logs.String(), "request_id") != 1 {
		t.Errorf("request_id duplicated: %s", logs.String())
	}
}

func TestAccessLogKeepsStreaming(t *testing.T) {
	logger := slog.New(slog.NewJSONHandler(&bytes.Buffer{}, nil))
	var isFlusher bool
	h := httpx.AccessLog(logger)(httpx.Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f http.Flusher
		f, isFlusher = w.(http.Flusher)
		if isFlusher {
			_, _ = w.Write([]byte("data: warned\n\n"))
			f.Flush()
		}
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/sla/stream", nil))
	if !isFlusher || !rec.Flushed {
		t.Fatalf("Flusher = %v, flushed = %v: SSE would not stream through the middlewares", isFlusher, rec.Flushed)
	}
}

func TestMiddlewaresRejectNil(t *testing.T) {
	for name, f := range map[string]func(){
		"Recover":      func() { httpx.Recover(nil) },
		"AccessLog":    func() { httpx.AccessLog(nil) },
		"ErrorEncoder": func() { httpx.ErrorEncoder(nil) },
		"LimitBody":    func() { httpx.LimitBody(0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("did not panic")
				}
			}()
			f()
		})
	}
}
