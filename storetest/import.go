package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/parleychat/parley"
)

var importCases = []testCase{
	{"ImportMessages/OK", testImportMessagesOK},
	{"ImportMessages/RerunAddsNothing", testImportMessagesRerun},
	{"ImportMessages/AfterAppend", testImportMessagesAfterAppend},
	{"ImportMessages/AllOrNothing", testImportMessagesAllOrNothing},
	{"ImportMessages/DirectMessages", testImportMessagesDirect},
	{"ImportMessages/Replies", testImportMessagesReplies},
	{"ImportMessages/RepliesCountOnEarlierRoot", testImportMessagesRepliesCountOnEarlierRoot},
	{"ImportMessages/Empty", testImportMessagesEmpty},
	{"DeleteChannel/CascadesImported", testDeleteChannelCascadesImported},
}

// Every field but Seq and the thread counts is stored as given, tombstones
// and edits included; Seq follows the order given, whatever the times say.
func testImportMessagesOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	MustAddChannelMember(t, s, ch, bob)

	root := NewChannelMessage(ch, ann, "a root, edited")
	root.CreatedAt, root.EditedAt = minute(10), new(minute(11))
	root.ClientMsgID = "client-1"
	root.Mentions = []string{bob.ID, ann.ID}
	root.ReplyCount, root.LastReplyAt = 2, new(minute(13))
	root.Reactions = []parley.Reaction{
		{Name: "tada", Count: 2, UserIDs: []string{bob.ID, ann.ID}},
		{Name: "+1", Count: 1, UserIDs: []string{ann.ID}},
	}
	hidden := NewReply(root, bob, "in the thread only")
	hidden.CreatedAt = minute(12)
	shown := NewReply(root, ann, "in the channel too")
	shown.CreatedAt, shown.AlsoToChannel = minute(13), true
	shown.Reactions = []parley.Reaction{{Name: "eyes", Count: 1, UserIDs: []string{bob.ID}}}
	gone := NewChannelMessage(ch, bob, "")
	gone.CreatedAt, gone.Deleted = minute(14), true
	late := NewChannelMessage(ch, bob, "from a slow clock")
	late.CreatedAt = minute(9)
	msgs := []*parley.Message{root, hidden, shown, gone, late}
	pins := []*parley.Pin{newPin(root, bob, 20), newPin(late, ann, 21)}

	mustImport(t, s, ch.ID, msgs, pins, 5)

	setSeqs(msgs, 1)
	all := parley.MessageFilter{IncludeReplies: true, Limit: 50}
	page, err := s.Messages(t.Context(), ch.ID, all)
	checkOK(t, "Messages", err)
	if len(page.Messages) != len(msgs) {
		t.Fatalf("%d messages, want %d", len(page.Messages), len(msgs))
	}
	for i, m := range page.Messages {
		checkMessage(t, m, msgs[i])
	}
	checkStoredMessage(t, s, root)
	checkHistory(t, s, ch.ID, root, shown, gone, late)
	checkPins(t, s, ch.ID, pins[1], pins[0])
}

// Running an import again adds nothing, and a run of a grown export adds
// only what is new: a message stored already is skipped whole, even if the
// export changed it since, with its reactions and its pin.
func testImportMessagesRerun(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	msgs := newImportBatch(ch, ann, 3)
	pins := []*parley.Pin{newPin(msgs[0], ann, 20)}
	mustImport(t, s, ch.ID, msgs, pins, 3)
	mustImport(t, s, ch.ID, msgs, pins, 0)

	setSeqs(msgs, 1)
	checkHistory(t, s, ch.ID, msgs...)
	checkPins(t, s, ch.ID, pins[0])

	changed := *msgs[1]
	changed.Text = "edited in the export since"
	changed.Reactions = []parley.Reaction{{Name: "new", Count: 1, UserIDs: []string{ann.ID}}}
	more := newImportBatch(ch, ann, 2)
	grown := []*parley.Message{msgs[0], &changed, msgs[2], more[0], more[1]}
	morePins := []*parley.Pin{newPin(&changed, ann, 21), newPin(more[1], ann, 22)}
	mustImport(t, s, ch.ID, grown, morePins, 2)

	setSeqs(more, 4)
	checkHistory(t, s, ch.ID, slices.Concat(msgs, more)...)
	checkPins(t, s, ch.ID, morePins[1], pins[0])
	mustImport(t, s, ch.ID, grown, morePins, 0)
}

// Imported messages take the Seq numbers after the conversation's last,
// whatever Seq the caller gave them, and appends go on after them.
func testImportMessagesAfterAppend(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	live := []*parley.Message{
		MustAppendMessage(t, s, NewChannelMessage(ch, ann, "live 1")),
		MustAppendMessage(t, s, NewChannelMessage(ch, ann, "live 2")),
	}

	msgs := newImportBatch(ch, ann, 3)
	setSeqs(msgs, 1)
	mustImport(t, s, ch.ID, msgs, nil, 3)
	setSeqs(msgs, 3)

	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "live 3"))
	if next.Seq != 6 {
		t.Fatalf("Seq of the append after the import=%d, want 6", next.Seq)
	}
	more := newImportBatch(ch, ann, 1)
	mustImport(t, s, ch.ID, more, nil, 1)
	setSeqs(more, 7)

	checkHistory(t, s, ch.ID, slices.Concat(live, msgs, []*parley.Message{next}, more)...)
}

// An import that fails stores none of its messages, reactions or pins, and
// takes no Seq.
func testImportMessagesAllOrNothing(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	before := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "before"))
	missing := NewChannel(&parley.Workspace{ID: ch.WorkspaceID}, ann, "never-stored", false)
	lost := newImportBatch(ch, ann, 3)
	lost[2].ChannelID = missing.ID
	twice := newImportBatch(ch, ann, 3)
	twice[2].ID = twice[0].ID

	for _, tt := range []struct {
		name           string
		conversationID string
		msgs           []*parley.Message
		code           string // empty for any error
	}{
		{"LastMessageInMissingChannel", ch.ID, lost, parley.ENOTFOUND},
		{"MissingChannel", missing.ID, newImportBatch(missing, ann, 3), parley.ENOTFOUND},
		{"SameIDTwice", ch.ID, twice, ""},
	} {
		pins := []*parley.Pin{newPin(tt.msgs[0], ann, 20)}
		n, err := s.ImportMessages(t.Context(), tt.conversationID, tt.msgs, pins)
		if err == nil {
			t.Fatalf("%s: ImportMessages=%d, err=nil, want an error", tt.name, n)
		} else if tt.code != "" && parley.ErrorCode(err) != tt.code {
			t.Fatalf("%s: err=%v, want code %q", tt.name, err, tt.code)
		} else if n != 0 {
			t.Fatalf("%s: ImportMessages=%d with an error, want 0", tt.name, n)
		}

		for _, m := range tt.msgs {
			_, err := s.Message(t.Context(), m.ID)
			checkCode(t, err, parley.ENOTFOUND)
		}
		checkPins(t, s, ch.ID)
		checkHistory(t, s, missing.ID)
	}

	checkHistory(t, s, ch.ID, before)
	next := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "after"))
	if next.Seq != 2 {
		t.Fatalf("Seq of the append after the failed imports=%d, want 2", next.Seq)
	}
	msgs := newImportBatch(ch, ann, 2)
	mustImport(t, s, ch.ID, msgs, nil, 2)
	setSeqs(msgs, 3)
	checkHistory(t, s, ch.ID, slices.Concat([]*parley.Message{before, next}, msgs)...)
}

// A direct conversation, which has no channel, is imported as a channel
// is, threads and reactions included.
func testImportMessagesDirect(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	conv := parley.DMConversationID(ann.ID, bob.ID)

	hi := NewDirectMessage(ann, bob, "hi Bob")
	back := NewDirectMessage(bob, ann, "hi Ann")
	back.Reactions = []parley.Reaction{{Name: "wave", Count: 1, UserIDs: []string{ann.ID}}}
	reply := NewReply(hi, bob, "in a thread")
	hi.ReplyCount, hi.LastReplyAt = 1, new(reply.CreatedAt)
	msgs := []*parley.Message{hi, back, reply}
	mustImport(t, s, conv, msgs, nil, 3)

	setSeqs(msgs, 1)
	checkHistory(t, s, conv, hi, back)
	checkThread(t, s, hi, reply)
	checkStoredMessage(t, s, back)
	if next := MustAppendMessage(t, s, NewDirectMessage(bob, ann, "live")); next.Seq != 4 {
		t.Fatalf("Seq of the append after the import=%d, want 4", next.Seq)
	}
	mustImport(t, s, conv, msgs, nil, 0)
}

// Imported threads read as appended ones do: the history holds the roots
// and the replies sent to the channel too, each thread its replies. The
// roots' counts are the ones given, and a reply appended later adds to
// them.
func testImportMessagesReplies(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := NewChannelMessage(ch, ann, "root")
	other := NewChannelMessage(ch, ann, "another root")
	first := NewReply(root, ann, "reply 1")
	shown := NewReply(root, ann, "reply 2, in the channel too")
	shown.AlsoToChannel = true
	elsewhere := NewReply(other, ann, "a reply to the other root")
	third := NewReply(root, ann, "reply 3")
	root.ReplyCount, root.LastReplyAt = 3, new(minute(4))
	other.ReplyCount, other.LastReplyAt = 1, new(minute(4))
	msgs := []*parley.Message{root, first, other, shown, elsewhere, third}
	mustImport(t, s, ch.ID, msgs, nil, len(msgs))

	setSeqs(msgs, 1)
	checkHistory(t, s, ch.ID, root, other, shown)
	checkThread(t, s, root, first, shown, third)
	checkThread(t, s, other, elsewhere)
	checkStoredMessage(t, s, root)

	page, err := s.Messages(t.Context(), ch.ID,
		parley.MessageFilter{ParentID: root.ID, After: &first.Seq, Limit: 1})
	checkOK(t, "Messages", err)
	checkBool(t, "HasMore", page.HasMore, true)
	if len(page.Messages) != 1 {
		t.Fatalf("thread page after Seq %d has %d messages, want 1", first.Seq, len(page.Messages))
	}
	checkMessage(t, page.Messages[0], shown)

	live := MustAppendMessage(t, s, NewReply(root, ann, "live reply"))
	root.ReplyCount, root.LastReplyAt = 4, new(live.CreatedAt)
	checkStoredMessage(t, s, root)
	checkThread(t, s, root, first, shown, third, live)
}

// Thread counts are the store's, not the caller's: a reply imported later
// than its root counts on it, and counts given on a root are not taken.
func testImportMessagesRepliesCountOnEarlierRoot(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	root := NewChannelMessage(ch, ann, "root")
	root.ReplyCount, root.LastReplyAt = 7, new(minute(30))
	mustImport(t, s, ch.ID, []*parley.Message{root}, nil, 1)
	root.Seq, root.ReplyCount, root.LastReplyAt = 1, 0, nil
	checkStoredMessage(t, s, root)

	first := NewReply(root, ann, "a reply from a later export")
	first.CreatedAt = minute(5)
	again := []*parley.Message{root, first}
	mustImport(t, s, ch.ID, again, nil, 1)
	mustImport(t, s, ch.ID, again, nil, 0)

	root.ReplyCount, root.LastReplyAt = 1, new(minute(5))
	checkStoredMessage(t, s, root)
}

// An import of no messages adds nothing, and stores none of its pins.
func testImportMessagesEmpty(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "live"))

	mustImport(t, s, ch.ID, nil, []*parley.Pin{newPin(m, ann, 20)}, 0)
	checkPins(t, s, ch.ID)
	checkHistory(t, s, ch.ID, m)
}

// Deleting a channel removes its imported history with its reactions and
// pins, as it removes appended history, and nothing of the other channels'.
// An import into the deleted channel is refused.
func testDeleteChannelCascadesImported(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	gone := newImportBatch(random, ann, 3)
	mustImport(t, s, random.ID, gone, []*parley.Pin{newPin(gone[0], ann, 20)}, 3)
	kept := newImportBatch(general, ann, 2)
	keptPin := newPin(kept[1], ann, 21)
	mustImport(t, s, general.ID, kept, []*parley.Pin{keptPin}, 2)

	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), random.ID))

	checkHistory(t, s, random.ID)
	checkPins(t, s, random.ID)
	for _, m := range gone {
		_, err := s.Message(t.Context(), m.ID)
		checkCode(t, err, parley.ENOTFOUND)
	}
	removed, err := s.RemoveReaction(t.Context(), gone[0].ID, ann.ID, "ok")
	checkOK(t, "RemoveReaction", err)
	checkBool(t, "RemoveReaction", removed, false)

	setSeqs(kept, 1)
	checkHistory(t, s, general.ID, kept...)
	checkPins(t, s, general.ID, keptPin)

	n, err := s.ImportMessages(t.Context(), random.ID, newImportBatch(random, ann, 1), nil)
	checkCode(t, err, parley.ENOTFOUND)
	if n != 0 {
		t.Fatalf("ImportMessages=%d with an error, want 0", n)
	}
}

// newImportBatch returns n messages from sender in ch, as an import brings
// them: each with its own ClientMsgID and time, and the sender's reaction.
func newImportBatch(ch *parley.Channel, sender *parley.User, n int) []*parley.Message {
	msgs := make([]*parley.Message, n)
	for i := range msgs {
		m := NewChannelMessage(ch, sender, fmt.Sprint("imported ", i+1))
		m.CreatedAt = minute(10 + i)
		m.ClientMsgID = NewID("client")
		m.Reactions = []parley.Reaction{{Name: "ok", Count: 1, UserIDs: []string{sender.ID}}}
		msgs[i] = m
	}
	return msgs
}

// newPin returns a pin of m to its channel by u at baseTime moved by the
// given minutes, not stored yet.
func newPin(m *parley.Message, u *parley.User, minutes int) *parley.Pin {
	return &parley.Pin{
		ChannelID:  m.ChannelID,
		MessageID:  m.ID,
		PinnedByID: u.ID,
		PinnedAt:   minute(minutes),
	}
}

// setSeqs sets the Seq numbers of msgs from first on, as a store gives them
// to the messages it adds.
func setSeqs(msgs []*parley.Message, first int64) {
	for i, m := range msgs {
		m.Seq = first + int64(i)
	}
}

// mustImport imports msgs and pins into the conversation, and fails t if
// it cannot or if it does not add want messages.
func mustImport(t testing.TB, s parley.Store, conversationID string, msgs []*parley.Message,
	pins []*parley.Pin, want int) {
	t.Helper()
	n, err := s.ImportMessages(t.Context(), conversationID, msgs, pins)
	checkOK(t, "ImportMessages", err)
	if n != want {
		t.Fatalf("ImportMessages=%d, want %d", n, want)
	}
}
