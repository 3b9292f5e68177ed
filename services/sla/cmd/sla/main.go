// Command sla runs parkdesk's SLA service: the parks' working-day calendars
// (/v1/calendars) and the SLA clocks engine (/v1/sla): event consumers, the
// firing scheduler, the managers' views and the live stream.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/services/sla"
	"github.com/parkdesk/parkdesk/services/sla/calendar"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("sla stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := bootstrap.FromEnv("sla", ":8085")
	if err != nil {
		return err
	}
	if handled, err := bootstrap.Command(ctx, cfg, os.Args[1:], calendar.Migrations, sla.Migrations); handled || err != nil {
		return err
	}
	app, err := bootstrap.New(ctx, cfg, calendar.Migrations, sla.Migrations)
	if err != nil {
		return err
	}
	defer app.Close()

	store, err := calendar.NewStore(app.DB)
	if err != nil {
		return err
	}
	if dir := os.Getenv("PARKDESK_SEEDS"); dir != "" {
		if err := calendar.Seed(ctx, store, dir); err != nil {
			return err
		}
	}
	cache, err := calendar.NewCache(store, calendar.CacheConfig{ListenDSN: cfg.DatabaseURL, Logger: app.Logger})
	if err != nil {
		return err
	}
	app.Go("calendar-cache", cache.Run)

	sched, err := sla.NewScheduler(sla.SchedulerConfig{
		DB: app.DB, Source: cache, Clock: app.Clock, Logger: app.Logger,
		Metrics: &sla.SchedulerMetrics{
			Transitions: app.Metrics.NewCounter("parkdesk", "sla", "transitions_total", "Clock changes fired by the scheduler.", "type"),
			Lag:         app.Metrics.NewHistogram("parkdesk", "sla", "fire_lag_seconds", "Due instant to firing."),
		},
	})
	if err != nil {
		return err
	}
	engine, err := sla.NewEngine(sla.EngineConfig{DB: app.DB, Source: cache, Clock: app.Clock, Logger: app.Logger, Wake: sched.Poke})
	if err != nil {
		return err
	}
	consumers, err := engine.Consumers(ctx, app.JS)
	if err != nil {
		return err
	}
	for i, c := range consumers {
		app.Go(fmt.Sprintf("consumer-%d", i), c.Run)
	}
	app.Go("scheduler", sched.Run)
	app.Go("inbox-prune", func(ctx context.Context) error { return prune(ctx, app) })

	calSvc, err := calendar.NewService(store, cache, engine.RecomputePark)
	if err != nil {
		return err
	}
	calSvc = calendar.InstrumentingMiddleware(calendar.NewMetrics(app.Metrics))(calendar.LoggingMiddleware(app.Logger)(calSvc))

	repo, err := sla.NewRepository(app.DB)
	if err != nil {
		return err
	}
	svc, err := sla.NewService(sla.ServiceConfig{Store: repo, Source: cache, Clock: app.Clock, Wake: sched.Poke})
	if err != nil {
		return err
	}
	svc = sla.LoggingMiddleware(app.Logger)(svc)
	svc = sla.InstrumentingMiddleware(
		app.Metrics.NewCounter("parkdesk", "sla", "requests_total", "SLA service calls.", "method", "code"),
		app.Metrics.NewHistogram("parkdesk", "sla", "request_duration_seconds", "SLA service call durations.", "method", "code"),
	)(svc)
	stream, err := sla.NewStreamHandler(sla.StreamConfig{Conn: app.NC, Verifier: app.Auth, Shutdown: ctx, Logger: app.Logger})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/v1/sla/", sla.MakeHTTPHandler(svc, app.Auth, app.Logger))
	mux.Handle("GET /v1/sla/stream", stream)
	mux.Handle("/v1/calendars/", calendar.MakeHTTPHandler(calSvc, app.Auth, app.Logger))
	mux.Handle("GET /openapi.json", openAPI(sla.OpenAPI(), calendar.OpenAPI()))
	return app.Serve(ctx, mux)
}

// openAPI serves the merged fragments as the service's /openapi.json.
func openAPI(fragments ...map[string]any) http.Handler {
	paths, schemas := map[string]any{}, map[string]any{}
	for _, f := range fragments {
		if p, ok := f["paths"].(map[string]any); ok {
			maps.Copy(paths, p)
		}
		if c, ok := f["components"].(map[string]any); ok {
			if s, ok := c["schemas"].(map[string]any); ok {
				maps.Copy(schemas, s)
			}
		}
	}
	doc, err := json.Marshal(map[string]any{
		"openapi":    "3.1.0",
		"info":       map[string]any{"title": "parkdesk sla", "version": "v1"},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	})
	if err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
}

// inboxRetention keeps processed event ids well past any redelivery or
// operator re-publish.
const inboxRetention = 7 * 24 * time.Hour

// prune deletes old processed_events records every hour until ctx ends.
func prune(ctx context.Context, app *bootstrap.App) error {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if _, err := inbox.Prune(ctx, app.DB, inboxRetention); err != nil && ctx.Err() == nil {
				app.Logger.WarnContext(ctx, "prune processed events", "err", err)
			}
		}
	}
}
