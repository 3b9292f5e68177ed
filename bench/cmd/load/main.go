// Command load is parkdesk's load generator and benchmark orchestrator
// (`make bench`). It measures, in one run and on this machine:
//
//   - the machine's own baselines: pgbench tpcb-like on the same PostgreSQL
//     server the services use, and a raw JetStream publish loop on the same
//     NATS server;
//   - through the gateway: ticket submissions at the most the system takes
//     (closed loop) and at the goal rate (open loop, 0.5 × pgbench TPS at 32
//     clients), the event path submit → officer dispatched / SLA clock
//     started (observed on NATS), reads, lists and approval decisions, and
//     every durable consumer's backlog;
//   - the SLA engine over 1,000,000 open clocks (services/sla
//     BenchmarkFireDue) and the working-day arithmetic (pkg/workday);
//
// and writes bench/results/<date>-<host>.{md,json} with the machine, date,
// commit and load average, every figure with its ratio to its baseline or
// goal. Without -gateway it builds and starts its own stack on free ports
// (bench/internal/stack); with -gateway it loads a running one (the dev
// stack: -gateway http://$DEV_GATEWAY_ADDR -secret-file $PARKDESK_DEV_DIR/secret
// -nats nats://127.0.0.1:$DEV_NATS_PORT -pg <server admin URL>).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/parkdesk/parkdesk/bench/internal/load"
	"github.com/parkdesk/parkdesk/bench/internal/stack"
	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/natsx"
)

type options struct {
	gateway, secret, secretFile, natsURL, pgAdmin string
	clients                                       int
	duration, warmup                              time.Duration
	mix                                           string
	rate                                          float64
	firms                                         int
	baseline, micro, phases                       bool
	pgbenchSecs, pgbenchScale                     int
	clocks                                        int
	out, readme                                   string
	quick, hold                                   bool
}

func main() {
	var o options
	flag.StringVar(&o.gateway, "gateway", "", "base URL of a running stack's gateway; empty: build and start one")
	flag.StringVar(&o.secret, "secret", "", "the running stack's AUTH_HMAC_SECRET")
	flag.StringVar(&o.secretFile, "secret-file", "", "file holding the running stack's HMAC secret (<dev dir>/secret)")
	flag.StringVar(&o.natsURL, "nats", "", "the running stack's NATS URL")
	flag.StringVar(&o.pgAdmin, "pg", "", "admin URL (postgres database) of the running stack's PostgreSQL server, for pgbench")
	flag.IntVar(&o.clients, "clients", 32, "closed-loop clients")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "length of each measured phase")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "unmeasured warm-up before the phases")
	flag.StringVar(&o.mix, "mix", "submit=40,read=30,list=20,decision=10", "op weights of the mixed phase")
	flag.Float64Var(&o.rate, "rate", 0, "open-loop submissions per second; 0: 0.5 × pgbench TPS at 32 clients (the goal)")
	flag.IntVar(&o.firms, "firms", 20, "firms of the park the load files for (at most the park's firms with an officer)")
	flag.BoolVar(&o.baseline, "baseline", true, "measure pgbench and the raw JetStream publish loop")
	flag.BoolVar(&o.micro, "micro", true, "run the SLA 1,000,000-clock and working-day benchmarks")
	flag.BoolVar(&o.phases, "load", true, "run the load phases")
	flag.IntVar(&o.pgbenchSecs, "pgbench-seconds", 15, "seconds per pgbench run")
	flag.IntVar(&o.pgbenchScale, "pgbench-scale", 10, "pgbench scale")
	flag.IntVar(&o.clocks, "clocks", 1_000_000, "open clocks of the SLA benchmark")
	flag.StringVar(&o.out, "out", "", "directory for the results files (default bench/results of the checkout)")
	flag.StringVar(&o.readme, "readme", "", "README to update between the bench markers (empty: none)")
	flag.BoolVar(&o.quick, "quick", false, "short run for a smoke test: 8s phases, 5s pgbench, 100,000 clocks")
	flag.BoolVar(&o.hold, "hold", false, "start the stack, print how to reach it, and wait for Ctrl-C (no measuring)")
	flag.Parse()
	if o.quick {
		o.duration, o.warmup, o.pgbenchSecs, o.clocks = 8*time.Second, 2*time.Second, 5, 100_000
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		slog.Error("bench", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	began := time.Now()
	root, err := stack.FindRoot()
	if err != nil {
		return err
	}
	if o.out == "" {
		o.out = filepath.Join(root, "bench", "results")
	}
	res := &load.Results{Machine: load.DescribeMachine(root), Started: began.UTC().Format(time.RFC3339),
		Options: fmt.Sprintf("clients=%d duration=%s mix=%s firms=%d pgbench=%ds×scale %d clocks=%d",
			o.clients, o.duration, o.mix, o.firms, o.pgbenchSecs, o.pgbenchScale, o.clocks)}
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "[%5.0fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	logf("machine: %s; load average %s", res.Machine.Summary(), load.LoadAvg())

	// The micro benchmarks first, while the machine is quietest of our own load.
	if o.micro && !o.hold {
		logf("working-day micro-benchmarks (pkg/workday)")
		if res.Workday, err = load.RunGoBench(ctx, root, "./pkg/workday/", ".", "", nil); err != nil {
			logf("workday benchmarks failed: %v", err)
			res.Notes = append(res.Notes, "workday benchmarks failed: "+err.Error())
		}
		logf("SLA engine over %d open clocks (services/sla BenchmarkFireDue)", o.clocks)
		if res.FireDue, err = load.RunGoBench(ctx, root, "./services/sla/", "FireDue", "1x",
			[]string{fmt.Sprintf("PARKDESK_BENCH_CLOCKS=%d", o.clocks)}); err != nil {
			logf("sla benchmark failed: %v", err)
			res.Notes = append(res.Notes, "sla benchmark failed: "+err.Error())
		}
		res.Clocks = o.clocks
	}

	if o.baseline || o.phases || o.hold {
		if err := loadPart(ctx, o, root, res, logf); err != nil {
			return err
		}
	}
	if o.hold {
		return nil
	}
	res.Finished = time.Now().UTC().Format(time.RFC3339)
	res.LoadAvgEnd = load.LoadAvg()
	md, js, err := res.Write(o.out)
	if err != nil {
		return err
	}
	logf("wrote %s and %s", md, js)
	if o.readme != "" {
		if err := res.UpdateReadme(o.readme, md); err != nil {
			return err
		}
		logf("updated %s", o.readme)
	}
	fmt.Println(res.Markdown(filepath.Base(md)))
	return nil
}

func loadPart(ctx context.Context, o options, root string, res *load.Results, logf func(string, ...any)) error {
	gateway, natsURL, admin, secret := o.gateway, o.natsURL, o.pgAdmin, o.secret
	if o.secretFile != "" {
		b, err := os.ReadFile(o.secretFile)
		if err != nil {
			return err
		}
		secret = strings.TrimSpace(string(b))
	}
	if gateway == "" {
		work, err := os.MkdirTemp("", "parkdesk-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(work)
		logf("building the services and starting the stack (embedded JetStream, PostgreSQL, every service, gateway)")
		var settings []string
		if v := os.Getenv("PARKDESK_BENCH_DB_SETTINGS"); v != "" {
			settings = strings.Split(v, ",")
		}
		st, err := stack.Start(ctx, stack.Config{Root: root, Work: work, Env: []string{"LOG_LEVEL=warn"}, DBSettings: settings})
		if err != nil {
			return err
		}
		defer st.Stop()
		gateway, natsURL, admin, secret = st.Gateway, st.NATSURL, st.AdminURL, st.Secret
		res.Stack = fmt.Sprintf("own stack: %d services + gateway, embedded JetStream (R1, file store), PostgreSQL at %s",
			len(st.Procs)-1, redact(admin))
		logf("stack up: %s", gateway)
		if o.hold {
			fmt.Printf("gateway=%s\nnats=%s\nsecret=%s\npg=%s\ndb=%s\nlogs=%s\n", st.Gateway, st.NATSURL, st.Secret, st.AdminURL, st.DBURL, st.Logs)
			<-ctx.Done()
			return nil
		}
	} else {
		res.Stack = "running stack at " + gateway
	}
	if secret == "" || natsURL == "" {
		return errors.New("-gateway needs -secret or -secret-file, and -nats")
	}
	signer, err := auth.NewHMACSigner(secret, stack.Issuer, stack.Audience)
	if err != nil {
		return err
	}
	nc, js, err := natsx.Connect(ctx, natsx.Config{URL: natsURL, Name: "bench-load"})
	if err != nil {
		return err
	}
	defer nc.Close()
	res.PGVersion = load.PGVersion(ctx, admin)

	if o.baseline {
		if admin == "" {
			res.Notes = append(res.Notes, "no -pg: pgbench baseline skipped")
		} else {
			logf("baseline: pgbench tpcb-like, scale %d, %ds at 1, 8 and 32 clients", o.pgbenchScale, o.pgbenchSecs)
			if res.PGBench, err = load.RunPGBench(ctx, admin, o.pgbenchScale, o.pgbenchSecs, []int{1, 8, 32}); err != nil {
				return err
			}
		}
		logf("baseline: raw JetStream publish loop")
		if res.JetStream, err = load.RunJSPublish(ctx, js, 5*time.Second); err != nil {
			return err
		}
		logf("baselines: pgbench %v; jetstream %v", res.PGBench, res.JetStream)
	}
	if !o.phases {
		return nil
	}
	mix, err := load.ParseMix(o.mix)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 4 * o.clients,
		MaxIdleConnsPerHost: 4 * o.clients, IdleConnTimeout: 30 * time.Second}}
	d, err := load.Setup(ctx, load.Target{Gateway: gateway, Signer: signer, Client: client}, o.firms)
	if err != nil {
		return err
	}
	tr, err := load.Track(nc)
	if err != nil {
		return err
	}
	defer tr.Close()
	loadavg := load.LoadAvg
	if o.warmup > 0 {
		logf("warm-up %s", o.warmup)
		d.RunPhase(ctx, load.Phase{Name: "warmup", Mode: "closed", Clients: 8, Duration: o.warmup, Mix: load.Mix{load.OpSubmit: 1}}, tr, js, loadavg)
	}
	rate := o.rate
	if rate == 0 {
		if tps := res.PGBenchAt(32); tps > 0 {
			rate = 0.5 * tps
		} else {
			rate = 100
		}
	}
	phases := []load.Phase{
		{Name: "submit-max", Mode: "closed", Clients: o.clients, Duration: o.duration, Mix: load.Mix{load.OpSubmit: 1}},
		{Name: "submit-at-goal", Mode: "open", Rate: rate, Duration: o.duration, Mix: load.Mix{load.OpSubmit: 1}, MaxInFlight: 4 * o.clients},
		{Name: "mixed", Mode: "closed", Clients: o.clients, Duration: o.duration, Mix: mix},
	}
	for _, p := range phases {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		logf("phase %s", p.Name)
		r := d.RunPhase(ctx, p, tr, js, loadavg)
		logf("%s", r.Summary())
		res.Phases = append(res.Phases, r)
	}
	return nil
}

func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
