package realtime

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parleychat/parley"
)

// DefaultQueueSize is the number of frames a subscription may have waiting
// when [NewHub] is given no size.
const DefaultQueueSize = 256

var (
	_ parley.Publisher    = (*Hub)(nil)
	_ parley.Hub          = (*Hub)(nil)
	_ parley.Subscription = (*Subscription)(nil)
)

// Hub delivers events to the subscriptions of their receivers. It never
// waits on a subscriber: a subscription whose queue is full is ended and
// counted as a slow consumer, and its client catches up with GET /sync.
//
// A Hub is safe for concurrent use. Create one with [NewHub].
type Hub struct {
	queueSize int

	// mu guards users and closed; connections changes only under it too,
	// so that it always agrees with users. Each user's slice is never
	// changed in place: Subscribe and remove install a new one. Publish can
	// therefore read a user's slice under mu and send to it after letting
	// go, so that the lock is held for one map lookup at a time, never for
	// a whole fan-out.
	mu     sync.RWMutex
	users  map[string][]*Subscription
	closed bool

	connections   atomic.Int64
	deliveries    atomic.Int64
	slowConsumers atomic.Int64
}

// NewHub returns a hub whose subscriptions each queue up to queueSize frames.
// A queueSize of zero or less means [DefaultQueueSize].
//
// The queue bounds what a connection can cost: a reader that falls behind
// holds at most queueSize frames before it is cut. Frames are shared, not
// copied, so the bound is on references; a frame stays in memory until the
// last queue holding it lets go.
func NewHub(queueSize int) *Hub {
	if queueSize <= 0 {
		queueSize = DefaultQueueSize
	}
	return &Hub{queueSize: queueSize, users: make(map[string][]*Subscription)}
}

// Subscribe opens a subscription for userID, for one connection of that
// user. The caller must end it with [Hub.Unsubscribe] when the connection
// closes. After [Hub.Close], it returns a subscription that has already
// ended.
//
// The result is always a [*Subscription]; it is returned as a
// [parley.Subscription] so that the Hub satisfies [parley.Hub].
func (h *Hub) Subscribe(userID string) parley.Subscription {
	s := newSubscription(userID, h.queueSize)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		s.end(false)
		return s
	}
	// Clip makes append copy, leaving the old slice intact for a Publish
	// that may be reading it.
	h.users[userID] = append(slices.Clip(h.users[userID]), s)
	h.connections.Add(1)
	h.mu.Unlock()
	return s
}

// Unsubscribe ends s, if that has not happened already. It may be called more than once, and with a subscription that the
// hub has ended. A nil s, or one this package did not make, is ignored.
func (h *Hub) Unsubscribe(ps parley.Subscription) {
	s, ok := ps.(*Subscription)
	if !ok || s == nil {
		return
	}
	h.remove(s)
	s.end(false)
}

// Publish queues e.Frame on every subscription of every user in e.UserIDs,
// once per subscription however often a user is listed. Every subscription
// receives the same slice, which nobody may modify.
//
// Publish does not block. A subscription whose queue is full is ended and
// marked slow, and the others are unaffected. Frames from one goroutine's
// calls reach each subscription in the order of the calls; calls made
// concurrently may interleave differently on different subscriptions.
// The context is not used, since nothing here waits.
func (h *Hub) Publish(_ context.Context, e *parley.Event) {
	if e == nil || len(e.UserIDs) == 0 {
		return
	}

	seen := newIDSet(len(e.UserIDs))
	defer seen.release()

	var delivered int64
	for _, id := range e.UserIDs {
		if !seen.add(id) {
			continue
		}

		h.mu.RLock()
		subs := h.users[id]
		h.mu.RUnlock()

		for _, s := range subs {
			switch s.send(e.Frame) {
			case sent:
				delivered++
			case full:
				h.remove(s)
				h.slowConsumers.Add(1)
			}
		}
	}
	h.deliveries.Add(delivered)
}

// Close ends every subscription, none of them marked slow, and makes later
// calls to Subscribe return subscriptions that have already ended. Publish
// after Close delivers nothing. Close may be called more than once.
func (h *Hub) Close() {
	h.endAll(false, true)
}

// EndAll ends every subscription open now, each marked slow if slow is
// true, and leaves the hub open: later subscriptions work as usual. A
// bridge between nodes calls it, with slow true, when events may have been
// lost on the way, so that every connection here closes with code 1013 and
// its client catches up with GET /sync. Subscriptions ended this way are
// not counted as slow consumers: they kept up; the bridge did not.
func (h *Hub) EndAll(slow bool) {
	h.endAll(slow, false)
}

// endAll ends every subscription, and closes the hub if close is true.
func (h *Hub) endAll(slow, close bool) {
	h.mu.Lock()
	users := h.users
	h.users = make(map[string][]*Subscription)
	h.closed = h.closed || close
	h.connections.Store(0)
	h.mu.Unlock()

	for _, subs := range users {
		for _, s := range subs {
			s.end(slow)
		}
	}
}

// Online reports whether userID has at least one subscription on this hub.
// It knows nothing of other nodes.
func (h *Hub) Online(userID string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[userID]) > 0
}

// Stats returns the hub's counters: the subscriptions open now, the frames
// queued since the hub was made, and the subscriptions ended because their
// queue was full. It takes no lock, so a metrics collector may call it as
// often as it likes; the three are read one after the other and need not
// agree with each other exactly.
//
// The plain int64 results, rather than a struct, let package http describe
// the method in an interface of its own without importing this package.
func (h *Hub) Stats() (connections, deliveries, slowConsumers int64) {
	return h.connections.Load(), h.deliveries.Load(), h.slowConsumers.Load()
}

// remove takes s out of the hub, if it is still there, and reports whether
// it was. Only the call that finds it lowers the connection count.
func (h *Hub) remove(s *Subscription) bool {
	h.mu.Lock()
	subs := h.users[s.UserID]
	i := slices.Index(subs, s)
	if i < 0 {
		h.mu.Unlock()
		return false
	}
	if len(subs) == 1 {
		delete(h.users, s.UserID)
	} else {
		h.users[s.UserID] = slices.Delete(slices.Clone(subs), i, i+1)
	}
	h.connections.Add(-1)
	h.mu.Unlock()
	return true
}
