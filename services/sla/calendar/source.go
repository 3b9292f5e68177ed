package calendar

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/workday"
)

// Source gives the current working-day calendar of a park. Implementations
// are safe for concurrent use and cheap to call on hot paths (cached).
type Source interface {
	// ForPark returns the park's calendar: every loaded year, its office
	// hours and time zone. An unknown park is a fault.ErrNotFound.
	ForPark(ctx context.Context, park string) (*workday.Calendar, error)
}

// ChangeHook runs inside the transaction that replaces a year of a park's
// calendar, after the write and before the commit, with the park's new
// calendar. The sla clocks engine uses it to recompute every open clock of the
// park, so the new calendar and the moved deadlines commit together.
type ChangeHook func(ctx context.Context, tx *sqlx.Tx, park string, cal *workday.Calendar) error
