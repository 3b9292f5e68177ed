package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

func ok(context.Context) error { return nil }

func TestHealth(t *testing.T) {
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		wantFailed []fault.FieldError
	}{
		{name: "no checks", wantStatus: 200},
		{name: "all pass", checks: []Check{{"postgres", ok}, {"nats", ok}}, wantStatus: 200},
		{
			name:       "failures sorted by name",
			checks:     []Check{{"postgres", func(context.Context) error { return errors.New("refused") }}, {"nats", ok}, {"calendar", func(context.Context) error { panic("boom") }}},
			wantStatus: 503,
			wantFailed: []fault.FieldError{{Field: "calendar", Reason: "failed"}, {Field: "postgres", Reason: "failed"}},
		},
		{
			name:       "hung check times out",
			checks:     []Check{{"nats", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}, {"postgres", ok}},
			wantStatus: 503,
			wantFailed: []fault.FieldError{{Field: "nats", Reason: "timed out"}},
		},
		{
			name:       "check ignoring its context is abandoned",
			checks:     []Check{{"stuck", func(context.Context) error { select {} }}},
			wantStatus: 503,
			wantFailed: []fault.FieldError{{Field: "stuck", Reason: "timed out"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := health(50*time.Millisecond, tt.checks)

			live := httptest.NewRecorder()
			h.ServeHTTP(live, httptest.NewRequest("GET", "/healthz", nil))
			if live.Code != 200 {
				t.Fatalf("/healthz = %d, want 200 whatever the checks say", live.Code)
			}

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("/readyz = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus == 200 {
				if rec.Body.String() != "{\"status\":\"ready\"}\n" {
					t.Fatalf("body = %q", rec.Body)
				}
				return
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Errors) != len(tt.wantFailed) {
				t.Fatalf("failed = %+v, want %+v", p.Errors, tt.wantFailed)
			}
			for i := range p.Errors {
				if p.Errors[i] != tt.wantFailed[i] {
					t.Fatalf("failed = %+v, want %+v", p.Errors, tt.wantFailed)
				}
			}
		})
	}
}

func TestHealthRunsChecksConcurrently(t *testing.T) {
	// Each check waits for the other to start: run one after the other,
	// they both time out.
	a, b := make(chan struct{}), make(chan struct{})
	meet := func(mine, theirs chan struct{}) func(context.Context) error {
		return func(ctx context.Context) error {
			close(mine)
			select {
			case <-theirs:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	h := health(5*time.Second, []Check{{"a", meet(a, b)}, {"b", meet(b, a)}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/readyz = %d: %s", rec.Code, rec.Body)
	}
}

func TestHealthRejectsBadChecks(t *testing.T) {
	for name, checks := range map[string][]Check{
		"no name":   {{"", ok}},
		"no func":   {{"db", nil}},
		"duplicate": {{"db", ok}, {"db", ok}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("did not panic")
				}
			}()
			Health(checks...)
		})
	}
}
