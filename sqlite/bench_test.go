package sqlite_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/storetest"
)

// The benchmarks run on a file with the store's real settings, so each
// commit waits for fsync: their figures say as much about the disk as about
// the code.

// BenchmarkAppendMessage appends one message at a time: every append is a
// batch of one, and pays for a whole fsync.
func BenchmarkAppendMessage(b *testing.B) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
	ann, bob := storetest.MustCreateUser(b, s, "Ann"), storetest.MustCreateUser(b, s, "Bob")

	for b.Loop() {
		m := storetest.NewDirectMessage(ann, bob, "hello")
		if _, _, err := s.AppendMessage(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMessageParallel appends from many goroutines to a few
// conversations, as a busy server does; group commit shares each fsync
// among the appends that arrive while the last batch commits.
func BenchmarkAppendMessageParallel(b *testing.B) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
	users := make([]*parley.User, 8)
	for i := range users {
		users[i] = storetest.MustCreateUser(b, s, "User")
	}

	var next atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1))
		sender, receiver := users[i%len(users)], users[(i+1)%len(users)]
		for pb.Next() {
			m := storetest.NewDirectMessage(sender, receiver, "hello")
			if _, _, err := s.AppendMessage(b.Context(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMessagesNewest50 reads the newest page of a long history, the
// read a client makes when it opens a conversation.
func BenchmarkMessagesNewest50(b *testing.B) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
	ann, bob := storetest.MustCreateUser(b, s, "Ann"), storetest.MustCreateUser(b, s, "Bob")
	conv := parley.DMConversationID(ann.ID, bob.ID)
	for range 2000 {
		storetest.MustAppendMessage(b, s, storetest.NewDirectMessage(ann, bob, "some history"))
	}

	for b.Loop() {
		page, err := s.Messages(b.Context(), conv, parley.MessageFilter{Limit: 50})
		if err != nil {
			b.Fatal(err)
		} else if len(page.Messages) != 50 {
			b.Fatalf("%d messages, want 50", len(page.Messages))
		}
	}
}
