// Package postgres implements [parley.Store] on PostgreSQL, the store of a
// deployment of many nodes: every node opens the same database, and the
// database alone keeps what must hold across them.
//
// # Counters under concurrency
//
// A conversation's Seq numbers and a stream's positions come from counter
// rows, conversations.last_seq and streams.pos, raised by an upsert
// (INSERT … ON CONFLICT DO UPDATE SET n = n + 1 RETURNING n) in the same
// transaction as the write they number. The upsert locks the row until that
// transaction ends, so writers to one conversation or stream take their
// turns whichever node or connection they come from, and a number is never
// given twice; a transaction that fails rolls its number back with it, so
// none is skipped either. Writes to different conversations and streams
// lock different rows and never wait on each other. No PostgreSQL sequence
// is used for them: a sequence skips the numbers of failed transactions.
//
// # Lock order
//
// Every write locks the rows it writes first and the stream counters last,
// in the order of the streams' names, whatever the order of its changes; a
// delete of a channel or workspace locks the parent's row before its
// children's. So two writes that meet on the same rows take them in the
// same order, and neither holds a row the other waits for while it waits
// for one the other holds. Two rare writes can still meet in other orders,
// such as removing a member from a workspace at the instant it is deleted:
// PostgreSQL then detects the deadlock, after deadlock_timeout (a second by
// default), and fails one of them with SQLSTATE 40P01; it rolled back, and
// may be tried again.
//
// # Many nodes
//
// A Store keeps nothing in memory that another node could change: no
// counter, no cache. Every rule that must hold across nodes is a row lock,
// a unique index or a foreign key in the database, so any number of Stores,
// in any number of processes, behave as one. The price is that appends to
// one conversation take turns: each holds the conversation's counter for
// one transaction, two round trips and a commit.
//
// # Idempotency and conflicts
//
// The unique index on a message's conversation, sender and client_msg_id
// makes a retried send idempotent across nodes: an append whose ID is there
// already, or is being committed by another transaction, stores nothing,
// and returns the message that was stored. Unique and foreign-key
// violations (SQLSTATE 23505 and 23503) become ECONFLICT and ENOTFOUND at
// this package's boundary.
//
// # Migrations
//
// [Open] brings the schema up to date, from the numbered SQL files of the
// migrations folder, each applied in a transaction of its own and recorded
// in schema_migrations. It does so holding a session-level advisory lock,
// so that of several nodes that start at once on a new database, one
// migrates and the others wait for it, then find every migration applied.
//
// Times are stored as Unix milliseconds, as the SQLite store keeps them.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parleychat/parley"
)

var _ parley.Store = (*Store)(nil)

// Store is a [parley.Store] on a PostgreSQL database. Create it with [Open];
// its methods are safe for concurrent use, and any number of Stores, in any
// number of processes, may share one database.
type Store struct {
	// Now returns the current time. It decides whether a refresh token or
	// a reset code has expired, and tests replace it to move the clock.
	// Open sets it to time.Now; set it before the store is used.
	Now func() time.Time

	pool *pgxpool.Pool
}

// Open connects to the database that dsn names (a postgres:// URL or a
// key=value string, as libpq takes them), brings its schema up to date, and
// returns the store. Running Open again, from this process or another,
// changes nothing; several Opens at once on a new database migrate it once.
//
// The store holds a pool of connections, by default as many as the larger
// of 4 and the number of CPUs; the DSN's pool_max_conns parameter sets
// another size. Statements are prepared once on each connection, which a
// pooler between the store and the server must allow (PgBouncer in session
// mode does; in transaction mode, add default_query_exec_mode=exec).
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{Now: time.Now, pool: pool}, nil
}

// Ping reports whether the database can be reached.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the store's connections, once the calls using them have
// returned them. Calls made after Close fail; calling Close again does
// nothing.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// SQLSTATE codes of the errors the store translates.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// pgError returns the PostgreSQL error that err is or wraps, or nil.
func pgError(err error) *pgconn.PgError {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// isUnique reports whether err is a violation of a unique index or primary
// key.
func isUnique(err error) bool {
	e := pgError(err)
	return e != nil && e.Code == uniqueViolation
}

// isUniqueOn reports whether err is a violation of the unique constraint or
// index with the given name.
func isUniqueOn(err error, constraint string) bool {
	e := pgError(err)
	return e != nil && e.Code == uniqueViolation && e.ConstraintName == constraint
}

// isForeignKey reports whether err is a violation of a foreign key: a row
// points at a row that does not exist.
func isForeignKey(err error) bool {
	e := pgError(err)
	return e != nil && e.Code == foreignKeyViolation
}

// isNoRows reports whether err says that a query for one row found none.
func isNoRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows)
}

// millis returns t as Unix milliseconds, the way times are stored.
func millis(t time.Time) int64 {
	return t.UnixMilli()
}

// timeOf returns the stored Unix milliseconds ms as a [parley.Time].
func timeOf(ms int64) parley.Time {
	return parley.NewTime(time.UnixMilli(ms))
}

// optionalMillis returns *t as Unix milliseconds, or nil, which is stored as
// NULL, if t is nil.
func optionalMillis(t *parley.Time) *int64 {
	if t == nil {
		return nil
	}
	return new(millis(t.Time))
}

// optionalTime returns the stored Unix milliseconds *ms as a [parley.Time],
// or nil if ms is nil (NULL).
func optionalTime(ms *int64) *parley.Time {
	if ms == nil {
		return nil
	}
	return new(timeOf(*ms))
}

// emptyIfNil returns list, or an empty list if it is nil: pgx sends a nil
// slice as NULL, and a column such as messages.mentions wants an empty
// array instead.
func emptyIfNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// nilIfEmpty returns list, or nil if it is empty, as the other stores
// return a list of no IDs.
func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}
