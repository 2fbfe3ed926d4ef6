package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/parleychat/parley"
)

var readCases = []testCase{
	{"MarkRead/ForwardOnly", testMarkReadForwardOnly},
	{"MarkRead/ConcurrentForwardOnly", testMarkReadConcurrent},
	{"MarkRead/PerUserAndConversation", testMarkReadPerUserAndConversation},
	{"MarkRead/EmptyConversation", testMarkReadEmptyConversation},
	{"ReadMarkers/NeverRead", testReadMarkersNeverRead},
	{"CountUnread/OwnMessagesNotUnread", testCountUnreadOwnMessages},
	{"CountUnread/DeletedNotUnread", testCountUnreadDeleted},
	{"CountUnread/ThreadRepliesOnlyIfInChannel", testCountUnreadThreadReplies},
	{"CountUnread/Mentions", testCountUnreadMentions},
	{"CountUnread/AfterMarker", testCountUnreadAfterMarker},
	{"CountUnread/Latest", testCountUnreadLatest},
	{"CountUnread/Imported", testCountUnreadImported},
	{"DirectConversations/OK", testDirectConversationsOK},
	{"DeleteChannel/RemovesMarkers", testDeleteChannelRemovesMarkers},
}

// A marker moves forward and stays where it is when asked to move back,
// and each call returns the marker as it is afterwards.
func testMarkReadForwardOnly(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	mustAppendMany(t, s, ch, ann, 5)

	for _, tt := range []struct{ seq, want int64 }{
		{-1, 0}, // never read is zero, and a marker does not go below it
		{0, 0},
		{3, 3},
		{2, 3},
		{0, 3},
		{3, 3},
		{5, 5},
		{4, 5},
	} {
		mustMarkRead(t, s, ann, ch.ID, tt.seq, tt.want)
		checkMarkers(t, s, ann, []string{ch.ID}, map[string]int64{ch.ID: tt.want})
	}
}

// Of concurrent moves of one marker, whatever their order, none moves it
// back: each call returns at least its own Seq, and the marker ends at the
// largest.
func testMarkReadConcurrent(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	mustAppendMany(t, s, ch, ann, 40)

	var wg sync.WaitGroup
	for i := range 40 {
		seq := int64(i*17%40 + 1) // every Seq from 1 to 40 once, out of order
		wg.Go(func() {
			marker, err := s.MarkRead(t.Context(), ann.ID, ch.ID, seq)
			if err != nil {
				t.Errorf("MarkRead(%d): %v", seq, err)
			} else if marker < seq {
				t.Errorf("MarkRead(%d)=%d, want at least %d", seq, marker, seq)
			}
		})
	}
	wg.Wait()

	checkMarkers(t, s, ann, []string{ch.ID}, map[string]int64{ch.ID: 40})
}

// A marker belongs to one user in one conversation: moving it moves no
// other user's marker in that conversation, nor the user's in another.
func testMarkReadPerUserAndConversation(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, random, bob)
	mustAppendMany(t, s, general, ann, 6)
	mustAppendMany(t, s, random, ann, 6)
	dm := parley.DMConversationID(ann.ID, bob.ID)
	for range 6 {
		MustAppendMessage(t, s, NewDirectMessage(ann, bob, "direct"))
	}
	all := []string{general.ID, random.ID, dm}

	mustMarkRead(t, s, ann, general.ID, 4, 4)
	checkMarkers(t, s, ann, all, map[string]int64{general.ID: 4})
	checkMarkers(t, s, bob, all, map[string]int64{})

	mustMarkRead(t, s, bob, general.ID, 2, 2)
	mustMarkRead(t, s, bob, dm, 5, 5)
	mustMarkRead(t, s, ann, random.ID, 1, 1)
	checkMarkers(t, s, ann, all, map[string]int64{general.ID: 4, random.ID: 1})
	checkMarkers(t, s, bob, all, map[string]int64{general.ID: 2, dm: 5})
}

// A conversation without messages can be marked read at zero, as a client
// does when it opens a new channel or direct conversation; that leaves its
// latest Seq at zero, and does not make a direct conversation one that
// holds a message.
func testMarkReadEmptyConversation(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	dm := parley.DMConversationID(ann.ID, bob.ID)

	for _, id := range []string{ch.ID, dm} {
		mustMarkRead(t, s, ann, id, 0, 0)
		checkMarkers(t, s, ann, []string{id}, map[string]int64{})
		checkUnread(t, s, id, ann, 0, 0, 0, 0)
	}
	checkDirectConversations(t, s, ann)
	checkDirectConversations(t, s, bob)

	// The conversations take messages as any other does afterwards,
	// appended or imported.
	first := MustAppendMessage(t, s, NewDirectMessage(bob, ann, "hi"))
	if first.Seq != 1 {
		t.Fatalf("Seq=%d, want 1", first.Seq)
	}
	checkUnread(t, s, dm, ann, 0, 1, 0, 1)
	checkDirectConversations(t, s, ann, dm)
	MustAddChannelMember(t, s, ch, bob)
	mustImport(t, s, ch.ID, newImportBatch(ch, bob, 2), nil, 2)
	MustAppendMessage(t, s, NewChannelMessage(ch, bob, "live"))
	checkUnread(t, s, ch.ID, ann, 0, 3, 0, 3)
}

// A conversation never read has no marker, which reads as zero: whether it
// has messages, has none, or does not exist; and asking for no
// conversations is not an error.
func testReadMarkersNeverRead(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	mustAppendMany(t, s, ch, bob, 3)
	MustAppendMessage(t, s, NewDirectMessage(bob, ann, "hi"))
	empty := MustCreateChannel(t, s, &parley.Workspace{ID: ch.WorkspaceID}, ann, "empty", false)
	ids := []string{ch.ID, parley.DMConversationID(ann.ID, bob.ID), empty.ID, NewID("ch"),
		parley.DMConversationID(ann.ID, NewID("user"))}

	checkMarkers(t, s, ann, ids, map[string]int64{})
	checkMarkers(t, s, ann, nil, map[string]int64{})
	// Bob's marker is not Ann's.
	mustMarkRead(t, s, bob, ch.ID, 2, 2)
	checkMarkers(t, s, ann, ids, map[string]int64{})
}

// The user's own messages are never unread, in a channel or a direct
// conversation.
func testCountUnreadOwnMessages(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	MustAddChannelMember(t, s, ch, bob)
	for i := range 5 {
		sender, receiver := ann, bob
		if i%2 == 1 {
			sender, receiver = bob, ann
		}
		MustAppendMessage(t, s, NewChannelMessage(ch, sender, fmt.Sprint("message ", i)))
		MustAppendMessage(t, s, NewDirectMessage(sender, receiver, "direct"))
	}
	dm := parley.DMConversationID(ann.ID, bob.ID)

	checkUnread(t, s, ch.ID, ann, 0, 2, 0, 5)
	checkUnread(t, s, ch.ID, bob, 0, 3, 0, 5)
	checkUnread(t, s, dm, ann, 0, 2, 0, 5)
	checkUnread(t, s, dm, bob, 0, 3, 0, 5)

	// Notes to self are all the user's own.
	note := parley.DMConversationID(ann.ID, ann.ID)
	MustAppendMessage(t, s, NewDirectMessage(ann, ann, "note to self"))
	checkUnread(t, s, note, ann, 0, 0, 0, 1)
}

// A tombstone is not unread, nor a mention, though it keeps its Seq.
func testCountUnreadDeleted(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	msgs := mustAppendMany(t, s, ch, bob, 4)
	mentioning := NewChannelMessage(ch, bob, "hey Ann")
	mentioning.Mentions = []string{ann.ID}
	MustAppendMessage(t, s, mentioning)
	checkUnread(t, s, ch.ID, ann, 0, 5, 1, 5)

	mustDeleteMessage(t, s, msgs[1])
	mustDeleteMessage(t, s, mentioning)
	checkUnread(t, s, ch.ID, ann, 0, 3, 0, 5)
}

// A reply counts as unread only if it was sent to the channel too, as only
// then is it in the conversation's history; the same holds for mentions.
func testCountUnreadThreadReplies(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	root := MustAppendMessage(t, s, NewChannelMessage(ch, bob, "root"))
	hidden := NewReply(root, bob, "Ann, in the thread only")
	hidden.Mentions = []string{ann.ID}
	MustAppendMessage(t, s, hidden)
	shown := NewReply(root, bob, "Ann, in the channel too")
	shown.AlsoToChannel, shown.Mentions = true, []string{ann.ID}
	MustAppendMessage(t, s, shown)
	MustAppendMessage(t, s, NewReply(root, bob, "in the thread only"))

	checkUnread(t, s, ch.ID, ann, 0, 2, 1, 4)
	checkUnread(t, s, ch.ID, ann, root.Seq, 1, 1, 4)

	// In a direct conversation too.
	dmRoot := MustAppendMessage(t, s, NewDirectMessage(bob, ann, "root"))
	MustAppendMessage(t, s, NewReply(dmRoot, bob, "in the thread only"))
	dmShown := NewReply(dmRoot, bob, "in the conversation too")
	dmShown.AlsoToChannel = true
	MustAppendMessage(t, s, dmShown)
	checkUnread(t, s, dmRoot.ConversationID, ann, 0, 2, 0, 3)
}

// A mention counts for the users its message lists, whoever else it lists,
// and for no user whose ID merely contains, or is contained in, one listed.
// An unread mention is also unread; the user's own mention of themself is
// neither.
func testCountUnreadMentions(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob, cat := MustCreateUser(t, s, "Bob"), MustCreateUser(t, s, "Cat")
	for _, mentions := range [][]string{
		{ann.ID},
		{cat.ID},
		{cat.ID, ann.ID, bob.ID},
		{ann.ID + "0", "x" + ann.ID, ann.ID[:len(ann.ID)-1]},
		nil,
	} {
		m := NewChannelMessage(ch, bob, "mentions")
		m.Mentions = mentions
		MustAppendMessage(t, s, m)
	}
	own := NewChannelMessage(ch, ann, "note to myself, @Ann")
	own.Mentions = []string{ann.ID, cat.ID}
	MustAppendMessage(t, s, own)

	checkUnread(t, s, ch.ID, ann, 0, 5, 2, 6)
	checkUnread(t, s, ch.ID, cat, 0, 6, 3, 6)
	checkUnread(t, s, ch.ID, bob, 0, 1, 0, 6)

	// An edit that adds or removes a mention counts as the message is now.
	page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{Limit: 10})
	checkOK(t, "Messages", err)
	last := page.Messages[4]
	_, err = s.UpdateMessage(t.Context(), last.ID,
		parley.MessageUpdate{Mentions: &[]string{ann.ID}})
	checkOK(t, "UpdateMessage", err)
	_, err = s.UpdateMessage(t.Context(), page.Messages[0].ID,
		parley.MessageUpdate{Mentions: &[]string{}})
	checkOK(t, "UpdateMessage", err)
	checkUnread(t, s, ch.ID, ann, 0, 5, 2, 6)
	checkUnread(t, s, ch.ID, ann, 1, 4, 2, 6)
}

// Only the messages after the Seq given count, mentions included; past the
// latest Seq nothing is unread.
func testCountUnreadAfterMarker(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	for i := range 6 {
		m := NewChannelMessage(ch, bob, fmt.Sprint("message ", i+1))
		if i%2 == 0 {
			m.Mentions = []string{ann.ID}
		}
		MustAppendMessage(t, s, m)
	}

	for _, tt := range []struct {
		after            int64
		unread, mentions int
	}{
		{0, 6, 3},
		{1, 5, 2},
		{4, 2, 1},
		{5, 1, 0},
		{6, 0, 0},
		{60, 0, 0},
	} {
		checkUnread(t, s, ch.ID, ann, tt.after, tt.unread, tt.mentions, 6)
	}

	// The Seq given need not be the user's marker, but usually is.
	marker := mustMarkRead(t, s, ann, ch.ID, 4, 4)
	checkUnread(t, s, ch.ID, ann, marker, 2, 1, 6)
}

// The latest Seq is the last the conversation handed out: a deleted
// message's and a thread reply's count, though neither is unread. A
// conversation without messages, or that does not exist, has zero.
func testCountUnreadLatest(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	checkUnread(t, s, ch.ID, ann, 0, 0, 0, 0)
	checkUnread(t, s, parley.DMConversationID(ann.ID, bob.ID), ann, 0, 0, 0, 0)
	checkUnread(t, s, NewID("ch"), ann, 0, 0, 0, 0)

	root := MustAppendMessage(t, s, NewChannelMessage(ch, bob, "root"))
	MustAppendMessage(t, s, NewReply(root, bob, "in the thread only"))
	checkUnread(t, s, ch.ID, ann, 0, 1, 0, 2)

	last := MustAppendMessage(t, s, NewChannelMessage(ch, bob, "soon deleted"))
	mustDeleteMessage(t, s, last)
	checkUnread(t, s, ch.ID, ann, 0, 1, 0, 3)
	checkUnread(t, s, ch.ID, ann, 3, 0, 0, 3)

	// The latest Seq is the same for every user, and does not depend on
	// the Seq given.
	checkUnread(t, s, ch.ID, bob, 0, 0, 0, 3)
	checkUnread(t, s, ch.ID, ann, 10, 0, 0, 3)
}

// Imported history counts as appended history does: own messages,
// tombstones (whatever mentions they were imported with) and replies kept
// in their thread are not unread, and the latest Seq is the import's last.
func testCountUnreadImported(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")

	root := NewChannelMessage(ch, bob, "Ann, a root")
	root.Mentions = []string{ann.ID}
	hidden := NewReply(root, bob, "Ann, in the thread only")
	hidden.Mentions = []string{ann.ID}
	shown := NewReply(root, bob, "Ann, in the channel too")
	shown.AlsoToChannel, shown.Mentions = true, []string{ann.ID}
	gone := NewChannelMessage(ch, bob, "Ann, deleted")
	gone.Deleted, gone.Mentions = true, []string{ann.ID}
	own := NewChannelMessage(ch, ann, "mine")
	plain := NewChannelMessage(ch, bob, "plain")
	mustImport(t, s, ch.ID, []*parley.Message{root, hidden, shown, gone, own, plain}, nil, 6)

	checkUnread(t, s, ch.ID, ann, 0, 3, 2, 6)
	checkUnread(t, s, ch.ID, bob, 0, 1, 0, 6)
	checkUnread(t, s, ch.ID, ann, 3, 1, 0, 6)

	// Appends go on counting after the import.
	MustAppendMessage(t, s, NewChannelMessage(ch, bob, "live"))
	checkUnread(t, s, ch.ID, ann, 0, 4, 2, 7)

	// And a direct conversation imported.
	hi := NewDirectMessage(bob, ann, "hi Ann")
	hi.Mentions = []string{ann.ID}
	mustImport(t, s, hi.ConversationID, []*parley.Message{hi, NewDirectMessage(ann, bob, "hi")},
		nil, 2)
	checkUnread(t, s, hi.ConversationID, ann, 0, 1, 1, 2)
}

// The direct conversations of a user are those with a message they sent
// or received, appended or imported: not channels, not other users'
// conversations, and not one that holds no message.
func testDirectConversationsOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob, cat := MustCreateUser(t, s, "Bob"), MustCreateUser(t, s, "Cat")
	dan, eve := MustCreateUser(t, s, "Dan"), MustCreateUser(t, s, "Eve")
	checkDirectConversations(t, s, ann)

	MustAppendMessage(t, s, NewChannelMessage(ch, ann, "in a channel"))
	checkDirectConversations(t, s, ann)

	sent := MustAppendMessage(t, s, NewDirectMessage(ann, bob, "sent by Ann"))
	received := MustAppendMessage(t, s, NewDirectMessage(cat, ann, "received by Ann"))
	MustAppendMessage(t, s, NewDirectMessage(cat, ann, "again"))
	note := MustAppendMessage(t, s, NewDirectMessage(ann, ann, "note to self"))
	others := MustAppendMessage(t, s, NewDirectMessage(bob, cat, "not Ann's"))
	imported := NewDirectMessage(dan, ann, "imported")
	mustImport(t, s, imported.ConversationID, []*parley.Message{imported}, nil, 1)
	gone := MustAppendMessage(t, s, NewDirectMessage(eve, bob, "deleted"))
	mustDeleteMessage(t, s, gone)

	checkDirectConversations(t, s, ann, sent.ConversationID, received.ConversationID,
		note.ConversationID, imported.ConversationID)
	checkDirectConversations(t, s, bob, sent.ConversationID, others.ConversationID,
		gone.ConversationID)
	checkDirectConversations(t, s, cat, received.ConversationID, others.ConversationID)
	checkDirectConversations(t, s, dan, imported.ConversationID)
	// A tombstone is still a message.
	checkDirectConversations(t, s, eve, gone.ConversationID)
	checkDirectConversations(t, s, MustCreateUser(t, s, "Fay"))
}

// Deleting a channel removes every user's marker in it, and no marker
// elsewhere. Its conversation has nothing unread and latest Seq zero
// afterwards.
func testDeleteChannelRemovesMarkers(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, random, bob)
	mustAppendMany(t, s, general, ann, 3)
	mustAppendMany(t, s, random, ann, 3)
	dm := MustAppendMessage(t, s, NewDirectMessage(ann, bob, "direct")).ConversationID
	mustMarkRead(t, s, ann, random.ID, 2, 2)
	mustMarkRead(t, s, bob, random.ID, 3, 3)
	mustMarkRead(t, s, ann, general.ID, 1, 1)
	mustMarkRead(t, s, bob, dm, 1, 1)

	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), random.ID))

	all := []string{general.ID, random.ID, dm}
	checkMarkers(t, s, ann, all, map[string]int64{general.ID: 1})
	checkMarkers(t, s, bob, all, map[string]int64{dm: 1})
	checkUnread(t, s, random.ID, bob, 0, 0, 0, 0)
}

// mustAppendMany appends n messages from sender to ch, and returns them.
func mustAppendMany(t testing.TB, s parley.Store, ch *parley.Channel, sender *parley.User,
	n int) []*parley.Message {
	t.Helper()
	msgs := make([]*parley.Message, n)
	for i := range msgs {
		m := NewChannelMessage(ch, sender, fmt.Sprint("message ", i+1))
		msgs[i] = MustAppendMessage(t, s, m)
	}
	return msgs
}

// mustMarkRead moves u's marker in the conversation to seq, and fails t
// unless it returns want. It returns the marker.
func mustMarkRead(t testing.TB, s parley.Store, u *parley.User, conversationID string,
	seq, want int64) int64 {
	t.Helper()
	marker, err := s.MarkRead(t.Context(), u.ID, conversationID, seq)
	checkOK(t, "MarkRead", err)
	if marker != want {
		t.Fatalf("MarkRead(%d)=%d, want %d", seq, marker, want)
	}
	return marker
}

// checkMarkers fails t unless u's markers in the given conversations are
// those of want, a missing one being zero.
func checkMarkers(t testing.TB, s parley.Store, u *parley.User, conversationIDs []string,
	want map[string]int64) {
	t.Helper()
	got, err := s.ReadMarkers(t.Context(), u.ID, conversationIDs)
	checkOK(t, "ReadMarkers", err)
	if got == nil {
		t.Fatalf("ReadMarkers=nil, want a map")
	}
	for id, seq := range got {
		if seq != want[id] {
			t.Fatalf("ReadMarkers[%s]=%d, want %d", id, seq, want[id])
		}
	}
	for id, seq := range want {
		if got[id] != seq {
			t.Fatalf("ReadMarkers[%s]=%d, want %d", id, got[id], seq)
		}
	}
}

// checkUnread fails t unless CountUnread of the conversation, for u after
// Seq after, returns the counts and latest Seq given.
func checkUnread(t testing.TB, s parley.Store, conversationID string, u *parley.User,
	after int64, unread, mentions int, latest int64) {
	t.Helper()
	gotUnread, gotMentions, gotLatest, err := s.CountUnread(t.Context(), conversationID, u.ID,
		after)
	checkOK(t, "CountUnread", err)
	if gotUnread != unread || gotMentions != mentions || gotLatest != latest {
		t.Fatalf("CountUnread(%s, after %d)=%d unread, %d mentions, latest %d; want %d, %d, %d",
			u.Nickname, after, gotUnread, gotMentions, gotLatest, unread, mentions, latest)
	}
}

// checkDirectConversations fails t unless the direct conversations of u
// are exactly want, in any order.
func checkDirectConversations(t testing.TB, s parley.Store, u *parley.User, want ...string) {
	t.Helper()
	got, err := s.DirectConversations(t.Context(), u.ID)
	checkOK(t, "DirectConversations", err)
	checkIDSet(t, "DirectConversations of "+u.Nickname, got, want)
}
