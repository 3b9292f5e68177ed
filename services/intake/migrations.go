package intake

import (
	"embed"
	"io/fs"

	"github.com/parkdesk/parkdesk/pkg/db"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates intake's tables (parks, catalog, enterprises, uploads,
// tickets with their items, materials, timeline and clocks) in the service's
// schema; bootstrap.New applies it after the outbox and inbox sets. Ticket
// number sequences are created at run time, one per park and year.
var Migrations = db.MigrationSet{Name: "intake", FS: mustSub(migrationFiles, "migrations")}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
