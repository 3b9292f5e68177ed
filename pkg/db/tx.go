package db

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PostgreSQL error codes the package reacts to.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// TxOptions tunes InTx.
type TxOptions struct {
	// Isolation is the transaction isolation level; zero is READ COMMITTED.
	Isolation Isolation
	// MaxAttempts bounds retries of serialization failures and deadlocks. Default 5.
	MaxAttempts int
}

// InTx runs fn in a transaction and commits it, returning the commit error.
// A serialization failure or deadlock anywhere in fn or at commit rolls back
// and runs fn again (with jittered backoff), so fn must have no effects
// outside the transaction. Any other error rolls back and is returned.
func InTx(ctx context.Context, db *sqlx.DB, opts TxOptions, fn func(tx *sqlx.Tx) error) error {
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			backoff := time.Duration(1<<i)*time.Millisecond + rand.N(5*time.Millisecond)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(backoff):
			}
		}
		err = runOnce(ctx, db, opts, fn)
		if err == nil || !Retryable(err) {
			return err
		}
	}
	return fmt.Errorf("transaction failed after %d attempts: %w", attempts, err)
}

func runOnce(ctx context.Context, db *sqlx.DB, opts TxOptions, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, opts.Isolation.options())
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Retryable reports whether err is a serialization failure or deadlock that
// a fresh attempt of the whole transaction may resolve.
func Retryable(err error) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return false
	}
	return pqErr.Code == codeSerializationFailure || pqErr.Code == codeDeadlockDetected
}

// IsUniqueViolation reports whether err is a unique constraint violation,
// optionally of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != codeUniqueViolation {
		return false
	}
	return constraint == "" || pqErr.Constraint == constraint
}

func isUniqueViolation(err error) bool { return IsUniqueViolation(err, "") }
