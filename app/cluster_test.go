package app_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/sqlite"
)

// MustOpenNodes returns two services on one in-memory store, as two nodes
// of a cluster share a database, each with its own recorder.
func MustOpenNodes(t testing.TB) (a, b *app.Service, recA, recB *recorder) {
	t.Helper()
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	recA, recB = &recorder{}, &recorder{}
	a = &app.Service{Store: store, Events: recA, PasswordCost: 4}
	b = &app.Service{Store: store, Events: recB, PasswordCost: 4}
	for _, svc := range []*app.Service{a, b} {
		if err := svc.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, recA, recB
}

// lastOf returns the last event of type typ that r recorded.
func lastOf(t testing.TB, r *recorder, typ string) *parley.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Type == typ {
			return r.events[i]
		}
	}
	t.Fatalf("no %s event recorded", typ)
	return nil
}

func TestRemote(t *testing.T) {
	t.Run("ForgetsMembers", func(t *testing.T) {
		a, b, recA, _ := MustOpenNodes(t)
		annCtx, _ := MustSignup(t, a, "ann@example.com")
		bobCtx, _ := MustSignup(t, a, "bob@example.com")
		ws := MustCreateWorkspace(t, a, annCtx, "Acme", "bob@example.com")
		ch, err := a.CreateChannel(annCtx, ws.ID, "random", false)
		if err != nil {
			t.Fatal(err)
		}

		// Node b reads the members of random, without bob, and keeps them.
		_, err = b.PostChannelMessage(bobCtx, ws.ID, ch.ID, app.Draft{Text: "hi"})
		wantCode(t, err, parley.EFORBIDDEN)

		// Bob joins on node a; node b keeps what it read until it hears.
		if _, err := a.JoinChannel(bobCtx, ws.ID, ch.ID, "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		_, err = b.PostChannelMessage(bobCtx, ws.ID, ch.ID, app.Draft{Text: "hi"})
		wantCode(t, err, parley.EFORBIDDEN)

		delivered := false
		b.Remote(lastOf(t, recA, app.EventMemberJoinedChannel), func() { delivered = true })
		if !delivered {
			t.Fatal("Remote did not deliver the event")
		}
		if _, err := b.PostChannelMessage(bobCtx, ws.ID, ch.ID, app.Draft{Text: "hi"}); err != nil {
			t.Fatalf("post on b after the join reached it: %v", err)
		}
	})

	t.Run("ForgetsChannel", func(t *testing.T) {
		a, b, recA, _ := MustOpenNodes(t)
		annCtx, _ := MustSignup(t, a, "ann@example.com")
		ws := MustCreateWorkspace(t, a, annCtx, "Acme")
		ch, err := a.CreateChannel(annCtx, ws.ID, "random", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.PostChannelMessage(annCtx, ws.ID, ch.ID, app.Draft{Text: "hi"}); err != nil {
			t.Fatal(err)
		}

		archived := true
		settings := app.ChannelSettings{Archived: &archived}
		if _, err := a.UpdateChannel(annCtx, ws.ID, ch.ID, settings); err != nil {
			t.Fatal(err)
		}
		b.Remote(lastOf(t, recA, parley.EventChannelUpdated), func() {})
		_, err = b.PostChannelMessage(annCtx, ws.ID, ch.ID, app.Draft{Text: "hi"})
		wantCode(t, err, parley.ECONFLICT)
	})

	t.Run("Other", func(t *testing.T) {
		// An event that changes nothing kept is only delivered.
		_, b, _, _ := MustOpenNodes(t)
		e, err := parley.NewEvent(app.EventTyping, []string{"U1"}, map[string]string{"user": "x"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		b.Remote(e, func() { n++ })
		if n != 1 {
			t.Fatalf("delivered %d times, want 1", n)
		}
	})
}

// roster is a Roster that records what it is told.
type roster struct {
	mu     sync.Mutex
	calls  []string
	online map[string]bool
}

func (r *roster) Arrive(id string) { r.note("arrive " + id) }
func (r *roster) Leave(id string)  { r.note("leave " + id) }

func (r *roster) Online(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.online[id]
}

func (r *roster) note(call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

func TestRoster(t *testing.T) {
	svc, rec := MustOpenService(t)
	r := &roster{online: map[string]bool{}}
	svc.Roster = r
	annCtx, ann := MustSignup(t, svc, "ann@example.com")
	_, bob := MustSignup(t, svc, "bob@example.com")
	MustCreateWorkspace(t, svc, annCtx, "Acme", "bob@example.com")
	before := rec.count()

	t.Run("ArriveAndLeaveOnce", func(t *testing.T) {
		svc.Connected(annCtx, ann)
		svc.Connected(annCtx, ann)
		svc.Disconnected(ann)
		svc.Disconnected(ann)
		svc.Connected(annCtx, ann)
		want := []string{"arrive " + ann.ID, "leave " + ann.ID, "arrive " + ann.ID}
		if !slices.Equal(r.calls, want) {
			t.Fatalf("calls=%q, want %q", r.calls, want)
		}
		if n := rec.count(); n != before {
			t.Fatalf("%d events published, want none: the roster decides", n-before)
		}
	})

	t.Run("Online", func(t *testing.T) {
		r.online[bob.ID] = true
		if !svc.Online(bob.ID) {
			t.Fatal("bob offline, want online as the roster says")
		} else if svc.Online("U-nobody") {
			t.Fatal("a stranger online, want offline")
		}
	})

	t.Run("Announce", func(t *testing.T) {
		svc.Announce(context.Background(), bob.ID, false)
		e := rec.last(t)
		if e.Type != app.EventPresenceChange {
			t.Fatalf("Type=%s, want %s", e.Type, app.EventPresenceChange)
		}
		want := `{"type":"presence_change","user":"bob@example.com","user_id":"` + bob.ID +
			`","presence":"offline"}`
		if string(e.Frame) != want {
			t.Fatalf("Frame=%s, want %s", e.Frame, want)
		}
		if got := slices.Sorted(slices.Values(e.UserIDs)); !slices.Equal(got,
			slices.Sorted(slices.Values([]string{ann.ID, bob.ID}))) {
			t.Fatalf("UserIDs=%v, want ann and bob", got)
		}
	})
}
