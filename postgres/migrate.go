package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations holds the schema as numbered SQL files, NNNN_name.sql, applied
// in order. A file, once released, is never edited: a change to the schema
// is a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the advisory lock that Open holds while it
// migrates: the bytes of "parley" read as a number. Advisory locks are
// shared by every session of the database, so any two nodes that open it
// contend for this one.
const migrationLock int64 = 0x7061726c6579

// migrate applies the migrations the database has not seen yet, each in a
// transaction of its own that also records it in schema_migrations, so a
// crash leaves each migration either applied and recorded, or neither.
//
// It holds migrationLock for the whole run, on one connection. The lock is
// a session lock rather than a transaction's, since it spans several
// transactions; if the process dies, PostgreSQL ends the session and
// releases it. A node that starts while another migrates waits here, then
// finds every migration recorded and applies none.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := migrationNames()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// The lock lasts as long as the session. If the unlock fails, the
		// connection is closed rather than put back in the pool, which
		// ends the session and the lock with it.
		_, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`,
			migrationLock)
		if err != nil {
			conn.Hijack().Close(context.WithoutCancel(ctx))
		}
	}()

	if _, err := conn.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)
	`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	// A database that a newer build has migrated may hold tables and
	// columns this build does not know how to keep consistent.
	var version int
	if err := conn.QueryRow(ctx, `
		SELECT coalesce(max(version), 0) FROM schema_migrations
	`).Scan(&version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	} else if version > len(names) {
		return fmt.Errorf("migrate: schema version %d is newer than this build's %d",
			version, len(names))
	}

	for i := version; i < len(names); i++ {
		if err := migrateFile(ctx, conn.Conn(), i+1, names[i]); err != nil {
			return fmt.Errorf("migrate %s: %w", names[i], err)
		}
	}
	return nil
}

// migrateFile applies the migration number n from the file name, and
// records it, in one transaction.
func migrateFile(ctx context.Context, conn *pgx.Conn, n int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)

	// Without arguments, pgx sends the file as a simple query, which may
	// hold many statements.
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO schema_migrations (version, name) VALUES ($1, $2)
	`, n, strings.TrimPrefix(name, "migrations/")); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// migrationNames returns the names of the migration files in the order they
// apply. fs.Glob returns them in lexical order, which the four-digit
// numbers make the order of application; a gap or a duplicate would make
// the recorded version lie, so it is refused.
func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		if n, err := migrationNumber(name); err != nil {
			return nil, err
		} else if n != i+1 {
			return nil, fmt.Errorf("%s is number %d, want %d", name, n, i+1)
		}
	}
	return names, nil
}

// migrationNumber returns the number that starts the name of a migration
// file, as in "migrations/0001_init.sql".
func migrationNumber(name string) (int, error) {
	base := strings.TrimPrefix(name, "migrations/")
	digits, _, ok := strings.Cut(base, "_")
	if !ok {
		return 0, fmt.Errorf("%s: name is not NNNN_name.sql", name)
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, fmt.Errorf("%s: name is not NNNN_name.sql", name)
	}
	return n, nil
}
