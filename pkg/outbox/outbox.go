// Package outbox is the transactional outbox: a service writes its events in
// the same PostgreSQL transaction as the state change that causes them, and a
// Relay publishes committed rows to JetStream, waits for the PubAck and marks
// them sent. Nothing is published before the commit; nothing committed is lost.
package outbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/telemetry"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations creates the outbox table in a service's schema; pass it to db.Migrate.
var Migrations = db.MigrationSet{Name: "outbox", FS: mustSub(migrations, "migrations")}

// Channel is the LISTEN/NOTIFY channel a relay wakes on for schema.
func Channel(schema string) string { return "outbox_" + schema }

// Add writes events to the outbox inside tx and notifies relays at commit.
// It must be called in the same transaction as the state change. An event
// without a Traceparent inherits the trace of ctx (the request or the event
// being handled).
func Add(ctx context.Context, tx *sqlx.Tx, events ...event.Event) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	ids, types, subjects, parks, traces := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	data := make([][]byte, n)
	trace := ""
	if tp, ok := telemetry.TraceFrom(ctx); ok {
		trace = tp.Child().String()
	}
	for i, e := range events {
		if e.Traceparent == "" {
			e.Traceparent = trace
		}
		b, err := event.Marshal(e)
		if err != nil {
			return fmt.Errorf("outbox add: %w", err)
		}
		ids[i], types[i], subjects[i], parks[i], traces[i], data[i] = e.ID, e.Type, e.Subject, e.Park, e.Traceparent, b
	}
	const q = `INSERT INTO outbox (event_id, event_type, subject, park, traceparent, data)
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])`
	if _, err := tx.ExecContext(ctx, q, pq.Array(ids), pq.Array(types), pq.Array(subjects),
		pq.Array(parks), pq.Array(traces), pq.ByteaArray(data)); err != nil {
		return fmt.Errorf("outbox add: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify('outbox_' || current_schema(), '')`); err != nil {
		return fmt.Errorf("outbox notify: %w", err)
	}
	return nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
