package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/pkg/outbox"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

// App is a started service process: its connections and background tasks.
type App struct {
	// Config is the configuration the app started with.
	Config Config
	// Logger is the JSON logger.
	Logger *slog.Logger
	// DB is the service's pool, search_path set to its schema; nil when the
	// service owns no data.
	DB *sqlx.DB
	// NC is the NATS connection.
	NC *nats.Conn
	// JS is NC's JetStream context.
	JS jetstream.JetStream
	// Clock tells time for every deadline; in the dev stack it follows the
	// shared dev clock.
	Clock clock.Clock
	// Auth verifies bearer tokens.
	Auth *auth.Verifier
	// Metrics is the service's Prometheus registry.
	Metrics *telemetry.Registry

	tasks []task
}

type task struct {
	name string
	fn   func(context.Context) error
}

// New connects everything a service needs. With migrations, it opens the
// database in the service's schema and applies the outbox, inbox and service
// migrations; with none, the service owns no data.
func New(ctx context.Context, cfg Config, migrations ...db.MigrationSet) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s config: %w", cfg.Service, err)
	}
	a := &App{
		Config:  cfg,
		Logger:  telemetry.NewLogger(cfg.Service, cfg.LogLevel, os.Stderr),
		Clock:   clock.System(),
		Metrics: telemetry.NewRegistry(),
	}
	slog.SetDefault(a.Logger)
	var err error
	if a.Auth, err = auth.NewVerifier(cfg.Auth); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if a.NC, a.JS, err = natsx.Connect(ctx, natsx.Config{URL: cfg.NATSURL, Name: cfg.Service}); err != nil {
		return nil, err
	}
	if err := natsx.EnsureStreams(ctx, a.JS, natsx.StreamDefaults{Replicas: cfg.StreamReplicas}); err != nil {
		a.Close()
		return nil, err
	}
	if len(migrations) > 0 {
		if cfg.DatabaseURL == "" {
			a.Close()
			return nil, errors.New("DATABASE_URL is required")
		}
		if a.DB, err = db.Open(ctx, db.Config{URL: cfg.DatabaseURL, Schema: cfg.Service}); err != nil {
			a.Close()
			return nil, err
		}
		if err := migrate(ctx, a.DB, cfg.Service, migrations); err != nil {
			a.Close()
			return nil, err
		}
	}
	if cfg.Dev {
		if err := a.followDevClock(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

func (a *App) followDevClock(ctx context.Context) error {
	kv, err := natsx.DevClockKV(ctx, a.JS)
	if err != nil {
		return err
	}
	off := clock.NewOffset(clock.System())
	d, err := natsx.DevOffset(ctx, kv)
	if err != nil {
		return err
	}
	off.SetOffset(d)
	a.Clock = off
	a.Go("dev-clock", func(ctx context.Context) error { return natsx.WatchDevClock(ctx, kv, off) })
	a.Logger.Warn("dev clock enabled: time follows the dev stack", "offset", d.String())
	return nil
}

// Go registers a background task run by Serve until its context ends. A task
// that returns an error stops the service.
func (a *App) Go(name string, fn func(context.Context) error) {
	a.tasks = append(a.tasks, task{name: name, fn: fn})
}

// Serve runs the outbox relay (when the service owns data), the background
// tasks and the HTTP server — api under /, plus /healthz, /readyz, /metrics
// and, in dev mode, DevClockPath — until ctx is done or a task fails.
func (a *App) Serve(ctx context.Context, api http.Handler, checks ...httpx.Check) error {
	if a.DB != nil {
		relay, err := outbox.NewRelay(a.DB, a.JS, outbox.RelayConfig{
			Schema:    a.Config.Service,
			ListenDSN: a.Config.DatabaseURL,
			Retention: a.Config.OutboxRetention,
			Logger:    a.Logger,
			Metrics: &outbox.Metrics{
				Published:  a.Metrics.NewCounter("parkdesk", "outbox", "published_total", "Events acknowledged by JetStream."),
				Duplicates: a.Metrics.NewCounter("parkdesk", "outbox", "duplicates_total", "Events JetStream already had."),
				Latency:    a.Metrics.NewHistogram("parkdesk", "outbox", "publish_latency_seconds", "Commit to PubAck."),
			},
		})
		if err != nil {
			return err
		}
		a.Go("outbox-relay", relay.Run)
		checks = append(checks, httpx.Check{Name: "postgres", Fn: func(ctx context.Context) error { return a.DB.PingContext(ctx) }})
	}
	checks = append(checks, httpx.Check{Name: "nats", Fn: func(context.Context) error {
		if !a.NC.IsConnected() {
			return errors.New("nats disconnected")
		}
		return nil
	}})
	mux := http.NewServeMux()
	health := httpx.Health(checks...)
	mux.Handle("GET /healthz", health)
	mux.Handle("GET /readyz", health)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	if off, ok := a.Clock.(*clock.Offset); ok && a.Config.Dev {
		mux.Handle("GET "+DevClockPath, devClockHandler(off))
	}
	mux.Handle("/", api)
	handler := httpx.RequestID(httpx.Trace(httpx.AccessLog(a.Logger)(httpx.Recover(a.Logger)(httpx.LimitBody(1 << 20)(mux)))))
	srv := &http.Server{Addr: a.Config.HTTPAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, t := range a.tasks {
		wg.Go(func() {
			if err := t.fn(ctx); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", t.name, err))
			}
		})
	}
	a.Logger.Info("serving", "addr", a.Config.HTTPAddr)
	err := httpx.Serve(ctx, srv, a.Logger)
	cancel(nil)
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// Close releases the connections.
func (a *App) Close() {
	if a.DB != nil {
		a.DB.Close()
	}
	if a.NC != nil {
		a.NC.Close()
	}
}

// migrate applies the outbox, inbox and service migrations in the schema.
func migrate(ctx context.Context, conn *sqlx.DB, schema string, migrations []db.MigrationSet) error {
	sets := append([]db.MigrationSet{outbox.Migrations, inbox.Migrations}, migrations...)
	return db.Migrate(ctx, conn, schema, sets...)
}
