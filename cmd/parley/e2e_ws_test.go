package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
)

func TestWebSocket(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob, carl, eve := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl"), s.MustSignup(t, "eve")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob, carl)
	general := General(t, ws)
	team := s.MustCreateChannel(t, ann, ws, "team", false)
	s.MustJoin(t, ann, team, bob)
	secret := s.MustCreateChannel(t, ann, ws, "secret", true)
	evesWS := s.MustCreateWorkspace(t, eve, "eve's")

	t.Run("Auth", func(t *testing.T) {
		ok := map[string]struct {
			header http.Header
			query  url.Values
		}{
			"Bearer":  {header: http.Header{"Authorization": {"Bearer " + ann.AccessToken}}},
			"Bare":    {header: http.Header{"Authorization": {ann.AccessToken}}},
			"IDToken": {header: http.Header{"Idtoken": {ann.AccessToken}}},
			"Query":   {query: url.Values{"token": {ann.AccessToken}}},
		}
		for name, tt := range ok {
			t.Run("OK"+name, func(t *testing.T) {
				conn, resp, err := s.DialWS(t, tt.header, tt.query)
				if err != nil {
					t.Fatalf("dial: %v (response %v)", err, resp)
				}
				c := NewWSClient(t, conn)
				hello := c.Next(t, "hello", func(Frame) bool { return true })
				if hello.Type != "hello" {
					t.Fatalf("first frame type=%q, want hello", hello.Type)
				} else if hello.ConnectionID == "" {
					t.Fatal("hello has no connection_id")
				} else if hello.User == nil || *hello.User != ann.User {
					t.Fatalf("hello user=%+v, want %+v", hello.User, ann.User)
				}
				c.Ping(t)
			})
		}

		otherKey := make([]byte, 32)
		rand.Read(otherKey)
		key := s.SigningKey(t)
		refused := map[string]string{
			"ErrMissing": "",
			"ErrGarbage": "garbage",
			"ErrForged":  Sign(t, jwt.SigningMethodHS256, otherKey, ClaimsOf(ann.User, time.Now().Add(time.Hour))),
			"ErrAlgNone": Sign(t, jwt.SigningMethodNone, nil, ClaimsOf(ann.User, time.Now().Add(time.Hour))),
			"ErrExpired": Sign(t, jwt.SigningMethodHS256, key, ClaimsOf(ann.User, time.Now().Add(-time.Second))),
		}
		for name, token := range refused {
			t.Run(name, func(t *testing.T) {
				for _, how := range []struct {
					header http.Header
					query  url.Values
				}{
					{header: http.Header{"Authorization": {"Bearer " + token}}},
					{header: http.Header{"Idtoken": {token}}},
					{query: url.Values{"token": {token}}},
				} {
					conn, resp, err := s.DialWS(t, how.header, how.query)
					if err == nil {
						conn.Close()
						t.Fatalf("dial with %v %v succeeded, want 401 before the upgrade", how.header, how.query)
					} else if !errors.Is(err, websocket.ErrBadHandshake) || resp == nil {
						t.Fatalf("dial: %v, want a refused handshake", err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					MustBeError(t, "GET /ws", &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, 401, "unauthorized")
				}
			})
		}
	})

	t.Run("ErrNotUpgrade", func(t *testing.T) {
		// A plain request with a good token is refused in the API's error
		// shape, not half-upgraded.
		s.MustFail(t, Req{Method: "GET", Path: "/ws", Token: ann.AccessToken}, 400, "invalid")
		s.MustFail(t, Req{Method: "GET", Path: "/ws"}, 401, "unauthorized")
	})

	t.Run("Hello", func(t *testing.T) {
		c1, c2 := s.MustConnect(t, ann), s.MustConnect(t, ann)
		h1, h2 := c1.Frames()[0], c2.Frames()[0]
		if h1.ConnectionID == h2.ConnectionID {
			t.Fatalf("two connections share connection_id %q, want each its own", h1.ConnectionID)
		}
	})

	t.Run("ChannelChat", func(t *testing.T) {
		annC, bobC := s.MustConnect(t, ann), s.MustConnect(t, bob)
		for i, action := range []string{"channelChat", "channel_chat"} {
			t.Run(action, func(t *testing.T) {
				id := "cc-" + action
				text := fmt.Sprintf("hello via %s", action)
				annC.Send(t, map[string]string{
					"action": action, "workspace_id": ws.ID, "channel_id": team.ID, "message": text, "client_msg_id": id,
				})
				ack := annC.Next(t, "ack of "+id, IsAck(id))
				if ack.MessageID == "" || ack.Seq != int64(i+1) {
					t.Fatalf("ack=%+v, want a message_id and seq %d", ack, i+1)
				}

				// The ack comes after the message is stored: history has
				// it at once.
				p := s.MustHistory(t, bob, team, fmt.Sprintf("after=%d", ack.Seq-1))
				if len(p.Messages) != 1 || p.Messages[0].ID != ack.MessageID || p.Messages[0].Seq != ack.Seq {
					t.Fatalf("history after the ack=%+v, want message %s with seq %d", p.Messages, ack.MessageID, ack.Seq)
				} else if m := p.Messages[0]; m.Text != text || m.Sender != ann.Email() || m.ClientMsgID != id {
					t.Fatalf("stored=%+v, want %q from ann with client_msg_id %s", m, text, id)
				}

				for _, c := range []*WSClient{annC, bobC} {
					f := c.Find(t, "message "+ack.MessageID, IsMessage(ack.MessageID))
					if f.Seq != ack.Seq || f.Message != text || f.Sender != ann.Email() ||
						f.WorkspaceID != ws.ID || f.ChannelID != team.ID || !createdAtRE.MatchString(f.CreatedAt) {
						t.Fatalf("message frame=%+v, want seq %d %q from ann in team", f, ack.Seq, text)
					}
				}
			})
		}
	})

	t.Run("DMChat", func(t *testing.T) {
		annC, bobC, carlC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl)
		var ids []string
		for _, action := range []string{"dmChat", "dm_chat"} {
			t.Run(action, func(t *testing.T) {
				id := "dm-" + action
				annC.Send(t, map[string]string{"action": action, "receiver": bob.Email(), "message": action, "client_msg_id": id})
				ack := annC.Next(t, "ack of "+id, IsAck(id))
				ids = append(ids, ack.MessageID)

				var p Page
				s.MustDo(t, Req{Method: "GET", Path: "/dm/" + bob.Email() + "/" + ann.Email() + "?limit=1", Token: bob.AccessToken}, http.StatusOK, &p)
				if len(p.Messages) != 1 || p.Messages[0].ID != ack.MessageID {
					t.Fatalf("history after the ack=%+v, want message %s", p.Messages, ack.MessageID)
				}
				for _, c := range []*WSClient{annC, bobC} {
					f := c.Find(t, "message "+ack.MessageID, IsMessage(ack.MessageID))
					if f.Sender != ann.Email() || f.Receiver != bob.Email() || f.Message != action || f.Seq != ack.Seq {
						t.Fatalf("message frame=%+v, want %q from ann to bob, seq %d", f, action, ack.Seq)
					}
				}
			})
		}

		// Carl, who is in neither conversation, got neither message: he
		// gets a later one in general, and nothing before it.
		marker := s.MustPost(t, ann, general, "marker for carl")
		carlC.Find(t, "the marker", IsMessage(marker.ID))
		for _, f := range carlC.Frames() {
			if f.Type == "message" && slices.Contains(ids, f.MessageID) {
				t.Fatalf("carl got %+v, a direct message between ann and bob", f)
			}
		}
	})

	t.Run("DMSelf", func(t *testing.T) {
		// Notes to self (docs/decisions.md): each of the user's
		// connections gets the message once.
		c1, c2 := s.MustConnect(t, carl), s.MustConnect(t, carl)
		c1.Send(t, map[string]string{"action": "dmChat", "receiver": carl.Email(), "message": "note", "client_msg_id": "self"})
		ack := c1.Next(t, "ack", IsAck("self"))
		c2.Find(t, "note", IsMessage(ack.MessageID))
		marker := s.MustPost(t, ann, general, "marker for carl")
		for i, c := range []*WSClient{c1, c2} {
			c.Find(t, "marker", IsMessage(marker.ID))
			n := 0
			for _, f := range c.Frames() {
				if f.MessageID == ack.MessageID && f.Type == "message" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("connection %d got %d copies of the note, want 1", i+1, n)
			}
		}
	})

	t.Run("SenderIgnored", func(t *testing.T) {
		annC, bobC := s.MustConnect(t, ann), s.MustConnect(t, bob)
		annC.Send(t, map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": team.ID,
			"message": "am I bob?", "sender": bob.Email(), "client_msg_id": "forge-1"})
		ack := annC.Next(t, "ack", IsAck("forge-1"))
		if f := bobC.Find(t, "message", IsMessage(ack.MessageID)); f.Sender != ann.Email() {
			t.Fatalf("sender=%q, want %q, the token's user", f.Sender, ann.Email())
		}

		annC.Send(t, map[string]string{"action": "dmChat", "receiver": bob.Email(), "sender": carl.Email(),
			"message": "from carl?", "client_msg_id": "forge-2"})
		ack = annC.Next(t, "ack", IsAck("forge-2"))
		if f := bobC.Find(t, "message", IsMessage(ack.MessageID)); f.Sender != ann.Email() {
			t.Fatalf("sender=%q, want %q, the token's user", f.Sender, ann.Email())
		}
		var p Page
		s.MustDo(t, Req{Method: "GET", Path: "/dm/" + carl.Email() + "/" + bob.Email(), Token: carl.AccessToken}, http.StatusOK, &p)
		if len(p.Messages) != 0 {
			t.Fatalf("carl-bob holds %d messages, want 0", len(p.Messages))
		}
	})

	t.Run("Fanout", func(t *testing.T) {
		ann1, ann2 := s.MustConnect(t, ann), s.MustConnect(t, ann)
		bob1, bob2 := s.MustConnect(t, bob), s.MustConnect(t, bob)
		carlC, eveC := s.MustConnect(t, carl), s.MustConnect(t, eve)

		ann1.Send(t, map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": team.ID,
			"message": "to the team", "client_msg_id": "fan-1"})
		ack := ann1.Next(t, "ack", IsAck("fan-1"))
		for name, c := range map[string]*WSClient{"ann1": ann1, "ann2": ann2, "bob1": bob1, "bob2": bob2} {
			if f := c.Find(t, name+"'s copy", IsMessage(ack.MessageID)); f.Message != "to the team" {
				t.Fatalf("%s got %q, want %q", name, f.Message, "to the team")
			}
		}

		// Carl (in the workspace, not the channel) and eve (outside it)
		// each get a later message of a conversation they are in, and
		// nothing of the team's before it.
		toCarl := s.MustPost(t, ann, general, "for everyone")
		toEve := s.MustPost(t, eve, General(t, evesWS), "eve's own")
		carlC.Find(t, "general message", IsMessage(toCarl.ID))
		eveC.Find(t, "eve's message", IsMessage(toEve.ID))
		for name, c := range map[string]*WSClient{"carl": carlC, "eve": eveC} {
			for _, f := range c.Frames() {
				if f.MessageID == ack.MessageID || f.Type == "ack" {
					t.Fatalf("%s got %+v, want nothing of the team channel", name, f)
				}
			}
		}
		// The ack goes to the sending connection only.
		ann2.Find(t, "general message", IsMessage(toCarl.ID))
		for _, f := range ann2.Frames() {
			if f.Type == "ack" {
				t.Fatalf("ann2 got %+v, want acks on the sending connection only", f)
			}
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		annC, bobC := s.MustConnect(t, ann), s.MustConnect(t, bob)
		before := s.MustHistoryLen(t, ann, team)
		frame := map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": team.ID,
			"message": "only once", "client_msg_id": "idem-1"}
		annC.Send(t, frame)
		first := annC.Next(t, "first ack", IsAck("idem-1"))
		annC.Send(t, frame)
		again := annC.Next(t, "second ack", IsAck("idem-1"))
		if again.MessageID != first.MessageID || again.Seq != first.Seq {
			t.Fatalf("second ack=%+v, want message %s seq %d again", again, first.MessageID, first.Seq)
		}

		// Over HTTP, the same ID answers with the same message.
		var m Message
		resp := s.Do(t, Req{Method: "POST", Path: "/messages/" + ws.ID + "/" + team.ID, Token: ann.AccessToken,
			Body: map[string]string{"message": "only once", "client_msg_id": "idem-1"}})
		if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
			t.Fatalf("status=%d, want 201 or 200", resp.Status)
		}
		resp.Decode(t, &m)
		if m.ID != first.MessageID || m.Seq != first.Seq {
			t.Fatalf("HTTP repeat=%+v, want message %s seq %d", m, first.MessageID, first.Seq)
		}
		if after := s.MustHistoryLen(t, ann, team); after != before+1 {
			t.Fatalf("team holds %d messages, want %d: one copy", after, before+1)
		}

		// Bob was pushed one copy: the repeats stored nothing, so pushed
		// nothing.
		marker := s.MustPost(t, ann, team, "after the repeats")
		bobC.Find(t, "marker", IsMessage(marker.ID))
		n := 0
		for _, f := range bobC.Frames() {
			if f.MessageID == first.MessageID {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("bob got %d copies of the message, want 1", n)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		annC, bobC, carlC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl)
		big := fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":%q,"message":%q}`,
			ws.ID, team.ID, strings.Repeat("x", 300<<10))
		chat := func(extra string) string {
			return fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":%q%s}`, ws.ID, team.ID, extra)
		}
		tests := []struct {
			name        string
			c           *WSClient
			kind        int
			data        string
			code        string
			clientMsgID string
		}{
			{"ErrNotJSON", annC, websocket.TextMessage, `hello`, "invalid", ""},
			{"ErrTruncated", annC, websocket.TextMessage, `{"action":`, "invalid", ""},
			{"ErrArray", annC, websocket.TextMessage, `[]`, "invalid", ""},
			{"ErrNull", annC, websocket.TextMessage, `null`, "invalid", ""},
			{"ErrActionType", annC, websocket.TextMessage, `{"action": 5}`, "invalid", ""},
			{"ErrMessageType", annC, websocket.TextMessage, chat(`,"message":5,"client_msg_id":"e1"`), "invalid", "e1"},
			{"ErrClientMsgIDType", annC, websocket.TextMessage, chat(`,"message":"hi","client_msg_id":5`), "invalid", ""},
			{"ErrUnknownAction", annC, websocket.TextMessage, `{"action":"shout","message":"hi"}`, "invalid", ""},
			{"ErrMissingAction", annC, websocket.TextMessage, `{"message":"hi"}`, "invalid", ""},
			{"ErrBinary", annC, websocket.BinaryMessage, `{"action":"ping"}`, "invalid", ""},
			{"ErrTooLarge", annC, websocket.TextMessage, big, "too_large", ""},
			{"ErrEmptyMessage", annC, websocket.TextMessage, chat(`,"message":"   ","client_msg_id":"e2"`), "invalid", "e2"},
			{"ErrMessageTooLong", annC, websocket.TextMessage, chat(fmt.Sprintf(`,"message":%q,"client_msg_id":"e3"`, strings.Repeat("y", 40001))), "invalid", "e3"},
			{"ErrMissingChannel", annC, websocket.TextMessage, fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"message":"hi","client_msg_id":"e4"}`, ws.ID), "invalid", "e4"},
			{"ErrUnknownChannel", annC, websocket.TextMessage, fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":"Cnope","message":"hi","client_msg_id":"e5"}`, ws.ID), "not_found", "e5"},
			{"ErrPrivateNotMember", bobC, websocket.TextMessage, fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":%q,"message":"hi","client_msg_id":"e6"}`, ws.ID, secret.ID), "not_found", "e6"},
			{"ErrOtherWorkspace", bobC, websocket.TextMessage, fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":%q,"message":"hi","client_msg_id":"e7"}`, evesWS.ID, General(t, evesWS).ID), "not_found", "e7"},
			{"ErrNotChannelMember", carlC, websocket.TextMessage, chat(`,"message":"hi","client_msg_id":"e12"`), "forbidden", "e12"},
			{"ErrDMNoSharedWorkspace", annC, websocket.TextMessage, fmt.Sprintf(`{"action":"dmChat","receiver":%q,"message":"hi","client_msg_id":"e8"}`, eve.Email()), "not_found", "e8"},
			{"ErrDMUnknown", annC, websocket.TextMessage, `{"action":"dmChat","receiver":"nobody@example.com","message":"hi","client_msg_id":"e9"}`, "not_found", "e9"},
			{"ErrDMBadEmail", annC, websocket.TextMessage, `{"action":"dmChat","receiver":"nobody","message":"hi","client_msg_id":"e10"}`, "invalid", "e10"},
			{"ErrDMEmpty", annC, websocket.TextMessage, fmt.Sprintf(`{"action":"dm_chat","receiver":%q,"message":"","client_msg_id":"e11"}`, bob.Email()), "invalid", "e11"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := s.MustHistoryLen(t, ann, team)
				tt.c.SendRaw(t, tt.kind, []byte(tt.data))
				// Skip what others cause meanwhile: their messages, and
				// their presence as they connect and leave.
				f := tt.c.Next(t, "error frame", func(f Frame) bool {
					return f.Type != "message" && f.Type != "presence_change"
				})
				if f.Type != "error" {
					t.Fatalf("frame=%+v, want an error", f)
				} else if f.Code != tt.code || f.Message == "" {
					t.Fatalf("error code=%q message=%q, want code %q and a message", f.Code, f.Message, tt.code)
				} else if f.ClientMsgID != tt.clientMsgID {
					t.Fatalf("error client_msg_id=%q, want %q", f.ClientMsgID, tt.clientMsgID)
				}
				tt.c.Ping(t)
				if after := s.MustHistoryLen(t, ann, team); after != before {
					t.Fatalf("team holds %d messages after a refused frame, want %d", after, before)
				}
			})
		}

		// Both connections still work for sending.
		annC.Send(t, map[string]string{"action": "dmChat", "receiver": bob.Email(), "message": "still here", "client_msg_id": "ok-1"})
		annC.Next(t, "ack", IsAck("ok-1"))
		if err := annC.Err(); err != nil {
			t.Fatalf("ann's connection ended: %v", err)
		}
	})

	t.Run("ErrFrameOverLimit", func(t *testing.T) {
		// Past four times the frame limit the server does not read the
		// frame at all: it closes with 1009 (docs/decisions.md).
		c := s.MustConnect(t, ann)
		c.SendRaw(t, websocket.TextMessage, []byte(`{"action":"ping","pad":"`+strings.Repeat("x", 1<<20)+`"}`))
		WaitFor(t, "the connection to close", time.Now().Add(timeout), func() bool { return c.Err() != nil })
		var ce *websocket.CloseError
		if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
			t.Fatalf("read ended with %v, want close code 1009", err)
		}
	})

	t.Run("MembershipAtDelivery", func(t *testing.T) {
		bobC := s.MustConnect(t, bob)
		late := s.MustCreateChannel(t, ann, ws, "late", true)
		before := s.MustPost(t, ann, late, "before bob")

		// Added: bob's open connection gets the next message.
		s.MustJoin(t, ann, late, bob)
		added := s.MustPost(t, ann, late, "bob is in")
		bobC.Find(t, "message after joining", IsMessage(added.ID))

		// Removed: he gets nothing more. A later message in a channel he
		// is still in arrives, and nothing of late's before it.
		s.MustDo(t, Req{Method: "PATCH", Path: "/channel/out", Token: ann.AccessToken, Body: map[string]string{
			"workspace_id": ws.ID, "channel_id": late.ID, "user_email": bob.Email(),
		}}, http.StatusOK, nil)
		after := s.MustPost(t, ann, late, "bob is out")
		marker := s.MustPost(t, ann, team, "marker for bob")
		bobC.Find(t, "marker", IsMessage(marker.ID))
		for _, f := range bobC.Frames() {
			if f.MessageID == before.ID || f.MessageID == after.ID {
				t.Fatalf("bob got %q, want only what was sent while he was a member", f.Message)
			}
		}
	})

	t.Run("MembershipAtDeliveryWorkspace", func(t *testing.T) {
		dave := s.MustSignup(t, "dave")
		ws2 := s.MustCreateWorkspace(t, ann, "second")
		s.MustInvite(t, ann, ws, dave)
		s.MustInvite(t, ann, ws2, dave)
		daveC := s.MustConnect(t, dave)
		in := s.MustPost(t, ann, general, "dave is in")
		daveC.Find(t, "general message", IsMessage(in.ID))

		s.MustDo(t, Req{Method: "PATCH", Path: "/workspace/out", Token: ann.AccessToken, Body: map[string]string{
			"workspace_id": ws.ID, "user_email": dave.Email(),
		}}, http.StatusOK, nil)
		out := s.MustPost(t, ann, general, "dave is out")
		marker := s.MustPost(t, ann, General(t, ws2), "marker for dave")
		daveC.Find(t, "marker", IsMessage(marker.ID))
		for _, f := range daveC.Frames() {
			if f.MessageID == out.ID {
				t.Fatalf("dave got %q after leaving the workspace", f.Message)
			}
		}
	})
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann := s.MustSignup(t, "ann")
	c := s.MustConnect(t, ann)

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	WaitFor(t, "the connection to end", time.Now().Add(timeout), func() bool { return c.Err() != nil })
	var ce *websocket.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("read ended with %v, want a close frame with code 1001", err)
	}
	if !strings.Contains(s.Logs.String(), "msg=stopped") {
		t.Fatal("log has no stopped line")
	}
}

// TestWebSocketKeepalive runs the server with short ping timings: a client
// that answers pings stays connected for many ping periods, and one that
// never reads, so never answers, is dropped.
func TestWebSocketKeepalive(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t, func(m *Main) {
		m.WS.PingInterval = 20 * time.Millisecond
		m.WS.PongWait = 200 * time.Millisecond
	})
	annS, bob := s.MustSignup(t, "ann"), s.MustSignup(t, "bob")

	// Ann's reader answers pings, as gorilla's default handler does.
	// Counting them shows time passing without sleeping: 30 pings are
	// three times the pong wait. The handler is set before reading starts.
	conn, resp, err := s.DialWS(t, http.Header{"Authorization": {"Bearer " + annS.AccessToken}}, nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	var pings atomic.Int64
	conn.SetPingHandler(func(data string) error {
		pings.Add(1)
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(timeout))
	})
	ann := NewWSClient(t, conn)
	ann.Next(t, "hello", IsType("hello"))

	silent, resp, err := s.DialWS(t, http.Header{"Authorization": {"Bearer " + bob.AccessToken}}, nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	defer silent.Close()

	WaitFor(t, "the silent connection to be dropped", time.Now().Add(timeout), func() bool {
		v, _ := s.MetricValue(t, "parley_websocket_connections")
		return v == 1
	})
	WaitFor(t, "30 pings", time.Now().Add(timeout), func() bool { return pings.Load() >= 30 })
	ann.Ping(t)

	silent.SetReadDeadline(time.Now().Add(timeout))
	for {
		if _, _, err := silent.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("silent connection still open: %v", err)
			}
			break
		}
	}
}

// TestWebSocketStoreDown checks that a connection opened while the
// database fails is closed with 1011, which tells the client to try again,
// rather than dropped without a word.
func TestWebSocketStoreDown(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann := s.MustSignup(t, "ann")
	s.MustConnect(t, ann) // the token and user are now known without the store
	s.Store.Close()

	conn, _, err := s.DialWS(t, http.Header{"Authorization": {"Bearer " + ann.AccessToken}}, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(timeout))
	_, frame, err := conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseInternalServerErr {
		t.Fatalf("read: frame %q, err %v; want a close frame with code 1011", frame, err)
	}
}
