package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/event"
)

// RelayConfig configures a Relay.
type RelayConfig struct {
	// Schema is the service schema whose outbox is relayed. Required.
	Schema string
	// ListenDSN is a PostgreSQL URL for LISTEN/NOTIFY wake-ups. Empty means
	// poll only (PollInterval).
	ListenDSN string
	// BatchSize bounds the rows claimed and published per round. Default 256.
	BatchSize int
	// PollInterval is the fallback poll when no notification arrives. Default 1s.
	PollInterval time.Duration
	// PublishTimeout bounds waiting for a batch's PubAcks. Default 10s.
	PublishTimeout time.Duration
	// Retention keeps sent rows for re-publishing after a broker loss.
	// Default 1h; at least 10m.
	Retention time.Duration
	// PruneInterval is how often sent rows past Retention are deleted. Default 1m.
	PruneInterval time.Duration
	// Logger receives relay errors. Default slog.Default().
	Logger *slog.Logger
	// Metrics observes the relay. Default: discarded.
	Metrics *Metrics

	// afterPublish, when set (tests only), runs after the batch is acknowledged
	// by JetStream and before the rows are marked sent; an error aborts the
	// transaction exactly as a crash at that point would.
	afterPublish func() error
}

// Validate fills defaults and checks the config.
func (c *RelayConfig) Validate() error {
	if c.Schema == "" {
		return errors.New("relay config: Schema is required")
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 10 * time.Second
	}
	if c.Retention == 0 {
		c.Retention = time.Hour
	}
	if c.Retention < 10*time.Minute {
		return fmt.Errorf("relay config: Retention %s is below 10m: rows must outlive a broker loss", c.Retention)
	}
	if c.PruneInterval <= 0 {
		c.PruneInterval = time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = discardMetrics()
	}
	return nil
}

// Relay publishes committed outbox rows to JetStream. Several relays may run
// against one outbox: each claims rows with FOR UPDATE SKIP LOCKED.
type Relay struct {
	db  *sqlx.DB
	js  jetstream.JetStream
	cfg RelayConfig
}

// NewRelay builds a relay over the schema's outbox.
func NewRelay(db *sqlx.DB, js jetstream.JetStream, cfg RelayConfig) (*Relay, error) {
	if db == nil || js == nil {
		return nil, errors.New("new relay: db and js are required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Relay{db: db, js: js, cfg: cfg}, nil
}

// Run relays until ctx is done: on every notification, on every poll tick,
// and back to back while batches come back full. It returns nil when ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	wake, stop := r.listen()
	defer stop()
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(r.cfg.PruneInterval)
	defer prune.Stop()
	failures := 0
	for {
		n, err := r.Flush(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			r.cfg.Logger.ErrorContext(ctx, "outbox relay", "schema", r.cfg.Schema, "err", err)
			if !sleep(ctx, backoff(failures)) {
				return nil
			}
			continue
		case n == r.cfg.BatchSize:
			failures = 0
			continue
		}
		failures = 0
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-prune.C:
			if _, err := r.Prune(ctx); err != nil && ctx.Err() == nil {
				r.cfg.Logger.ErrorContext(ctx, "outbox prune", "schema", r.cfg.Schema, "err", err)
			}
		}
	}
}

type row struct {
	Seq         int64     `db:"seq"`
	EventID     string    `db:"event_id"`
	EventType   string    `db:"event_type"`
	Subject     string    `db:"subject"`
	Park        string    `db:"park"`
	Traceparent string    `db:"traceparent"`
	Data        []byte    `db:"data"`
	CreatedAt   time.Time `db:"created_at"`
}

// Flush claims one batch of unsent rows, publishes them, waits for every
// PubAck and marks the acknowledged rows sent, in one transaction. It returns
// how many rows were claimed. A crash after publishing and before the commit
// re-publishes those rows later under the same Nats-Msg-Id, which JetStream's
// duplicate window drops.
func (r *Relay) Flush(ctx context.Context) (int, error) {
	tx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("relay begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck
	var rows []row
	const claim = `SELECT seq, event_id, event_type, subject, park, traceparent, data, created_at
		FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`
	if err := tx.SelectContext(ctx, &rows, claim, r.cfg.BatchSize); err != nil {
		return 0, fmt.Errorf("relay claim: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	sent, pubErr := r.publish(ctx, rows)
	if r.cfg.afterPublish != nil {
		if err := r.cfg.afterPublish(); err != nil {
			return 0, err
		}
	}
	if len(sent) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET sent_at = now() WHERE seq = ANY($1)`, pq.Array(sent)); err != nil {
			return 0, fmt.Errorf("relay mark sent: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("relay commit: %w", err)
		}
	}
	return len(rows), pubErr
}

func (r *Relay) publish(ctx context.Context, rows []row) ([]int64, error) {
	futures := make([]jetstream.PubAckFuture, len(rows))
	var firstErr error
	for i, rw := range rows {
		msg := nats.NewMsg(rw.Subject)
		msg.Data = rw.Data
		msg.Header.Set(event.HeaderType, rw.EventType)
		msg.Header.Set(event.HeaderPark, rw.Park)
		if rw.Traceparent != "" {
			msg.Header.Set(event.HeaderTraceparent, rw.Traceparent)
		}
		f, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID(rw.EventID))
		if err != nil {
			firstErr = fmt.Errorf("relay publish %s: %w", rw.EventID, err)
			break
		}
		futures[i] = f
	}
	timeout := time.NewTimer(r.cfg.PublishTimeout)
	defer timeout.Stop()
	sent := make([]int64, 0, len(rows))
	now := time.Now()
	for i, f := range futures {
		if f == nil {
			break
		}
		select {
		case ack := <-f.Ok():
			sent = append(sent, rows[i].Seq)
			if ack.Duplicate {
				r.cfg.Metrics.Duplicates.Add(1)
			}
			r.cfg.Metrics.Published.Add(1)
			r.cfg.Metrics.Latency.Observe(now.Sub(rows[i].CreatedAt).Seconds())
		case err := <-f.Err():
			if firstErr == nil {
				firstErr = fmt.Errorf("relay publish %s: %w", rows[i].EventID, err)
			}
		case <-timeout.C:
			if firstErr == nil {
				firstErr = fmt.Errorf("relay publish: no PubAck within %s", r.cfg.PublishTimeout)
			}
			return sent, firstErr
		case <-ctx.Done():
			return sent, ctx.Err()
		}
	}
	return sent, firstErr
}

// Prune deletes sent rows older than the retention, in bounded chunks.
func (r *Relay) Prune(ctx context.Context) (int64, error) {
	var total int64
	for {
		res, err := r.db.ExecContext(ctx, `DELETE FROM outbox WHERE seq IN (
			SELECT seq FROM outbox WHERE sent_at IS NOT NULL AND sent_at < now() - $1::interval LIMIT 5000)`,
			fmt.Sprintf("%d milliseconds", r.cfg.Retention.Milliseconds()))
		if err != nil {
			return total, fmt.Errorf("outbox prune: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}

// Republish marks every row created at or after since as unsent again, so the
// relay publishes it anew: the operator's remedy after a broker lost
// acknowledged messages. Consumers are idempotent, so it is always safe.
func Republish(ctx context.Context, db *sqlx.DB, since time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE outbox SET sent_at = NULL WHERE created_at >= $1 AND sent_at IS NOT NULL`, since)
	if err != nil {
		return 0, fmt.Errorf("outbox republish: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := db.ExecContext(ctx, `SELECT pg_notify('outbox_' || current_schema(), '')`); err != nil {
		return n, fmt.Errorf("outbox republish notify: %w", err)
	}
	return n, nil
}

func backoff(failures int) time.Duration {
	d := 50 * time.Millisecond << min(failures, 7)
	return min(d, 5*time.Second)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
