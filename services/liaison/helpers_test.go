package liaison_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/liaison"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const park = "wangcheng"

var tpl = testenv.Template{Name: "liaison", Schema: "liaison",
	Sets: []db.MigrationSet{outbox.Migrations, inbox.Migrations, liaison.Migrations}}

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

// env is one test's repository and service over a fresh database and a
// manual clock.
type env struct {
	t    testing.TB
	db   *sqlx.DB
	clk  *clock.Manual
	repo *liaison.Repository
	svc  liaison.Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testenv.DB(t, tpl), at(t, "2026-03-02 09:00"))
}

func newEnvOn(t testing.TB, conn *sqlx.DB, now time.Time) *env {
	t.Helper()
	e := &env{t: t, db: conn, clk: clock.NewManual(now)}
	var err error
	if e.repo, err = liaison.NewRepository(liaison.RepositoryConfig{DB: conn, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	if e.svc, err = liaison.NewService(liaison.ServiceConfig{Store: e.repo, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
	return e
}

// Officers and managers of the tests, by short name.
func oid(n int) string { return fmt.Sprintf("0191c0de-0000-7000-8000-%012x", 0xa00+n) }

const mgr = "mgr-1"

// seedManager adds the park's manager.
func (e *env) seedManager(id, p string) {
	e.t.Helper()
	if _, err := e.db.Exec(`INSERT INTO managers (id, park, name) VALUES ($1, $2, $3)`, id, p, "经理 "+id); err != nil {
		e.t.Fatal(err)
	}
}

// officer adds an active officer of park through the service, as a manager.
func (e *env) officer(p string, n int, cap int, industries ...string) string {
	e.t.Helper()
	id := oid(n)
	if _, err := e.svc.CreateOfficer(as(managerOf(p)), liaison.OfficerInput{ID: id, Name: fmt.Sprintf("officer %d", n),
		Industries: industries, Departments: []string{"commerce"}, Cap: cap}); err != nil {
		e.t.Fatalf("create officer %d: %v", n, err)
	}
	return id
}

func firmID(n int) string { return fmt.Sprintf("0191c0de-0000-7000-8000-%012x", 0xf0000+n) }

// versions numbers the events of each aggregate as a producer would.
type versions map[string]int64

func (v versions) ev(t testing.TB, typ, p, aggType, id string, when time.Time, payload proto.Message) event.Event {
	t.Helper()
	v[aggType+"/"+id]++
	ev, err := event.New(typ, p, event.Aggregate{Type: aggType, ID: id, Version: v[aggType+"/"+id]}, when, payload)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func registered(t testing.TB, p, id, industry string, key bool, when time.Time) event.Event {
	t.Helper()
	return versions{}.ev(t, event.EnterpriseRegistered, p, "enterprise", id, when, &intakepb.EnterpriseRegistered{
		EnterpriseId: id, Name: "firm " + id[len(id)-4:], IndustryCode: industry, KeyEnterprise: key,
		Uscc: "91430100MA4L000000"})
}

func submitted(t testing.TB, ticket, firm string, kind intakepb.TicketKind, ch intakepb.Channel, when time.Time) event.Event {
	t.Helper()
	return versions{}.ev(t, event.TicketSubmitted, park, "ticket", ticket, when, &intakepb.TicketSubmitted{
		TicketId: ticket, Number: "WC-" + ticket, EnterpriseId: firm, Kind: kind, Channel: ch, Title: "供电不稳定",
		Description: "厂区近一周三次停电，影响生产", SubmittedAt: timestamppb.New(when)})
}

func demand(t testing.TB, ticket, firm string, when time.Time) event.Event {
	return submitted(t, ticket, firm, intakepb.TicketKind_TICKET_KIND_DEMAND, intakepb.Channel_CHANNEL_ONLINE, when)
}

// breach is sla.clock.breached of a liaison response clock on dispatch.
func breach(t testing.TB, dispatch, officer string, deadline time.Time) event.Event {
	t.Helper()
	return versions{}.ev(t, event.ClockBreached, park, "clock", "clock-"+dispatch, deadline, &slapb.ClockEvent{
		Clock: &slapb.Clock{ClockId: "clock-" + dispatch, Kind: "liaison_response", SubjectId: dispatch,
			OfficerId: officer, State: slapb.ClockState_CLOCK_STATE_RED, Deadline: timestamppb.New(deadline)},
		Reason: "breached"})
}

// apply runs the consumer handler of ev's stream in a transaction, as the
// inbox does.
func (e *env) apply(ev event.Event) error {
	e.t.Helper()
	h := e.repo.IntakeHandler()
	if ev.Type == event.ClockBreached {
		h = e.repo.SLAHandler()
	}
	return db.InTx(context.Background(), e.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		return h(context.Background(), tx, ev)
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

// outboxed returns the outbox's events of aggregate id (all when ""), in order.
func (e *env) outboxed(id string) []event.Event {
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
	for _, ev := range e.outboxed(id) {
		out = append(out, ev.Type)
	}
	return out
}

// ofType returns the outbox's events of a type.
func (e *env) ofType(typ string) []event.Event {
	var out []event.Event
	for _, ev := range e.outboxed("") {
		if ev.Type == typ {
			out = append(out, ev)
		}
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

// checkVersions fails when an aggregate's events are not numbered 1, 2, 3...
func (e *env) checkVersions() {
	e.t.Helper()
	last := map[string]int64{}
	for _, ev := range e.outboxed("") {
		k := ev.AggregateType + "/" + ev.AggregateID
		if ev.AggregateVersion != last[k]+1 {
			e.t.Fatalf("%s %s has version %d after %d", ev.Type, k, ev.AggregateVersion, last[k])
		}
		last[k] = ev.AggregateVersion
	}
}

func (e *env) firm(id string) liaison.Firm {
	e.t.Helper()
	f, err := e.repo.Firm(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func (e *env) requestOf(ticket string) liaison.Request {
	e.t.Helper()
	var id string
	if err := e.db.Get(&id, `SELECT id FROM requests WHERE ticket_id = $1`, ticket); err != nil {
		e.t.Fatalf("request of ticket %s: %v", ticket, err)
	}
	r, err := e.repo.Request(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func as(p auth.Principal) context.Context { return auth.WithPrincipal(context.Background(), p) }

func managerOf(p string) auth.Principal {
	return auth.Principal{Subject: "manager-" + p, Role: auth.RoleManager, Park: p}
}

func officerP(id string) auth.Principal {
	return auth.Principal{Subject: "u-" + id, Role: auth.RoleLiaison, Park: park, OfficerID: id}
}

// waitFor polls cond until it holds, failing the test after 30 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
