package main

import (
	"net/http"
	"testing"
	"time"
)

// presenceGrace is the offline grace of the presence tests: short, so that
// they wait little, and long enough that the server's noticing a close is
// not mistaken for it.
const presenceGrace = 200 * time.Millisecond

// presenceFixture is the cast of the presence tests. Ann is the admin of
// acme with bob, carl and frank; dave shares only side with bob; eve has a
// workspace of her own and shares none with the others.
type presenceFixture struct {
	*Server
	ann, bob, carl, dave, eve, frank *Session
	acme, side, evesWS               *Workspace
}

func newPresenceFixture(t *testing.T, configure ...func(*Main)) *presenceFixture {
	t.Helper()
	s := MustStartServer(t, configure...)
	f := &presenceFixture{Server: s}
	f.ann, f.bob, f.carl = s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl")
	f.dave, f.eve, f.frank = s.MustSignup(t, "dave"), s.MustSignup(t, "eve"), s.MustSignup(t, "frank")
	f.acme = s.MustCreateWorkspace(t, f.ann, "acme")
	s.MustInvite(t, f.ann, f.acme, f.bob, f.carl, f.frank)
	f.side = s.MustCreateWorkspace(t, f.dave, "side")
	s.MustInvite(t, f.dave, f.side, f.bob)
	f.evesWS = s.MustCreateWorkspace(t, f.eve, "eve's")
	return f
}

// mustPresence fails the test unless the workspace, as as sees it, shows
// each user in want with the given presence.
func (f *presenceFixture) mustPresence(t *testing.T, as *Session, ws *Workspace, want map[*Session]string) {
	t.Helper()
	got := f.MustGetWorkspace(t, as, ws.ID).Presence
	for who, state := range want {
		if got[who.Email()] != state {
			t.Fatalf("presence of %s in %s=%q, want %q (all: %v)", who.Email(), ws.Name, got[who.Email()], state, got)
		}
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	f := newPresenceFixture(t, func(m *Main) { m.PresenceGrace = presenceGrace })
	s, ann, bob, carl, dave, eve, frank := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve, f.frank
	acmeGeneral, sideGeneral, evesGeneral := General(t, f.acme), General(t, f.side), General(t, f.evesWS)

	annC, carlC, daveC, eveC := s.MustConnect(t, ann), s.MustConnect(t, carl), s.MustConnect(t, dave),
		s.MustConnect(t, eve)
	var bob1 *WSClient
	top := t

	t.Run("OKNobodyConnected", func(t *testing.T) {
		// Frank never connects; bob has not yet.
		f.mustPresence(t, ann, f.acme, map[*Session]string{
			ann: "online", carl: "online", bob: "offline", frank: "offline",
		})
		if got := f.MustGetWorkspace(t, ann, f.acme.ID).Presence; len(got) != 4 {
			t.Fatalf("presence=%v, want the 4 members of acme and nobody else", got)
		}
		f.mustPresence(t, dave, f.side, map[*Session]string{dave: "online", bob: "offline"})
	})

	t.Run("OKOnline", func(t *testing.T) {
		bob1 = s.MustConnectKept(t, top, bob)

		// Those who share acme or side with bob hear of it, bob's own
		// connection too.
		for name, c := range map[string]*WSClient{"ann": annC, "carl": carlC, "dave": daveC, "bob": bob1} {
			e := stateOf(c.Find(t, name+"'s presence_change of bob", IsPresence(bob, "online")))
			if e.User != bob.Email() || e.UserID != bob.User.ID {
				t.Fatalf("%s got %+v, want bob's email and ID", name, e)
			}
		}
		f.mustPresence(t, carl, f.acme, map[*Session]string{bob: "online", frank: "offline"})
		f.mustPresence(t, dave, f.side, map[*Session]string{bob: "online"})

		// Eve shares no workspace with bob: a later message of her own
		// arrives, and no presence of bob before it.
		s.MustSettle(t, eve, evesGeneral, eveC)
		eveC.MustNotHave(t, "eve", "presence of bob", IsAnyPresence(bob))
		// Eve is not in acme: she cannot see its presence at all.
		s.MustFail(t, Req{Method: "GET", Path: "/workspace/" + f.acme.ID, Token: eve.AccessToken},
			http.StatusNotFound, "not_found")
	})

	t.Run("OKSecondConnection", func(t *testing.T) {
		// A second connection announces nothing, and closing it while the
		// first stays open announces nothing either.
		bob2 := s.MustConnect(t, bob)
		bob2.CloseClean(t)
		s.MustSettle(t, ann, acmeGeneral, annC, carlC, bob1)
		s.MustSettle(t, dave, sideGeneral, daveC)
		for name, c := range map[string]*WSClient{"ann": annC, "carl": carlC, "dave": daveC} {
			if n := c.Count(IsPresence(bob, "online")); n != 1 {
				t.Fatalf("%s got %d online announcements of bob, want 1", name, n)
			}
			c.MustNotHave(t, name, "bob offline", IsPresence(bob, "offline"))
		}
		f.mustPresence(t, ann, f.acme, map[*Session]string{bob: "online"})
	})

	t.Run("OKOfflineAfterGrace", func(t *testing.T) {
		closed := time.Now()
		bob1.CloseClean(t)
		for name, c := range map[string]*WSClient{"ann": annC, "carl": carlC, "dave": daveC} {
			e := stateOf(c.Next(t, name+"'s offline of bob", IsPresence(bob, "offline")))
			if e.User != bob.Email() {
				t.Fatalf("%s got %+v, want bob's email", name, e)
			}
		}
		if elapsed := time.Since(closed); elapsed < presenceGrace {
			t.Fatalf("offline arrived %v after the close, want at least the grace %v", elapsed, presenceGrace)
		}
		f.mustPresence(t, ann, f.acme, map[*Session]string{bob: "offline", ann: "online"})
		f.mustPresence(t, dave, f.side, map[*Session]string{bob: "offline"})

		s.MustSettle(t, eve, evesGeneral, eveC)
		eveC.MustNotHave(t, "eve", "presence of bob", IsAnyPresence(bob))
		s.MustSettle(t, ann, acmeGeneral, annC)
		if n := annC.Count(IsPresence(bob, "offline")); n != 1 {
			t.Fatalf("ann got %d offline announcements of bob, want 1", n)
		}
	})

	t.Run("OKDroppedConnection", func(t *testing.T) {
		// Bob comes back, then his network goes: no close frame, only
		// the TCP connection ends. He is offline once the server notices.
		bob3 := s.MustConnect(t, bob)
		annC.Next(t, "bob online again", IsPresence(bob, "online"))
		closed := time.Now()
		bob3.Conn.UnderlyingConn().Close()
		annC.Next(t, "bob offline again", IsPresence(bob, "offline"))
		if elapsed := time.Since(closed); elapsed < presenceGrace {
			t.Fatalf("offline arrived %v after the drop, want at least the grace %v", elapsed, presenceGrace)
		}
		f.mustPresence(t, carl, f.acme, map[*Session]string{bob: "offline"})
	})

	t.Run("OKNoSharedWorkspaceAfterLeaving", func(t *testing.T) {
		// Carl leaves acme and shares no workspace with anybody now: bob
		// coming and going reaches him no more. His marker comes from a
		// workspace of his own.
		s.MustDo(t, leaveWorkspaceReq(carl, f.acme, carl), http.StatusOK, nil)
		solo := s.MustCreateWorkspace(t, carl, "solo")
		bob4 := s.MustConnect(t, bob)
		annC.Next(t, "bob online", IsPresence(bob, "online"))
		bob4.CloseClean(t)
		annC.Next(t, "bob offline", IsPresence(bob, "offline"))

		s.MustSettle(t, carl, General(t, solo), carlC)
		carlC.MustNotHaveAfter(t, "carl", func(fr Frame) bool {
			return fr.Type == "member_left_workspace" && stateOf(fr).UserID == carl.User.ID
		}, IsAnyPresence(bob))
	})
}

func TestPresenceReconnectWithinGrace(t *testing.T) {
	t.Parallel()
	// A longer grace, so that the reconnect surely falls inside it.
	const grace = time.Second
	f := newPresenceFixture(t, func(m *Main) { m.PresenceGrace = grace })
	s, ann, bob, carl := f.Server, f.ann, f.bob, f.carl

	annC := s.MustConnect(t, ann)
	bob1 := s.MustConnect(t, bob)
	annC.Next(t, "bob online", IsPresence(bob, "online"))

	// Bob reloads the page: his connection closes and another opens.
	// While in the grace, he still shows online.
	closed := time.Now()
	bob1.CloseClean(t)
	got := f.MustGetWorkspace(t, ann, f.acme.ID).Presence[bob.Email()]
	if time.Since(closed) < grace && got != "online" {
		t.Fatalf("presence of bob within the grace=%q, want online", got)
	}
	bob2 := s.MustConnect(t, bob)
	if took := time.Since(closed); took >= grace {
		t.Skipf("the reconnect took %v, longer than the grace %v; the test cannot tell", took, grace)
	}

	// Carl comes and goes after bob came back: his offline is announced a
	// grace after bob's would have been, so once ann has it, she would
	// have bob's too.
	carlC := s.MustConnect(t, carl)
	annC.Next(t, "carl online", IsPresence(carl, "online"))
	carlC.CloseClean(t)
	annC.Next(t, "carl offline", IsPresence(carl, "offline"))

	annC.MustNotHave(t, "ann", "bob offline", IsPresence(bob, "offline"))
	if n := annC.Count(IsPresence(bob, "online")); n != 1 {
		t.Fatalf("ann got %d online announcements of bob, want 1: the reconnect announces nothing", n)
	}
	f.mustPresence(t, ann, f.acme, map[*Session]string{bob: "online", carl: "offline"})

	// And when bob leaves for good, he goes offline as usual.
	bob2.CloseClean(t)
	annC.Next(t, "bob offline", IsPresence(bob, "offline"))
	f.mustPresence(t, ann, f.acme, map[*Session]string{bob: "offline"})
}

func TestPresenceSilentConnection(t *testing.T) {
	t.Parallel()
	// A client that stops answering pings, its TCP connection still open,
	// is dropped after the pong wait, and then goes offline.
	f := newPresenceFixture(t, func(m *Main) {
		m.PresenceGrace = presenceGrace
		m.WS.PingInterval = 50 * time.Millisecond
		m.WS.PongWait = 500 * time.Millisecond
	})
	s, ann, bob := f.Server, f.ann, f.bob
	annC := s.MustConnect(t, ann)

	// Nothing reads bob's connection, so nothing answers the pings. The
	// server's wait starts after opened.
	opened := time.Now()
	silent, resp, err := s.DialWS(t, http.Header{"Authorization": {"Bearer " + bob.AccessToken}}, nil)
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	defer silent.Close()
	annC.Next(t, "bob online", IsPresence(bob, "online"))
	annC.Next(t, "bob offline", IsPresence(bob, "offline"))
	if elapsed := time.Since(opened); elapsed < 500*time.Millisecond+presenceGrace {
		t.Fatalf("offline arrived %v after bob went silent, want at least the pong wait and the grace", elapsed)
	}
	f.mustPresence(t, ann, f.acme, map[*Session]string{bob: "offline", ann: "online"})
}

func TestPresenceReconnectAtGraceEnd(t *testing.T) {
	t.Parallel()
	// A reconnect that comes just as the grace ends must not leave bob
	// announced offline while he is connected. The graces are tiny, so
	// that the reconnect often falls on the end of one. Whatever the
	// timing, ann's events of bob alternate online, offline, online...:
	// two of a kind in a row mean one went out of order, or twice.
	for _, grace := range []time.Duration{100 * time.Microsecond, 300 * time.Microsecond, time.Millisecond, 3 * time.Millisecond} {
		t.Run(grace.String(), func(t *testing.T) {
			t.Parallel()
			f := newPresenceFixture(t, func(m *Main) { m.PresenceGrace = grace })
			s, ann, bob := f.Server, f.ann, f.bob
			annC := s.MustConnect(t, ann)

			for i := range 30 {
				b1 := s.MustConnect(t, bob)
				b1.Conn.UnderlyingConn().Close()
				b2 := s.MustConnect(t, bob)
				b2.CloseClean(t)

				// Bob is gone for good: wait until ann has as many
				// offline events of him as online ones.
				WaitFor(t, "bob offline", time.Now().Add(timeout), func() bool {
					return annC.Count(IsPresence(bob, "online")) == annC.Count(IsPresence(bob, "offline"))
				})
				var states []string
				for _, fr := range annC.Frames() {
					if IsAnyPresence(bob)(fr) {
						states = append(states, stateOf(fr).Presence)
					}
				}
				for j := 1; j < len(states); j++ {
					if states[j] == states[j-1] {
						t.Fatalf("round %d: ann got bob's presence %v, want online and offline in turn", i, states)
					}
				}
			}
		})
	}
}
