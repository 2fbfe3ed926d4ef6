package main

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// The tests of "Messages in depth" (SPEC.md): threads, edits, deletes,
// reactions, pins, mentions and channel settings, over HTTP and WebSocket,
// with the events each change pushes and to whom. They live in the
// e2e_thread, e2e_edit, e2e_reaction, e2e_mention and e2e_channel_settings
// test files; this file holds what they share.

// Wire types of messages in depth, as SPEC.md and the OpenAPI document name
// their fields. Message and Channel in helpers_test.go stay as they are,
// since other tests compare them with ==.
type (
	Reaction struct {
		Name  string   `json:"name"`
		Count int      `json:"count"`
		Users []string `json:"users"`
	}
	FullMessage struct {
		ID            string     `json:"message_id"`
		Seq           int64      `json:"seq"`
		WorkspaceID   string     `json:"workspace_id"`
		ChannelID     string     `json:"channel_id"`
		Receiver      string     `json:"receiver"`
		Sender        string     `json:"sender"`
		SenderID      string     `json:"sender_id"`
		Text          string     `json:"message"`
		CreatedAt     string     `json:"createdAt"`
		ClientMsgID   string     `json:"client_msg_id"`
		ParentID      string     `json:"parent_id"`
		AlsoToChannel bool       `json:"also_to_channel"`
		ReplyCount    int        `json:"reply_count"`
		LastReplyAt   string     `json:"last_reply_at"`
		EditedAt      string     `json:"editedAt"`
		Deleted       bool       `json:"deleted"`
		Reactions     []Reaction `json:"reactions"`
		Mentions      []string   `json:"mentions"`
	}
	FullPage struct {
		Messages []*FullMessage `json:"messages"`
		HasMore  bool           `json:"has_more"`
	}
	Thread struct {
		Root     *FullMessage   `json:"root"`
		Messages []*FullMessage `json:"messages"`
		HasMore  bool           `json:"has_more"`
	}
	PinnedMessage struct {
		Message  *FullMessage `json:"message"`
		PinnedBy string       `json:"pinned_by"`
		PinnedAt string       `json:"pinned_at"`
	}
	PinList struct {
		Pins []*PinnedMessage `json:"pins"`
	}
	FullChannel struct {
		ID          string   `json:"channel_id"`
		Name        string   `json:"channel_name"`
		WorkspaceID string   `json:"workspace_id"`
		IsPrivate   bool     `json:"is_private"`
		Creator     string   `json:"creator"`
		Users       []string `json:"users"`
		Topic       string   `json:"topic"`
		Purpose     string   `json:"purpose"`
		Archived    bool     `json:"archived"`
		CreatedAt   string   `json:"createdAt"`
	}
	// Event is a server frame of any type of messages in depth: a
	// message (message_changed, message_deleted, thread_reply), a
	// reaction or pin event, or a channel (channel_updated).
	Event struct {
		Type string `json:"type"`
		FullMessage
		Name        string   `json:"name"`
		User        string   `json:"user"`
		UserID      string   `json:"user_id"`
		PinnedAt    string   `json:"pinned_at"`
		ChannelName string   `json:"channel_name"`
		Topic       string   `json:"topic"`
		Purpose     string   `json:"purpose"`
		Archived    bool     `json:"archived"`
		IsPrivate   bool     `json:"is_private"`
		Creator     string   `json:"creator"`
		Users       []string `json:"users"`
	}
)

// IDs returns the message_id of each message, in order.
func (p *FullPage) IDs() []string {
	out := make([]string, len(p.Messages))
	for i, m := range p.Messages {
		out[i] = m.ID
	}
	return out
}

// IDs returns the message_id of each reply, in order.
func (th *Thread) IDs() []string {
	return (&FullPage{Messages: th.Messages}).IDs()
}

// depthFixture is the cast of the tests of messages in depth. Ann is the
// admin of acme, with bob, carl and dave as members; eve has a workspace
// of her own that none of them is in. dev is ann's public channel with bob
// and dave in it and carl not; priv is ann's private channel with bob.
type depthFixture struct {
	*Server
	ann, bob, carl, dave, eve *Session
	ws, evesWS                *Workspace
	general, dev, priv        *Channel
	evesGeneral               *Channel
}

// newDepthFixture starts a server for one test and sets up the cast.
func newDepthFixture(t *testing.T) *depthFixture {
	t.Helper()
	s := MustStartServer(t)
	f := &depthFixture{Server: s}
	f.ann, f.bob, f.carl = s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl")
	f.dave, f.eve = s.MustSignup(t, "dave"), s.MustSignup(t, "eve")
	f.ws = s.MustCreateWorkspace(t, f.ann, "acme")
	s.MustInvite(t, f.ann, f.ws, f.bob, f.carl, f.dave)
	f.general = General(t, f.ws)
	f.dev = s.MustCreateChannel(t, f.ann, f.ws, "dev", false)
	s.MustJoin(t, f.ann, f.dev, f.bob)
	s.MustJoin(t, f.ann, f.dev, f.dave)
	f.priv = s.MustCreateChannel(t, f.ann, f.ws, "priv", true)
	s.MustJoin(t, f.ann, f.priv, f.bob)
	f.evesWS = s.MustCreateWorkspace(t, f.eve, "eve's")
	f.evesGeneral = General(t, f.evesWS)
	return f
}

// Requests of messages in depth.

func editReq(as *Session, id string, body any) Req {
	return Req{Method: "PATCH", Path: "/message/" + id, Token: as.AccessToken, Body: body}
}

func deleteReq(as *Session, id string) Req {
	return Req{Method: "DELETE", Path: "/message/" + id, Token: as.AccessToken}
}

func reactReq(as *Session, id string, body any) Req {
	return Req{Method: "POST", Path: "/message/" + id + "/reactions", Token: as.AccessToken, Body: body}
}

func unreactReq(as *Session, id, name string) Req {
	return Req{Method: "DELETE", Path: "/message/" + id + "/reactions/" + url.PathEscape(name), Token: as.AccessToken}
}

func pinReq(as *Session, id string) Req {
	return Req{Method: "POST", Path: "/message/" + id + "/pin", Token: as.AccessToken}
}

func unpinReq(as *Session, id string) Req {
	return Req{Method: "DELETE", Path: "/message/" + id + "/pin", Token: as.AccessToken}
}

func pinsReq(as *Session, ch *Channel) Req {
	return Req{Method: "GET", Path: "/pins/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken}
}

func threadReq(as *Session, id, query string) Req {
	return Req{Method: "GET", Path: "/thread/" + id + "?" + query, Token: as.AccessToken}
}

func channelReq(as *Session, ch *Channel) Req {
	return Req{Method: "GET", Path: "/channel/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken}
}

func settingsReq(as *Session, ch *Channel, body any) Req {
	return Req{Method: "PATCH", Path: "/channel/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken, Body: body}
}

// text is the body of a message or an edit.
func text(s string) map[string]any { return map[string]any{"message": s} }

// reply is the body of a thread reply.
func reply(s, parentID string, alsoToChannel bool) map[string]any {
	return map[string]any{"message": s, "parent_id": parentID, "also_to_channel": alsoToChannel}
}

// emoji is the body of a reaction.
func emoji(name string) map[string]any { return map[string]any{"name": name} }

// MustSend posts a message or reply to a channel as as.
func (s *Server) MustSend(tb testing.TB, as *Session, ch *Channel, body any) *FullMessage {
	tb.Helper()
	var m FullMessage
	s.MustDo(tb, postReq(as, ch, body), http.StatusCreated, &m)
	return &m
}

// MustSendDM sends a direct message or reply from one user to another.
func (s *Server) MustSendDM(tb testing.TB, from, to *Session, body any) *FullMessage {
	tb.Helper()
	var m FullMessage
	s.MustDo(tb, dmReq(from, to, body), http.StatusCreated, &m)
	return &m
}

// MustThread returns a page of a thread as as.
func (s *Server) MustThread(tb testing.TB, as *Session, id, query string) *Thread {
	tb.Helper()
	var th Thread
	s.MustDo(tb, threadReq(as, id, query), http.StatusOK, &th)
	return &th
}

// MustFullHistory returns a page of a channel's history as as.
func (s *Server) MustFullHistory(tb testing.TB, as *Session, ch *Channel, query string) *FullPage {
	tb.Helper()
	var p FullPage
	s.MustDo(tb, historyReq(as, ch, query), http.StatusOK, &p)
	return &p
}

// MustDMHistory returns a page of the direct conversation of as and other.
func (s *Server) MustDMHistory(tb testing.TB, as, other *Session, query string) *FullPage {
	tb.Helper()
	var p FullPage
	s.MustDo(tb, dmHistoryReq(as, other, query), http.StatusOK, &p)
	return &p
}

// MustMessage returns a message as as sees it in a channel's history, with
// every reply.
func (s *Server) MustMessage(tb testing.TB, as *Session, ch *Channel, id string) *FullMessage {
	tb.Helper()
	for _, m := range s.MustFullHistory(tb, as, ch, "include_replies=true&limit=200").Messages {
		if m.ID == id {
			return m
		}
	}
	tb.Fatalf("message %s is not in the history of %s", id, ch.Name)
	return nil
}

// MustPins returns a channel's pins as as.
func (s *Server) MustPins(tb testing.TB, as *Session, ch *Channel) []*PinnedMessage {
	tb.Helper()
	var p PinList
	s.MustDo(tb, pinsReq(as, ch), http.StatusOK, &p)
	return p.Pins
}

// MustGetChannel returns a channel as as sees it.
func (s *Server) MustGetChannel(tb testing.TB, as *Session, ch *Channel) *FullChannel {
	tb.Helper()
	var got FullChannel
	s.MustDo(tb, channelReq(as, ch), http.StatusOK, &got)
	return &got
}

// MustSettle posts a marker message as from to ch and waits until every
// client has received it. The hub delivers a connection's frames in the
// order they were published, so a client that has the marker has every
// frame pushed before it: what it lacks then, it will never get.
func (s *Server) MustSettle(tb testing.TB, from *Session, ch *Channel, clients ...*WSClient) {
	tb.Helper()
	marker := s.MustPost(tb, from, ch, "marker "+rand8())
	for _, c := range clients {
		c.Find(tb, "marker "+marker.ID, IsMessage(marker.ID))
	}
}

// rand8 returns a short random token, to make a text unique.
func rand8() string { return rand.Text()[:8] }

// EventOf decodes a frame as an event.
func EventOf(tb testing.TB, f Frame) *Event {
	tb.Helper()
	var e Event
	if err := json.Unmarshal(f.Raw, &e); err != nil {
		tb.Fatalf("frame %s is not an event: %v", f.Raw, err)
	}
	return &e
}

// eventOf decodes a frame as an event for a matcher; a frame that is not
// one decodes as far as it can.
func eventOf(f Frame) *Event {
	var e Event
	json.Unmarshal(f.Raw, &e)
	return &e
}

// IsEvent matches the frames of an event type about a message.
func IsEvent(typ, messageID string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == typ && f.MessageID == messageID }
}

// IsChannelUpdate matches the channel_updated frames of a channel.
func IsChannelUpdate(channelID string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == "channel_updated" && f.ChannelID == channelID }
}

// Count returns how many frames received so far match.
func (c *WSClient) Count(match func(Frame) bool) int {
	n := 0
	for _, f := range c.Frames() {
		if match(f) {
			n++
		}
	}
	return n
}

// MustNotHave fails the test if a frame received so far matches. Call it
// after MustSettle.
func (c *WSClient) MustNotHave(tb testing.TB, who, what string, match func(Frame) bool) {
	tb.Helper()
	for _, f := range c.Frames() {
		if match(f) {
			tb.Fatalf("%s got %s, want no %s: %s", who, f.Type, what, f.Raw)
		}
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// ids returns the user IDs of sessions.
func ids(sessions ...*Session) []string {
	out := make([]string, len(sessions))
	for i, s := range sessions {
		out[i] = s.User.ID
	}
	return out
}
