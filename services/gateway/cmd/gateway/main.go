// Command gateway serves parkdesk's public HTTP API: it verifies tokens and
// routes /v1/... to the services.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/services/gateway"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("gateway stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := bootstrap.FromEnv("gateway", ":8080")
	if err != nil {
		return err
	}
	routes, err := gateway.ParseRoutes(os.Getenv("GATEWAY_ROUTES"))
	if err != nil {
		return fmt.Errorf("GATEWAY_ROUTES: %w", err)
	}
	app, err := bootstrap.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()

	proxy, err := gateway.NewProxy(app.Auth, routes)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", proxy)
	mux.Handle("GET /openapi.json", gateway.OpenAPI(gateway.Spec(cfg.Dev), gateway.Upstreams(routes), nil))
	if cfg.Dev {
		off, ok := app.Clock.(*clock.Offset)
		if !ok {
			return errors.New("dev mode without the dev clock")
		}
		kv, err := natsx.DevClockKV(ctx, app.JS)
		if err != nil {
			return err
		}
		mux.Handle("/v1/dev/clock", gateway.DevClock(app.Auth, off, kvStore{kv}))
	}
	checks := []httpx.Check{}
	for _, u := range gateway.Upstreams(routes) {
		checks = append(checks, gateway.UpstreamCheck(u, 2*time.Second))
	}
	return app.Serve(ctx, mux, checks...)
}

type kvStore struct{ kv jetstream.KeyValue }

func (s kvStore) SetOffset(ctx context.Context, d time.Duration) error {
	return natsx.SetDevOffset(ctx, s.kv, d)
}
