package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

func hmacPair(t *testing.T) (*auth.Signer, *auth.Verifier) {
	t.Helper()
	s, err := auth.NewHMACSigner(secret, issuer, audience)
	if err != nil {
		t.Fatal(err)
	}
	return s, mustVerifier(t, auth.Config{Issuer: issuer, Audience: audience, HMACSecret: secret})
}

func TestHTTPToContext(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi"},
		{"bearer abc", "abc"},
		{"Bearer   abc  ", "abc"},
		{"Basic dXNlcjpwYXNz", ""},
		{"Bearer", ""},
		{"Bearer ", ""},
		{"", ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", tt.header)
		got, ok := auth.TokenFrom(auth.HTTPToContext()(context.Background(), req))
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Authorization %q: token %q, %v; want %q", tt.header, got, ok, tt.want)
		}
	}
}

func TestMiddleware(t *testing.T) {
	s, v := hmacPair(t)
	good, err := s.Sign(staff, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		ctx     context.Context
		wantErr error
	}{
		{"valid token", auth.WithToken(context.Background(), good), nil},
		{"no token", context.Background(), fault.ErrUnauthenticated},
		{"bad token", auth.WithToken(context.Background(), good+"x"), fault.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			ep := auth.Middleware(v)(func(ctx context.Context, req any) (any, error) {
				called = true
				p, err := auth.Authenticated(ctx)
				if err != nil {
					return nil, err
				}
				return p.Subject, nil
			})
			resp, err := ep(tt.ctx, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && called {
				t.Fatal("endpoint called without a valid token")
			}
			if tt.wantErr == nil && resp != staff.Subject {
				t.Fatalf("endpoint saw subject %v, want %q", resp, staff.Subject)
			}
		})
	}
}

func TestHTTPMiddleware(t *testing.T) {
	s, v := hmacPair(t)
	good, err := s.Sign(firm, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h := auth.HTTPMiddleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		_, _ = w.Write([]byte(p.EnterpriseID))
	}))
	tests := []struct {
		name       string
		header     string
		wantStatus int
		wantBody   string
	}{
		{"valid", "Bearer " + good, 200, "e-1"},
		{"missing", "", 401, ""},
		{"invalid", "Bearer nope", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/v1/sla/stream", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.wantStatus == 401 {
				if rec.Header().Get("Content-Type") != "application/problem+json" || rec.Header().Get("WWW-Authenticate") == "" {
					t.Fatalf("401 headers = %v", rec.Header())
				}
				return
			}
			if rec.Body.String() != tt.wantBody {
				t.Fatalf("body = %q, want %q", rec.Body, tt.wantBody)
			}
		})
	}
}

func TestMiddlewaresRejectNil(t *testing.T) {
	_, v := hmacPair(t)
	for name, f := range map[string]func(){
		"Middleware":          func() { auth.Middleware(nil) },
		"HTTPMiddleware":      func() { auth.HTTPMiddleware(nil, http.NotFoundHandler()) },
		"HTTPMiddleware next": func() { auth.HTTPMiddleware(v, nil) },
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
