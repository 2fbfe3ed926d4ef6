package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parleychat/parley"
)

var threadCases = []testCase{
	{"AppendMessage/ReplyUpdatesRoot", testAppendMessageReplyUpdatesRoot},
	{"AppendMessage/ReplyFields", testAppendMessageReplyFields},
	{"AppendMessage/DuplicateReplyCountsOnce", testAppendMessageDuplicateReplyCountsOnce},
	{"AppendMessage/ConcurrentRepliesCounted", testAppendMessageConcurrentReplies},
	{"AppendMessage/ConcurrentDuplicateRepliesCountOnce", testAppendMessageConcurrentDuplicateReplies},
	{"Messages/HistoryLeavesOutReplies", testMessagesHistoryLeavesOutReplies},
	{"Messages/AlsoToChannelInHistory", testMessagesAlsoToChannelInHistory},
	{"Messages/IncludeReplies", testMessagesIncludeReplies},
	{"Messages/ThreadPaging", testMessagesThreadPaging},
	{"Messages/HasMoreWithinSelection", testMessagesHasMoreWithinSelection},
	{"Messages/ThreadInDirectConversation", testMessagesThreadInDirectConversation},
	{"DeleteMessage/KeepsRepliesAndSeq", testDeleteMessageKeepsRepliesAndSeq},
}

// A reply takes the next Seq of the conversation, and its root counts it
// and takes its time as LastReplyAt; other messages are untouched.
func testAppendMessageReplyUpdatesRoot(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	other := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "other"))

	first := NewReply(root, bob, "first reply")
	first.CreatedAt = minute(7)
	if stored := MustAppendMessage(t, s, first); stored.Seq != 3 {
		t.Fatalf("Seq=%d, want 3", stored.Seq)
	}
	root.ReplyCount, root.LastReplyAt = 1, new(minute(7))
	checkStoredMessage(t, s, root)

	second := NewReply(root, ann, "second reply")
	second.CreatedAt = minute(8)
	MustAppendMessage(t, s, second)
	root.ReplyCount, root.LastReplyAt = 2, new(minute(8))
	checkStoredMessage(t, s, root)

	checkStoredMessage(t, s, first)
	checkStoredMessage(t, s, other)
}

// A reply keeps its parent, AlsoToChannel and mentions.
func testAppendMessageReplyFields(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))

	reply := NewReply(root, bob, "<@"+ann.ID+"> see this")
	reply.AlsoToChannel = true
	reply.Mentions = []string{ann.ID}
	reply.ClientMsgID = "client-1"
	stored, created, err := s.AppendMessage(t.Context(), reply)
	checkOK(t, "AppendMessage", err)
	checkBool(t, "created", created, true)
	checkMessage(t, stored, reply)

	checkStoredMessage(t, s, reply)
}

// A reply sent again with the same ClientMsgID is stored once and counted
// once.
func testAppendMessageDuplicateReplyCountsOnce(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	reply := NewReply(root, ann, "once")
	reply.ClientMsgID = "retry-me"
	MustAppendMessage(t, s, reply)

	again := NewReply(root, ann, "once, again")
	again.ClientMsgID = "retry-me"
	again.CreatedAt = minute(9)
	stored, created, err := s.AppendMessage(t.Context(), again)
	checkOK(t, "AppendMessage", err)
	checkBool(t, "created", created, false)
	checkMessage(t, stored, reply)

	root.ReplyCount, root.LastReplyAt = 1, new(reply.CreatedAt)
	checkStoredMessage(t, s, root)
	checkThread(t, s, root, reply)
}

// Replies appended at once, to the same root, are each counted.
func testAppendMessageConcurrentReplies(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	const writers, each = 8, 10

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				reply := NewReply(root, ann, fmt.Sprintf("writer %d reply %d", w, i))
				if _, _, err := s.AppendMessage(t.Context(), reply); err != nil {
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

	got, err := s.Message(t.Context(), root.ID)
	checkOK(t, "Message", err)
	if got.ReplyCount != writers*each {
		t.Fatalf("ReplyCount=%d, want %d", got.ReplyCount, writers*each)
	}
	page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{ParentID: root.ID, Limit: 200})
	checkOK(t, "Messages", err)
	if len(page.Messages) != writers*each {
		t.Fatalf("thread has %d replies, want %d", len(page.Messages), writers*each)
	}
}

// Retries of a reply that race the original are stored once and counted
// once.
func testAppendMessageConcurrentDuplicateReplies(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	const callers = 16

	var created sync.Map
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			reply := NewReply(root, ann, fmt.Sprint("attempt ", i))
			reply.ClientMsgID = "raced"
			stored, ok, err := s.AppendMessage(t.Context(), reply)
			if err != nil {
				t.Errorf("AppendMessage: %v", err)
			} else if ok {
				created.Store(stored.ID, stored)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	var winners []*parley.Message
	created.Range(func(_, m any) bool {
		winners = append(winners, m.(*parley.Message))
		return true
	})
	if len(winners) != 1 {
		t.Fatalf("%d of %d calls created the reply, want 1", len(winners), callers)
	}
	root.ReplyCount, root.LastReplyAt = 1, new(winners[0].CreatedAt)
	checkStoredMessage(t, s, root)
	checkThread(t, s, root, winners[0])
}

// The history holds the messages that are not replies, each root with its
// count, and no reply sent without AlsoToChannel.
func testMessagesHistoryLeavesOutReplies(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	MustAppendMessage(t, s, NewReply(root, ann, "reply 1"))
	MustAppendMessage(t, s, NewReply(root, ann, "reply 2"))
	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "next"))

	root.ReplyCount, root.LastReplyAt = 2, new(minute(4))
	checkHistory(t, s, ch.ID, root, next)
	if next.Seq != 4 {
		t.Fatalf("Seq=%d, want 4", next.Seq)
	}
}

// A reply sent with AlsoToChannel is in the history and in its thread.
func testMessagesAlsoToChannelInHistory(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	hidden, shown := mustAppendTwoReplies(t, s, root, ann, ann)

	root.ReplyCount, root.LastReplyAt = 2, new(minute(4))
	checkHistory(t, s, ch.ID, root, shown)
	checkThread(t, s, root, hidden, shown)
}

// IncludeReplies lists every message of the conversation.
func testMessagesIncludeReplies(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	hidden, shown := mustAppendTwoReplies(t, s, root, ann, ann)
	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "next"))
	root.ReplyCount, root.LastReplyAt = 2, new(minute(4))

	page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{IncludeReplies: true, Limit: 50})
	checkOK(t, "Messages", err)
	checkBool(t, "HasMore", page.HasMore, false)
	want := []*parley.Message{root, hidden, shown, next}
	if len(page.Messages) != len(want) {
		t.Fatalf("%d messages, want %d", len(page.Messages), len(want))
	}
	for i, m := range page.Messages {
		checkMessage(t, m, want[i])
	}
}

// A thread pages as the history does, by the replies' Seq, and holds only
// the replies of its own root, interleaved as they are with other messages.
func testMessagesThreadPaging(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	other := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "other root"))

	// Seq 3 to 22: the replies of root have the odd Seq numbers.
	var seqs []int64
	for i := range 10 {
		r := MustAppendMessage(t, s, NewReply(root, ann, fmt.Sprint("reply ", i+1)))
		seqs = append(seqs, r.Seq)
		if i%2 == 0 {
			MustAppendMessage(t, s, NewReply(other, ann, "elsewhere"))
		} else {
			MustAppendMessage(t, s, NewChannelMessage(ch, ann, "in the channel"))
		}
	}
	if want := []int64{3, 5, 7, 9, 11, 13, 15, 17, 19, 21}; !slices.Equal(seqs, want) {
		t.Fatalf("replies got Seq=%v, want %v", seqs, want)
	}

	for _, tt := range []pageCase{
		{"Newest", parley.MessageFilter{Limit: 3}, []int64{17, 19, 21}, true},
		{"NewestAll", parley.MessageFilter{Limit: 10}, seqs, false},
		{"NewestBeyondAll", parley.MessageFilter{Limit: 50}, seqs, false},
		{"Before17", parley.MessageFilter{Before: ptr(17), Limit: 3}, []int64{11, 13, 15}, true},
		{"Before8", parley.MessageFilter{Before: ptr(8), Limit: 3}, []int64{3, 5, 7}, false},
		{"Before6", parley.MessageFilter{Before: ptr(6), Limit: 3}, []int64{3, 5}, false},
		{"Before3", parley.MessageFilter{Before: ptr(3), Limit: 3}, nil, false},
		{"After0", parley.MessageFilter{After: ptr(0), Limit: 3}, []int64{3, 5, 7}, true},
		{"After14", parley.MessageFilter{After: ptr(14), Limit: 3}, []int64{15, 17, 19}, true},
		{"After16", parley.MessageFilter{After: ptr(16), Limit: 3}, []int64{17, 19, 21}, false},
		{"After21", parley.MessageFilter{After: ptr(21), Limit: 3}, nil, false},
	} {
		tt.f.ParentID = root.ID
		page := checkPage(t, s, ch.ID, tt)
		for _, m := range page.Messages {
			if m.ParentID != root.ID {
				t.Fatalf("%s: Seq=%d has ParentID=%q, want %q", tt.name, m.Seq, m.ParentID, root.ID)
			}
		}
	}

	// A root without replies, or in another conversation, has an empty
	// thread.
	lonely := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "no replies"))
	checkThread(t, s, lonely)
	page, err := s.Messages(t.Context(), parley.DMConversationID(ann.ID, NewID("user")),
		parley.MessageFilter{ParentID: root.ID, Limit: 50})
	checkOK(t, "Messages", err)
	if len(page.Messages) != 0 || page.HasMore {
		t.Fatalf("thread in another conversation has %d messages, HasMore=%t; want none, false",
			len(page.Messages), page.HasMore)
	}
}

// HasMore says whether more of the selected messages lie beyond, however
// many of the others do.
func testMessagesHasMoreWithinSelection(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	for range 3 {
		MustAppendMessage(t, s, NewReply(root, ann, "reply"))
	}
	MustAppendMessage(t, s, NewChannelMessage(ch, ann, "middle"))
	for range 3 {
		MustAppendMessage(t, s, NewReply(root, ann, "reply"))
	}
	// Seq 1 and 5 are in the history, the rest in the thread.

	for _, tt := range []pageCase{
		{"Newest", parley.MessageFilter{Limit: 2}, []int64{1, 5}, false},
		{"NewestOne", parley.MessageFilter{Limit: 1}, []int64{5}, true},
		{"Before5", parley.MessageFilter{Before: ptr(5), Limit: 1}, []int64{1}, false},
		{"After1", parley.MessageFilter{After: ptr(1), Limit: 1}, []int64{5}, false},
		{"After0", parley.MessageFilter{After: ptr(0), Limit: 1}, []int64{1}, true},
		{"ThreadAfter4", parley.MessageFilter{ParentID: root.ID, After: ptr(4), Limit: 3},
			[]int64{6, 7, 8}, false},
		{"ThreadBefore6", parley.MessageFilter{ParentID: root.ID, Before: ptr(6), Limit: 3},
			[]int64{2, 3, 4}, false},
		{"IncludeRepliesAfter5", parley.MessageFilter{IncludeReplies: true, After: ptr(5), Limit: 3},
			[]int64{6, 7, 8}, false},
		{"IncludeRepliesAfter4", parley.MessageFilter{IncludeReplies: true, After: ptr(4), Limit: 3},
			[]int64{5, 6, 7}, true},
	} {
		checkPage(t, s, ch.ID, tt)
	}
}

// Direct conversations have threads too.
func testMessagesThreadInDirectConversation(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	root := MustAppendMessage(t, s, NewDirectMessage(ann, bob, "root"))
	reply, shown := mustAppendTwoReplies(t, s, root, bob, ann)

	root.ReplyCount, root.LastReplyAt = 2, new(minute(4))
	checkHistory(t, s, root.ConversationID, root, shown)
	checkThread(t, s, root, reply, shown)
}

// Deleting a root leaves its replies and its count; deleting a reply
// leaves it in its thread, as a tombstone, and leaves its root's count.
func testDeleteMessageKeepsRepliesAndSeq(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	first := MustAppendMessage(t, s, NewReply(root, ann, "first"))
	second := MustAppendMessage(t, s, NewReply(root, ann, "second"))

	mustDeleteMessage(t, s, root)
	mustDeleteMessage(t, s, first)

	root.Text, root.Deleted, root.ReplyCount, root.LastReplyAt = "", true, 2, new(minute(4))
	first.Text, first.Deleted = "", true
	checkStoredMessage(t, s, root)
	checkHistory(t, s, ch.ID, root)
	checkThread(t, s, root, first, second)

	// The tombstones keep their Seq, so the next message takes the next.
	third := MustAppendMessage(t, s, NewReply(root, ann, "third"))
	if third.Seq != 4 {
		t.Fatalf("Seq=%d, want 4", third.Seq)
	}
	root.ReplyCount = 3
	checkStoredMessage(t, s, root)
}

// mustAppendTwoReplies appends two replies to root and returns them: the
// first from hiddenBy, in the thread only, and the second from shownBy, in
// the conversation's history too.
func mustAppendTwoReplies(t testing.TB, s parley.Store, root *parley.Message,
	hiddenBy, shownBy *parley.User) (hidden, shown *parley.Message) {
	t.Helper()
	hidden = MustAppendMessage(t, s, NewReply(root, hiddenBy, "in the thread only"))
	shown = NewReply(root, shownBy, "in the history too")
	shown.AlsoToChannel = true
	MustAppendMessage(t, s, shown)
	return hidden, shown
}

// checkThread fails t unless the thread of root holds exactly want, in
// order, with all their stored fields.
func checkThread(t testing.TB, s parley.Store, root *parley.Message, want ...*parley.Message) {
	t.Helper()
	page, err := s.Messages(t.Context(), root.ConversationID,
		parley.MessageFilter{ParentID: root.ID, Limit: 200})
	checkOK(t, "Messages", err)
	if len(page.Messages) != len(want) {
		t.Fatalf("thread of %s has %d messages, want %d", root.ID, len(page.Messages), len(want))
	}
	for i, m := range page.Messages {
		checkMessage(t, m, want[i])
	}
}
