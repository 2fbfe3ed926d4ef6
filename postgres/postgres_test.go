package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/postgres"
	"github.com/parleychat/parley/storetest"
)

// The tests need a PostgreSQL server where they may create databases. Each
// test gets databases of its own, made empty and dropped when it ends, so
// tests never see each other's rows, nor those of an earlier run.
const dsnVariable = "PARLEY_TEST_POSTGRES"

func TestStore(t *testing.T) {
	serverDSN(t)
	storetest.Run(t, func(t *testing.T) parley.Store {
		return MustOpen(t, NewDatabase(t))
	})
}

// serverDSN returns the DSN of the test server, or skips tb.
func serverDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(dsnVariable)
	if dsn == "" {
		tb.Skip(dsnVariable + " not set: set it to a postgres:// DSN to run the PostgreSQL store tests")
	}
	return dsn
}

// databaseCount numbers the databases of this process.
var databaseCount atomic.Int64

// NewDatabase creates an empty database on the test server, drops it when
// tb ends, and returns its DSN. It skips tb if no server is set.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	server := serverDSN(tb)
	name := fmt.Sprintf("parley_t_%d_%d", os.Getpid(), databaseCount.Add(1))

	// CREATE DATABASE takes no parameters; name is made of digits and
	// letters only.
	mustExec(tb, server, "CREATE DATABASE "+name)
	tb.Cleanup(func() {
		mustExec(tb, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDatabase(tb, server, name)
}

// mustExec runs one statement on a connection of its own to dsn.
func mustExec(tb testing.TB, dsn, sql string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// withDatabase returns dsn with its database replaced by name, for a
// postgres:// URL or a key=value string alike.
func withDatabase(tb testing.TB, dsn, name string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " dbname=" + name
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", dsnVariable, err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustOpen opens a store on dsn, and closes it when tb ends.
func MustOpen(tb testing.TB, dsn string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustQueryInt returns the integer that sql, a query of one value, returns
// on the database dsn names.
func MustQueryInt(tb testing.TB, dsn, sql string, args ...any) int64 {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return n
}
