package natsx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/parkdesk/parkdesk/pkg/clock"
)

// DevClockBucket is the KV bucket holding the dev stack's time offset. It
// exists only where the dev stack created it; production never declares it.
const DevClockBucket = "parkdesk_devclock"

const devClockKey = "offset"

// DevClockKV declares (idempotently) and returns the dev clock bucket.
func DevClockKV(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: DevClockBucket, History: 1})
	if err != nil {
		return nil, fmt.Errorf("dev clock bucket: %w", err)
	}
	return kv, nil
}

// SetDevOffset stores the dev stack's offset from real time.
func SetDevOffset(ctx context.Context, kv jetstream.KeyValue, d time.Duration) error {
	if _, err := kv.Put(ctx, devClockKey, []byte(d.String())); err != nil {
		return fmt.Errorf("set dev clock: %w", err)
	}
	return nil
}

// DevOffset reads the stored offset (zero when never set).
func DevOffset(ctx context.Context, kv jetstream.KeyValue) (time.Duration, error) {
	e, err := kv.Get(ctx, devClockKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read dev clock: %w", err)
	}
	return time.ParseDuration(string(e.Value()))
}

// WatchDevClock keeps off in step with the stored offset until ctx is done,
// so every service of the dev stack moves through time together.
func WatchDevClock(ctx context.Context, kv jetstream.KeyValue, off *clock.Offset) error {
	w, err := kv.Watch(ctx, devClockKey)
	if err != nil {
		return fmt.Errorf("watch dev clock: %w", err)
	}
	defer w.Stop() //nolint:errcheck
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return nil
			}
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			if d, err := time.ParseDuration(string(e.Value())); err == nil {
				off.SetOffset(d)
			}
		}
	}
}
