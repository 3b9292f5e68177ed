package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
)

// Template describes a migrated database that tests clone.
type Template struct {
	// Name identifies the template, e.g. "sla". Lower case letters, digits, '_'.
	Name string
	// Schema is the schema the migrations run in and the clone's search_path.
	Schema string
	// Sets are the migrations, in order.
	Sets []db.MigrationSet
}

// Database is a fresh database cloned from a template for one test.
type Database struct {
	// DB is open with the template's schema as search_path.
	DB *sqlx.DB
	// URL reaches the database (no search_path set), for processes under test.
	URL string
}

// DB returns a fresh, migrated database for this test, dropped when it ends.
func DB(t testing.TB, tpl Template) *sqlx.DB {
	t.Helper()
	return NewDatabase(t, tpl).DB
}

// NewDatabase is DB that also returns the database's URL.
func NewDatabase(t testing.TB, tpl Template) Database {
	t.Helper()
	admin := ServerURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var tplName string
	err := whileServerFull(ctx, func() (err error) { tplName, err = ensureTemplate(ctx, admin, tpl); return err })
	if err != nil {
		t.Fatalf("testenv: template %s: %v", tpl.Name, err)
	}
	name := "t_" + tpl.Name + "_" + randomHex(6)
	adb, err := sqlx.Open("postgres", admin)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	defer adb.Close()
	err = whileServerFull(ctx, func() error {
		_, err := adb.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tplName)
		return err
	})
	if err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	u := withDatabase(admin, name)
	var conn *sqlx.DB
	err = whileServerFull(ctx, func() (err error) {
		conn, err = db.Open(ctx, db.Config{URL: u, Schema: tpl.Schema, MaxOpenConns: 10})
		return err
	})
	if err != nil {
		t.Fatalf("testenv: open %s: %v", name, err)
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cdb, err := sqlx.Open("postgres", admin)
		if err != nil {
			return
		}
		defer cdb.Close()
		_, _ = cdb.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return Database{DB: conn, URL: u}
}

// ensureTemplate creates and migrates the template database once per
// migration content, under an advisory lock shared by concurrent test binaries.
func ensureTemplate(ctx context.Context, admin string, tpl Template) (string, error) {
	sum, err := hashSets(tpl)
	if err != nil {
		return "", err
	}
	name := "tpl_" + tpl.Name + "_" + sum[:12]
	adb, err := sqlx.Open("postgres", admin)
	if err != nil {
		return "", err
	}
	defer adb.Close()
	conn, err := adb.Connx(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext($1))`, name); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, name) //nolint:errcheck
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	tdb, err := db.Open(ctx, db.Config{URL: withDatabase(admin, building), Schema: tpl.Schema, MaxOpenConns: 2})
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, tdb, tpl.Schema, tpl.Sets...)
	tdb.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name); err != nil {
		return "", fmt.Errorf("rename: %w", err)
	}
	return name, nil
}

func hashSets(tpl Template) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", tpl.Name, tpl.Schema)
	for _, set := range tpl.Sets {
		fmt.Fprintf(h, "set %s\x00", set.Name)
		var files []string
		err := fs.WalkDir(set.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", set.Name, err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := fs.ReadFile(set.FS, f)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func withDatabase(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ping(ctx context.Context, u string) error {
	dsn, err := db.DSN(u, "")
	if err != nil {
		return err
	}
	conn, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return conn.PingContext(ctx)
}

// whileServerFull runs fn again while the server refuses connections because
// all its slots are taken (53300), as happens when several test binaries and
// their services run at once; other errors return at once.
func whileServerFull(ctx context.Context, fn func() error) error {
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		err := fn()
		if err == nil || !strings.Contains(err.Error(), "53300") && !strings.Contains(err.Error(), "too many clients") {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(delay):
		}
	}
}
