package inbox

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/event"
)

// Advance records ev's aggregate version for scope inside tx and reports
// whether ev is new. A version at or below the last one seen is stale: it
// returns false and the handler should do nothing. With strict set, a version
// that skips ahead (a gap: an earlier event not yet applied) returns
// ErrRetryLater, so the event is redelivered after the missing one. Use strict
// only where the consumer receives every event of the aggregate.
func Advance(ctx context.Context, tx *sqlx.Tx, scope string, ev event.Event, strict bool) (bool, error) {
	var last int64
	err := tx.GetContext(ctx, &last, `SELECT version FROM aggregate_versions
		WHERE scope = $1 AND aggregate_type = $2 AND aggregate_id = $3 FOR UPDATE`,
		scope, ev.AggregateType, ev.AggregateID)
	switch {
	case err == nil:
	case isNoRows(err):
		last = 0
	default:
		return false, fmt.Errorf("read aggregate version: %w", err)
	}
	if ev.AggregateVersion <= last {
		return false, nil
	}
	if strict && ev.AggregateVersion > last+1 {
		return false, fmt.Errorf("%s %s version %d after %d: %w", ev.AggregateType, ev.AggregateID,
			ev.AggregateVersion, last, ErrRetryLater)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO aggregate_versions (scope, aggregate_type, aggregate_id, version)
		VALUES ($1, $2, $3, $4) ON CONFLICT (scope, aggregate_type, aggregate_id) DO UPDATE SET version = EXCLUDED.version`,
		scope, ev.AggregateType, ev.AggregateID, ev.AggregateVersion)
	if err != nil {
		return false, fmt.Errorf("write aggregate version: %w", err)
	}
	return true, nil
}
