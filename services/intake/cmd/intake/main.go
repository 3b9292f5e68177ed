// Command intake runs parkdesk's intake service: enterprises (/v1/enterprises),
// the service catalog (/v1/catalog) and tickets (/v1/tickets): submission of
// matters, 一件事 bundles and demands, corrections, ratings; and the consumers
// that follow approval, sla and liaison events.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/services/intake"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("intake stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := bootstrap.FromEnv("intake", ":8081")
	if err != nil {
		return err
	}
	if handled, err := bootstrap.Command(ctx, cfg, os.Args[1:], intake.Migrations); handled || err != nil {
		return err
	}
	maxUpload := int64(intake.DefaultMaxUpload)
	if v := os.Getenv("INTAKE_MAX_UPLOAD_BYTES"); v != "" {
		if maxUpload, err = strconv.ParseInt(v, 10, 64); err != nil || maxUpload <= 0 {
			return fmt.Errorf("INTAKE_MAX_UPLOAD_BYTES: want a positive number of bytes, got %q", v)
		}
	}
	app, err := bootstrap.New(ctx, cfg, intake.Migrations)
	if err != nil {
		return err
	}
	defer app.Close()

	repo, err := intake.NewRepository(app.DB)
	if err != nil {
		return err
	}
	var due intake.DueCalculator
	if dir := os.Getenv("PARKDESK_SEEDS"); dir != "" {
		res, err := intake.Seed(ctx, repo, dir, app.Clock.Now().UTC())
		if err != nil {
			return err
		}
		app.Logger.InfoContext(ctx, "seeded", "dir", dir, "parks", res.Parks, "matters", res.Matters,
			"bundles", res.Bundles, "enterprises", res.Enterprises)
		cals, err := intake.LoadCalendars(dir)
		if err != nil {
			return err
		}
		due = cals
	}
	objects, err := intake.NewJetStreamObjects(ctx, app.JS, intake.MaterialsBucket, 0, cfg.StreamReplicas)
	if err != nil {
		return err
	}
	engine, err := intake.NewEngine(intake.EngineConfig{Repo: repo, Clock: app.Clock, Logger: app.Logger})
	if err != nil {
		return err
	}
	consumers, err := engine.Consumers(ctx, app.JS)
	if err != nil {
		return err
	}
	for i, c := range consumers {
		app.Go("consumer-"+strconv.Itoa(i), c.Run)
	}
	app.Go("inbox-prune", func(ctx context.Context) error { return prune(ctx, app) })

	svc, err := intake.NewService(intake.ServiceConfig{Repo: repo, Objects: objects, Due: due, Clock: app.Clock, MaxUpload: maxUpload})
	if err != nil {
		return err
	}
	svc = intake.LoggingMiddleware(app.Logger)(svc)
	svc = intake.InstrumentingMiddleware(
		app.Metrics.NewCounter("parkdesk", "intake", "requests_total", "Intake service calls.", "method", "code"),
		app.Metrics.NewHistogram("parkdesk", "intake", "request_duration_seconds", "Intake service call durations.", "method", "code"),
	)(svc)

	api := intake.MakeHTTPHandler(svc, app.Auth, app.Logger, maxUpload)
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("GET /openapi.json", openAPI(intake.OpenAPI()))
	return app.Serve(ctx, mux)
}

// openAPI serves the fragment as the service's /openapi.json.
func openAPI(fragment map[string]any) http.Handler {
	doc, err := json.Marshal(map[string]any{
		"openapi":    "3.1.0",
		"info":       map[string]any{"title": "parkdesk intake", "version": "v1"},
		"paths":      fragment["paths"],
		"components": fragment["components"],
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
