package postgres_test

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/storetest"
)

// The benchmarks run on the server PARLEY_TEST_POSTGRES names, and their
// figures say as much about its settings (fsync, synchronous_commit) and
// the distance to it as about the code: each append is a transaction of two
// round trips and a commit.

// BenchmarkAppendMessage appends one message at a time to a direct
// conversation, with the change the service records with it.
func BenchmarkAppendMessage(b *testing.B) {
	s := MustOpen(b, NewDatabase(b))
	ann, bob := storetest.MustCreateUser(b, s, "Ann"), storetest.MustCreateUser(b, s, "Bob")

	for b.Loop() {
		m := storetest.NewDirectMessage(ann, bob, "hello")
		if _, _, err := s.AppendMessage(b.Context(), m, messageChange(m)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMessageParallel appends from 16 goroutines per CPU to a few
// conversations, as a busy node does: appends to one conversation take
// turns on its counter, appends to different ones run side by side.
func BenchmarkAppendMessageParallel(b *testing.B) {
	s := MustOpen(b, NewDatabase(b))
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
			if _, _, err := s.AppendMessage(b.Context(), m, messageChange(m)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// messageChange returns a change like the one the service records with m,
// in m's conversation's stream.
func messageChange(m *parley.Message) *parley.Change {
	data := fmt.Sprintf(`{"message_id":%q,"op":"created"}`, m.ID)
	return &parley.Change{Stream: m.ConversationID, Type: "message", Data: json.RawMessage(data),
		CreatedAt: m.CreatedAt}
}
