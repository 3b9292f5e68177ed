package calendar_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var tpl = testenv.Template{Name: "slacal", Schema: "sla", Sets: []db.MigrationSet{calendar.Migrations}}

const (
	seedsDir = "../../../seeds"
	issuer   = "parkdesk"
	audience = "parkdesk-api"
	secret   = "calendar-tests-hmac-secret-0123456789abcdef"
)

var (
	admin        = auth.Principal{Subject: "u-admin", Role: auth.RoleAdmin}
	manager      = auth.Principal{Subject: "u-mgr-wangcheng", Role: auth.RoleManager, Park: "wangcheng"}
	otherManager = auth.Principal{Subject: "u-mgr-liling", Role: auth.RoleManager, Park: "liling"}
	enterprise   = auth.Principal{Subject: "u-ent", Role: auth.RoleEnterprise, Park: "wangcheng", EnterpriseID: "e-1"}
	liaison      = auth.Principal{Subject: "u-liaison", Role: auth.RoleLiaison, Park: "wangcheng", OfficerID: "o-1"}
	staff        = auth.Principal{Subject: "u-staff", Role: auth.RoleStaff, Park: "wangcheng", Departments: []string{"市场监管局"}}
)

// env is a seeded calendar service over a fresh database, as the sla
// service wires it, minus the listener.
type env struct {
	DB     *sqlx.DB
	URL    string
	Store  *calendar.Store
	Cache  *calendar.Cache
	Svc    calendar.Service
	H      http.Handler
	signer *auth.Signer
}

func newEnv(t testing.TB, hook calendar.ChangeHook) *env {
	t.Helper()
	d := testenv.NewDatabase(t, tpl)
	e := &env{DB: d.DB, URL: d.URL}
	var err error
	if e.Store, err = calendar.NewStore(d.DB); err != nil {
		t.Fatal(err)
	}
	if err := calendar.Seed(context.Background(), e.Store, seedsDir); err != nil {
		t.Fatal(err)
	}
	if e.Cache, err = calendar.NewCache(e.Store, calendar.CacheConfig{}); err != nil {
		t.Fatal(err)
	}
	svc, err := calendar.NewService(e.Store, e.Cache, hook)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.Svc = calendar.LoggingMiddleware(logger)(calendar.InstrumentingMiddleware(calendar.NewMetrics(telemetry.NewRegistry()))(svc))
	if e.signer, err = auth.NewHMACSigner(secret, issuer, audience); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Issuer: issuer, Audience: audience, HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	e.H = calendar.MakeHTTPHandler(e.Svc, v, logger)
	return e
}

func (e *env) token(t testing.TB, p auth.Principal) string {
	t.Helper()
	tok, err := e.signer.Sign(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// do serves one request as p (anonymous when p is nil).
func (e *env) do(t testing.TB, p *auth.Principal, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	header := ""
	if p != nil {
		header = "Bearer " + e.token(t, *p)
	}
	return e.serve(t, method, target, body, header)
}

// serve serves one request with the given Authorization header, if any.
func (e *env) serve(t testing.TB, method, target, body, authorization string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, req)
	return rec
}

func asCaller(p auth.Principal) context.Context {
	return auth.WithPrincipal(context.Background(), p)
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %d %s: %v", v, rec.Code, rec.Body, err)
	}
	return v
}

func problem(t testing.TB, rec *httptest.ResponseRecorder, status int) httpx.Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != httpx.ProblemContentType {
		t.Fatalf("content type = %q, want %q", ct, httpx.ProblemContentType)
	}
	return decode[httpx.Problem](t, rec)
}

func fieldNames(p httpx.Problem) []string {
	out := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		out[i] = f.Field
	}
	return out
}

func mustDate(t testing.TB, s string) workday.Date {
	t.Helper()
	d, err := workday.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func load(t testing.TB, s *calendar.Store, park string) calendar.ParkCalendar {
	t.Helper()
	pc, err := s.Load(context.Background(), park)
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

func yearsOf(pc calendar.ParkCalendar) []int {
	out := make([]int, len(pc.Years))
	for i, y := range pc.Years {
		out[i] = y.Year.Year
	}
	return out
}

// body2027 is a made-up 2027 for tests: the real notice is not out yet.
const body2027 = `{"source":"test notice for 2027","off":["2027-01-01","2027-02-06","2027-02-05"],"work":["2027-02-13"]}`
