package app

import (
	"sync"
	"time"
)

// maxOrderWait bounds how long the push of a message waits for the push of
// the one before it in its conversation. The wait is normally the time the
// pushes before it take; it runs out only when a seq is never pushed here.
const maxOrderWait = time.Second

// orderIdle is how long a conversation's push order is remembered after
// its last push.
const orderIdle = 10 * time.Minute

// pushOrder makes the messages of one conversation go out in seq order on
// this node. Sends that the store commits together return together, and
// their goroutines would otherwise push in whatever order they are
// scheduled; a client that catches up with after=<highest seq seen> would
// then skip a message it had not received yet.
//
// A push waits for the one of the seq before it, at most maxOrderWait: a
// seq may never be pushed here (a message imported into a conversation in
// use), and must not hold the conversation up for long. A conversation is
// remembered while it is active; the first push after a long quiet does not
// wait, so two messages committed at that very moment may still go out in
// either order.
//
// This holds for one node, where every live message is pushed by the node
// that stored it. With several nodes, messages stored elsewhere reach this
// one through the broker, and the order must come from there: waiting for
// them here would stall every conversation that two nodes write to.
type pushOrder struct {
	mu    sync.Mutex
	convs map[string]*convOrder
	swept time.Time
}

// convOrder is one conversation's place in its pushes.
type convOrder struct {
	mu      sync.Mutex
	next    int64         // the seq expected to go out next
	changed chan struct{} // closed and replaced each time next moves
	used    time.Time
}

// inOrder runs push, the push of the message with the given seq, after the
// push of seq-1 in the conversation, or after maxOrderWait.
func (po *pushOrder) inOrder(conversationID string, seq int64, push func()) {
	o := po.conversation(conversationID, seq)
	timeout := time.NewTimer(maxOrderWait)
	defer timeout.Stop()
	for {
		o.mu.Lock()
		if seq <= o.next {
			break
		}
		changed := o.changed
		o.mu.Unlock()
		select {
		case <-changed:
			continue
		case <-timeout.C:
		}
		o.mu.Lock()
		break
	}

	defer o.mu.Unlock()
	push()
	if seq >= o.next {
		o.next = seq + 1
		close(o.changed)
		o.changed = make(chan struct{})
	}
	o.used = time.Now()
}

// conversation returns the order of a conversation, starting it at seq if
// it is not remembered, and forgets conversations long quiet.
func (po *pushOrder) conversation(id string, seq int64) *convOrder {
	po.mu.Lock()
	defer po.mu.Unlock()
	now := time.Now()
	if po.convs == nil {
		po.convs = map[string]*convOrder{}
	}
	if now.Sub(po.swept) > time.Minute {
		for k, o := range po.convs {
			if o.mu.TryLock() {
				if now.Sub(o.used) > orderIdle {
					delete(po.convs, k)
				}
				o.mu.Unlock()
			}
		}
		po.swept = now
	}
	o := po.convs[id]
	if o == nil {
		o = &convOrder{next: seq, changed: make(chan struct{}), used: now}
		po.convs[id] = o
	}
	return o
}
