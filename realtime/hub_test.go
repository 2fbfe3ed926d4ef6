package realtime_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/realtime"
)

// timeout bounds every wait for something asynchronous.
const timeout = 5 * time.Second

// MustEvent returns a message event numbered n for the given users.
func MustEvent(tb testing.TB, n int, userIDs ...string) *parley.Event {
	tb.Helper()
	e, err := parley.NewEvent(parley.EventMessage, userIDs, map[string]int{"n": n})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// UserID returns the user of s, which must be the hub's own type.
func UserID(tb testing.TB, s parley.Subscription) string {
	tb.Helper()
	rs, ok := s.(*realtime.Subscription)
	if !ok {
		tb.Fatalf("subscription is a %T, want a *realtime.Subscription", s)
	}
	return rs.UserID
}

// Stats is a hub's counters, named so that tests can compare them whole.
type Stats struct {
	Connections, Deliveries, SlowConsumers int64
}

// HubStats returns the counters of hub.
func HubStats(hub *realtime.Hub) Stats {
	c, d, s := hub.Stats()
	return Stats{c, d, s}
}

// taken holds the frames that Take returned to a test helper and that the
// test has not looked at yet, per subscription.
var taken = struct {
	sync.Mutex
	frames map[parley.Subscription][][]byte
}{frames: make(map[parley.Subscription][][]byte)}

// poll returns the next frame of s without waiting. ended is true when s has
// ended and every frame was returned.
func poll(s parley.Subscription) (frame []byte, ended bool) {
	taken.Lock()
	defer taken.Unlock()
	q := taken.frames[s]
	if len(q) == 0 {
		var open bool
		q, open = s.Take(nil)
		if !open {
			return nil, true
		}
	}
	if len(q) == 0 {
		return nil, false
	}
	taken.frames[s] = q[1:]
	return q[0], false
}

// MustRecv returns the next frame of s, failing the test if none comes
// before the deadline or if s has ended.
func MustRecv(tb testing.TB, s parley.Subscription) []byte {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		frame, ended := poll(s)
		if frame != nil {
			return frame
		} else if ended {
			tb.Fatalf("subscription of %s ended, want a frame", UserID(tb, s))
		}
		select {
		case <-s.Ready():
		case <-deadline:
			tb.Fatalf("no frame for %s within %v", UserID(tb, s), timeout)
			return nil
		}
	}
}

// MustEnd drains s until it ends, failing the test if that does not happen
// before the deadline, and returns the frames it drained.
func MustEnd(tb testing.TB, s parley.Subscription) [][]byte {
	tb.Helper()
	var frames [][]byte
	deadline := time.After(timeout)
	for {
		frame, ended := poll(s)
		if ended {
			return frames
		} else if frame != nil {
			frames = append(frames, frame)
			continue
		}
		select {
		case <-s.Ready():
		case <-deadline:
			tb.Fatalf("subscription of %s still open after %v", UserID(tb, s), timeout)
			return nil
		}
	}
}

// Pending returns the number of frames queued on s and not yet received.
// Publish queues before it returns, so after a Publish this is exact
// without waiting.
func Pending(s parley.Subscription) int {
	taken.Lock()
	defer taken.Unlock()
	more, _ := s.Take(nil)
	taken.frames[s] = append(taken.frames[s], more...)
	return len(taken.frames[s])
}

func TestHub_Publish(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		hub := realtime.NewHub(0)
		defer hub.Close()
		alice1, alice2 := hub.Subscribe("alice"), hub.Subscribe("alice")
		bob, carol := hub.Subscribe("bob"), hub.Subscribe("carol")

		e := MustEvent(t, 1, "alice", "bob", "dave")
		hub.Publish(context.Background(), e)

		if got := UserID(t, alice1); got != "alice" {
			t.Fatalf("UserID=%s, want alice", got)
		}
		for _, s := range []parley.Subscription{alice1, alice2, bob} {
			frame := MustRecv(t, s)
			if string(frame) != `{"type":"message","n":1}` {
				t.Fatalf("frame=%s, want %s", frame, e.Frame)
			} else if &frame[0] != &e.Frame[0] {
				t.Fatalf("%s got a copy of the frame, want the event's own slice", UserID(t, s))
			}
		}
		if n := Pending(carol); n != 0 {
			t.Fatalf("carol has %d frames, want 0", n)
		}
		if got := HubStats(hub); got != (Stats{Connections: 4, Deliveries: 3}) {
			t.Fatalf("Stats=%+v, want 4 connections and 3 deliveries", got)
		}
	})

	t.Run("Dedupe", func(t *testing.T) {
		// Both sides of the small-set threshold, with repeats near and far.
		many := make([]string, 0, 60)
		for i := range 60 {
			many = append(many, fmt.Sprintf("u%d", i%20))
		}
		tests := []struct {
			name    string
			userIDs []string
			users   int // distinct
		}{
			{"Twice", []string{"u0", "u0"}, 1},
			{"Interleaved", []string{"u0", "u1", "u0", "u1", "u0"}, 2},
			{"Many", many, 20},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hub := realtime.NewHub(0)
				defer hub.Close()
				var subs []parley.Subscription
				for i := range tt.users {
					id := fmt.Sprintf("u%d", i)
					subs = append(subs, hub.Subscribe(id), hub.Subscribe(id))
				}

				hub.Publish(context.Background(), MustEvent(t, 1, tt.userIDs...))
				for _, s := range subs {
					if n := Pending(s); n != 1 {
						t.Fatalf("%s has %d frames, want 1", UserID(t, s), n)
					}
				}
				if got, want := HubStats(hub).Deliveries, int64(len(subs)); got != want {
					t.Fatalf("Deliveries=%d, want %d", got, want)
				}
			})
		}
	})

	t.Run("NoReceivers", func(t *testing.T) {
		hub := realtime.NewHub(0)
		defer hub.Close()
		s := hub.Subscribe("alice")

		hub.Publish(context.Background(), nil)
		hub.Publish(context.Background(), MustEvent(t, 1))
		hub.Publish(context.Background(), MustEvent(t, 2, "bob"))
		if n := Pending(s); n != 0 {
			t.Fatalf("alice has %d frames, want 0", n)
		} else if got := HubStats(hub).Deliveries; got != 0 {
			t.Fatalf("Deliveries=%d, want 0", got)
		}
	})

	t.Run("SlowConsumer", func(t *testing.T) {
		// Alice has two tabs open; one reads, the other never does.
		const queue, events = 4, 100
		hub := realtime.NewHub(queue)
		defer hub.Close()
		fast, slow := hub.Subscribe("alice"), hub.Subscribe("alice")

		for i := range events {
			e := MustEvent(t, i, "alice")
			hub.Publish(context.Background(), e)
			if got := MustRecv(t, fast); string(got) != string(e.Frame) {
				t.Fatalf("fast frame %d=%s, want %s", i, got, e.Frame)
			}
		}

		if !slow.Slow() {
			t.Fatal("slow subscription not marked slow")
		} else if fast.Slow() {
			t.Fatal("fast subscription marked slow")
		}
		if got := MustEnd(t, slow); len(got) != queue {
			t.Fatalf("slow subscription held %d frames, want the %d it had room for", len(got), queue)
		}
		if got, want := HubStats(hub), (Stats{
			Connections: 1, Deliveries: events + queue, SlowConsumers: 1,
		}); got != want {
			t.Fatalf("Stats=%+v, want %+v", got, want)
		}
		if !hub.Online("alice") {
			t.Fatal("alice offline, want online through her fast tab")
		}

		// Ending it again, as the connection's owner will, changes nothing.
		hub.Unsubscribe(slow)
		if got := HubStats(hub).Connections; got != 1 {
			t.Fatalf("Connections=%d, want 1", got)
		}
	})
}

func TestHub_Unsubscribe(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		hub := realtime.NewHub(0)
		defer hub.Close()
		s, other := hub.Subscribe("alice"), hub.Subscribe("alice")
		hub.Publish(context.Background(), MustEvent(t, 1, "alice"))

		hub.Unsubscribe(s)
		if got := MustEnd(t, s); len(got) != 1 {
			t.Fatalf("drained %d frames after Unsubscribe, want the 1 queued", len(got))
		} else if s.Slow() {
			t.Fatal("unsubscribed subscription marked slow")
		}

		hub.Publish(context.Background(), MustEvent(t, 2, "alice"))
		if n := Pending(other); n != 2 {
			t.Fatalf("other has %d frames, want 2", n)
		}
	})

	t.Run("Twice", func(t *testing.T) {
		hub := realtime.NewHub(0)
		defer hub.Close()
		s := hub.Subscribe("alice")
		hub.Subscribe("bob")

		hub.Unsubscribe(s)
		hub.Unsubscribe(s)
		hub.Unsubscribe(nil)
		hub.Unsubscribe((*realtime.Subscription)(nil))
		hub.Unsubscribe(foreign{})
		MustEnd(t, s)
		if got := HubStats(hub).Connections; got != 1 {
			t.Fatalf("Connections=%d, want 1", got)
		} else if hub.Online("alice") {
			t.Fatal("alice online, want offline")
		}
	})
}

// foreign is a subscription of some other hub, which Unsubscribe ignores.
type foreign struct{}

func (foreign) Ready() <-chan struct{}         { return nil }
func (foreign) Take([][]byte) ([][]byte, bool) { return nil, false }
func (foreign) Slow() bool                     { return false }

func TestHub_Online(t *testing.T) {
	hub := realtime.NewHub(0)
	defer hub.Close()
	if hub.Online("alice") {
		t.Fatal("alice online before subscribing")
	}

	a, b := hub.Subscribe("alice"), hub.Subscribe("alice")
	if !hub.Online("alice") {
		t.Fatal("alice offline with two subscriptions")
	}
	hub.Unsubscribe(a)
	if !hub.Online("alice") {
		t.Fatal("alice offline with one subscription")
	}
	hub.Unsubscribe(b)
	if hub.Online("alice") {
		t.Fatal("alice online with none")
	}
}

func TestHub_Close(t *testing.T) {
	hub := realtime.NewHub(0)
	subs := []parley.Subscription{
		hub.Subscribe("alice"), hub.Subscribe("alice"), hub.Subscribe("bob"),
	}
	hub.Publish(context.Background(), MustEvent(t, 1, "alice", "bob"))

	hub.Close()
	for _, s := range subs {
		if got := MustEnd(t, s); len(got) != 1 {
			t.Fatalf("%s drained %d frames after Close, want the 1 queued", UserID(t, s), len(got))
		} else if s.Slow() {
			t.Fatalf("%s marked slow by Close", UserID(t, s))
		}
	}
	if got := HubStats(hub).Connections; got != 0 {
		t.Fatalf("Connections=%d, want 0", got)
	} else if hub.Online("alice") {
		t.Fatal("alice online after Close")
	}

	// Whatever comes after is harmless.
	late := hub.Subscribe("alice")
	MustEnd(t, late)
	hub.Publish(context.Background(), MustEvent(t, 2, "alice"))
	hub.Unsubscribe(late)
	hub.Unsubscribe(subs[0])
	hub.Close()
	if got := HubStats(hub); got.Connections != 0 || got.Deliveries != 3 {
		t.Fatalf("Stats=%+v, want 0 connections and 3 deliveries", got)
	}
}

func TestHub_EndAll(t *testing.T) {
	for _, slow := range []bool{true, false} {
		name := map[bool]string{true: "Slow", false: "NotSlow"}[slow]
		t.Run(name, func(t *testing.T) {
			hub := realtime.NewHub(0)
			defer hub.Close()
			subs := []parley.Subscription{hub.Subscribe("alice"), hub.Subscribe("bob")}
			hub.Publish(context.Background(), MustEvent(t, 1, "alice", "bob"))

			hub.EndAll(slow)
			for _, s := range subs {
				if got := MustEnd(t, s); len(got) != 1 {
					t.Fatalf("%s drained %d frames after EndAll, want the 1 queued", UserID(t, s), len(got))
				} else if s.Slow() != slow {
					t.Fatalf("%s Slow=%v, want %v", UserID(t, s), s.Slow(), slow)
				}
			}
			if got := HubStats(hub); got != (Stats{Deliveries: 2}) {
				t.Fatalf("Stats=%+v, want 0 connections, 2 deliveries and no slow consumer", got)
			} else if hub.Online("alice") {
				t.Fatal("alice online after EndAll")
			}

			// The hub stays open, and an ended subscription may be
			// unsubscribed as its connection closes.
			hub.Unsubscribe(subs[0])
			later := hub.Subscribe("alice")
			hub.Publish(context.Background(), MustEvent(t, 2, "alice"))
			if frame := MustRecv(t, later); string(frame) != `{"type":"message","n":2}` {
				t.Fatalf("frame=%s after EndAll, want the second event", frame)
			} else if got := HubStats(hub).Connections; got != 1 {
				t.Fatalf("Connections=%d, want 1", got)
			}
		})
	}
}

// TestHub_Concurrent races everything against everything; run it with -race.
// Publishers send to ten users until told to stop, while churners subscribe,
// read a frame if there is one and unsubscribe, and leave every tenth
// subscription open and unread, so that it is cut as slow mid-publish.
func TestHub_Concurrent(t *testing.T) {
	const publishers, churners, cycles = 4, 4, 300
	user := func(i int) string { return fmt.Sprintf("u%d", i%10) }

	// Events are made here: t.Fatal must not be called from the goroutines.
	var events [publishers][10]*parley.Event
	for p := range publishers {
		for i := range 10 {
			events[p][i] = MustEvent(t, i, user(i), user(i+p), user(i+3))
		}
	}

	run := func(t *testing.T, hub *realtime.Hub, closeMidway bool) []parley.Subscription {
		var (
			pubWG, churnWG sync.WaitGroup
			mu             sync.Mutex
			idle           []parley.Subscription
			stop           = make(chan struct{})
		)
		for p := range publishers {
			pubWG.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					hub.Publish(context.Background(), events[p][i%10])
				}
			})
		}
		for c := range churners {
			churnWG.Go(func() {
				for i := range cycles {
					if closeMidway && c == 0 && i == cycles/2 {
						hub.Close()
					}

					s := hub.Subscribe(user(i + c))
					s.Take(nil)
					hub.Unsubscribe(s)

					if i%10 == 0 {
						s := hub.Subscribe(user(i))
						mu.Lock()
						idle = append(idle, s)
						mu.Unlock()
					}
					hub.Online(user(i))
					hub.Stats()
				}
			})
		}

		churnWG.Wait()
		close(stop)
		pubWG.Wait()
		t.Logf("Stats=%+v", HubStats(hub))
		return idle
	}

	t.Run("Unsubscribe", func(t *testing.T) {
		hub := realtime.NewHub(2)
		idle := run(t, hub, false)
		for _, s := range idle {
			hub.Unsubscribe(s)
			MustEnd(t, s)
		}
		if got := HubStats(hub).Connections; got != 0 {
			t.Fatalf("Connections=%d after every Unsubscribe, want 0", got)
		}
	})

	t.Run("Close", func(t *testing.T) {
		hub := realtime.NewHub(2)
		idle := run(t, hub, true)
		for _, s := range idle {
			MustEnd(t, s)
		}
		if got := HubStats(hub).Connections; got != 0 {
			t.Fatalf("Connections=%d after Close, want 0", got)
		}
	})
}
