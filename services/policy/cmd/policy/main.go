// Command policy runs parkdesk's policy redemption service (政策兑现
// "一窗式"): policies, matching and 免申即享 offers, applications through
// the approval engine, budgets and the disbursement ledger, under
// /v1/policies, /v1/policy-applications, /v1/policy-matches and
// /v1/enterprises/{id}/policy-matches.
//
// Environment, besides bootstrap's: PARKDESK_SEEDS (a seeds directory with
// policies.yaml and parks.yaml; policies are stored if missing and published
// at start, idempotently; the calendars give working-day figures).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/pkg/inbox"
	"github.com/parkdesk/parkdesk/services/policy"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("policy stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := bootstrap.FromEnv("policy", ":8084")
	if err != nil {
		return err
	}
	if handled, err := bootstrap.Command(ctx, cfg, os.Args[1:]); handled || err != nil {
		return err
	}
	var seeds policy.Seeds
	dir := os.Getenv("PARKDESK_SEEDS")
	if dir != "" {
		// Read and validate before connecting: a bad policy stops the start.
		if seeds, err = policy.ReadSeeds(dir); err != nil {
			return fmt.Errorf("PARKDESK_SEEDS %s: %w", dir, err)
		}
	}
	app, err := bootstrap.New(ctx, cfg, policy.Migrations)
	if err != nil {
		return err
	}
	defer app.Close()

	repo, err := policy.NewRepository(app.DB, seeds.Calendars)
	if err != nil {
		return err
	}
	if dir != "" {
		res, err := policy.Seed(ctx, repo, seeds, app.Clock.Now().UTC())
		if err != nil {
			return fmt.Errorf("seed %s: %w", dir, err)
		}
		app.Logger.InfoContext(ctx, "seeded policies", "dir", dir, "created", res.Created, "published", res.Published, "existing", res.Existing)
	}
	engine, err := policy.NewEngine(policy.EngineConfig{Repo: repo, Clock: app.Clock, Logger: app.Logger})
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
	app.Go("inbox-prune", func(ctx context.Context) error { return prune(ctx, app) })

	svc, err := policy.NewService(policy.ServiceConfig{Store: repo, Clock: app.Clock})
	if err != nil {
		return err
	}
	svc = policy.LoggingMiddleware(app.Logger)(svc)
	svc = policy.InstrumentingMiddleware(
		app.Metrics.NewCounter("parkdesk", "policy", "requests_total", "Policy service calls.", "method", "code"),
		app.Metrics.NewHistogram("parkdesk", "policy", "request_duration_seconds", "Policy service call durations.", "method", "code"),
	)(svc)

	api := policy.MakeHTTPHandler(svc, app.Auth, app.Logger)
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("GET /openapi.json", openAPI(policy.OpenAPI()))
	return app.Serve(ctx, mux)
}

// openAPI serves the fragment as the service's /openapi.json.
func openAPI(fragment map[string]any) http.Handler {
	doc, err := json.Marshal(map[string]any{
		"openapi":    "3.1.0",
		"info":       map[string]any{"title": "parkdesk policy", "version": "v1"},
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
