package outbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/testenv"
)

// BenchmarkRelayThroughput commits b.N events in transactions of 10 and
// measures how fast one relay drains them to JetStream.
func BenchmarkRelayThroughput(b *testing.B) {
	conn := testenv.DB(b, tpl)
	nt := testenv.JetStream(b)
	for i := 0; i < b.N; i += 10 {
		batch := make([]event.Event, 0, 10)
		for j := 0; j < 10 && i+j < b.N; j++ {
			batch = append(batch, newEvent(b, "t-bench", int64(i+j+1)))
		}
		commit(b, conn, batch...)
	}
	r := newRelay(b, conn, nt.JS, outbox.RelayConfig{BatchSize: 500})
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		n, err := r.Flush(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		sent += n
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkPublishLatencyIdle measures commit → message on the stream's
// subject with an idle relay woken by LISTEN/NOTIFY (poll fallback 1 h).
func BenchmarkPublishLatencyIdle(b *testing.B) {
	d := testenv.NewDatabase(b, tpl)
	nt := testenv.JetStream(b)
	r := newRelay(b, d.DB, nt.JS, outbox.RelayConfig{ListenDSN: d.URL, PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	sub, err := nt.Conn.SubscribeSync("intake.>")
	if err != nil {
		b.Fatal(err)
	}
	// Warm up until the listener is connected.
	for i := int64(1); ; i++ {
		commit(b, d.DB, newEvent(b, "t-warm", i))
		if _, err := sub.NextMsg(200 * time.Millisecond); err == nil {
			break
		}
	}
	for {
		if _, err := sub.NextMsg(50 * time.Millisecond); err != nil {
			break
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		commit(b, d.DB, newEvent(b, "t-lat", int64(i+1)))
		if _, err := sub.NextMsg(5 * time.Second); err != nil {
			b.Fatalf("event %d not published: %v", i, err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
