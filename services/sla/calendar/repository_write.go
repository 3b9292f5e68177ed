package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

// ReplaceYear stores y as the park's year y.Year in a transaction of its
// own, as ReplaceYearTx does, and commits it. Nothing is written when any
// step, the hook included, fails.
func (s *Store) ReplaceYear(ctx context.Context, park string, y workday.Year, by string, hook ChangeHook) (ParkCalendar, bool, error) {
	var (
		pc      ParkCalendar
		changed bool
	)
	err := db.InTx(ctx, s.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		var err error
		pc, changed, err = s.ReplaceYearTx(ctx, tx, park, y, by, hook)
		return err
	})
	if err != nil {
		return ParkCalendar{}, false, err
	}
	return pc, changed, nil
}

// ReplaceYearTx stores y as the park's year y.Year inside tx, on behalf of
// by, and returns the park's calendar as tx now sees it and whether anything
// changed. Storing the same content again (the lists compare as sets)
// changes nothing: no new version, no hook, no notification. A change bumps
// the year's version and the park's revision, runs hook (when not nil) with
// the park's new calendar, and queues a notification on NotifyChannel that
// PostgreSQL sends if tx commits. An unknown park is a fault.ErrNotFound
// error; an invalid year (workday.Year.Validate, MinYear to MaxYear, a
// printable source) a fault.ErrInvalid one naming the field.
func (s *Store) ReplaceYearTx(ctx context.Context, tx *sqlx.Tx, park string, y workday.Year, by string, hook ChangeHook) (ParkCalendar, bool, error) {
	if err := validateYear(y); err != nil {
		return ParkCalendar{}, false, fmt.Errorf("replace year %d of park %s: %w", y.Year, park, err)
	}
	if !ValidParkID(park) {
		return ParkCalendar{}, false, parkNotFound(park)
	}
	if err := lockPark(ctx, tx, park); err != nil {
		return ParkCalendar{}, false, err
	}
	changed, err := upsertYear(ctx, tx, park, normalized(y), by)
	if err != nil {
		return ParkCalendar{}, false, fmt.Errorf("replace year %d of park %s: %w", y.Year, park, err)
	}
	if changed {
		if err := announce(ctx, tx, park); err != nil {
			return ParkCalendar{}, false, err
		}
	}
	pc, err := load(ctx, tx, park)
	if err != nil {
		return ParkCalendar{}, false, err
	}
	if !changed || hook == nil {
		return pc, changed, nil
	}
	cal, err := pc.Calendar()
	if err != nil {
		return ParkCalendar{}, false, err
	}
	if err := hook(ctx, tx, park, cal); err != nil {
		return ParkCalendar{}, false, fmt.Errorf("calendar change hook of park %s: %w", park, err)
	}
	return pc, true, nil
}

// The WHERE clause leaves an identical year untouched, and then RETURNING
// yields no row.
const upsertYearSQL = `
INSERT INTO calendar_years AS c (park, year, source, off_dates, work_dates, version, updated_by)
VALUES ($1, $2, $3, $4::date[], $5::date[], 1, $6)
ON CONFLICT (park, year) DO UPDATE
SET source = EXCLUDED.source, off_dates = EXCLUDED.off_dates, work_dates = EXCLUDED.work_dates,
    version = c.version + 1, updated_at = now(), updated_by = EXCLUDED.updated_by
WHERE (c.source, c.off_dates, c.work_dates) IS DISTINCT FROM
      (EXCLUDED.source, EXCLUDED.off_dates, EXCLUDED.work_dates)
RETURNING version`

func upsertYear(ctx context.Context, tx *sqlx.Tx, park string, y workday.Year, by string) (bool, error) {
	var version int64
	err := tx.GetContext(ctx, &version, upsertYearSQL,
		park, y.Year, y.Source, dateStrings(y.Off), dateStrings(y.Work), by)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// SeedPark is a park and the years a seed gives it.
type SeedPark struct {
	// Park is inserted when no park has its ID.
	Park Park
	// Years are inserted when the park has no year of that number.
	Years []workday.Year
}

// InsertMissing inserts, in one transaction on behalf of by, the parks and
// years that are not stored yet. It never changes a stored park or year, so
// running it again, or after a manager replaced a year, changes nothing. It
// reports how many parks and years it inserted.
func (s *Store) InsertMissing(ctx context.Context, parks []SeedPark, by string) (nParks, nYears int, err error) {
	for _, sp := range parks {
		if err := sp.Park.Validate(); err != nil {
			return 0, 0, fmt.Errorf("insert park %s: %w", sp.Park.ID, err)
		}
		for _, y := range sp.Years {
			if err := validateYear(y); err != nil {
				return 0, 0, fmt.Errorf("insert park %s year %d: %w", sp.Park.ID, y.Year, err)
			}
		}
	}
	err = db.InTx(ctx, s.db, db.TxOptions{}, func(tx *sqlx.Tx) error {
		nParks, nYears = 0, 0
		for _, sp := range parks {
			p, y, err := insertMissing(ctx, tx, sp, by)
			if err != nil {
				return err
			}
			nParks += p
			nYears += y
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return nParks, nYears, nil
}

func insertMissing(ctx context.Context, tx *sqlx.Tx, sp SeedPark, by string) (nParks, nYears int, err error) {
	p := sp.Park
	res, err := tx.ExecContext(ctx, `
		INSERT INTO parks (id, name, timezone, office_hours) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, p.ID, p.Name, p.Timezone, hourStrings(p.OfficeHours))
	if err != nil {
		return 0, 0, fmt.Errorf("insert park %s: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		nParks = 1
	}
	if err := lockPark(ctx, tx, p.ID); err != nil {
		return 0, 0, err
	}
	for _, y := range sp.Years {
		y = normalized(y)
		res, err := tx.ExecContext(ctx, `
			INSERT INTO calendar_years (park, year, source, off_dates, work_dates, version, updated_by)
			VALUES ($1, $2, $3, $4::date[], $5::date[], 1, $6)
			ON CONFLICT (park, year) DO NOTHING`,
			p.ID, y.Year, y.Source, dateStrings(y.Off), dateStrings(y.Work), by)
		if err != nil {
			return 0, 0, fmt.Errorf("insert park %s year %d: %w", p.ID, y.Year, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			nYears++
		}
	}
	if nYears > 0 {
		if err := announce(ctx, tx, p.ID); err != nil {
			return 0, 0, err
		}
	}
	return nParks, nYears, nil
}
