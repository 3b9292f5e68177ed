package load

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/pgserver"
)

// PGBench is one pgbench run.
type PGBench struct {
	Clients int     `json:"clients"`
	Scale   int     `json:"scale"`
	Seconds int     `json:"seconds"`
	TPS     float64 `json:"tps"`
	LatAvg  float64 `json:"latency_avg_ms"`
}

var (
	tpsRe = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	latRe = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// RunPGBench initialises a scratch database on the server of admin (a
// postgres:// URL of its "postgres" database), runs tpcb-like for each
// client count, and drops the database.
func RunPGBench(ctx context.Context, admin string, scale, seconds int, clients []int) ([]PGBench, error) {
	bin, err := pgTool("pgbench")
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PGHOST="+u.Hostname(), "PGPORT="+u.Port(), "PGUSER="+u.User.Username())
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	if h := u.Query().Get("host"); h != "" { // unix socket
		env = append(env, "PGHOST="+h)
	}
	name := fmt.Sprintf("pgbench_%d", time.Now().UnixNano()%1e9)
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	psql, err := pgTool("psql")
	if err != nil {
		return nil, err
	}
	if _, err := run(psql, "-X", "-q", "-d", "postgres", "-c", "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	defer func() {
		_, _ = run(psql, "-X", "-q", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}()
	if _, err := run(bin, "-i", "-q", "-s", strconv.Itoa(scale), name); err != nil {
		return nil, err
	}
	var out []PGBench
	for _, c := range clients {
		text, err := run(bin, "-b", "tpcb-like", "-c", strconv.Itoa(c), "-j", strconv.Itoa(min(c, 4)), "-T", strconv.Itoa(seconds), name)
		if err != nil {
			return out, err
		}
		r := PGBench{Clients: c, Scale: scale, Seconds: seconds}
		if m := tpsRe.FindStringSubmatch(text); m != nil {
			r.TPS, _ = strconv.ParseFloat(m[1], 64)
		}
		if m := latRe.FindStringSubmatch(text); m != nil {
			r.LatAvg, _ = strconv.ParseFloat(m[1], 64)
		}
		if r.TPS == 0 {
			return out, fmt.Errorf("pgbench: no tps in\n%s", text)
		}
		out = append(out, r)
	}
	return out, nil
}

// pgTool finds a PostgreSQL client program on PATH, else beside the server
// binaries (Debian: /usr/lib/postgresql/<v>/bin).
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if dir, err := pgserver.BinDir(); err == nil {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found (make deps installs PostgreSQL: apt-get install postgresql)", name)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// JSPublish is the raw JetStream publish baseline.
type JSPublish struct {
	Mode      string  `json:"mode"` // sync-32 (32 publishers, each waiting for its ack) or async (batches of 256)
	N         int     `json:"n"`
	PerSec    float64 `json:"per_sec"`
	P99Millis float64 `json:"p99_ms,omitempty"`
}

// RunJSPublish publishes 400-byte messages (about an event envelope) to a
// scratch file-store stream on the stack's server: 32 concurrent publishers
// each waiting for its PubAck (as the HTTP path would), then async batches of
// 256 (as the outbox relay does). The stream is deleted afterwards.
func RunJSPublish(ctx context.Context, js jetstream.JetStream, d time.Duration) ([]JSPublish, error) {
	const stream = "BENCH_BASELINE"
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{"benchbaseline.>"},
		Storage: jetstream.FileStorage}); err != nil {
		return nil, err
	}
	defer func() { _ = js.DeleteStream(context.Background(), stream) }()
	payload := make([]byte, 400)
	var out []JSPublish

	// 32 synchronous publishers.
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	pctx, cancel := context.WithTimeout(ctx, d)
	start := time.Now()
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range 32 {
		wg.Go(func() {
			var mine []time.Duration
			for pctx.Err() == nil {
				t0 := time.Now()
				if _, err := js.Publish(ctx, "benchbaseline.sync", payload); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				mine = append(mine, time.Since(t0))
				n.Add(1)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	cancel()
	el := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return nil, e.(error)
	}
	slices.Sort(lat)
	out = append(out, JSPublish{Mode: "sync-32", N: int(n.Load()), PerSec: float64(n.Load()) / el.Seconds(),
		P99Millis: float64(ms(pct(lat, .99)))})

	// Async batches of 256.
	total := 0
	start = time.Now()
	for time.Since(start) < d {
		var fs []jetstream.PubAckFuture
		for range 256 {
			f, err := js.PublishAsync("benchbaseline.async", payload)
			if err != nil {
				return out, err
			}
			fs = append(fs, f)
		}
		for _, f := range fs {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return out, err
			case <-ctx.Done():
				return out, ctx.Err()
			}
		}
		total += len(fs)
	}
	el = time.Since(start)
	out = append(out, JSPublish{Mode: "async-256", N: total, PerSec: float64(total) / el.Seconds()})
	return out, nil
}
