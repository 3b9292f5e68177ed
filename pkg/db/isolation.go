package db

import "database/sql"

// Isolation is the isolation level of a transaction run by InTx.
type Isolation int

// Isolation levels for TxOptions.
const (
	ReadCommitted  Isolation = iota
	RepeatableRead           // snapshot per transaction
	Serializable             // full serializability; expect retries
)

func (l Isolation) options() *sql.TxOptions {
	switch l {
	case RepeatableRead:
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead}
	case Serializable:
		return &sql.TxOptions{Isolation: sql.LevelSerializable}
	default:
		return nil
	}
}
