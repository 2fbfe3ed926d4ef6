package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parleychat/parley"
)

// editCases check the methods on one stored message: reading it, editing
// it, and deleting it.
var editCases = []testCase{
	{"Message/OK", testMessageOK},
	{"Message/ErrNotFound", testMessageErrNotFound},
	{"UpdateMessage/OK", testUpdateMessageOK},
	{"UpdateMessage/PartialUpdate", testUpdateMessagePartialUpdate},
	{"UpdateMessage/ClearMentions", testUpdateMessageClearMentions},
	{"UpdateMessage/KeepsReactions", testUpdateMessageKeepsReactions},
	{"UpdateMessage/ErrNotFound", testUpdateMessageErrNotFound},
	{"DeleteMessage/Tombstone", testDeleteMessageTombstone},
	{"DeleteMessage/Idempotent", testDeleteMessageIdempotent},
	{"DeleteMessage/RemovesPinAndReactions", testDeleteMessageRemovesPinAndReactions},
	{"DeleteMessage/ErrNotFound", testDeleteMessageErrNotFound},
	{"DeleteMessage/ConcurrentOneWins", testDeleteMessageConcurrentOneWins},
	{"UpdateMessage/ErrConflictTombstone", testUpdateMessageErrConflictTombstone},
	{"AddReaction/ErrConflictTombstone", testAddReactionErrConflictTombstone},
	{"PinMessage/ErrConflictTombstone", testPinMessageErrConflictTombstone},
}

// Message returns every field the message was stored with, in a channel
// and in a direct conversation.
func testMessageOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	inChannel := NewChannelMessage(ch, ann, "hi <@"+bob.ID+"> and <@"+ann.ID+">")
	inChannel.ClientMsgID = "client-1"
	inChannel.Mentions = []string{bob.ID, ann.ID}
	direct := NewDirectMessage(bob, ann, "hi <@"+ann.ID+">")
	direct.Mentions = []string{ann.ID}

	for _, m := range []*parley.Message{inChannel, direct} {
		MustAppendMessage(t, s, m)
		checkStoredMessage(t, s, m)
	}
}

func testMessageErrNotFound(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	MustAppendMessage(t, s, NewChannelMessage(ch, ann, "hello"))

	got, err := s.Message(t.Context(), NewID("msg"))
	checkFailed(t, "Message", got, err, parley.ENOTFOUND)
}

// An edit changes the text, the mentions and EditedAt, and nothing else:
// the message keeps its Seq and its place in the history.
func testUpdateMessageOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	first := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "helo"))
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "teh typo"))
	last := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "after"))

	got, err := s.UpdateMessage(t.Context(), m.ID, parley.MessageUpdate{
		Text:     new("the typo, fixed for <@" + bob.ID + ">"),
		Mentions: &[]string{bob.ID},
		EditedAt: new(minute(9)),
	})
	checkOK(t, "UpdateMessage", err)
	want := *m
	want.Text, want.Mentions, want.EditedAt = "the typo, fixed for <@"+bob.ID+">", []string{bob.ID},
		new(minute(9))
	checkMessage(t, got, &want)

	checkStoredMessage(t, s, &want)
	checkHistory(t, s, ch.ID, first, &want, last)
}

// Each field left nil keeps its value.
func testUpdateMessagePartialUpdate(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := NewChannelMessage(ch, ann, "hi <@"+bob.ID+">")
	m.Mentions = []string{bob.ID}
	MustAppendMessage(t, s, m)
	want := *m

	for _, tt := range []struct {
		u      parley.MessageUpdate
		change func(*parley.Message)
	}{
		{parley.MessageUpdate{EditedAt: new(minute(5))},
			func(m *parley.Message) { m.EditedAt = new(minute(5)) }},
		{parley.MessageUpdate{Text: new("hi again <@" + bob.ID + ">")},
			func(m *parley.Message) { m.Text = "hi again <@" + bob.ID + ">" }},
		{parley.MessageUpdate{Mentions: &[]string{ann.ID, bob.ID}},
			func(m *parley.Message) { m.Mentions = []string{ann.ID, bob.ID} }},
		{parley.MessageUpdate{},
			func(m *parley.Message) {}},
		{parley.MessageUpdate{EditedAt: new(minute(6))},
			func(m *parley.Message) { m.EditedAt = new(minute(6)) }},
	} {
		got, err := s.UpdateMessage(t.Context(), m.ID, tt.u)
		checkOK(t, "UpdateMessage", err)
		tt.change(&want)
		checkMessage(t, got, &want)
		checkStoredMessage(t, s, &want)
	}
}

// Mentions set to an empty list are emptied, not left as they were.
func testUpdateMessageClearMentions(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := NewChannelMessage(ch, ann, "note to <@"+ann.ID+">")
	m.Mentions = []string{ann.ID}
	MustAppendMessage(t, s, m)

	got, err := s.UpdateMessage(t.Context(), m.ID, parley.MessageUpdate{
		Text: new("note to self"), Mentions: &[]string{},
	})
	checkOK(t, "UpdateMessage", err)
	if len(got.Mentions) != 0 {
		t.Fatalf("Mentions=%q, want none", got.Mentions)
	}
	stored, err := s.Message(t.Context(), m.ID)
	checkOK(t, "Message", err)
	if len(stored.Mentions) != 0 {
		t.Fatalf("Mentions=%q, want none", stored.Mentions)
	}
}

// An edit leaves the reactions, and the message it returns carries them.
func testUpdateMessageKeepsReactions(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "react to me"))
	mustAddReaction(t, s, m, ann, "tada")

	got, err := s.UpdateMessage(t.Context(), m.ID, parley.MessageUpdate{Text: new("edited")})
	checkOK(t, "UpdateMessage", err)
	want := *m
	want.Text = "edited"
	want.Reactions = []parley.Reaction{{Name: "tada", Count: 1, UserIDs: []string{ann.ID}}}
	checkMessage(t, got, &want)
	checkStoredMessage(t, s, &want)
}

func testUpdateMessageErrNotFound(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "hello"))

	got, err := s.UpdateMessage(t.Context(), NewID("msg"), parley.MessageUpdate{Text: new("lost")})
	checkFailed(t, "UpdateMessage", got, err, parley.ENOTFOUND)
	checkStoredMessage(t, s, m)
}

// A tombstone keeps its place in the history, its Seq and EditedAt, and
// loses its text and mentions.
func testDeleteMessageTombstone(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	first := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "first"))
	m := NewChannelMessage(ch, ann, "regret <@"+ann.ID+">")
	m.ClientMsgID = "client-1"
	m.Mentions = []string{ann.ID}
	MustAppendMessage(t, s, m)
	_, err := s.UpdateMessage(t.Context(), m.ID, parley.MessageUpdate{EditedAt: new(minute(5))})
	checkOK(t, "UpdateMessage", err)
	last := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "last"))

	got, deleted, err := s.DeleteMessage(t.Context(), m.ID)
	checkOK(t, "DeleteMessage", err)
	checkBool(t, "DeleteMessage", deleted, true)
	want := *m
	want.Text, want.Mentions, want.Deleted, want.EditedAt = "", nil, true, new(minute(5))
	checkMessage(t, got, &want)

	checkStoredMessage(t, s, &want)
	checkHistory(t, s, ch.ID, first, &want, last)
	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "next"))
	if next.Seq != 4 {
		t.Fatalf("Seq=%d, want 4", next.Seq)
	}
}

func testDeleteMessageIdempotent(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "twice"))

	first, deleted, err := s.DeleteMessage(t.Context(), m.ID)
	checkOK(t, "DeleteMessage", err)
	checkBool(t, "DeleteMessage", deleted, true)
	second, deleted, err := s.DeleteMessage(t.Context(), m.ID)
	checkOK(t, "DeleteMessage again", err)
	checkBool(t, "DeleteMessage again", deleted, false)
	checkMessage(t, second, first)
	checkStoredMessage(t, s, first)
	if !first.Deleted {
		t.Fatalf("Deleted=false, want true")
	}
}

// The tombstone loses its reactions and its pin; other messages keep
// theirs.
func testDeleteMessageRemovesPinAndReactions(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "doomed"))
	other := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "kept"))
	for _, msg := range []*parley.Message{m, other} {
		mustAddReaction(t, s, msg, ann, "eyes")
		mustAddReaction(t, s, msg, bob, "eyes")
	}
	mustPinMessage(t, s, m, ann, 10)
	otherPin := mustPinMessage(t, s, other, ann, 11)

	got, _, err := s.DeleteMessage(t.Context(), m.ID)
	checkOK(t, "DeleteMessage", err)
	if len(got.Reactions) != 0 {
		t.Fatalf("Reactions=%v, want none", got.Reactions)
	}
	stored, err := s.Message(t.Context(), m.ID)
	checkOK(t, "Message", err)
	if len(stored.Reactions) != 0 {
		t.Fatalf("Reactions=%v after DeleteMessage, want none", stored.Reactions)
	}
	checkPins(t, s, ch.ID, otherPin)
	removed, err := s.RemoveReaction(t.Context(), m.ID, bob.ID, "eyes")
	checkOK(t, "RemoveReaction", err)
	checkBool(t, "RemoveReaction", removed, false)
	unpinned, err := s.UnpinMessage(t.Context(), m.ID)
	checkOK(t, "UnpinMessage", err)
	checkBool(t, "UnpinMessage", unpinned, false)

	other.Reactions = []parley.Reaction{{Name: "eyes", Count: 2, UserIDs: []string{ann.ID, bob.ID}}}
	checkStoredMessage(t, s, other)
}

func testDeleteMessageErrNotFound(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "hello"))

	got, _, err := s.DeleteMessage(t.Context(), NewID("msg"))
	checkFailed(t, "DeleteMessage", got, err, parley.ENOTFOUND)
	checkStoredMessage(t, s, m)
}

// Of concurrent deletes of one message, exactly one reports that it made
// the tombstone, so that exactly one deletion is announced.
func testDeleteMessageConcurrentOneWins(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "contested"))

	const n = 8
	var wg sync.WaitGroup
	var wins atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, deleted, err := s.DeleteMessage(context.Background(), m.ID)
			if err != nil {
				t.Errorf("DeleteMessage: %v", err)
			} else if deleted {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Fatalf("%d of %d deletes reported deleting, want 1", got, n)
	}
}

// Nothing changes a tombstone: an edit, a reaction or a pin that comes
// after the delete is refused, and the tombstone stays as it was.
func testUpdateMessageErrConflictTombstone(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "gone"))
	tomb := mustDeleteMessage(t, s, m)

	got, err := s.UpdateMessage(t.Context(), m.ID, parley.MessageUpdate{Text: new("back"), EditedAt: new(minute(9))})
	checkFailed(t, "UpdateMessage", got, err, parley.ECONFLICT)
	checkStoredMessage(t, s, tomb)
}

func testAddReactionErrConflictTombstone(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "gone"))
	tomb := mustDeleteMessage(t, s, m)

	added, err := s.AddReaction(t.Context(), m.ID, ann.ID, "eyes")
	checkCode(t, err, parley.ECONFLICT)
	checkBool(t, "AddReaction", added, false)
	checkStoredMessage(t, s, tomb)
}

func testPinMessageErrConflictTombstone(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "gone"))
	mustDeleteMessage(t, s, m)

	pinned, err := s.PinMessage(t.Context(), &parley.Pin{
		ChannelID: ch.ID, MessageID: m.ID, PinnedByID: ann.ID, PinnedAt: minute(9),
	})
	checkCode(t, err, parley.ECONFLICT)
	checkBool(t, "PinMessage", pinned, false)
	checkPins(t, s, ch.ID)
}

// mustDeleteMessage deletes m and returns its tombstone, failing t if it
// cannot.
func mustDeleteMessage(t testing.TB, s parley.Store, m *parley.Message) *parley.Message {
	t.Helper()
	tomb, _, err := s.DeleteMessage(t.Context(), m.ID)
	checkOK(t, "DeleteMessage", err)
	return tomb
}
