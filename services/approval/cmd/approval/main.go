// Command approval runs the workflow engine: definitions seeded from
// PARKDESK_SEEDS, the work queues and decisions under /v1/tasks and
// /v1/workflows, the consumers of intake's, sla's and policy's events, and the
// scheduler that ends public notices.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/services/approval"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("approval stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := bootstrap.FromEnv("approval", ":8083")
	if err != nil {
		return err
	}
	if ok, err := bootstrap.Command(ctx, cfg, os.Args[1:], approval.Migrations); ok || err != nil {
		return err
	}
	var seeds approval.Seeds
	dir := os.Getenv("PARKDESK_SEEDS")
	if dir != "" {
		// Read and validate before connecting: a bad definition stops the start.
		if seeds, err = approval.ReadSeeds(dir); err != nil {
			return fmt.Errorf("PARKDESK_SEEDS %s: %w", dir, err)
		}
	}
	app, err := bootstrap.New(ctx, cfg, approval.Migrations)
	if err != nil {
		return err
	}
	defer app.Close()

	repo, err := approval.NewRepository(app.DB, seeds.Calendars)
	if err != nil {
		return err
	}
	if dir != "" {
		n, err := approval.Seed(ctx, repo, seeds)
		if err != nil {
			return fmt.Errorf("seed %s: %w", dir, err)
		}
		app.Logger.InfoContext(ctx, "seeded workflow definitions", "dir", dir, "definitions", len(seeds.Definitions), "new_versions", n)
	}

	engine, err := approval.NewEngine(approval.EngineConfig{Repo: repo, Clock: app.Clock, Logger: app.Logger})
	if err != nil {
		return err
	}
	consumers, err := engine.Consumers(ctx, app.JS)
	if err != nil {
		return err
	}
	for _, c := range consumers {
		app.Go("consumer", c.Run)
	}
	notices, err := approval.NewNoticeScheduler(repo, app.Clock, app.Logger, 0)
	if err != nil {
		return err
	}
	app.Go("notices", notices.Run)

	var svc approval.Service
	svc, err = approval.NewService(approval.ServiceConfig{Store: repo, Clock: app.Clock})
	if err != nil {
		return err
	}
	svc = approval.LoggingMiddleware(app.Logger)(svc)
	svc = approval.InstrumentingMiddleware(
		app.Metrics.NewCounter("parkdesk", "approval", "requests_total", "approval API calls", "method", "code"),
		app.Metrics.NewHistogram("parkdesk", "approval", "request_duration_seconds", "approval API call latency", "method", "code"),
	)(svc)
	return app.Serve(ctx, approval.MakeHTTPHandler(svc, app.Auth, app.Logger))
}
