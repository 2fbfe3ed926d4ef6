package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/parleychat/parley"
)

var streamCases = []testCase{
	{"Streams/OK", testStreamsOK},
	{"Streams/SinceOfCreator", testStreamsSinceOfCreator},
	{"Streams/SinceOfJoin", testStreamsSinceOfJoin},
	{"Streams/Leave", testStreamsLeave},
	{"DeleteChannel/RemovesStream", testDeleteChannelRemovesStream},
	{"DeleteWorkspace/RemovesStreams", testDeleteWorkspaceRemovesStreams},
}

// A user reads their own stream, even empty; the streams of the workspaces
// and channels they are a member of; and those of the direct conversations
// that hold a message of theirs, appended or imported. Each shows its
// latest position.
func testStreamsOK(t *testing.T, s parley.Store) {
	ann, bob, cat := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob"),
		MustCreateUser(t, s, "Cat")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	secret := MustCreateChannel(t, s, ws, ann, "secret", true)
	checkStreams(t, s, bob, streamAt(bob.ID, 0, 0))
	checkStreams(t, s, ann, streamAt(ann.ID, 0, 0), streamAt(ws.ID, 0, 0),
		streamAt(general.ID, 0, 0), streamAt(secret.ID, 0, 0))

	MustAddWorkspaceMember(t, s, ws, general, bob)
	mustAppendChanges(t, s, NewChannelMessage(general, ann, "hello"),
		newChange(general.ID, "message", 0), newChange(ws.ID, "note", 0),
		newChange(bob.ID, "note", 0), newChange(bob.ID, "note", 0))
	direct := mustAppendChanges(t, s, NewDirectMessage(bob, ann, "hi"),
		newChange(parley.DMConversationID(ann.ID, bob.ID), "message", 0),
		newChange(parley.DMConversationID(ann.ID, bob.ID), "message", 0))
	imported := NewDirectMessage(cat, ann, "from elsewhere")
	mustImport(t, s, imported.ConversationID, []*parley.Message{imported}, nil, 1)

	checkStreams(t, s, ann, streamAt(ann.ID, 0, 0), streamAt(ws.ID, 1, 0),
		streamAt(general.ID, 1, 0), streamAt(secret.ID, 0, 0),
		streamAt(direct.ConversationID, 2, 0), streamAt(imported.ConversationID, 0, 0))
	checkStreams(t, s, bob, streamAt(bob.ID, 2, 0), streamAt(ws.ID, 1, 0),
		streamAt(general.ID, 1, 0), streamAt(direct.ConversationID, 2, 0))
	checkStreams(t, s, cat, streamAt(cat.ID, 0, 0), streamAt(imported.ConversationID, 0, 0))
}

// The creator of a workspace reads its stream and its general channel's
// from their start, and so does the creator of a channel, whatever the
// workspace's stream holds already: the channel's creation is the first
// change they see in it.
func testStreamsSinceOfCreator(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	checkStreams(t, s, ann, streamAt(ann.ID, 0, 0), streamAt(ws.ID, 0, 0),
		streamAt(general.ID, 0, 0))

	mustAppendChanges(t, s, NewChannelMessage(general, ann, "hello"),
		newChange(ws.ID, "note", 0), newChange(ws.ID, "note", 0), newChange(general.ID, "note", 0))
	random := NewChannel(ws, ann, "random", false)
	created := newChange(random.ID, "channel_created", 1)
	checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), random,
		newChange(ws.ID, "channel_created", 1), created))

	checkStreams(t, s, ann, streamAt(ann.ID, 0, 0), streamAt(ws.ID, 3, 0),
		streamAt(general.ID, 1, 0), streamAt(random.ID, 1, 0))
	checkChanges(t, s, random.ID, 0, 10, created)
}

// A member who joins a workspace or a channel reads its stream from the
// position before their join: the changes of the same call, their join, are
// the first they see, in the workspace and in its general channel alike.
// The members who were there read as before. A join that records no change
// starts at the stream's latest position.
func testStreamsSinceOfJoin(t *testing.T, s parley.Store) {
	ann, bob, cat := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob"),
		MustCreateUser(t, s, "Cat")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	mustAppendChanges(t, s, NewChannelMessage(general, ann, "before Bob"),
		newChange(ws.ID, "note", 0), newChange(ws.ID, "note", 0), newChange(ws.ID, "note", 0),
		newChange(general.ID, "note", 0), newChange(general.ID, "note", 0),
		newChange(random.ID, "note", 0))

	joinedWS := newChange(ws.ID, "member_joined", 1)
	joinedGeneral := newChange(general.ID, "member_joined", 1)
	added, err := s.AddWorkspaceMember(t.Context(), ws.ID, bob.ID, general.ID, joinedWS,
		joinedGeneral)
	checkOK(t, "AddWorkspaceMember", wantTrue(added, err))
	joinedRandom := newChange(random.ID, "member_joined", 2)
	added, err = s.AddChannelMember(t.Context(), random.ID, bob.ID, joinedRandom)
	checkOK(t, "AddChannelMember", wantTrue(added, err))
	mustAppendChanges(t, s, NewChannelMessage(general, ann, "after Bob"),
		newChange(ws.ID, "note", 3), newChange(general.ID, "note", 3),
		newChange(random.ID, "note", 3))

	checkStreams(t, s, bob, streamAt(bob.ID, 0, 0), streamAt(ws.ID, 5, 3),
		streamAt(general.ID, 4, 2), streamAt(random.ID, 3, 1))
	checkChanges(t, s, ws.ID, 3, 1, joinedWS)
	checkChanges(t, s, general.ID, 2, 1, joinedGeneral)
	checkChanges(t, s, random.ID, 1, 1, joinedRandom)
	checkStreams(t, s, ann, streamAt(ann.ID, 0, 0), streamAt(ws.ID, 5, 0),
		streamAt(general.ID, 4, 0), streamAt(random.ID, 3, 0))

	MustAddWorkspaceMember(t, s, ws, general, cat)
	MustAddChannelMember(t, s, random, cat)
	checkStreams(t, s, cat, streamAt(cat.ID, 0, 0), streamAt(ws.ID, 5, 5),
		streamAt(general.ID, 4, 4), streamAt(random.ID, 3, 3))
}

// A member who leaves a channel no longer reads its stream, and one who
// leaves a workspace no longer reads its stream nor its channels'; their
// direct conversations stay. A member who joins again reads from the
// position before their new join.
func testStreamsLeave(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddWorkspaceMember(t, s, ws, general, bob)
	MustAddChannelMember(t, s, random, bob)
	dm := mustAppendChanges(t, s, NewDirectMessage(ann, bob, "hi"),
		newChange(parley.DMConversationID(ann.ID, bob.ID), "message", 0)).ConversationID
	mustAppendChanges(t, s, NewChannelMessage(random, ann, "hello"),
		newChange(random.ID, "message", 0))

	removed, err := s.RemoveChannelMember(t.Context(), random.ID, bob.ID,
		newChange(random.ID, "member_left", 1))
	checkOK(t, "RemoveChannelMember", wantTrue(removed, err))
	checkStreams(t, s, bob, streamAt(bob.ID, 0, 0), streamAt(ws.ID, 0, 0),
		streamAt(general.ID, 0, 0), streamAt(dm, 1, 0))

	added, err := s.AddChannelMember(t.Context(), random.ID, bob.ID,
		newChange(random.ID, "member_joined", 2))
	checkOK(t, "AddChannelMember", wantTrue(added, err))
	checkStreams(t, s, bob, streamAt(bob.ID, 0, 0), streamAt(ws.ID, 0, 0),
		streamAt(general.ID, 0, 0), streamAt(random.ID, 3, 2), streamAt(dm, 1, 0))

	removed, err = s.RemoveWorkspaceMember(t.Context(), ws.ID, bob.ID,
		newChange(ws.ID, "member_left", 3), newChange(bob.ID, "removed", 3))
	checkOK(t, "RemoveWorkspaceMember", wantTrue(removed, err))
	checkStreams(t, s, bob, streamAt(bob.ID, 1, 0), streamAt(dm, 1, 0))
}

// Deleting a channel removes its stream with its changes, from the stream
// lists of its members too, and records the changes given in other
// streams; the other streams keep theirs.
func testDeleteChannelRemovesStream(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddWorkspaceMember(t, s, ws, general, bob)
	MustAddChannelMember(t, s, random, bob)
	dm := parley.DMConversationID(ann.ID, bob.ID)
	mustAppendChanges(t, s, NewDirectMessage(ann, bob, "hello"),
		newChange(random.ID, "note", 0), newChange(random.ID, "note", 0),
		newChange(general.ID, "note", 0), newChange(ws.ID, "note", 0), newChange(dm, "message", 0))

	deleted := newChange(ws.ID, "channel_deleted", 1)
	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), random.ID, deleted))

	checkChanges(t, s, random.ID, 0, 10)
	checkChanges(t, s, ws.ID, 1, 10, deleted)
	if deleted.Pos != 2 {
		t.Fatalf("Pos=%d, want 2", deleted.Pos)
	}
	for _, u := range []*parley.User{ann, bob} {
		checkStreams(t, s, u, streamAt(u.ID, 0, 0), streamAt(ws.ID, 2, 0),
			streamAt(general.ID, 1, 0), streamAt(dm, 1, 0))
	}
}

// Deleting a workspace removes its stream and its channels' with their
// changes, and records the changes given in other streams; another
// workspace's streams and direct conversations keep theirs.
func testDeleteWorkspaceRemovesStreams(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	acme, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, acme, ann, "random", false)
	other, otherGeneral := MustCreateWorkspace(t, s, ann, "Other")
	MustAddWorkspaceMember(t, s, acme, general, bob)
	dm := parley.DMConversationID(ann.ID, bob.ID)
	mustAppendChanges(t, s, NewDirectMessage(ann, bob, "hi"),
		newChange(acme.ID, "note", 0), newChange(general.ID, "note", 0),
		newChange(random.ID, "note", 0), newChange(other.ID, "note", 0),
		newChange(otherGeneral.ID, "note", 0), newChange(dm, "message", 0))

	toAnn, toBob := newChange(ann.ID, "workspace_deleted", 1), newChange(bob.ID, "removed", 1)
	checkOK(t, "DeleteWorkspace", s.DeleteWorkspace(t.Context(), acme.ID, toAnn, toBob))

	for _, stream := range []string{acme.ID, general.ID, random.ID} {
		checkChanges(t, s, stream, 0, 10)
	}
	checkChanges(t, s, ann.ID, 0, 10, toAnn)
	checkChanges(t, s, bob.ID, 0, 10, toBob)
	checkStreams(t, s, ann, streamAt(ann.ID, 1, 0), streamAt(other.ID, 1, 0),
		streamAt(otherGeneral.ID, 1, 0), streamAt(dm, 1, 0))
	checkStreams(t, s, bob, streamAt(bob.ID, 1, 0), streamAt(dm, 1, 0))
}

// streamAt returns the position in a stream that the user's list shows.
func streamAt(stream string, latest, since int64) parley.StreamPosition {
	return parley.StreamPosition{Stream: stream, Latest: latest, Since: since}
}

// checkStreams fails t unless the streams u reads are exactly want, in any
// order.
func checkStreams(t testing.TB, s parley.Store, u *parley.User, want ...parley.StreamPosition) {
	t.Helper()
	got, err := s.Streams(t.Context(), u.ID)
	checkOK(t, "Streams", err)
	byStream := func(a, b parley.StreamPosition) int { return strings.Compare(a.Stream, b.Stream) }
	got, want = slices.SortedFunc(slices.Values(got), byStream),
		slices.SortedFunc(slices.Values(want), byStream)
	if !slices.Equal(got, want) {
		t.Fatalf("Streams of %s=%+v, want %+v in any order", u.Nickname, got, want)
	}
}

// checkLatest fails t unless the stream is one u reads, at the latest
// position given.
func checkLatest(t testing.TB, s parley.Store, u *parley.User, stream string, want int64) {
	t.Helper()
	list, err := s.Streams(t.Context(), u.ID)
	checkOK(t, "Streams", err)
	i := slices.IndexFunc(list, func(p parley.StreamPosition) bool { return p.Stream == stream })
	if i < 0 {
		t.Fatalf("Streams of %s=%+v, want %s among them", u.Nickname, list, stream)
	} else if list[i].Latest != want {
		t.Fatalf("Streams of %s: %s at Latest=%d, want %d", u.Nickname, stream, list[i].Latest,
			want)
	}
}
