package liaison

import (
	"embed"
	"io/fs"

	"github.com/parkdesk/parkdesk/pkg/db"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the liaison tables (managers, officers, firms and their
// assignment, requests and their dispatches, chases, visits, promises) in the
// service's schema; bootstrap.New applies it after the outbox and inbox sets.
var Migrations = db.MigrationSet{Name: "liaison", FS: mustSub(migrationFiles, "migrations")}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
