package sla_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/slapb"
	"github.com/parkdesk/parkdesk/services/sla"
)

// benchClocks is the number of open clocks the benchmark loads:
// PARKDESK_BENCH_CLOCKS, default 1,000,000. One percent of them come due.
func benchClocks(b *testing.B) int {
	if s := os.Getenv("PARKDESK_BENCH_CLOCKS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			b.Fatalf("PARKDESK_BENCH_CLOCKS=%q: want a number ≥ 100", s)
		}
		return n
	}
	return 1_000_000
}

var (
	benchOnce sync.Once
	benchDB   *sqlx.DB
)

// loadOpenClocks fills a fresh database with n open green clocks, in SQL
// (generate_series), once per process: n/100 of them (department 'due')
// are re-armed by each run, the rest are due days later.
func loadOpenClocks(b *testing.B, n int) *sqlx.DB {
	benchOnce.Do(func() {
		conn := testenv.DB(b, tpl)
		start := time.Now()
		far := time.Now().Add(30 * 24 * time.Hour)
		_, err := conn.Exec(`INSERT INTO clocks (id, park, kind, subject_id, workflow_id, ticket_id, department,
				officer_id, handler_id, matter_code, started_at, budget, legal_budget, state, deadline, legal_deadline,
				warn_at, next_fire_at, version)
			SELECT gen_random_uuid(), 'wangcheng', 'resolution', 'wf-' || g, 'wf-' || g, 't-' || g,
				CASE WHEN g % 100 = 0 THEN 'due' ELSE '建设局' END, 'o-' || (g % 500), 'h-' || (g % 2000), 'JS-001',
				$1::timestamptz - interval '3 days', 20, 30, 'green',
				$1::timestamptz + interval '5 days', $1::timestamptz + interval '10 days',
				$1::timestamptz + (g % 86400) * interval '1 second', $1::timestamptz + (g % 86400) * interval '1 second', 1
			FROM generate_series(1, $2) AS g`, far, n)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(`ANALYZE clocks`); err != nil {
			b.Fatal(err)
		}
		b.Logf("loaded %d open clocks in %v", n, time.Since(start).Round(time.Millisecond))
		benchDB = conn
	})
	if benchDB == nil {
		b.Fatal("no benchmark database")
	}
	return benchDB
}

// rearmLead is how far ahead of the re-arming the first clock comes due, so
// that the re-arming (a scan of every clock) does not count as lag.
const rearmLead = 10 * time.Second

// rearm makes the 'due' clocks green again, due at first + i·step for the
// i-th, empties the outbox, and returns how many are due and when the
// first is.
func rearm(b *testing.B, conn *sqlx.DB, step time.Duration) (int, time.Time) {
	b.Helper()
	first := time.Now().Add(rearmLead)
	res, err := conn.Exec(`WITH d AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM clocks WHERE department = 'due')
		UPDATE clocks c SET state = 'green', warned_at = NULL, warn_at = $1::timestamptz + d.i * $2::interval,
			next_fire_at = $1::timestamptz + d.i * $2::interval
		FROM d WHERE c.id = d.id`, first, strconv.FormatInt(step.Microseconds(), 10)+" microseconds")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(`TRUNCATE outbox`); err != nil {
		b.Fatal(err)
	}
	n, _ := res.RowsAffected()
	if time.Now().After(first) {
		b.Fatalf("re-arming took longer than %v; raise rearmLead", rearmLead)
	}
	return int(n), first
}

// lags reads every warned event in the outbox and returns, sorted, the
// delay from each clock's warning instant to the event's occurred_at.
func lags(b *testing.B, conn *sqlx.DB) []time.Duration {
	b.Helper()
	var rows [][]byte
	if err := conn.Select(&rows, `SELECT data FROM outbox WHERE event_type = $1`, event.ClockWarned); err != nil {
		b.Fatal(err)
	}
	out := make([]time.Duration, 0, len(rows))
	for _, r := range rows {
		ev, err := event.Unmarshal(r)
		if err != nil {
			b.Fatal(err)
		}
		warn := ev.Payload.(*slapb.ClockEvent).GetClock().GetWarnAt().AsTime()
		out = append(out, ev.OccurredAt.Sub(warn))
	}
	slices.Sort(out)
	return out
}

func reportLags(b *testing.B, l []time.Duration) {
	if len(l) == 0 {
		return
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(l[len(l)/2]), "lag-p50-ms")
	b.ReportMetric(ms(l[len(l)*99/100]), "lag-p99-ms")
	b.ReportMetric(ms(l[len(l)-1]), "lag-max-ms")
}

// BenchmarkFireDue measures the scheduler over PARKDESK_BENCH_CLOCKS open
// clocks (default 1,000,000) of which 1% come due:
//
//   - burst: all of them due at one instant, fired by FireDue batches back
//     to back: the time to fire them, SQL round trips, and each event's lag
//     behind the instant;
//   - spread: due one by one over two seconds while Run sleeps between
//     them: the steady-state lag (its ns/op includes the wait for the
//     first instant, rearmLead).
//
// Run it with: go test -run '^$' -bench FireDue -benchtime 1x ./services/sla/
func BenchmarkFireDue(b *testing.B) {
	n := benchClocks(b)
	conn := loadOpenClocks(b, n)
	src := newSource(b, park)

	b.Run("burst", func(b *testing.B) {
		var trips, fired int64
		var all []time.Duration
		for range b.N {
			b.StopTimer()
			due, first := rearm(b, conn, 0)
			s, err := sla.NewScheduler(sla.SchedulerConfig{DB: conn, Source: src, BatchSize: 500})
			if err != nil {
				b.Fatal(err)
			}
			time.Sleep(time.Until(first))
			// The real path: Run drains with its workers in parallel.
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.StartTimer()
			go func() { done <- s.Run(ctx) }()
			for s.Fired() < int64(due) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			if s.Fired() != int64(due) {
				b.Fatalf("fired %d of %d due clocks", s.Fired(), due)
			}
			trips += s.RoundTrips()
			fired += s.Fired()
			all = append(all, lags(b, conn)...)
		}
		slices.Sort(all)
		b.ReportMetric(float64(fired)/float64(b.N), "clocks/op")
		b.ReportMetric(float64(trips)/float64(b.N), "round-trips/op")
		b.ReportMetric(float64(fired)/b.Elapsed().Seconds(), "clocks/s")
		reportLags(b, all)
	})

	b.Run("spread", func(b *testing.B) {
		var all []time.Duration
		var trips int64
		for range b.N {
			b.StopTimer()
			due, _ := rearm(b, conn, 2*time.Second/time.Duration(n/100))
			s, err := sla.NewScheduler(sla.SchedulerConfig{DB: conn, Source: src, Clock: clock.System(), BatchSize: 500})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			b.StartTimer()
			go func() { _ = s.Run(ctx); close(done) }()
			for s.Fired() < int64(due) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cancel()
			<-done
			trips += s.RoundTrips()
			all = append(all, lags(b, conn)...)
		}
		slices.Sort(all)
		b.ReportMetric(float64(trips)/float64(b.N), "round-trips/op")
		reportLags(b, all)
	})
}
