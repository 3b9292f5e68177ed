package liaison_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
	"github.com/parkdesk/parkdesk/services/liaison"
)

func jetStream(t testing.TB) *testenv.NATS { return testenv.JetStream(t) }

// publish sends ev to JetStream as its producer's outbox relay would.
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

// runConsumers runs replicas sets of the liaison consumers (the same durable
// consumers, as several service replicas would) until the test ends.
func runConsumers(t testing.TB, e *env, nt *testenv.NATS, replicas int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var n int
	done := make(chan struct{}, 8*replicas)
	for range replicas {
		cs, err := e.repo.Consumers(context.Background(), nt.JS, liaison.ConsumerConfig{Concurrency: 4})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			n++
			go func() { _ = c.Run(ctx); done <- struct{}{} }()
		}
	}
	t.Cleanup(func() {
		cancel()
		for range n {
			<-done
		}
	})
}

// runRelay publishes the liaison outbox to JetStream until the test ends.
func runRelay(t testing.TB, e *env, nt *testenv.NATS) {
	t.Helper()
	relay, err := outbox.NewRelay(e.db, nt.JS, outbox.RelayConfig{Schema: "liaison", PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = relay.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}
