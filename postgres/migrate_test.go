package postgres_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley/postgres"
	"github.com/parleychat/parley/storetest"
)

// migrationCount returns the number of files in migrations/.
func migrationCount(tb testing.TB) int64 {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("migrations: %d files, err=%v", len(names), err)
	}
	return int64(len(names))
}

// Nodes that start at once on a new database all open it: one migrates,
// the others wait for its lock and then find every migration applied, so
// each migration is applied and recorded once.
func TestOpen_ConcurrentOnEmptyDatabase(t *testing.T) {
	dsn := NewDatabase(t)
	const nodes = 8

	stores := make([]*postgres.Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(context.Background(), dsn)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d of %d: %v", i+1, nodes, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}

	if n := MustQueryInt(t, dsn, `SELECT count(*) FROM schema_migrations`); n != migrationCount(t) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, migrationCount(t))
	}
	if n := MustQueryInt(t, dsn, `
		SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'messages'
	`); n != 1 {
		t.Fatalf("%d tables named messages, want 1", n)
	}

	// Every node works on the one schema: what one writes, another reads.
	u := storetest.MustCreateUser(t, stores[0], "Ann")
	if _, err := stores[nodes-1].User(t.Context(), u.ID); err != nil {
		t.Fatalf("User through another node: %v", err)
	}
}

// Opening a database that is up to date applies nothing, and keeps what it
// holds.
func TestOpen_Reopen(t *testing.T) {
	dsn := NewDatabase(t)
	s := MustOpen(t, dsn)
	u := storetest.MustCreateUser(t, s, "Ann")
	s.Close()

	s = MustOpen(t, dsn)
	if _, err := s.User(t.Context(), u.ID); err != nil {
		t.Fatalf("User after reopening: %v", err)
	}
	if n := MustQueryInt(t, dsn, `SELECT count(*) FROM schema_migrations`); n != migrationCount(t) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, migrationCount(t))
	}
}

// A database that a newer build migrated further is refused, rather than
// written by code that does not know its schema.
func TestOpen_ErrNewerSchema(t *testing.T) {
	dsn := NewDatabase(t)
	MustOpen(t, dsn).Close()
	mustExec(t, dsn, `
		INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future.sql')
	`, migrationCount(t)+1)

	s, err := postgres.Open(context.Background(), dsn)
	if err == nil {
		s.Close()
		t.Fatalf("Open: err=nil, want an error")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open: err=%v, want one about a newer schema", err)
	}
}

// A server that cannot be reached fails Open. The test needs no server.
func TestOpen_ErrUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, "postgres://parley@127.0.0.1:1/parley?connect_timeout=2")
	if err == nil {
		s.Close()
		t.Fatalf("Open: err=nil, want an error")
	}
}

// Open waits for the migration lock that another node holds, and goes on
// once that node lets it go.
func TestOpen_WaitsForMigrationLock(t *testing.T) {
	dsn := NewDatabase(t)
	ctx := t.Context()
	holder, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1)`, postgres.MigrationLock); err != nil {
		t.Fatal(err)
	}

	type result struct {
		s   *postgres.Store
		err error
	}
	opened := make(chan result, 1)
	go func() {
		s, err := postgres.Open(context.Background(), dsn)
		opened <- result{s, err}
	}()

	// The Open is seen waiting for the lock before the lock is let go.
	deadline := time.Now().Add(10 * time.Second)
	for MustQueryInt(t, dsn, `
		SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
	`) == 0 {
		select {
		case r := <-opened:
			t.Fatalf("Open returned (err=%v) while another session held the lock", r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Open is not waiting for the migration lock after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, postgres.MigrationLock)
	if err != nil {
		t.Fatal(err)
	}
	r := <-opened
	if r.err != nil {
		t.Fatalf("Open: %v", r.err)
	}
	r.s.Close()
}
