package sla

import (
	"embed"
	"io/fs"

	"github.com/parkdesk/parkdesk/pkg/db"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the sla tables (clocks, read models, extensions, cards,
// notifications) in the service's schema; bootstrap.New applies it after the
// outbox and inbox sets.
var Migrations = db.MigrationSet{Name: "sla", FS: mustSub(migrationFiles, "migrations")}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
