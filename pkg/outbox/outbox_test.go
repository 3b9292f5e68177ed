package outbox_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/kit/metrics/generic"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/intakepb"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const schema = "outboxtest"

var tpl = testenv.Template{Name: "outbox", Schema: schema, Sets: []db.MigrationSet{outbox.Migrations}}

func newEvent(t testing.TB, ticket string, version int64) event.Event {
	t.Helper()
	ev, err := event.New(event.TicketSubmitted, "wangcheng",
		event.Aggregate{Type: "ticket", ID: ticket, Version: version}, time.Now(),
		&intakepb.TicketSubmitted{TicketId: ticket, Title: "施工许可"})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func commit(t testing.TB, conn *sqlx.DB, events ...event.Event) {
	t.Helper()
	err := db.InTx(context.Background(), conn, db.TxOptions{}, func(tx *sqlx.Tx) error {
		return outbox.Add(context.Background(), tx, events...)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func streamCount(t testing.TB, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func unsent(t testing.TB, conn *sqlx.DB) int {
	t.Helper()
	var n int
	if err := conn.Get(&n, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	return n
}

func newRelay(t testing.TB, conn *sqlx.DB, js jetstream.JetStream, cfg outbox.RelayConfig) *outbox.Relay {
	t.Helper()
	cfg.Schema = schema
	r, err := outbox.NewRelay(conn, js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCommittedEventIsPublishedWithItsID(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	ev := newEvent(t, "t-1", 1)
	commit(t, conn, ev)

	n, err := newRelay(t, conn, nt.JS, outbox.RelayConfig{}).Flush(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v; want 1, nil", n, err)
	}
	s, _ := nt.JS.Stream(context.Background(), event.StreamIntake)
	msg, err := s.GetLastMsgForSubject(context.Background(), ev.Subject)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get(jetstream.MsgIDHeader); got != ev.ID {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, ev.ID)
	}
	if got := msg.Header.Get(event.HeaderType); got != event.TicketSubmitted {
		t.Errorf("type header = %q", got)
	}
	got, err := event.Unmarshal(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ev.ID || got.Payload.(*intakepb.TicketSubmitted).GetTicketId() != "t-1" {
		t.Errorf("decoded %+v", got)
	}
	if u := unsent(t, conn); u != 0 {
		t.Errorf("unsent rows = %d, want 0", u)
	}
}

func TestRolledBackTransactionPublishesNothing(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	errAbort := errors.New("abort")
	err := db.InTx(context.Background(), conn, db.TxOptions{}, func(tx *sqlx.Tx) error {
		if err := outbox.Add(context.Background(), tx, newEvent(t, "t-2", 1)); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v", err)
	}
	n, err := newRelay(t, conn, nt.JS, outbox.RelayConfig{}).Flush(context.Background())
	if err != nil || n != 0 {
		t.Fatalf("Flush = %d, %v; want 0, nil", n, err)
	}
	if c := streamCount(t, nt.JS, event.StreamIntake); c != 0 {
		t.Errorf("stream has %d messages, want 0", c)
	}
}

func TestRelayDyingBetweenPublishAndMarkPublishesOnce(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	commit(t, conn, newEvent(t, "t-3", 1), newEvent(t, "t-3", 2))

	errCrash := errors.New("relay killed")
	var dying outbox.RelayConfig
	dying.SetAfterPublish(func() error { return errCrash })
	if _, err := newRelay(t, conn, nt.JS, dying).Flush(context.Background()); !errors.Is(err, errCrash) {
		t.Fatalf("dying Flush = %v", err)
	}
	if got := streamCount(t, nt.JS, event.StreamIntake); got != 2 {
		t.Fatalf("after the crash the stream has %d messages, want 2", got)
	}
	if u := unsent(t, conn); u != 2 {
		t.Fatalf("after the crash %d rows unsent, want 2 (mark-sent never committed)", u)
	}
	dups := generic.NewCounter("dups")
	m := &outbox.Metrics{Published: generic.NewCounter("p"), Duplicates: dups, Latency: generic.NewHistogram("l", 10)}
	n, err := newRelay(t, conn, nt.JS, outbox.RelayConfig{Metrics: m}).Flush(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("second Flush = %d, %v", n, err)
	}
	if got := streamCount(t, nt.JS, event.StreamIntake); got != 2 {
		t.Errorf("stream has %d messages after re-publish, want 2 (duplicates dropped)", got)
	}
	if dups.Value() != 2 {
		t.Errorf("JetStream reported %v duplicates, want 2", dups.Value())
	}
	if u := unsent(t, conn); u != 0 {
		t.Errorf("unsent = %d, want 0", u)
	}
}

func TestTwoRelaysNeverDoublePublish(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	const total = 1200
	for i := 0; i < total; i += 100 {
		batch := make([]event.Event, 0, 100)
		for j := range 100 {
			batch = append(batch, newEvent(t, "t-many", int64(i+j+1)))
		}
		commit(t, conn, batch...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	metrics := make([]*outbox.Metrics, 2)
	for i := range metrics {
		metrics[i] = &outbox.Metrics{Published: generic.NewCounter("p"), Duplicates: generic.NewCounter("d"), Latency: generic.NewHistogram("l", 10)}
		r := newRelay(t, conn, nt.JS, outbox.RelayConfig{BatchSize: 50, PollInterval: 5 * time.Millisecond, Metrics: metrics[i]})
		wg.Go(func() { _ = r.Run(ctx) })
	}
	waitFor(t, 30*time.Second, func() bool { return unsent(t, conn) == 0 })
	cancel()
	wg.Wait()
	published := metrics[0].Published.(*generic.Counter).Value() + metrics[1].Published.(*generic.Counter).Value()
	dups := metrics[0].Duplicates.(*generic.Counter).Value() + metrics[1].Duplicates.(*generic.Counter).Value()
	if published != total || dups != 0 {
		t.Errorf("published %v with %v duplicates, want %d and 0", published, dups, total)
	}
	if metrics[0].Published.(*generic.Counter).Value() == 0 || metrics[1].Published.(*generic.Counter).Value() == 0 {
		t.Logf("one relay did all the work (%v / %v)", metrics[0].Published.(*generic.Counter).Value(), metrics[1].Published.(*generic.Counter).Value())
	}
	if got := streamCount(t, nt.JS, event.StreamIntake); got != total {
		t.Errorf("stream has %d messages, want %d", got, total)
	}
}

func TestNotifyWakesTheRelay(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	nt := testenv.JetStream(t)
	// With an hour-long poll, only LISTEN/NOTIFY can wake the relay.
	r := newRelay(t, d.DB, nt.JS, outbox.RelayConfig{ListenDSN: d.URL, PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	sub, err := nt.Conn.SubscribeSync("intake.>")
	if err != nil {
		t.Fatal(err)
	}
	// The first Flush runs before the listener may be up: publish until one arrives.
	deadline := time.Now().Add(20 * time.Second)
	for i := int64(1); ; i++ {
		commit(t, d.DB, newEvent(t, "t-notify", i))
		if _, err := sub.NextMsg(500 * time.Millisecond); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no event reached the stream: NOTIFY did not wake the relay")
		}
	}
}

func TestPruneAndRepublish(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	old, recent := newEvent(t, "t-old", 1), newEvent(t, "t-new", 1)
	commit(t, conn, old, recent)
	r := newRelay(t, conn, nt.JS, outbox.RelayConfig{Retention: 10 * time.Minute})
	if _, err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, `UPDATE outbox SET sent_at = now() - interval '11 minutes', created_at = now() - interval '11 minutes' WHERE event_id = $1`, old.ID)
	n, err := r.Prune(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	since := time.Now().Add(-time.Minute)
	if n, err := outbox.Republish(context.Background(), conn, since); err != nil || n != 1 {
		t.Fatalf("Republish = %d, %v; want 1", n, err)
	}
	if u := unsent(t, conn); u != 1 {
		t.Fatalf("unsent after republish = %d", u)
	}
	if n, err := r.Flush(context.Background()); err != nil || n != 1 {
		t.Fatalf("Flush after republish = %d, %v", n, err)
	}
	if got := streamCount(t, nt.JS, event.StreamIntake); got != 2 {
		t.Errorf("stream = %d messages, want 2 (the re-publish is a duplicate)", got)
	}
}

func TestRetentionBelowTenMinutesIsRejected(t *testing.T) {
	cfg := outbox.RelayConfig{Schema: schema, Retention: time.Minute}
	if err := cfg.Validate(); err == nil {
		t.Fatal("Validate accepted a 1m retention")
	}
}

func mustExec(t testing.TB, conn *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t testing.TB, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEventsInheritTheRequestTrace(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	tp := telemetry.NewTraceparent()
	ctx := telemetry.WithTrace(context.Background(), tp)
	ev := newEvent(t, "t-trace", 1)
	if err := db.InTx(ctx, conn, db.TxOptions{}, func(tx *sqlx.Tx) error { return outbox.Add(ctx, tx, ev) }); err != nil {
		t.Fatal(err)
	}
	if _, err := newRelay(t, conn, nt.JS, outbox.RelayConfig{}).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	s, _ := nt.JS.Stream(ctx, event.StreamIntake)
	msg, err := s.GetLastMsgForSubject(ctx, ev.Subject)
	if err != nil {
		t.Fatal(err)
	}
	got, err := telemetry.ParseTraceparent(msg.Header.Get(event.HeaderTraceparent))
	if err != nil || got.TraceIDString() != tp.TraceIDString() {
		t.Errorf("traceparent header %q, want trace %s", msg.Header.Get(event.HeaderTraceparent), tp.TraceIDString())
	}
}
