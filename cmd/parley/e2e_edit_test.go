package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Edits and deletes: who may change or take back a message, what a
// tombstone keeps, and what each change pushes.

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

		tests := []refusal{
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
			tests = append(tests, refusal{b.name, editReq(ann, m.ID, b.body), b.status, b.code})
		}
		s.MustRefuseAll(t, tests, func(t *testing.T) {
			if got := s.MustMessage(t, ann, f.dev, m.ID); got.Text != "as it was" || got.EditedAt != "" {
				t.Fatalf("message=%q editedAt=%q after a refused edit, want it unchanged", got.Text, got.EditedAt)
			}
			if got := s.MustMessage(t, ann, f.dev, deleted.ID); got.Text != "" || !got.Deleted {
				t.Fatalf("tombstone=%+v after a refused edit, want it unchanged", got)
			}
		})
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

		tests := []refusal{
			{"ErrMemberNotSender", deleteReq(bob, m.ID), 403, "forbidden"},
			{"ErrCreatorNotAdmin", deleteReq(bob, davesInBobs.ID), 403, "forbidden"},
			{"ErrPublicNotMember", deleteReq(carl, m.ID), 403, "forbidden"},
			{"ErrPrivateNotMember", deleteReq(carl, inPriv.ID), 404, "not_found"},
			{"ErrOutsider", deleteReq(eve, m.ID), 404, "not_found"},
			{"ErrUnknown", deleteReq(ann, "Mnope"), 404, "not_found"},
			{"ErrNoToken", Req{Method: "DELETE", Path: "/message/" + m.ID}, 401, "unauthorized"},
		}
		s.MustRefuseAll(t, tests, func(t *testing.T) {
			if got := s.MustMessage(t, ann, f.dev, m.ID); got.Deleted || got.Text != "ann's" {
				t.Fatalf("message=%+v after a refused delete, want it unchanged", got)
			}
			if got := s.MustMessage(t, dave, bobs, davesInBobs.ID); got.Deleted {
				t.Fatalf("dave's message deleted by a refused delete")
			}
		})
	})
}
