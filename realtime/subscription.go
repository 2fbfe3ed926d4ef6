package realtime

import "sync"

// Subscription is one connection's place on a [Hub]: the queue of frames
// the connection has yet to write.
//
// The queue is a slice that grows as frames arrive and is let go once
// taken, rather than a buffered channel of the queue's full size: an idle
// connection, the common case, then holds no queue at all. A channel of 256
// frames would cost every connection 6 KiB whether it ever used it or not.
type Subscription struct {
	// UserID is the user the subscription receives events for.
	UserID string

	limit int           // the most frames that may wait
	ready chan struct{} // holds a signal while frames wait or once ended

	// mu guards the fields below. Taking it for each send is cheap next to
	// the write of the frame to a socket that follows.
	mu     sync.Mutex
	queue  [][]byte
	ended  bool
	slow   bool
	signal bool // a signal is in ready, or about to be
}

// newSubscription returns an open subscription that queues up to limit
// frames.
func newSubscription(userID string, limit int) *Subscription {
	return &Subscription{UserID: userID, limit: limit, ready: make(chan struct{}, 1)}
}

// Ready returns a channel that receives a value whenever frames may be
// waiting or the subscription has ended. The writer then calls
// [Subscription.Take]. A signal may come with nothing to take: Take then
// returns no frames, and the writer waits again.
func (s *Subscription) Ready() <-chan struct{} {
	return s.ready
}

// Take returns the frames waiting, in the order they were published,
// appended to buf[:0], and takes them off the queue. ok is false once the
// subscription has ended, by [Hub.Unsubscribe], by [Hub.Close] or for being
// slow, and every frame queued before the end has been taken. The frames
// are shared with every other receiver and must not be modified.
func (s *Subscription) Take(buf [][]byte) (frames [][]byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	s.signal = false
	frames = append(buf[:0], s.queue...)
	if cap(s.queue) > 16 {
		s.queue = nil // let a burst's memory go
	} else {
		clear(s.queue)
		s.queue = s.queue[:0]
	}
	return frames, len(frames) > 0 || !s.ended
}

// Slow reports whether the subscription ended because its queue was full.
// The connection should then be closed with a code that tells the client to
// catch up with GET /sync (1013, "try again later"). The hub counts slow
// consumers but does not log them: the connection's owner knows more worth
// logging about it, such as the connection ID and the remote address.
func (s *Subscription) Slow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slow
}

// sendResult is what became of one frame sent to a subscription.
type sendResult int

const (
	sent    sendResult = iota // queued
	full                      // the queue was full, and the subscription has ended
	skipped                   // the subscription had already ended
)

// send queues frame without waiting. If the queue is full, it ends the
// subscription as slow instead, and the caller must take it out of the hub.
func (s *Subscription) send(frame []byte) sendResult {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.ended {
		return skipped
	}
	if len(s.queue) >= s.limit {
		s.ended, s.slow = true, true
		s.notify()
		return full
	}
	s.queue = append(s.queue, frame)
	s.notify()
	return sent
}

// end ends the subscription unless it has ended already.
func (s *Subscription) end(slow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.ended {
		return
	}
	s.ended, s.slow = true, slow
	s.notify()
}

// notify puts a signal in ready unless one is there already. s.mu must be
// held.
func (s *Subscription) notify() {
	if s.signal {
		return
	}
	s.signal = true
	select {
	case s.ready <- struct{}{}:
	default:
	}
}
