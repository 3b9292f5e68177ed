package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Prune deletes processed_events records older than keep. Keep them longer
// than JetStream could redeliver or an operator could re-publish (days, not minutes).
func Prune(ctx context.Context, db *sqlx.DB, keep time.Duration) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM processed_events WHERE processed_at < now() - $1::interval`,
		fmt.Sprintf("%d seconds", int64(keep.Seconds())))
	if err != nil {
		return 0, fmt.Errorf("prune processed events: %w", err)
	}
	return res.RowsAffected()
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
