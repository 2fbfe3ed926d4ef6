package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/postgres"
	"github.com/parleychat/parley/sqlite"
)

// isPostgres reports whether a --db value names a PostgreSQL database.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// checkDB validates a --db value: a PostgreSQL URL or a SQLite file path.
func checkDB(db string) error {
	switch {
	case db == "":
		return fmt.Errorf("--db (PARLEY_DB): a SQLite file path or a postgres:// URL is required")
	case isPostgres(db):
		return nil
	case strings.Contains(db, "://"):
		return fmt.Errorf("--db (PARLEY_DB) %q: want a SQLite file path or a postgres:// URL", redact(db))
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
