// Package storetest checks that an implementation of [parley.Store] keeps
// the contracts written on that interface. Every store runs it against
// itself, in the manner of testing/slogtest:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) parley.Store {
//			s := mystore.Open(...)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// If two stores behave differently on something the suite does not check,
// the suite has a gap: add the case here, not to one store's tests.
//
// The package also exports the helpers the suite is written with, for tests
// elsewhere that need a store with some data in it.
package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
)

// Run runs the suite, one subtest per behaviour, named after the method
// (for example "AppendMessage/IdempotentClientMsgID"). It calls newStore
// once per subtest; newStore must return an empty store, ready for use, and
// arrange for it to be closed when t ends. The suite may close the store
// itself first, so a second Close must not fail t.
func Run(t *testing.T, newStore func(t *testing.T) parley.Store) {
	cases := slices.Concat(userCases, tokenCases, workspaceCases, channelCases,
		messageCases, editCases, threadCases, reactionCases, pinCases, storeCases,
		accountCases, importCases, readCases, changeCases, streamCases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t))
		})
	}
}

// testCase is one behaviour the suite checks.
type testCase struct {
	name string
	run  func(t *testing.T, s parley.Store)
}

// runID sets the IDs of this process apart from those of earlier runs, for
// stores whose newStore cannot start from nothing.
var runID = time.Now().UnixNano() % 1e9

var idCount atomic.Int64

// NewID returns an ID that no other call in this process returns, starting
// with prefix.
func NewID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, runID, idCount.Add(1))
}

// baseTime is the time the suite's objects are created at, give or take a
// few minutes: fixed, and in milliseconds, which every store keeps.
var baseTime = time.Date(2026, 12, 3, 16, 14, 30, 123e6, time.UTC)

// minute returns baseTime moved by n minutes, as a [parley.Time].
func minute(n int) parley.Time {
	return parley.NewTime(baseTime.Add(time.Duration(n) * time.Minute))
}

// NewUser returns a user that is not stored yet, with a fresh ID and an
// email made from nickname that no other call in this process returns.
func NewUser(nickname string) *parley.User {
	id := NewID("user")
	return &parley.User{
		ID:        id,
		Email:     strings.ToLower(nickname) + "." + id + "@example.com",
		Nickname:  nickname,
		CreatedAt: minute(0),
	}
}

// MustCreateUser stores a new user (see [NewUser]) with no password, and
// fails tb if it cannot.
func MustCreateUser(tb testing.TB, s parley.Store, nickname string) *parley.User {
	tb.Helper()
	u := NewUser(nickname)
	if err := s.CreateUser(tb.Context(), u, ""); err != nil {
		tb.Fatalf("CreateUser: %v", err)
	}
	return u
}

// NewWorkspace returns a workspace named name with admin as its admin, and
// its general channel, neither stored yet.
func NewWorkspace(admin *parley.User, name string) (*parley.Workspace, *parley.Channel) {
	ws := &parley.Workspace{
		ID:        NewID("ws"),
		Name:      name,
		AdminID:   admin.ID,
		CreatedAt: minute(1),
	}
	general := &parley.Channel{
		ID:          NewID("ch"),
		Name:        parley.GeneralChannelName,
		WorkspaceID: ws.ID,
		CreatorID:   admin.ID,
		CreatedAt:   minute(1),
	}
	return ws, general
}

// MustCreateWorkspace stores a new workspace (see [NewWorkspace]) with its
// general channel, and fails tb if it cannot.
func MustCreateWorkspace(tb testing.TB, s parley.Store, admin *parley.User,
	name string) (*parley.Workspace, *parley.Channel) {
	tb.Helper()
	ws, general := NewWorkspace(admin, name)
	if err := s.CreateWorkspace(tb.Context(), ws, general); err != nil {
		tb.Fatalf("CreateWorkspace: %v", err)
	}
	return ws, general
}

// NewChannel returns a channel of ws named name, created by creator, not
// stored yet.
func NewChannel(ws *parley.Workspace, creator *parley.User, name string, private bool) *parley.Channel {
	return &parley.Channel{
		ID:          NewID("ch"),
		Name:        name,
		WorkspaceID: ws.ID,
		IsPrivate:   private,
		CreatorID:   creator.ID,
		CreatedAt:   minute(2),
	}
}

// MustCreateChannel stores a new channel (see [NewChannel]), and fails tb if
// it cannot.
func MustCreateChannel(tb testing.TB, s parley.Store, ws *parley.Workspace, creator *parley.User,
	name string, private bool) *parley.Channel {
	tb.Helper()
	ch := NewChannel(ws, creator, name, private)
	if err := s.CreateChannel(tb.Context(), ch); err != nil {
		tb.Fatalf("CreateChannel: %v", err)
	}
	return ch
}

// MustAddWorkspaceMember makes u a member of ws and of its general channel,
// and fails tb if it cannot or if u was a member already.
func MustAddWorkspaceMember(tb testing.TB, s parley.Store, ws *parley.Workspace,
	general *parley.Channel, u *parley.User) {
	tb.Helper()
	if added, err := s.AddWorkspaceMember(tb.Context(), ws.ID, u.ID, general.ID); err != nil {
		tb.Fatalf("AddWorkspaceMember: %v", err)
	} else if !added {
		tb.Fatalf("AddWorkspaceMember=false, want true")
	}
}

// MustAddChannelMember adds u to ch, and fails tb if it cannot or if u was a
// member already.
func MustAddChannelMember(tb testing.TB, s parley.Store, ch *parley.Channel, u *parley.User) {
	tb.Helper()
	if added, err := s.AddChannelMember(tb.Context(), ch.ID, u.ID); err != nil {
		tb.Fatalf("AddChannelMember: %v", err)
	} else if !added {
		tb.Fatalf("AddChannelMember=false, want true")
	}
}

// NewChannelMessage returns a message from sender in ch, with a fresh ID and
// no Seq, not stored yet.
func NewChannelMessage(ch *parley.Channel, sender *parley.User, text string) *parley.Message {
	return &parley.Message{
		ID:             NewID("msg"),
		ConversationID: ch.ID,
		WorkspaceID:    ch.WorkspaceID,
		ChannelID:      ch.ID,
		SenderID:       sender.ID,
		Text:           text,
		CreatedAt:      minute(3),
	}
}

// NewDirectMessage returns a direct message from sender to receiver, with a
// fresh ID and no Seq, not stored yet.
func NewDirectMessage(sender, receiver *parley.User, text string) *parley.Message {
	return &parley.Message{
		ID:             NewID("msg"),
		ConversationID: parley.DMConversationID(sender.ID, receiver.ID),
		ReceiverID:     receiver.ID,
		SenderID:       sender.ID,
		Text:           text,
		CreatedAt:      minute(3),
	}
}

// NewReply returns a reply from sender in the thread of root, in root's
// conversation, with a fresh ID and no Seq, not stored yet.
func NewReply(root *parley.Message, sender *parley.User, text string) *parley.Message {
	m := &parley.Message{
		ID:             NewID("msg"),
		ConversationID: root.ConversationID,
		WorkspaceID:    root.WorkspaceID,
		ChannelID:      root.ChannelID,
		SenderID:       sender.ID,
		Text:           text,
		CreatedAt:      minute(4),
		ParentID:       root.ID,
	}
	if parley.IsDMConversation(root.ConversationID) {
		m.ReceiverID = root.SenderID
		if sender.ID == root.SenderID {
			m.ReceiverID = root.ReceiverID
		}
	}
	return m
}

// MustAppendMessage appends m and returns the stored message, failing tb if
// it cannot or if m was not created.
func MustAppendMessage(tb testing.TB, s parley.Store, m *parley.Message) *parley.Message {
	tb.Helper()
	stored, created, err := s.AppendMessage(tb.Context(), m)
	if err != nil {
		tb.Fatalf("AppendMessage: %v", err)
	} else if !created {
		tb.Fatalf("AppendMessage: created=false, want true")
	}
	return stored
}

// checkCode fails t unless err carries the given code.
func checkCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := parley.ErrorCode(err); got != code {
		t.Fatalf("err=%v, want code %q", err, code)
	}
}

// checkOK fails t if err is not nil; what names the call.
func checkOK(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkFailed fails t unless err carries the given code and got is nil: a
// call that fails returns no value. what names the call.
func checkFailed[T any](t testing.TB, what string, got *T, err error, code string) {
	t.Helper()
	checkCode(t, err, code)
	if got != nil {
		t.Fatalf("%s=%+v, want nil", what, got)
	}
}

// checkIDs fails t unless got holds exactly the IDs of want, in order.
func checkIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s=%q, want %q", what, got, want)
	}
}

// checkIDSet fails t unless got holds exactly the IDs of want, in any order.
func checkIDSet(t testing.TB, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("%s=%q, want %q in any order", what, got, want)
	}
}

// checkBool fails t unless got is want.
func checkBool(t testing.TB, what string, got, want bool) {
	t.Helper()
	if got != want {
		t.Fatalf("%s=%t, want %t", what, got, want)
	}
}
