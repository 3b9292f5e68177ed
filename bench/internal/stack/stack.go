// Package stack starts the whole of parkdesk for the benchmarks and the
// security tests the way the dev stack does, on free ports: it builds every
// service command of the workspace (services/<name>/cmd/<name>) into a
// temporary directory, starts an embedded JetStream server, a fresh database
// (on PARKDESK_TEST_DATABASE_URL, else 127.0.0.1:5432, else a private
// throwaway cluster), every service as its own process, and the gateway with
// each service's public path prefixes, read from the service's own
// /openapi.json.
//
// It is deliberately separate from deploy/local/stack (the dev stack): it
// never uses fixed ports or a persistent data directory, and it drops its
// database when stopped.
package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/pkg/pgserver"
)

// Token issuer and audience of the stack (bootstrap's defaults).
const (
	Issuer   = "parkdesk"
	Audience = "parkdesk-api"
)

// KnownRoutes are the public path prefixes of the services the dev stack
// knows (deploy/local/stack.Services); a service not listed is routed the
// /v1/<resource> prefixes of its own /openapi.json.
var KnownRoutes = map[string][]string{
	"intake":   {"/v1/enterprises", "/v1/catalog", "/v1/tickets"},
	"liaison":  {"/v1/liaison", "/v1/officers"},
	"approval": {"/v1/tasks", "/v1/workflows"},
	"policy":   {"/v1/policies", "/v1/policy-applications", "/v1/policy-matches"},
	"sla":      {"/v1/sla", "/v1/calendars"},
}

// Config says where the stack works.
type Config struct {
	// Root is the checkout (holds go.work); default: found from the working directory.
	Root string
	// Work is a directory for binaries, JetStream data and logs. Required.
	Work string
	// BinDir, when set, holds already built binaries (skip the build).
	BinDir string
	// AdminURL is a PostgreSQL server's admin URL (its "postgres" database);
	// default PARKDESK_TEST_DATABASE_URL, else 127.0.0.1:5432, else a private cluster.
	AdminURL string
	// Env is added to every service's environment (e.g. LOG_LEVEL=warn).
	Env []string
	// DBSettings are applied to the stack's database before any service
	// connects (ALTER DATABASE … SET), e.g. "log_min_duration_statement=0"
	// to see every statement while profiling.
	DBSettings []string
	// ReadyTimeout bounds each wait for readiness; default 90s.
	ReadyTimeout time.Duration
}

// Proc is one service process.
type Proc struct {
	Name string
	Addr string // host:port
	Log  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Stack is a running stack.
type Stack struct {
	Root     string
	Gateway  string // base URL, http://127.0.0.1:port
	NATSURL  string
	DBURL    string // the stack's database (admin role)
	AdminURL string // the server's postgres database
	Secret   string
	Procs    map[string]*Proc
	Routes   map[string][]string // service -> public path prefixes
	Logs     string

	dbName string
	nats   *natsx.Embedded
	pg     *pgserver.Server
	mu     sync.Mutex
	exited []string
}

// FindRoot walks up from the working directory to the directory holding go.work.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("stack: no go.work above the working directory")
		}
		dir = parent
	}
}

// Commands lists the service commands of the workspace: every module under
// services/ with a cmd/<name> directory holding Go files, as "./services/x/cmd/x".
func Commands(root string) ([]string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m: %w", err)
	}
	var cmds []string
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || !strings.HasPrefix(rel, "services"+string(filepath.Separator)) {
			continue
		}
		mains, _ := filepath.Glob(filepath.Join(dir, "cmd", "*", "*.go"))
		seen := map[string]bool{}
		for _, m := range mains {
			d := filepath.Dir(m)
			if !seen[d] {
				seen[d] = true
				r, _ := filepath.Rel(root, d)
				cmds = append(cmds, "./"+filepath.ToSlash(r))
			}
		}
	}
	sort.Strings(cmds)
	return cmds, nil
}

// Build compiles every service command into dir and returns the binary names.
func Build(ctx context.Context, root, dir string) ([]string, error) {
	cmds, err := Commands(root)
	if err != nil {
		return nil, err
	}
	if len(cmds) == 0 {
		return nil, errors.New("stack: no service commands in go.work")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", dir + "/"}, cmds...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %v: %v\n%s", cmds, err, out)
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = filepath.Base(c)
	}
	return names, nil
}

// Start builds (unless cfg.BinDir is set) and starts everything, returning
// once the gateway is ready. On error everything started is stopped.
func Start(ctx context.Context, cfg Config) (_ *Stack, err error) {
	if cfg.Work == "" {
		return nil, errors.New("stack: Work is required")
	}
	if cfg.Root == "" {
		if cfg.Root, err = FindRoot(); err != nil {
			return nil, err
		}
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 90 * time.Second
	}
	st := &Stack{Root: cfg.Root, Procs: map[string]*Proc{}, Routes: map[string][]string{}, Logs: filepath.Join(cfg.Work, "logs")}
	defer func() {
		if err != nil {
			st.Stop()
		}
	}()
	if err := os.MkdirAll(st.Logs, 0o755); err != nil {
		return nil, err
	}
	var names []string
	bin := cfg.BinDir
	if bin == "" {
		bin = filepath.Join(cfg.Work, "bin")
		if names, err = Build(ctx, cfg.Root, bin); err != nil {
			return nil, err
		}
	} else {
		cmds, err := Commands(cfg.Root)
		if err != nil {
			return nil, err
		}
		for _, c := range cmds {
			names = append(names, filepath.Base(c))
		}
	}
	if !slices.Contains(names, "gateway") {
		return nil, errors.New("stack: no gateway command")
	}
	st.Secret = randHex(32)

	if st.nats, err = natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: filepath.Join(cfg.Work, "nats")}); err != nil {
		return nil, err
	}
	st.NATSURL = st.nats.URL()
	nc, js, err := natsx.Connect(ctx, natsx.Config{URL: st.NATSURL, Name: "bench-stack"})
	if err != nil {
		return nil, err
	}
	err = natsx.EnsureStreams(ctx, js, natsx.StreamDefaults{})
	nc.Close()
	if err != nil {
		return nil, err
	}

	if err := st.database(ctx, cfg); err != nil {
		return nil, err
	}

	env := append(os.Environ(),
		"DATABASE_URL="+st.DBURL,
		"NATS_URL="+st.NATSURL,
		"AUTH_HMAC_SECRET="+st.Secret,
		"AUTH_ISSUER="+Issuer, "AUTH_AUDIENCE="+Audience,
		"PARKDESK_DEV=",
		"PARKDESK_SEEDS="+filepath.Join(cfg.Root, "seeds"),
	)
	env = append(env, cfg.Env...)
	for _, n := range names {
		if n == "gateway" {
			continue
		}
		if _, err := st.spawn(n, filepath.Join(bin, n), env); err != nil {
			return nil, err
		}
	}
	var routes []string
	for _, n := range names {
		p := st.Procs[n]
		if p == nil {
			continue
		}
		if err := waitHTTP(ctx, "http://"+p.Addr+"/readyz", cfg.ReadyTimeout, p); err != nil {
			return nil, err
		}
		prefixes, ok := KnownRoutes[n]
		if !ok {
			if prefixes, err = servicePrefixes(ctx, "http://"+p.Addr+"/openapi.json"); err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
		}
		st.Routes[n] = prefixes
		for _, r := range prefixes {
			routes = append(routes, r+"=http://"+p.Addr)
		}
	}
	if err := checkRouteConflicts(st.Routes); err != nil {
		return nil, err
	}
	gw, err := st.spawn("gateway", filepath.Join(bin, "gateway"), append(slices.Clone(env), "GATEWAY_ROUTES="+strings.Join(routes, ",")))
	if err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, "http://"+gw.Addr+"/readyz", cfg.ReadyTimeout, gw); err != nil {
		return nil, err
	}
	st.Gateway = "http://" + gw.Addr
	return st, nil
}

// database creates a fresh database for the stack.
func (st *Stack) database(ctx context.Context, cfg Config) error {
	admin := cfg.AdminURL
	if admin == "" {
		admin = os.Getenv("PARKDESK_TEST_DATABASE_URL")
	}
	if admin == "" && os.Getenv("PARKDESK_TEST_PG") != "private" {
		const local = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		if ping(ctx, local) == nil {
			admin = local
		}
	}
	if admin == "" {
		srv, err := pgserver.Start(ctx, pgserver.Options{Throwaway: true})
		if err != nil {
			return fmt.Errorf("no PostgreSQL (PARKDESK_TEST_DATABASE_URL unset, none at 127.0.0.1:5432, private cluster: %w)", err)
		}
		st.pg = srv
		admin = srv.URL()
	}
	st.AdminURL = admin
	st.dbName = "bench_" + randHex(5)
	conn, err := open(admin)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+st.dbName); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	for _, kv := range cfg.DBSettings {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("database setting %q: want name=value", kv)
		}
		if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+st.dbName+` SET `+pq.QuoteIdentifier(k)+` = `+pq.QuoteLiteral(v)); err != nil {
			return fmt.Errorf("database setting %s: %w", kv, err)
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		return err
	}
	u.Path = "/" + st.dbName
	st.DBURL = u.String()
	return nil
}

func (st *Stack) spawn(name, bin string, env []string) (*Proc, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &Proc{Name: name, Addr: fmt.Sprintf("127.0.0.1:%d", port), Log: filepath.Join(st.Logs, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.Log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Dir = st.Root
	cmd.Env = append(slices.Clone(env), "HTTP_ADDR="+p.Addr)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.cmd = cmd
	st.Procs[name] = p
	go func() {
		err := cmd.Wait()
		f.Close()
		st.mu.Lock()
		st.exited = append(st.exited, fmt.Sprintf("%s: %v", name, err))
		st.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Exited lists the processes that have ended (with how).
func (st *Stack) Exited() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.exited)
}

// Stop stops the gateway, the services, JetStream, and drops the database.
func (st *Stack) Stop() {
	order := []string{"gateway"}
	for n := range st.Procs {
		if n != "gateway" {
			order = append(order, n)
		}
	}
	for _, n := range order {
		p := st.Procs[n]
		if p == nil || p.cmd == nil {
			continue
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	st.Procs = map[string]*Proc{}
	if st.nats != nil {
		st.nats.Shutdown()
		st.nats = nil
	}
	if st.dbName != "" && st.AdminURL != "" {
		if conn, err := open(st.AdminURL); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+st.dbName+` WITH (FORCE)`)
			cancel()
			conn.Close()
		}
		st.dbName = ""
	}
	if st.pg != nil {
		_ = st.pg.Stop()
		st.pg = nil
	}
}

// Signer signs tokens every service of the stack accepts.
func (st *Stack) Signer() (*auth.Signer, error) {
	return auth.NewHMACSigner(st.Secret, Issuer, Audience)
}

// DB opens the stack's database as the admin role.
func (st *Stack) DB() (*sqlx.DB, error) { return open(st.DBURL) }

// Tail returns the last n lines of a process's log.
func (st *Stack) Tail(name string, n int) string {
	b, err := os.ReadFile(filepath.Join(st.Logs, name+".log"))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// servicePrefixes reads a service's OpenAPI and returns the /v1/<x>
// prefixes of its paths.
func servicePrefixes(ctx context.Context, u string) ([]string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var spec struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	set := map[string]bool{}
	for p := range spec.Paths {
		parts := strings.SplitN(strings.TrimPrefix(p, "/"), "/", 3)
		if len(parts) >= 2 && parts[0] == "v1" && !strings.HasPrefix(parts[1], "{") {
			set["/v1/"+parts[1]] = true
		}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("%s lists no /v1 paths", u)
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func checkRouteConflicts(routes map[string][]string) error {
	owner := map[string]string{}
	for s, ps := range routes {
		for _, p := range ps {
			if o, ok := owner[p]; ok {
				return fmt.Errorf("stack: %s and %s both serve %s", o, s, p)
			}
			owner[p] = s
		}
	}
	return nil
}

func waitHTTP(ctx context.Context, u string, timeout time.Duration, p *Proc) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	last := errors.New("no answer")
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready within %s: %v\n--- %s ---\n%s", u, timeout, last, p.Log, tailFile(p.Log, 30))
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready\n--- %s ---\n%s", p.Name, p.Log, tailFile(p.Log, 30))
		case <-time.After(150 * time.Millisecond):
		}
	}
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func open(u string) (*sqlx.DB, error) {
	dsn, err := db.DSN(u, "")
	if err != nil {
		return nil, err
	}
	return sqlx.Open("postgres", dsn)
}

func ping(ctx context.Context, u string) error {
	conn, err := open(u)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return conn.PingContext(ctx)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
