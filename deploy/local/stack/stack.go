// Package stack starts and stops the whole of parkdesk on one machine: an
// embedded JetStream server, PostgreSQL (a given database, else the local
// server, else a private cluster in the data directory), every service binary
// found in the binaries directory as its own process, and the gateway routing
// each service's public paths. The dev stack (cmd/devstack) runs it on fixed
// ports; the end-to-end suite (e2e/) runs it on free ports with a fresh
// database, a temporary data directory and binaries it has just built.
package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/pkg/pgserver"
)

// Token issuer and audience every service of the stack accepts (bootstrap's defaults).
const (
	Issuer   = "parkdesk"
	Audience = "parkdesk-api"
)

// Config says where the stack keeps its data, where its binaries are and
// where it listens.
type Config struct {
	// Root is the checkout: seeds in Root/seeds; the services run in it.
	Root string
	// BinDir holds the service binaries (one per name in Services, plus
	// gateway). Default Root/bin.
	BinDir string
	// DataDir keeps JetStream data, a private PostgreSQL and the dev secret.
	DataDir string
	// NATSPort is the embedded JetStream server's port; 0 picks a free one.
	NATSPort int
	// PGPort is the private cluster's port, when one is needed; 0 picks a free one.
	PGPort int
	// GatewayAddr is where the public API listens (host:port). Required.
	GatewayAddr string
	// Ports overrides the port of a service by name (default: the port in
	// Services), e.g. free ports for tests.
	Ports map[string]int
	// DatabaseURL, when set, is the database to use as it is. Otherwise the
	// stack uses the database "parkdesk" on the server at 127.0.0.1:5432,
	// else on a private cluster in DataDir/pg.
	DatabaseURL string
	// ClockStart, when set, starts the stack's shared dev clock at that
	// instant (it then runs on at the real pace, and moves only forward).
	// Unset, the clock keeps the offset stored in DataDir from earlier runs.
	ClockStart time.Time
	// BeforeServices, when set, is called with the NATS URL once JetStream
	// is up and before any service starts, e.g. to subscribe to everything
	// the services will publish.
	BeforeServices func(natsURL string) error
	// Stdout and Stderr receive the processes' output, each line prefixed
	// with the process's name. Default os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// ReadyTimeout bounds the wait for the gateway to be ready. Default 60s.
	ReadyTimeout time.Duration
}

// Service is one process of the stack and the public paths it owns.
type Service struct {
	Name   string
	Port   int
	Routes []string
}

// Services lists every service the stack knows, with its dev port; those
// not built are skipped.
var Services = []Service{
	{"intake", 8081, []string{"/v1/enterprises", "/v1/catalog", "/v1/tickets"}},
	{"liaison", 8082, []string{"/v1/liaison", "/v1/officers"}},
	{"approval", 8083, []string{"/v1/tasks", "/v1/workflows"}},
	{"policy", 8084, []string{"/v1/policies", "/v1/policy-applications", "/v1/policy-matches", "/v1/enterprises/*/policy-matches"}},
	{"sla", 8085, []string{"/v1/sla", "/v1/calendars"}},
}

// Stack is a running stack.
type Stack struct {
	cfg     Config
	nats    *natsx.Embedded
	pg      *pgserver.Server
	dbURL   string
	secret  string
	procs   []*proc
	exited  chan error
	running []Service
}

// Start brings up JetStream, PostgreSQL, the services and the gateway, and
// returns once the gateway (and through it every service) is ready. On
// error everything started is stopped again.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	if cfg.Root == "" || cfg.DataDir == "" || cfg.GatewayAddr == "" {
		return nil, errors.New("stack: Root, DataDir and GatewayAddr are required")
	}
	if cfg.BinDir == "" {
		cfg.BinDir = filepath.Join(cfg.Root, "bin")
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 60 * time.Second
	}
	gateway := filepath.Join(cfg.BinDir, "gateway")
	if _, err := os.Stat(gateway); err != nil {
		return nil, fmt.Errorf("stack: no gateway binary in %s (build the services first): %w", cfg.BinDir, err)
	}
	st := &Stack{cfg: cfg, exited: make(chan error, 8)}
	ok := false
	defer func() {
		if !ok {
			st.Stop()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	var err error
	if st.secret, err = devSecret(filepath.Join(cfg.DataDir, "secret")); err != nil {
		return nil, err
	}
	if st.nats, err = natsx.StartEmbedded(natsx.EmbeddedConfig{StoreDir: filepath.Join(cfg.DataDir, "nats"), Port: cfg.NATSPort}); err != nil {
		return nil, err
	}
	if err := st.prepareNATS(ctx); err != nil {
		return nil, err
	}
	if cfg.BeforeServices != nil {
		if err := cfg.BeforeServices(st.nats.URL()); err != nil {
			return nil, err
		}
	}
	if st.dbURL, err = st.postgres(ctx); err != nil {
		return nil, err
	}
	var routes []string
	for _, s := range Services {
		bin := filepath.Join(cfg.BinDir, s.Name)
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		if p := cfg.Ports[s.Name]; p != 0 {
			s.Port = p
		}
		if err := st.spawn(s.Name, bin, fmt.Sprintf("127.0.0.1:%d", s.Port)); err != nil {
			return nil, err
		}
		st.running = append(st.running, s)
		for _, r := range s.Routes {
			routes = append(routes, fmt.Sprintf("%s=http://127.0.0.1:%d", r, s.Port))
		}
	}
	if err := st.spawn("gateway", gateway, cfg.GatewayAddr, "GATEWAY_ROUTES="+strings.Join(routes, ",")); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, st.GatewayURL()+"/readyz", cfg.ReadyTimeout, st.exited); err != nil {
		return nil, err
	}
	ok = true
	return st, nil
}

// prepareNATS declares the streams and the dev clock, and sets the clock's
// start when asked to.
func (st *Stack) prepareNATS(ctx context.Context) error {
	nc, js, err := natsx.Connect(ctx, natsx.Config{URL: st.nats.URL(), Name: "devstack"})
	if err != nil {
		return err
	}
	defer nc.Close()
	if err := natsx.EnsureStreams(ctx, js, natsx.StreamDefaults{}); err != nil {
		return err
	}
	kv, err := natsx.DevClockKV(ctx, js)
	if err != nil {
		return err
	}
	if st.cfg.ClockStart.IsZero() {
		return nil
	}
	return natsx.SetDevOffset(ctx, kv, time.Until(st.cfg.ClockStart))
}

// postgres returns the URL of the stack's database.
func (st *Stack) postgres(ctx context.Context) (string, error) {
	if st.cfg.DatabaseURL != "" {
		return st.cfg.DatabaseURL, nil
	}
	const local = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if u, err := EnsureDatabase(ctx, local, "parkdesk"); err == nil {
		return u, nil
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(st.cfg.DataDir, "pg"), Port: st.cfg.PGPort})
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL: DATABASE_URL unset, none at 127.0.0.1:5432, and a private cluster failed: %w", err)
	}
	st.pg = srv
	return EnsureDatabase(ctx, srv.URL(), "parkdesk")
}

// EnsureDatabase creates database name on the server admin (a URL of its
// "postgres" database) unless it exists, and returns the database's URL.
func EnsureDatabase(ctx context.Context, admin, name string) (string, error) {
	conn, err := openAdmin(admin)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+quoteIdent(name)); err != nil && !db.IsUniqueViolation(err, "") {
			return "", err
		}
	}
	return withDB(admin, name)
}

// DropDatabase drops database name on the server admin, closing its connections.
func DropDatabase(ctx context.Context, admin, name string) error {
	conn, err := openAdmin(admin)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+quoteIdent(name)+` WITH (FORCE)`)
	return err
}

func openAdmin(admin string) (*sqlx.DB, error) {
	dsn, err := db.DSN(admin, "")
	if err != nil {
		return nil, err
	}
	return sqlx.Open("postgres", dsn)
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// withDB returns admin with its database replaced by name.
func withDB(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("database url: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func (st *Stack) spawn(name, bin, addr string, extra ...string) error {
	cmd := exec.Command(bin)
	cmd.Dir = st.cfg.Root
	cmd.Env = append(os.Environ(),
		"HTTP_ADDR="+addr,
		"DATABASE_URL="+st.dbURL,
		"NATS_URL="+st.nats.URL(),
		"AUTH_HMAC_SECRET="+st.secret,
		"PARKDESK_DEV=1",
		"PARKDESK_SEEDS="+filepath.Join(st.cfg.Root, "seeds"),
	)
	cmd.Env = append(cmd.Env, extra...)
	stdout, stderr := prefixWriter(name, st.cfg.Stdout), prefixWriter(name, st.cfg.Stderr)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	st.procs = append(st.procs, p)
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		close(p.done)
		select {
		case st.exited <- fmt.Errorf("%s exited: %v", name, err):
		default:
		}
	}()
	return nil
}

// Exited reports the first process that stopped on its own.
func (st *Stack) Exited() <-chan error { return st.exited }

// Stop terminates the services (gateway first), then JetStream and a private
// PostgreSQL. It is safe to call on a partly started stack.
func (st *Stack) Stop() {
	for i := len(st.procs) - 1; i >= 0; i-- {
		p := st.procs[i]
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	st.procs = nil
	if st.nats != nil {
		st.nats.Shutdown()
		st.nats = nil
	}
	if st.pg != nil {
		_ = st.pg.Stop()
		st.pg = nil
	}
}

// GatewayURL is the base URL of the public API, e.g. http://127.0.0.1:8080.
func (st *Stack) GatewayURL() string { return "http://" + st.cfg.GatewayAddr }

// NATSURL is the embedded JetStream server's client URL.
func (st *Stack) NATSURL() string { return st.nats.URL() }

// DatabaseURL is the database the services use.
func (st *Stack) DatabaseURL() string { return st.dbURL }

// Running lists the services started, in start order (the gateway aside).
func (st *Stack) Running() []Service { return append([]Service(nil), st.running...) }

// Signer issues tokens every service of the stack accepts: signed with the
// stack's secret, for the stack's issuer and audience.
func (st *Stack) Signer() (*auth.Signer, error) {
	return auth.NewHMACSigner(st.secret, Issuer, Audience)
}

func devSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := hex.EncodeToString(b)
	return s, os.WriteFile(path, []byte(s), 0o600)
}

// proc is one child process and a channel closed when it has exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}
