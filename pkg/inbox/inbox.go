// Package inbox is the idempotent JetStream consumer: a durable pull consumer
// with explicit acks whose handler runs in a PostgreSQL transaction that also
// records the event id in processed_events, so a redelivered event has no
// second effect. Failures are retried with backoff a bounded number of times,
// then dead-lettered with the original headers and the last error.
package inbox

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/natsx"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates processed_events and aggregate_versions; pass it to db.Migrate.
var Migrations = db.MigrationSet{Name: "inbox", FS: mustSub(migrations, "migrations")}

// ErrPermanent marks a handler error that can never succeed: the message is
// dead-lettered at once instead of retried. Wrap it: fmt.Errorf("...: %w", inbox.ErrPermanent).
var ErrPermanent = errors.New("permanent failure")

// ErrRetryLater asks for a quick redelivery without logging an error, e.g.
// when an event arrives ahead of one it depends on.
var ErrRetryLater = errors.New("retry later")

// Handler applies one event inside tx. It must have no effects outside tx.
type Handler func(ctx context.Context, tx *sqlx.Tx, ev event.Event) error

// Config configures a Consumer.
type Config struct {
	// Name is the durable consumer name and the processed_events scope, e.g. "sla-clocks".
	Name string
	// Stream is the stream consumed. Required.
	Stream string
	// Subjects filters the stream; empty means every subject.
	Subjects []string
	// MaxDeliver is how many times a failing event is tried before it is
	// dead-lettered. Default 5.
	MaxDeliver int
	// Backoff is the delay before retry k (the last entry repeats).
	// Default 1s, 5s, 30s, 2m.
	Backoff []time.Duration
	// RetryLaterDelay is the first redelivery delay for ErrRetryLater; it
	// doubles with each delivery up to RetryLaterMaxDelay. Default 200ms.
	RetryLaterDelay time.Duration
	// RetryLaterMaxDelay caps the ErrRetryLater delay. Default 10s.
	RetryLaterMaxDelay time.Duration
	// RetryLaterMax is how many deliveries an event waiting for an earlier
	// one (ErrRetryLater) gets before it is dead-lettered: waits count
	// separately from MaxDeliver, since a publisher that lost its broker for
	// a while can hold back an aggregate's earlier event. Default 60 (about
	// 9 minutes with the default delays).
	RetryLaterMax int
	// Concurrency is how many events are handled at once. Default 4.
	Concurrency int
	// AckWait is how long the server waits for an ack. Default 30s.
	AckWait time.Duration
	// Logger receives handler failures. Default slog.Default().
	Logger *slog.Logger
}

// Validate fills defaults and checks the config.
func (c *Config) Validate() error {
	if c.Name == "" || c.Stream == "" {
		return errors.New("inbox config: Name and Stream are required")
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 5
	}
	if len(c.Backoff) == 0 {
		c.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	if c.RetryLaterDelay <= 0 {
		c.RetryLaterDelay = 200 * time.Millisecond
	}
	if c.RetryLaterMaxDelay <= 0 {
		c.RetryLaterMaxDelay = 10 * time.Second
	}
	if c.RetryLaterMax <= 0 {
		c.RetryLaterMax = 60
	}
	c.RetryLaterMax = max(c.RetryLaterMax, c.MaxDeliver)
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Consumer runs a Handler over a durable pull consumer.
type Consumer struct {
	db      *sqlx.DB
	js      jetstream.JetStream
	cons    jetstream.Consumer
	cfg     Config
	handler Handler
}

// dlqAttempts is how many extra deliveries the server allows past MaxDeliver,
// so a failed dead-letter publish is retried rather than the message dropped.
const dlqAttempts = 10

// New declares the durable consumer (idempotently) and returns a Consumer.
func New(ctx context.Context, db *sqlx.DB, js jetstream.JetStream, cfg Config, h Handler) (*Consumer, error) {
	if db == nil || js == nil || h == nil {
		return nil, errors.New("new inbox: db, js and handler are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cons, err := natsx.EnsureConsumer(ctx, js, natsx.ConsumerSpec{
		Stream:         cfg.Stream,
		Durable:        cfg.Name,
		FilterSubjects: cfg.Subjects,
		AckWait:        cfg.AckWait,
		MaxDeliver:     cfg.RetryLaterMax + dlqAttempts,
		MaxAckPending:  max(1000, 4*cfg.Concurrency),
	})
	if err != nil {
		return nil, fmt.Errorf("new inbox %s: %w", cfg.Name, err)
	}
	return &Consumer{db: db, js: js, cons: cons, cfg: cfg, handler: h}, nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
