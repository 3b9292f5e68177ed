package sla_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/pkg/workday"
	"github.com/parkdesk/parkdesk/services/sla"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const park = "wangcheng"

var tpl = testenv.Template{Name: "sla", Schema: "sla",
	Sets: []db.MigrationSet{outbox.Migrations, inbox.Migrations, sla.Migrations}}

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
	yearsOnce sync.Once
	years     []workday.Year
	yearsErr  error
)

// cnYears loads the 2025 and 2026 calendars from the seeds.
func cnYears(t testing.TB) []workday.Year {
	t.Helper()
	yearsOnce.Do(func() {
		for _, f := range []string{"cn-2025.yaml", "cn-2026.yaml"} {
			y, err := workday.LoadYearFile("../../seeds/calendars/" + f)
			if err != nil {
				yearsErr = err
				return
			}
			years = append(years, y)
		}
	})
	if yearsErr != nil {
		t.Fatal(yearsErr)
	}
	return years
}

func cnCalendar(t testing.TB, p string) *workday.Calendar {
	t.Helper()
	cal, err := workday.New(p, shanghai, nil, cnYears(t)...)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// source is a calendar.Source over fixed calendars.
type source struct {
	mu   sync.Mutex
	cals map[string]*workday.Calendar
}

func newSource(t testing.TB, parks ...string) *source {
	s := &source{cals: map[string]*workday.Calendar{}}
	for _, p := range parks {
		s.cals[p] = cnCalendar(t, p)
	}
	return s
}

func (s *source) ForPark(_ context.Context, p string) (*workday.Calendar, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cals[p]; ok {
		return c, nil
	}
	return nil, fault.NotFound("park calendar")
}

func (s *source) set(p string, c *workday.Calendar) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cals[p] = c
}

// env is one test's engine over a fresh database and a manual clock.
type env struct {
	t      testing.TB
	db     *sqlx.DB
	clk    *clock.Manual
	src    *source
	engine *sla.Engine
	repo   *sla.Repository
}

func newEnv(t testing.TB, now time.Time) *env {
	t.Helper()
	return newEnvOn(t, now, testenv.DB(t, tpl), nil)
}

// newEnvOn builds an env over conn whose engine pokes wake.
func newEnvOn(t testing.TB, now time.Time, conn *sqlx.DB, wake func(time.Time)) *env {
	t.Helper()
	e := &env{t: t, db: conn, clk: clock.NewManual(now), src: newSource(t, park, "liling")}
	e.wake(wake)
	var err error
	if e.repo, err = sla.NewRepository(e.db); err != nil {
		t.Fatal(err)
	}
	return e
}

// wake rebuilds the engine so that it pokes wake.
func (e *env) wake(wake func(time.Time)) {
	e.t.Helper()
	var err error
	if e.engine, err = sla.NewEngine(sla.EngineConfig{DB: e.db, Source: e.src, Clock: e.clk, Wake: wake}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) scheduler(batch int) *sla.Scheduler {
	e.t.Helper()
	s, err := sla.NewScheduler(sla.SchedulerConfig{DB: e.db, Source: e.src, Clock: e.clk, BatchSize: batch})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// scopes maps a stream's subject prefix to its consumer's inbox scope.
func scope(typ string) string {
	switch {
	case strings.HasPrefix(typ, "intake."):
		return sla.ConsumerIntake
	case strings.HasPrefix(typ, "approval."):
		return sla.ConsumerApproval
	}
	return sla.ConsumerLiaison
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

// ev builds an event of aggregate typ/id with the next version, occurring at when.
func (v versions) ev(t testing.TB, typ, aggType, id string, when time.Time, p proto.Message) event.Event {
	t.Helper()
	v[aggType+"/"+id]++
	ev, err := event.New(typ, park, event.Aggregate{Type: aggType, ID: id, Version: v[aggType+"/"+id]}, when, p)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func pbts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// clockOf returns the clocks of a ticket of kind.
func (e *env) clocksOf(ticket string, kind sla.Kind) []sla.Clock {
	e.t.Helper()
	cs, err := e.repo.TicketClocks(context.Background(), ticket)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []sla.Clock
	for _, c := range cs {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

func (e *env) clockOf(ticket string, kind sla.Kind) sla.Clock {
	e.t.Helper()
	cs := e.clocksOf(ticket, kind)
	if len(cs) != 1 {
		e.t.Fatalf("ticket %s has %d %s clocks, want 1", ticket, len(cs), kind)
	}
	return cs[0]
}

// outboxed is one event in the outbox, decoded.
type outboxed struct {
	seq int64
	ev  event.Event
}

// outbox returns the outbox's events of aggregate id (all when id is ""), in order.
func (e *env) outbox(id string) []outboxed {
	e.t.Helper()
	var rows []struct {
		Seq  int64  `db:"seq"`
		Data []byte `db:"data"`
	}
	if err := e.db.Select(&rows, `SELECT seq, data FROM outbox ORDER BY seq`); err != nil {
		e.t.Fatal(err)
	}
	var out []outboxed
	for _, r := range rows {
		ev, err := event.Unmarshal(r.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		if id == "" || ev.AggregateID == id {
			out = append(out, outboxed{r.Seq, ev})
		}
	}
	return out
}

func (e *env) outboxTypes(id string) []string {
	var out []string
	for _, o := range e.outbox(id) {
		out = append(out, o.ev.Type)
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

// as returns a context authenticated as p.
func as(p auth.Principal) context.Context {
	return auth.WithPrincipal(context.Background(), p)
}

var (
	manager = auth.Principal{Subject: "m-1", Role: auth.RoleManager, Park: park}
	staff   = auth.Principal{Subject: "s-1", Role: auth.RoleStaff, Park: park, Departments: []string{"建设局"}}
)

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
