package storetest

import (
	"testing"

	"github.com/parleychat/parley"
)

var workspaceCases = []testCase{
	{"CreateWorkspace/OK", testCreateWorkspaceOK},
	{"CreateWorkspace/ErrConflictID", testCreateWorkspaceErrConflictID},
	{"CreateWorkspace/AllOrNothing", testCreateWorkspaceAllOrNothing},
	{"Workspace/ErrNotFound", testWorkspaceErrNotFound},
	{"DeleteWorkspace/Cascades", testDeleteWorkspaceCascades},
	{"DeleteWorkspace/ErrNotFound", testDeleteWorkspaceErrNotFound},
	{"DeleteWorkspace/CascadesPinsAndReactions", testDeleteWorkspaceCascadesPinsAndReactions},
	{"WorkspaceMemberIDs/JoinOrder", testWorkspaceMemberIDsJoinOrder},
	{"IsWorkspaceMember/OK", testIsWorkspaceMemberOK},
	{"WorkspacesOfUser/OldestFirstWithCounts", testWorkspacesOfUserOldestFirst},
	{"WorkspacesOfUser/None", testWorkspacesOfUserNone},
	{"AddWorkspaceMember/OK", testAddWorkspaceMemberOK},
	{"AddWorkspaceMember/AlreadyMember", testAddWorkspaceMemberAlreadyMember},
	{"RemoveWorkspaceMember/LeavesChannels", testRemoveWorkspaceMemberLeavesChannels},
	{"RemoveWorkspaceMember/NotMember", testRemoveWorkspaceMemberNotMember},
	{"SharesWorkspace/OK", testSharesWorkspaceOK},
}

func testCreateWorkspaceOK(t *testing.T, s parley.Store) {
	admin := MustCreateUser(t, s, "Ann")
	ws, general := NewWorkspace(admin, "Acme")
	checkOK(t, "CreateWorkspace", s.CreateWorkspace(t.Context(), ws, general))

	got, err := s.Workspace(t.Context(), ws.ID)
	checkOK(t, "Workspace", err)
	checkWorkspace(t, got, ws)
	if len(got.Users) != 0 || len(got.Channels) != 0 {
		t.Fatalf("Workspace has Users=%q Channels=%v, want neither", got.Users, got.Channels)
	}

	// The admin is the only member, of the workspace and of its general
	// channel, which is the workspace's only channel.
	checkWorkspaceMembers(t, s, ws.ID, admin.ID)
	checkStoredChannel(t, s, general)
	checkChannelMembers(t, s, general.ID, admin.ID)
	checkChannels(t, s, ws.ID, general.ID)
}

func testCreateWorkspaceErrConflictID(t *testing.T, s parley.Store) {
	admin := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, admin, "Acme")

	again, general := NewWorkspace(admin, "Again")
	again.ID = ws.ID
	checkCode(t, s.CreateWorkspace(t.Context(), again, general), parley.ECONFLICT)

	// All or nothing: the refused workspace's channel is not stored, and
	// the first workspace is unchanged.
	_, err := s.Channel(t.Context(), general.ID)
	checkCode(t, err, parley.ENOTFOUND)
	got, err := s.Workspace(t.Context(), ws.ID)
	checkOK(t, "Workspace", err)
	checkWorkspace(t, got, ws)
}

// A general channel whose ID is taken fails the whole creation, the
// workspace and its membership included.
func testCreateWorkspaceAllOrNothing(t *testing.T, s parley.Store) {
	admin := MustCreateUser(t, s, "Ann")
	_, taken := MustCreateWorkspace(t, s, admin, "Acme")

	ws, general := NewWorkspace(admin, "Second")
	general.ID = taken.ID
	checkCode(t, s.CreateWorkspace(t.Context(), ws, general), parley.ECONFLICT)

	_, err := s.Workspace(t.Context(), ws.ID)
	checkCode(t, err, parley.ENOTFOUND)
	checkIsWorkspaceMember(t, s, ws.ID, admin.ID, false)
	list, err := s.WorkspacesOfUser(t.Context(), admin.ID)
	checkOK(t, "WorkspacesOfUser", err)
	if len(list) != 1 {
		t.Fatalf("len(WorkspacesOfUser)=%d, want 1", len(list))
	}
}

func testWorkspaceErrNotFound(t *testing.T, s parley.Store) {
	admin := MustCreateUser(t, s, "Ann")
	MustCreateWorkspace(t, s, admin, "Acme")

	got, err := s.Workspace(t.Context(), NewID("ws"))
	checkFailed(t, "Workspace", got, err, parley.ENOTFOUND)
}

// Deleting a workspace removes its channels, every membership in it and in
// them, and their messages. Direct messages between its members, and other
// workspaces, stay.
func testDeleteWorkspaceCascades(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := MustCreateChannel(t, s, ws, ann, "random", true)
	MustAddChannelMember(t, s, random, bob)
	MustAppendMessage(t, s, NewChannelMessage(general, ann, "hello"))
	MustAppendMessage(t, s, NewChannelMessage(random, bob, "psst"))
	dm := MustAppendMessage(t, s, NewDirectMessage(ann, bob, "direct"))
	other, otherGeneral := MustCreateWorkspace(t, s, ann, "Other")
	kept := MustAppendMessage(t, s, NewChannelMessage(otherGeneral, ann, "elsewhere"))

	checkOK(t, "DeleteWorkspace", s.DeleteWorkspace(t.Context(), ws.ID))

	_, err := s.Workspace(t.Context(), ws.ID)
	checkCode(t, err, parley.ENOTFOUND)
	for _, ch := range []*parley.Channel{general, random} {
		_, err := s.Channel(t.Context(), ch.ID)
		checkCode(t, err, parley.ENOTFOUND)
		checkChannelMembers(t, s, ch.ID)
		checkIsChannelMember(t, s, ch.ID, bob.ID, false)
		checkHistory(t, s, ch.ID)
	}

	checkChannels(t, s, ws.ID)
	checkWorkspaceMembers(t, s, ws.ID)
	checkIsWorkspaceMember(t, s, ws.ID, ann.ID, false)
	checkChannelIDsOfUser(t, s, ws.ID, bob.ID)
	ok, err := s.SharesWorkspace(t.Context(), ann.ID, bob.ID)
	checkOK(t, "SharesWorkspace", err)
	checkBool(t, "SharesWorkspace", ok, false)

	checkWorkspacesOfUser(t, s, ann.ID, other.ID)
	checkWorkspacesOfUser(t, s, bob.ID)

	checkHistory(t, s, dm.ConversationID, dm)
	checkHistory(t, s, otherGeneral.ID, kept)
}

// Deleting a workspace removes the pins and reactions of its channels'
// messages; those of another workspace and of direct messages stay.
func testDeleteWorkspaceCascadesPinsAndReactions(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	gone := MustAppendMessage(t, s, NewChannelMessage(general, ann, "gone"))
	mustAddReaction(t, s, gone, ann, "wave")
	mustPinMessage(t, s, gone, ann, 10)
	_, otherGeneral := MustCreateWorkspace(t, s, ann, "Other")
	kept := MustAppendMessage(t, s, NewChannelMessage(otherGeneral, ann, "kept"))
	keptPin := mustPinMessage(t, s, kept, ann, 11)
	dm := MustAppendMessage(t, s, NewDirectMessage(ann, bob, "direct"))
	mustAddReaction(t, s, dm, bob, "wave")

	checkOK(t, "DeleteWorkspace", s.DeleteWorkspace(t.Context(), ws.ID))

	checkPins(t, s, general.ID)
	_, err := s.Message(t.Context(), gone.ID)
	checkCode(t, err, parley.ENOTFOUND)
	checkPins(t, s, otherGeneral.ID, keptPin)
	dm.Reactions = []parley.Reaction{{Name: "wave", Count: 1, UserIDs: []string{bob.ID}}}
	checkStoredMessage(t, s, dm)
}

func testDeleteWorkspaceErrNotFound(t *testing.T, s parley.Store) {
	admin := MustCreateUser(t, s, "Ann")
	ws, _ := MustCreateWorkspace(t, s, admin, "Acme")

	checkCode(t, s.DeleteWorkspace(t.Context(), NewID("ws")), parley.ENOTFOUND)
	checkOK(t, "DeleteWorkspace", s.DeleteWorkspace(t.Context(), ws.ID))
	checkCode(t, s.DeleteWorkspace(t.Context(), ws.ID), parley.ENOTFOUND)
}

// A member who leaves and comes back joins at the end.
func testWorkspaceMemberIDsJoinOrder(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	cat, dan := MustCreateUser(t, s, "Cat"), MustCreateUser(t, s, "Dan")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, cat)
	MustAddWorkspaceMember(t, s, ws, general, bob)
	MustAddWorkspaceMember(t, s, ws, general, dan)

	checkWorkspaceMembers(t, s, ws.ID, ann.ID, cat.ID, bob.ID, dan.ID)

	_, err := s.RemoveWorkspaceMember(t.Context(), ws.ID, cat.ID)
	checkOK(t, "RemoveWorkspaceMember", err)
	MustAddWorkspaceMember(t, s, ws, general, cat)
	checkWorkspaceMembers(t, s, ws.ID, ann.ID, bob.ID, dan.ID, cat.ID)
}

func testIsWorkspaceMemberOK(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")
	MustCreateWorkspace(t, s, bob, "Bobs")

	for _, tt := range []struct {
		workspaceID, userID string
		want                bool
	}{
		{ws.ID, ann.ID, true},
		{ws.ID, bob.ID, false},
		{NewID("ws"), ann.ID, false},
		{ws.ID, NewID("user"), false},
	} {
		checkIsWorkspaceMember(t, s, tt.workspaceID, tt.userID, tt.want)
	}
}

// The list is ordered by the workspaces' creation times, not by the order
// they were stored or joined in.
func testWorkspacesOfUserOldestFirst(t *testing.T, s parley.Store) {
	ann, bob, cat := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob"), MustCreateUser(t, s, "Cat")
	newer, newerGeneral := mustCreateWorkspaceAt(t, s, ann, "Newer", 30)
	older, _ := mustCreateWorkspaceAt(t, s, ann, "Older", 10)
	middle, middleGeneral := mustCreateWorkspaceAt(t, s, bob, "Middle", 20)
	mustCreateWorkspaceAt(t, s, bob, "Not Ann's", 15)
	MustAddWorkspaceMember(t, s, middle, middleGeneral, ann)
	MustAddWorkspaceMember(t, s, newer, newerGeneral, bob)
	MustAddWorkspaceMember(t, s, newer, newerGeneral, cat)

	list, err := s.WorkspacesOfUser(t.Context(), ann.ID)
	checkOK(t, "WorkspacesOfUser", err)
	want := []parley.WorkspaceSummary{
		{ID: older.ID, Name: "Older", MemberCount: 1},
		{ID: middle.ID, Name: "Middle", MemberCount: 2},
		{ID: newer.ID, Name: "Newer", MemberCount: 3},
	}
	checkIDs(t, "WorkspacesOfUser", summaryIDs(list), []string{older.ID, middle.ID, newer.ID})
	for i, w := range list {
		if *w != want[i] {
			t.Fatalf("WorkspacesOfUser[%d]=%+v, want %+v", i, *w, want[i])
		}
	}
}

func testWorkspacesOfUserNone(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	MustCreateWorkspace(t, s, ann, "Acme")

	for _, id := range []string{bob.ID, NewID("user")} {
		checkWorkspacesOfUser(t, s, id)
	}
}

func testAddWorkspaceMemberOK(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)

	added, err := s.AddWorkspaceMember(t.Context(), ws.ID, bob.ID, general.ID)
	checkOK(t, "AddWorkspaceMember", err)
	checkBool(t, "AddWorkspaceMember", added, true)

	checkIsWorkspaceMember(t, s, ws.ID, bob.ID, true)
	checkChannelMembers(t, s, general.ID, ann.ID, bob.ID)

	// Only general: the other channels are joined one by one.
	checkIsChannelMember(t, s, random.ID, bob.ID, false)
}

// Adding a member again reports false and changes nothing, not even a
// general channel the member has somehow left.
func testAddWorkspaceMemberAlreadyMember(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	_, err := s.RemoveChannelMember(t.Context(), general.ID, bob.ID)
	checkOK(t, "RemoveChannelMember", err)

	added, err := s.AddWorkspaceMember(t.Context(), ws.ID, bob.ID, general.ID)
	checkOK(t, "AddWorkspaceMember", err)
	checkBool(t, "AddWorkspaceMember", added, false)

	checkWorkspaceMembers(t, s, ws.ID, ann.ID, bob.ID)
	checkIsChannelMember(t, s, general.ID, bob.ID, false)
}

// Leaving a workspace leaves every channel in it, and no channel elsewhere.
func testRemoveWorkspaceMemberLeavesChannels(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	MustAddChannelMember(t, s, random, bob)
	secret := MustCreateChannel(t, s, ws, bob, "secret", true)
	other, otherGeneral := MustCreateWorkspace(t, s, ann, "Other")
	MustAddWorkspaceMember(t, s, other, otherGeneral, bob)

	removed, err := s.RemoveWorkspaceMember(t.Context(), ws.ID, bob.ID)
	checkOK(t, "RemoveWorkspaceMember", err)
	checkBool(t, "RemoveWorkspaceMember", removed, true)

	checkIsWorkspaceMember(t, s, ws.ID, bob.ID, false)
	for _, ch := range []*parley.Channel{general, random, secret} {
		checkIsChannelMember(t, s, ch.ID, bob.ID, false)
	}
	checkChannelIDsOfUser(t, s, ws.ID, bob.ID)
	checkChannelMembers(t, s, random.ID, ann.ID)

	checkIsChannelMember(t, s, otherGeneral.ID, bob.ID, true)
	checkIsWorkspaceMember(t, s, other.ID, bob.ID, true)
}

func testRemoveWorkspaceMemberNotMember(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, _ := MustCreateWorkspace(t, s, ann, "Acme")

	removed, err := s.RemoveWorkspaceMember(t.Context(), ws.ID, bob.ID)
	checkOK(t, "RemoveWorkspaceMember", err)
	checkBool(t, "RemoveWorkspaceMember", removed, false)
	removed, err = s.RemoveWorkspaceMember(t.Context(), NewID("ws"), ann.ID)
	checkOK(t, "RemoveWorkspaceMember", err)
	checkBool(t, "RemoveWorkspaceMember", removed, false)

	checkWorkspaceMembers(t, s, ws.ID, ann.ID)
}

func testSharesWorkspaceOK(t *testing.T, s parley.Store) {
	ann, bob, cat := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob"), MustCreateUser(t, s, "Cat")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	MustCreateWorkspace(t, s, cat, "Cats")

	for _, tt := range []struct {
		a, b *parley.User
		want bool
	}{
		{ann, bob, true},
		{bob, ann, true},
		{ann, cat, false},
		{cat, bob, false},
	} {
		ok, err := s.SharesWorkspace(t.Context(), tt.a.ID, tt.b.ID)
		checkOK(t, "SharesWorkspace", err)
		checkBool(t, "SharesWorkspace("+tt.a.Nickname+", "+tt.b.Nickname+")", ok, tt.want)
	}

	_, err := s.RemoveWorkspaceMember(t.Context(), ws.ID, bob.ID)
	checkOK(t, "RemoveWorkspaceMember", err)
	ok, err := s.SharesWorkspace(t.Context(), ann.ID, bob.ID)
	checkOK(t, "SharesWorkspace", err)
	checkBool(t, "SharesWorkspace after leaving", ok, false)
}

// mustCreateWorkspaceAt stores a workspace created at baseTime moved by the
// given minutes.
func mustCreateWorkspaceAt(t testing.TB, s parley.Store, admin *parley.User,
	name string, minutes int) (*parley.Workspace, *parley.Channel) {
	t.Helper()
	ws, general := NewWorkspace(admin, name)
	ws.CreatedAt, general.CreatedAt = minute(minutes), minute(minutes)
	checkOK(t, "CreateWorkspace", s.CreateWorkspace(t.Context(), ws, general))
	return ws, general
}

// checkWorkspaceMembers fails t unless the members of the workspace are
// exactly the users of wantIDs, in the order they joined.
func checkWorkspaceMembers(t testing.TB, s parley.Store, workspaceID string, wantIDs ...string) {
	t.Helper()
	ids, err := s.WorkspaceMemberIDs(t.Context(), workspaceID)
	checkOK(t, "WorkspaceMemberIDs", err)
	checkIDs(t, "WorkspaceMemberIDs", ids, wantIDs)
}

// checkIsWorkspaceMember fails t unless IsWorkspaceMember reports want for
// the workspace and the user.
func checkIsWorkspaceMember(t testing.TB, s parley.Store, workspaceID, userID string, want bool) {
	t.Helper()
	ok, err := s.IsWorkspaceMember(t.Context(), workspaceID, userID)
	checkOK(t, "IsWorkspaceMember", err)
	checkBool(t, "IsWorkspaceMember("+workspaceID+", "+userID+")", ok, want)
}

// checkWorkspacesOfUser fails t unless the workspaces of the user are
// exactly those of wantIDs, in order.
func checkWorkspacesOfUser(t testing.TB, s parley.Store, userID string, wantIDs ...string) {
	t.Helper()
	list, err := s.WorkspacesOfUser(t.Context(), userID)
	checkOK(t, "WorkspacesOfUser", err)
	checkIDs(t, "WorkspacesOfUser", summaryIDs(list), wantIDs)
}

// checkWorkspace fails t unless got has the stored fields of want.
func checkWorkspace(t testing.TB, got, want *parley.Workspace) {
	t.Helper()
	switch {
	case got.ID != want.ID:
		t.Fatalf("ID=%q, want %q", got.ID, want.ID)
	case got.Name != want.Name:
		t.Fatalf("Name=%q, want %q", got.Name, want.Name)
	case got.AdminID != want.AdminID:
		t.Fatalf("AdminID=%q, want %q", got.AdminID, want.AdminID)
	case !got.CreatedAt.Equal(want.CreatedAt.Time):
		t.Fatalf("CreatedAt=%v, want %v", got.CreatedAt, want.CreatedAt)
	}
}

// summaryIDs returns the IDs of list, in order.
func summaryIDs(list []*parley.WorkspaceSummary) []string {
	var ids []string
	for _, w := range list {
		ids = append(ids, w.ID)
	}
	return ids
}
