package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/deploy/check"
)

// TestMeasureSync measures what sync_interval: always costs on this machine:
// the same 3-node cluster and R3 stream, once with deploy/nats/nats.conf and
// once with JetStream's default (fsync every 2 minutes), publishing as the
// outbox relay does (async batches of 256, waiting for every PubAck). Run with
// PARKDESK_MEASURE=1; it prints the figures recorded in deploy/nats/README.md.
func TestMeasureSync(t *testing.T) {
	if os.Getenv("PARKDESK_MEASURE") != "1" {
		t.Skip("measurement: run with PARKDESK_MEASURE=1")
	}
	root, err := check.Root()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	build(t, root, bin, nil)
	conf := filepath.Join(root, "deploy", "nats", "nats.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	lazy := filepath.Join(root, "deploy", "nats", ".measure-lazy.conf")
	if err := os.WriteFile(lazy, []byte(strings.Replace(string(b), "sync_interval: always", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(lazy) })
	const n = 5000
	for _, c := range []struct{ name, conf string }{{"always", conf}, {"default (2m)", lazy}} {
		ctx := context.Background()
		dir := t.TempDir()
		nc, err := StartNATS(ctx, filepath.Join(bin, "nats-server"), c.conf, dir, dir, check.NATSUsers)
		if err != nil {
			t.Fatal(err)
		}
		ops := connect(t, ctx, nc, "ops", "measure")
		waitJetStream(t, ctx, ops.js)
		if _, err := ops.js.CreateStream(ctx, jetstream.StreamConfig{Name: "M", Subjects: []string{"m.>"}, Replicas: 3, Storage: jetstream.FileStorage}); err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, 400) // about an event envelope
		began := time.Now()
		var worst time.Duration
		for i := 0; i < n; i += 256 {
			start := time.Now()
			var futures []jetstream.PubAckFuture
			for j := i; j < min(i+256, n); j++ {
				f, err := ops.js.PublishAsync("m.x", payload)
				if err != nil {
					t.Fatal(err)
				}
				futures = append(futures, f)
			}
			for _, f := range futures {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					t.Fatal(err)
				}
			}
			worst = max(worst, time.Since(start))
		}
		el := time.Since(began)
		t.Logf("sync %s: %d events in %s = %.0f events/s, slowest batch of 256 %s", c.name, n, el.Round(time.Millisecond),
			float64(n)/el.Seconds(), worst.Round(time.Millisecond))
		nc.Stop()
	}
}
