package storetest

import (
	"testing"

	"github.com/parleychat/parley"
)

var channelCases = []testCase{
	{"CreateChannel/OK", testCreateChannelOK},
	{"CreateChannel/ErrConflictName", testCreateChannelErrConflictName},
	{"CreateChannel/SameNameOtherWorkspace", testCreateChannelSameNameOtherWorkspace},
	{"CreateChannel/ErrConflictID", testCreateChannelErrConflictID},
	{"Channel/ErrNotFound", testChannelErrNotFound},
	{"Channels/OldestFirst", testChannelsOldestFirst},
	{"Channels/None", testChannelsNone},
	{"ChannelIDsOfUser/OK", testChannelIDsOfUserOK},
	{"DeleteChannel/Cascades", testDeleteChannelCascades},
	{"DeleteChannel/ErrNotFound", testDeleteChannelErrNotFound},
	{"ChannelMemberIDs/JoinOrder", testChannelMemberIDsJoinOrder},
	{"IsChannelMember/OK", testIsChannelMemberOK},
	{"AddChannelMember/OK", testAddChannelMemberOK},
	{"AddChannelMember/AlreadyMember", testAddChannelMemberAlreadyMember},
	{"RemoveChannelMember/OK", testRemoveChannelMemberOK},
	{"RemoveChannelMember/NotMember", testRemoveChannelMemberNotMember},
	{"CreateChannel/TopicPurposeArchived", testCreateChannelSettings},
	{"DeleteChannel/CascadesPinsAndReactions", testDeleteChannelCascadesPinsAndReactions},
	{"UpdateChannel/OK", testUpdateChannelOK},
	{"UpdateChannel/PartialUpdate", testUpdateChannelPartialUpdate},
	{"UpdateChannel/NothingToChange", testUpdateChannelNothingToChange},
	{"UpdateChannel/ClearAndUnarchive", testUpdateChannelClearAndUnarchive},
	{"UpdateChannel/SameName", testUpdateChannelSameName},
	{"UpdateChannel/FreesOldName", testUpdateChannelFreesOldName},
	{"UpdateChannel/ErrConflictName", testUpdateChannelErrConflictName},
	{"UpdateChannel/SameNameOtherWorkspace", testUpdateChannelSameNameOtherWorkspace},
	{"UpdateChannel/ErrNotFound", testUpdateChannelErrNotFound},
}

func testCreateChannelOK(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")

	for _, private := range []bool{false, true} {
		ch := NewChannel(ws, ann, NewID("chan"), private)
		checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), ch))

		got, err := s.Channel(t.Context(), ch.ID)
		checkOK(t, "Channel", err)
		checkChannel(t, got, ch)
		if len(got.Users) != 0 {
			t.Fatalf("Users=%q, want none", got.Users)
		}
		checkChannelMembers(t, s, ch.ID, ann.ID)
	}
}

func testCreateChannelErrConflictName(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	MustCreateChannel(t, s, ws, ann, "random", false)

	for _, name := range []string{"random", parley.GeneralChannelName} {
		ch := NewChannel(ws, ann, name, true)
		checkCode(t, s.CreateChannel(t.Context(), ch), parley.ECONFLICT)
		_, err := s.Channel(t.Context(), ch.ID)
		checkCode(t, err, parley.ENOTFOUND)
	}
}

func testCreateChannelSameNameOtherWorkspace(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	acme, _ := MustCreateWorkspace(t, s, ann, "Acme")
	other, _ := MustCreateWorkspace(t, s, ann, "Other")

	MustCreateChannel(t, s, acme, ann, "random", false)
	MustCreateChannel(t, s, other, ann, "random", false)
}

func testCreateChannelErrConflictID(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	first := MustCreateChannel(t, s, ws, ann, "random", false)

	ch := NewChannel(ws, ann, "other", false)
	ch.ID = first.ID
	checkCode(t, s.CreateChannel(t.Context(), ch), parley.ECONFLICT)

	checkStoredChannel(t, s, first)
}

func testChannelErrNotFound(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	MustCreateWorkspace(t, s, ann, "Acme")

	got, err := s.Channel(t.Context(), NewID("ch"))
	checkFailed(t, "Channel", got, err, parley.ENOTFOUND)
}

// The list is ordered by the channels' creation times, not by the order they
// were stored in, and holds only the workspace's own channels.
func testChannelsOldestFirst(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	other, _ := MustCreateWorkspace(t, s, ann, "Other")
	newer := mustCreateChannelAt(t, s, ws, ann, "newer", 30)
	older := mustCreateChannelAt(t, s, ws, ann, "older", 10)
	mustCreateChannelAt(t, s, other, ann, "elsewhere", 20)

	list, err := s.Channels(t.Context(), ws.ID)
	checkOK(t, "Channels", err)
	checkIDs(t, "Channels", channelIDs(list), []string{general.ID, older.ID, newer.ID})
	for i, want := range []*parley.Channel{general, older, newer} {
		checkChannel(t, list[i], want)
	}
}

func testChannelsNone(t *testing.T, s parley.Store) {
	checkChannels(t, s, NewID("ws"))
}

func testChannelIDsOfUserOK(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, random, bob)
	MustCreateChannel(t, s, ws, ann, "not-bobs", true)
	other, _ := MustCreateWorkspace(t, s, bob, "Other")

	checkChannelIDsOfUser(t, s, ws.ID, bob.ID, general.ID, random.ID)

	checkChannelIDsOfUser(t, s, other.ID, ann.ID)
}

// Deleting a channel removes its members and its messages, and nothing of
// the other channels.
func testDeleteChannelCascades(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, random, bob)
	MustAppendMessage(t, s, NewChannelMessage(random, ann, "one"))
	MustAppendMessage(t, s, NewChannelMessage(random, bob, "two"))
	kept := MustAppendMessage(t, s, NewChannelMessage(general, bob, "kept"))

	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), random.ID))

	_, err := s.Channel(t.Context(), random.ID)
	checkCode(t, err, parley.ENOTFOUND)
	checkChannelMembers(t, s, random.ID)
	checkIsChannelMember(t, s, random.ID, bob.ID, false)
	checkChannelIDsOfUser(t, s, ws.ID, bob.ID, general.ID)
	checkChannels(t, s, ws.ID, general.ID)
	checkHistory(t, s, random.ID)

	checkHistory(t, s, general.ID, kept)
	checkIsWorkspaceMember(t, s, ws.ID, bob.ID, true)
}

func testDeleteChannelErrNotFound(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)

	checkCode(t, s.DeleteChannel(t.Context(), NewID("ch")), parley.ENOTFOUND)
	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), ch.ID))
	checkCode(t, s.DeleteChannel(t.Context(), ch.ID), parley.ENOTFOUND)
}

// A member who leaves and comes back joins at the end.
func testChannelMemberIDsJoinOrder(t *testing.T, s parley.Store) {
	ann, bob, cat := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob"), MustCreateUser(t, s, "Cat")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, ch, cat)
	MustAddChannelMember(t, s, ch, bob)

	checkChannelMembers(t, s, ch.ID, ann.ID, cat.ID, bob.ID)

	_, err := s.RemoveChannelMember(t.Context(), ch.ID, cat.ID)
	checkOK(t, "RemoveChannelMember", err)
	MustAddChannelMember(t, s, ch, cat)
	checkChannelMembers(t, s, ch.ID, ann.ID, bob.ID, cat.ID)
}

func testIsChannelMemberOK(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)

	for _, tt := range []struct {
		channelID, userID string
		want              bool
	}{
		{ch.ID, ann.ID, true},
		{general.ID, ann.ID, true},
		{ch.ID, bob.ID, false},
		{NewID("ch"), ann.ID, false},
	} {
		checkIsChannelMember(t, s, tt.channelID, tt.userID, tt.want)
	}
}

func testAddChannelMemberOK(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", true)

	added, err := s.AddChannelMember(t.Context(), ch.ID, bob.ID)
	checkOK(t, "AddChannelMember", err)
	checkBool(t, "AddChannelMember", added, true)

	checkIsChannelMember(t, s, ch.ID, bob.ID, true)
}

func testAddChannelMemberAlreadyMember(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, ch, bob)

	for _, u := range []*parley.User{ann, bob} {
		added, err := s.AddChannelMember(t.Context(), ch.ID, u.ID)
		checkOK(t, "AddChannelMember", err)
		checkBool(t, "AddChannelMember("+u.Nickname+")", added, false)
	}
	checkChannelMembers(t, s, ch.ID, ann.ID, bob.ID)
}

func testRemoveChannelMemberOK(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	ch := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, ch, bob)

	removed, err := s.RemoveChannelMember(t.Context(), ch.ID, bob.ID)
	checkOK(t, "RemoveChannelMember", err)
	checkBool(t, "RemoveChannelMember", removed, true)

	checkChannelMembers(t, s, ch.ID, ann.ID)

	// Leaving a channel is not leaving the workspace.
	checkIsWorkspaceMember(t, s, ws.ID, bob.ID, true)
}

func testRemoveChannelMemberNotMember(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)

	removed, err := s.RemoveChannelMember(t.Context(), ch.ID, bob.ID)
	checkOK(t, "RemoveChannelMember", err)
	checkBool(t, "RemoveChannelMember", removed, false)
	removed, err = s.RemoveChannelMember(t.Context(), NewID("ch"), ann.ID)
	checkOK(t, "RemoveChannelMember", err)
	checkBool(t, "RemoveChannelMember", removed, false)
}

// A channel is stored with the settings it is created with.
func testCreateChannelSettings(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := NewChannel(ws, ann, "imported", false)
	ch.Topic, ch.Purpose, ch.Archived = "old times", "kept for the record", true
	checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), ch))

	checkStoredChannel(t, s, ch)
}

// Deleting a channel removes the pins and reactions of its messages, and
// nothing of the other channels'.
func testDeleteChannelCascadesPinsAndReactions(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	gone := MustAppendMessage(t, s, NewChannelMessage(random, ann, "gone"))
	mustAddReaction(t, s, gone, ann, "wave")
	mustPinMessage(t, s, gone, ann, 10)
	kept := MustAppendMessage(t, s, NewChannelMessage(general, ann, "kept"))
	mustAddReaction(t, s, kept, ann, "wave")
	keptPin := mustPinMessage(t, s, kept, ann, 11)

	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), random.ID))

	checkPins(t, s, random.ID)
	_, err := s.Message(t.Context(), gone.ID)
	checkCode(t, err, parley.ENOTFOUND)
	_, err = s.AddReaction(t.Context(), gone.ID, ann.ID, "again")
	checkCode(t, err, parley.ENOTFOUND)
	removed, err := s.RemoveReaction(t.Context(), gone.ID, ann.ID, "wave")
	checkOK(t, "RemoveReaction", err)
	checkBool(t, "RemoveReaction", removed, false)
	unpinned, err := s.UnpinMessage(t.Context(), gone.ID)
	checkOK(t, "UnpinMessage", err)
	checkBool(t, "UnpinMessage", unpinned, false)

	checkPins(t, s, general.ID, keptPin)
	kept.Reactions = []parley.Reaction{{Name: "wave", Count: 1, UserIDs: []string{ann.ID}}}
	checkStoredMessage(t, s, kept)
}

func testUpdateChannelOK(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", true)

	got, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{
		Name:     new("watercooler"),
		Topic:    new("anything goes"),
		Purpose:  new("chat that fits nowhere else"),
		Archived: new(true),
	})
	checkOK(t, "UpdateChannel", err)
	want := *ch
	want.Name, want.Topic, want.Purpose, want.Archived =
		"watercooler", "anything goes", "chat that fits nowhere else", true
	checkChannel(t, got, &want)

	checkStoredChannel(t, s, &want)
	list, err := s.Channels(t.Context(), ws.ID)
	checkOK(t, "Channels", err)
	checkIDs(t, "Channels", channelIDs(list), []string{general.ID, ch.ID})
	checkChannel(t, list[1], &want)
}

// Each field left nil keeps its value, whatever the others do.
func testUpdateChannelPartialUpdate(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := NewChannel(ws, ann, "random", false)
	ch.Topic, ch.Purpose = "first topic", "first purpose"
	checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), ch))
	want := *ch

	for _, tt := range []struct {
		u      parley.ChannelUpdate
		change func(*parley.Channel)
	}{
		{parley.ChannelUpdate{Topic: new("second topic")},
			func(ch *parley.Channel) { ch.Topic = "second topic" }},
		{parley.ChannelUpdate{Purpose: new("second purpose")},
			func(ch *parley.Channel) { ch.Purpose = "second purpose" }},
		{parley.ChannelUpdate{Archived: new(true)},
			func(ch *parley.Channel) { ch.Archived = true }},
		{parley.ChannelUpdate{Name: new("renamed")},
			func(ch *parley.Channel) { ch.Name = "renamed" }},
	} {
		got, err := s.UpdateChannel(t.Context(), ch.ID, tt.u)
		checkOK(t, "UpdateChannel", err)
		tt.change(&want)
		checkChannel(t, got, &want)
		checkStoredChannel(t, s, &want)
	}
}

// An update with every field nil changes nothing and returns the channel.
func testUpdateChannelNothingToChange(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := NewChannel(ws, ann, "random", true)
	ch.Topic = "a topic"
	checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), ch))

	got, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{})
	checkOK(t, "UpdateChannel", err)
	checkChannel(t, got, ch)
}

// A field set to its zero value is changed to it, not left as it was.
func testUpdateChannelClearAndUnarchive(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := NewChannel(ws, ann, "random", false)
	ch.Topic, ch.Purpose, ch.Archived = "a topic", "a purpose", true
	checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), ch))

	got, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{
		Topic: new(""), Purpose: new(""), Archived: new(false),
	})
	checkOK(t, "UpdateChannel", err)
	want := *ch
	want.Topic, want.Purpose, want.Archived = "", "", false
	checkChannel(t, got, &want)
	checkStoredChannel(t, s, &want)
}

// A channel's own name is not taken from it.
func testUpdateChannelSameName(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)

	got, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{
		Name: new("random"), Topic: new("same name, new topic"),
	})
	checkOK(t, "UpdateChannel", err)
	want := *ch
	want.Topic = "same name, new topic"
	checkChannel(t, got, &want)
}

// After a rename the old name is free and the new one taken.
func testUpdateChannelFreesOldName(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)

	_, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{Name: new("renamed")})
	checkOK(t, "UpdateChannel", err)

	MustCreateChannel(t, s, ws, ann, "random", false)
	checkCode(t, s.CreateChannel(t.Context(), NewChannel(ws, ann, "renamed", false)), parley.ECONFLICT)
}

// A rename to a name taken in the workspace fails as a whole: the other
// fields of the update are not applied either.
func testUpdateChannelErrConflictName(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)

	for _, taken := range []*parley.Channel{general, random} {
		ch := MustCreateChannel(t, s, ws, ann, NewID("chan"), false)
		_, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{
			Name: new(taken.Name), Topic: new("never set"), Archived: new(true),
		})
		checkCode(t, err, parley.ECONFLICT)

		checkStoredChannel(t, s, ch)
		checkStoredChannel(t, s, taken)
	}
}

func testUpdateChannelSameNameOtherWorkspace(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	acme, _ := MustCreateWorkspace(t, s, ann, "Acme")
	other, _ := MustCreateWorkspace(t, s, ann, "Other")
	MustCreateChannel(t, s, acme, ann, "random", false)
	ch := MustCreateChannel(t, s, other, ann, "elsewhere", false)

	got, err := s.UpdateChannel(t.Context(), ch.ID, parley.ChannelUpdate{Name: new("random")})
	checkOK(t, "UpdateChannel", err)
	want := *ch
	want.Name = "random"
	checkChannel(t, got, &want)
}

func testUpdateChannelErrNotFound(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	ch := MustCreateChannel(t, s, ws, ann, "random", false)
	checkOK(t, "DeleteChannel", s.DeleteChannel(t.Context(), ch.ID))

	for _, id := range []string{NewID("ch"), ch.ID} {
		got, err := s.UpdateChannel(t.Context(), id, parley.ChannelUpdate{Topic: new("no one hears")})
		checkFailed(t, "UpdateChannel", got, err, parley.ENOTFOUND)
	}
}

// mustCreateChannelAt stores a public channel created at baseTime moved by
// the given minutes.
func mustCreateChannelAt(t testing.TB, s parley.Store, ws *parley.Workspace, creator *parley.User,
	name string, minutes int) *parley.Channel {
	t.Helper()
	ch := NewChannel(ws, creator, name, false)
	ch.CreatedAt = minute(minutes)
	checkOK(t, "CreateChannel", s.CreateChannel(t.Context(), ch))
	return ch
}

// checkChannel fails t unless got has the stored fields of want.
func checkChannel(t testing.TB, got, want *parley.Channel) {
	t.Helper()
	switch {
	case got.ID != want.ID:
		t.Fatalf("ID=%q, want %q", got.ID, want.ID)
	case got.Name != want.Name:
		t.Fatalf("Name=%q, want %q", got.Name, want.Name)
	case got.WorkspaceID != want.WorkspaceID:
		t.Fatalf("WorkspaceID=%q, want %q", got.WorkspaceID, want.WorkspaceID)
	case got.IsPrivate != want.IsPrivate:
		t.Fatalf("IsPrivate=%t, want %t", got.IsPrivate, want.IsPrivate)
	case got.CreatorID != want.CreatorID:
		t.Fatalf("CreatorID=%q, want %q", got.CreatorID, want.CreatorID)
	case !got.CreatedAt.Equal(want.CreatedAt.Time):
		t.Fatalf("CreatedAt=%v, want %v", got.CreatedAt, want.CreatedAt)
	case got.Topic != want.Topic:
		t.Fatalf("Topic=%q, want %q", got.Topic, want.Topic)
	case got.Purpose != want.Purpose:
		t.Fatalf("Purpose=%q, want %q", got.Purpose, want.Purpose)
	case got.Archived != want.Archived:
		t.Fatalf("Archived=%t, want %t", got.Archived, want.Archived)
	}
}

// channelIDs returns the IDs of list, in order.
func channelIDs(list []*parley.Channel) []string {
	var ids []string
	for _, ch := range list {
		ids = append(ids, ch.ID)
	}
	return ids
}

// checkStoredChannel fails t unless Channel returns want, with all its
// stored fields.
func checkStoredChannel(t testing.TB, s parley.Store, want *parley.Channel) {
	t.Helper()
	got, err := s.Channel(t.Context(), want.ID)
	checkOK(t, "Channel", err)
	checkChannel(t, got, want)
}

// checkChannels fails t unless the channels of the workspace are exactly
// those of wantIDs, in order.
func checkChannels(t testing.TB, s parley.Store, workspaceID string, wantIDs ...string) {
	t.Helper()
	list, err := s.Channels(t.Context(), workspaceID)
	checkOK(t, "Channels", err)
	checkIDs(t, "Channels", channelIDs(list), wantIDs)
}

// checkChannelMembers fails t unless the members of the channel are exactly
// the users of wantIDs, in the order they joined.
func checkChannelMembers(t testing.TB, s parley.Store, channelID string, wantIDs ...string) {
	t.Helper()
	ids, err := s.ChannelMemberIDs(t.Context(), channelID)
	checkOK(t, "ChannelMemberIDs", err)
	checkIDs(t, "ChannelMemberIDs", ids, wantIDs)
}

// checkIsChannelMember fails t unless IsChannelMember reports want for the
// channel and the user.
func checkIsChannelMember(t testing.TB, s parley.Store, channelID, userID string, want bool) {
	t.Helper()
	ok, err := s.IsChannelMember(t.Context(), channelID, userID)
	checkOK(t, "IsChannelMember", err)
	checkBool(t, "IsChannelMember("+channelID+", "+userID+")", ok, want)
}

// checkChannelIDsOfUser fails t unless the channels of the workspace that
// the user is in are exactly those of wantIDs, in any order.
func checkChannelIDsOfUser(t testing.TB, s parley.Store, workspaceID, userID string,
	wantIDs ...string) {
	t.Helper()
	ids, err := s.ChannelIDsOfUser(t.Context(), workspaceID, userID)
	checkOK(t, "ChannelIDsOfUser", err)
	checkIDSet(t, "ChannelIDsOfUser", ids, wantIDs)
}
