// Package sqlite implements [parley.Store] on an embedded SQLite database,
// the store of a single-node deployment.
//
// It uses modernc.org/sqlite, a translation of SQLite to Go, so the binary
// needs no C toolchain. A [Store] holds one connection that writes and a pool
// of connections that read, and it batches concurrent message appends into
// one transaction (see [Store.AppendMessage]).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	modernc "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/parleychat/parley"
)

// ErrClosed is returned by [Store.AppendMessage] after [Store.Close].
var ErrClosed = errors.New("sqlite: store is closed")

var _ parley.Store = (*Store)(nil)

// Store is a [parley.Store] on a SQLite file. Create it with [Open]; its
// methods are safe for concurrent use.
type Store struct {
	// Now returns the current time. It decides whether a refresh token or
	// a reset code has expired, and tests replace it to move the clock.
	// Open sets it to time.Now; set it before the store is used.
	Now func() time.Time

	// SQLite lets one connection write at a time, and a writer that had to
	// wait for another would only spin in the busy handler. So every write
	// goes through db, a pool of exactly one connection, and reads go
	// through rdb, which in WAL mode never waits for the writer.
	db  *sql.DB
	rdb *sql.DB

	// reads holds the statements of the reads that clients make most,
	// prepared on rdb.
	reads *readStatements

	// appends carries AppendMessage calls to the committer goroutine. It is
	// unbuffered: a call that has been handed over is always answered,
	// because the committer only stops taking calls when closing is closed.
	appends     chan *appendRequest
	appendStmts *appendStatements
	closing     chan struct{}
	done        chan struct{}

	// changeStmts append the changes of every write (see appendChanges),
	// prepared on db.
	changeStmts *changeStatements

	closeOnce sync.Once
	closeErr  error
}

// busyTimeout is how long a connection waits for a lock held by another
// connection before it fails with SQLITE_BUSY. Within one Store only the
// readers of an in-memory database ever wait; the wait matters when two
// processes (or two Store values) share a file.
const busyTimeout = 5 * time.Second

// memoryCount numbers the in-memory databases of this process, so that each
// Open(":memory:") gets a database of its own.
var memoryCount atomic.Int64

// Open opens the SQLite database at path, creating the file if needed, and
// brings its schema up to date. Running Open again on the same file changes
// nothing.
//
// The path ":memory:" opens a fresh database that lives in memory until
// Close; tests use it. Its connections share one database through SQLite's
// memdb VFS, which has no write-ahead log, so a writer briefly blocks the
// readers there; otherwise it behaves as a file does.
func Open(path string) (*Store, error) {
	writeDSN, readDSN, err := dataSourceNames(path)
	if err != nil {
		return nil, err
	}

	s := &Store{
		Now:     time.Now,
		appends: make(chan *appendRequest),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}

	// The writer's connection is never closed while the store is open: an
	// in-memory database would vanish with it, and reopening a file costs
	// more than keeping it.
	if s.db, err = sql.Open("sqlite", writeDSN); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.db.SetMaxOpenConns(1)
	s.db.SetMaxIdleConns(1)
	s.db.SetConnMaxLifetime(0)
	s.db.SetConnMaxIdleTime(0)

	if err := s.setUp(context.Background()); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if s.appendStmts, err = prepareAppend(context.Background(), s.db); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if s.changeStmts, err = prepareChanges(context.Background(), s.db); err != nil {
		s.appendStmts.Close()
		s.db.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}

	// Readers are opened after the migrations so that none of them sees a
	// half-made schema.
	if s.rdb, err = sql.Open("sqlite", readDSN); err != nil {
		s.changeStmts.Close()
		s.appendStmts.Close()
		s.db.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	s.rdb.SetMaxOpenConns(readers)
	s.rdb.SetMaxIdleConns(readers)
	s.reads = &readStatements{db: s.rdb, stmts: make(map[string]*sql.Stmt)}

	go s.commitLoop()
	return s, nil
}

// dataSourceNames returns the driver's names for the writer and the readers
// of the database at path, with the settings every connection needs.
//
//   - WAL (set once by setUp, since the file remembers it) lets readers
//     read while the writer writes, and turns each commit into an append to
//     one file.
//   - synchronous=FULL makes every commit wait for fsync of the log. In WAL
//     mode the default, NORMAL, survives a crash of the process but may lose
//     the last commits on power loss; a message is acknowledged only after
//     it commits, so it must survive both. Group commit pays for the fsync
//     once per batch, not once per message.
//   - foreign_keys=ON, because SQLite leaves them off by default and the
//     cascades of DeleteWorkspace and DeleteChannel are foreign keys.
//   - busy_timeout makes a connection wait for a lock instead of failing at
//     once (see busyTimeout).
//   - _txlock=immediate makes the writer's transactions take the write lock
//     when they begin. A transaction that reads first and then tries to
//     write can fail with SQLITE_BUSY, with no wait, if another process
//     wrote in between.
//   - cache_size=-65536 gives the writer a page cache of up to 64 MiB, where
//     SQLite's default is 2 MiB. A large transaction, such as an import of
//     a conversation of tens of thousands of messages, otherwise spills
//     dirty pages to the log before it commits and reads them back, as it
//     inserts into indexes in no particular order (message IDs are hashes).
//     It made BenchmarkImportMessages about a third faster. The memory is
//     taken as pages are used, and kept while the store is open.
//   - temp_store=MEMORY on the writer keeps statement journals in memory.
//     An INSERT of many rows, as an import runs, journals each page it
//     touches so that it can undo itself if a row fails; SQLite writes the
//     journal to a temporary file once it passes 64 KiB.
//   - query_only=ON on readers turns a write on the wrong pool into an error.
func dataSourceNames(path string) (write, read string, err error) {
	if path == "" {
		return "", "", fmt.Errorf("sqlite: empty path")
	} else if strings.ContainsAny(path, "?#") {
		return "", "", fmt.Errorf("sqlite: path %q contains '?' or '#'", path)
	}

	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(ON)",
		busyTimeout.Milliseconds())
	write = common + "&_pragma=synchronous(FULL)&_pragma=cache_size(-65536)" +
		"&_pragma=temp_store(MEMORY)&_txlock=immediate"
	read = common + "&_pragma=query_only(ON)"

	// A name that starts with "/" in the memdb VFS is shared by all the
	// connections of the process, which is what a pool needs; ":memory:"
	// would give each connection a database of its own.
	if path == ":memory:" {
		path = fmt.Sprintf("file:/parley-%d?vfs=memdb&", memoryCount.Add(1))
	} else {
		path += "?"
	}
	return path + write, path + read, nil
}

// setUp switches the database to WAL and migrates it.
//
// On a new file that another process is setting up at the same moment,
// either step can fail with SQLITE_BUSY at once: SQLite does not call the
// busy handler where waiting could deadlock, and switching the journal mode
// is such a place. Both steps are safe to repeat, so they are retried for as
// long as busy_timeout would have waited.
func (s *Store) setUp(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		_, err := s.db.ExecContext(ctx, "PRAGMA journal_mode = WAL")
		if err == nil {
			err = s.migrate(ctx)
		}
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Ping reports whether both the writer and the readers can reach the
// database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	} else if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping readers: %w", err)
	}
	return nil
}

// Close stops the committer, after the appends it has taken are committed,
// and closes the database. Calls made after Close fail; calling Close again
// does nothing and returns the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.done

		// SQLite asks long-lived connections to run optimize before they
		// close; it refreshes the statistics the query planner uses and is
		// usually a no-op.
		_, err := s.db.Exec("PRAGMA optimize")
		s.closeErr = errors.Join(err, s.appendStmts.Close(), s.changeStmts.Close(),
			s.reads.Close(), s.rdb.Close(), s.db.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("sqlite: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// readStatements are statements prepared on the readers, each the first
// time it is needed. Parsing took a fifth of the time of reading a page of
// history, and a sixth of the time of a send (which reads membership, the
// channel and the users' emails), so every read is parsed once: database/sql
// then prepares each statement once on every reader connection that runs
// it, and keeps it there. Their texts are constants, with every value passed
// as a parameter, so the cache stays small.
type readStatements struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// in returns the statement of query, prepared, and bound to tx, which must
// be a transaction of the readers.
func (rs *readStatements) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	stmt, err := rs.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, stmt), nil
}

// prepared returns the statement of query, prepared on the readers, for a
// read of one statement that needs no transaction.
func (rs *readStatements) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()

	stmt, ok := rs.stmts[query]
	if !ok {
		var err error
		if stmt, err = rs.db.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		rs.stmts[query] = stmt
	}
	return stmt, nil
}

// queryRow runs query, a read of one row, through its prepared statement.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	stmt, err := s.reads.prepared(ctx, query)
	if err != nil {
		// Run unprepared, the query fails again, and the Row carries the
		// error to Scan, where every caller looks for it.
		return s.rdb.QueryRowContext(ctx, query, args...)
	}
	return stmt.QueryRowContext(ctx, args...)
}

// query runs query, a read, through its prepared statement.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	stmt, err := s.reads.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return stmt.QueryContext(ctx, args...)
}

// Close closes the statements prepared so far.
func (rs *readStatements) Close() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()

	var errs []error
	for _, stmt := range rs.stmts {
		errs = append(errs, stmt.Close())
	}
	return errors.Join(errs...)
}

// isUnique reports whether err is a violation of a unique index or primary
// key.
func isUnique(err error) bool {
	var e *modernc.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE ||
		e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isBusy reports whether err is SQLITE_BUSY: another connection holds the
// lock that was needed.
func isBusy(err error) bool {
	var e *modernc.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isForeignKey reports whether err is a violation of a foreign key: a row
// points at a row that does not exist.
func isForeignKey(err error) bool {
	var e *modernc.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
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
func optionalMillis(t *parley.Time) any {
	if t == nil {
		return nil
	}
	return millis(t.Time)
}

// optionalTime returns the stored Unix milliseconds ms as a [parley.Time],
// or nil if ms is NULL.
func optionalTime(ms sql.NullInt64) *parley.Time {
	if !ms.Valid {
		return nil
	}
	return new(timeOf(ms.Int64))
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}
