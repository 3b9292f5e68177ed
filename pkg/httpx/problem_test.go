package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	httptransport "github.com/go-kit/kit/transport/http"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 200},
		{"invalid", fault.Invalid("x", "bad"), 400},
		{"unauthenticated", fault.Unauthenticated("no"), 401},
		{"forbidden", fault.Forbidden("no"), 403},
		{"not found wrapped", fmt.Errorf("get ticket: %w", fault.NotFound("ticket")), 404},
		{"conflict sentinel wrapped", fmt.Errorf("close: %w", fault.ErrConflict), 409},
		{"precondition", fault.Precondition("stale"), 412},
		{"too large", fault.TooLarge("big"), 413},
		{"unprocessable fields", fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "materials", Reason: "missing"}), 422},
		{"unavailable", fault.Unavailable("db down", errors.New("dial")), 503},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), 504},
		{"canceled", context.Canceled, httpx.StatusClientClosedRequest},
		{"max bytes", &http.MaxBytesError{Limit: 10}, 413},
		{"unknown", errors.New("boom"), 500},
		{"fault kind wins over deadline", fault.Wrap(fault.ErrUnavailable, "nats down", context.DeadlineExceeded), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpx.StatusOf(tt.err); got != tt.want {
				t.Fatalf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) httpx.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, httpx.ProblemContentType)
	}
	var p httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body, err)
	}
	if p.Status != rec.Code {
		t.Fatalf("problem status %d != response status %d", p.Status, rec.Code)
	}
	return p
}

func TestWriteProblem(t *testing.T) {
	secret := "pq: password authentication failed for user parkdesk"
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantDetail string
		wantFields []fault.FieldError
	}{
		{
			name:       "validation lists fields",
			err:        fmt.Errorf("submit: %w", fault.Fields(fault.ErrUnprocessable, fault.FieldError{Field: "materials.licence", Reason: "missing"}, fault.FieldError{Field: "materials.lease", Reason: "missing"})),
			wantStatus: 422,
			wantDetail: "unprocessable: materials.licence: missing; materials.lease: missing",
			wantFields: []fault.FieldError{{Field: "materials.licence", Reason: "missing"}, {Field: "materials.lease", Reason: "missing"}},
		},
		{
			name:       "fault message without wrapping ops",
			err:        fmt.Errorf("intake: get ticket 42: %w", fault.NotFound("ticket")),
			wantStatus: 404,
			wantDetail: "ticket not found",
		},
		{
			name:       "fault cause hidden",
			err:        fault.Wrap(fault.ErrConflict, "enterprise already registered", errors.New(secret)),
			wantStatus: 409,
			wantDetail: "enterprise already registered",
		},
		{
			name:       "bare sentinel shows chain",
			err:        fmt.Errorf("version 3 is stale: %w", fault.ErrPrecondition),
			wantStatus: 412,
			wantDetail: "version 3 is stale: precondition failed",
		},
		{
			name:       "server error detail is generic",
			err:        errors.New(secret),
			wantStatus: 500,
		},
		{
			name:       "unavailable detail is generic",
			err:        fault.Unavailable("postgres: "+secret, nil),
			wantStatus: 503,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/v1/tickets", nil)
			req = req.WithContext(telemetry.WithRequestID(req.Context(), "req-7"))
			httpx.WriteProblem(rec, req, tt.err)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			p := decodeProblem(t, rec)
			if p.Type != "about:blank" || p.Title != http.StatusText(tt.wantStatus) || p.Instance != "/v1/tickets" || p.RequestID != "req-7" {
				t.Fatalf("problem = %+v", p)
			}
			if tt.wantStatus >= 500 {
				if p.Detail == "" || strings.Contains(rec.Body.String(), "password") {
					t.Fatalf("5xx detail leaks or is empty: %s", rec.Body)
				}
			} else if p.Detail != tt.wantDetail {
				t.Fatalf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
			if fmt.Sprint(p.Errors) != fmt.Sprint(tt.wantFields) {
				t.Fatalf("errors = %+v, want %+v", p.Errors, tt.wantFields)
			}
		})
	}
}

func TestWriteProblemUnauthenticatedChallenges(t *testing.T) {
	rec := httptest.NewRecorder()
	httpx.WriteProblem(rec, httptest.NewRequest("GET", "/v1/tasks", nil), fault.Unauthenticated("token expired"))
	if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("status %d, WWW-Authenticate %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

func TestErrorEncoderLogsServerErrors(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	enc := httpx.ErrorEncoder(logger)

	ctx := context.WithValue(context.Background(), httptransport.ContextKeyRequestPath, "/v1/policies")
	rec := httptest.NewRecorder()
	enc(ctx, errors.New("relation \"policies\" does not exist"), rec)
	p := decodeProblem(t, rec)
	if p.Status != 500 || p.Instance != "/v1/policies" || strings.Contains(p.Detail, "relation") {
		t.Fatalf("problem = %+v", p)
	}
	if !strings.Contains(logs.String(), `relation \"policies\" does not exist`) {
		t.Fatalf("server error not logged: %q", logs.String())
	}

	logs.Reset()
	enc(ctx, fault.NotFound("policy"), httptest.NewRecorder())
	if logs.Len() != 0 {
		t.Fatalf("client error logged: %q", logs.String())
	}
}

type created struct {
	ID string `json:"id"`
}

func (created) StatusCode() int { return http.StatusCreated }

func TestEncodeJSON(t *testing.T) {
	tests := []struct {
		name       string
		resp       any
		wantStatus int
		wantBody   string
		wantErr    bool
	}{
		{name: "plain", resp: map[string]int{"n": 1}, wantStatus: 200, wantBody: `{"n":1}` + "\n"},
		{name: "status coder", resp: created{ID: "t-1"}, wantStatus: 201, wantBody: `{"id":"t-1"}` + "\n"},
		{name: "nil", resp: nil, wantStatus: 200, wantBody: ""},
		{name: "unencodable", resp: map[string]any{"c": make(chan int)}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := httpx.EncodeJSON(context.Background(), rec, tt.resp)
			if tt.wantErr {
				if err == nil {
					t.Fatal("EncodeJSON of an unencodable value returned nil")
				}
				if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
					t.Fatal("EncodeJSON wrote a partial response before failing")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantBody != "" && rec.Header().Get("Content-Type") != httpx.JSONContentType {
				t.Fatalf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
		})
	}
}
