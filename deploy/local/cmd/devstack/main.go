// Command devstack runs the whole of parkdesk on one machine: an embedded
// JetStream server, PostgreSQL (DATABASE_URL, else the local server, else a
// private cluster in .dev/), every service built into bin/ as its own process,
// and the gateway on :8080. It prints the URL and a demo token per role;
// Ctrl-C stops everything. The start and stop logic is package stack's.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/parkdesk/parkdesk/deploy/local/stack"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.Error("devstack", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	cfg := stack.Config{
		Root:        root,
		DataDir:     envOr("PARKDESK_DEV_DIR", filepath.Join(root, ".dev")),
		NATSPort:    envInt("DEV_NATS_PORT", 14222),
		PGPort:      envInt("DEV_PG_PORT", 15432),
		GatewayAddr: envOr("DEV_GATEWAY_ADDR", "127.0.0.1:8080"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
	}
	st, err := stack.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Stop()
	st.PrintWelcome(os.Stdout)
	select {
	case <-ctx.Done():
		fmt.Println("\nparkdesk dev stack: stopping")
		return nil
	case err := <-st.Exited():
		return err
	}
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devstack: run from inside the parkdesk checkout (no go.work found)")
		}
		dir = parent
	}
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
