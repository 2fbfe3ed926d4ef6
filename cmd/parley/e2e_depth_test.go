package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// The tests of "Messages in depth" (SPEC.md): threads, edits, deletes,
// reactions, pins, mentions and channel settings, over HTTP and WebSocket,
// with the events each change pushes and to whom.

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

func postReq(as *Session, ch *Channel, body any) Req {
	return Req{Method: "POST", Path: "/messages/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken, Body: body}
}

func dmReq(from, to *Session, body any) Req {
	return Req{Method: "POST", Path: "/dm/" + from.Email() + "/" + to.Email(), Token: from.AccessToken, Body: body}
}

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
	s.MustDo(tb, Req{Method: "GET", Path: "/messages/" + ch.WorkspaceID + "/" + ch.ID + "?" + query,
		Token: as.AccessToken}, http.StatusOK, &p)
	return &p
}

// MustDMHistory returns a page of the direct conversation of as and other.
func (s *Server) MustDMHistory(tb testing.TB, as, other *Session, query string) *FullPage {
	tb.Helper()
	var p FullPage
	s.MustDo(tb, Req{Method: "GET", Path: "/dm/" + as.Email() + "/" + other.Email() + "?" + query,
		Token: as.AccessToken}, http.StatusOK, &p)
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
	s.MustDo(tb, Req{Method: "GET", Path: "/channel/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken},
		http.StatusOK, &got)
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

func TestThreads(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, eve := f.Server, f.ann, f.bob, f.carl, f.eve
	annC, bobC, carlC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl), s.MustConnect(t, eve)

	t.Run("OK", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("a root"))
		if root.ParentID != "" || root.ReplyCount != 0 || root.LastReplyAt != "" {
			t.Fatalf("new root=%+v, want no parent_id, reply_count or last_reply_at", root)
		}

		// Bob replies over HTTP, ann to his reply over the WebSocket, also
		// to the channel: both replies join the root's thread.
		r1 := s.MustSend(t, bob, f.dev, reply("first reply", root.ID, false))
		if r1.ParentID != root.ID || r1.AlsoToChannel || r1.Seq != root.Seq+1 {
			t.Fatalf("reply=%+v, want parent_id %s, not to the channel, seq %d", r1, root.ID, root.Seq+1)
		}
		annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
			"message": "a reply to a reply", "client_msg_id": "t-ok", "parent_id": r1.ID, "also_to_channel": true})
		ack := annC.Next(t, "ack of t-ok", IsAck("t-ok"))

		th := s.MustThread(t, bob, root.ID, "")
		if !slices.Equal(th.IDs(), []string{r1.ID, ack.MessageID}) || th.HasMore {
			t.Fatalf("thread=%v has_more=%v, want [%s %s], false", th.IDs(), th.HasMore, r1.ID, ack.MessageID)
		}
		r2 := th.Messages[1]
		if r2.ParentID != root.ID || !r2.AlsoToChannel || r2.Seq != ack.Seq {
			t.Fatalf("reply to a reply=%+v, want parent_id %s (the root), also_to_channel, seq %d", r2, root.ID, ack.Seq)
		}
		if th.Root.ID != root.ID || th.Root.ReplyCount != 2 || th.Root.LastReplyAt != r2.CreatedAt {
			t.Fatalf("root reply_count=%d last_reply_at=%q, want 2, %q", th.Root.ReplyCount, th.Root.LastReplyAt, r2.CreatedAt)
		}

		// History leaves out the reply that was not sent to the channel,
		// unless every reply is asked for; the root carries its counts.
		p := s.MustFullHistory(t, carl, f.dev, "")
		if got := p.IDs(); !slices.Contains(got, root.ID) || slices.Contains(got, r1.ID) || !slices.Contains(got, r2.ID) {
			t.Fatalf("history=%v, want the root %s and %s but not %s", got, root.ID, r2.ID, r1.ID)
		}
		all := s.MustFullHistory(t, carl, f.dev, "include_replies=true")
		if got := all.IDs(); !slices.Contains(got, r1.ID) || len(got) != len(p.Messages)+1 {
			t.Fatalf("history with replies=%v, want %v and %s", got, p.IDs(), r1.ID)
		}
		if m := s.MustMessage(t, ann, f.dev, root.ID); m.ReplyCount != 2 || m.LastReplyAt != r2.CreatedAt {
			t.Fatalf("root in history reply_count=%d last_reply_at=%q, want 2, %q", m.ReplyCount, m.LastReplyAt, r2.CreatedAt)
		}

		// Each member gets each reply and the root's update after it;
		// carl, who may read dev but is not in it, and eve get neither.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if m := EventOf(t, c.Find(t, name+"'s copy of r2", IsMessage(r2.ID))); m.ParentID != root.ID || !m.AlsoToChannel {
				t.Fatalf("%s got reply %+v, want parent_id %s, also_to_channel", name, m.FullMessage, root.ID)
			}
			c.Find(t, name+"'s copy of r1", IsMessage(r1.ID))
			for n, want := range map[int]string{1: r1.CreatedAt, 2: r2.CreatedAt} {
				e := EventOf(t, c.Find(t, fmt.Sprintf("%s's thread_reply %d", name, n), func(f Frame) bool {
					return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == n
				}))
				if e.LastReplyAt != want || e.Text != "a root" || e.ParentID != "" {
					t.Fatalf("%s got thread_reply %+v, want the root with last_reply_at %q", name, e.FullMessage, want)
				}
			}
		}
		s.MustSettle(t, ann, f.general, carlC)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		for name, c := range map[string]*WSClient{"carl": carlC, "eve": eveC} {
			c.MustNotHave(t, name, "frame of dev's thread", func(f Frame) bool {
				return f.MessageID == root.ID || f.MessageID == r1.ID || f.MessageID == r2.ID
			})
		}
	})

	t.Run("OKIdempotent", func(t *testing.T) {
		// A reply sent twice with the same client_msg_id is one reply:
		// the count does not move and nothing is pushed again.
		root := s.MustSend(t, ann, f.dev, text("idempotent root"))
		body := map[string]any{"message": "once", "parent_id": root.ID, "client_msg_id": "rep-1"}
		first := s.MustSend(t, bob, f.dev, body)
		again := s.MustSend(t, bob, f.dev, body)
		if again.ID != first.ID || again.Seq != first.Seq {
			t.Fatalf("repeat=%s/%d, want %s/%d", again.ID, again.Seq, first.ID, first.Seq)
		}
		bobC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
			"message": "once", "parent_id": root.ID, "client_msg_id": "rep-1"})
		if ack := bobC.Next(t, "ack of rep-1", IsAck("rep-1")); ack.MessageID != first.ID {
			t.Fatalf("WebSocket repeat acked %s, want %s", ack.MessageID, first.ID)
		}
		th := s.MustThread(t, ann, root.ID, "")
		if th.Root.ReplyCount != 1 || len(th.Messages) != 1 || th.Root.LastReplyAt != first.CreatedAt {
			t.Fatalf("root reply_count=%d with %d replies, last_reply_at %q; want 1, 1, %q",
				th.Root.ReplyCount, len(th.Messages), th.Root.LastReplyAt, first.CreatedAt)
		}
		s.MustSettle(t, ann, f.dev, annC, bobC)
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if n := c.Count(IsEvent("thread_reply", root.ID)); n != 1 {
				t.Fatalf("%s got %d thread_reply frames, want 1", name, n)
			} else if n := c.Count(IsMessage(first.ID)); n != 1 {
				t.Fatalf("%s got %d copies of the reply, want 1", name, n)
			}
		}
	})

	t.Run("OKConcurrent", func(t *testing.T) {
		// Replies sent at once, over HTTP and the WebSocket, each count
		// once, and last_reply_at is the last reply's.
		root := s.MustSend(t, ann, f.dev, text("a busy root"))
		const n = 8
		statuses := concurrently(t, n, func(i int) (int, []byte, error) {
			token := []string{ann.AccessToken, bob.AccessToken}[i%2]
			body := fmt.Sprintf(`{"message":"r%d","parent_id":%q,"client_msg_id":"c%d"}`, i, root.ID, i)
			return doRaw(s.URL, "POST", "/messages/"+f.ws.ID+"/"+f.dev.ID, token, body)
		})
		if count(statuses, 201) != n {
			t.Fatalf("statuses=%v, want all 201", statuses)
		}
		for i := range n {
			annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
				"message": "ws", "parent_id": root.ID, "client_msg_id": fmt.Sprint("busy-", i)})
		}
		for i := range n {
			annC.Next(t, "ack", IsAck(fmt.Sprint("busy-", i)))
		}
		th := s.MustThread(t, bob, root.ID, "limit=200")
		if th.Root.ReplyCount != 2*n || len(th.Messages) != 2*n {
			t.Fatalf("reply_count=%d with %d replies, want %d", th.Root.ReplyCount, len(th.Messages), 2*n)
		} else if last := th.Messages[2*n-1]; th.Root.LastReplyAt != last.CreatedAt {
			t.Fatalf("last_reply_at=%q, want %q, the last reply's", th.Root.LastReplyAt, last.CreatedAt)
		}
		bobC.Find(t, "the last thread_reply", func(f Frame) bool {
			return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == 2*n
		})
	})

	t.Run("OKPaging", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("a long thread"))
		var want []string
		for i := range 5 {
			want = append(want, s.MustSend(t, bob, f.dev, reply(fmt.Sprint("reply ", i), root.ID, false)).ID)
			if i == 2 {
				s.MustSend(t, ann, f.dev, text("between")) // a message outside the thread
			}
		}
		th := s.MustThread(t, ann, root.ID, "limit=2")
		if !slices.Equal(th.IDs(), want[3:]) || !th.HasMore {
			t.Fatalf("newest 2=%v has_more=%v, want %v, true", th.IDs(), th.HasMore, want[3:])
		}
		th = s.MustThread(t, ann, root.ID, "limit=2&after=0")
		if !slices.Equal(th.IDs(), want[:2]) || !th.HasMore {
			t.Fatalf("oldest 2=%v has_more=%v, want %v, true", th.IDs(), th.HasMore, want[:2])
		}
		th = s.MustThread(t, ann, root.ID, fmt.Sprintf("limit=2&after=%d", th.Messages[1].Seq))
		if !slices.Equal(th.IDs(), want[2:4]) || !th.HasMore {
			t.Fatalf("next 2=%v has_more=%v, want %v, true", th.IDs(), th.HasMore, want[2:4])
		}
		th = s.MustThread(t, ann, root.ID, fmt.Sprintf("before=%d", th.Messages[0].Seq))
		if !slices.Equal(th.IDs(), want[:2]) || th.HasMore {
			t.Fatalf("before=%v has_more=%v, want %v, false", th.IDs(), th.HasMore, want[:2])
		}
		// Asked by one of its replies, the thread is the root's.
		if th := s.MustThread(t, carl, want[2], "limit=200"); th.Root.ID != root.ID || !slices.Equal(th.IDs(), want) {
			t.Fatalf("thread of a reply: root %s replies %v, want %s, %v", th.Root.ID, th.IDs(), root.ID, want)
		}
		// A message without replies has an empty thread.
		alone := s.MustSend(t, ann, f.dev, text("alone"))
		if th := s.MustThread(t, ann, alone.ID, ""); len(th.Messages) != 0 || th.HasMore {
			t.Fatalf("thread of a message without replies=%v, want none", th.IDs())
		}
	})

	t.Run("DM", func(t *testing.T) {
		// Threads work in a direct conversation: bob replies over the
		// WebSocket, ann to his reply over HTTP.
		root := s.MustSendDM(t, ann, bob, text("a DM root"))
		bobC.Send(t, map[string]any{"action": "dmChat", "receiver": ann.Email(), "message": "dm reply",
			"parent_id": root.ID, "client_msg_id": "dm-t-1"})
		ack := bobC.Next(t, "ack of dm-t-1", IsAck("dm-t-1"))
		r2 := s.MustSendDM(t, ann, bob, reply("dm reply to a reply", ack.MessageID, false))
		if r2.ParentID != root.ID || r2.Receiver != bob.Email() {
			t.Fatalf("reply=%+v, want parent_id %s, to bob", r2, root.ID)
		}

		for _, as := range []*Session{ann, bob} {
			th := s.MustThread(t, as, root.ID, "")
			if th.Root.ReplyCount != 2 || th.Root.LastReplyAt != r2.CreatedAt ||
				!slices.Equal(th.IDs(), []string{ack.MessageID, r2.ID}) {
				t.Fatalf("DM thread as %s: reply_count=%d last_reply_at=%q replies=%v; want 2, %q, [%s %s]",
					as.Email(), th.Root.ReplyCount, th.Root.LastReplyAt, th.IDs(), r2.CreatedAt, ack.MessageID, r2.ID)
			}
		}
		if got := s.MustDMHistory(t, bob, ann, "").IDs(); !slices.Contains(got, root.ID) ||
			slices.Contains(got, ack.MessageID) || slices.Contains(got, r2.ID) {
			t.Fatalf("DM history=%v, want the root without its replies", got)
		}
		if got := s.MustDMHistory(t, bob, ann, "include_replies=true").IDs(); !slices.Contains(got, r2.ID) {
			t.Fatalf("DM history with replies=%v, want %s in it", got, r2.ID)
		}

		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			c.Find(t, name+"'s reply", IsMessage(r2.ID))
			c.Find(t, name+"'s thread_reply", func(f Frame) bool {
				return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == 2
			})
		}
		s.MustSettle(t, ann, f.general, carlC)
		carlC.MustNotHave(t, "carl", "frame of ann and bob's DM", func(f Frame) bool {
			return f.MessageID == root.ID || f.MessageID == r2.ID || f.MessageID == ack.MessageID
		})
		s.MustFail(t, threadReq(carl, root.ID, ""), 404, "not_found")
		s.MustFail(t, dmReq(ann, carl, reply("x", root.ID, false)), 400, "invalid")
		s.MustFail(t, dmReq(ann, bob, reply("x", s.MustPost(t, ann, f.dev, "in dev").ID, false)), 400, "invalid")
	})

	t.Run("Errors", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("a root that takes no bad replies"))
		inGeneral := s.MustPost(t, ann, f.general, "in general")
		inPriv := s.MustPost(t, ann, f.priv, "in priv")
		dm := s.MustSendDM(t, ann, bob, text("a DM"))
		evesMsg := s.MustPost(t, eve, f.evesGeneral, "eve's")

		tests := []struct {
			name   string
			req    Req
			status int
			code   string
		}{
			{"ErrUnknownParent", postReq(ann, f.dev, reply("x", "Mnope", false)), 400, "invalid"},
			{"ErrParentOtherChannel", postReq(ann, f.dev, reply("x", inGeneral.ID, false)), 400, "invalid"},
			{"ErrParentInDM", postReq(ann, f.dev, reply("x", dm.ID, false)), 400, "invalid"},
			{"ErrParentOtherWorkspace", postReq(eve, f.evesGeneral, reply("x", root.ID, false)), 400, "invalid"},
			{"ErrParentInvisible", postReq(carl, f.general, reply("x", inPriv.ID, false)), 400, "invalid"},
			{"ErrParentType", postReq(ann, f.dev, map[string]any{"message": "x", "parent_id": 5}), 400, "invalid"},
			{"ErrAlsoToChannelType", postReq(ann, f.dev,
				map[string]any{"message": "x", "parent_id": root.ID, "also_to_channel": "yes"}), 400, "invalid"},
			{"ErrEmptyReply", postReq(ann, f.dev, reply(" ", root.ID, false)), 400, "invalid"},
			{"ErrPublicNotMember", postReq(carl, f.dev, reply("x", root.ID, false)), 403, "forbidden"},
			{"ErrPrivateNotMember", postReq(carl, f.priv, reply("x", inPriv.ID, false)), 404, "not_found"},
			{"ErrOutsider", postReq(eve, f.dev, reply("x", root.ID, false)), 404, "not_found"},
			{"ErrThreadUnknown", threadReq(ann, "Mnope", ""), 404, "not_found"},
			{"ErrThreadPrivate", threadReq(carl, inPriv.ID, ""), 404, "not_found"},
			{"ErrThreadOutsider", threadReq(eve, root.ID, ""), 404, "not_found"},
			{"ErrThreadOtherWorkspace", threadReq(ann, evesMsg.ID, ""), 404, "not_found"},
			{"ErrThreadLimit", threadReq(ann, root.ID, "limit=0"), 400, "invalid"},
			{"ErrThreadLimitHigh", threadReq(ann, root.ID, "limit=201"), 400, "invalid"},
			{"ErrThreadBeforeAndAfter", threadReq(ann, root.ID, "before=5&after=1"), 400, "invalid"},
			{"ErrThreadNotANumber", threadReq(ann, root.ID, "after=x"), 400, "invalid"},
			{"ErrThreadNoToken", Req{Method: "GET", Path: "/thread/" + root.ID}, 401, "unauthorized"},
			{"ErrIncludeReplies", Req{Method: "GET", Token: ann.AccessToken,
				Path: "/messages/" + f.ws.ID + "/" + f.dev.ID + "?include_replies=maybe"}, 400, "invalid"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := s.MustFullHistory(t, ann, f.dev, "include_replies=true&limit=200")
				s.MustFail(t, tt.req, tt.status, tt.code)
				after := s.MustFullHistory(t, ann, f.dev, "include_replies=true&limit=200")
				if len(after.Messages) != len(before.Messages) {
					t.Fatalf("dev holds %d messages after a refused request, want %d",
						len(after.Messages), len(before.Messages))
				}
				if th := s.MustThread(t, ann, root.ID, ""); th.Root.ReplyCount != 0 || len(th.Messages) != 0 {
					t.Fatalf("root reply_count=%d with %d replies, want none", th.Root.ReplyCount, len(th.Messages))
				}
			})
		}

		t.Run("ErrWebSocket", func(t *testing.T) {
			annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
				"message": "x", "parent_id": inGeneral.ID, "client_msg_id": "bad-parent"})
			e := annC.Next(t, "error for bad-parent", func(f Frame) bool { return f.ClientMsgID == "bad-parent" })
			if e.Type != "error" || e.Code != "invalid" || e.ClientMsgID != "bad-parent" {
				t.Fatalf("frame=%+v, want an invalid error for bad-parent", e)
			}
			annC.Send(t, map[string]any{"action": "dmChat", "receiver": bob.Email(), "message": "x",
				"parent_id": root.ID, "client_msg_id": "bad-dm-parent"})
			e = annC.Next(t, "error for bad-dm-parent", func(f Frame) bool { return f.ClientMsgID == "bad-dm-parent" })
			if e.Type != "error" || e.Code != "invalid" || e.ClientMsgID != "bad-dm-parent" {
				t.Fatalf("frame=%+v, want an invalid error for bad-dm-parent", e)
			}
			annC.Ping(t)
		})

		t.Run("OKPublicNotMemberReads", func(t *testing.T) {
			// Who may see the root may read its thread.
			s.MustThread(t, carl, root.ID, "")
		})
	})
}

func TestEdit(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	annC, bobC, carlC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl), s.MustConnect(t, eve)

	t.Run("OK", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("before"))
		if m.EditedAt != "" {
			t.Fatalf("new message editedAt=%q, want none", m.EditedAt)
		}
		var edited FullMessage
		s.MustDo(t, editReq(ann, m.ID, text("  after  ")), http.StatusOK, &edited)
		if edited.ID != m.ID || edited.Seq != m.Seq || edited.CreatedAt != m.CreatedAt || edited.Sender != ann.Email() {
			t.Fatalf("edited=%+v, want %s seq %d created %s from ann", edited, m.ID, m.Seq, m.CreatedAt)
		} else if edited.Text != "after" {
			t.Fatalf("message=%q, want %q, trimmed", edited.Text, "after")
		} else if !createdAtRE.MatchString(edited.EditedAt) || edited.EditedAt < m.CreatedAt {
			t.Fatalf("editedAt=%q, want a time with milliseconds, not before %s", edited.EditedAt, m.CreatedAt)
		}
		if got := s.MustMessage(t, carl, f.dev, m.ID); got.Text != "after" || got.EditedAt != edited.EditedAt {
			t.Fatalf("history=%q editedAt %q, want %q, %q", got.Text, got.EditedAt, "after", edited.EditedAt)
		}

		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			e := EventOf(t, c.Find(t, name+"'s message_changed", IsEvent("message_changed", m.ID)))
			if e.Text != "after" || e.EditedAt != edited.EditedAt || e.Seq != m.Seq || e.ChannelID != f.dev.ID {
				t.Fatalf("%s got %+v, want the edited message", name, e.FullMessage)
			}
		}
		s.MustSettle(t, ann, f.general, carlC)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		carlC.MustNotHave(t, "carl", "message_changed", IsEvent("message_changed", m.ID))
		eveC.MustNotHave(t, "eve", "message_changed", IsEvent("message_changed", m.ID))
	})

	t.Run("OKMentions", func(t *testing.T) {
		// Mentions are read anew from the new text.
		m := s.MustSend(t, ann, f.dev, text("hi <@"+bob.User.ID+">"))
		if !slices.Equal(m.Mentions, ids(bob)) {
			t.Fatalf("mentions=%v, want bob's ID", m.Mentions)
		}
		var edited FullMessage
		s.MustDo(t, editReq(ann, m.ID, text("hi <@"+dave.User.ID+"> and <@"+carl.User.ID+">")), http.StatusOK, &edited)
		if !slices.Equal(edited.Mentions, ids(dave)) {
			t.Fatalf("mentions after the edit=%v, want dave's ID only (carl is not in dev)", edited.Mentions)
		}
		var cleared FullMessage
		s.MustDo(t, editReq(ann, m.ID, text("nobody")), http.StatusOK, &cleared)
		if len(cleared.Mentions) != 0 {
			t.Fatalf("mentions after the edit=%v, want none", cleared.Mentions)
		} else if h := s.MustMessage(t, bob, f.dev, m.ID); len(h.Mentions) != 0 {
			t.Fatalf("mentions in history after the edit=%v, want none", h.Mentions)
		}
	})

	t.Run("OKReply", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("root"))
		r := s.MustSend(t, bob, f.dev, reply("reply", root.ID, false))
		s.MustDo(t, editReq(bob, r.ID, text("reply, edited")), http.StatusOK, nil)
		th := s.MustThread(t, ann, root.ID, "")
		if th.Messages[0].Text != "reply, edited" || th.Messages[0].EditedAt == "" || th.Root.ReplyCount != 1 {
			t.Fatalf("thread=%+v, want the edited reply", th.Messages[0])
		}
		annC.Find(t, "message_changed of the reply", IsEvent("message_changed", r.ID))
	})

	t.Run("OKDM", func(t *testing.T) {
		m := s.MustSendDM(t, ann, bob, text("a DM"))
		var edited FullMessage
		s.MustDo(t, editReq(ann, m.ID, text("a DM, edited")), http.StatusOK, &edited)
		if edited.Receiver != bob.Email() || edited.EditedAt == "" {
			t.Fatalf("edited=%+v, want to bob with editedAt", edited)
		}
		if got := s.MustDMHistory(t, bob, ann, "limit=1").Messages[0]; got.Text != "a DM, edited" {
			t.Fatalf("DM history=%q, want the new text", got.Text)
		}
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			c.Find(t, name+"'s message_changed", IsEvent("message_changed", m.ID))
		}
		s.MustSettle(t, ann, f.general, carlC)
		carlC.MustNotHave(t, "carl", "message_changed of a DM", IsEvent("message_changed", m.ID))

		s.MustFail(t, editReq(bob, m.ID, text("mine now")), 403, "forbidden")
		s.MustFail(t, editReq(carl, m.ID, text("mine now")), 404, "not_found")
	})

	t.Run("Errors", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("as it was"))
		bobs := s.MustSend(t, bob, f.dev, text("bob's"))
		inPriv := s.MustSend(t, ann, f.priv, text("in priv"))
		deleted := s.MustSend(t, ann, f.dev, text("deleted"))
		s.MustDo(t, deleteReq(ann, deleted.ID), http.StatusOK, nil)

		type tc struct {
			name   string
			req    Req
			status int
			code   string
		}
		tests := []tc{
			{"ErrNotSender", editReq(bob, m.ID, text("x")), 403, "forbidden"},
			{"ErrAdminNotSender", editReq(ann, bobs.ID, text("x")), 403, "forbidden"},
			{"ErrPublicNotMember", editReq(carl, m.ID, text("x")), 403, "forbidden"},
			{"ErrPrivateNotMember", editReq(carl, inPriv.ID, text("x")), 404, "not_found"},
			{"ErrOutsider", editReq(eve, m.ID, text("x")), 404, "not_found"},
			{"ErrUnknown", editReq(ann, "Mnope", text("x")), 404, "not_found"},
			{"ErrDeleted", editReq(ann, deleted.ID, text("back")), 409, "conflict"},
			{"ErrEmpty", editReq(ann, m.ID, text("")), 400, "invalid"},
			{"ErrBlank", editReq(ann, m.ID, text(" \n\t ")), 400, "invalid"},
			{"ErrMissing", editReq(ann, m.ID, map[string]any{}), 400, "invalid"},
			{"ErrTooLong", editReq(ann, m.ID, text(strings.Repeat("é", 40001))), 400, "invalid"},
			{"ErrWrongType", editReq(ann, m.ID, map[string]any{"message": 5}), 400, "invalid"},
			{"ErrBodyTooLarge", editReq(ann, m.ID, text(strings.Repeat("x", 1<<20))), 413, "too_large"},
			{"ErrNoToken", Req{Method: "PATCH", Path: "/message/" + m.ID, Body: text("x")}, 401, "unauthorized"},
		}
		for _, b := range malformedBodies {
			tests = append(tests, tc{b.name, editReq(ann, m.ID, b.body), b.status, b.code})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, tt.req, tt.status, tt.code)
				if got := s.MustMessage(t, ann, f.dev, m.ID); got.Text != "as it was" || got.EditedAt != "" {
					t.Fatalf("message=%q editedAt=%q after a refused edit, want it unchanged", got.Text, got.EditedAt)
				}
				if got := s.MustMessage(t, ann, f.dev, deleted.ID); got.Text != "" || !got.Deleted {
					t.Fatalf("tombstone=%+v after a refused edit, want it unchanged", got)
				}
			})
		}
		s.MustSettle(t, ann, f.dev, annC, bobC)
		for _, id := range []string{m.ID, bobs.ID, deleted.ID} {
			annC.MustNotHave(t, "ann", "message_changed after refused edits", IsEvent("message_changed", id))
		}
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	annC, bobC, carlC, daveC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl),
		s.MustConnect(t, dave), s.MustConnect(t, eve)
	everyone := map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC, "eve": eveC}

	// mustNotLeak fails the test if a frame received since the frame
	// counts in from, or a page of history, holds secret.
	mustNotLeak := func(t *testing.T, secret string, from map[string]int, pages ...any) {
		t.Helper()
		s.MustSettle(t, ann, f.general, annC, bobC, carlC, daveC)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		for name, c := range everyone {
			for _, fr := range c.Frames()[from[name]:] {
				if bytes.Contains(fr.Raw, []byte(secret)) {
					t.Fatalf("%s got %s after the delete, which holds the deleted text", name, fr.Raw)
				}
			}
		}
		for _, p := range pages {
			b, _ := json.Marshal(p)
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("%s holds the deleted text", b)
			}
		}
	}
	counts := func() map[string]int {
		out := map[string]int{}
		for name, c := range everyone {
			out[name] = len(c.Frames())
		}
		return out
	}

	t.Run("OK", func(t *testing.T) {
		secret := "the secret of bob " + rand8()
		m := s.MustSend(t, bob, f.dev, text(secret+" <@"+ann.User.ID+">"))
		s.MustSend(t, ann, f.dev, text("after it"))
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "dave": daveC} {
			c.Find(t, name+"'s copy", IsMessage(m.ID))
		}
		from := counts()

		resp := s.MustDo(t, deleteReq(bob, m.ID), http.StatusOK, nil)
		var tomb FullMessage
		resp.Decode(t, &tomb)
		if !tomb.Deleted || tomb.Text != "" || tomb.ID != m.ID || tomb.Seq != m.Seq || tomb.Sender != bob.Email() {
			t.Fatalf("tombstone=%+v, want deleted, no text, seq %d", tomb, m.Seq)
		} else if len(tomb.Mentions) != 0 || len(tomb.Reactions) != 0 {
			t.Fatalf("tombstone mentions=%v reactions=%v, want none", tomb.Mentions, tomb.Reactions)
		}
		// Deleting again answers the same.
		if again := s.MustDo(t, deleteReq(bob, m.ID), http.StatusOK, nil); !bytes.Equal(again.Body, resp.Body) {
			t.Fatalf("second delete=%s, want %s", again.Body, resp.Body)
		}

		// History keeps the tombstone in its place.
		p := s.MustFullHistory(t, carl, f.dev, "limit=200")
		i := slices.Index(p.IDs(), m.ID)
		if i < 0 || p.Messages[i].Seq != m.Seq || !p.Messages[i].Deleted || p.Messages[i].Text != "" {
			t.Fatalf("history=%v, want the tombstone of %s at seq %d", p.IDs(), m.ID, m.Seq)
		}

		// Each member gets one message_deleted without text; nobody gets
		// the text again.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "dave": daveC} {
			e := EventOf(t, c.Find(t, name+"'s message_deleted", IsEvent("message_deleted", m.ID)))
			if !e.Deleted || e.Text != "" || e.Seq != m.Seq || e.ChannelID != f.dev.ID {
				t.Fatalf("%s got %+v, want the tombstone", name, e.FullMessage)
			}
		}
		mustNotLeak(t, secret, from, p, s.MustFullHistory(t, ann, f.dev, "include_replies=true&limit=200"))
		for name, c := range everyone {
			want := map[string]int{"ann": 1, "bob": 1, "dave": 1}[name]
			if n := c.Count(IsEvent("message_deleted", m.ID)); n != want {
				t.Fatalf("%s got %d message_deleted frames, want %d", name, n, want)
			}
		}
	})

	t.Run("OKConcurrent", func(t *testing.T) {
		// Deletes at once, by the sender and the admin, all answer the
		// same tombstone, and the delete is pushed once. A few rounds,
		// since the deletes must meet to show anything.
		for round := range 5 {
			m := s.MustSend(t, bob, f.dev, text("deleted by many "+rand8()))
			var bodies [12][]byte
			statuses := concurrently(t, len(bodies), func(i int) (int, []byte, error) {
				token := []string{ann.AccessToken, bob.AccessToken}[i%2]
				status, body, err := doRaw(s.URL, "DELETE", "/message/"+m.ID, token, "")
				bodies[i] = body
				return status, body, err
			})
			if count(statuses, 200) != len(bodies) {
				t.Fatalf("round %d: statuses=%v, want all 200", round, statuses)
			}
			for _, b := range bodies[1:] {
				if !bytes.Equal(b, bodies[0]) {
					t.Fatalf("round %d: answers differ: %s and %s", round, b, bodies[0])
				}
			}
			s.MustSettle(t, ann, f.dev, annC, bobC)
			for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
				if n := c.Count(IsEvent("message_deleted", m.ID)); n != 1 {
					t.Fatalf("round %d: %s got %d message_deleted frames, want 1", round, name, n)
				}
			}
		}
	})

	t.Run("OKRacingChanges", func(t *testing.T) {
		// An edit, a reaction and a pin that race with the delete either
		// land before it, and go with it, or are refused: a tombstone
		// never gets text, reactions or a pin back, and nothing about
		// the message is pushed after its message_deleted.
		for round := range 10 {
			m := s.MustSend(t, ann, f.dev, text(fmt.Sprint("racing ", round)))
			secret := "edited secret " + rand8()
			concurrently(t, 4, func(i int) (int, []byte, error) {
				switch i {
				case 0:
					return doRaw(s.URL, "PATCH", "/message/"+m.ID, ann.AccessToken, `{"message":"`+secret+`"}`)
				case 1:
					return doRaw(s.URL, "POST", "/message/"+m.ID+"/reactions", bob.AccessToken, `{"name":"x"}`)
				case 2:
					return doRaw(s.URL, "POST", "/message/"+m.ID+"/pin", bob.AccessToken, "")
				}
				return doRaw(s.URL, "DELETE", "/message/"+m.ID, ann.AccessToken, "")
			})

			got := s.MustMessage(t, bob, f.dev, m.ID)
			if !got.Deleted || got.Text != "" || len(got.Reactions) != 0 || len(got.Mentions) != 0 {
				t.Fatalf("round %d: message=%+v, want a tombstone without text or reactions", round, got)
			}
			for _, p := range s.MustPins(t, bob, f.dev) {
				if p.Message.ID == m.ID {
					t.Fatalf("round %d: the tombstone %s is pinned", round, m.ID)
				}
			}
			s.MustSettle(t, ann, f.dev, annC, bobC)
			for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
				frames := c.Frames()
				i := slices.IndexFunc(frames, IsEvent("message_deleted", m.ID))
				if i < 0 {
					t.Fatalf("round %d: %s got no message_deleted", round, name)
				}
				for _, fr := range frames[i+1:] {
					if fr.MessageID == m.ID {
						t.Fatalf("round %d: %s got %s after message_deleted", round, name, fr.Raw)
					}
				}
			}
		}
	})

	t.Run("OKAdmin", func(t *testing.T) {
		m := s.MustSend(t, bob, f.dev, text("bob's, for the admin"))
		var tomb FullMessage
		s.MustDo(t, deleteReq(ann, m.ID), http.StatusOK, &tomb)
		if !tomb.Deleted || tomb.Sender != bob.Email() {
			t.Fatalf("tombstone=%+v, want bob's message deleted", tomb)
		}
		bobC.Find(t, "message_deleted", IsEvent("message_deleted", m.ID))
	})

	t.Run("OKKeepsReplies", func(t *testing.T) {
		secret := "a root to delete " + rand8()
		root := s.MustSend(t, bob, f.dev, text(secret))
		r1 := s.MustSend(t, ann, f.dev, reply("reply one", root.ID, false))
		r2 := s.MustSend(t, dave, f.dev, reply("reply two", root.ID, true))
		// The root's text went out with the replies' thread_reply frames;
		// what counts is what comes after the delete.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "dave": daveC} {
			c.Find(t, name+"'s second thread_reply", func(f Frame) bool {
				return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == 2
			})
		}
		from := counts()
		s.MustDo(t, deleteReq(bob, root.ID), http.StatusOK, nil)

		th := s.MustThread(t, carl, root.ID, "")
		if !th.Root.Deleted || th.Root.Text != "" || th.Root.ReplyCount != 2 || th.Root.LastReplyAt != r2.CreatedAt {
			t.Fatalf("root=%+v, want a tombstone with reply_count 2 and last_reply_at %s", th.Root, r2.CreatedAt)
		} else if !slices.Equal(th.IDs(), []string{r1.ID, r2.ID}) || th.Messages[0].Text != "reply one" {
			t.Fatalf("thread=%v, want [%s %s] unchanged", th.IDs(), r1.ID, r2.ID)
		}
		// A reply can be deleted on its own; the thread keeps its place.
		s.MustDo(t, deleteReq(dave, r2.ID), http.StatusOK, nil)
		th = s.MustThread(t, ann, root.ID, "")
		if !slices.Equal(th.IDs(), []string{r1.ID, r2.ID}) || !th.Messages[1].Deleted || th.Messages[1].Text != "" {
			t.Fatalf("thread=%+v, want the reply's tombstone in place", th.Messages)
		}
		mustNotLeak(t, secret, from, th, s.MustFullHistory(t, ann, f.dev, "include_replies=true&limit=200"))
	})

	t.Run("OKRemovesReactionsAndPin", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("pinned and liked"))
		s.MustDo(t, reactReq(bob, m.ID, emoji("tada")), http.StatusOK, nil)
		s.MustDo(t, pinReq(bob, m.ID), http.StatusOK, nil)
		var tomb FullMessage
		s.MustDo(t, deleteReq(ann, m.ID), http.StatusOK, &tomb)
		if len(tomb.Reactions) != 0 {
			t.Fatalf("tombstone reactions=%+v, want none", tomb.Reactions)
		}
		for _, p := range s.MustPins(t, bob, f.dev) {
			if p.Message.ID == m.ID {
				t.Fatalf("pins hold the deleted message %s", m.ID)
			}
		}
		if got := s.MustMessage(t, bob, f.dev, m.ID); len(got.Reactions) != 0 || got.Text != "" {
			t.Fatalf("history=%+v, want a tombstone without reactions", got)
		}
		// What a tombstone no longer has cannot be given to it again.
		s.MustFail(t, reactReq(bob, m.ID, emoji("tada")), 409, "conflict")
		s.MustFail(t, pinReq(bob, m.ID), 409, "conflict")
		s.MustFail(t, editReq(ann, m.ID, text("undelete")), 409, "conflict")
	})

	t.Run("OKDM", func(t *testing.T) {
		secret := "a DM to take back " + rand8()
		m := s.MustSendDM(t, ann, bob, text(secret))
		annC.Find(t, "the DM", IsMessage(m.ID))
		bobC.Find(t, "the DM", IsMessage(m.ID))
		from := counts()
		s.MustFail(t, deleteReq(bob, m.ID), 403, "forbidden")
		s.MustFail(t, deleteReq(carl, m.ID), 404, "not_found")
		var tomb FullMessage
		s.MustDo(t, deleteReq(ann, m.ID), http.StatusOK, &tomb)
		if !tomb.Deleted || tomb.Text != "" || tomb.Receiver != bob.Email() {
			t.Fatalf("tombstone=%+v, want a deleted DM to bob", tomb)
		}
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			c.Find(t, name+"'s message_deleted", IsEvent("message_deleted", m.ID))
		}
		p := s.MustDMHistory(t, bob, ann, "include_replies=true&limit=200")
		if i := slices.Index(p.IDs(), m.ID); i < 0 || !p.Messages[i].Deleted {
			t.Fatalf("DM history=%v, want the tombstone of %s", p.IDs(), m.ID)
		}
		mustNotLeak(t, secret, from, p)
		for _, name := range []string{"carl", "dave", "eve"} {
			everyone[name].MustNotHave(t, name, "message_deleted of a DM", IsEvent("message_deleted", m.ID))
		}

		// The workspace admin is no party to other users' DMs.
		other := s.MustSendDM(t, bob, dave, text("between bob and dave"))
		s.MustFail(t, deleteReq(ann, other.ID), 404, "not_found")
	})

	t.Run("Errors", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("ann's"))
		inPriv := s.MustSend(t, ann, f.priv, text("in priv"))
		// Bob's channel: its creator is no admin, and may not delete what
		// others wrote in it.
		bobs := s.MustCreateChannel(t, bob, f.ws, "bobs", false)
		s.MustJoin(t, bob, bobs, dave)
		davesInBobs := s.MustSend(t, dave, bobs, text("dave's, in bob's channel"))

		tests := []struct {
			name   string
			req    Req
			status int
			code   string
		}{
			{"ErrMemberNotSender", deleteReq(bob, m.ID), 403, "forbidden"},
			{"ErrCreatorNotAdmin", deleteReq(bob, davesInBobs.ID), 403, "forbidden"},
			{"ErrPublicNotMember", deleteReq(carl, m.ID), 403, "forbidden"},
			{"ErrPrivateNotMember", deleteReq(carl, inPriv.ID), 404, "not_found"},
			{"ErrOutsider", deleteReq(eve, m.ID), 404, "not_found"},
			{"ErrUnknown", deleteReq(ann, "Mnope"), 404, "not_found"},
			{"ErrNoToken", Req{Method: "DELETE", Path: "/message/" + m.ID}, 401, "unauthorized"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, tt.req, tt.status, tt.code)
				if got := s.MustMessage(t, ann, f.dev, m.ID); got.Deleted || got.Text != "ann's" {
					t.Fatalf("message=%+v after a refused delete, want it unchanged", got)
				}
				if got := s.MustMessage(t, dave, bobs, davesInBobs.ID); got.Deleted {
					t.Fatalf("dave's message deleted by a refused delete")
				}
			})
		}
	})
}

func TestReactions(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	annC, bobC, carlC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl), s.MustConnect(t, eve)

	react := func(t *testing.T, as *Session, id, name string) *FullMessage {
		t.Helper()
		var m FullMessage
		s.MustDo(t, reactReq(as, id, emoji(name)), http.StatusOK, &m)
		return &m
	}
	unreact := func(t *testing.T, as *Session, id, name string) *FullMessage {
		t.Helper()
		var m FullMessage
		s.MustDo(t, unreactReq(as, id, name), http.StatusOK, &m)
		return &m
	}

	t.Run("OK", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("react to me"))
		got := react(t, bob, m.ID, ":tada:")
		want := []Reaction{{Name: "tada", Count: 1, Users: []string{bob.Email()}}}
		if got.ID != m.ID || !slices.EqualFunc(got.Reactions, want, reactionEqual) {
			t.Fatalf("reactions=%+v, want %+v", got.Reactions, want)
		}
		react(t, ann, m.ID, "tada")
		got = react(t, bob, m.ID, "thumbsup::skin-tone-2")
		want = []Reaction{
			{Name: "tada", Count: 2, Users: []string{bob.Email(), ann.Email()}},
			{Name: "thumbsup::skin-tone-2", Count: 1, Users: []string{bob.Email()}},
		}
		if !slices.EqualFunc(got.Reactions, want, reactionEqual) {
			t.Fatalf("reactions=%+v, want %+v", got.Reactions, want)
		}
		if h := s.MustMessage(t, carl, f.dev, m.ID); !slices.EqualFunc(h.Reactions, want, reactionEqual) {
			t.Fatalf("history reactions=%+v, want %+v", h.Reactions, want)
		}

		// Each member gets each reaction_added, with who and the
		// reactions afterwards; carl and eve get none.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			e := EventOf(t, c.Find(t, name+"'s reaction_added", func(f Frame) bool {
				return IsEvent("reaction_added", m.ID)(f) && eventOf(f).Name == "thumbsup::skin-tone-2"
			}))
			if e.User != bob.Email() || e.UserID != bob.User.ID || e.ChannelID != f.dev.ID || e.WorkspaceID != f.ws.ID ||
				!slices.EqualFunc(e.Reactions, want, reactionEqual) {
				t.Fatalf("%s got %+v, want bob's thumbsup with reactions %+v", name, e, want)
			}
			if n := c.Count(IsEvent("reaction_added", m.ID)); n != 3 {
				t.Fatalf("%s got %d reaction_added frames, want 3", name, n)
			}
		}
		s.MustSettle(t, ann, f.general, carlC)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		carlC.MustNotHave(t, "carl", "reaction_added", IsEvent("reaction_added", m.ID))
		eveC.MustNotHave(t, "eve", "reaction_added", IsEvent("reaction_added", m.ID))

		// Removing: the count falls and the user leaves the list.
		got = unreact(t, bob, m.ID, ":tada:")
		want[0] = Reaction{Name: "tada", Count: 1, Users: []string{ann.Email()}}
		if !slices.EqualFunc(got.Reactions, want, reactionEqual) {
			t.Fatalf("reactions after removing=%+v, want %+v", got.Reactions, want)
		}
		got = unreact(t, ann, m.ID, "tada")
		if !slices.EqualFunc(got.Reactions, want[1:], reactionEqual) {
			t.Fatalf("reactions after removing the last tada=%+v, want %+v", got.Reactions, want[1:])
		}
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			e := EventOf(t, c.Find(t, name+"'s reaction_removed", func(f Frame) bool {
				return IsEvent("reaction_removed", m.ID)(f) && eventOf(f).User == ann.Email()
			}))
			if e.Name != "tada" || !slices.EqualFunc(e.Reactions, want[1:], reactionEqual) {
				t.Fatalf("%s got %+v, want ann's tada removed", name, e)
			}
		}
	})

	t.Run("OKIdempotent", func(t *testing.T) {
		// A user reacts once per name: again changes nothing and pushes
		// nothing; removing what is not there neither.
		m := s.MustSend(t, ann, f.dev, text("once"))
		first := react(t, bob, m.ID, "eyes")
		for _, name := range []string{"eyes", ":eyes:", "EYES"} {
			if again := react(t, bob, m.ID, name); !slices.EqualFunc(again.Reactions, first.Reactions, reactionEqual) {
				t.Fatalf("reactions after reacting again with %q=%+v, want %+v", name, again.Reactions, first.Reactions)
			}
		}
		if got := unreact(t, ann, m.ID, "eyes"); !slices.EqualFunc(got.Reactions, first.Reactions, reactionEqual) {
			t.Fatalf("reactions after removing ann's absent eyes=%+v, want %+v", got.Reactions, first.Reactions)
		}
		unreact(t, bob, m.ID, "eyes")
		if got := unreact(t, bob, m.ID, "eyes"); len(got.Reactions) != 0 {
			t.Fatalf("reactions after removing twice=%+v, want none", got.Reactions)
		}
		s.MustSettle(t, ann, f.dev, annC, bobC)
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if n := c.Count(IsEvent("reaction_added", m.ID)); n != 1 {
				t.Fatalf("%s got %d reaction_added frames, want 1", name, n)
			} else if n := c.Count(IsEvent("reaction_removed", m.ID)); n != 1 {
				t.Fatalf("%s got %d reaction_removed frames, want 1", name, n)
			}
		}
	})

	t.Run("OKConcurrent", func(t *testing.T) {
		// The same reaction sent at once counts once and is pushed once;
		// different users' reactions at once all count.
		m := s.MustSend(t, ann, f.dev, text("a rush of reactions"))
		path := "/message/" + m.ID + "/reactions"
		statuses := concurrently(t, 8, func(int) (int, []byte, error) {
			return doRaw(s.URL, "POST", path, bob.AccessToken, `{"name":"fire"}`)
		})
		if count(statuses, 200) != 8 {
			t.Fatalf("statuses=%v, want all 200", statuses)
		}
		users := []*Session{ann, bob, carl, dave}
		statuses = concurrently(t, len(users), func(i int) (int, []byte, error) {
			return doRaw(s.URL, "POST", path, users[i].AccessToken, `{"name":"rocket"}`)
		})
		if count(statuses, 200) != len(users) {
			t.Fatalf("statuses=%v, want all 200", statuses)
		}
		got := s.MustMessage(t, ann, f.dev, m.ID).Reactions
		if len(got) != 2 || got[0].Name != "fire" || got[0].Count != 1 || got[1].Count != 4 || !sameSet(got[1].Users,
			[]string{ann.Email(), bob.Email(), carl.Email(), dave.Email()}) {
			t.Fatalf("reactions=%+v, want fire by bob once and rocket by all four", got)
		}
		s.MustSettle(t, ann, f.dev, annC)
		if n := annC.Count(func(f Frame) bool {
			return IsEvent("reaction_added", m.ID)(f) && eventOf(f).Name == "fire"
		}); n != 1 {
			t.Fatalf("ann got %d reaction_added frames for fire, want 1", n)
		}
	})

	t.Run("OKPublicNotMember", func(t *testing.T) {
		// Who may see a message may react to it.
		m := s.MustSend(t, ann, f.dev, text("carl may see this"))
		if got := react(t, carl, m.ID, "wave"); len(got.Reactions) != 1 || got.Reactions[0].Users[0] != carl.Email() {
			t.Fatalf("reactions=%+v, want carl's wave", got.Reactions)
		}
		annC.Find(t, "carl's reaction", IsEvent("reaction_added", m.ID))
	})

	t.Run("OKReply", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("root"))
		r := s.MustSend(t, bob, f.dev, reply("reply", root.ID, false))
		react(t, ann, r.ID, "+1")
		th := s.MustThread(t, bob, root.ID, "")
		if len(th.Messages[0].Reactions) != 1 || th.Messages[0].Reactions[0].Name != "+1" {
			t.Fatalf("reply reactions=%+v, want +1", th.Messages[0].Reactions)
		}
	})

	t.Run("OKDM", func(t *testing.T) {
		m := s.MustSendDM(t, ann, bob, text("a DM to react to"))
		react(t, bob, m.ID, "heart")
		got := react(t, ann, m.ID, "heart")
		want := []Reaction{{Name: "heart", Count: 2, Users: []string{bob.Email(), ann.Email()}}}
		if !slices.EqualFunc(got.Reactions, want, reactionEqual) {
			t.Fatalf("reactions=%+v, want %+v", got.Reactions, want)
		}
		if h := s.MustDMHistory(t, bob, ann, "limit=1").Messages[0]; !slices.EqualFunc(h.Reactions, want, reactionEqual) {
			t.Fatalf("DM history reactions=%+v, want %+v", h.Reactions, want)
		}
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if e := EventOf(t, c.Find(t, name+"'s reaction_added", func(f Frame) bool {
				return IsEvent("reaction_added", m.ID)(f) && eventOf(f).User == ann.Email()
			})); e.ChannelID != "" || !slices.EqualFunc(e.Reactions, want, reactionEqual) {
				t.Fatalf("%s got %+v, want ann's heart on a DM", name, e)
			}
		}
		unreact(t, bob, m.ID, "heart")
		annC.Find(t, "reaction_removed", IsEvent("reaction_removed", m.ID))
		s.MustSettle(t, ann, f.general, carlC)
		carlC.MustNotHave(t, "carl", "reaction event of a DM", func(f Frame) bool { return f.MessageID == m.ID })

		s.MustFail(t, reactReq(carl, m.ID, emoji("heart")), 404, "not_found")
		s.MustFail(t, unreactReq(dave, m.ID, "heart"), 404, "not_found")
	})

	t.Run("Errors", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("bad reactions"))
		react(t, bob, m.ID, "ok")
		inPriv := s.MustSend(t, ann, f.priv, text("in priv"))
		deleted := s.MustSend(t, ann, f.dev, text("deleted"))
		s.MustDo(t, deleteReq(ann, deleted.ID), http.StatusOK, nil)

		type tc struct {
			name   string
			req    Req
			status int
			code   string
		}
		tests := []tc{
			{"ErrUnknown", reactReq(ann, "Mnope", emoji("tada")), 404, "not_found"},
			{"ErrPrivateNotMember", reactReq(carl, inPriv.ID, emoji("tada")), 404, "not_found"},
			{"ErrOutsider", reactReq(eve, m.ID, emoji("tada")), 404, "not_found"},
			{"ErrDeleted", reactReq(ann, deleted.ID, emoji("tada")), 409, "conflict"},
			{"ErrMissingName", reactReq(ann, m.ID, map[string]any{}), 400, "invalid"},
			{"ErrNameType", reactReq(ann, m.ID, map[string]any{"name": 5}), 400, "invalid"},
			{"ErrBodyTooLarge", reactReq(ann, m.ID, emoji(strings.Repeat("x", 1<<20))), 413, "too_large"},
			{"ErrNoToken", Req{Method: "POST", Path: "/message/" + m.ID + "/reactions", Body: emoji("tada")}, 401, "unauthorized"},
			{"ErrRemoveUnknown", unreactReq(ann, "Mnope", "ok"), 404, "not_found"},
			{"ErrRemoveOutsider", unreactReq(eve, m.ID, "ok"), 404, "not_found"},
			{"ErrRemoveBadName", unreactReq(bob, m.ID, "o k"), 400, "invalid"},
			{"ErrRemoveNoToken", Req{Method: "DELETE", Path: "/message/" + m.ID + "/reactions/ok"}, 401, "unauthorized"},
		}
		for name, bad := range map[string]string{
			"ErrEmpty": "", "ErrColons": "::", "ErrSpace": "thumbs up", "ErrBang": "tada!",
			"ErrAngle": "<script>", "ErrSlash": "a/b", "ErrEmoji": "🎉", "ErrAccent": "café",
			"ErrTooLong": strings.Repeat("x", 65), "ErrSkinTone": "thumbsup::skin-tone-7",
			"ErrQuote": `a"b`, "ErrNewline": "a\nb",
		} {
			tests = append(tests, tc{name, reactReq(bob, m.ID, emoji(bad)), 400, "invalid"})
		}
		for _, b := range malformedBodies {
			tests = append(tests, tc{b.name, reactReq(ann, m.ID, b.body), b.status, b.code})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, tt.req, tt.status, tt.code)
				want := []Reaction{{Name: "ok", Count: 1, Users: []string{bob.Email()}}}
				if got := s.MustMessage(t, ann, f.dev, m.ID); !slices.EqualFunc(got.Reactions, want, reactionEqual) {
					t.Fatalf("reactions=%+v after a refused request, want %+v", got.Reactions, want)
				}
			})
		}
	})
}

// reactionEqual reports whether two reactions are the same.
func reactionEqual(a, b Reaction) bool {
	return a.Name == b.Name && a.Count == b.Count && slices.Equal(a.Users, b.Users)
}

func TestPins(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	annC, bobC, carlC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl), s.MustConnect(t, eve)

	pin := func(t *testing.T, as *Session, id string) *PinnedMessage {
		t.Helper()
		var p PinnedMessage
		s.MustDo(t, pinReq(as, id), http.StatusOK, &p)
		return &p
	}
	pinnedIDs := func(t *testing.T, as *Session, ch *Channel) []string {
		t.Helper()
		var out []string
		for _, p := range s.MustPins(t, as, ch) {
			out = append(out, p.Message.ID)
		}
		return out
	}

	t.Run("OK", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("pin me"))
		p := pin(t, bob, m.ID)
		if p.Message == nil || p.Message.ID != m.ID || p.Message.Text != "pin me" || p.PinnedBy != bob.Email() ||
			!createdAtRE.MatchString(p.PinnedAt) {
			t.Fatalf("pin=%+v, want %s pinned by bob at a time with milliseconds", p, m.ID)
		}
		pins := s.MustPins(t, dave, f.dev)
		if len(pins) != 1 || pins[0].Message.ID != m.ID || pins[0].PinnedBy != bob.Email() || pins[0].PinnedAt != p.PinnedAt {
			t.Fatalf("pins=%+v, want %s by bob at %s", pins, m.ID, p.PinnedAt)
		}

		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			e := EventOf(t, c.Find(t, name+"'s message_pinned", IsEvent("message_pinned", m.ID)))
			if e.User != bob.Email() || e.ChannelID != f.dev.ID || e.WorkspaceID != f.ws.ID || e.PinnedAt != p.PinnedAt {
				t.Fatalf("%s got %+v, want bob's pin in dev at %s", name, e, p.PinnedAt)
			}
		}

		// Pinning again changes nothing and pushes nothing.
		if again := pin(t, ann, m.ID); again.PinnedBy != bob.Email() || again.PinnedAt != p.PinnedAt {
			t.Fatalf("second pin=%+v, want bob's first pin", again)
		}

		var notice struct {
			Message string `json:"message"`
		}
		s.MustDo(t, unpinReq(ann, m.ID), http.StatusOK, &notice)
		if notice.Message == "" {
			t.Fatal("unpin answer has no message")
		}
		if got := pinnedIDs(t, bob, f.dev); len(got) != 0 {
			t.Fatalf("pins after unpinning=%v, want none", got)
		}
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if e := EventOf(t, c.Find(t, name+"'s message_unpinned", IsEvent("message_unpinned", m.ID))); e.User != ann.Email() {
				t.Fatalf("%s got %+v, want ann's unpin", name, e)
			}
		}
		// Unpinning again changes nothing and pushes nothing.
		s.MustDo(t, unpinReq(bob, m.ID), http.StatusOK, nil)

		s.MustSettle(t, ann, f.dev, annC, bobC)
		s.MustSettle(t, ann, f.general, carlC)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if n := c.Count(IsEvent("message_pinned", m.ID)); n != 1 {
				t.Fatalf("%s got %d message_pinned frames, want 1", name, n)
			} else if n := c.Count(IsEvent("message_unpinned", m.ID)); n != 1 {
				t.Fatalf("%s got %d message_unpinned frames, want 1", name, n)
			}
		}
		for name, c := range map[string]*WSClient{"carl": carlC, "eve": eveC} {
			c.MustNotHave(t, name, "pin event of dev", func(f Frame) bool { return f.MessageID == m.ID })
		}
	})

	t.Run("OKList", func(t *testing.T) {
		a, b := s.MustSend(t, ann, f.priv, text("a")), s.MustSend(t, bob, f.priv, text("b"))
		pin(t, ann, a.ID)
		pin(t, bob, b.ID)
		got := s.MustPins(t, bob, f.priv)
		if !sameSet(pinnedIDs(t, ann, f.priv), []string{a.ID, b.ID}) {
			t.Fatalf("pins=%v, want %s and %s", pinnedIDs(t, ann, f.priv), a.ID, b.ID)
		}
		// The most recently pinned first, where the times tell them apart.
		if got[0].PinnedAt < got[1].PinnedAt {
			t.Fatalf("pins at %s then %s, want the most recent first", got[0].PinnedAt, got[1].PinnedAt)
		}
		if pins := s.MustPins(t, ann, f.general); len(pins) != 0 {
			t.Fatalf("general pins=%v, want none", pins)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		m := s.MustSend(t, ann, f.dev, text("pinned already"))
		pin(t, ann, m.ID)
		unpinned := s.MustSend(t, ann, f.dev, text("not pinned"))
		inPriv := s.MustSend(t, ann, f.priv, text("in priv"))
		dm := s.MustSendDM(t, ann, bob, text("a DM"))
		deleted := s.MustSend(t, ann, f.dev, text("deleted"))
		s.MustDo(t, deleteReq(ann, deleted.ID), http.StatusOK, nil)

		tests := []struct {
			name   string
			req    Req
			status int
			code   string
		}{
			{"ErrDM", pinReq(ann, dm.ID), 400, "invalid"},
			{"ErrDMReceiver", pinReq(bob, dm.ID), 400, "invalid"},
			{"ErrUnpinDM", unpinReq(ann, dm.ID), 400, "invalid"},
			{"ErrPublicNotMember", pinReq(carl, unpinned.ID), 403, "forbidden"},
			{"ErrUnpinPublicNotMember", unpinReq(carl, m.ID), 403, "forbidden"},
			{"ErrListPublicNotMember", pinsReq(carl, f.dev), 403, "forbidden"},
			{"ErrPrivateNotMember", pinReq(carl, inPriv.ID), 404, "not_found"},
			{"ErrListPrivateNotMember", pinsReq(carl, f.priv), 404, "not_found"},
			{"ErrOutsider", pinReq(eve, unpinned.ID), 404, "not_found"},
			{"ErrUnpinOutsider", unpinReq(eve, m.ID), 404, "not_found"},
			{"ErrListOutsider", pinsReq(eve, f.dev), 404, "not_found"},
			{"ErrListOtherWorkspace", pinsReq(ann, f.evesGeneral), 404, "not_found"},
			{"ErrListUnknown", pinsReq(ann, &Channel{WorkspaceID: f.ws.ID, ID: "Cnope"}), 404, "not_found"},
			{"ErrUnknown", pinReq(ann, "Mnope"), 404, "not_found"},
			{"ErrUnpinUnknown", unpinReq(ann, "Mnope"), 404, "not_found"},
			{"ErrDeleted", pinReq(ann, deleted.ID), 409, "conflict"},
			{"ErrNoToken", Req{Method: "POST", Path: "/message/" + unpinned.ID + "/pin"}, 401, "unauthorized"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, tt.req, tt.status, tt.code)
				if got := pinnedIDs(t, dave, f.dev); !slices.Equal(got, []string{m.ID}) {
					t.Fatalf("dev pins=%v after a refused request, want [%s]", got, m.ID)
				}
				if got := pinnedIDs(t, ann, f.priv); slices.Contains(got, inPriv.ID) {
					t.Fatalf("priv pins=%v, want %s not pinned", got, inPriv.ID)
				}
			})
		}
	})
}

func TestMentions(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	at := func(sess *Session) string { return "<@" + sess.User.ID + ">" }

	// Nobody has a connection open yet: <!here> is tested last.
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"OKMember", "hi " + at(bob), ids(bob)},
		{"OKTwo", at(dave) + " and " + at(bob), ids(dave, bob)},
		{"OKLabel", "<@" + bob.User.ID + "|bob> look", ids(bob)},
		{"OKOnce", at(bob) + at(bob) + " " + at(bob), ids(bob)},
		{"OKWorkspaceNotChannel", "hi " + at(carl), nil},
		{"OKOutsider", "hi " + at(eve), nil},
		{"OKUnknown", "hi <@Unope>", nil},
		{"OKMemberAndNot", at(carl) + " " + at(bob), ids(bob)},
		{"OKChannel", "<!channel> listen", ids(bob, dave)},
		{"OKChannelLabel", "<!channel|channel> listen", ids(bob, dave)},
		{"OKNone", "plain <b>text</b> and <@> and <!everyone>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Users named one by one are listed in the order of their
			// first mention; <!channel> names them in no order.
			m := s.MustSend(t, ann, f.dev, text(tt.text))
			if strings.Contains(tt.text, "<!") && (!sameSet(m.Mentions, tt.want) || len(m.Mentions) != len(tt.want)) {
				t.Fatalf("mentions=%v, want %v", m.Mentions, tt.want)
			} else if !strings.Contains(tt.text, "<!") && !slices.Equal(m.Mentions, tt.want) {
				t.Fatalf("mentions=%v, want %v", m.Mentions, tt.want)
			}
			if h := s.MustMessage(t, carl, f.dev, m.ID); !slices.Equal(h.Mentions, m.Mentions) {
				t.Fatalf("history mentions=%v, want %v", h.Mentions, m.Mentions)
			}
		})
	}

	t.Run("OKPrivate", func(t *testing.T) {
		m := s.MustSend(t, bob, f.priv, text(at(ann)+" "+at(dave)+" <!channel>"))
		if !slices.Equal(m.Mentions, ids(ann)) {
			t.Fatalf("mentions=%v, want ann's only: dave is not in priv", m.Mentions)
		}
	})

	t.Run("OKDM", func(t *testing.T) {
		m := s.MustSendDM(t, ann, bob, text(at(bob)+" "+at(carl)))
		if !slices.Equal(m.Mentions, ids(bob)) {
			t.Fatalf("DM mentions=%v, want bob's only", m.Mentions)
		}
	})

	t.Run("OKHere", func(t *testing.T) {
		// <!here> mentions the members with a connection open, but the
		// sender: bob and ann are connected, dave and carl are not.
		annC, bobC := s.MustConnect(t, ann), s.MustConnect(t, bob)
		m := s.MustSend(t, ann, f.dev, text("<!here> who is around?"))
		if !slices.Equal(m.Mentions, ids(bob)) {
			t.Fatalf("mentions=%v, want bob's only", m.Mentions)
		}
		// Over the WebSocket too, and the pushed message carries them.
		daveC := s.MustConnect(t, dave)
		s.MustConnect(t, carl) // online, but not in dev
		annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
			"message": "<!here|here> again", "client_msg_id": "here-2"})
		ack := annC.Next(t, "ack of here-2", IsAck("here-2"))
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "dave": daveC} {
			if e := EventOf(t, c.Find(t, name+"'s copy", IsMessage(ack.MessageID))); !sameSet(e.Mentions, ids(bob, dave)) {
				t.Fatalf("%s got mentions %v, want bob's and dave's", name, e.Mentions)
			}
		}
		// A connection closed is offline again.
		daveC.Conn.Close()
		WaitFor(t, "dave to be offline", time.Now().Add(timeout), func() bool {
			m := s.MustSend(t, ann, f.dev, text("<!here> still?"))
			return slices.Equal(m.Mentions, ids(bob))
		})
	})
}

func TestChannelSettings(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	annC, bobC, carlC, daveC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl),
		s.MustConnect(t, dave), s.MustConnect(t, eve)

	update := func(t *testing.T, as *Session, ch *Channel, body any) *FullChannel {
		t.Helper()
		var got FullChannel
		s.MustDo(t, settingsReq(as, ch, body), http.StatusOK, &got)
		return &got
	}

	t.Run("OKAlwaysPresent", func(t *testing.T) {
		// topic, purpose and archived are in every channel, unset or not.
		var raw map[string]json.RawMessage
		s.Do(t, Req{Method: "GET", Path: "/channel/" + f.ws.ID + "/" + f.dev.ID, Token: bob.AccessToken}).Decode(t, &raw)
		for key, want := range map[string]string{"topic": `""`, "purpose": `""`, "archived": "false"} {
			if string(raw[key]) != want {
				t.Fatalf("%s=%s, want %s", key, raw[key], want)
			}
		}
	})

	t.Run("OKTopicAndPurpose", func(t *testing.T) {
		// Bob creates a channel; he, as creator, and ann, as admin, may
		// change it.
		proj := s.MustCreateChannel(t, bob, f.ws, "proj", false)
		got := update(t, bob, proj, map[string]any{"topic": "  shipping v2  ", "purpose": "the project"})
		if got.Topic != "shipping v2" || got.Purpose != "the project" || got.Name != "proj" || got.Archived ||
			got.Creator != bob.Email() || got.ID != proj.ID {
			t.Fatalf("channel=%+v, want topic and purpose set, the rest unchanged", got)
		}
		got = update(t, ann, proj, map[string]any{"purpose": ""})
		if got.Topic != "shipping v2" || got.Purpose != "" {
			t.Fatalf("channel=%+v, want the purpose cleared and the topic kept", got)
		}
		if g := s.MustGetChannel(t, carl, proj); g.Topic != "shipping v2" || g.Purpose != "" {
			t.Fatalf("GET=%+v, want the topic set and no purpose", g)
		}

		// A public channel's update reaches every workspace member, in
		// it or not; eve gets nothing.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC} {
			e := EventOf(t, c.Find(t, name+"'s channel_updated", func(f Frame) bool {
				return IsChannelUpdate(proj.ID)(f) && eventOf(f).Purpose == ""
			}))
			if e.ChannelName != "proj" || e.Topic != "shipping v2" || e.WorkspaceID != f.ws.ID || e.Creator != bob.Email() {
				t.Fatalf("%s got %+v, want proj as it is now", name, e)
			}
		}
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		eveC.MustNotHave(t, "eve", "channel_updated of acme", IsChannelUpdate(proj.ID))
	})

	t.Run("OKPrivateEvents", func(t *testing.T) {
		update(t, ann, f.priv, map[string]any{"topic": "hush"})
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if e := EventOf(t, c.Find(t, name+"'s channel_updated", IsChannelUpdate(f.priv.ID))); e.Topic != "hush" || !e.IsPrivate {
				t.Fatalf("%s got %+v, want priv's topic", name, e)
			}
		}
		s.MustSettle(t, ann, f.general, carlC, daveC)
		carlC.MustNotHave(t, "carl", "channel_updated of a private channel", IsChannelUpdate(f.priv.ID))
		daveC.MustNotHave(t, "dave", "channel_updated of a private channel", IsChannelUpdate(f.priv.ID))
	})

	t.Run("OKRename", func(t *testing.T) {
		ch := s.MustCreateChannel(t, dave, f.ws, "old-name", false)
		got := update(t, dave, ch, map[string]any{"channel_name": "New_Name-2"})
		if got.Name != "new_name-2" {
			t.Fatalf("channel_name=%q, want %q", got.Name, "new_name-2")
		}
		if g := s.MustGetChannel(t, ann, ch); g.Name != "new_name-2" {
			t.Fatalf("GET channel_name=%q, want the new name", g.Name)
		}
		var w Workspace
		s.MustDo(t, Req{Method: "GET", Path: "/workspace/" + f.ws.ID, Token: carl.AccessToken}, http.StatusOK, &w)
		if !slices.ContainsFunc(w.Channels, func(c *Channel) bool { return c.ID == ch.ID && c.Name == "new_name-2" }) {
			t.Fatalf("workspace channels=%+v, want %s named new_name-2", w.Channels, ch.ID)
		}
		carlC.Find(t, "channel_updated of the rename", func(f Frame) bool {
			return IsChannelUpdate(ch.ID)(f) && eventOf(f).ChannelName == "new_name-2"
		})

		// The old name is free again; its own name, and names of other
		// workspaces, are no conflict; any script is a name.
		s.MustCreateChannel(t, carl, f.ws, "old-name", false)
		update(t, dave, ch, map[string]any{"channel_name": "new_name-2"})
		s.MustCreateChannel(t, eve, f.evesWS, "elsewhere", false)
		update(t, dave, ch, map[string]any{"channel_name": "elsewhere"})
		if got := update(t, dave, ch, map[string]any{"channel_name": "Привет"}); got.Name != "привет" {
			t.Fatalf("channel_name=%q, want %q", got.Name, "привет")
		}
	})

	t.Run("ErrRenameConcurrent", func(t *testing.T) {
		// Channels renamed at once to one name: one gets it.
		const n = 6
		chans := make([]*Channel, n)
		for i := range chans {
			chans[i] = s.MustCreateChannel(t, ann, f.ws, fmt.Sprint("racer-", i), i%2 == 0)
		}
		statuses := concurrently(t, n, func(i int) (int, []byte, error) {
			return doRaw(s.URL, "PATCH", "/channel/"+f.ws.ID+"/"+chans[i].ID, ann.AccessToken,
				`{"channel_name":"the-prize"}`)
		})
		if count(statuses, 200) != 1 || count(statuses, 409) != n-1 {
			t.Fatalf("statuses=%v, want one 200 and %d 409", statuses, n-1)
		}
		named := 0
		for _, ch := range chans {
			if s.MustGetChannel(t, ann, ch).Name == "the-prize" {
				named++
			}
		}
		if named != 1 {
			t.Fatalf("%d channels are named the-prize, want 1", named)
		}
	})

	t.Run("OKGeneralTopic", func(t *testing.T) {
		got := update(t, ann, f.general, map[string]any{"topic": "everyone", "archived": false})
		if got.Topic != "everyone" || got.Name != "general" {
			t.Fatalf("general=%+v, want its topic set", got)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		// Dave's channel, which bob and carl may see and not change.
		ch := s.MustCreateChannel(t, dave, f.ws, "daves", false)
		s.MustJoin(t, dave, ch, bob)
		update(t, dave, ch, map[string]any{"topic": "before"})
		davesPriv := s.MustCreateChannel(t, dave, f.ws, "daves-secret", true)

		type tc struct {
			name   string
			req    Req
			status int
			code   string
		}
		tests := []tc{
			{"ErrMemberNotCreator", settingsReq(bob, ch, map[string]any{"topic": "x"}), 403, "forbidden"},
			{"ErrNotMemberNotCreator", settingsReq(carl, ch, map[string]any{"archived": true}), 403, "forbidden"},
			{"ErrPrivateNotMember", settingsReq(carl, davesPriv, map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrOutsider", settingsReq(eve, ch, map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrUnknown", settingsReq(ann, &Channel{WorkspaceID: f.ws.ID, ID: "Cnope"},
				map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrOtherWorkspace", settingsReq(ann, &Channel{WorkspaceID: f.evesWS.ID, ID: ch.ID},
				map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrNameTaken", settingsReq(dave, ch, map[string]any{"channel_name": "dev"}), 409, "conflict"},
			{"ErrNameTakenCase", settingsReq(dave, ch, map[string]any{"channel_name": "DEV"}), 409, "conflict"},
			{"ErrNameTakenPrivate", settingsReq(ann, ch, map[string]any{"channel_name": "priv"}), 409, "conflict"},
			{"ErrNameGeneral", settingsReq(dave, ch, map[string]any{"channel_name": "general"}), 409, "conflict"},
			{"ErrRenameGeneral", settingsReq(ann, f.general, map[string]any{"channel_name": "everyone"}), 409, "conflict"},
			{"ErrArchiveGeneral", settingsReq(ann, f.general, map[string]any{"archived": true}), 409, "conflict"},
			{"ErrNothing", settingsReq(dave, ch, map[string]any{}), 400, "invalid"},
			{"ErrOnlyUnknownField", settingsReq(dave, ch, map[string]any{"color": "red"}), 400, "invalid"},
			{"ErrTopicTooLong", settingsReq(dave, ch, map[string]any{"topic": strings.Repeat("t", 251)}), 400, "invalid"},
			{"ErrPurposeTooLong", settingsReq(dave, ch, map[string]any{"purpose": strings.Repeat("p", 251)}), 400, "invalid"},
			{"ErrTopicType", settingsReq(dave, ch, map[string]any{"topic": 5}), 400, "invalid"},
			{"ErrArchivedType", settingsReq(dave, ch, map[string]any{"archived": "yes"}), 400, "invalid"},
			{"ErrBodyTooLarge", settingsReq(dave, ch, map[string]any{"topic": strings.Repeat("x", 1<<20)}), 413, "too_large"},
			{"ErrNoToken", Req{Method: "PATCH", Path: "/channel/" + f.ws.ID + "/" + ch.ID,
				Body: map[string]any{"topic": "x"}}, 401, "unauthorized"},
		}
		for name, bad := range map[string]string{
			"ErrNameSpace": "two words", "ErrNameDot": "a.b", "ErrNameEmoji": "party🎉", "ErrNameHash": "#daves",
			"ErrNameBlank": "   ", "ErrNameEmpty": "", "ErrNameTooLong": strings.Repeat("x", 81), "ErrNameSlash": "a/b",
		} {
			tests = append(tests, tc{name, settingsReq(dave, ch, map[string]any{"channel_name": bad}), 400, "invalid"})
		}
		for _, b := range malformedBodies {
			tests = append(tests, tc{b.name, settingsReq(dave, ch, b.body), b.status, b.code})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, tt.req, tt.status, tt.code)
				if got := s.MustGetChannel(t, dave, ch); got.Name != "daves" || got.Topic != "before" || got.Archived {
					t.Fatalf("channel=%+v after a refused update, want it unchanged", got)
				}
				if got := s.MustGetChannel(t, ann, f.general); got.Name != "general" || got.Archived {
					t.Fatalf("general=%+v after a refused update, want it unchanged", got)
				}
			})
		}
		s.MustSettle(t, dave, ch, daveC, bobC)
		if n := bobC.Count(IsChannelUpdate(ch.ID)); n != 1 {
			t.Fatalf("bob got %d channel_updated frames of daves, want 1: refused updates push nothing", n)
		}
	})

	t.Run("Archive", func(t *testing.T) {
		// Ann (the admin) archives bob's channel: it reads, and refuses
		// every write with 409 until she unarchives it.
		ch := s.MustCreateChannel(t, bob, f.ws, "archive-me", false)
		s.MustJoin(t, bob, ch, dave)
		m := s.MustSend(t, bob, ch, text("before the archive"))
		unpinned := s.MustSend(t, dave, ch, text("never pinned"))
		s.MustSend(t, dave, ch, reply("a reply", m.ID, false))
		s.MustDo(t, reactReq(dave, m.ID, emoji("tada")), http.StatusOK, nil)
		s.MustDo(t, pinReq(dave, m.ID), http.StatusOK, nil)

		if got := update(t, ann, ch, map[string]any{"archived": true}); !got.Archived || got.Name != "archive-me" {
			t.Fatalf("channel=%+v, want archived", got)
		}
		for name, c := range map[string]*WSClient{"bob": bobC, "carl": carlC, "dave": daveC} {
			c.Find(t, name+"'s channel_updated", func(f Frame) bool {
				return IsChannelUpdate(ch.ID)(f) && eventOf(f).Archived
			})
		}

		// Readable.
		if got := s.MustGetChannel(t, carl, ch); !got.Archived {
			t.Fatalf("GET archived=%v, want true", got.Archived)
		}
		if p := s.MustFullHistory(t, carl, ch, ""); !slices.Contains(p.IDs(), m.ID) {
			t.Fatalf("history=%v, want %s readable", p.IDs(), m.ID)
		}
		if th := s.MustThread(t, dave, m.ID, ""); len(th.Messages) != 1 {
			t.Fatalf("thread holds %d replies, want 1", len(th.Messages))
		}
		if pins := s.MustPins(t, dave, ch); len(pins) != 1 {
			t.Fatalf("pins=%d, want 1", len(pins))
		}

		// Refused.
		before := s.MustFullHistory(t, bob, ch, "include_replies=true&limit=200")
		for name, req := range map[string]Req{
			"Post":    postReq(bob, ch, text("x")),
			"Reply":   postReq(dave, ch, reply("x", m.ID, true)),
			"Edit":    editReq(bob, m.ID, text("x")),
			"React":   reactReq(bob, m.ID, emoji("eyes")),
			"Unreact": unreactReq(dave, m.ID, "tada"),
			"Pin":     pinReq(bob, unpinned.ID),
			"Unpin":   unpinReq(dave, m.ID),
		} {
			t.Run("Err"+name, func(t *testing.T) {
				s.MustFail(t, req, 409, "conflict")
			})
		}
		t.Run("ErrWebSocket", func(t *testing.T) {
			bobC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": ch.ID,
				"message": "x", "client_msg_id": "archived-1"})
			e := bobC.Next(t, "answer to archived-1", func(f Frame) bool {
				return f.ClientMsgID == "archived-1" && (f.Type == "error" || f.Type == "ack")
			})
			if e.Type != "error" || e.Code != "conflict" {
				t.Fatalf("frame=%+v, want a conflict error", e)
			}
		})
		after := s.MustFullHistory(t, bob, ch, "include_replies=true&limit=200")
		if !slices.Equal(after.IDs(), before.IDs()) {
			t.Fatalf("history=%v after refused writes, want %v", after.IDs(), before.IDs())
		}
		got := s.MustMessage(t, bob, ch, m.ID)
		if got.Text != "before the archive" || got.EditedAt != "" || len(got.Reactions) != 1 || got.Reactions[0].Count != 1 {
			t.Fatalf("message=%+v, want it as it was", got)
		}
		if pins := s.MustPins(t, dave, ch); len(pins) != 1 {
			t.Fatalf("pins=%d after refused unpin, want 1", len(pins))
		}

		// Unarchived, it takes writes again.
		if got := update(t, bob, ch, map[string]any{"archived": false}); got.Archived {
			t.Fatalf("channel=%+v, want unarchived", got)
		}
		s.MustSend(t, bob, ch, text("after the archive"))
		s.MustSend(t, dave, ch, reply("another reply", m.ID, false))
		s.MustDo(t, editReq(bob, m.ID, text("edited")), http.StatusOK, nil)
		s.MustDo(t, reactReq(bob, m.ID, emoji("eyes")), http.StatusOK, nil)
		s.MustDo(t, unreactReq(dave, m.ID, "tada"), http.StatusOK, nil)
		s.MustDo(t, unpinReq(dave, m.ID), http.StatusOK, nil)
		s.MustDo(t, pinReq(bob, m.ID), http.StatusOK, nil)
		bobC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": ch.ID,
			"message": "over the wire", "client_msg_id": "unarchived-1"})
		bobC.Next(t, "ack of unarchived-1", IsAck("unarchived-1"))
	})
}
