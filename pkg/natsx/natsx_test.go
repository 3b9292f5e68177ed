package natsx_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/natsx"
)

func embedded(t *testing.T) (jetstream.JetStream, *natsx.Embedded) {
	t.Helper()
	srv, err := natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js, err := natsx.Connect(context.Background(), natsx.Config{URL: srv.URL(), Name: "natsx-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js, srv
}

func TestEnsureStreamsIsIdempotentAndDeduplicates(t *testing.T) {
	js, _ := embedded(t)
	ctx := context.Background()
	for range 2 {
		if err := natsx.EnsureStreams(ctx, js, natsx.StreamDefaults{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range event.Streams() {
		st, err := js.Stream(ctx, s.Name)
		if err != nil {
			t.Fatalf("stream %s: %v", s.Name, err)
		}
		info, _ := st.Info(ctx)
		if info.Config.Duplicates != 10*time.Minute {
			t.Errorf("%s duplicate window %s, want 10m", s.Name, info.Config.Duplicates)
		}
	}
	for range 3 {
		if _, err := js.Publish(ctx, "sla.clock.warned.p1", []byte("x"), jetstream.WithMsgID("same-id")); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := js.Stream(ctx, event.StreamSLA)
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Errorf("SLA stream holds %d messages, want 1 (same Nats-Msg-Id)", info.State.Msgs)
	}
}

func TestEnsureConsumerDeclaresOnceAndUpdates(t *testing.T) {
	js, _ := embedded(t)
	ctx := context.Background()
	if err := natsx.EnsureStreams(ctx, js, natsx.StreamDefaults{}); err != nil {
		t.Fatal(err)
	}
	spec := natsx.ConsumerSpec{Stream: event.StreamIntake, Durable: "sla-intake", FilterSubjects: []string{"intake.ticket.>"}}
	if _, err := natsx.EnsureConsumer(ctx, js, spec); err != nil {
		t.Fatal(err)
	}
	spec.MaxDeliver = 9
	c, err := natsx.EnsureConsumer(ctx, js, spec)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := c.Info(ctx)
	if info.Config.MaxDeliver != 9 || info.Config.AckPolicy != jetstream.AckExplicitPolicy || info.Config.Durable != "sla-intake" {
		t.Errorf("consumer config %+v", info.Config)
	}
	if _, err := natsx.EnsureConsumer(ctx, js, natsx.ConsumerSpec{Stream: event.StreamIntake}); err == nil {
		t.Error("a consumer without a durable name was accepted")
	}
}

func TestDevClockFollowsTheStoredOffset(t *testing.T) {
	js, _ := embedded(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kv, err := natsx.DevClockKV(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := natsx.DevOffset(ctx, kv); err != nil || d != 0 {
		t.Fatalf("fresh offset = %s, %v", d, err)
	}
	base := clock.NewManual(time.Date(2026, 9, 18, 1, 0, 0, 0, time.UTC))
	off := clock.NewOffset(base)
	done := make(chan error, 1)
	go func() { done <- natsx.WatchDevClock(ctx, kv, off) }()
	if err := natsx.SetDevOffset(ctx, kv, 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for off.Offset() != 48*time.Hour {
		if time.Now().After(deadline) {
			t.Fatalf("offset %s never followed the store", off.Offset())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !off.Now().Equal(base.Now().Add(48 * time.Hour)) {
		t.Errorf("now %s", off.Now())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch returned %v", err)
	}
}

func TestConnectFailsClearly(t *testing.T) {
	_, _, err := natsx.Connect(context.Background(), natsx.Config{URL: "nats://127.0.0.1:1", Name: "x", ConnectTimeout: 200 * time.Millisecond})
	if err == nil {
		t.Fatal("connected to nothing")
	}
}
