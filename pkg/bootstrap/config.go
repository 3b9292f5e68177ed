// Package bootstrap wires the process every parkdesk service runs as: its
// configuration from the environment, JSON logs, its own PostgreSQL schema
// and migrations, NATS JetStream with the streams declared, the outbox relay,
// the clock (controllable in the dev stack only), token verification, and an
// HTTP server with /healthz, /readyz and /metrics beside the service's API.
package bootstrap

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
)

// Config is what every service reads from its environment.
type Config struct {
	// Service names the service; it is also its schema and log "service" field.
	Service string
	// HTTPAddr is the listen address (HTTP_ADDR). Default given by the service.
	HTTPAddr string
	// DatabaseURL reaches PostgreSQL (DATABASE_URL). Required when the service
	// owns data.
	DatabaseURL string
	// NATSURL reaches NATS (NATS_URL). Default nats://127.0.0.1:4222.
	NATSURL string
	// Auth verifies bearer tokens: AUTH_ISSUER (default "parkdesk"),
	// AUTH_AUDIENCE (default "parkdesk-api"), AUTH_HMAC_SECRET or
	// AUTH_ED25519_PUBLIC_KEYS_FILE (PEM blocks).
	Auth auth.Config
	// Dev enables dev-only features (PARKDESK_DEV=1): the shared,
	// fast-forwardable clock. Never set in production.
	Dev bool
	// LogLevel is debug, info, warn or error (LOG_LEVEL). Default info.
	LogLevel slog.Level
	// OutboxRetention keeps sent outbox rows for re-publishing
	// (OUTBOX_RETENTION). Default 1h.
	OutboxRetention time.Duration
	// StreamReplicas is the replication factor of the streams and buckets
	// the service declares (NATS_STREAM_REPLICAS, 1 to 5). Default 1; 3 on a
	// JetStream cluster — every service must agree, since declaring a
	// stream updates it.
	StreamReplicas int
}

// FromEnv reads the configuration of service, defaulting HTTPAddr to addr.
func FromEnv(service, addr string) (Config, error) {
	cfg := Config{
		Service:     service,
		HTTPAddr:    env("HTTP_ADDR", addr),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		NATSURL:     env("NATS_URL", "nats://127.0.0.1:4222"),
		Dev:         os.Getenv("PARKDESK_DEV") == "1",
		Auth: auth.Config{
			Issuer:     env("AUTH_ISSUER", "parkdesk"),
			Audience:   env("AUTH_AUDIENCE", "parkdesk-api"),
			HMACSecret: os.Getenv("AUTH_HMAC_SECRET"),
		},
	}
	if f := os.Getenv("AUTH_ED25519_PUBLIC_KEYS_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return cfg, fmt.Errorf("AUTH_ED25519_PUBLIC_KEYS_FILE: %w", err)
		}
		cfg.Auth.Ed25519PublicKeysPEM = splitPEM(string(b))
	}
	if v := os.Getenv("NATS_STREAM_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return cfg, fmt.Errorf("NATS_STREAM_REPLICAS: %w", err)
		}
		cfg.StreamReplicas = n
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if v := os.Getenv("OUTBOX_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return cfg, fmt.Errorf("OUTBOX_RETENTION: %w", err)
		}
		cfg.OutboxRetention = d
	}
	return cfg, cfg.Validate()
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Service == "" {
		errs = append(errs, errors.New("service name is required"))
	}
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("HTTP_ADDR is required"))
	}
	if c.StreamReplicas < 0 || c.StreamReplicas > 5 {
		errs = append(errs, fmt.Errorf("NATS_STREAM_REPLICAS must be 1 to 5, got %d", c.StreamReplicas))
	}
	if err := c.Auth.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("auth: %w", err))
	}
	return errors.Join(errs...)
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func splitPEM(s string) []string {
	var out []string
	for _, block := range strings.SplitAfter(s, "-----END PUBLIC KEY-----") {
		if b := strings.TrimSpace(block); b != "" {
			out = append(out, b)
		}
	}
	return out
}
