// Package testenv gives every package's tests real infrastructure: a fresh
// PostgreSQL database per test, cloned from a migrated template so it is
// fast, and a fresh embedded JetStream server per test.
//
// PostgreSQL is found, in order: a private cluster when PARKDESK_TEST_PG=private;
// PARKDESK_TEST_DATABASE_URL; the server at 127.0.0.1:5432; else a private
// cluster started from the installed PostgreSQL binaries in a temp dir.
// Missing PostgreSQL fails the test with a message that says how to fix it.
//
// A package using testenv calls Main from its TestMain, so that a private
// cluster is stopped when the package's tests end.
package testenv

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	mainCalled atomic.Bool

	pgOnce sync.Once
	pgURL  string // admin URL (database "postgres") of the server in use
	pgErr  error
	pgStop func()
)

// Main runs the package's tests and then stops whatever testenv started.
// Call it from TestMain: func TestMain(m *testing.M) { testenv.Main(m) }.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if pgStop != nil {
		pgStop()
	}
	os.Exit(code)
}

// ServerURL returns the admin URL of the PostgreSQL server the tests use,
// starting a private cluster if needed. It fails the test when none can be had.
func ServerURL(t testing.TB) string {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testenv: call testenv.Main(m) from this package's TestMain so private servers are stopped")
	}
	pgOnce.Do(func() { pgURL, pgStop, pgErr = findPostgres() })
	if pgErr != nil {
		t.Fatalf("testenv: %v", pgErr)
	}
	return pgURL
}

func findPostgres() (string, func(), error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if os.Getenv("PARKDESK_TEST_PG") == "private" {
		return startPrivate(ctx)
	}
	if u := os.Getenv("PARKDESK_TEST_DATABASE_URL"); u != "" {
		if err := ping(ctx, u); err != nil {
			return "", nil, fmt.Errorf("PARKDESK_TEST_DATABASE_URL=%s is not reachable: %w", u, err)
		}
		return u, nil, nil
	}
	const local = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	localErr := ping(ctx, local)
	if localErr == nil {
		return local, nil, nil
	}
	u, stop, err := startPrivate(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("no PostgreSQL for tests: PARKDESK_TEST_DATABASE_URL is unset, "+
			"127.0.0.1:5432 answered %v, and a private cluster could not start: %w. "+
			"Fix: install PostgreSQL (apt-get install -y postgresql, or `make deps`) "+
			"or set PARKDESK_TEST_DATABASE_URL", localErr, err)
	}
	return u, stop, nil
}
