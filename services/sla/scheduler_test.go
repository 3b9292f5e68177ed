package sla_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/services/sla"
)

// runScheduler runs s until the test ends.
func runScheduler(t testing.TB, s *sla.Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func blockUntil(t testing.TB, e *env, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := e.clk.BlockUntil(ctx, n); err != nil {
		t.Fatalf("schedulers not asleep: %v", err)
	}
}

func countType(e *env, typ string) int {
	return e.count(`SELECT count(*) FROM outbox WHERE event_type = $1`, typ)
}

func TestTwoReplicasFireEachTransitionOnce(t *testing.T) {
	for _, n := range []int{1, 40} {
		t.Run(fmt.Sprintf("%d clocks", n), func(t *testing.T) {
			e := newEnv(t, at(t, "2026-03-02 09:00"))
			v := versions{}
			for i := range n {
				e.mustApply(accepted(t, v, fmt.Sprintf("wf-%d", i), fmt.Sprintf("t-%d", i), at(t, "2026-03-02 10:00"), 3))
			}
			a, b := e.scheduler(3), e.scheduler(3)
			runScheduler(t, a)
			runScheduler(t, b)
			blockUntil(t, e, 2)
			e.clk.Set(at(t, "2026-03-06 10:00"))
			waitFor(t, "every breach fired", func() bool { return countType(e, event.ClockBreached) >= n })
			blockUntil(t, e, 2)

			for typ, want := range map[string]int{event.ClockWarned: n, event.ClockBreached: n, event.ClockEscalated: n, event.CardIssued: n} {
				if got := countType(e, typ); got != want {
					t.Errorf("%d %s events, want %d", got, typ, want)
				}
			}
			if got := e.count(`SELECT count(DISTINCT notice_number) FROM cards WHERE notice_seq BETWEEN 1 AND $1`, n); got != n {
				t.Errorf("%d distinct notice numbers 1..%d, want %d", got, n, n)
			}
			if got := a.Fired() + b.Fired(); got != int64(3*n) {
				t.Errorf("replicas fired %d + %d changes, want %d in all", a.Fired(), b.Fired(), 3*n)
			}
		})
	}
}

func TestFreshSchedulerDoesNotRefire(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	e.mustApply(accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 3))
	e.clk.Set(at(t, "2026-03-06 10:00"))
	if n, err := e.scheduler(10).FireDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("first scheduler claimed %d, %v", n, err)
	}
	before := len(e.outbox(""))
	restarted := e.scheduler(10)
	if n, err := restarted.FireDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("restarted scheduler claimed %d, %v", n, err)
	}
	if after := len(e.outbox("")); after != before {
		t.Fatalf("outbox grew from %d to %d after a restart", before, after)
	}
	e.clk.Set(at(t, "2026-03-06 17:30"))
	if _, err := restarted.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := e.outbox("")
	last := evs[len(evs)-1].ev
	if len(evs) != before+1 || last.Type != event.ClockEscalated || last.Payload.(interface{ GetLevel() int32 }).GetLevel() != 2 {
		t.Fatalf("after the second rung: %d events, last %s", len(evs)-before, last.Type)
	}
}

func TestWarnedThenBreachedAsTheClockAdvances(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	e.mustApply(accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 3))
	c := e.clockOf("t-1", sla.KindResolution)
	runScheduler(t, e.scheduler(10))

	blockUntil(t, e, 1)
	e.clk.Set(c.WarnAt.Add(-time.Minute))
	blockUntil(t, e, 1)
	if n := countType(e, event.ClockWarned); n != 0 {
		t.Fatalf("warned a minute early")
	}
	e.clk.Set(c.WarnAt)
	waitFor(t, "the warning", func() bool { return countType(e, event.ClockWarned) == 1 })
	blockUntil(t, e, 1)
	if n := countType(e, event.ClockBreached); n != 0 {
		t.Fatalf("breached at the warning")
	}
	e.clk.Set(c.Deadline)
	waitFor(t, "the breach", func() bool { return countType(e, event.ClockBreached) == 1 })

	var got []string
	for _, o := range e.outbox(c.ID) {
		got = append(got, o.ev.Type)
		switch o.ev.Type {
		case event.ClockWarned:
			if !o.ev.OccurredAt.Equal(c.WarnAt) {
				t.Errorf("warned at %v, want %v", o.ev.OccurredAt, c.WarnAt)
			}
		case event.ClockBreached:
			if !o.ev.OccurredAt.Equal(c.Deadline) {
				t.Errorf("breached at %v, want %v", o.ev.OccurredAt, c.Deadline)
			}
		}
	}
	want := []string{event.ClockStarted, event.ClockWarned, event.ClockBreached, event.ClockEscalated}
	if !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestNotificationsAreHeldToOfficeHoursUnlessUrgent(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	v := versions{}
	e.mustApply(accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 3),
		v.ev(t, event.RequestDispatched, "request", "r-1", at(t, "2026-03-06 08:00"), &liaisonpb.RequestDispatched{
			RequestId: "r-1", TicketId: "t-2", EnterpriseId: "firm-1", OfficerId: "o-1", ResponseWorkingHours: 1, DispatchedAt: pbts(at(t, "2026-03-06 08:00"))}))
	s := e.scheduler(10)
	e.clk.Set(at(t, "2026-03-05 17:30"))
	if _, err := s.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(at(t, "2026-03-06 20:00"))
	if _, err := s.FireDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var notes []struct {
		Kind    string    `db:"kind"`
		Level   int       `db:"level"`
		Role    string    `db:"recipient_role"`
		Urgent  bool      `db:"urgent"`
		Created time.Time `db:"created_at"`
		Deliver time.Time `db:"deliver_at"`
	}
	if err := e.db.Select(&notes, `SELECT c.kind, n.level, n.recipient_role, n.urgent, n.created_at, n.deliver_at
		FROM notifications n JOIN clocks c ON c.id = n.clock_id ORDER BY n.id`); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind, role string
		level      int
		urgent     bool
		deliver    string
	}{
		{"resolution", "handler", 1, false, "2026-03-06 09:00"},
		{"resolution", "liaison", 1, false, "2026-03-06 09:00"},
		{"resolution", "department_head", 2, false, "2026-03-09 09:00"},
		{"liaison_response", "liaison", 1, true, "2026-03-06 20:00"},
	}
	if len(notes) != len(want) {
		t.Fatalf("%d notifications: %+v", len(notes), notes)
	}
	got := map[string]bool{}
	for _, n := range notes {
		got[fmt.Sprintf("%s %s %d %v %s", n.Kind, n.Role, n.Level, n.Urgent, n.Deliver.In(shanghai).Format("2006-01-02 15:04"))] = true
	}
	for _, w := range want {
		if k := fmt.Sprintf("%s %s %d %v %s", w.kind, w.role, w.level, w.urgent, w.deliver); !got[k] {
			t.Errorf("missing notification %s; have %v", k, got)
		}
	}
}

func TestPokeWakesASleepingScheduler(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	s := e.scheduler(10)
	e.wake(s.Poke)
	runScheduler(t, s)
	waitFor(t, "the first round", func() bool { return s.RoundTrips() > 0 })
	// A clock accepted long ago is overdue as soon as it exists: the poke
	// (plus the short maximum sleep) must find it without the clock moving.
	e.mustApply(accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-02-02 10:00"), 3))
	waitFor(t, "the overdue clock to fire", func() bool { return countType(e, event.ClockBreached) == 1 })
}
