package sqlite_test

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/storetest"
)

// The sqlite store refuses an import whose messages do not agree with their
// conversation, since it ties the conversation's history to one channel;
// and a ClientMsgID its sender used already in the conversation.
func TestImportMessages_Refused(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann := storetest.MustCreateUser(t, s, "Ann")
	ws, general := storetest.MustCreateWorkspace(t, s, ann, "Acme")
	random := storetest.MustCreateChannel(t, s, ws, ann, "random", false)
	live := storetest.NewChannelMessage(general, ann, "live")
	live.ClientMsgID = "client-1"
	storetest.MustAppendMessage(t, s, live)

	elsewhere := storetest.NewChannelMessage(general, ann, "in another conversation")
	elsewhere.ConversationID = random.ID
	mixed := storetest.NewChannelMessage(random, ann, "in random")
	mixed.ConversationID = general.ID
	again := storetest.NewChannelMessage(general, ann, "imported")
	again.ClientMsgID = live.ClientMsgID
	for _, tt := range []struct {
		name string
		msg  *parley.Message
		code string
	}{
		{"OtherConversation", elsewhere, parley.EINVALID},
		{"OtherChannel", mixed, parley.EINVALID},
		{"ClientMsgIDUsed", again, parley.ECONFLICT},
	} {
		msgs := []*parley.Message{storetest.NewChannelMessage(general, ann, "fine"), tt.msg}
		n, err := s.ImportMessages(t.Context(), general.ID, msgs, nil)
		if code := parley.ErrorCode(err); code != tt.code || n != 0 {
			t.Fatalf("%s: ImportMessages=%d, err=%v, want 0 and code %q", tt.name, n, err, tt.code)
		}
	}

	// A pin to a channel that does not exist fails the import too.
	m := storetest.NewChannelMessage(general, ann, "pinned")
	pin := &parley.Pin{ChannelID: "no-such-channel", MessageID: m.ID, PinnedByID: ann.ID}
	n, err := s.ImportMessages(t.Context(), general.ID, []*parley.Message{m}, []*parley.Pin{pin})
	if code := parley.ErrorCode(err); code != parley.ENOTFOUND || n != 0 {
		t.Fatalf("pin to a missing channel: ImportMessages=%d, err=%v, want 0 and code %q",
			n, err, parley.ENOTFOUND)
	}

	page, err := s.Messages(t.Context(), general.ID, parley.MessageFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	} else if len(page.Messages) != 1 || page.Messages[0].ID != live.ID {
		t.Fatalf("%d messages in general, want only the live one", len(page.Messages))
	}
}

// An import and appends to the same conversation share the writer: the
// appends wait for the import's transaction or go before it, and every
// message gets its own Seq, with no gap.
func TestImportMessages_ConcurrentAppends(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "parley.db"))
	ann := storetest.MustCreateUser(t, s, "Ann")
	ws, general := storetest.MustCreateWorkspace(t, s, ann, "Acme")
	ch := storetest.MustCreateChannel(t, s, ws, ann, "busy", false)
	const imported, writers, each = 3000, 4, 50

	var wg sync.WaitGroup
	wg.Go(func() {
		msgs := make([]*parley.Message, imported)
		for i := range msgs {
			msgs[i] = storetest.NewChannelMessage(ch, ann, fmt.Sprint("imported ", i))
		}
		if n, err := s.ImportMessages(t.Context(), ch.ID, msgs, nil); err != nil {
			t.Errorf("ImportMessages: %v", err)
		} else if n != imported {
			t.Errorf("ImportMessages=%d, want %d", n, imported)
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				// Half the appends go to another channel, which waits for
				// the import all the same.
				target := ch
				if i%2 == 1 {
					target = general
				}
				m := storetest.NewChannelMessage(target, ann, fmt.Sprintf("live %d.%d", w, i))
				if _, _, err := s.AppendMessage(t.Context(), m); err != nil {
					t.Errorf("AppendMessage: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	for _, tt := range []struct {
		id   string
		want int
	}{
		{ch.ID, imported + writers*each/2},
		{general.ID, writers * each / 2},
	} {
		page, err := s.Messages(t.Context(), tt.id,
			parley.MessageFilter{After: new(int64(0)), Limit: tt.want + 1})
		if err != nil {
			t.Fatal(err)
		} else if len(page.Messages) != tt.want {
			t.Fatalf("%s has %d messages, want %d", tt.id, len(page.Messages), tt.want)
		}
		for i, m := range page.Messages {
			if m.Seq != int64(i+1) {
				t.Fatalf("%s: Messages[%d].Seq=%d, want %d", tt.id, i, m.Seq, i+1)
			}
		}
	}
}

// BenchmarkImportMessages imports the history of a channel in one call, as
// the Slack importer does: a quarter of the messages are roots with three
// replies, one of them sent to the channel too, every other message has a
// reaction or two, and every message has a ClientMsgID, as Slack's do. Each
// iteration fills a new channel; msgs/s counts the messages stored.
func BenchmarkImportMessages(b *testing.B) {
	for _, size := range []int{1000, 10000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			s := MustOpen(b, filepath.Join(b.TempDir(), "parley.db"))
			users := make([]*parley.User, 4)
			for i := range users {
				users[i] = storetest.MustCreateUser(b, s, "User")
			}
			ws, _ := storetest.MustCreateWorkspace(b, s, users[0], "Acme")

			var stored int
			for b.Loop() {
				b.StopTimer()
				name := storetest.NewID("import")
				ch := storetest.MustCreateChannel(b, s, ws, users[0], name, false)
				msgs := newHistory(ch, users, size)
				b.StartTimer()

				n, err := s.ImportMessages(b.Context(), ch.ID, msgs, nil)
				if err != nil {
					b.Fatal(err)
				} else if n != size {
					b.Fatalf("ImportMessages=%d, want %d", n, size)
				}
				stored += n
			}
			b.ReportMetric(float64(stored)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// newHistory returns n messages of ch, not stored yet, as
// BenchmarkImportMessages describes them.
func newHistory(ch *parley.Channel, users []*parley.User, n int) []*parley.Message {
	msgs := make([]*parley.Message, 0, n)
	var root *parley.Message
	for i := range n {
		sender := users[i%len(users)]
		var m *parley.Message
		switch i % 4 {
		case 0:
			m = storetest.NewChannelMessage(ch, sender, fmt.Sprint("a root with replies ", i))
			m.Mentions = []string{users[(i+1)%len(users)].ID}
			root = m
		default:
			m = storetest.NewReply(root, sender, fmt.Sprint("a reply ", i))
			m.AlsoToChannel = i%4 == 3
			root.ReplyCount++
			root.LastReplyAt = &m.CreatedAt
		}
		// The importer derives IDs from hashes, so they come in no order.
		m.ID = randomID("M", m.ID)
		m.ClientMsgID = randomID("", m.ID)
		if i%2 == 0 {
			m.Reactions = []parley.Reaction{
				{Name: "+1", Count: 2, UserIDs: []string{users[0].ID, users[1].ID}},
			}
		}
		if i%6 == 0 {
			m.Reactions = append(m.Reactions,
				parley.Reaction{Name: "tada", Count: 1, UserIDs: []string{users[2].ID}})
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// randomID returns an ID made from a hash of key, as the importer makes
// them: as long, and in no order.
func randomID(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])[:26]
}
