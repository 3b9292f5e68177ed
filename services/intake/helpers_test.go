package intake_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/services/intake"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	seeds = "../../seeds"
	park  = "wangcheng"
	// Seeded firms (seeds/enterprises.yaml).
	firmA      = "0191c0de-0000-7000-8000-000000000001" // 澳优乳业, wangcheng
	firmB      = "0191c0de-0000-7000-8000-000000000002" // 金驰能源, wangcheng
	firmBad    = "0191c0de-0000-7000-8000-00000000001c" // bad-credit, liling
	firmLiling = "0191c0de-0000-7000-8000-00000000001b" // liling
)

var tpl = testenv.Template{Name: "intake", Schema: "intake",
	Sets: []db.MigrationSet{outbox.Migrations, inbox.Migrations, intake.Migrations}}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at parses "2006-01-02 15:04" on Shanghai's wall clock.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	asFirmA         = auth.Principal{Subject: "u-firm-a", Role: auth.RoleEnterprise, Park: park, EnterpriseID: firmA}
	asFirmB         = auth.Principal{Subject: "u-firm-b", Role: auth.RoleEnterprise, Park: park, EnterpriseID: firmB}
	asStaff         = auth.Principal{Subject: "u-staff", Role: auth.RoleStaff, Park: park, Departments: []string{"approval-office"}}
	asHousing       = auth.Principal{Subject: "u-housing", Role: auth.RoleStaff, Park: park, Departments: []string{"housing"}}
	asManager       = auth.Principal{Subject: "u-manager", Role: auth.RoleManager, Park: park}
	asLiaison       = auth.Principal{Subject: "u-liaison", Role: auth.RoleLiaison, Park: park, OfficerID: "officer-1"}
	asAdmin         = auth.Principal{Subject: "u-admin", Role: auth.RoleAdmin}
	asLilingManager = auth.Principal{Subject: "u-ll-manager", Role: auth.RoleManager, Park: "liling"}
	asBadFirm       = auth.Principal{Subject: "u-firm-bad", Role: auth.RoleEnterprise, Park: "liling", EnterpriseID: firmBad}
)

func as(p auth.Principal) context.Context { return auth.WithPrincipal(context.Background(), p) }

// env is one test's intake over a fresh, seeded database, a fresh embedded
// JetStream (the object store) and a manual clock.
type env struct {
	t       testing.TB
	db      *sqlx.DB
	repo    *intake.Repository
	svc     intake.Service
	engine  *intake.Engine
	clk     *clock.Manual
	nats    *testenv.NATS
	objects *intake.JetStreamObjects
}

var (
	calsOnce sync.Once
	cals     *intake.Calendars
	calsErr  error
)

func calendars(t testing.TB) *intake.Calendars {
	t.Helper()
	calsOnce.Do(func() { cals, calsErr = intake.LoadCalendars(seeds) })
	if calsErr != nil {
		t.Fatal(calsErr)
	}
	return cals
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testenv.DB(t, tpl), testenv.JetStream(t), true)
}

func newEnvOn(t testing.TB, conn *sqlx.DB, nt *testenv.NATS, seed bool) *env {
	t.Helper()
	e := &env{t: t, db: conn, clk: clock.NewManual(at(t, "2026-03-02 10:00")), nats: nt}
	var err error
	if e.repo, err = intake.NewRepository(conn); err != nil {
		t.Fatal(err)
	}
	if seed {
		if _, err := intake.Seed(context.Background(), e.repo, seeds, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if e.objects, err = intake.NewJetStreamObjects(context.Background(), nt.JS, "", 0, 0); err != nil {
		t.Fatal(err)
	}
	if e.svc, err = intake.NewService(intake.ServiceConfig{Repo: e.repo, Objects: e.objects, Due: calendars(t),
		Clock: e.clk, MaxUpload: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	if e.engine, err = intake.NewEngine(intake.EngineConfig{Repo: e.repo, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	return e
}

// upload stores content as p and returns a material input citing it.
func (e *env) upload(p auth.Principal, code, content string) intake.MaterialInput {
	e.t.Helper()
	u, err := e.svc.Upload(as(p), "application/pdf", []byte(content))
	if err != nil {
		e.t.Fatalf("upload %s: %v", code, err)
	}
	return intake.MaterialInput{Code: code, SHA256: u.SHA256, Size: u.Size, MediaType: u.MediaType}
}

// materials uploads one small file per code as p.
func (e *env) materials(p auth.Principal, codes ...string) []intake.MaterialInput {
	e.t.Helper()
	out := make([]intake.MaterialInput, len(codes))
	for i, c := range codes {
		out[i] = e.upload(p, c, fmt.Sprintf("%s of %s", c, p.Subject))
	}
	return out
}

// Material codes of the seeded catalog.
var (
	businessStartupAll = []string{"application-form", "articles", "id-documents", "premises-proof",
		"business-license-copy", "legal-rep-id", "bank-account"}
	constructionPermitAll = []string{"application-form", "planning-permit", "construction-contract", "safety-plan", "funds-proof"}
)

func (e *env) submit(p auth.Principal, key string, req intake.SubmitRequest) intake.Ticket {
	e.t.Helper()
	t, _, err := e.svc.Submit(as(p), key, req)
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return t
}

func (e *env) ticket(id string) intake.Ticket {
	e.t.Helper()
	t, err := e.svc.Ticket(as(asAdmin), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return t
}

// outboxed decodes the outbox's events of aggregate id (all when ""), in order.
func (e *env) outbox(id string) []event.Event {
	e.t.Helper()
	var rows [][]byte
	if err := e.db.Select(&rows, `SELECT data FROM outbox ORDER BY seq`); err != nil {
		e.t.Fatal(err)
	}
	var out []event.Event
	for _, r := range rows {
		ev, err := event.Unmarshal(r)
		if err != nil {
			e.t.Fatal(err)
		}
		if id == "" || ev.AggregateID == id {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) outboxTypes(id string) []string {
	var out []string
	for _, ev := range e.outbox(id) {
		out = append(out, ev.Type)
	}
	return out
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// scope maps an event type to the inbox scope of its consumer.
func scope(typ string) string {
	switch typ[:3] {
	case "app":
		return intake.ConsumerApproval
	case "sla":
		return intake.ConsumerSLA
	}
	return intake.ConsumerLiaison
}

// apply runs the engine's handler on ev in a transaction, as the inbox does.
func (e *env) apply(ev event.Event) error {
	e.t.Helper()
	return db.InTx(context.Background(), e.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		return e.engine.Handler(scope(ev.Type))(context.Background(), tx, ev)
	})
}

func (e *env) mustApply(evs ...event.Event) {
	e.t.Helper()
	for _, ev := range evs {
		if err := e.apply(ev); err != nil {
			e.t.Fatalf("apply %s: %v", ev.Type, err)
		}
	}
}

// versions numbers the events of each aggregate as a producer would.
type versions map[string]int64

func (v versions) ev(t testing.TB, typ, aggType, id string, when time.Time, p proto.Message) event.Event {
	t.Helper()
	v[aggType+"/"+id]++
	ev, err := event.New(typ, park, event.Aggregate{Type: aggType, ID: id, Version: v[aggType+"/"+id]}, when, p)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
