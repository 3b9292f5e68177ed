package calendar_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/fault"
)

func TestAuthorization(t *testing.T) {
	e := newEnv(t, nil)
	due := dueURL("wangcheng", "start", "2026-09-18T10:00:00+08:00", "working_days", "3")
	dueLiling := dueURL("liling", "start", "2026-09-18T10:00:00+08:00", "working_days", "3")
	const put = "/v1/calendars/wangcheng/2027"
	tests := []struct {
		name         string
		who          *auth.Principal
		method, path string
		want         int
	}{
		{"anonymous get", nil, "GET", "/v1/calendars/wangcheng", 401},
		{"anonymous due", nil, "GET", due, 401},
		{"enterprise cannot put", &enterprise, "PUT", put, 403},
		{"enterprise cannot get", &enterprise, "GET", "/v1/calendars/wangcheng", 403},
		{"staff cannot put", &staff, "PUT", put, 403},
		{"enterprise asks due in its park", &enterprise, "GET", due, 200},
		{"liaison asks due in its park", &liaison, "GET", due, 200},
		{"staff asks due in its park", &staff, "GET", due, 200},
		{"enterprise cannot ask due in another park", &enterprise, "GET", dueLiling, 403},
		{"manager of another park cannot get", &otherManager, "GET", "/v1/calendars/wangcheng", 403},
		{"manager of another park cannot put", &otherManager, "PUT", put, 403},
		{"manager of another park cannot ask due", &otherManager, "GET", due, 403},
		{"manager gets own park", &manager, "GET", "/v1/calendars/wangcheng", 200},
		{"admin gets any park", &admin, "GET", "/v1/calendars/liling", 200},
		{"admin asks due anywhere", &admin, "GET", dueLiling, 200},
		{"admin gets unknown park", &admin, "GET", "/v1/calendars/atlantis", 404},
		{"manager of another park learns nothing of unknown park", &otherManager, "GET", "/v1/calendars/atlantis", 403},
	}
	before := load(t, e.Store, "wangcheng").Revision
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == "PUT" {
				body = body2027
			}
			rec := e.do(t, tt.who, tt.method, tt.path, body)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
	if after := load(t, e.Store, "wangcheng").Revision; after != before {
		t.Fatalf("forbidden PUTs changed the calendar: revision %d → %d", before, after)
	}
	for _, who := range []auth.Principal{manager, admin} {
		if rec := e.do(t, &who, "PUT", put, body2027); rec.Code != 200 {
			t.Errorf("%s PUT: status %d: %s", who.Role, rec.Code, rec.Body)
		}
	}
}

func TestBadTokenIs401(t *testing.T) {
	e := newEnv(t, nil)
	other, err := auth.NewHMACSigner("another-secret-that-is-long-enough-0123456789", issuer, audience)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := other.Sign(admin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	req := "/v1/calendars/wangcheng"
	for name, header := range map[string]string{"foreign signature": "Bearer " + tok, "not a JWT": "Bearer nope", "basic": "Basic YTpi"} {
		t.Run(name, func(t *testing.T) {
			problem(t, e.serve(t, "GET", req, "", header), 401)
		})
	}
}

func TestServiceRequiresAPrincipal(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.Svc.Get(context.Background(), "wangcheng"); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Errorf("Get without a principal: %v, want unauthenticated", err)
	}
	if _, err := e.Svc.Due(context.Background(), "wangcheng", time.Now(), 1, 0); !errors.Is(err, fault.ErrUnauthenticated) {
		t.Errorf("Due without a principal: %v, want unauthenticated", err)
	}
}
