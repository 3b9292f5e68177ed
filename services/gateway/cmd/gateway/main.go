// Command gateway serves parkdesk's public HTTP API: it verifies tokens and
// routes /v1/... to the services; it serves the managers' console under
// /console (and, in the dev stack only, its dev sign-in).
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

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/bootstrap"
	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/pkg/natsx"
	"github.com/parkdesk/parkdesk/services/gateway"
	"github.com/parkdesk/parkdesk/services/gateway/console"
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
	con, err := console.New(console.Config{Verifier: app.Auth, Dev: cfg.Dev})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	// console.API lets the console's session cookie stand for the bearer token.
	mux.Handle("/v1/", console.API(proxy))
	mux.Handle("GET /openapi.json", gateway.OpenAPI(gateway.Spec(cfg.Dev), gateway.Upstreams(routes), nil))
	mux.Handle("/console", con)
	mux.Handle(console.Prefix, con)
	if cfg.Dev {
		off, ok := app.Clock.(*clock.Offset)
		if !ok {
			return errors.New("dev mode without the dev clock")
		}
		kv, err := natsx.DevClockKV(ctx, app.JS)
		if err != nil {
			return err
		}
		// Every service follows a change before the answer (gateway.Followed).
		store := gateway.Followed(kvStore{kv}, gateway.Upstreams(routes))
		mux.Handle("/v1/dev/clock", console.API(gateway.DevClock(app.Auth, off, store)))
		// The dev stack's token issuer: demo manager tokens signed with AUTH_HMAC_SECRET.
		signer, err := auth.NewHMACSigner(cfg.Auth.HMACSecret, cfg.Auth.Issuer, cfg.Auth.Audience)
		if err != nil {
			return fmt.Errorf("dev sign-in needs AUTH_HMAC_SECRET: %w", err)
		}
		devSignIn, err := console.DevSignIn(signer)
		if err != nil {
			return err
		}
		mux.Handle(console.DevSignInPath, devSignIn)
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
