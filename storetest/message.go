package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parleychat/parley"
)

var messageCases = []testCase{
	{"AppendMessage/OK", testAppendMessageOK},
	{"AppendMessage/DirectMessage", testAppendMessageDirect},
	{"AppendMessage/SeqStrictlyIncreasing", testAppendMessageSeqIncreasing},
	{"AppendMessage/SeqPerConversation", testAppendMessageSeqPerConversation},
	{"AppendMessage/SeqNotReusedAfterDelete", testAppendMessageSeqNotReused},
	{"AppendMessage/IdempotentClientMsgID", testAppendMessageIdempotent},
	{"AppendMessage/ClientMsgIDPerSenderAndConversation", testAppendMessageClientMsgIDScope},
	{"AppendMessage/NoClientMsgIDNoDedup", testAppendMessageNoClientMsgID},
	{"AppendMessage/ConcurrentAppendsNoDuplicateSeq", testAppendMessageConcurrent},
	{"AppendMessage/ConcurrentDuplicatesStoredOnce", testAppendMessageConcurrentDuplicates},
	{"AppendMessage/ErrConflictID", testAppendMessageErrConflictID},
	{"Messages/PagingBeforeAfterHasMore", testMessagesPaging},
	{"Messages/WalkWholeHistory", testMessagesWalk},
	{"Messages/Empty", testMessagesEmpty},
}

// newChat returns a store with a user in a workspace and a channel of it.
func newChat(t *testing.T, s parley.Store) (*parley.User, *parley.Channel) {
	t.Helper()
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	return ann, MustCreateChannel(t, s, ws, ann, "random", false)
}

func testAppendMessageOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := NewChannelMessage(ch, ann, "hello")
	m.ClientMsgID = "client-1"
	want := *m

	stored, created, err := s.AppendMessage(t.Context(), m)
	checkOK(t, "AppendMessage", err)
	checkBool(t, "created", created, true)
	if m.Seq != 1 {
		t.Fatalf("m.Seq=%d, want 1", m.Seq)
	}
	want.Seq = 1
	checkMessage(t, stored, &want)

	checkHistory(t, s, ch.ID, &want)
}

// Both directions of a direct conversation are one history.
func testAppendMessageDirect(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	first := NewDirectMessage(ann, bob, "hi Bob")
	reply := NewDirectMessage(bob, ann, "hi Ann")

	checkMessage(t, MustAppendMessage(t, s, first), first)
	checkMessage(t, MustAppendMessage(t, s, reply), reply)
	if first.Seq != 1 || reply.Seq != 2 {
		t.Fatalf("Seq=%d and %d, want 1 and 2", first.Seq, reply.Seq)
	}
	checkHistory(t, s, parley.DMConversationID(ann.ID, bob.ID), first, reply)
}

func testAppendMessageSeqIncreasing(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)

	for i := range 20 {
		stored := MustAppendMessage(t, s, NewChannelMessage(ch, ann, fmt.Sprint("message ", i)))
		if stored.Seq != int64(i+1) {
			t.Fatalf("Seq=%d, want %d", stored.Seq, i+1)
		}
	}
}

// Each conversation counts from 1 on its own.
func testAppendMessageSeqPerConversation(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, random := MustCreateWorkspace(t, s, ann, "Acme")
	other := MustCreateChannel(t, s, ws, ann, "other", false)

	for i := range 3 {
		for _, m := range []*parley.Message{
			NewChannelMessage(random, ann, "in random"),
			NewChannelMessage(other, ann, "in other"),
			NewDirectMessage(ann, bob, "direct"),
		} {
			if stored := MustAppendMessage(t, s, m); stored.Seq != int64(i+1) {
				t.Fatalf("%s: Seq=%d, want %d", m.ConversationID, stored.Seq, i+1)
			}
		}
	}
}

// Messages are removed only with their whole channel; DeleteMessage leaves
// a tombstone in the message's place. A store may refuse a message for a
// deleted channel, with ENOTFOUND, or store it, but then with a Seq that
// was never handed out before.
func testAppendMessageSeqNotReused(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	for range 3 {
		MustAppendMessage(t, s, NewChannelMessage(ch, ann, "before"))
	}
	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), ch.ID))

	stored, _, err := s.AppendMessage(t.Context(), NewChannelMessage(ch, ann, "after"))
	if err != nil {
		checkCode(t, err, parley.ENOTFOUND)
	} else if stored.Seq <= 3 {
		t.Fatalf("Seq=%d, want more than 3", stored.Seq)
	}
}

// A message sent again with the same ClientMsgID, as a client does when it
// did not see the answer, is stored once.
func testAppendMessageIdempotent(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	first := NewChannelMessage(ch, ann, "once")
	first.ClientMsgID = "retry-me"
	MustAppendMessage(t, s, first)

	again := NewChannelMessage(ch, ann, "once, again")
	again.ClientMsgID = "retry-me"
	stored, created, err := s.AppendMessage(t.Context(), again)
	checkOK(t, "AppendMessage", err)
	checkBool(t, "created", created, false)
	checkMessage(t, stored, first)

	checkHistory(t, s, ch.ID, first)
	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "next"))
	if next.Seq != 2 {
		t.Fatalf("Seq=%d, want 2", next.Seq)
	}
}

// A ClientMsgID is the sender's own, in one conversation: another sender, or
// the same sender elsewhere, may use it too.
func testAppendMessageClientMsgIDScope(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")

	for _, m := range []*parley.Message{
		NewChannelMessage(ch, ann, "from Ann"),
		NewChannelMessage(ch, bob, "from Bob"),
		NewDirectMessage(ann, bob, "direct from Ann"),
	} {
		m.ClientMsgID = "same"
		MustAppendMessage(t, s, m)
	}
}

func testAppendMessageNoClientMsgID(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	first := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "same text"))
	second := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "same text"))

	checkHistory(t, s, ch.ID, first, second)
}

// Many writers in one conversation get each Seq from 1 to N exactly once,
// and each writer's own messages in the order it sent them.
func testAppendMessageConcurrent(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	const writers, each = 8, 25

	seqs := make([][]int64, writers)
	ids := make(map[int64]string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := NewChannelMessage(ch, ann, fmt.Sprintf("writer %d message %d", w, i))
				stored, _, err := s.AppendMessage(t.Context(), m)
				if err != nil {
					t.Errorf("AppendMessage: %v", err)
					return
				}
				seqs[w] = append(seqs[w], stored.Seq)

				mu.Lock()
				if id, ok := ids[stored.Seq]; ok {
					t.Errorf("Seq=%d given to %s and %s", stored.Seq, id, stored.ID)
				}
				ids[stored.Seq] = stored.ID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	for w, list := range seqs {
		if !slices.IsSorted(list) {
			t.Fatalf("writer %d got Seq=%v, want increasing", w, list)
		}
	}
	for seq := int64(1); seq <= writers*each; seq++ {
		if _, ok := ids[seq]; !ok {
			t.Fatalf("no message got Seq=%d, want every Seq from 1 to %d", seq, writers*each)
		}
	}

	page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{After: ptr(0), Limit: writers * each})
	checkOK(t, "Messages", err)
	checkBool(t, "HasMore", page.HasMore, false)
	for i, m := range page.Messages {
		if m.Seq != int64(i+1) {
			t.Fatalf("Messages[%d].Seq=%d, want %d", i, m.Seq, i+1)
		} else if m.ID != ids[m.Seq] {
			t.Fatalf("Seq=%d has ID=%q, want %q", m.Seq, m.ID, ids[m.Seq])
		}
	}
}

// Retries that race the original, as from a client that sent on two
// connections, still store one message, and every caller gets it.
func testAppendMessageConcurrentDuplicates(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	const callers = 16

	results := make([]*parley.Message, callers)
	created := make([]bool, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			m := NewChannelMessage(ch, ann, fmt.Sprint("attempt ", i))
			m.ClientMsgID = "raced"
			var err error
			results[i], created[i], err = s.AppendMessage(t.Context(), m)
			if err != nil {
				t.Errorf("AppendMessage: %v", err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	winner := slices.Index(created, true)
	if n := len(slices.DeleteFunc(slices.Clone(created), func(c bool) bool { return !c })); n != 1 {
		t.Fatalf("%d of %d calls created the message, want 1", n, callers)
	}
	for _, m := range results {
		checkMessage(t, m, results[winner])
	}
	checkHistory(t, s, ch.ID, results[winner])
}

// A refused message takes no Seq.
func testAppendMessageErrConflictID(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	first := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "first"))

	dup := NewChannelMessage(ch, ann, "same ID")
	dup.ID = first.ID
	_, _, err := s.AppendMessage(t.Context(), dup)
	checkCode(t, err, parley.ECONFLICT)

	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "next"))
	if next.Seq != 2 {
		t.Fatalf("Seq=%d, want 2", next.Seq)
	}
	checkHistory(t, s, ch.ID, first, next)
}

func testMessagesPaging(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	for i := range 10 {
		MustAppendMessage(t, s, NewChannelMessage(ch, ann, fmt.Sprint("message ", i+1)))
	}

	for _, tt := range []pageCase{
		{"Newest", parley.MessageFilter{Limit: 3}, []int64{8, 9, 10}, true},
		{"NewestOne", parley.MessageFilter{Limit: 1}, []int64{10}, true},
		{"NewestAll", parley.MessageFilter{Limit: 10}, seqRange(1, 10), false},
		{"NewestBeyondAll", parley.MessageFilter{Limit: 50}, seqRange(1, 10), false},
		{"Before8", parley.MessageFilter{Before: ptr(8), Limit: 3}, []int64{5, 6, 7}, true},
		{"Before4", parley.MessageFilter{Before: ptr(4), Limit: 3}, []int64{1, 2, 3}, false},
		{"Before3", parley.MessageFilter{Before: ptr(3), Limit: 3}, []int64{1, 2}, false},
		{"Before1", parley.MessageFilter{Before: ptr(1), Limit: 3}, nil, false},
		{"BeforeBeyondNewest", parley.MessageFilter{Before: ptr(100), Limit: 2}, []int64{9, 10}, true},
		{"After0", parley.MessageFilter{After: ptr(0), Limit: 3}, []int64{1, 2, 3}, true},
		{"After6", parley.MessageFilter{After: ptr(6), Limit: 3}, []int64{7, 8, 9}, true},
		{"After7", parley.MessageFilter{After: ptr(7), Limit: 3}, []int64{8, 9, 10}, false},
		{"After8", parley.MessageFilter{After: ptr(8), Limit: 3}, []int64{9, 10}, false},
		{"After10", parley.MessageFilter{After: ptr(10), Limit: 3}, nil, false},
	} {
		checkPage(t, s, ch.ID, tt)
	}
}

// Paging by after= from 0, as a client catching up does, and by before=
// from the newest page, as a client scrolling back does, each meets every
// message exactly once.
func testMessagesWalk(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	for i := range 11 {
		MustAppendMessage(t, s, NewChannelMessage(ch, ann, fmt.Sprint("message ", i+1)))
	}

	var forward []int64
	for after, more := int64(0), true; more; {
		page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{After: &after, Limit: 4})
		checkOK(t, "Messages", err)
		if len(page.Messages) == 0 || len(forward) > 11 {
			t.Fatalf("after=%d: %d messages, HasMore=%t; walked %v so far",
				after, len(page.Messages), page.HasMore, forward)
		}
		forward = append(forward, pageSeqs(page)...)
		more = page.HasMore
		after = forward[len(forward)-1]
	}
	if want := seqRange(1, 11); !slices.Equal(forward, want) {
		t.Fatalf("forward: Seq=%v, want %v", forward, want)
	}

	page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{Limit: 4})
	checkOK(t, "Messages", err)
	backward := pageSeqs(page)
	for page.HasMore {
		page, err = s.Messages(t.Context(), ch.ID, parley.MessageFilter{Before: &backward[0], Limit: 4})
		checkOK(t, "Messages", err)
		if len(page.Messages) == 0 || len(backward) > 11 {
			t.Fatalf("before=%d: %d messages, HasMore=%t; walked %v so far",
				backward[0], len(page.Messages), page.HasMore, backward)
		}
		backward = append(pageSeqs(page), backward...)
	}
	if want := seqRange(1, 11); !slices.Equal(backward, want) {
		t.Fatalf("backward: Seq=%v, want %v", backward, want)
	}
}

// A conversation with no messages has an empty history, not ENOTFOUND: a
// new channel or direct conversation is one.
func testMessagesEmpty(t *testing.T, s parley.Store) {
	_, ch := newChat(t, s)

	for _, f := range []parley.MessageFilter{
		{Limit: 50},
		{Before: ptr(10), Limit: 50},
		{After: ptr(0), Limit: 50},
	} {
		page, err := s.Messages(t.Context(), ch.ID, f)
		checkOK(t, "Messages", err)
		if len(page.Messages) != 0 || page.HasMore {
			t.Fatalf("Messages has %d messages, HasMore=%t; want none, false",
				len(page.Messages), page.HasMore)
		}
	}
	checkHistory(t, s, parley.DMConversationID(NewID("user"), NewID("user")))
}

// pageCase is a page of a conversation, chosen by f, and the Seq numbers
// and HasMore it must have.
type pageCase struct {
	name    string
	f       parley.MessageFilter
	seqs    []int64
	hasMore bool
}

// checkPage fails t unless the page of the conversation that tt.f chooses
// has the Seq numbers and HasMore of tt, and returns the page.
func checkPage(t testing.TB, s parley.Store, conversationID string,
	tt pageCase) *parley.MessagePage {
	t.Helper()
	page, err := s.Messages(t.Context(), conversationID, tt.f)
	checkOK(t, tt.name, err)
	if got := pageSeqs(page); !slices.Equal(got, tt.seqs) {
		t.Fatalf("%s: Seq=%v, want %v", tt.name, got, tt.seqs)
	} else if page.HasMore != tt.hasMore {
		t.Fatalf("%s: HasMore=%t, want %t", tt.name, page.HasMore, tt.hasMore)
	}
	return page
}

// checkStoredMessage fails t unless Message returns want, with all its
// stored fields and its reactions.
func checkStoredMessage(t testing.TB, s parley.Store, want *parley.Message) {
	t.Helper()
	got, err := s.Message(t.Context(), want.ID)
	checkOK(t, "Message", err)
	checkMessage(t, got, want)
}

// checkHistory fails t unless the conversation holds exactly want, in
// order, with all their stored fields.
func checkHistory(t testing.TB, s parley.Store, conversationID string, want ...*parley.Message) {
	t.Helper()
	page, err := s.Messages(t.Context(), conversationID, parley.MessageFilter{Limit: 200})
	checkOK(t, "Messages", err)
	if len(page.Messages) != len(want) {
		t.Fatalf("%s has %d messages, want %d", conversationID, len(page.Messages), len(want))
	}
	for i, m := range page.Messages {
		checkMessage(t, m, want[i])
	}
}

// checkMessage fails t unless got has the stored fields of want. The emails
// in Sender and Receiver are the service's to fill in, so they are not
// compared.
func checkMessage(t testing.TB, got, want *parley.Message) {
	t.Helper()
	switch {
	case got.ID != want.ID:
		t.Fatalf("ID=%q, want %q", got.ID, want.ID)
	case got.Seq != want.Seq:
		t.Fatalf("Seq=%d, want %d", got.Seq, want.Seq)
	case got.ConversationID != want.ConversationID:
		t.Fatalf("ConversationID=%q, want %q", got.ConversationID, want.ConversationID)
	case got.WorkspaceID != want.WorkspaceID:
		t.Fatalf("WorkspaceID=%q, want %q", got.WorkspaceID, want.WorkspaceID)
	case got.ChannelID != want.ChannelID:
		t.Fatalf("ChannelID=%q, want %q", got.ChannelID, want.ChannelID)
	case got.ReceiverID != want.ReceiverID:
		t.Fatalf("ReceiverID=%q, want %q", got.ReceiverID, want.ReceiverID)
	case got.SenderID != want.SenderID:
		t.Fatalf("SenderID=%q, want %q", got.SenderID, want.SenderID)
	case got.Text != want.Text:
		t.Fatalf("Text=%q, want %q", got.Text, want.Text)
	case !got.CreatedAt.Equal(want.CreatedAt.Time):
		t.Fatalf("CreatedAt=%v, want %v", got.CreatedAt, want.CreatedAt)
	case got.ClientMsgID != want.ClientMsgID:
		t.Fatalf("ClientMsgID=%q, want %q", got.ClientMsgID, want.ClientMsgID)
	case got.ParentID != want.ParentID:
		t.Fatalf("ParentID=%q, want %q", got.ParentID, want.ParentID)
	case got.AlsoToChannel != want.AlsoToChannel:
		t.Fatalf("AlsoToChannel=%t, want %t", got.AlsoToChannel, want.AlsoToChannel)
	case got.ReplyCount != want.ReplyCount:
		t.Fatalf("ReplyCount=%d, want %d", got.ReplyCount, want.ReplyCount)
	case !sameTime(got.LastReplyAt, want.LastReplyAt):
		t.Fatalf("LastReplyAt=%s, want %s", timeString(got.LastReplyAt), timeString(want.LastReplyAt))
	case !sameTime(got.EditedAt, want.EditedAt):
		t.Fatalf("EditedAt=%s, want %s", timeString(got.EditedAt), timeString(want.EditedAt))
	case got.Deleted != want.Deleted:
		t.Fatalf("Deleted=%t, want %t", got.Deleted, want.Deleted)
	case !slices.Equal(got.Mentions, want.Mentions):
		t.Fatalf("Mentions=%q, want %q", got.Mentions, want.Mentions)
	}
	checkReactions(t, got.Reactions, want.Reactions)
}

// checkReactions fails t unless got has the names, counts and user IDs of
// want, in order. The emails in Users are the service's to fill in, so they
// are not compared.
func checkReactions(t testing.TB, got, want []parley.Reaction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Reactions=%v, want %v", got, want)
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].Count != want[i].Count ||
			!slices.Equal(got[i].UserIDs, want[i].UserIDs) {
			t.Fatalf("Reactions[%d]=%+v, want %+v", i, got[i], want[i])
		}
	}
}

// sameTime reports whether a and b are both nil or the same time.
func sameTime(a, b *parley.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b.Time)
}

// timeString formats an optional time for a failure message.
func timeString(t *parley.Time) string {
	if t == nil {
		return "nil"
	}
	return t.String()
}

// pageSeqs returns the Seq numbers of page, in order.
func pageSeqs(page *parley.MessagePage) []int64 {
	var seqs []int64
	for _, m := range page.Messages {
		seqs = append(seqs, m.Seq)
	}
	return seqs
}

// seqRange returns the numbers from first to last.
func seqRange(first, last int64) []int64 {
	var seqs []int64
	for seq := first; seq <= last; seq++ {
		seqs = append(seqs, seq)
	}
	return seqs
}

// ptr returns a pointer to a Seq, for a [parley.MessageFilter].
func ptr(seq int64) *int64 {
	return &seq
}
