package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Unread is one entry of GET /unreads, and the answer of POST /read.
type Unread struct {
	WorkspaceID  string `json:"workspace_id"`
	ChannelID    string `json:"channel_id"`
	Receiver     string `json:"receiver"`
	UnreadCount  int    `json:"unread_count"`
	MentionCount int    `json:"mention_count"`
	LastReadSeq  int64  `json:"last_read_seq"`
	LatestSeq    int64  `json:"latest_seq"`
}

// counts are the numbers of an unread entry, in the order unread_count,
// mention_count, last_read_seq, latest_seq.
type counts struct {
	unread, mentions int
	lastRead, latest int64
}

func (u Unread) counts() counts {
	return counts{u.UnreadCount, u.MentionCount, u.LastReadSeq, u.LatestSeq}
}

func (c counts) String() string {
	return fmt.Sprintf("{unread %d, mentions %d, last_read %d, latest %d}", c.unread, c.mentions, c.lastRead, c.latest)
}

// key names an entry: its channel ID, or "dm:" and the receiver's email.
func (u Unread) key() string {
	if u.ChannelID != "" {
		return u.ChannelID
	}
	return "dm:" + u.Receiver
}

// dmKey is the key of the direct conversation with a user.
func dmKey(with *Session) string { return "dm:" + with.Email() }

// readReq moves a read marker as as.
func readReq(as *Session, body any) Req {
	return Req{Method: "POST", Path: "/read", Token: as.AccessToken, Body: body}
}

// readChannel and readDM are bodies of POST /read.
func readChannel(ch *Channel, seq int64) map[string]any {
	return map[string]any{"workspace_id": ch.WorkspaceID, "channel_id": ch.ID, "seq": seq}
}

func readDM(with *Session, seq int64) map[string]any {
	return map[string]any{"receiver": with.Email(), "seq": seq}
}

// MustUnreads returns the unreads of as by key. It fails the test unless
// the answer is {"unreads": [...]}, each entry names a channel in its
// workspace or a receiver, never both, and no conversation comes twice.
func (s *Server) MustUnreads(tb testing.TB, as *Session) map[string]Unread {
	tb.Helper()
	var body struct {
		Unreads []Unread `json:"unreads"`
	}
	resp := s.MustDo(tb, Req{Method: "GET", Path: "/unreads", Token: as.AccessToken}, http.StatusOK, &body)
	if body.Unreads == nil {
		tb.Fatalf("GET /unreads=%s, want a list under unreads", resp.Body)
	}
	out := map[string]Unread{}
	for _, u := range body.Unreads {
		if (u.ChannelID == "") == (u.Receiver == "") || (u.ChannelID != "") != (u.WorkspaceID != "") {
			tb.Fatalf("entry %+v, want a channel_id with its workspace_id, or a receiver; body %s", u, resp.Body)
		} else if _, dup := out[u.key()]; dup {
			tb.Fatalf("entry %s comes twice in %s", u.key(), resp.Body)
		}
		out[u.key()] = u
	}
	return out
}

// MustMarkRead moves a read marker as as and returns the answer.
func (s *Server) MustMarkRead(tb testing.TB, as *Session, body any) Unread {
	tb.Helper()
	var u Unread
	s.MustDo(tb, readReq(as, body), http.StatusOK, &u)
	return u
}

// mustUnread fails the test unless as's entry for key has the counts want.
func (s *Server) mustUnread(tb testing.TB, as *Session, key string, want counts) {
	tb.Helper()
	got, ok := s.MustUnreads(tb, as)[key]
	if !ok {
		tb.Fatalf("%s has no unread entry %s, want %v", as.Email(), key, want)
	} else if got.counts() != want {
		tb.Fatalf("%s's entry %s=%v, want %v", as.Email(), key, got.counts(), want)
	}
}

// mustKeys fails the test unless as's unreads have exactly the given keys.
func (s *Server) mustKeys(tb testing.TB, as *Session, want ...string) {
	tb.Helper()
	got := slices.Sorted(maps.Keys(s.MustUnreads(tb, as)))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		tb.Fatalf("%s's unreads are of %v, want %v", as.Email(), got, want)
	}
}

// IsReadMarkerAt matches a read_marker frame of a conversation at a seq.
func IsReadMarkerAt(conversation string, lastRead int64) func(Frame) bool {
	return func(f Frame) bool { return IsReadMarker(conversation)(f) && stateOf(f).LastReadSeq == lastRead }
}

func TestUnreads(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	dev, priv := f.dev, f.priv
	var m [14]*FullMessage // m[i] is the message of seq i in dev

	t.Run("OKNothingYet", func(t *testing.T) {
		s.mustKeys(t, bob, f.general.ID, dev.ID, priv.ID)
		s.mustKeys(t, carl, f.general.ID)
		s.mustKeys(t, eve, f.evesGeneral.ID)
		for _, key := range []string{f.general.ID, dev.ID, priv.ID} {
			s.mustUnread(t, bob, key, counts{0, 0, 0, 0})
		}
		if u := s.MustUnreads(t, bob)[dev.ID]; u.WorkspaceID != f.ws.ID || u.Receiver != "" {
			t.Fatalf("entry=%+v, want dev in acme, without receiver", u)
		}

		// Every count is there, zero or not.
		var raw struct {
			Unreads []map[string]json.RawMessage `json:"unreads"`
		}
		s.MustDo(t, Req{Method: "GET", Path: "/unreads", Token: carl.AccessToken}, http.StatusOK, &raw)
		for _, key := range []string{"unread_count", "mention_count", "last_read_seq", "latest_seq"} {
			if string(raw.Unreads[0][key]) != "0" {
				t.Fatalf("%s=%s, want 0", key, raw.Unreads[0][key])
			}
		}
	})

	t.Run("OKOthersSends", func(t *testing.T) {
		for i := 1; i <= 3; i++ {
			m[i] = s.MustSend(t, ann, dev, text(fmt.Sprintf("m%d", i)))
		}
		s.mustUnread(t, bob, dev.ID, counts{3, 0, 0, 3})
		s.mustUnread(t, dave, dev.ID, counts{3, 0, 0, 3})
		s.mustUnread(t, ann, dev.ID, counts{0, 0, 0, 3})
		s.mustUnread(t, bob, priv.ID, counts{0, 0, 0, 0})
	})

	t.Run("OKOwnSends", func(t *testing.T) {
		// A user's own messages are never unread to them.
		m[4] = s.MustSend(t, bob, dev, text("m4 from bob"))
		s.mustUnread(t, bob, dev.ID, counts{3, 0, 0, 4})
		s.mustUnread(t, ann, dev.ID, counts{1, 0, 0, 4})
		s.mustUnread(t, dave, dev.ID, counts{4, 0, 0, 4})
	})

	t.Run("OKMentions", func(t *testing.T) {
		m[5] = s.MustSend(t, ann, dev, text("m5 <@"+bob.User.ID+">"))
		s.mustUnread(t, bob, dev.ID, counts{4, 1, 0, 5})
		s.mustUnread(t, dave, dev.ID, counts{5, 0, 0, 5})

		// <!channel> mentions everyone but its sender.
		m[6] = s.MustSend(t, ann, dev, text("m6 <!channel>"))
		s.mustUnread(t, bob, dev.ID, counts{5, 2, 0, 6})
		s.mustUnread(t, dave, dev.ID, counts{6, 1, 0, 6})
		s.mustUnread(t, ann, dev.ID, counts{1, 0, 0, 6})
	})

	t.Run("OKThreadReplies", func(t *testing.T) {
		// A reply counts only if it was also sent to the channel; one
		// kept in its thread does not, even if it mentions.
		m[7] = s.MustSend(t, ann, dev, reply("r7", m[1].ID, false))
		s.mustUnread(t, bob, dev.ID, counts{5, 2, 0, 7})
		m[8] = s.MustSend(t, ann, dev, reply("r8", m[1].ID, true))
		s.mustUnread(t, bob, dev.ID, counts{6, 2, 0, 8})
		m[9] = s.MustSend(t, ann, dev, reply("r9 <@"+bob.User.ID+">", m[1].ID, false))
		s.mustUnread(t, bob, dev.ID, counts{6, 2, 0, 9})
		m[10] = s.MustSend(t, bob, dev, reply("r10", m[1].ID, false))
		s.mustUnread(t, ann, dev.ID, counts{1, 0, 0, 10})
		s.mustUnread(t, dave, dev.ID, counts{7, 1, 0, 10})
	})

	t.Run("OKDeletes", func(t *testing.T) {
		// A deleted message stops counting, its mentions with it; latest
		// stays.
		s.MustDo(t, deleteReq(ann, m[2].ID), http.StatusOK, nil)
		s.mustUnread(t, bob, dev.ID, counts{5, 2, 0, 10})
		s.MustDo(t, deleteReq(ann, m[5].ID), http.StatusOK, nil)
		s.mustUnread(t, bob, dev.ID, counts{4, 1, 0, 10})
		s.MustDo(t, deleteReq(bob, m[4].ID), http.StatusOK, nil)
		s.mustUnread(t, ann, dev.ID, counts{0, 0, 0, 10})
		s.mustUnread(t, dave, dev.ID, counts{4, 1, 0, 10})
		s.mustUnread(t, bob, dev.ID, counts{4, 1, 0, 10})
	})

	t.Run("OKEdits", func(t *testing.T) {
		// Mentions are read anew on an edit, and the count follows.
		s.MustDo(t, editReq(ann, m[3].ID, text("m3 <@"+bob.User.ID+">")), http.StatusOK, nil)
		s.mustUnread(t, bob, dev.ID, counts{4, 2, 0, 10})
		s.MustDo(t, editReq(ann, m[3].ID, text("m3")), http.StatusOK, nil)
		s.mustUnread(t, bob, dev.ID, counts{4, 1, 0, 10})
	})

	// Bob has two connections; ann and dave one each.
	top := t
	bob1, bob2 := s.MustConnectKept(t, top, bob), s.MustConnectKept(t, top, bob)
	annC, daveC := s.MustConnectKept(t, top, ann), s.MustConnectKept(t, top, dave)

	t.Run("OKMarkRead", func(t *testing.T) {
		// Of what follows seq 6, only r8 counts.
		want := counts{1, 0, 6, 10}
		got := s.MustMarkRead(t, bob, readChannel(dev, 6))
		if got.counts() != want || got.ChannelID != dev.ID || got.WorkspaceID != f.ws.ID || got.Receiver != "" {
			t.Fatalf("POST /read=%+v, want %v for dev", got, want)
		}
		s.mustUnread(t, bob, dev.ID, want)
		s.mustUnread(t, dave, dev.ID, counts{4, 1, 0, 10})

		// Both of bob's connections hear of it, and nobody else.
		for name, c := range map[string]*WSClient{"bob1": bob1, "bob2": bob2} {
			e := stateOf(c.Find(t, name+"'s read_marker", IsReadMarker(dev.ID)))
			if e.LastReadSeq != 6 || e.UnreadCount != 1 || e.MentionCount != 0 || e.LatestSeq != 10 ||
				e.WorkspaceID != f.ws.ID {
				t.Fatalf("%s got %+v, want the marker at 6 with the counts %v", name, e, want)
			}
		}
		s.MustSettle(t, ann, f.general, bob1, bob2, annC, daveC)
		annC.MustNotHave(t, "ann", "bob's read marker", IsType("read_marker"))
		daveC.MustNotHave(t, "dave", "bob's read marker", IsType("read_marker"))
	})

	t.Run("OKNeverBack", func(t *testing.T) {
		// A lower seq, or the same, leaves the marker, and tells nobody.
		for _, seq := range []int64{3, 0, 6} {
			if got := s.MustMarkRead(t, bob, readChannel(dev, seq)); got.counts() != (counts{1, 0, 6, 10}) {
				t.Fatalf("POST /read at %d=%v, want the marker left at 6", seq, got.counts())
			}
		}
		s.mustUnread(t, bob, dev.ID, counts{1, 0, 6, 10})

		// The next move forward is the marker: bob's connections have it,
		// and no other read_marker since the first.
		if got := s.MustMarkRead(t, bob, readChannel(dev, 8)); got.counts() != (counts{0, 0, 8, 10}) {
			t.Fatalf("POST /read at 8=%v, want %v", got.counts(), counts{0, 0, 8, 10})
		}
		for name, c := range map[string]*WSClient{"bob1": bob1, "bob2": bob2} {
			c.Find(t, name+"'s read_marker at 8", IsReadMarkerAt(dev.ID, 8))
			if n := c.Count(IsReadMarker(dev.ID)); n != 2 {
				t.Fatalf("%s got %d read_marker frames, want 2: at 6 and at 8", name, n)
			}
		}
	})

	t.Run("OKPastNewest", func(t *testing.T) {
		// A seq past the newest counts as the newest.
		if got := s.MustMarkRead(t, bob, readChannel(dev, 1000)); got.counts() != (counts{0, 0, 10, 10}) {
			t.Fatalf("POST /read at 1000=%v, want the marker at the newest, 10", got.counts())
		}
		bob1.Find(t, "read_marker at 10", IsReadMarkerAt(dev.ID, 10))
		m[11] = s.MustSend(t, ann, dev, text("m11"))
		s.mustUnread(t, bob, dev.ID, counts{1, 0, 10, 11})

		// In a channel without messages, the marker stays at zero, and
		// the first message is unread.
		if got := s.MustMarkRead(t, bob, readChannel(priv, 5)); got.counts() != (counts{0, 0, 0, 0}) {
			t.Fatalf("POST /read in empty priv=%v, want all zero", got.counts())
		}
		s.MustSend(t, ann, priv, text("first in priv"))
		s.mustUnread(t, bob, priv.ID, counts{1, 0, 0, 1})
	})

	t.Run("OKConcurrent", func(t *testing.T) {
		// Bob's devices move his marker in priv all at once: it ends at
		// the highest, and no answer is below the seq it was given.
		for i := 2; i <= 20; i++ {
			s.MustSend(t, ann, priv, text(fmt.Sprintf("p%d", i)))
		}
		answers := make([][]byte, 20)
		statuses := concurrently(t, 20, func(i int) (int, []byte, error) {
			body := fmt.Sprintf(`{"workspace_id":%q,"channel_id":%q,"seq":%d}`, f.ws.ID, priv.ID, i+1)
			status, data, err := doRaw(s.URL, "POST", "/read", bob.AccessToken, body)
			answers[i] = data
			return status, data, err
		})
		for i, status := range statuses {
			var u Unread
			if status != http.StatusOK || json.Unmarshal(answers[i], &u) != nil {
				t.Fatalf("POST /read at %d: status=%d, body %s, want 200", i+1, status, answers[i])
			} else if u.LastReadSeq < int64(i+1) || u.LatestSeq != 20 {
				t.Fatalf("POST /read at %d=%v, want the marker at %d or past it, latest 20", i+1, u.counts(), i+1)
			}
		}
		s.mustUnread(t, bob, priv.ID, counts{0, 0, 20, 20})
		bob1.Find(t, "read_marker at 20", IsReadMarkerAt(priv.ID, 20))
	})

	t.Run("OKConcurrentEvents", func(t *testing.T) {
		// Each read_marker tells of a move: the markers they carry rise,
		// never repeat, and never go back.
		s.MustSettle(t, ann, f.general, bob1)
		var seqs []int64
		for _, fr := range bob1.Frames() {
			if IsReadMarker(priv.ID)(fr) {
				seqs = append(seqs, stateOf(fr).LastReadSeq)
			}
		}
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("read_marker frames of priv carry %v, want each above the one before", seqs)
			}
		}
	})

	t.Run("OKDirect", func(t *testing.T) {
		d1 := s.MustSendDM(t, ann, bob, text("d1"))
		s.MustSendDM(t, ann, bob, text("d2"))
		s.MustSendDM(t, bob, ann, text("d3"))
		d4 := s.MustSendDM(t, ann, bob, text("d4 <@"+bob.User.ID+">"))

		// Each party has an entry named by the other.
		s.mustUnread(t, bob, dmKey(ann), counts{3, 1, 0, 4})
		s.mustUnread(t, ann, dmKey(bob), counts{1, 0, 0, 4})
		s.mustKeys(t, carl, f.general.ID)

		// Bob reads up to d2: only d4 is left, his own d3 never counted.
		got := s.MustMarkRead(t, bob, readDM(ann, 2))
		if got.counts() != (counts{1, 1, 2, 4}) || got.Receiver != ann.Email() || got.ChannelID != "" {
			t.Fatalf("POST /read=%+v, want %v for the conversation with ann", got, counts{1, 1, 2, 4})
		}
		e := stateOf(bob2.Find(t, "read_marker of the DM", IsReadMarker(ann.Email())))
		if e.LastReadSeq != 2 || e.ChannelID != "" || e.WorkspaceID != "" {
			t.Fatalf("bob2 got %+v, want the marker at 2 with ann", e)
		}
		s.mustUnread(t, ann, dmKey(bob), counts{1, 0, 0, 4})

		// A thread reply kept in its thread does not count; a delete
		// stops the mention counting.
		s.MustSendDM(t, ann, bob, reply("d5", d1.ID, false))
		s.mustUnread(t, bob, dmKey(ann), counts{1, 1, 2, 5})
		s.MustDo(t, deleteReq(ann, d4.ID), http.StatusOK, nil)
		s.mustUnread(t, bob, dmKey(ann), counts{0, 0, 2, 5})

		// Ann reads everything; bob's side is his own.
		if got := s.MustMarkRead(t, ann, readDM(bob, 5)); got.counts() != (counts{0, 0, 5, 5}) {
			t.Fatalf("ann's POST /read=%v, want %v", got.counts(), counts{0, 0, 5, 5})
		}
		annC.Find(t, "ann's read_marker", IsReadMarkerAt(bob.Email(), 5))
		s.mustUnread(t, bob, dmKey(ann), counts{0, 0, 2, 5})
		s.MustSettle(t, ann, f.general, bob1, daveC)
		if n := bob1.Count(IsReadMarker(bob.Email())); n != 0 {
			t.Fatalf("bob got %d of ann's read markers, want none", n)
		}
		daveC.MustNotHave(t, "dave", "a read marker", IsType("read_marker"))

		// Notes to self have an entry named by the user, never unread.
		s.MustSendDM(t, dave, dave, text("note"))
		s.mustUnread(t, dave, dmKey(dave), counts{0, 0, 0, 1})
	})

	t.Run("Refused", func(t *testing.T) {
		bobBefore, carlBefore := s.MustUnreads(t, bob), s.MustUnreads(t, carl)
		markersBefore := bob1.Count(IsType("read_marker"))
		// with adds fields given as key and value pairs to a body.
		with := func(body map[string]any, kv ...any) map[string]any {
			for i := 0; i < len(kv); i += 2 {
				body[kv[i].(string)] = kv[i+1]
			}
			return body
		}
		// inDev is a move in dev to seq, with fields on top; noDev a move
		// to 5 with only the fields given.
		inDev := func(seq any, kv ...any) map[string]any {
			return with(map[string]any{"workspace_id": f.ws.ID, "channel_id": dev.ID, "seq": seq}, kv...)
		}
		noDev := func(kv ...any) map[string]any { return with(map[string]any{"seq": 5}, kv...) }
		s.MustRefuseAll(t, []refusal{
			{"ErrMissingSeq", readReq(bob, with(map[string]any{}, "workspace_id", f.ws.ID, "channel_id", dev.ID)), 400, "invalid"},
			{"ErrNullSeq", readReq(bob, inDev(nil)), 400, "invalid"},
			{"ErrNegativeSeq", readReq(bob, inDev(-1)), 400, "invalid"},
			{"ErrSeqString", readReq(bob, inDev("11")), 400, "invalid"},
			{"ErrSeqFraction", readReq(bob, inDev(10.5)), 400, "invalid"},
			{"ErrChannelAndReceiver", readReq(bob, inDev(11, "receiver", ann.Email())), 400, "invalid"},
			{"ErrNeither", readReq(bob, noDev()), 400, "invalid"},
			{"ErrMissingWorkspace", readReq(bob, noDev("channel_id", dev.ID)), 400, "invalid"},
			{"ErrNotJSON", readReq(bob, "seq=5"), 400, "invalid"},
			{"ErrNoBody", Req{Method: "POST", Path: "/read", Token: bob.AccessToken}, 400, "invalid"},
			{"ErrNotMember", readReq(carl, readChannel(dev, 5)), 403, "forbidden"},
			{"ErrInvisible", readReq(carl, readChannel(priv, 5)), 404, "not_found"},
			{"ErrOtherWorkspace", readReq(bob, readChannel(f.evesGeneral, 5)), 404, "not_found"},
			{"ErrUnknownChannel", readReq(bob, inDev(5, "channel_id", "Cnope")), 404, "not_found"},
			{"ErrUnknownReceiver", readReq(bob, noDev("receiver", "nobody@example.com")), 404, "not_found"},
			{"ErrBadReceiver", readReq(bob, noDev("receiver", "nobody")), 400, "invalid"},
			{"ErrUnauthenticated", Req{Method: "POST", Path: "/read", Body: readChannel(dev, 5)}, 401, "unauthorized"},
		}, func(t *testing.T) {
			if got := s.MustUnreads(t, bob); !maps.Equal(got, bobBefore) {
				t.Fatalf("bob's unreads=%v, want them unchanged: %v", got, bobBefore)
			} else if got := s.MustUnreads(t, carl); !maps.Equal(got, carlBefore) {
				t.Fatalf("carl's unreads=%v, want them unchanged: %v", got, carlBefore)
			}
		})

		s.MustSettle(t, ann, f.general, bob1)
		if n := bob1.Count(IsType("read_marker")); n != markersBefore {
			t.Fatalf("bob got %d read_marker frames, want %d as before the refused requests", n, markersBefore)
		}
	})

	t.Run("ErrReceiverNoSharedWorkspace", func(t *testing.T) {
		// Eve shares no workspace with bob, and they never wrote to each
		// other: as for sending her a direct message or typing to her, she
		// is not found, so that the answer does not tell that she has an
		// account where nobody@example.com has none.
		s.MustFail(t, readReq(bob, readDM(eve, 0)), 404, "not_found")
		if _, ok := s.MustUnreads(t, bob)[dmKey(eve)]; ok {
			t.Fatal("bob has an entry with eve, want none")
		}
	})

	t.Run("OKLeaveAndRejoin", func(t *testing.T) {
		// While out of dev, bob has no entry for it, and may not move its
		// marker.
		s.MustDo(t, leaveChannelReq(bob, dev, bob), http.StatusOK, nil)
		s.mustKeys(t, bob, f.general.ID, priv.ID, dmKey(ann))
		s.MustFail(t, readReq(bob, readChannel(dev, 13)), 403, "forbidden")
		m[12] = s.MustSend(t, ann, dev, text("m12 while bob is out"))
		m[13] = s.MustSend(t, ann, dev, text("m13 <@"+bob.User.ID+"> while bob is out"))

		// Back in, he finds his marker where he left it (markers are
		// kept across a leave; only deleting the channel drops them):
		// m11, unread before he left, and what came while he was out are
		// unread. The mention of a non-member mentions nobody.
		s.MustJoin(t, bob, dev, bob)
		s.mustUnread(t, bob, dev.ID, counts{3, 0, 10, 13})
		if got := s.MustMarkRead(t, bob, readChannel(dev, 12)); got.counts() != (counts{1, 0, 12, 13}) {
			t.Fatalf("POST /read at 12=%v, want %v", got.counts(), counts{1, 0, 12, 13})
		}
	})

	t.Run("OKLeaveWorkspace", func(t *testing.T) {
		// Carl, out of acme, has no channel entries. A direct conversation
		// stays his, though he shares no workspace with dave any more:
		// it is listed, and he may mark it read.
		s.MustSendDM(t, dave, carl, text("before you go"))
		s.MustDo(t, leaveWorkspaceReq(carl, f.ws, carl), http.StatusOK, nil)
		s.mustKeys(t, carl, dmKey(dave))
		s.mustUnread(t, carl, dmKey(dave), counts{1, 0, 0, 1})
		if got := s.MustMarkRead(t, carl, readDM(dave, 1)); got.counts() != (counts{0, 0, 1, 1}) {
			t.Fatalf("carl's POST /read=%v, want %v", got.counts(), counts{0, 0, 1, 1})
		}

		// A user in nothing has an empty list.
		gus := s.MustSignup(t, "gus")
		resp := s.MustDo(t, Req{Method: "GET", Path: "/unreads", Token: gus.AccessToken}, http.StatusOK, nil)
		if got := strings.TrimSpace(string(resp.Body)); got != `{"unreads":[]}` {
			t.Fatalf("GET /unreads=%s, want an empty list", got)
		}
	})

	t.Run("OKRestart", func(t *testing.T) {
		// The counts are worked out from the messages and the stored
		// markers: a restart on the same database changes none of them.
		users := []*Session{ann, bob, carl, dave, eve}
		before := map[string]map[string]Unread{}
		for _, u := range users {
			before[u.Email()] = s.MustUnreads(t, u)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db := s.Config.DB
		s2 := MustStartServer(t, func(m *Main) { m.Config.DB = db })
		for _, u := range users {
			s2.Secret(u.AccessToken)
			if got := s2.MustUnreads(t, u); !maps.Equal(got, before[u.Email()]) {
				t.Fatalf("%s's unreads after the restart=%v, want %v", u.Email(), got, before[u.Email()])
			}
		}

		// The markers are stored: still never back, and forward as usual.
		if got := s2.MustMarkRead(t, bob, readChannel(dev, 1)); got.counts() != (counts{1, 0, 12, 13}) {
			t.Fatalf("POST /read at 1 after the restart=%v, want the marker left at 12", got.counts())
		}
		if got := s2.MustMarkRead(t, bob, readChannel(dev, 13)); got.counts() != (counts{0, 0, 13, 13}) {
			t.Fatalf("POST /read at 13 after the restart=%v, want %v", got.counts(), counts{0, 0, 13, 13})
		}
	})
}
