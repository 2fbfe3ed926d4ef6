package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/postgres"
	"github.com/parleychat/parley/sqlite"
)

// isPostgres reports whether a --db value names a PostgreSQL database. The
// scheme is case-insensitive, as in any URL.
func isPostgres(db string) bool {
	scheme, _, ok := strings.Cut(db, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// checkDB validates a --db value: a PostgreSQL URL or a SQLite file path.
// A value that is neither, but looks like a mistyped database address, is
// refused rather than taken for the name of a new SQLite file, which would
// leave a node of a cluster running healthy on a database of its own. A
// refused value is never shown with its password.
func checkDB(db string) error {
	switch {
	case db == "":
		return fmt.Errorf("--db (PARLEY_DB): a SQLite file path or a postgres:// URL is required")
	case db != strings.TrimSpace(db):
		return fmt.Errorf("--db (PARLEY_DB): the value has spaces around it; want a SQLite file path or a postgres:// URL")
	case isPostgres(db):
		return nil
	case strings.Contains(db, "://"):
		return fmt.Errorf("--db (PARLEY_DB) %q: want a SQLite file path or a postgres:// URL", redact(db))
	case strings.Contains(db, "=") && strings.Contains(db, " "):
		return fmt.Errorf("--db (PARLEY_DB): a PostgreSQL key=value string is not taken; write it as a postgres:// URL")
	}
	return nil
}

// openStore opens, and migrates, the database that db names: PostgreSQL
// for a postgres:// URL, and otherwise a SQLite file. The error never
// shows a password of the URL.
func openStore(ctx context.Context, db string) (parley.Store, error) {
	if err := checkDB(db); err != nil {
		return nil, err
	}
	if isPostgres(db) {
		store, err := postgres.Open(ctx, db)
		if err != nil {
			// pgx lists each address it tried on a line of its own;
			// start-up errors are one line.
			msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), db, redact(db))), " ")
			return nil, fmt.Errorf("--db (PARLEY_DB): open database %s: %s", redact(db), msg)
		}
		return store, nil
	}
	store, err := sqlite.Open(db)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", db, err)
	}
	return store, nil
}
