// Command liaison runs parkdesk's liaison service (驻企联络): officers,
// assignment of firms (一企一员), dispatch of demands and proxy filings with
// escalation on sla's breaches, visits, promises and the managers' views,
// under /v1/liaison and /v1/officers.
//
// Environment, besides bootstrap's: PARKDESK_SEEDS (a seeds directory with
// officers.yaml, applied idempotently at start), LIAISON_RESPONSE_HOURS
// (working hours to sign for a request, default 4) and
// LIAISON_VISIT_CADENCE_DAYS (a key firm's visit cadence in working days,
// default 20).
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
	"github.com/parkdesk/parkdesk/services/liaison"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("liaison stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := bootstrap.FromEnv("liaison", ":8082")
	if err != nil {
		return err
	}
	if handled, err := bootstrap.Command(ctx, cfg, os.Args[1:], liaison.Migrations); handled || err != nil {
		return err
	}
	hours, err := envInt("LIAISON_RESPONSE_HOURS")
	if err != nil {
		return err
	}
	cadence, err := envInt("LIAISON_VISIT_CADENCE_DAYS")
	if err != nil {
		return err
	}
	app, err := bootstrap.New(ctx, cfg, liaison.Migrations)
	if err != nil {
		return err
	}
	defer app.Close()

	repo, err := liaison.NewRepository(liaison.RepositoryConfig{DB: app.DB, Clock: app.Clock, Logger: app.Logger,
		ResponseHours: hours, VisitCadenceDays: cadence})
	if err != nil {
		return err
	}
	if dir := os.Getenv("PARKDESK_SEEDS"); dir != "" {
		if err := liaison.Seed(ctx, repo, dir); err != nil {
			return err
		}
	}
	consumers, err := repo.Consumers(ctx, app.JS, liaison.ConsumerConfig{Logger: app.Logger})
	if err != nil {
		return err
	}
	for i, c := range consumers {
		app.Go(fmt.Sprintf("consumer-%d", i), c.Run)
	}
	sched, err := liaison.NewScheduler(liaison.SchedulerConfig{Repository: repo, Clock: app.Clock, Logger: app.Logger})
	if err != nil {
		return err
	}
	app.Go("promise-scheduler", sched.Run)
	app.Go("inbox-prune", func(ctx context.Context) error { return prune(ctx, app) })

	svc, err := liaison.NewService(liaison.ServiceConfig{Store: repo, Clock: app.Clock, Wake: sched.Poke})
	if err != nil {
		return err
	}
	svc = liaison.LoggingMiddleware(app.Logger)(svc)
	svc = liaison.InstrumentingMiddleware(
		app.Metrics.NewCounter("parkdesk", "liaison", "requests_total", "Liaison service calls.", "method", "code"),
		app.Metrics.NewHistogram("parkdesk", "liaison", "request_duration_seconds", "Liaison service call durations.", "method", "code"),
	)(svc)

	api := liaison.MakeHTTPHandler(svc, app.Auth, app.Logger)
	mux := http.NewServeMux()
	mux.Handle("/v1/liaison/", api)
	mux.Handle("/v1/officers", api)
	mux.Handle("/v1/officers/", api)
	mux.Handle("GET /openapi.json", openAPI(liaison.OpenAPI()))
	return app.Serve(ctx, mux)
}

func envInt(key string) (int, error) {
	s := os.Getenv(key)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive whole number, got %q", key, s)
	}
	return n, nil
}

// openAPI serves the fragment as the service's /openapi.json.
func openAPI(fragment map[string]any) http.Handler {
	doc, err := json.Marshal(map[string]any{
		"openapi":    "3.1.0",
		"info":       map[string]any{"title": "parkdesk liaison", "version": "v1"},
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
