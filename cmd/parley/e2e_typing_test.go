package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// typingInterval is the server's least time between two typing events of
// one user in one conversation.
const typingInterval = 3 * time.Second

func TestTyping(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	old := s.MustCreateChannel(t, ann, f.ws, "old", false)
	s.MustDo(t, settingsReq(ann, old, map[string]any{"archived": true}), http.StatusOK, nil)
	s.MustSendDM(t, ann, bob, text("hi bob"))

	// Typing is never stored: the conversations typed in hold as many
	// messages at the end as now. The markers go to the generals only.
	lens := func() []int {
		return []int{
			s.MustHistoryLen(t, ann, f.dev), s.MustHistoryLen(t, ann, f.priv),
			len(s.MustDMHistory(t, ann, bob, "limit=200").Messages),
		}
	}
	before := lens()

	ann1, ann2 := s.MustConnect(t, ann), s.MustConnect(t, ann)
	bobC, carlC, daveC, eveC := s.MustConnect(t, bob), s.MustConnect(t, carl), s.MustConnect(t, dave),
		s.MustConnect(t, eve)
	acme := []*WSClient{ann1, ann2, bobC, carlC, daveC}
	var first time.Time // when ann first typed in dev

	t.Run("OKChannel", func(t *testing.T) {
		first = time.Now()
		ann1.Send(t, typingFrame(f.dev))

		// The other members of dev hear of it.
		for name, c := range map[string]*WSClient{"bob": bobC, "dave": daveC} {
			e := stateOf(c.Find(t, name+"'s typing", IsTypingIn(ann, f.dev)))
			if e.User != ann.Email() || e.WorkspaceID != f.ws.ID || e.Receiver != "" {
				t.Fatalf("%s got %+v, want ann typing in dev of acme", name, e)
			}
		}

		// Not ann's own connections, not carl (in acme, not in dev), not
		// eve (outside acme).
		s.MustSettle(t, ann, f.general, acme...)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		for name, c := range map[string]*WSClient{"ann1": ann1, "ann2": ann2, "carl": carlC, "eve": eveC} {
			c.MustNotHave(t, name, "ann's typing", IsTypingBy(ann))
		}
	})

	t.Run("OKThrottled", func(t *testing.T) {
		// Typing again in dev, on either of ann's connections, is dropped
		// within the interval. Typing in priv is another conversation,
		// and a marker: the frames of one connection are handled in
		// order, so once bob has it, he would have had the others.
		ann1.Send(t, typingFrame(f.dev))
		ann2.Send(t, typingFrame(f.dev))
		ann2.Ping(t)
		ann1.Send(t, typingFrame(f.priv))
		bobC.Find(t, "ann typing in priv", IsTypingIn(ann, f.priv))
		s.MustSettle(t, ann, f.general, daveC)
		if time.Since(first) >= typingInterval {
			t.Skipf("%v passed since the first typing; the throttle may have let another through", time.Since(first))
		}
		for name, c := range map[string]*WSClient{"bob": bobC, "dave": daveC} {
			if n := c.Count(IsTypingIn(ann, f.dev)); n != 1 {
				t.Fatalf("%s got %d typing events of ann in dev, want 1 within %v", name, n, typingInterval)
			}
		}
		daveC.MustNotHave(t, "dave", "typing in priv, where he is not", IsTypingIn(ann, f.priv))

		// The throttle is per user: bob typing in dev is heard at once.
		bobC.Send(t, typingFrame(f.dev))
		for name, c := range map[string]*WSClient{"ann1": ann1, "ann2": ann2, "dave": daveC} {
			c.Find(t, name+"'s typing of bob", IsTypingIn(bob, f.dev))
		}
	})

	t.Run("OKDirect", func(t *testing.T) {
		ann1.Send(t, typingDMFrame(bob))
		e := stateOf(bobC.Find(t, "ann typing to bob", IsTypingTo(ann, bob)))
		if e.User != ann.Email() || e.WorkspaceID != "" {
			t.Fatalf("bob got %+v, want ann typing to him, in no workspace", e)
		}
		bobC.Send(t, typingDMFrame(ann))
		for name, c := range map[string]*WSClient{"ann1": ann1, "ann2": ann2} {
			c.Find(t, name+"'s typing of bob to ann", IsTypingTo(bob, ann))
		}

		s.MustSettle(t, ann, f.general, acme...)
		for name, c := range map[string]*WSClient{"ann1": ann1, "ann2": ann2, "carl": carlC, "dave": daveC} {
			c.MustNotHave(t, name, "ann's typing to bob", IsTypingTo(ann, bob))
		}
		for name, c := range map[string]*WSClient{"bob": bobC, "carl": carlC, "dave": daveC} {
			c.MustNotHave(t, name, "bob's typing to ann", IsTypingTo(bob, ann))
		}
	})

	t.Run("Errors", func(t *testing.T) {
		typing := func(fields string) []byte { return []byte(`{"action":"typing"` + fields + `}`) }
		in := func(ch *Channel) string {
			return fmt.Sprintf(`,"workspace_id":%q,"channel_id":%q`, ch.WorkspaceID, ch.ID)
		}
		tests := []struct {
			name string
			c    *WSClient
			data []byte
			code string
		}{
			{"ErrNotChannelMember", carlC, typing(in(f.dev)), "forbidden"},
			{"ErrPrivateNotMember", carlC, typing(in(f.priv)), "not_found"},
			{"ErrOtherWorkspace", bobC, typing(in(f.evesGeneral)), "not_found"},
			{"ErrArchived", ann1, typing(in(old)), "conflict"},
			{"ErrUnknownChannel", ann1, typing(fmt.Sprintf(`,"workspace_id":%q,"channel_id":"Cnope"`, f.ws.ID)), "not_found"},
			{"ErrMissingChannel", ann1, typing(fmt.Sprintf(`,"workspace_id":%q`, f.ws.ID)), "invalid"},
			{"ErrMissingWorkspace", ann1, typing(fmt.Sprintf(`,"channel_id":%q`, f.dev.ID)), "invalid"},
			{"ErrNothing", ann1, typing(""), "invalid"},
			{"ErrChannelAndReceiver", ann1, typing(in(f.dev) + fmt.Sprintf(`,"receiver":%q`, bob.Email())), "invalid"},
			{"ErrChannelIDType", ann1, typing(`,"channel_id":5`), "invalid"},
			{"ErrDMUnknown", ann1, typing(`,"receiver":"nobody@example.com"`), "not_found"},
			{"ErrDMBadEmail", ann1, typing(`,"receiver":"nobody"`), "invalid"},
			{"ErrDMNoSharedWorkspace", ann1, typing(fmt.Sprintf(`,"receiver":%q`, eve.Email())), "not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.c.SendRaw(t, websocket.TextMessage, tt.data)
				fr := tt.c.Next(t, "error frame", IsType("error"))
				if fr.Code != tt.code || fr.Message == "" {
					t.Fatalf("error code=%q message=%q, want code %q and a message", fr.Code, fr.Message, tt.code)
				}
				// The connection stays, and the error was the answer to
				// this frame: the pong comes after it.
				tt.c.Ping(t)
			})
		}

		// Nobody heard of the refused typing.
		s.MustSettle(t, ann, f.general, acme...)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		for name, c := range map[string]*WSClient{"ann1": ann1, "bob": bobC, "dave": daveC} {
			c.MustNotHave(t, name, "carl's typing", IsTypingBy(carl))
		}
		eveC.MustNotHave(t, "eve", "typing", IsType("typing"))
		bobC.MustNotHave(t, "bob", "typing in old", IsTypingIn(ann, old))
	})

	t.Run("OKNothingStored", func(t *testing.T) {
		if after := lens(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("dev, priv and ann-bob hold %v messages, want %v as before", after, before)
		}
	})
}

func TestTypingThrottleExpires(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob := s.MustSignup(t, "ann"), s.MustSignup(t, "bob")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob)
	general := General(t, ws)
	annC, bobC := s.MustConnect(t, ann), s.MustConnect(t, bob)

	first := time.Now()
	annC.Send(t, typingFrame(general))
	bobC.Find(t, "the first typing", IsTypingIn(ann, general))

	// Ann keeps typing; bob hears of it again once the interval has
	// passed, and not before.
	WaitFor(t, "a second typing event", time.Now().Add(timeout), func() bool {
		if bobC.Count(IsTypingIn(ann, general)) >= 2 {
			return true
		}
		annC.Send(t, typingFrame(general))
		annC.Ping(t)
		return false
	})
	if elapsed := time.Since(first); elapsed < typingInterval {
		t.Fatalf("second typing event %v after the first, want at least %v", elapsed, typingInterval)
	}
}
