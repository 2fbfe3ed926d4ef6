package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Reactions and pins, and the events they push.

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

		tests := []refusal{
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
			tests = append(tests, refusal{name, reactReq(bob, m.ID, emoji(bad)), 400, "invalid"})
		}
		for _, b := range malformedBodies {
			tests = append(tests, refusal{b.name, reactReq(ann, m.ID, b.body), b.status, b.code})
		}
		s.MustRefuseAll(t, tests, func(t *testing.T) {
			want := []Reaction{{Name: "ok", Count: 1, Users: []string{bob.Email()}}}
			if got := s.MustMessage(t, ann, f.dev, m.ID); !slices.EqualFunc(got.Reactions, want, reactionEqual) {
				t.Fatalf("reactions=%+v after a refused request, want %+v", got.Reactions, want)
			}
		})
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

		tests := []refusal{
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
		s.MustRefuseAll(t, tests, func(t *testing.T) {
			if got := pinnedIDs(t, dave, f.dev); !slices.Equal(got, []string{m.ID}) {
				t.Fatalf("dev pins=%v after a refused request, want [%s]", got, m.ID)
			}
			if got := pinnedIDs(t, ann, f.priv); slices.Contains(got, inPriv.ID) {
				t.Fatalf("priv pins=%v, want %s not pinned", got, inPriv.ID)
			}
		})
	})
}
