// Package db opens PostgreSQL through sqlx and lib/pq with sane pool settings,
// runs a service's embedded goose migrations inside the service's own schema,
// and runs transactions that retry serialization failures.
package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // registers the "postgres" driver
)

// Config says how to reach a service's database.
type Config struct {
	// URL is a postgres:// URL (env DATABASE_URL). Required. sslmode and
	// connect_timeout default to "disable" and 5 when absent.
	URL string
	// Schema is the service's own schema; it is created if missing and set as
	// the connection's search_path. Required.
	Schema string
	// MaxOpenConns bounds the pool. Default 20.
	MaxOpenConns int
	// MaxIdleConns keeps warm connections. Default MaxOpenConns.
	MaxIdleConns int
	// ConnMaxLifetime recycles connections. Default 30m.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes idle connections. Default 5m.
	ConnMaxIdleTime time.Duration
}

var schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Validate fills defaults and checks the config.
func (c *Config) Validate() error {
	if c.URL == "" {
		return errors.New("db config: URL is required")
	}
	if !schemaName.MatchString(c.Schema) {
		return fmt.Errorf("db config: Schema %q must match %s", c.Schema, schemaName)
	}
	if c.MaxOpenConns <= 0 {
		c.MaxOpenConns = 20
	}
	if c.MaxIdleConns <= 0 || c.MaxIdleConns > c.MaxOpenConns {
		c.MaxIdleConns = c.MaxOpenConns
	}
	if c.ConnMaxLifetime <= 0 {
		c.ConnMaxLifetime = 30 * time.Minute
	}
	if c.ConnMaxIdleTime <= 0 {
		c.ConnMaxIdleTime = 5 * time.Minute
	}
	return nil
}

// DSN returns the URL with sslmode, connect_timeout and (when schema is not
// empty) search_path set.
func DSN(raw, schema string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("database url: scheme must be postgres, got %q", u.Scheme)
	}
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "5")
	}
	if schema != "" {
		q.Set("search_path", schema)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Open creates the schema if needed and returns a pool whose connections use
// it as search_path. It pings before returning.
func Open(ctx context.Context, cfg Config) (*sqlx.DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ensureSchema(ctx, cfg.URL, cfg.Schema); err != nil {
		return nil, err
	}
	dsn, err := DSN(cfg.URL, cfg.Schema)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxIdleConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	db.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return db, nil
}

func ensureSchema(ctx context.Context, raw, schema string) error {
	dsn, err := DSN(raw, "")
	if err != nil {
		return err
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	// The schema name is validated against schemaName; identifiers cannot be parameters.
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+schema); err != nil {
		if isUniqueViolation(err) { // a concurrent replica created it first
			return nil
		}
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}
