package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/intakepb"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var effects = db.MigrationSet{Name: "effects", FS: fstest.MapFS{
	"00001_effects.sql": {Data: []byte("-- +goose Up\nCREATE TABLE effects (ticket_id text PRIMARY KEY, applied int NOT NULL);\n")},
}}

var tpl = testenv.Template{Name: "inbox", Schema: "inboxtest", Sets: []db.MigrationSet{inbox.Migrations, effects}}

// applyEffect counts how many times an event touched its ticket.
func applyEffect(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO effects (ticket_id, applied) VALUES ($1, 1)
		ON CONFLICT (ticket_id) DO UPDATE SET applied = effects.applied + 1`, ev.AggregateID)
	return err
}

func applied(t testing.TB, conn *sqlx.DB, ticket string) int {
	t.Helper()
	var n int
	err := conn.Get(&n, `SELECT coalesce((SELECT applied FROM effects WHERE ticket_id = $1), 0)`, ticket)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func publish(t testing.TB, js jetstream.JetStream, ev event.Event, msgID string) {
	t.Helper()
	b, err := event.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	msg.Header.Set(event.HeaderType, ev.Type)
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
}

func newEvent(t testing.TB, ticket string, version int64) event.Event {
	t.Helper()
	ev, err := event.New(event.TicketSubmitted, "wangcheng", event.Aggregate{Type: "ticket", ID: ticket, Version: version},
		time.Now(), &intakepb.TicketSubmitted{TicketId: ticket})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func run(t testing.TB, conn *sqlx.DB, js jetstream.JetStream, cfg inbox.Config, h inbox.Handler) {
	t.Helper()
	cfg.Stream = event.StreamIntake
	if cfg.Name == "" {
		cfg.Name = "test-consumer"
	}
	c, err := inbox.New(context.Background(), conn, js, cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

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

func TestRedeliveredEventHasNoSecondEffect(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	var calls atomic.Int32
	run(t, conn, nt.JS, inbox.Config{}, func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
		calls.Add(1)
		return applyEffect(ctx, tx, ev)
	})
	ev := newEvent(t, "t-dup", 1)
	// The same event delivered three times: a re-publish past the duplicate
	// window and an operator's "re-publish since T" both look like this.
	for i := range 3 {
		publish(t, nt.JS, ev, ev.ID+"-"+strconv.Itoa(i))
	}
	marker := newEvent(t, "t-marker", 1)
	publish(t, nt.JS, marker, marker.ID)
	waitFor(t, "all four deliveries acknowledged", func() bool { return ackFloor(t, nt.JS, "test-consumer") == 4 })
	if calls.Load() != 2 {
		t.Errorf("handler ran %d times, want 2 (once per distinct event)", calls.Load())
	}
	if got := applied(t, conn, "t-dup"); got != 1 {
		t.Errorf("event applied %d times, want 1", got)
	}
	var processed int
	_ = conn.Get(&processed, `SELECT count(*) FROM processed_events WHERE consumer = 'test-consumer'`)
	if processed != 2 {
		t.Errorf("processed_events has %d rows, want 2", processed)
	}
}

func TestHandlerErrorIsRetriedNotLost(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	var calls atomic.Int32
	run(t, conn, nt.JS, inbox.Config{MaxDeliver: 5, Backoff: []time.Duration{10 * time.Millisecond}},
		func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
			if err := applyEffect(ctx, tx, ev); err != nil {
				return err
			}
			if calls.Add(1) <= 2 {
				return errors.New("department system down") // effect must roll back
			}
			return nil
		})
	ev := newEvent(t, "t-flaky", 1)
	publish(t, nt.JS, ev, ev.ID)
	waitFor(t, "third attempt", func() bool { return applied(t, conn, "t-flaky") == 1 })
	if calls.Load() != 3 {
		t.Errorf("handler called %d times, want 3", calls.Load())
	}
	if n := streamMsgs(t, nt.JS, event.StreamDeadLetter); n != 0 {
		t.Errorf("dead-letter stream has %d messages, want 0", n)
	}
}

func TestPoisonEventIsDeadLetteredAfterMaxDeliver(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	dlq, err := nt.Conn.SubscribeSync(event.DeadLetterPrefix + ".>")
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	run(t, conn, nt.JS, inbox.Config{Name: "poison", MaxDeliver: 3, Backoff: []time.Duration{5 * time.Millisecond}},
		func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
			calls.Add(1)
			if err := applyEffect(ctx, tx, ev); err != nil {
				return err
			}
			return fmt.Errorf("matter %s is not in the catalog", "X-404")
		})
	ev := newEvent(t, "t-poison", 1)
	publish(t, nt.JS, ev, ev.ID)
	msg, err := dlq.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if want := "dlq.poison." + ev.Subject; msg.Subject != want {
		t.Errorf("dead-letter subject %q, want %q", msg.Subject, want)
	}
	if got := msg.Header.Get(event.HeaderError); got != "matter X-404 is not in the catalog" {
		t.Errorf("error header %q", got)
	}
	if got := msg.Header.Get(event.HeaderDeliveries); got != "3" {
		t.Errorf("deliveries header %q, want 3", got)
	}
	if got := msg.Header.Get(event.HeaderType); got != event.TicketSubmitted {
		t.Errorf("original header lost: type %q", got)
	}
	if got := msg.Header.Get(event.HeaderOriginalSubject); got != ev.Subject {
		t.Errorf("original subject %q", got)
	}
	if back, err := event.Unmarshal(msg.Data); err != nil || back.ID != ev.ID {
		t.Errorf("dead letter body: %v %v", back.ID, err)
	}
	if calls.Load() != 3 {
		t.Errorf("handler called %d times, want 3", calls.Load())
	}
	if got := applied(t, conn, "t-poison"); got != 0 {
		t.Errorf("failed attempts left %d effects", got)
	}
	if n := streamMsgs(t, nt.JS, event.StreamDeadLetter); n != 1 {
		t.Errorf("dead-letter stream keeps %d messages, want 1", n)
	}
}

func TestUndecodableMessageIsDeadLetteredAtOnce(t *testing.T) {
	conn := testenv.DB(t, tpl)
	nt := testenv.JetStream(t)
	dlq, _ := nt.Conn.SubscribeSync(event.DeadLetterPrefix + ".>")
	var calls atomic.Int32
	run(t, conn, nt.JS, inbox.Config{}, func(context.Context, *sqlx.Tx, event.Event) error { calls.Add(1); return nil })
	if _, err := nt.JS.Publish(context.Background(), "intake.ticket.submitted.wangcheng", []byte("not protobuf \xff\xff")); err != nil {
		t.Fatal(err)
	}
	msg, err := dlq.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if msg.Header.Get(event.HeaderDeliveries) != "1" || msg.Header.Get(event.HeaderError) == "" {
		t.Errorf("headers %v", msg.Header)
	}
	if calls.Load() != 0 {
		t.Errorf("handler ran on an undecodable message")
	}
}

func TestAdvanceIgnoresStaleAndRefusesGaps(t *testing.T) {
	conn := testenv.DB(t, tpl)
	ctx := context.Background()
	step := func(version int64, strict bool) (bool, error) {
		var ok bool
		err := db.InTx(ctx, conn, db.TxOptions{}, func(tx *sqlx.Tx) error {
			var err error
			ok, err = inbox.Advance(ctx, tx, "scope", newEvent(t, "t-v", version), strict)
			return err
		})
		return ok, err
	}
	cases := []struct {
		version int64
		strict  bool
		apply   bool
		retry   bool
	}{
		{1, true, true, false},
		{1, true, false, false}, // same version again: stale
		{3, true, false, true},  // skips 2: refused in strict mode
		{2, true, true, false},
		{3, true, true, false},
		{2, false, false, false}, // stale in lenient mode too
		{7, false, true, false},  // lenient mode accepts a gap
	}
	for i, c := range cases {
		ok, err := step(c.version, c.strict)
		if ok != c.apply || errors.Is(err, inbox.ErrRetryLater) != c.retry {
			t.Errorf("step %d (v%d strict=%v) = %v, %v; want apply=%v retry=%v", i, c.version, c.strict, ok, err, c.apply, c.retry)
		}
	}
}

func streamMsgs(t testing.TB, js jetstream.JetStream, name string) uint64 {
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

func ackFloor(t testing.TB, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	c, err := js.Consumer(context.Background(), event.StreamIntake, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.AckFloor.Stream
}

func TestRetryLaterHasItsOwnBudget(t *testing.T) {
	cases := []struct {
		name      string
		waits     int32 // deliveries answered with ErrRetryLater
		max       int
		applied   int
		deadLetts uint64
	}{
		{"waits past MaxDeliver, then applies", 6, 10, 1, 0},
		{"waits out its budget, then is dead-lettered", 100, 4, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := testenv.DB(t, tpl)
			nt := testenv.JetStream(t)
			var calls atomic.Int32
			run(t, conn, nt.JS, inbox.Config{MaxDeliver: 3, RetryLaterMax: c.max, RetryLaterDelay: time.Millisecond,
				RetryLaterMaxDelay: 5 * time.Millisecond, Backoff: []time.Duration{time.Millisecond}},
				func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error {
					if calls.Add(1) <= c.waits {
						return fmt.Errorf("version 2 before 1: %w", inbox.ErrRetryLater)
					}
					return applyEffect(ctx, tx, ev)
				})
			ev := newEvent(t, "t-wait", 1)
			publish(t, nt.JS, ev, ev.ID)
			waitFor(t, "the event settled", func() bool {
				return applied(t, conn, "t-wait") == c.applied && streamMsgs(t, nt.JS, event.StreamDeadLetter) == c.deadLetts &&
					ackFloor(t, nt.JS, "test-consumer") == 1
			})
			if c.applied == 1 && calls.Load() != c.waits+1 {
				t.Errorf("handler ran %d times, want %d", calls.Load(), c.waits+1)
			}
		})
	}
}
