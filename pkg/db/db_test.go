package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/jmoiron/sqlx"

	"github.com/parkdesk/parkdesk/pkg/db"
	"github.com/parkdesk/parkdesk/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var accounts = db.MigrationSet{Name: "accounts", FS: fstest.MapFS{
	"00001_accounts.sql": {Data: []byte("-- +goose Up\nCREATE TABLE accounts (id int PRIMARY KEY, fen bigint NOT NULL);\nINSERT INTO accounts VALUES (1, 0), (2, 0);\n")},
}}

var tpl = testenv.Template{Name: "dbpkg", Schema: "dbtest", Sets: []db.MigrationSet{accounts}}

func TestDSN(t *testing.T) {
	cases := []struct {
		in, schema string
		want       []string
		err        bool
	}{
		{"postgres://u@h:5432/d", "sla", []string{"sslmode=disable", "connect_timeout=5", "search_path=sla"}, false},
		{"postgres://u@h/d?sslmode=require&connect_timeout=2", "", []string{"sslmode=require", "connect_timeout=2"}, false},
		{"mysql://u@h/d", "", nil, true},
		{"::", "", nil, true},
	}
	for _, c := range cases {
		got, err := db.DSN(c.in, c.schema)
		if (err != nil) != c.err {
			t.Errorf("DSN(%q) err = %v", c.in, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("DSN(%q) = %q, missing %q", c.in, got, w)
			}
		}
		if c.schema == "" && strings.Contains(got, "search_path") {
			t.Errorf("DSN(%q) = %q sets a search_path", c.in, got)
		}
	}
}

func TestConfigRejectsBadSchema(t *testing.T) {
	for _, s := range []string{"", "Sla", "sla;drop", "1sla"} {
		cfg := db.Config{URL: "postgres://x/y", Schema: s}
		if err := cfg.Validate(); err == nil {
			t.Errorf("schema %q accepted", s)
		}
	}
}

func TestOpenUsesSchemaAndMigrateIsIdempotentUnderConcurrency(t *testing.T) {
	d := testenv.NewDatabase(t, testenv.Template{Name: "dbempty", Schema: "fresh"})
	ctx := context.Background()
	conn, err := db.Open(ctx, db.Config{URL: d.URL, Schema: "replica"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 { // four replicas starting together
		wg.Go(func() { errs <- db.Migrate(ctx, conn, "replica", accounts) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
	var n int
	if err := conn.Get(&n, `SELECT count(*) FROM replica.accounts`); err != nil || n != 2 {
		t.Fatalf("accounts in schema replica: %d, %v (migrated more than once or elsewhere)", n, err)
	}
	var applied int
	if err := conn.Get(&applied, `SELECT count(*) FROM replica.goose_accounts WHERE version_id > 0`); err != nil || applied != 1 {
		t.Errorf("version rows = %d, %v", applied, err)
	}
}

func TestInTxRetriesSerializationFailures(t *testing.T) {
	conn := testenv.DB(t, tpl)
	ctx := context.Background()
	var attempts atomic.Int32
	transfer := func() error {
		return db.InTx(ctx, conn, db.TxOptions{Isolation: db.Serializable, MaxAttempts: 20}, func(tx *sqlx.Tx) error {
			attempts.Add(1)
			var a int64
			if err := tx.Get(&a, `SELECT fen FROM accounts WHERE id = 1`); err != nil {
				return err
			}
			_, err := tx.Exec(`UPDATE accounts SET fen = $1 WHERE id = 1`, a+1)
			return err
		})
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- transfer() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("transfer: %v", err)
		}
	}
	var fen int64
	_ = conn.Get(&fen, `SELECT fen FROM accounts WHERE id = 1`)
	if fen != n {
		t.Errorf("balance %d, want %d: a lost update slipped through", fen, n)
	}
	t.Logf("%d attempts for %d transactions", attempts.Load(), n)
}

func TestInTxRollsBackOnError(t *testing.T) {
	conn := testenv.DB(t, tpl)
	boom := errors.New("boom")
	err := db.InTx(context.Background(), conn, db.TxOptions{}, func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(`UPDATE accounts SET fen = 99 WHERE id = 2`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	var fen int64
	_ = conn.Get(&fen, `SELECT fen FROM accounts WHERE id = 2`)
	if fen != 0 {
		t.Errorf("half-written: fen = %d", fen)
	}
}

func TestIsUniqueViolation(t *testing.T) {
	conn := testenv.DB(t, tpl)
	_, err := conn.Exec(`INSERT INTO accounts VALUES (1, 5)`)
	if !db.IsUniqueViolation(err, "") || !db.IsUniqueViolation(err, "accounts_pkey") || db.IsUniqueViolation(err, "other") {
		t.Errorf("IsUniqueViolation misread %v", err)
	}
	if db.Retryable(err) {
		t.Error("a unique violation is not retryable")
	}
}
