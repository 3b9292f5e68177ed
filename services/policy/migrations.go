package policy

import (
	"embed"
	"io/fs"

	"github.com/parkdesk/parkdesk/pkg/db"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the policy tables (policies with their budgets, the
// firm read model, matches, offers, applications and their history, the
// disbursement ledger) in the service's schema; bootstrap.New applies it
// after the outbox and inbox sets.
var Migrations = db.MigrationSet{Name: "policy", FS: mustSub(migrationFiles, "migrations")}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}
