package postgres_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/postgres"
	"github.com/parleychat/parley/storetest"
)

// Two Stores on one database, each with its own pool of connections, stand
// for two nodes. Appends to one conversation through both at once get each
// Seq from 1 to N exactly once, and record their changes at each position
// from 1 to N exactly once.
func TestAppendMessage_TwoNodesNoDuplicateNoGap(t *testing.T) {
	dsn := NewDatabase(t)
	nodes := []*postgres.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
	ann := storetest.MustCreateUser(t, nodes[0], "Ann")
	ws, _ := storetest.MustCreateWorkspace(t, nodes[1], ann, "Acme")
	ch := storetest.MustCreateChannel(t, nodes[0], ws, ann, "busy", false)
	const writers, each = 16, 25

	var mu sync.Mutex
	bySeq := make(map[int64]string)
	byPos := make(map[int64]string)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			node := nodes[w%len(nodes)]
			for i := range each {
				m := storetest.NewChannelMessage(ch, ann, fmt.Sprintf("writer %d message %d", w, i))
				c := &parley.Change{Stream: ch.ID, Type: "message", Data: []byte(`{}`),
					CreatedAt: m.CreatedAt}
				stored, created, err := node.AppendMessage(t.Context(), m, c)
				if err != nil || !created {
					t.Errorf("AppendMessage: created=%t, err=%v", created, err)
					return
				}

				mu.Lock()
				if id, ok := bySeq[stored.Seq]; ok {
					t.Errorf("Seq=%d given to %s and %s", stored.Seq, id, stored.ID)
				} else if id, ok := byPos[c.Pos]; ok {
					t.Errorf("Pos=%d given to the changes of %s and %s", c.Pos, id, stored.ID)
				}
				bySeq[stored.Seq], byPos[c.Pos] = stored.ID, stored.ID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	const total = writers * each
	for n := int64(1); n <= total; n++ {
		if _, ok := bySeq[n]; !ok {
			t.Fatalf("no message got Seq=%d, want every Seq from 1 to %d", n, total)
		} else if _, ok := byPos[n]; !ok {
			t.Fatalf("no change got Pos=%d, want every Pos from 1 to %d", n, total)
		}
	}
	for _, node := range nodes {
		page, err := node.Messages(t.Context(), ch.ID, parley.MessageFilter{Limit: total})
		if err != nil {
			t.Fatalf("Messages: %v", err)
		} else if len(page.Messages) != total || page.HasMore {
			t.Fatalf("Messages: %d messages, HasMore=%t; want %d, false",
				len(page.Messages), page.HasMore, total)
		}
		for i, m := range page.Messages {
			if m.Seq != int64(i+1) || m.ID != bySeq[m.Seq] {
				t.Fatalf("Messages[%d]: Seq=%d ID=%q, want Seq=%d ID=%q", i, m.Seq, m.ID, i+1,
					bySeq[int64(i+1)])
			}
		}
	}
}

// A message sent again through another node with the same ClientMsgID, as
// a client that lost its connection does, is stored once: the other node
// returns the first message, records no change, and takes no Seq.
func TestAppendMessage_ClientMsgIDAcrossNodes(t *testing.T) {
	dsn := NewDatabase(t)
	first, second := MustOpen(t, dsn), MustOpen(t, dsn)
	ann := storetest.MustCreateUser(t, first, "Ann")
	ws, _ := storetest.MustCreateWorkspace(t, first, ann, "Acme")
	ch := storetest.MustCreateChannel(t, first, ws, ann, "random", false)

	sent := storetest.NewChannelMessage(ch, ann, "once")
	sent.ClientMsgID = "retry-me"
	storetest.MustAppendMessage(t, first, sent)

	again := storetest.NewChannelMessage(ch, ann, "once, sent again")
	again.ClientMsgID = sent.ClientMsgID
	c := &parley.Change{Stream: ch.ID, Type: "message", Data: []byte(`{}`)}
	got, created, err := second.AppendMessage(t.Context(), again, c)
	if err != nil {
		t.Fatalf("AppendMessage through the second node: %v", err)
	} else if created {
		t.Fatalf("created=true, want false")
	} else if got.ID != sent.ID || got.Seq != 1 || got.Text != sent.Text {
		t.Fatalf("AppendMessage returned %s (Seq=%d, %q), want %s (Seq=1, %q)",
			got.ID, got.Seq, got.Text, sent.ID, sent.Text)
	} else if c.Pos != 0 {
		t.Fatalf("Pos=%d for a repeat, want 0", c.Pos)
	}

	next := storetest.MustAppendMessage(t, second, storetest.NewChannelMessage(ch, ann, "next"))
	if next.Seq != 2 {
		t.Fatalf("Seq after the repeat=%d, want 2", next.Seq)
	}
}

// Retries racing through both nodes at once store one message, and every
// caller gets it.
func TestAppendMessage_ConcurrentRetriesAcrossNodes(t *testing.T) {
	dsn := NewDatabase(t)
	nodes := []*postgres.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
	ann := storetest.MustCreateUser(t, nodes[0], "Ann")
	bob := storetest.MustCreateUser(t, nodes[0], "Bob")
	const callers = 16

	results := make([]*parley.Message, callers)
	created := make([]bool, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			m := storetest.NewDirectMessage(ann, bob, fmt.Sprint("attempt ", i))
			m.ClientMsgID = "raced"
			var err error
			results[i], created[i], err = nodes[i%2].AppendMessage(t.Context(), m)
			if err != nil {
				t.Errorf("AppendMessage: %v", err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	winners := slices.DeleteFunc(slices.Clone(created), func(c bool) bool { return !c })
	if len(winners) != 1 {
		t.Fatalf("%d of %d calls created the message, want 1", len(winners), callers)
	}
	winner := results[slices.Index(created, true)]
	for i, m := range results {
		if m.ID != winner.ID || m.Seq != 1 {
			t.Fatalf("call %d got %s (Seq=%d), want %s (Seq=1)", i, m.ID, m.Seq, winner.ID)
		}
	}
}

// Appends that record changes in the same two streams, given in opposite
// orders, through two nodes at once, all succeed: the store takes the
// streams' counters in one order whatever the order of the changes, so no
// two of them can each hold one counter and wait for the other, which
// PostgreSQL would end by failing one of them.
func TestAppendMessage_ChangesInOppositeOrders(t *testing.T) {
	dsn := NewDatabase(t)
	nodes := []*postgres.Store{MustOpen(t, dsn), MustOpen(t, dsn)}
	users := make([]*parley.User, 4)
	for i := range users {
		users[i] = storetest.MustCreateUser(t, nodes[0], "User")
	}
	streams := []string{storetest.NewID("stream"), storetest.NewID("stream")}
	const writers, each = 8, 25

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			first, second := streams[w%2], streams[1-w%2]
			sender, receiver := users[w%len(users)], users[(w+1)%len(users)]
			for range each {
				m := storetest.NewDirectMessage(sender, receiver, "hello")
				_, _, err := nodes[w%2].AppendMessage(t.Context(), m,
					&parley.Change{Stream: first, Type: "note", Data: []byte(`{}`)},
					&parley.Change{Stream: second, Type: "note", Data: []byte(`{}`)})
				if err != nil {
					t.Errorf("AppendMessage: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}
