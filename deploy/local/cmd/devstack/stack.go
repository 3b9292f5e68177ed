package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/pkg/pgserver"
)

// Config says where the dev stack keeps its data and listens.
type Config struct {
	// Root is the checkout (binaries in Root/bin, seeds in Root/seeds).
	Root string
	// DataDir keeps JetStream data, a private PostgreSQL and the dev secret.
	DataDir string
	// NATSPort is the embedded JetStream server's port.
	NATSPort int
	// PGPort is the private cluster's port, when one is needed.
	PGPort int
	// GatewayAddr is where the public API listens.
	GatewayAddr string
	// DatabaseURL, when set, is the PostgreSQL server to use.
	DatabaseURL string
}

// service is one process of the stack and the public paths it owns.
type service struct {
	name   string
	port   int
	routes []string
}

// services lists every service the stack knows; those not built are skipped.
var services = []service{
	{"intake", 8081, []string{"/v1/enterprises", "/v1/catalog", "/v1/tickets"}},
	{"liaison", 8082, []string{"/v1/liaison", "/v1/officers"}},
	{"approval", 8083, []string{"/v1/tasks", "/v1/workflows"}},
	{"policy", 8084, []string{"/v1/policies", "/v1/policy-applications", "/v1/policy-matches"}},
	{"sla", 8085, []string{"/v1/sla", "/v1/calendars"}},
}

// Stack is the running dev stack.
type Stack struct {
	cfg     Config
	nats    *natsx.Embedded
	pg      *pgserver.Server
	dbURL   string
	secret  string
	procs   []*proc
	exited  chan error
	running []service
}

// Start brings up JetStream, PostgreSQL, the services and the gateway.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
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
	nc, js, err := natsx.Connect(ctx, natsx.Config{URL: st.nats.URL(), Name: "devstack"})
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	if err := natsx.EnsureStreams(ctx, js, natsx.StreamDefaults{}); err != nil {
		return nil, err
	}
	if _, err := natsx.DevClockKV(ctx, js); err != nil {
		return nil, err
	}
	if st.dbURL, err = st.postgres(ctx); err != nil {
		return nil, err
	}
	var routes []string
	for _, s := range services {
		bin := filepath.Join(cfg.Root, "bin", s.name)
		if _, err := os.Stat(bin); err != nil {
			continue
		}
		if err := st.spawn(s.name, bin, fmt.Sprintf("127.0.0.1:%d", s.port)); err != nil {
			return nil, err
		}
		st.running = append(st.running, s)
		for _, r := range s.routes {
			routes = append(routes, fmt.Sprintf("%s=http://127.0.0.1:%d", r, s.port))
		}
	}
	if err := st.spawn("gateway", filepath.Join(cfg.Root, "bin", "gateway"), cfg.GatewayAddr, "GATEWAY_ROUTES="+strings.Join(routes, ",")); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, "http://"+cfg.GatewayAddr+"/readyz", 60*time.Second, st.exited); err != nil {
		return nil, err
	}
	ok = true
	return st, nil
}

// postgres returns the URL of the stack's database "parkdesk".
func (st *Stack) postgres(ctx context.Context) (string, error) {
	admin := st.cfg.DatabaseURL
	if admin != "" {
		return admin, nil
	}
	const local = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if err := ensureDatabase(ctx, local, "parkdesk"); err == nil {
		return withDB(local, "parkdesk"), nil
	}
	srv, err := pgserver.Start(ctx, pgserver.Options{Dir: filepath.Join(st.cfg.DataDir, "pg"), Port: st.cfg.PGPort})
	if err != nil {
		return "", fmt.Errorf("no PostgreSQL: DATABASE_URL unset, none at 127.0.0.1:5432, and a private cluster failed: %w", err)
	}
	st.pg = srv
	if err := ensureDatabase(ctx, srv.URL(), "parkdesk"); err != nil {
		return "", err
	}
	return withDB(srv.URL(), "parkdesk"), nil
}

func ensureDatabase(ctx context.Context, admin, name string) error {
	dsn, err := db.DSN(admin, "")
	if err != nil {
		return err
	}
	conn, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+name); err != nil && !db.IsUniqueViolation(err, "") {
			return err
		}
	}
	return nil
}

func withDB(admin, name string) string {
	i := strings.Index(admin, "/postgres?")
	return admin[:i] + "/" + name + admin[i+len("/postgres"):]
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
	stdout, stderr := prefixWriter(name, os.Stdout), prefixWriter(name, os.Stderr)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
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

// Exited reports the first service that stopped on its own.
func (st *Stack) Exited() <-chan error { return st.exited }

// Stop terminates the services (gateway first), then JetStream and a private PostgreSQL.
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
	if st.nats != nil {
		st.nats.Shutdown()
	}
	if st.pg != nil {
		_ = st.pg.Stop()
	}
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

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

// proc is one child process and a channel closed when it has exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}
