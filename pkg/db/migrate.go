package db

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// MigrationSet is one ordered set of goose SQL migrations with its own
// version table, so shared packages (outbox, inbox) and the service itself
// migrate independently inside the same schema.
type MigrationSet struct {
	// Name names the set; its version table is goose_<Name>.
	Name string
	// FS holds the *.sql migrations at its root.
	FS fs.FS
}

// Migrate applies every set in order, under a PostgreSQL advisory lock per
// schema so that replicas starting together migrate once. db must be opened
// with Open (its search_path is the service's schema).
func Migrate(ctx context.Context, db *sqlx.DB, schema string, sets ...MigrationSet) error {
	for _, set := range sets {
		if err := migrateSet(ctx, db, schema, set); err != nil {
			return err
		}
	}
	return nil
}

func migrateSet(ctx context.Context, db *sqlx.DB, schema string, set MigrationSet) error {
	if !schemaName.MatchString(set.Name) {
		return fmt.Errorf("migrate: set name %q must match %s", set.Name, schemaName)
	}
	store, err := database.NewStore(database.DialectPostgres, schema+".goose_"+set.Name)
	if err != nil {
		return fmt.Errorf("migrate %s: store: %w", set.Name, err)
	}
	h := fnv.New64a()
	h.Write([]byte(schema + "/" + set.Name))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64() >> 1)))
	if err != nil {
		return fmt.Errorf("migrate %s: locker: %w", set.Name, err)
	}
	p, err := goose.NewProvider("", db.DB, set.FS,
		goose.WithStore(store),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", set.Name, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s up: %w", set.Name, err)
	}
	return nil
}
