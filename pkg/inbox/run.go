package inbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

// errSeen short-circuits the transaction of an event already processed.
var errSeen = errors.New("event already processed")

// Run consumes until ctx is done, handling up to Concurrency events at once.
// In-flight handlers finish before Run returns nil.
func (c *Consumer) Run(ctx context.Context) error {
	it, err := c.cons.Messages(jetstream.PullMaxMessages(max(2*c.cfg.Concurrency, 16)))
	if err != nil {
		return fmt.Errorf("inbox %s: messages: %w", c.cfg.Name, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	work := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range c.cfg.Concurrency {
		wg.Go(func() {
			for msg := range work {
				c.Process(context.WithoutCancel(ctx), msg)
			}
		})
	}
	defer wg.Wait()
	defer close(work)
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return nil
			}
			c.cfg.Logger.WarnContext(ctx, "inbox next", "consumer", c.cfg.Name, "err", err)
			continue
		}
		work <- msg
	}
}

// Process handles one message: decode, run the handler with the
// processed_events record in one transaction, then ack, retry or dead-letter.
func (c *Consumer) Process(ctx context.Context, msg jetstream.Msg) {
	delivered := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		delivered = md.NumDelivered
	}
	ev, err := event.Unmarshal(msg.Data())
	if err != nil {
		c.deadLetter(ctx, msg, delivered, fmt.Errorf("%w: %w", ErrPermanent, err))
		return
	}
	if tp, err := telemetry.ParseTraceparent(ev.Traceparent); err == nil {
		ctx = telemetry.WithTrace(ctx, tp)
	}
	if delivered > uint64(c.cfg.RetryLaterMax) {
		// The event exhausted its deliveries and the dead-letter publish
		// failed since: only retry that.
		c.deadLetter(ctx, msg, delivered, errors.New("dead-letter publish retried"))
		return
	}
	err = db.InTx(ctx, c.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, c.cfg.Name, ev.ID)
		if err != nil {
			return fmt.Errorf("record processed event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errSeen
		}
		return c.handler(ctx, tx, ev)
	})
	switch {
	case err == nil, errors.Is(err, errSeen):
		if err := msg.Ack(); err != nil {
			c.cfg.Logger.WarnContext(ctx, "inbox ack", "consumer", c.cfg.Name, "event", ev.ID, "err", err)
		}
	case errors.Is(err, ErrPermanent):
		c.deadLetter(ctx, msg, delivered, err)
	case errors.Is(err, ErrRetryLater):
		if delivered >= uint64(c.cfg.RetryLaterMax) {
			c.deadLetter(ctx, msg, delivered, err)
			return
		}
		_ = msg.NakWithDelay(c.retryLaterDelay(delivered))
	case delivered >= uint64(c.cfg.MaxDeliver):
		c.deadLetter(ctx, msg, delivered, err)
	default:
		c.cfg.Logger.WarnContext(ctx, "inbox handler failed; will retry", "consumer", c.cfg.Name,
			"event", ev.ID, "type", ev.Type, "delivery", delivered, "err", err)
		_ = msg.NakWithDelay(c.cfg.Backoff[min(int(delivered), len(c.cfg.Backoff))-1])
	}
}

// deadLetter publishes the original message with its headers, the error and
// the delivery count to dlq.<consumer>.<subject>, then terminates it. If the
// publish fails the message is nak'ed so the dead-lettering is retried.
func (c *Consumer) deadLetter(ctx context.Context, msg jetstream.Msg, delivered uint64, cause error) {
	dl := nats.NewMsg(event.DeadLetterSubject(c.cfg.Name, msg.Subject()))
	dl.Data = msg.Data()
	for k, vs := range msg.Headers() {
		for _, v := range vs {
			dl.Header.Add(k, v)
		}
	}
	dl.Header.Del(jetstream.MsgIDHeader)
	dl.Header.Set(event.HeaderError, cause.Error())
	dl.Header.Set(event.HeaderOriginalSubject, msg.Subject())
	dl.Header.Set(event.HeaderDeliveries, strconv.FormatUint(delivered, 10))
	id := c.cfg.Name + ":" + msg.Subject()
	if md, err := msg.Metadata(); err == nil {
		id = c.cfg.Name + ":" + strconv.FormatUint(md.Sequence.Stream, 10)
	}
	if _, err := c.js.PublishMsg(ctx, dl, jetstream.WithMsgID(id)); err != nil {
		c.cfg.Logger.ErrorContext(ctx, "inbox dead-letter publish failed; will retry", "consumer", c.cfg.Name, "err", err)
		_ = msg.NakWithDelay(c.cfg.Backoff[0])
		return
	}
	c.cfg.Logger.ErrorContext(ctx, "inbox dead-lettered", "consumer", c.cfg.Name, "subject", msg.Subject(),
		"deliveries", delivered, "err", cause)
	if err := msg.Term(); err != nil {
		c.cfg.Logger.WarnContext(ctx, "inbox term", "consumer", c.cfg.Name, "err", err)
	}
}

// retryLaterDelay doubles from RetryLaterDelay with each delivery, capped.
func (c *Consumer) retryLaterDelay(delivered uint64) time.Duration {
	d := c.cfg.RetryLaterDelay << min(delivered-1, 16)
	return min(d, c.cfg.RetryLaterMaxDelay)
}
