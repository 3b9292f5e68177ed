package liaison

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"google.golang.org/protobuf/proto"

	"github.com/parkdesk/parkdesk/pkg/clock"
	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/outbox"
)

// RepositoryConfig configures a Repository.
type RepositoryConfig struct {
	// DB is the liaison schema's pool. Required.
	DB *sqlx.DB
	// Clock tells the time of changes. Default clock.System().
	Clock clock.Clock
	// Logger receives warnings. Default slog.Default().
	Logger *slog.Logger
	// ResponseHours is the working hours an officer has to sign for a
	// request (随叫随到), told to the sla service with each dispatch. Default 4.
	ResponseHours int
	// VisitCadenceDays is how often, in working days, a key firm is to be
	// visited, told to the sla service with each visit. Default 20.
	VisitCadenceDays int
}

// Validate fills defaults and checks the config.
func (c *RepositoryConfig) Validate() error {
	if c.DB == nil {
		return errors.New("liaison repository config: DB is required")
	}
	if c.Clock == nil {
		c.Clock = clock.System()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ResponseHours <= 0 {
		c.ResponseHours = 4
	}
	if c.VisitCadenceDays <= 0 {
		c.VisitCadenceDays = 20
	}
	return nil
}

// Repository is the liaison schema: every change and the events it causes
// commit in one transaction (the outbox). It implements Store, and the
// consumers of intake's and sla's events apply them through it.
type Repository struct {
	cfg RepositoryConfig
}

// NewRepository returns a Repository.
func NewRepository(cfg RepositoryConfig) (*Repository, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Repository{cfg: cfg}, nil
}

// origin is what outgoing events inherit from the event that caused them.
type origin struct {
	traceparent string
	causation   string
}

// txn is one transaction of the repository: the rows it changes and the
// events it will add to the outbox at the end.
type txn struct {
	r      *Repository
	tx     *sqlx.Tx
	now    time.Time
	origin origin
	events []event.Event
	// pools are the parks' candidates, read once under the park's lock.
	pools map[string]*pool
}

// inTx runs fn in a transaction and writes the events fn emitted to the
// outbox before the commit.
func (r *Repository) inTx(ctx context.Context, fn func(t *txn) error) error {
	return db.InTx(ctx, r.cfg.DB, db.TxOptions{}, func(tx *sqlx.Tx) error {
		t := &txn{r: r, tx: tx, now: r.cfg.Clock.Now().UTC()}
		if err := fn(t); err != nil {
			return err
		}
		return t.flush(ctx)
	})
}

// within runs fn in tx, the transaction of an event being consumed.
func (r *Repository) within(ctx context.Context, tx *sqlx.Tx, o origin, fn func(t *txn) error) error {
	t := &txn{r: r, tx: tx, now: r.cfg.Clock.Now().UTC(), origin: o}
	if err := fn(t); err != nil {
		return err
	}
	return t.flush(ctx)
}

func (t *txn) flush(ctx context.Context) error {
	if len(t.events) == 0 {
		return nil
	}
	return outbox.Add(ctx, t.tx, t.events...)
}

// aggregates maps an aggregate type to the table and key holding its version.
var aggregates = map[string]struct{ table, key string }{
	aggAssignment: {"firms", "enterprise_id"},
	aggRequest:    {"requests", "id"},
	aggOfficer:    {"officers", "id"},
	aggPromise:    {"promises", "id"},
}

// Aggregate types of liaison's events.
const (
	aggAssignment = "assignment" // a firm's officers, by enterprise id
	aggRequest    = "request"
	aggOfficer    = "officer"
	aggPromise    = "promise"
	aggVisit      = "visit"
)

// emit adds an event of the aggregate aggType/id, bumping its stored version
// by one, so that every aggregate's events are numbered without gaps.
func (t *txn) emit(ctx context.Context, typ, park, aggType, id string, payload proto.Message) error {
	a, ok := aggregates[aggType]
	if !ok {
		return fmt.Errorf("emit %s: aggregate %q keeps no version", typ, aggType)
	}
	var v int64
	if err := t.tx.GetContext(ctx, &v, `UPDATE `+a.table+` SET version = version + 1 WHERE `+a.key+` = $1 RETURNING version`, id); err != nil {
		return fmt.Errorf("emit %s: version of %s %s: %w", typ, aggType, id, err)
	}
	return t.emitVersion(typ, park, aggType, id, v, payload)
}

// emitVersion adds an event with a version the caller numbers (visits, whose
// events all come in the transaction that creates them).
func (t *txn) emitVersion(typ, park, aggType, id string, version int64, payload proto.Message) error {
	ev, err := event.New(typ, park, event.Aggregate{Type: aggType, ID: id, Version: version}, t.now, payload)
	if err != nil {
		return fmt.Errorf("build %s: %w", typ, err)
	}
	ev.Traceparent, ev.CausationID = t.origin.traceparent, t.origin.causation
	t.events = append(t.events, ev)
	return nil
}

// lockPark serializes the changes of assignment in a park, so that the loads
// each choice reads are exact and no officer goes over their cap, however
// many registrations arrive at once.
func (t *txn) lockPark(ctx context.Context, park string) error {
	if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('liaison:park:' || $1, 0))`, park); err != nil {
		return fmt.Errorf("lock park %s: %w", park, err)
	}
	return nil
}

// lockFirm serializes a firm's registration with the requests that arrive
// for it.
func (t *txn) lockFirm(ctx context.Context, enterprise string) error {
	if _, err := t.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('liaison:firm:' || $1, 0))`, enterprise); err != nil {
		return fmt.Errorf("lock firm %s: %w", enterprise, err)
	}
	return nil
}

// pool returns the park's active officers with their loads; the caller holds
// the park's lock.
func (t *txn) pool(ctx context.Context, park string) (*pool, error) {
	if p, ok := t.pools[park]; ok {
		return p, nil
	}
	var rows []struct {
		ID         string         `db:"id"`
		Industries pq.StringArray `db:"industries"`
		Cap        int            `db:"cap"`
		Firms      int            `db:"firms"`
		Backups    int            `db:"backups"`
		Open       int            `db:"open_requests"`
	}
	if err := t.tx.SelectContext(ctx, &rows, `SELECT o.id, o.industries, o.cap,
		(SELECT count(*) FROM firms f WHERE f.officer_id = o.id) AS firms,
		(SELECT count(*) FROM firms f WHERE f.backup_officer_id = o.id) AS backups,
		(SELECT count(*) FROM requests r WHERE r.holder_role = 'officer' AND r.holder_id = o.id
			AND r.state IN ('pending', 'acknowledged')) AS open_requests
		FROM officers o WHERE o.park = $1 AND o.status = 'active' ORDER BY o.id`, park); err != nil {
		return nil, fmt.Errorf("candidates of %s: %w", park, err)
	}
	p := &pool{}
	for _, r := range rows {
		p.cands = append(p.cands, Candidate{ID: r.ID, Industries: r.Industries, Cap: r.Cap, Firms: r.Firms,
			Backups: r.Backups, OpenRequests: r.Open})
	}
	if t.pools == nil {
		t.pools = map[string]*pool{}
	}
	t.pools[park] = p
	return p, nil
}

// manager returns who a request escalates to: the officer's manager, else
// the park's first manager; "" when the park has none.
func (t *txn) manager(ctx context.Context, park, officerID string) (string, error) {
	var id string
	err := t.tx.GetContext(ctx, &id, `SELECT m.id FROM managers m
		LEFT JOIN officers o ON o.id = $2 AND o.manager_id = m.id
		WHERE m.park = $1 ORDER BY (o.id IS NULL), m.id LIMIT 1`, park, officerID)
	if errors.Is(err, sql.ErrNoRows) {
		t.r.cfg.Logger.Warn("park has no manager to escalate to", "park", park)
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("manager of %s: %w", park, err)
	}
	return id, nil
}

// ManagerExists reports whether id is a manager of park.
func (r *Repository) ManagerExists(ctx context.Context, park, id string) (bool, error) {
	var ok bool
	err := r.cfg.DB.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM managers WHERE park = $1 AND id = $2)`, park, id)
	return ok, err
}

func nullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// notFound turns sql.ErrNoRows into a not-found fault of what.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fault.NotFound(what)
	}
	return err
}
