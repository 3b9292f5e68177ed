package sla_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/proto/approvalpb"
	"github.com/parkdesk/parkdesk/services/sla"
)

// publish sends ev to JetStream as its producer's outbox relay would, under
// msgID (the event id, or another to get past the duplicate window).
func publish(t testing.TB, js jetstream.JetStream, ev event.Event, msgID string) {
	t.Helper()
	b, err := event.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(ev.Subject)
	msg.Data = b
	msg.Header.Set(event.HeaderType, ev.Type)
	msg.Header.Set(event.HeaderPark, ev.Park)
	if _, err := js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatal(err)
	}
}

// runConsumers runs the engine's durable consumers until the test ends.
func runConsumers(t testing.TB, e *env, js jetstream.JetStream) {
	t.Helper()
	cs, err := e.engine.Consumers(context.Background(), js)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, len(cs))
	for _, c := range cs {
		go func() { _ = c.Run(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		cancel()
		for range cs {
			<-done
		}
	})
}

func consumerInfo(t testing.TB, js jetstream.JetStream, stream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(context.Background(), stream, name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestRedeliveredEventHasNoSecondEffect(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	nt := testenv.JetStream(t)
	runConsumers(t, e, nt.JS)
	ev := accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5)
	for _, id := range []string{ev.ID, ev.ID + "-again", ev.ID + "-third"} {
		publish(t, nt.JS, ev, id)
	}
	waitFor(t, "three deliveries acknowledged", func() bool {
		return consumerInfo(t, nt.JS, event.StreamApproval, sla.ConsumerApproval).AckFloor.Consumer == 3
	})
	c := e.clockOf("t-1", sla.KindResolution)
	if got := e.outboxTypes(c.ID); !equal(got, []string{event.ClockStarted}) {
		t.Fatalf("events %v, want one start", got)
	}
}

func TestOutOfOrderEventIsRetriedThenApplied(t *testing.T) {
	e := newEnv(t, at(t, "2026-03-02 09:00"))
	nt := testenv.JetStream(t)
	v := versions{}
	start := accepted(t, v, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 5)
	pause := v.ev(t, event.WorkflowCorrectionRequested, "workflow", "wf-1", at(t, "2026-03-03 10:00"),
		&approvalpb.WorkflowPaused{WorkflowId: "wf-1", PausedAt: pbts(at(t, "2026-03-03 10:00"))})
	runConsumers(t, e, nt.JS)
	publish(t, nt.JS, pause, pause.ID)
	waitFor(t, "the early pause to be tried and refused", func() bool {
		return consumerInfo(t, nt.JS, event.StreamApproval, sla.ConsumerApproval).NumRedelivered > 0
	})
	if n := e.count(`SELECT count(*) FROM clocks`); n != 0 {
		t.Fatalf("%d clocks before the start arrived", n)
	}
	publish(t, nt.JS, start, start.ID)
	waitFor(t, "the pause applied after the start", func() bool {
		return e.count(`SELECT count(*) FROM clocks WHERE paused`) == 1
	})
	c := e.clockOf("t-1", sla.KindResolution)
	if got := e.outboxTypes(c.ID); !equal(got, []string{event.ClockStarted, event.ClockPaused}) {
		t.Fatalf("events %v", got)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE subject LIKE 'dlq.%'`); n != 0 {
		t.Fatal("dead-lettered")
	}
}

// TestEndToEndThroughJetStream publishes approval.workflow.accepted as the
// approval service would and watches the SLA stream while the clock moves.
func TestEndToEndThroughJetStream(t *testing.T) {
	d := testenv.NewDatabase(t, tpl)
	nt := testenv.JetStream(t)
	e := newEnvOn(t, at(t, "2026-03-02 09:00"), d.DB, nil)
	s := e.scheduler(100)
	e.wake(s.Poke)
	runConsumers(t, e, nt.JS)
	runScheduler(t, s)
	relay, err := outbox.NewRelay(e.db, nt.JS, outbox.RelayConfig{Schema: "sla", ListenDSN: d.URL, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() { _ = relay.Run(ctx); close(relayDone) }()
	t.Cleanup(func() { cancel(); <-relayDone })

	cons, err := nt.JS.OrderedConsumer(context.Background(), event.StreamSLA, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"sla.clock.>"}})
	if err != nil {
		t.Fatal(err)
	}
	next := func(want string) event.Event {
		t.Helper()
		msg, err := cons.Next(jetstream.FetchMaxWait(20 * time.Second))
		if err != nil {
			t.Fatalf("waiting for %s: %v", want, err)
		}
		ev, err := event.Unmarshal(msg.Data())
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != want || ev.Park != park || msg.Subject() != want+"."+park {
			t.Fatalf("got %s on %s, want %s", ev.Type, msg.Subject(), want)
		}
		return ev
	}

	publish(t, nt.JS, accepted(t, versions{}, "wf-1", "t-1", at(t, "2026-03-02 10:00"), 3), "approval-1")
	next(event.ClockStarted)
	c := e.clockOf("t-1", sla.KindResolution)
	blockUntil(t, e, 1)
	e.clk.Set(c.WarnAt)
	if w := next(event.ClockWarned); !w.OccurredAt.Equal(c.WarnAt) {
		t.Fatalf("warned at %v, want %v", w.OccurredAt, c.WarnAt)
	}
	blockUntil(t, e, 1)
	e.clk.Set(c.Deadline)
	next(event.ClockBreached)
	esc := next(event.ClockEscalated)
	if esc.Payload.(interface{ GetLevel() int32 }).GetLevel() != 1 {
		t.Fatalf("escalation %v", esc.Payload)
	}
}
