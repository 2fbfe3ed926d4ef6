package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// migrations holds the schema as numbered SQL files, NNNN_name.sql, applied
// in order. A file, once released, is never edited: a change to the schema
// is a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrate applies the migrations the database has not seen yet, each in a
// transaction of its own. PRAGMA user_version records the number of the last
// one applied; it lives in the database header and is written in the same
// transaction as the migration, so a crash leaves either both or neither.
//
// A migration that rebuilds a table must run with foreign keys off, which
// SQLite cannot switch inside a transaction; when the first such migration
// comes, this function has to learn to switch them around it.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	// fs.Glob returns names in lexical order, which the four-digit numbers
	// make the order of application. A gap or a duplicate would make
	// user_version lie, so refuse it.
	for i, name := range names {
		if n, err := migrationNumber(name); err != nil {
			return fmt.Errorf("migrate: %w", err)
		} else if n != i+1 {
			return fmt.Errorf("migrate: %s is number %d, want %d", name, n, i+1)
		}
	}

	for i, name := range names {
		if err := s.migrateFile(ctx, i+1, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}

	// A database that a newer build has migrated may hold tables and
	// columns this build does not know how to keep consistent.
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	} else if version > len(names) {
		return fmt.Errorf("migrate: schema version %d is newer than this build's %d",
			version, len(names))
	}
	return nil
}

// migrateFile applies the migration number n, read from the file name,
// unless the database has it already.
func (s *Store) migrateFile(ctx context.Context, n int, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	// The version is read inside the write transaction, so that of two
	// processes opening a new file at once, the second waits and then
	// finds the migration done.
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	} else if version >= n {
		return nil
	}

	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	// PRAGMA takes no parameters; n is an int, so formatting it is safe.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
		return err
	}
	return tx.Commit()
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
