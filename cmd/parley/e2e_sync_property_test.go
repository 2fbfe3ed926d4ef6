package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSyncProperty is the property of GET /sync: several writers send,
// reply, edit, delete, react, join and leave, rename and create channels
// and move read markers, all at once, while a reader drops its WebSocket at
// random points and catches up with GET /sync each time it reconnects. In
// the end what the reader applied, pushed and synced together, is every
// change it may see, each exactly once, in position order in each stream
// and in seq order in each conversation; it is what one GET /sync from the
// first token answers; and it is exactly what the writers' acknowledged
// requests made.
func TestSyncProperty(t *testing.T) {
	s := MustStartServer(t)
	reader := s.MustSignup(t, "reader")
	ann, bob, cat := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "cat")
	ws := s.MustCreateWorkspace(t, ann, "prop")
	s.MustInvite(t, ann, ws, reader, bob, cat)
	general := General(t, ws)
	pub := s.MustCreateChannel(t, ann, ws, "pub", false)
	priv := s.MustCreateChannel(t, ann, ws, "priv", true)
	s.MustJoin(t, ann, pub, reader)
	s.MustJoin(t, ann, pub, bob)
	s.MustJoin(t, ann, pub, cat)
	s.MustJoin(t, ann, priv, reader)
	s.MustJoin(t, ann, priv, bob)

	// Everything before this token is setup; the reader must see exactly
	// what follows it, starting each stream where the answer says.
	start := s.MustSync(t, reader, "", 0)
	first := start.SyncToken
	replica := NewReplica()
	if err := replica.ApplySynced(start); err != nil {
		t.Fatal(err)
	}
	want := newExpected()

	// The writers and the reader's other device run until done; the reader
	// comes and goes meanwhile.
	var wg sync.WaitGroup
	for i, w := range []*Session{ann, bob, cat} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := &propWriter{s: s, t: t, me: w, reader: reader, want: want,
				rnd: rand.New(rand.NewPCG(uint64(i), 7)), ws: ws, general: general, pub: pub, priv: priv,
				inPub: true, inPriv: w != cat}
			for range 80 {
				pw.step()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		moveMarkers(t, s, reader, general, want)
	}()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()

	token := first
	rnd := rand.New(rand.NewPCG(99, 1))
	for connected := 0; ; connected++ {
		select {
		case <-done:
		default:
			token = readAWhile(t, s, reader, token, replica, rnd)
			continue
		}
		// The writers are done: one last connection catches up.
		token = readAWhile(t, s, reader, token, replica, rnd)
		t.Logf("reader connected %d times; %d changes applied, %d repeats dropped, %d gaps",
			connected+1, len(replica.Applied()), replica.Repeats, replica.Gaps)
		break
	}

	got := replica.Applied()
	checkStreamsInOrder(t, got)
	if diff := want.diff(got); diff != "" {
		t.Errorf("what the reader applied differs from what the writers did:\n%s", diff)
	}

	// One GET /sync from the first token answers the same changes at the
	// same positions.
	all, _ := s.MustSyncAll(t, reader, first, 7)
	if !slices.Equal(sortedChanges(all), sortedChanges(got)) {
		t.Errorf("the reader applied %d changes; GET /sync from the first token answers %d, not the same",
			len(got), len(all))
	}
}

// readAWhile connects as the reader, catches up from token, applies what
// is pushed for a random while, and drops the connection without a close
// frame. It returns the newest token.
func readAWhile(t *testing.T, s *Server, reader *Session, token string, r *Replica, rnd *rand.Rand) string {
	t.Helper()
	c := s.MustConnect(t, reader)
	catchUp := func() {
		token = s.MustSyncPages(t, reader, token, 1+rnd.IntN(20), func(p *SyncPage) {
			if err := r.ApplySynced(p); err != nil {
				t.Error(err)
			}
		})
	}
	// Pushes that arrive while it syncs wait in the list until it is done.
	catchUp()

	seen := 0
	until := time.Now().Add(time.Duration(10+rnd.IntN(60)) * time.Millisecond)
	for time.Now().Before(until) {
		frames := c.Frames()
		for _, f := range frames[seen:] {
			if ch := changeOf(f.Raw); ch.Pos > 0 && r.ApplyPushed(ch) {
				catchUp() // a pushed change skipped ahead: sync, as clients do
			}
		}
		seen = len(frames)
		time.Sleep(2 * time.Millisecond)
	}
	c.Conn.UnderlyingConn().Close()
	catchUp()
	return token
}

// checkStreamsInOrder checks that the changes of each stream come at
// consecutive positions, and the new messages of each conversation in
// rising seq.
func checkStreamsInOrder(t *testing.T, changes []Change) {
	t.Helper()
	pos := map[string]int64{}
	seq := map[string]int64{}
	for _, c := range changes {
		if at, ok := pos[c.Stream]; ok && c.Pos != at+1 {
			t.Errorf("stream %s: position %d after %d", c.Stream, c.Pos, at)
		}
		pos[c.Stream] = c.Pos
		if c.Type == "message" {
			if c.Seq <= seq[c.Stream] {
				t.Errorf("conversation %s: seq %d after %d", c.Stream, c.Seq, seq[c.Stream])
			}
			seq[c.Stream] = c.Seq
		}
	}
}

// sortedChanges returns the changes as sorted strings, to compare sets.
func sortedChanges(changes []Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = fmt.Sprintf("%s/%08d %s", c.Stream, c.Pos, c.key())
	}
	slices.Sort(out)
	return out
}

// expected counts the changes that acknowledged requests made, by key.
type expected struct {
	mu   sync.Mutex
	keys map[string]int
}

func newExpected() *expected { return &expected{keys: map[string]int{}} }

// add records a change that the reader must see.
func (e *expected) add(c Change) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys[c.key()]++
}

// diff describes how got differs from what was recorded, or "" if not.
func (e *expected) diff(got []Change) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	have := map[string]int{}
	for _, c := range got {
		have[c.key()]++
	}
	var out string
	for k, n := range e.keys {
		if have[k] != n {
			out += fmt.Sprintf("  %q: applied %d, want %d\n", k, have[k], n)
		}
	}
	for k, n := range have {
		if _, ok := e.keys[k]; !ok {
			out += fmt.Sprintf("  %q: applied %d, want none\n", k, n)
		}
	}
	return out
}

// propWriter is one writer of the property test, with what it knows of its
// own messages, so that its every request is meant to succeed.
type propWriter struct {
	s                   *Server
	t                   *testing.T
	me, reader          *Session
	want                *expected
	rnd                 *rand.Rand
	ws                  *Workspace
	general, pub, priv  *Channel
	inPub, inPriv       bool
	mine                []*propMessage
	reactions, channels int
}

// propMessage is a message a writer sent.
type propMessage struct {
	id, where string // where: the channel's ID, or "dm"
	reply     bool
	deleted   bool
	reactions []string
}

// step makes one random change.
func (w *propWriter) step() {
	live := slices.DeleteFunc(slices.Clone(w.mine), func(m *propMessage) bool { return m.deleted })
	switch n := w.rnd.IntN(10); {
	case n < 3 || len(live) == 0:
		w.send()
	case n == 3:
		w.reply(live[w.rnd.IntN(len(live))])
	case n == 4:
		w.edit(live[w.rnd.IntN(len(live))])
	case n == 5:
		w.delete(live[w.rnd.IntN(len(live))])
	case n == 6:
		w.react(live[w.rnd.IntN(len(live))])
	case n == 7:
		w.structure()
	default:
		w.send()
	}
}

// send sends a message to a conversation the writer may post to.
func (w *propWriter) send() {
	where := []*Channel{w.general}
	if w.inPub {
		where = append(where, w.pub)
	}
	if w.inPriv {
		where = append(where, w.priv)
	}
	i := w.rnd.IntN(len(where) + 1)
	var m FullMessage
	pm := &propMessage{where: "dm"}
	if i == len(where) {
		w.s.MustDo(w.t, dmReq(w.me, w.reader, text("hi reader")), http.StatusCreated, &m)
	} else {
		w.s.MustDo(w.t, postReq(w.me, where[i], text("hello")), http.StatusCreated, &m)
		pm.where = where[i].ID
	}
	pm.id = m.ID
	w.mine = append(w.mine, pm)
	w.want.add(Change{Type: "message", MessageID: m.ID})
}

// reply answers one of the writer's messages in its thread.
func (w *propWriter) reply(root *propMessage) {
	if root.reply || !w.canPost(root) {
		w.send()
		return
	}
	var m FullMessage
	if root.where == "dm" {
		w.s.MustDo(w.t, dmReq(w.me, w.reader, reply("re", root.id, false)), http.StatusCreated, &m)
	} else {
		ch := w.channel(root.where)
		w.s.MustDo(w.t, postReq(w.me, ch, reply("re", root.id, false)), http.StatusCreated, &m)
	}
	w.mine = append(w.mine, &propMessage{id: m.ID, where: root.where, reply: true})
	w.want.add(Change{Type: "message", MessageID: m.ID})
	w.want.add(Change{Type: "thread_reply", MessageID: root.id})
}

// edit changes the text of one of the writer's messages.
func (w *propWriter) edit(m *propMessage) {
	w.s.MustDo(w.t, editReq(w.me, m.id, text("edited")), http.StatusOK, nil)
	w.want.add(Change{Type: "message_changed", MessageID: m.id})
}

// delete deletes one of the writer's messages.
func (w *propWriter) delete(m *propMessage) {
	w.s.MustDo(w.t, deleteReq(w.me, m.id), http.StatusOK, nil)
	m.deleted = true
	w.want.add(Change{Type: "message_deleted", MessageID: m.id})
}

// react adds a new reaction to one of the writer's messages, or removes
// one it added.
func (w *propWriter) react(m *propMessage) {
	if len(m.reactions) > 0 && w.rnd.IntN(2) == 0 {
		name := m.reactions[0]
		m.reactions = m.reactions[1:]
		w.s.MustDo(w.t, unreactReq(w.me, m.id, name), http.StatusOK, nil)
		w.want.add(Change{Type: "reaction_removed", MessageID: m.id, Name: name, UserID: w.me.User.ID})
		return
	}
	w.reactions++
	name := fmt.Sprintf("r%d", w.reactions)
	w.s.MustDo(w.t, reactReq(w.me, m.id, emoji(name)), http.StatusOK, nil)
	m.reactions = append(m.reactions, name)
	w.want.add(Change{Type: "reaction_added", MessageID: m.id, Name: name, UserID: w.me.User.ID})
}

// structure changes membership or channels, each writer its own way: cat
// leaves and rejoins pub, ann sets priv's topic, bob creates channels that
// the reader hears of through the workspace.
func (w *propWriter) structure() {
	switch w.me.User.Email {
	case "cat@example.com":
		typ := "member_joined_channel"
		if w.inPub {
			typ = "member_left_channel"
			w.s.MustDo(w.t, Req{Method: "PATCH", Path: "/channel/out", Token: w.me.AccessToken,
				Body: map[string]string{"workspace_id": w.ws.ID, "channel_id": w.pub.ID, "user_email": w.me.Email()}},
				http.StatusOK, nil)
		} else {
			w.s.MustJoin(w.t, w.me, w.pub, w.me)
		}
		w.inPub = !w.inPub
		w.want.add(Change{Type: typ, ChannelID: w.pub.ID, UserID: w.me.User.ID})
	case "ann@example.com":
		w.s.MustDo(w.t, settingsReq(w.me, w.priv, map[string]string{"topic": fmt.Sprint("t", w.rnd.Int())}),
			http.StatusOK, nil)
		w.want.add(Change{Type: "channel_updated", ChannelID: w.priv.ID})
	default:
		w.channels++
		ch := w.s.MustCreateChannel(w.t, w.me, w.ws, fmt.Sprintf("made-%d", w.channels), false)
		w.want.add(Change{Type: "channel_created", ChannelID: ch.ID, UserID: w.me.User.ID})
	}
}

// canPost reports whether the writer may still post where m is.
func (w *propWriter) canPost(m *propMessage) bool {
	return m.where != w.pub.ID || w.inPub
}

// channel returns the channel with the given ID.
func (w *propWriter) channel(id string) *Channel {
	for _, ch := range []*Channel{w.general, w.pub, w.priv} {
		if ch.ID == id {
			return ch
		}
	}
	w.t.Fatalf("no channel %s", id)
	return nil
}

// moveMarkers moves the reader's marker in general from another device,
// recording each move that the answer shows went forward.
func moveMarkers(t *testing.T, s *Server, reader *Session, general *Channel, want *expected) {
	var last int64
	for range 30 {
		u := s.MustMarkRead(t, reader, readChannel(general, 1<<40))
		if u.LastReadSeq > last {
			want.add(Change{Type: "read_marker", ChannelID: general.ID})
			last = u.LastReadSeq
		}
		time.Sleep(3 * time.Millisecond)
	}
}
