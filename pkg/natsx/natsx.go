// Package natsx connects to NATS JetStream, declares parkdesk's streams and
// consumers idempotently at start-up, and runs an embedded nats-server for the
// dev stack and tests.
package natsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/event"
)

// Config says how to reach NATS.
type Config struct {
	// URL is the NATS server URL (env NATS_URL). Default nats://127.0.0.1:4222.
	URL string
	// Name identifies the connection in server monitoring, e.g. "sla".
	Name string
	// ConnectTimeout bounds the first connection. Default 5s.
	ConnectTimeout time.Duration
}

// Validate fills defaults and checks the config.
func (c *Config) Validate() error {
	if c.URL == "" {
		c.URL = nats.DefaultURL
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 5 * time.Second
	}
	if c.Name == "" {
		return errors.New("natsx config: Name is required")
	}
	return nil
}

// Connect opens a NATS connection that reconnects forever and returns it with
// its JetStream context.
func Connect(ctx context.Context, cfg Config) (*nats.Conn, jetstream.JetStream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	nc, err := nats.Connect(cfg.URL,
		nats.Name(cfg.Name),
		nats.Timeout(cfg.ConnectTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(false),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("connect nats %s: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream context: %w", err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream account info (is JetStream enabled?): %w", err)
	}
	return nc, js, nil
}

// StreamDefaults are applied to every declared stream.
type StreamDefaults struct {
	// Replicas is the stream replication factor. Default 1; 3 in production.
	Replicas int
	// Duplicates is the de-duplication window for Nats-Msg-Id. Default 10m,
	// matching the outbox's re-publish horizon.
	Duplicates time.Duration
	// MaxAge bounds how long events are kept in the stream. Default 30 days
	// (PostgreSQL is the source of truth; the stream is transport).
	MaxAge time.Duration
}

func (d *StreamDefaults) fill() {
	if d.Replicas <= 0 {
		d.Replicas = 1
	}
	if d.Duplicates <= 0 {
		d.Duplicates = 10 * time.Minute
	}
	if d.MaxAge <= 0 {
		d.MaxAge = 30 * 24 * time.Hour
	}
}

// EnsureStreams creates or updates every stream in event.Streams(). It is
// safe to call from every service at start-up, concurrently.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, d StreamDefaults) error {
	d.fill()
	for _, s := range event.Streams() {
		cfg := jetstream.StreamConfig{
			Name:       s.Name,
			Subjects:   s.Subjects,
			Storage:    jetstream.FileStorage,
			Retention:  jetstream.LimitsPolicy,
			Replicas:   d.Replicas,
			Duplicates: d.Duplicates,
			MaxAge:     d.MaxAge,
			Discard:    jetstream.DiscardOld,
		}
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", s.Name, err)
		}
	}
	return nil
}

// ConsumerSpec declares one durable pull consumer.
type ConsumerSpec struct {
	// Stream is the stream the consumer reads.
	Stream string
	// Durable is the consumer's durable name, e.g. "sla-clocks".
	Durable string
	// FilterSubjects restricts the subjects delivered; empty means all.
	FilterSubjects []string
	// AckWait is how long the server waits for an ack before redelivering. Default 30s.
	AckWait time.Duration
	// MaxDeliver bounds deliveries; the inbox dead-letters on the last. Default 5.
	MaxDeliver int
	// MaxAckPending bounds unacknowledged messages in flight. Default 1000.
	MaxAckPending int
}

// EnsureConsumer creates or updates a durable, explicit-ack pull consumer.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, spec ConsumerSpec) (jetstream.Consumer, error) {
	if spec.Stream == "" || spec.Durable == "" {
		return nil, errors.New("ensure consumer: stream and durable are required")
	}
	if spec.AckWait <= 0 {
		spec.AckWait = 30 * time.Second
	}
	if spec.MaxDeliver <= 0 {
		spec.MaxDeliver = 5
	}
	if spec.MaxAckPending <= 0 {
		spec.MaxAckPending = 1000
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       spec.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       spec.AckWait,
		MaxDeliver:    spec.MaxDeliver,
		MaxAckPending: spec.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	switch len(spec.FilterSubjects) {
	case 0:
	case 1:
		cfg.FilterSubject = spec.FilterSubjects[0]
	default:
		cfg.FilterSubjects = spec.FilterSubjects
	}
	c, err := js.CreateOrUpdateConsumer(ctx, spec.Stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("ensure consumer %s on %s: %w", spec.Durable, spec.Stream, err)
	}
	return c, nil
}
