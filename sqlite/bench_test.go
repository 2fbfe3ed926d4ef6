package sqlite_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
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
	benchmarkAppend(b, false)
}

// BenchmarkAppendMessageWithChange is BenchmarkAppendMessage with the change
// the service records with each message, in the conversation's stream.
func BenchmarkAppendMessageWithChange(b *testing.B) {
	benchmarkAppend(b, true)
}

// benchmarkAppend appends one message at a time, each with a change if
// withChange is set.
func benchmarkAppend(b *testing.B, withChange bool) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
	ann, bob := storetest.MustCreateUser(b, s, "Ann"), storetest.MustCreateUser(b, s, "Bob")

	for b.Loop() {
		m := storetest.NewDirectMessage(ann, bob, "hello")
		changes := messageChanges(m, withChange)
		if _, _, err := s.AppendMessage(b.Context(), m, changes...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMessageParallel appends from many goroutines to a few
// conversations, as a busy server does; group commit shares each fsync
// among the appends that arrive while the last batch commits.
func BenchmarkAppendMessageParallel(b *testing.B) {
	benchmarkAppendParallel(b, false)
}

// BenchmarkAppendMessageParallelWithChange is
// BenchmarkAppendMessageParallel with the change the service records with
// each message.
func BenchmarkAppendMessageParallelWithChange(b *testing.B) {
	benchmarkAppendParallel(b, true)
}

// messageChanges returns a change like the one the service records with m,
// in m's conversation's stream, if withChange is set, and none otherwise.
func messageChanges(m *parley.Message, withChange bool) []*parley.Change {
	if !withChange {
		return nil
	}
	data := fmt.Sprintf(`{"message_id":%q,"op":"created"}`, m.ID)
	return []*parley.Change{{Stream: m.ConversationID, Type: "message", Data: json.RawMessage(data),
		CreatedAt: m.CreatedAt}}
}

// benchmarkAppendParallel appends from 16 goroutines per CPU, each with a
// change if withChange is set.
func benchmarkAppendParallel(b *testing.B, withChange bool) {
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
			changes := messageChanges(m, withChange)
			if _, _, err := s.AppendMessage(b.Context(), m, changes...); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkMessagesNewest50 reads the newest page of a long history, the
// read a client makes when it opens a conversation: a direct conversation
// of plain messages, and a channel whose history lies among the replies of
// its threads and whose messages carry reactions. Each page is read with
// its reactions, in one more query.
func BenchmarkMessagesNewest50(b *testing.B) {
	b.Run("Plain", func(b *testing.B) {
		s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
		ann, bob := storetest.MustCreateUser(b, s, "Ann"), storetest.MustCreateUser(b, s, "Bob")
		conv := parley.DMConversationID(ann.ID, bob.ID)
		for range 2000 {
			storetest.MustAppendMessage(b, s, storetest.NewDirectMessage(ann, bob, "some history"))
		}
		benchmarkPage(b, s, conv, parley.MessageFilter{Limit: 50})
	})

	b.Run("ThreadsAndReactions", func(b *testing.B) {
		s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
		ch, root := mustFillThreaded(b, s, 2000)
		b.Run("History", func(b *testing.B) {
			benchmarkPage(b, s, ch.ID, parley.MessageFilter{Limit: 50})
		})
		b.Run("IncludeReplies", func(b *testing.B) {
			benchmarkPage(b, s, ch.ID, parley.MessageFilter{IncludeReplies: true, Limit: 50})
		})
		b.Run("Thread", func(b *testing.B) {
			benchmarkPage(b, s, ch.ID, parley.MessageFilter{ParentID: root.ID, Limit: 50})
		})
	})
}

// benchmarkPage reads the page f selects, which must be full, b.N times.
func benchmarkPage(b *testing.B, s parley.Store, conversationID string, f parley.MessageFilter) {
	for b.Loop() {
		page, err := s.Messages(b.Context(), conversationID, f)
		if err != nil {
			b.Fatal(err)
		} else if len(page.Messages) != f.Limit {
			b.Fatalf("%d messages, want %d", len(page.Messages), f.Limit)
		}
	}
}

// mustFillThreaded appends the given number of roots to a new channel, from
// eight writers at once. Every fourth root gets six replies, one of them
// sent to the channel too; every other message gets one or two reactions.
// It returns the channel and the last root that got replies, which gets 60
// more, so that its thread fills a page.
func mustFillThreaded(tb testing.TB, s parley.Store, roots int) (*parley.Channel, *parley.Message) {
	tb.Helper()
	users := make([]*parley.User, 4)
	for i := range users {
		users[i] = storetest.MustCreateUser(tb, s, "User")
	}
	ws, _ := storetest.MustCreateWorkspace(tb, s, users[0], "Acme")
	ch := storetest.MustCreateChannel(tb, s, ws, users[0], "busy", false)

	// react adds a reaction to every other message: from one user, and on
	// every sixth message from a second one with another name.
	var count atomic.Int64
	react := func(m *parley.Message) error {
		n := count.Add(1)
		if n%2 == 1 {
			return nil
		}
		if _, err := s.AddReaction(tb.Context(), m.ID, users[n%4].ID, "+1"); err != nil {
			return err
		} else if n%6 == 0 {
			_, err = s.AddReaction(tb.Context(), m.ID, users[(n+1)%4].ID, "tada")
			return err
		}
		return nil
	}

	const writers = 8
	lastRoots := make([]*parley.Message, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < roots; i += writers {
				sender := users[i%len(users)]
				root := storetest.NewChannelMessage(ch, sender, fmt.Sprint("root ", i))
				if _, _, err := s.AppendMessage(tb.Context(), root); err != nil {
					tb.Error(err)
					return
				}
				msgs := []*parley.Message{root}
				replies := 0
				if i%4 == 0 {
					replies = 6
				}
				for r := range replies {
					reply := storetest.NewReply(root, users[(i+r)%len(users)], "a reply")
					reply.AlsoToChannel = r == 5
					if _, _, err := s.AppendMessage(tb.Context(), reply); err != nil {
						tb.Error(err)
						return
					}
					msgs = append(msgs, reply)
				}
				if i%4 == 0 {
					lastRoots[w] = root
				}
				for _, m := range msgs {
					if err := react(m); err != nil {
						tb.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}

	root := lastRoots[0]
	for range 60 {
		storetest.MustAppendMessage(tb, s, storetest.NewReply(root, users[1], "late reply"))
	}
	return ch, root
}

// BenchmarkCountUnread counts the unread messages of a channel of 100,000
// messages for a reader whose marker is 50 or 5,000 Seq numbers behind the
// newest. Of the messages, one in ten is a reply kept in its thread, one in
// fifty is deleted, one in five is the reader's own, and one in twenty
// mentions the reader; the count reads the history index from the marker
// on, so it costs in proportion to the messages behind it, not to the
// channel.
func BenchmarkCountUnread(b *testing.B) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
	users := make([]*parley.User, 5)
	for i := range users {
		users[i] = storetest.MustCreateUser(b, s, "User")
	}
	ws, _ := storetest.MustCreateWorkspace(b, s, users[0], "Acme")
	ch := storetest.MustCreateChannel(b, s, ws, users[0], "busy", false)
	const size = 100_000
	msgs := newUnreadHistory(ch, users, size)
	if n, err := s.ImportMessages(b.Context(), ch.ID, msgs, nil); err != nil {
		b.Fatal(err)
	} else if n != size {
		b.Fatalf("ImportMessages=%d, want %d", n, size)
	}

	reader := users[0]
	for _, behind := range []int64{50, 5000} {
		b.Run(fmt.Sprint("Behind", behind), func(b *testing.B) {
			var unread int
			for b.Loop() {
				var err error
				var latest int64
				unread, _, latest, err = s.CountUnread(b.Context(), ch.ID, reader.ID, size-behind)
				if err != nil {
					b.Fatal(err)
				} else if latest != size {
					b.Fatalf("latest=%d, want %d", latest, size)
				}
			}
			b.ReportMetric(float64(unread), "unread")
		})
	}
}

// newUnreadHistory returns n messages of ch, not stored yet, as
// BenchmarkCountUnread describes them.
func newUnreadHistory(ch *parley.Channel, users []*parley.User, n int) []*parley.Message {
	msgs := make([]*parley.Message, 0, n)
	var root *parley.Message
	for i := range n {
		sender := users[i%len(users)]
		var m *parley.Message
		if i%10 == 9 {
			m = storetest.NewReply(root, sender, fmt.Sprint("a reply ", i))
		} else {
			m = storetest.NewChannelMessage(ch, sender, fmt.Sprint("a message ", i))
			root = m
		}
		m.ID = randomID("M", m.ID)
		m.Deleted = i%50 == 7
		if i%20 == 3 {
			m.Mentions = []string{users[0].ID, users[2].ID}
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// BenchmarkMarkRead moves a marker forward, which commits and waits for
// fsync as an append of one message does, and asks for a marker where it
// already is, which changes nothing and commits without waiting.
func BenchmarkMarkRead(b *testing.B) {
	s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
	ann, bob := storetest.MustCreateUser(b, s, "Ann"), storetest.MustCreateUser(b, s, "Bob")
	m := storetest.MustAppendMessage(b, s, storetest.NewDirectMessage(ann, bob, "hello"))

	b.Run("Forward", func(b *testing.B) {
		var seq int64
		for b.Loop() {
			seq++
			if _, err := s.MarkRead(b.Context(), bob.ID, m.ConversationID, seq); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Unchanged", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.MarkRead(b.Context(), ann.ID, m.ConversationID, m.Seq); err != nil {
				b.Fatal(err)
			}
		}
	})
}
