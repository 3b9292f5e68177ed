package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/deploy/check"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/pgserver"
	"github.com/parkdesk/parkdesk/pkg/testenv"
)

func TestMain(m *testing.M) {
	// Roles are objects of the whole PostgreSQL cluster: create them in a
	// private throwaway cluster, never in a shared server.
	if os.Getenv("PARKDESK_TEST_PG") == "" {
		os.Setenv("PARKDESK_TEST_PG", "private")
	}
	testenv.Main(m)
}

// config is the test's knobs, from the environment.
type config struct {
	duration  time.Duration // steady load, chaos included (CHAOS_DURATION, default 60s)
	rounds    int           // kill rounds (CHAOS_ROUNDS, default 1)
	rate      int           // workflow starts published per second (CHAOS_RATE, default 20)
	replicas  int           // replicas of each service (CHAOS_REPLICAS, default 2)
	services  []string      // services to run (CHAOS_SERVICES, default: every services/<name>/cmd/<name>)
	pgRestart bool          // restart PostgreSQL once per round (CHAOS_PG_RESTART, default on; CHAOS_PG_MODE)
	minKills  int           // fail unless every kind of fault happened at least this often (CHAOS_MIN_KILLS, default 0)
}

// serviceOrder lists the services the harness knows, gateway last; the
// gateway's routes are those of deploy/local and deploy/k8s.
var serviceOrder = []string{"intake", "liaison", "approval", "policy", "sla", "gateway"}

var gatewayRoutes = map[string][]string{
	"intake":   {"/v1/enterprises", "/v1/catalog", "/v1/tickets"},
	"liaison":  {"/v1/liaison", "/v1/officers"},
	"approval": {"/v1/tasks", "/v1/workflows"},
	"policy":   {"/v1/policies", "/v1/policy-applications", "/v1/policy-matches"},
	"sla":      {"/v1/sla", "/v1/calendars"},
}

func loadConfig(t *testing.T, root string) config {
	c := config{duration: 60 * time.Second, rounds: 1, rate: 20, replicas: 2, pgRestart: os.Getenv("CHAOS_PG_RESTART") != "0"}
	if v := os.Getenv("CHAOS_MIN_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("CHAOS_MIN_KILLS=%q: want a number", v)
		}
		c.minKills = n
	}
	if v := os.Getenv("CHAOS_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 20*time.Second {
			t.Fatalf("CHAOS_DURATION=%q: want a duration of at least 20s", v)
		}
		c.duration = d
	}
	for _, kv := range []struct {
		env string
		v   *int
	}{{"CHAOS_ROUNDS", &c.rounds}, {"CHAOS_RATE", &c.rate}, {"CHAOS_REPLICAS", &c.replicas}} {
		if v := os.Getenv(kv.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive number", kv.env, v)
			}
			*kv.v = n
		}
	}
	if v := os.Getenv("CHAOS_SERVICES"); v != "" {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(serviceOrder, s) {
				t.Fatalf("CHAOS_SERVICES: unknown service %q", s)
			}
			if !hasCmd(root, s) {
				t.Fatalf("CHAOS_SERVICES: %s has no services/%s/cmd/%s/*.go", s, s, s)
			}
			c.services = append(c.services, s)
		}
	} else {
		for _, s := range serviceOrder {
			if hasCmd(root, s) {
				c.services = append(c.services, s)
			}
		}
	}
	slices.SortFunc(c.services, func(a, b string) int { return slices.Index(serviceOrder, a) - slices.Index(serviceOrder, b) })
	if !slices.Contains(c.services, "sla") {
		t.Fatalf("the cluster test needs the sla service (services: %v)", c.services)
	}
	return c
}

// hasCmd reports whether services/<s>/cmd/<s> holds Go files: a service
// counts as existing once its command does.
func hasCmd(root, s string) bool {
	m, _ := filepath.Glob(filepath.Join(root, "services", s, "cmd", s, "*.go"))
	return len(m) > 0
}

// TestClusterChaos is the production topology on loopback under steady load:
// one NATS node and one replica of every service are killed -9 and brought
// back, then nothing may be lost or doubled. Run with `make chaos`; knobs:
// CHAOS_DURATION, CHAOS_ROUNDS, CHAOS_RATE, CHAOS_REPLICAS, CHAOS_SERVICES.
func TestClusterChaos(t *testing.T) {
	if os.Getenv("PARKDESK_CHAOS") != "1" {
		t.Skip("the cluster chaos test runs with `make chaos` (PARKDESK_CHAOS=1)")
	}
	began := time.Now()
	root, err := check.Root()
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t, root)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	work, err := os.MkdirTemp("", "parkdesk-chaos-")
	if err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(work, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs kept in %s", logs)
			return
		}
		os.RemoveAll(work)
	})

	// 1. Binaries: nats-server at the version of go.mod, and every service.
	bin := filepath.Join(work, "bin")
	step := time.Now()
	build(t, root, bin, cfg.services)
	t.Logf("built nats-server and %v in %s", cfg.services, time.Since(step).Round(time.Millisecond))

	// 2. PostgreSQL: a fresh database with deploy/postgres/roles.sql applied.
	step = time.Now()
	pg := startPostgres(t, root)
	t.Logf("postgres database %s with per-service roles in %s", pg.dbname, time.Since(step).Round(time.Millisecond))

	// 3. NATS: three nodes of deploy/nats/nats.conf, streams from jetstream.json.
	step = time.Now()
	nc, err := StartNATS(ctx, filepath.Join(bin, "nats-server"), filepath.Join(root, "deploy", "nats", "nats.conf"),
		filepath.Join(work, "nats"), logs, check.NATSUsers)
	if err != nil {
		t.Fatalf("NATS cluster did not start: %v", err)
	}
	t.Cleanup(nc.Stop)
	ops := connect(t, ctx, nc, "ops", "chaos-ops")
	declared := loadDeclared(t, root)
	waitJetStream(t, ctx, ops.js)
	for _, s := range declared.Streams {
		if _, err := ops.js.CreateOrUpdateStream(ctx, streamConfig(t, s)); err != nil {
			t.Fatalf("create stream %s R%d: %v", s.Name, s.Replicas, err)
		}
	}
	t.Logf("NATS cluster of 3 with %d R3 streams in %s", len(declared.Streams), time.Since(step).Round(time.Millisecond))

	// 4. CHAOS_REPLICAS (2) replicas of every service, each as its own PostgreSQL role and NATS user.
	step = time.Now()
	fleet := startServices(t, ctx, root, bin, logs, cfg.services, cfg.replicas, pg, nc)
	t.Logf("%d services x %d replicas ready in %s", len(fleet.services), cfg.replicas, time.Since(step).Round(time.Millisecond))
	checkStreams(t, ctx, ops.js, declared, "after the services started")
	checkConsumers(t, ctx, ops.js, declared, cfg.services)

	// 5. Steady load, with the faults.
	step = time.Now()
	load := startLoad(t, ctx, nc, fleet, cfg)
	kinds := runChaos(t, ctx, cfg, nc, fleet, pg)
	load.stop()
	faults := kinds.total()
	t.Logf("load for %s: %s; %d faults: %s", time.Since(step).Round(time.Second), load.summary(), faults, kinds)
	kinds.check(t, cfg)

	// 6. Everything drains; then the invariants.
	step = time.Now()
	drain(t, ctx, ops.js, pg, cfg.services, declared, 3*time.Minute)
	t.Logf("drained in %s", time.Since(step).Round(time.Millisecond))
	lost, dup := verify(t, ctx, ops.js, pg, load, nc, fleet)
	checkStreams(t, ctx, ops.js, declared, "at the end")
	line := fmt.Sprintf("%d submitted, %d faults, %d lost, %d duplicated", load.submitted(), faults, lost, dup)
	if t.Failed() {
		fmt.Printf("chaos FAILED: %s (%s; faults: %s; %s)\n", line, load.summary(), kinds, time.Since(began).Round(time.Second))
		return
	}
	fmt.Printf("chaos: %s (%s; faults: %s; %s)\n", line, load.summary(), kinds, time.Since(began).Round(time.Second))
}

// build compiles nats-server (deploy/check's go.mod pins the version of
// pkg/go.mod) and the services (in the workspace) into dir.
func build(t *testing.T, root, dir string, services []string) {
	t.Helper()
	env := func(extra ...string) []string {
		var out []string
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "GOWORK=") {
				out = append(out, e)
			}
		}
		return append(out, extra...)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "nats-server"), "github.com/nats-io/nats-server/v2")
	cmd.Dir = filepath.Join(root, "deploy", "check")
	cmd.Env = env("GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build nats-server: %v\n%s", err, out)
	}
	if len(services) == 0 {
		return
	}
	args := []string{"build", "-o", dir + "/"}
	for _, s := range services {
		args = append(args, "./services/"+s+"/cmd/"+s)
	}
	cmd = exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = env("GOWORK=" + filepath.Join(root, "go.work"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build services %v: %v\n%s", services, err, out)
	}
}

// postgres is the test's database and how each service reaches it.
type postgres struct {
	admin     *sqlx.DB
	adminURL  string
	dbname    string
	passwords map[string]string
}

// url is the DATABASE_URL of service's role.
func (p *postgres) url(service string) string {
	u := strings.Replace(p.adminURL, "postgres://postgres@", "postgres://"+service+":"+p.passwords[service]+"@", 1)
	return u
}

func startPostgres(t *testing.T, root string) *postgres {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql not found: the cluster test applies deploy/postgres/roles.sql with it (apt-get install postgresql-client)")
	}
	server := testenv.ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dsn, err := db.DSN(server, "")
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	p := &postgres{dbname: "chaos_" + secret()[:10], passwords: map[string]string{}}
	if _, err := sdb.ExecContext(ctx, `CREATE DATABASE `+p.dbname); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if p.admin != nil {
			p.admin.Close()
		}
		c, err := sqlx.Open("postgres", dsn)
		if err == nil {
			_, _ = c.Exec(`DROP DATABASE IF EXISTS ` + p.dbname + ` WITH (FORCE)`)
			c.Close()
		}
	})
	p.adminURL = strings.Replace(server, "/postgres?", "/"+p.dbname+"?", 1)
	if !strings.HasPrefix(p.adminURL, "postgres://postgres@") || !strings.Contains(p.adminURL, "/"+p.dbname+"?") {
		t.Fatalf("unexpected PostgreSQL URL shape %q", server)
	}
	args := []string{p.adminURL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "dbname=" + p.dbname}
	for _, s := range check.Services {
		if s.Data {
			p.passwords[s.Name] = secret()
			args = append(args, "-v", s.Name+"_password="+p.passwords[s.Name])
		}
	}
	args = append(args, "-f", filepath.Join(root, "deploy", "postgres", "roles.sql"))
	if out, err := exec.Command(psql, args...).CombinedOutput(); err != nil {
		t.Fatalf("psql -f deploy/postgres/roles.sql: %v\n%s", err, out)
	}
	adsn, err := db.DSN(p.adminURL, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.admin, err = sqlx.Open("postgres", adsn); err != nil {
		t.Fatal(err)
	}
	return p
}

// fleet is the running services.
type fleet struct {
	services map[string]*Service
	names    []string
}

func startServices(t *testing.T, ctx context.Context, root, bin, logs string, names []string, replicas int, pg *postgres, nc *NATSCluster) *fleet {
	t.Helper()
	hmac := secret() + secret()
	f := &fleet{services: map[string]*Service{}, names: names}
	t.Cleanup(func() {
		for i := len(names) - 1; i >= 0; i-- {
			s := f.services[names[i]]
			if s == nil {
				continue
			}
			for _, r := range s.Replicas {
				r.Stop(10 * time.Second)
			}
			if s.LB != nil {
				s.LB.Close()
			}
		}
	})
	var routes []string
	start := func(name string) {
		s := &Service{Name: name}
		f.services[name] = s
		var addrs []string
		for i := range replicas {
			port, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			env := append(os.Environ(),
				"HTTP_ADDR="+addr,
				"NATS_URL="+nc.URLs(name, i+slices.Index(serviceOrder, name)),
				"AUTH_HMAC_SECRET="+hmac,
				"AUTH_ISSUER=parkdesk", "AUTH_AUDIENCE=parkdesk-api",
				"LOG_LEVEL=info",
				"OUTBOX_RETENTION=1h",
				"NATS_STREAM_REPLICAS=3",
				"PARKDESK_SEEDS="+filepath.Join(root, "seeds"),
				"PARKDESK_DEV=",
			)
			if _, data := pg.passwords[name]; data {
				env = append(env, "DATABASE_URL="+pg.url(name))
			}
			if name == "gateway" {
				env = append(env, "GATEWAY_ROUTES="+strings.Join(routes, ","))
			}
			r := &Replica{Addr: addr, Proc: &Proc{Name: fmt.Sprintf("%s-%d", name, i), Bin: filepath.Join(bin, name), Env: env,
				Dir: root, Log: filepath.Join(logs, fmt.Sprintf("%s-%d.log", name, i))}}
			if err := r.Start(); err != nil {
				t.Fatal(err)
			}
			s.Replicas = append(s.Replicas, r)
			addrs = append(addrs, addr)
		}
		lb, err := NewLB(addrs)
		if err != nil {
			t.Fatal(err)
		}
		s.LB = lb
		for _, p := range gatewayRoutes[name] {
			routes = append(routes, p+"=http://"+lb.Addr)
		}
	}
	for _, name := range names {
		if name != "gateway" {
			start(name)
		}
	}
	for _, name := range names {
		if name == "gateway" {
			continue
		}
		for _, r := range f.services[name].Replicas {
			if err := r.Ready(ctx, 120*time.Second); err != nil {
				t.Fatalf("service did not start: %v", err)
			}
		}
	}
	if slices.Contains(names, "gateway") {
		start("gateway")
		for _, r := range f.services["gateway"].Replicas {
			if err := r.Ready(ctx, 60*time.Second); err != nil {
				t.Fatalf("gateway did not start: %v", err)
			}
		}
	}
	return f
}

// faultCounts counts the faults of a run by kind: "nats" (a node killed
// -9), "postgres" (an immediate-mode restart: a crash and recovery) and
// each service's name (a replica killed -9).
type faultCounts map[string]int

func (f faultCounts) total() int {
	n := 0
	for _, v := range f {
		n += v
	}
	return n
}

func (f faultCounts) String() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, f[k])
	}
	return strings.Join(parts, " ")
}

// check fails t unless every kind of fault happened cfg.minKills times.
func (f faultCounts) check(t *testing.T, cfg config) {
	t.Helper()
	if cfg.minKills == 0 {
		return
	}
	kinds := append([]string{"nats"}, cfg.services...)
	if cfg.pgRestart {
		kinds = append(kinds, "postgres")
	}
	for _, k := range kinds {
		if f[k] < cfg.minKills {
			t.Errorf("%s: %d faults, CHAOS_MIN_KILLS wants %d (raise CHAOS_ROUNDS)", k, f[k], cfg.minKills)
		}
	}
}

// runChaos, in each round spread over the load's duration: kills -9 one
// NATS node and brings it back; restarts PostgreSQL (every connection of
// every service breaks); kills -9 one replica of every service in turn and
// brings them back.
// It returns the faults by kind.
func runChaos(t *testing.T, ctx context.Context, cfg config, nc *NATSCluster, f *fleet, pg *postgres) faultCounts {
	t.Helper()
	faults := faultCounts{}
	slot := cfg.duration / time.Duration(cfg.rounds)
	for round := range cfg.rounds {
		begin := time.Now()
		pause := func(frac float64) {
			d := time.Until(begin.Add(time.Duration(float64(slot) * frac)))
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		pause(0.1)
		node := nc.Nodes[(round+1)%len(nc.Nodes)]
		node.Kill()
		faults["nats"]++
		t.Logf("round %d: killed -9 NATS node %s", round+1, node.Name)
		pause(0.25)
		if err := node.Start(); err != nil {
			t.Fatalf("restart %s: %v", node.Name, err)
		}
		if err := node.WaitReady(ctx, 60*time.Second); err != nil {
			t.Fatalf("restarted NATS node: %v", err)
		}
		t.Logf("round %d: %s back", round+1, node.Name)
		if cfg.pgRestart {
			pause(0.35)
			took, err := restartPostgres(ctx, pg)
			if err != nil {
				t.Fatalf("round %d: restart PostgreSQL: %v", round+1, err)
			}
			faults["postgres"]++
			t.Logf("round %d: PostgreSQL restarted (%s mode) in %s", round+1, pgMode(), took.Round(time.Millisecond))
		}
		pause(0.5)
		var victims []*Replica
		for _, name := range f.names {
			rs := f.services[name].Replicas
			r := rs[round%len(rs)]
			r.Kill()
			faults[name]++
			victims = append(victims, r)
			time.Sleep(300 * time.Millisecond)
		}
		t.Logf("round %d: killed -9 %d service replicas", round+1, len(victims))
		pause(0.65)
		for _, r := range victims {
			if err := r.Start(); err != nil {
				t.Fatalf("restart %s: %v", r.Name, err)
			}
		}
		for _, r := range victims {
			if err := r.Ready(ctx, 120*time.Second); err != nil {
				t.Fatalf("restarted replica: %v", err)
			}
		}
		t.Logf("round %d: replicas back", round+1)
		pause(1)
	}
	return faults
}

// pgMode is pg_ctl's shutdown mode for the restart (CHAOS_PG_MODE): fast
// by default — every connection of every service is cut and the server
// comes back, but committed work survives. "immediate" is a crash with WAL
// recovery; use it only against a server with synchronous_commit on: the
// private throwaway cluster testenv starts has synchronous_commit=off (and
// fsync=off), so a crash there loses commits already acknowledged, which the
// invariants would rightly report as lost.
func pgMode() string {
	if m := os.Getenv("CHAOS_PG_MODE"); m != "" {
		return m
	}
	return "fast"
}

// restartPostgres restarts the test's PostgreSQL server (the private
// throwaway cluster TestMain asks testenv for) with pg_ctl (see pgMode) and
// waits until it accepts connections again.
func restartPostgres(ctx context.Context, pg *postgres) (time.Duration, error) {
	start := time.Now()
	var dir string
	if err := pg.admin.GetContext(ctx, &dir, `SHOW data_directory`); err != nil {
		return 0, fmt.Errorf("data directory: %w", err)
	}
	bin, err := pgserver.BinDir()
	if err != nil {
		return 0, err
	}
	args := []string{filepath.Join(bin, "pg_ctl"), "-D", dir, "-m", pgMode(), "-w", "-t", "60", "restart"}
	if os.Geteuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	// Stdout and stderr stay nil (the null device): a pipe would be held
	// open by the server pg_ctl starts, and Run would never return.
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %v", strings.Join(args, " "), err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := pg.admin.PingContext(c)
		cancel()
		if err == nil {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("PostgreSQL not back within 60s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitJetStream waits for the cluster's JetStream meta leader.
func waitJetStream(t *testing.T, ctx context.Context, js jetstream.JetStream) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.AccountInfo(c)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("JetStream cluster not ready: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func streamConfig(t *testing.T, s struct {
	Name       string   `json:"name"`
	Subjects   []string `json:"subjects"`
	Storage    string   `json:"storage"`
	Retention  string   `json:"retention"`
	Discard    string   `json:"discard"`
	Replicas   int      `json:"num_replicas"`
	Duplicates string   `json:"duplicate_window"`
	MaxAge     string   `json:"max_age"`
}) jetstream.StreamConfig {
	t.Helper()
	dup, err1 := time.ParseDuration(s.Duplicates)
	age, err2 := time.ParseDuration(s.MaxAge)
	if err1 != nil || err2 != nil || s.Storage != "file" || s.Retention != "limits" || s.Discard != "old" {
		t.Fatalf("jetstream.json: stream %s: unsupported settings", s.Name)
	}
	return jetstream.StreamConfig{Name: s.Name, Subjects: s.Subjects, Storage: jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardOld, Replicas: s.Replicas, Duplicates: dup, MaxAge: age}
}

func loadDeclared(t *testing.T, root string) check.Declared {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "nats", "jetstream.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := check.ParseDeclared(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkStreams reports every declared stream that is not R3 with all three
// replicas current.
func checkStreams(t *testing.T, ctx context.Context, js jetstream.JetStream, d check.Declared, when string) {
	t.Helper()
	var scaled []string
	for _, s := range d.Streams {
		st, err := js.Stream(ctx, s.Name)
		if err != nil {
			t.Errorf("%s: stream %s: %v", when, s.Name, err)
			continue
		}
		info := st.CachedInfo()
		if info.Config.Replicas != s.Replicas {
			scaled = append(scaled, fmt.Sprintf("%s R%d", s.Name, info.Config.Replicas))
			continue
		}
		if info.Cluster == nil || info.Cluster.Leader == "" {
			t.Errorf("%s: stream %s has no leader", when, s.Name)
		}
	}
	if len(scaled) > 0 {
		t.Errorf("%s: streams %s, jetstream.json declares R3. The services re-declare every stream at start-up "+
			"(pkg/bootstrap -> pkg/natsx.EnsureStreams with StreamDefaults{}, i.e. R1) and so scale R3 streams down: "+
			"bootstrap must take the replica count from NATS_STREAM_REPLICAS (set to 3 here and in deploy/k8s)",
			when, strings.Join(scaled, ", "))
	}
}

// checkConsumers compares the durable consumers the running services
// created with those jetstream.json declares for them.
func checkConsumers(t *testing.T, ctx context.Context, js jetstream.JetStream, d check.Declared, services []string) {
	t.Helper()
	want := map[string]check.DeclaredConsumer{}
	for _, c := range d.Consumers {
		if slices.Contains(services, c.Service) {
			want[c.Stream+"/"+c.Durable] = c
		}
	}
	got := map[string]*jetstream.ConsumerInfo{}
	for _, s := range d.Streams {
		st, err := js.Stream(ctx, s.Name)
		if err != nil {
			t.Errorf("stream %s: %v", s.Name, err)
			continue
		}
		l := st.ListConsumers(ctx)
		for ci := range l.Info() {
			got[s.Name+"/"+ci.Name] = ci
		}
		if err := l.Err(); err != nil {
			t.Errorf("list consumers of %s: %v", s.Name, err)
		}
	}
	for k, c := range want {
		ci, ok := got[k]
		if !ok {
			t.Errorf("consumer %s is declared in jetstream.json but %s did not create it", k, c.Service)
			continue
		}
		filters := ci.Config.FilterSubjects
		if ci.Config.FilterSubject != "" {
			filters = []string{ci.Config.FilterSubject}
		}
		if !slices.Equal(sortedCopy(filters), sortedCopy(c.FilterSubjects)) || ci.Config.MaxDeliver != c.MaxDeliver ||
			ci.Config.AckPolicy != jetstream.AckExplicitPolicy {
			t.Errorf("consumer %s: filters %v, max deliver %d; jetstream.json declares %v, %d",
				k, filters, ci.Config.MaxDeliver, c.FilterSubjects, c.MaxDeliver)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("consumer %s exists but is not declared in deploy/nats/jetstream.json", k)
		}
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// conn is a NATS connection of the test.
type conn struct {
	js jetstream.JetStream
}

// connect connects as user without waiting for JetStream (see waitJetStream).
func connect(t *testing.T, _ context.Context, nc *NATSCluster, user, name string) conn {
	t.Helper()
	c, err := nats.Connect(nc.URLs(user, 0), nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(c.Close)
	js, err := jetstream.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return conn{js: js}
}
