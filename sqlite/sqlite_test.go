package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/sqlite"
	"github.com/parleychat/parley/storetest"
)

// TestStore runs the conformance suite on a memory database and on a file,
// which differ in their locking: only the file has a write-ahead log.
func TestStore(t *testing.T) {
	t.Run("Memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) parley.Store {
			return MustOpen(t, ":memory:")
		})
	})
	t.Run("File", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) parley.Store {
			return MustOpen(t, filepath.Join(t.TempDir(), "parley.db"))
		})
	})
}

func TestOpen(t *testing.T) {
	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "parley.db")
		s := MustOpen(t, path)
		u := storetest.MustCreateUser(t, s, "Ann")
		version := MustSchemaVersion(t, path)
		MustClose(t, s)

		s = MustOpen(t, path)
		got, err := s.User(t.Context(), u.ID)
		if err != nil {
			t.Fatalf("User after reopening: %v", err)
		} else if got.Email != u.Email {
			t.Fatalf("Email=%q, want %q", got.Email, u.Email)
		}
		if v := MustSchemaVersion(t, path); v != version {
			t.Fatalf("schema version=%d after reopening, want %d", v, version)
		}
	})

	// Every migration file is applied, once, even when two stores open a
	// new file at the same moment.
	t.Run("MigrationsOnce", func(t *testing.T) {
		files, err := filepath.Glob("migrations/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations: %d files, err=%v", len(files), err)
		}

		path := filepath.Join(t.TempDir(), "parley.db")
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { MustOpen(t, path) })
		}
		wg.Wait()

		if v := MustSchemaVersion(t, path); v != len(files) {
			t.Fatalf("schema version=%d, want %d", v, len(files))
		}
		MustClose(t, MustOpen(t, path))
		if v := MustSchemaVersion(t, path); v != len(files) {
			t.Fatalf("schema version=%d after opening again, want %d", v, len(files))
		}
	})

	// A database that holds data under the first schema reads the same
	// after the later migrations, with the new fields at their defaults.
	t.Run("MigrateFromFirstSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "parley.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil { // an empty database
			t.Fatal(err)
		}
		db := MustOpenRaw(t, path)
		schema, err := os.ReadFile("migrations/0001_init.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, query := range []string{
			string(schema),
			`INSERT INTO users VALUES ('u1', 'ann@example.com', 'Ann', '', 1000)`,
			`INSERT INTO workspaces VALUES ('w1', 'Acme', 'u1', 1000)`,
			`INSERT INTO channels VALUES ('c1', 'w1', 'general', 0, 'u1', 1000)`,
			`INSERT INTO conversations VALUES ('c1', 'c1', 1)`,
			`INSERT INTO messages VALUES ('m1', 'c1', 1, 'w1', 'c1', '', 'u1', 'hello', 2000, NULL)`,
			`PRAGMA user_version = 1`,
		} {
			if _, err := db.Exec(query); err != nil {
				t.Fatalf("%.40s: %v", query, err)
			}
		}
		db.Close()

		s := MustOpen(t, path)
		if u, err := s.User(t.Context(), "u1"); err != nil {
			t.Fatal(err)
		} else if u.Deactivated {
			t.Fatalf("Deactivated=true for a user of the first schema, want false")
		}
		ch, err := s.Channel(t.Context(), "c1")
		if err != nil {
			t.Fatal(err)
		} else if ch.Name != "general" || ch.Topic != "" || ch.Purpose != "" || ch.Archived {
			t.Fatalf("Channel=%+v, want general with no topic, no purpose, not archived", ch)
		}
		page, err := s.Messages(t.Context(), "c1", parley.MessageFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		} else if len(page.Messages) != 1 {
			t.Fatalf("%d messages, want 1", len(page.Messages))
		}
		m := page.Messages[0]
		if m.ID != "m1" || m.Text != "hello" || m.ParentID != "" || m.ReplyCount != 0 ||
			m.LastReplyAt != nil || m.EditedAt != nil || m.Deleted || m.Mentions != nil {
			t.Fatalf("Message=%+v, want m1 with the new fields at their defaults", m)
		}

		reply := &parley.Message{ID: "m2", ConversationID: "c1", WorkspaceID: "w1",
			ChannelID: "c1", SenderID: "u1", Text: "a reply", ParentID: "m1",
			CreatedAt: parley.NewTime(time.UnixMilli(3000))}
		storetest.MustAppendMessage(t, s, reply)
		if reply.Seq != 2 {
			t.Fatalf("Seq=%d, want 2", reply.Seq)
		}
		root, err := s.Message(t.Context(), "m1")
		if err != nil {
			t.Fatal(err)
		} else if root.ReplyCount != 1 {
			t.Fatalf("ReplyCount=%d, want 1", root.ReplyCount)
		}
	})

	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "parley.db")
		MustClose(t, MustOpen(t, path))
		db := MustOpenRaw(t, path)
		if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
			t.Fatal(err)
		}

		if s, err := sqlite.Open(path); err == nil {
			s.Close()
			t.Fatalf("Open of a schema from a newer build: err=nil, want an error")
		}
	})

	t.Run("ErrPath", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "no", "such", "dir", "parley.db")
		for _, path := range []string{"", "parley.db?mode=ro", missing} {
			if s, err := sqlite.Open(path); err == nil {
				s.Close()
				t.Fatalf("Open(%q): err=nil, want an error", path)
			}
		}
	})

	// The settings that durability and the cascades depend on are in force
	// on the writer, and the readers cannot write.
	t.Run("Pragmas", func(t *testing.T) {
		s := MustOpen(t, filepath.Join(t.TempDir(), "parley.db"))
		for _, tt := range []struct{ name, want string }{
			{"journal_mode", "wal"},
			{"synchronous", "2"},
			{"foreign_keys", "1"},
			{"busy_timeout", "5000"},
			{"cache_size", "-65536"},
			{"temp_store", "2"},
		} {
			if got, err := sqlite.WriterPragma(s, tt.name); err != nil {
				t.Fatalf("PRAGMA %s: %v", tt.name, err)
			} else if got != tt.want {
				t.Fatalf("PRAGMA %s=%q, want %q", tt.name, got, tt.want)
			}
		}
		if got, err := sqlite.ReaderPragma(s, "query_only"); err != nil {
			t.Fatalf("PRAGMA query_only: %v", err)
		} else if got != "1" {
			t.Fatalf("reader PRAGMA query_only=%q, want %q", got, "1")
		}
	})
}

// Two stores on one file, as two processes would have, agree on a secret.
func TestSecret_TwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	stores := []*sqlite.Store{MustOpen(t, path), MustOpen(t, path)}

	values := make([]string, 16)
	var wg sync.WaitGroup
	for i := range values {
		wg.Go(func() {
			generate := func() ([]byte, error) { return []byte{byte('a' + i)}, nil }
			v, err := stores[i%2].Secret(t.Context(), "jwt", generate)
			if err != nil {
				t.Errorf("Secret: %v", err)
			}
			values[i] = string(v)
		})
	}
	wg.Wait()

	for i, v := range values {
		if v != values[0] || v == "" {
			t.Fatalf("caller %d got Secret=%q, caller 0 got %q", i, v, values[0])
		}
	}
}

// Expiry is judged by the store's clock, and an expired token is removed:
// turning the clock back does not revive it.
func TestConsumeRefreshToken_Clock(t *testing.T) {
	s := MustOpen(t, ":memory:")
	u := storetest.MustCreateUser(t, s, "Ann")
	expiresAt := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, hash := range []string{"valid", "expired"} {
		tok := &parley.RefreshToken{Hash: hash, UserID: u.ID, ExpiresAt: expiresAt}
		if err := s.CreateRefreshToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
	}

	s.Now = func() time.Time { return expiresAt.Add(-time.Millisecond) }
	if tok, err := s.ConsumeRefreshToken(t.Context(), "valid"); err != nil {
		t.Fatalf("ConsumeRefreshToken before expiry: %v", err)
	} else if !tok.ExpiresAt.Equal(expiresAt) {
		t.Fatalf("ExpiresAt=%v, want %v", tok.ExpiresAt, expiresAt)
	}

	s.Now = func() time.Time { return expiresAt }
	if _, err := s.ConsumeRefreshToken(t.Context(), "expired"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("ConsumeRefreshToken at expiry: err=%v, want code %q", err, parley.ENOTFOUND)
	}
	s.Now = func() time.Time { return expiresAt.Add(-time.Hour) }
	if _, err := s.ConsumeRefreshToken(t.Context(), "expired"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("ConsumeRefreshToken after the clock went back: err=%v, want code %q",
			err, parley.ENOTFOUND)
	}
}

// MustOpen opens the store at path and closes it when tb ends.
func MustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// MustClose closes s.
func MustClose(tb testing.TB, s *sqlite.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// MustOpenRaw opens the file at path without the store, to look under it,
// and closes it when tb ends.
func MustOpenRaw(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustSchemaVersion returns the schema version of the file at path.
func MustSchemaVersion(tb testing.TB, path string) int {
	tb.Helper()
	var v int
	row := MustOpenRaw(tb, path).QueryRowContext(context.Background(), "PRAGMA user_version")
	if err := row.Scan(&v); err != nil {
		tb.Fatalf("PRAGMA user_version: %v", err)
	}
	return v
}

// MustCount returns the number of rows in table.
func MustCount(tb testing.TB, s *sqlite.Store, table string) int {
	tb.Helper()
	n, err := sqlite.Count(s, table)
	if err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}
