package calendar

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/workday"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the parks and calendar_years tables in the sla schema;
// pass it to db.Migrate.
var Migrations = db.MigrationSet{Name: "calendar", FS: mustSub(migrationFiles, "migrations")}

// NotifyChannel is the PostgreSQL channel on which every committed change of
// a park's calendar is announced, with the payload {"park": id, "revision": n}.
const NotifyChannel = "sla_calendar"

// Store persists parks and their calendar years. It owns its transactions,
// and also works inside a caller's (the *Tx methods). It is safe for
// concurrent use.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db, whose search_path is the sla schema.
func NewStore(db *sqlx.DB) (*Store, error) {
	if db == nil {
		return nil, errors.New("calendar: new store: nil db")
	}
	return &Store{db: db}, nil
}

// Load returns the park's calendar as one consistent snapshot. An unknown
// park is a fault.ErrNotFound error.
func (s *Store) Load(ctx context.Context, park string) (ParkCalendar, error) {
	return load(ctx, s.db, park)
}

// LoadTx is Load inside the caller's transaction, seeing its writes.
func (s *Store) LoadTx(ctx context.Context, tx *sqlx.Tx, park string) (ParkCalendar, error) {
	return load(ctx, tx, park)
}

type loadRow struct {
	ID          string         `db:"id"`
	Name        string         `db:"name"`
	Timezone    string         `db:"timezone"`
	OfficeHours pq.StringArray `db:"office_hours"`
	Revision    int64          `db:"revision"`
	Year        sql.NullInt64  `db:"year"`
	Source      sql.NullString `db:"source"`
	Off         pq.StringArray `db:"off_dates"`
	Work        pq.StringArray `db:"work_dates"`
	Version     sql.NullInt64  `db:"version"`
	UpdatedAt   sql.NullTime   `db:"updated_at"`
	UpdatedBy   sql.NullString `db:"updated_by"`
}

// A single statement reads park and years from one snapshot even under
// READ COMMITTED.
const loadSQL = `
SELECT p.id, p.name, p.timezone, p.office_hours, p.revision,
       y.year, y.source, y.off_dates, y.work_dates, y.version, y.updated_at, y.updated_by
FROM parks p
LEFT JOIN calendar_years y ON y.park = p.id
WHERE p.id = $1
ORDER BY y.year`

func load(ctx context.Context, q sqlx.QueryerContext, park string) (ParkCalendar, error) {
	if !ValidParkID(park) {
		return ParkCalendar{}, parkNotFound(park)
	}
	var rows []loadRow
	if err := sqlx.SelectContext(ctx, q, &rows, loadSQL, park); err != nil {
		return ParkCalendar{}, fmt.Errorf("load calendar of park %s: %w", park, err)
	}
	if len(rows) == 0 {
		return ParkCalendar{}, parkNotFound(park)
	}
	pc, err := decodeRows(rows)
	if err != nil {
		return ParkCalendar{}, fmt.Errorf("load calendar of park %s: %w", park, err)
	}
	return pc, nil
}

func decodeRows(rows []loadRow) (ParkCalendar, error) {
	r0 := rows[0]
	pc := ParkCalendar{
		Park:     Park{ID: r0.ID, Name: r0.Name, Timezone: r0.Timezone},
		Revision: r0.Revision,
	}
	for i, s := range r0.OfficeHours {
		var span workday.Span
		if err := span.UnmarshalText([]byte(s)); err != nil {
			return ParkCalendar{}, fmt.Errorf("office_hours[%d]: %w", i, err)
		}
		pc.Park.OfficeHours = append(pc.Park.OfficeHours, span)
	}
	loc, err := location(r0.Timezone)
	if err != nil {
		return ParkCalendar{}, err
	}
	for _, r := range rows {
		if !r.Year.Valid {
			continue
		}
		y := YearRecord{
			Year:      workday.Year{Year: int(r.Year.Int64), Source: r.Source.String},
			Version:   r.Version.Int64,
			UpdatedAt: r.UpdatedAt.Time.In(loc),
			UpdatedBy: r.UpdatedBy.String,
		}
		if y.Off, err = parseDates(r.Off); err != nil {
			return ParkCalendar{}, fmt.Errorf("year %d off: %w", y.Year.Year, err)
		}
		if y.Work, err = parseDates(r.Work); err != nil {
			return ParkCalendar{}, fmt.Errorf("year %d work: %w", y.Year.Year, err)
		}
		pc.Years = append(pc.Years, y)
	}
	return pc, nil
}

func parseDates(ss []string) ([]workday.Date, error) {
	out := make([]workday.Date, len(ss))
	for i, s := range ss {
		d, err := workday.ParseDate(s)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func dateStrings(ds []workday.Date) pq.StringArray {
	out := make(pq.StringArray, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func hourStrings(h workday.OfficeHours) pq.StringArray {
	out := make(pq.StringArray, len(h))
	for i, s := range h {
		out[i] = s.String()
	}
	return out
}

// lockPark locks the park's row for the rest of tx, serialising the writers
// of one park so that each sees, and hands its hook, the calendar it commits.
func lockPark(ctx context.Context, tx *sqlx.Tx, park string) error {
	var rev int64
	err := tx.GetContext(ctx, &rev, `SELECT revision FROM parks WHERE id = $1 FOR UPDATE`, park)
	if errors.Is(err, sql.ErrNoRows) {
		return parkNotFound(park)
	}
	if err != nil {
		return fmt.Errorf("lock park %s: %w", park, err)
	}
	return nil
}

// announce bumps the park's revision and queues the notification that
// PostgreSQL delivers when tx commits.
func announce(ctx context.Context, tx *sqlx.Tx, park string) error {
	var rev int64
	err := tx.GetContext(ctx, &rev, `UPDATE parks SET revision = revision + 1 WHERE id = $1 RETURNING revision`, park)
	if err != nil {
		return fmt.Errorf("bump revision of park %s: %w", park, err)
	}
	payload := fmt.Sprintf(`{"park":%q,"revision":%d}`, park, rev)
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, payload); err != nil {
		return fmt.Errorf("notify change of park %s: %w", park, err)
	}
	return nil
}

func parkNotFound(park string) error {
	return fault.NotFound(fmt.Sprintf("park %q", park))
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
