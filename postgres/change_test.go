package postgres_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/postgres"
	"github.com/parleychat/parley/storetest"
)

// One node prunes while another appends and a third reads: appends never
// fail or wait on the prune for a counter, and every read either is refused
// or returns the changes right after its position, with none missing.
func TestPruneChanges_WhileAppending(t *testing.T) {
	dsn := NewDatabase(t)
	writer, pruner, reader := MustOpen(t, dsn), MustOpen(t, dsn), MustOpen(t, dsn)
	ann, bob := storetest.MustCreateUser(t, writer, "Ann"), storetest.MustCreateUser(t, writer, "Bob")
	stream := ann.ID
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const total = 300

	// Change n is created n seconds after start, so each prune removes a
	// run of the oldest positions. The prunes trail the appends by 20
	// changes, and the reads start around where the prunes are.
	done := make(chan struct{})
	var appended atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for n := 1; n <= total; n++ {
			c := &parley.Change{Stream: stream, Type: "note", Data: []byte(`{}`),
				CreatedAt: parley.NewTime(start.Add(time.Duration(n) * time.Second))}
			m := storetest.NewDirectMessage(ann, bob, "hello")
			if _, _, err := writer.AppendMessage(t.Context(), m, c); err != nil {
				t.Errorf("AppendMessage: %v", err)
				return
			}
			appended.Store(int64(n))
		}
	})
	var pruned int
	wg.Go(func() {
		for {
			cutoff := time.Duration(appended.Load()-20) * time.Second
			n, err := pruner.PruneChanges(t.Context(), parley.NewTime(start.Add(cutoff)))
			if err != nil {
				t.Errorf("PruneChanges: %v", err)
				return
			}
			pruned += n
			select {
			case <-done:
				return
			default:
			}
		}
	})
	var read, refused int
	wg.Go(func() {
		for i := int64(0); ; i++ {
			if checkPage(t, reader, stream, max(0, appended.Load()-30+i%20)) {
				read++
			} else {
				refused++
			}
			select {
			case <-done:
				return
			default:
			}
		}
	})
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d pages read, %d refused, %d changes pruned", read, refused, pruned)

	// What the prunes left is the rest of the stream, from the position
	// after the last one removed.
	left, err := reader.Changes(t.Context(), stream, int64(pruned), total)
	if err != nil {
		t.Fatalf("Changes after the %d pruned: %v", pruned, err)
	} else if len(left)+pruned != total {
		t.Fatalf("%d changes pruned and %d left, want %d in all", pruned, len(left), total)
	}
}

// checkPage fails t unless the page of the stream after the position given
// is refused with EINVALID, or holds the positions right after it. It
// reports whether the page was read.
func checkPage(t *testing.T, s *postgres.Store, stream string, after int64) bool {
	t.Helper()
	page, err := s.Changes(t.Context(), stream, after, 10)
	if parley.ErrorCode(err) == parley.EINVALID {
		return false
	} else if err != nil {
		t.Errorf("Changes(after %d): %v", after, err)
		return false
	}
	for i, c := range page {
		if c.Pos != after+int64(i+1) {
			t.Errorf("Changes(after %d)[%d].Pos=%d, want %d", after, i, c.Pos, after+int64(i+1))
		}
	}
	return true
}
