package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The tests of "State and sync" (SPEC.md): read markers and unreads,
// typing, presence, and membership and structure events. They live in the
// e2e_unread, e2e_typing, e2e_presence and e2e_membership test files; this
// file holds what they share.

// StateEvent is a pushed frame of state and sync: a membership or structure
// event, presence_change, typing or read_marker, with the fields of each.
type StateEvent struct {
	Type        string       `json:"type"`
	WorkspaceID string       `json:"workspace_id"`
	ChannelID   string       `json:"channel_id"`
	Receiver    string       `json:"receiver"`
	User        string       `json:"user"`
	UserID      string       `json:"user_id"`
	Presence    string       `json:"presence"`
	Channel     *FullChannel `json:"channel"`

	UnreadCount  int   `json:"unread_count"`
	MentionCount int   `json:"mention_count"`
	LastReadSeq  int64 `json:"last_read_seq"`
	LatestSeq    int64 `json:"latest_seq"`
}

// stateOf decodes a frame as a state event; a frame that is not one decodes
// as far as it can.
func stateOf(f Frame) *StateEvent {
	var e StateEvent
	json.Unmarshal(f.Raw, &e)
	return &e
}

// IsPresence matches the presence_change frames of a user to a state.
func IsPresence(who *Session, state string) func(Frame) bool {
	return func(f Frame) bool {
		e := stateOf(f)
		return f.Type == "presence_change" && e.UserID == who.User.ID && e.Presence == state
	}
}

// IsAnyPresence matches every presence_change frame of a user.
func IsAnyPresence(who *Session) func(Frame) bool {
	return func(f Frame) bool { return f.Type == "presence_change" && stateOf(f).UserID == who.User.ID }
}

// IsTypingIn matches the typing frames of a user in a channel.
func IsTypingIn(who *Session, ch *Channel) func(Frame) bool {
	return func(f Frame) bool {
		return f.Type == "typing" && stateOf(f).UserID == who.User.ID && f.ChannelID == ch.ID
	}
}

// IsTypingTo matches the typing frames of a user in a direct conversation
// with receiver.
func IsTypingTo(who, receiver *Session) func(Frame) bool {
	return func(f Frame) bool {
		return f.Type == "typing" && stateOf(f).UserID == who.User.ID && f.Receiver == receiver.Email() &&
			f.ChannelID == ""
	}
}

// IsTypingBy matches every typing frame of a user.
func IsTypingBy(who *Session) func(Frame) bool {
	return func(f Frame) bool { return f.Type == "typing" && stateOf(f).UserID == who.User.ID }
}

// IsMembership matches membership and structure frames of a type about a
// workspace or channel (id), and, unless who is nil, a user.
func IsMembership(typ, id string, who *Session) func(Frame) bool {
	return func(f Frame) bool {
		if f.Type != typ || (f.ChannelID != id && (f.ChannelID != "" || f.WorkspaceID != id)) {
			return false
		}
		return who == nil || stateOf(f).UserID == who.User.ID
	}
}

// IsAbout matches every frame about a channel or workspace: its messages
// and events.
func IsAbout(id string) func(Frame) bool {
	return func(f Frame) bool { return f.ChannelID == id || f.WorkspaceID == id }
}

// IsReadMarker matches the read_marker frames of a channel, or, for a
// direct conversation, of a receiver's email.
func IsReadMarker(conversation string) func(Frame) bool {
	return func(f Frame) bool {
		return f.Type == "read_marker" && (f.ChannelID == conversation || f.Receiver == conversation)
	}
}

// typingFrame is the typing action of a channel.
func typingFrame(ch *Channel) map[string]string {
	return map[string]string{"action": "typing", "workspace_id": ch.WorkspaceID, "channel_id": ch.ID}
}

// typingDMFrame is the typing action of a direct conversation.
func typingDMFrame(to *Session) map[string]string {
	return map[string]string{"action": "typing", "receiver": to.Email()}
}

// MustNotHaveAfter fails the test if a frame after the first one that
// satisfies first matches. Call it after a marker has arrived.
func (c *WSClient) MustNotHaveAfter(tb testing.TB, who string, first, match func(Frame) bool) {
	tb.Helper()
	frames := c.Frames()
	seen := false
	for _, f := range frames {
		if seen && match(f) {
			tb.Fatalf("%s got %s after it should have stopped: %s", who, f.Type, f.Raw)
		}
		seen = seen || first(f)
	}
	if !seen {
		tb.Fatalf("%s never got the frame that stops the others", who)
	}
}

// CloseClean closes the connection with a close frame (1000) and waits
// for the server's reply, as a client leaving a page does.
func (c *WSClient) CloseClean(tb testing.TB) {
	tb.Helper()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	if err := c.Conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(timeout)); err != nil {
		tb.Fatalf("write close frame: %v", err)
	}
	WaitFor(tb, "the server's close reply", time.Now().Add(timeout), func() bool { return c.Err() != nil })
	var ce *websocket.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		tb.Fatalf("read ended with %v, want the server's close reply 1000", err)
	}
	c.Conn.Close()
}

// MustConnectKept is MustConnect for a connection that a subtest opens
// and later subtests use: it is closed at the end of keep, not of tb.
func (s *Server) MustConnectKept(tb, keep testing.TB, sess *Session) *WSClient {
	tb.Helper()
	conn, resp, err := s.DialWS(tb, http.Header{"Authorization": {"Bearer " + sess.AccessToken}}, nil)
	if err != nil {
		tb.Fatalf("dial as %s: %v (response %v)", sess.Email(), err, resp)
	}
	c := NewWSClient(keep, conn)
	c.Next(tb, "hello", IsType("hello"))
	return c
}

// MustGetWorkspace returns a workspace as as sees it, with its presence
// map.
func (s *Server) MustGetWorkspace(tb testing.TB, as *Session, id string) *WorkspacePresence {
	tb.Helper()
	var ws WorkspacePresence
	s.MustDo(tb, Req{Method: "GET", Path: "/workspace/" + id, Token: as.AccessToken}, http.StatusOK, &ws)
	return &ws
}

// WorkspacePresence is a workspace with the presence of each member.
type WorkspacePresence struct {
	Workspace
	Presence map[string]string `json:"presence"`
}

// leaveChannelReq removes user from a channel, as as.
func leaveChannelReq(as *Session, ch *Channel, user *Session) Req {
	return Req{Method: "PATCH", Path: "/channel/out", Token: as.AccessToken, Body: map[string]string{
		"workspace_id": ch.WorkspaceID, "channel_id": ch.ID, "user_email": user.Email(),
	}}
}

// leaveWorkspaceReq removes user from a workspace, as as.
func leaveWorkspaceReq(as *Session, ws *Workspace, user *Session) Req {
	return Req{Method: "PATCH", Path: "/workspace/out", Token: as.AccessToken, Body: map[string]string{
		"workspace_id": ws.ID, "user_email": user.Email(),
	}}
}

// deleteChannelReq deletes a channel, as as.
func deleteChannelReq(as *Session, ch *Channel) Req {
	return Req{Method: "DELETE", Path: "/channel/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken}
}

// deleteWorkspaceReq deletes a workspace, as as.
func deleteWorkspaceReq(as *Session, ws *Workspace) Req {
	return Req{Method: "DELETE", Path: "/workspace/" + ws.ID, Token: as.AccessToken}
}
