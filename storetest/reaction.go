package storetest

import (
	"fmt"
	"testing"

	"github.com/parleychat/parley"
)

var reactionCases = []testCase{
	{"AddReaction/OK", testAddReactionOK},
	{"AddReaction/OncePerUserAndName", testAddReactionOncePerUserAndName},
	{"AddReaction/Order", testAddReactionOrder},
	{"AddReaction/ErrNotFound", testAddReactionErrNotFound},
	{"RemoveReaction/OK", testRemoveReactionOK},
	{"RemoveReaction/Absent", testRemoveReactionAbsent},
	{"RemoveReaction/GivenAgainComesLast", testRemoveReactionGivenAgain},
	{"Messages/CarryReactions", testMessagesCarryReactions},
}

func testAddReactionOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "ship it"))

	added, err := s.AddReaction(t.Context(), m.ID, ann.ID, "rocket")
	checkOK(t, "AddReaction", err)
	checkBool(t, "AddReaction", added, true)

	m.Reactions = []parley.Reaction{{Name: "rocket", Count: 1, UserIDs: []string{ann.ID}}}
	checkStoredMessage(t, s, m)
	checkHistory(t, s, ch.ID, m)
}

// A user reacts with a name once; the same user with another name, or
// another user with the same name, is another reaction.
func testAddReactionOncePerUserAndName(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "ship it"))
	mustAddReaction(t, s, m, ann, "rocket")

	added, err := s.AddReaction(t.Context(), m.ID, ann.ID, "rocket")
	checkOK(t, "AddReaction", err)
	checkBool(t, "AddReaction again", added, false)
	m.Reactions = []parley.Reaction{{Name: "rocket", Count: 1, UserIDs: []string{ann.ID}}}
	checkStoredMessage(t, s, m)

	mustAddReaction(t, s, m, ann, "tada")
	mustAddReaction(t, s, m, bob, "rocket")
	m.Reactions = []parley.Reaction{
		{Name: "rocket", Count: 2, UserIDs: []string{ann.ID, bob.ID}},
		{Name: "tada", Count: 1, UserIDs: []string{ann.ID}},
	}
	checkStoredMessage(t, s, m)
}

// Names come in the order they were first given, whatever their counts,
// and each name's users in the order they reacted; names are compared
// exactly.
func testAddReactionOrder(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob, cat := MustCreateUser(t, s, "Bob"), MustCreateUser(t, s, "Cat")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "lunch?"))

	for _, r := range []struct {
		u    *parley.User
		name string
	}{
		{cat, "thumbsup"}, {ann, "pizza"}, {bob, "pizza"}, {ann, "thumbsup"},
		{bob, "Pizza"}, {cat, "pizza"}, {bob, "taco"},
	} {
		mustAddReaction(t, s, m, r.u, r.name)
	}

	m.Reactions = []parley.Reaction{
		{Name: "thumbsup", Count: 2, UserIDs: []string{cat.ID, ann.ID}},
		{Name: "pizza", Count: 3, UserIDs: []string{ann.ID, bob.ID, cat.ID}},
		{Name: "Pizza", Count: 1, UserIDs: []string{bob.ID}},
		{Name: "taco", Count: 1, UserIDs: []string{bob.ID}},
	}
	checkStoredMessage(t, s, m)
}

func testAddReactionErrNotFound(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	MustAppendMessage(t, s, NewChannelMessage(ch, ann, "hello"))

	_, err := s.AddReaction(t.Context(), NewID("msg"), ann.ID, "wave")
	checkCode(t, err, parley.ENOTFOUND)
}

func testRemoveReactionOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "ship it"))
	mustAddReaction(t, s, m, ann, "rocket")
	mustAddReaction(t, s, m, bob, "rocket")
	mustAddReaction(t, s, m, bob, "tada")

	mustRemoveReaction(t, s, m, ann, "rocket")
	m.Reactions = []parley.Reaction{
		{Name: "rocket", Count: 1, UserIDs: []string{bob.ID}},
		{Name: "tada", Count: 1, UserIDs: []string{bob.ID}},
	}
	checkStoredMessage(t, s, m)

	// A name nobody reacts with any more is gone.
	mustRemoveReaction(t, s, m, bob, "tada")
	m.Reactions = m.Reactions[:1]
	checkStoredMessage(t, s, m)
}

// Removing a reaction that was never given, or was removed already,
// reports false and changes nothing.
func testRemoveReactionAbsent(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "ship it"))
	mustAddReaction(t, s, m, ann, "rocket")
	mustAddReaction(t, s, m, bob, "eyes")
	mustRemoveReaction(t, s, m, bob, "eyes")

	for _, tt := range []struct{ messageID, userID, name string }{
		{m.ID, bob.ID, "rocket"},
		{m.ID, ann.ID, "tada"},
		{m.ID, bob.ID, "eyes"},
		{NewID("msg"), ann.ID, "rocket"},
	} {
		removed, err := s.RemoveReaction(t.Context(), tt.messageID, tt.userID, tt.name)
		checkOK(t, "RemoveReaction", err)
		checkBool(t, fmt.Sprintf("RemoveReaction(%q, %q)", tt.userID, tt.name), removed, false)
	}
	m.Reactions = []parley.Reaction{{Name: "rocket", Count: 1, UserIDs: []string{ann.ID}}}
	checkStoredMessage(t, s, m)
}

// A reaction removed and given again is the newest: its user comes last,
// and a name given again after all its reactions were removed comes after
// the names still there.
func testRemoveReactionGivenAgain(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "ship it"))
	mustAddReaction(t, s, m, ann, "rocket")
	mustAddReaction(t, s, m, bob, "rocket")
	mustAddReaction(t, s, m, ann, "tada")
	mustAddReaction(t, s, m, bob, "eyes")

	for _, r := range []struct {
		u    *parley.User
		name string
	}{{ann, "rocket"}, {ann, "tada"}} {
		mustRemoveReaction(t, s, m, r.u, r.name)
		mustAddReaction(t, s, m, r.u, r.name)
	}

	m.Reactions = []parley.Reaction{
		{Name: "rocket", Count: 2, UserIDs: []string{bob.ID, ann.ID}},
		{Name: "eyes", Count: 1, UserIDs: []string{bob.ID}},
		{Name: "tada", Count: 1, UserIDs: []string{ann.ID}},
	}
	checkStoredMessage(t, s, m)
}

// Every message of a page carries its own reactions, and only its own, in
// every selection and in both directions of paging.
func testMessagesCarryReactions(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	root := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "root"))
	var all []*parley.Message
	all = append(all, root)
	for i := range 12 {
		m := NewChannelMessage(ch, bob, fmt.Sprint("message ", i))
		if i%3 == 0 {
			m = NewReply(root, bob, fmt.Sprint("reply ", i))
		}
		MustAppendMessage(t, s, m)
		all = append(all, m)
	}
	root.ReplyCount, root.LastReplyAt = 4, new(minute(4))

	// Messages get none, one or two names, on replies too.
	for i, m := range all {
		if i%2 == 0 {
			mustAddReaction(t, s, m, ann, "ok")
			m.Reactions = []parley.Reaction{{Name: "ok", Count: 1, UserIDs: []string{ann.ID}}}
		}
		if i%4 == 1 {
			mustAddReaction(t, s, m, bob, fmt.Sprint("name-", i))
			mustAddReaction(t, s, m, ann, fmt.Sprint("name-", i))
			m.Reactions = append(m.Reactions, parley.Reaction{
				Name: fmt.Sprint("name-", i), Count: 2, UserIDs: []string{bob.ID, ann.ID},
			})
		}
	}

	var history, thread []*parley.Message
	for _, m := range all {
		if m.ParentID == "" {
			history = append(history, m)
		} else {
			thread = append(thread, m)
		}
	}
	for _, tt := range []struct {
		name string
		f    parley.MessageFilter
		want []*parley.Message
	}{
		{"History", parley.MessageFilter{Limit: 50}, history},
		{"HistoryAfter", parley.MessageFilter{After: ptr(0), Limit: 50}, history},
		{"IncludeReplies", parley.MessageFilter{IncludeReplies: true, Limit: 50}, all},
		{"IncludeRepliesBefore", parley.MessageFilter{IncludeReplies: true, Before: ptr(12), Limit: 5},
			all[6:11]},
		{"Thread", parley.MessageFilter{ParentID: root.ID, Limit: 50}, thread},
	} {
		page, err := s.Messages(t.Context(), ch.ID, tt.f)
		checkOK(t, tt.name, err)
		if len(page.Messages) != len(tt.want) {
			t.Fatalf("%s: %d messages, want %d", tt.name, len(page.Messages), len(tt.want))
		}
		for i, m := range page.Messages {
			checkMessage(t, m, tt.want[i])
		}
	}
}

// mustAddReaction adds u's reaction with the given name to m, and fails t
// if it cannot or if the reaction was there already.
func mustAddReaction(t testing.TB, s parley.Store, m *parley.Message, u *parley.User, name string) {
	t.Helper()
	if added, err := s.AddReaction(t.Context(), m.ID, u.ID, name); err != nil {
		t.Fatalf("AddReaction: %v", err)
	} else if !added {
		t.Fatalf("AddReaction(%q, %q)=false, want true", u.ID, name)
	}
}

// mustRemoveReaction removes u's reaction with the given name from m, and
// fails t if it cannot or if the reaction was not there.
func mustRemoveReaction(t testing.TB, s parley.Store, m *parley.Message, u *parley.User,
	name string) {
	t.Helper()
	if removed, err := s.RemoveReaction(t.Context(), m.ID, u.ID, name); err != nil {
		t.Fatalf("RemoveReaction: %v", err)
	} else if !removed {
		t.Fatalf("RemoveReaction(%q, %q)=false, want true", u.ID, name)
	}
}
