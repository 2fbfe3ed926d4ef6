package app

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxOrderWait bounds how long the push of a change waits for the push of
// the one before it in its stream. The wait is normally the time the pushes
// before it take; it runs out only when a position is never pushed here.
const maxOrderWait = time.Second

// orderIdle is how long a stream's push order is remembered after its last
// push.
const orderIdle = 10 * time.Minute

// pushOrder makes the changes of one stream go out in position order on
// this node (and so the new messages of a conversation in seq order). Sends
// that the store commits together return together, and their goroutines
// would otherwise push in whatever order they are scheduled; a client would
// see a position skip ahead and have to call GET /sync for nothing.
//
// A push waits for the one of the position before it, at most maxOrderWait:
// a push may never come (its request failed after the write), and must not
// hold the stream up for long. A stream is remembered while it is active;
// the first push after a long quiet does not wait, so two changes committed
// at that very moment may still go out in either order, which the client
// notices and mends with GET /sync.
//
// With several nodes, the changes of a stream are stored by any of them,
// and those stored elsewhere reach this node through the broker, which
// hands them to the hub directly, in the order it received them, without
// waiting for anything. Each one then counts as pushed here (see passed):
// a local push waiting for the position before it goes on as soon as that
// change arrives from the node that stored it, which is normally well
// within a millisecond, rather than after maxOrderWait. maxOrderWait stays
// the bound when that event never comes: the other node died between its
// write and its push, or it was cut off from the broker; the client then
// sees the gap and mends it with GET /sync. While another node is cut off
// but still taking writes, a push here in a stream it writes to as well may
// so wait the whole maxOrderWait, and the request that makes it with it.
// While this node is the one cut off, it waits for nothing (cutOff).
// Changes stored on different nodes at the same moment may still reach
// different nodes in different orders, which clients mend the same way.
type pushOrder struct {
	mu      sync.Mutex
	streams map[string]*streamOrder
	swept   time.Time

	// cutOff is set while this node cannot hear the other nodes: a push
	// then never waits, since the position before it may be one that
	// another node stored and whose event cannot come. Without this, every
	// send into a conversation that other nodes write to would take
	// maxOrderWait while the broker is away. Its clients mend the order
	// with GET /sync, as they must after the outage anyway.
	cutOff atomic.Bool
}

// streamOrder is one stream's place in its pushes.
type streamOrder struct {
	mu   sync.Mutex
	next int64 // the position expected to go out next
	// waiting holds a channel for each push waiting for its turn, by
	// position: the push before it wakes that one alone. Waking every
	// waiter at each push, as a broadcast would, costs each push as many
	// wake-ups as there are sends in flight, and under load that cost
	// grows the queue that causes it.
	waiting map[int64]chan struct{}
	used    time.Time
}

// inOrder runs push, the push of the change at position pos of the stream,
// after the push of pos-1, or after maxOrderWait.
func (po *pushOrder) inOrder(stream string, pos int64, push func()) {
	o := po.stream(stream, pos)
	o.mu.Lock()
	if pos > o.next && !po.cutOff.Load() {
		turn := make(chan struct{})
		o.waiting[pos] = turn
		o.mu.Unlock()
		timeout := time.NewTimer(maxOrderWait)
		select {
		case <-turn:
		case <-timeout.C:
		}
		timeout.Stop()
		o.mu.Lock()
		delete(o.waiting, pos)
	}

	defer o.mu.Unlock()
	push()
	if pos >= o.next {
		o.next = pos + 1
		if turn, ok := o.waiting[o.next]; ok {
			close(turn)
			delete(o.waiting, o.next)
		}
	}
	o.used = time.Now()
}

// stream returns the order of a stream, starting it at pos if it is not
// remembered, and forgets streams long quiet.
func (po *pushOrder) stream(id string, pos int64) *streamOrder {
	po.mu.Lock()
	defer po.mu.Unlock()
	now := time.Now()
	if po.streams == nil {
		po.streams = map[string]*streamOrder{}
	}
	if now.Sub(po.swept) > time.Minute {
		for k, o := range po.streams {
			if o.mu.TryLock() {
				if now.Sub(o.used) > orderIdle {
					delete(po.streams, k)
				}
				o.mu.Unlock()
			}
		}
		po.swept = now
	}
	o := po.streams[id]
	if o == nil {
		o = &streamOrder{next: pos, waiting: map[int64]chan struct{}{}, used: now}
		po.streams[id] = o
	}
	return o
}

// passed records that the change at position pos of the stream was pushed
// by another node and has been handed to this node's hub, so that pushes
// here waiting for it, or for a position before it, go on.
func (po *pushOrder) passed(stream string, pos int64) {
	o := po.stream(stream, pos+1)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.used = time.Now()
	if pos < o.next {
		return
	}
	o.next = pos + 1
	// Changes from different nodes may arrive out of order, so this may
	// skip positions: every push waiting for one of them goes on too.
	for at, turn := range o.waiting {
		if at <= o.next {
			close(turn)
			delete(o.waiting, at)
		}
	}
}
