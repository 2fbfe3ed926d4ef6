package realtime

import "sync"

// Subscription is one connection's place on a [Hub]: the queue of frames
// the connection has yet to write.
type Subscription struct {
	// UserID is the user the subscription receives events for.
	UserID string

	// mu guards ended and slow, and is held for every send on frames and
	// for its close. A send therefore never meets a closed channel, however
	// Publish, Unsubscribe and Close race.
	mu     sync.Mutex
	frames chan []byte
	ended  bool
	slow   bool
}

// Frames returns the frames to write, in the order they were published. The
// channel is closed when the subscription ends, by [Hub.Unsubscribe], by
// [Hub.Close] or for being slow; frames queued before that can still be read
// first. The frames are shared with every other receiver and must not be
// modified.
func (s *Subscription) Frames() <-chan []byte {
	return s.frames
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
	select {
	case s.frames <- frame:
		return sent
	default:
		s.ended, s.slow = true, true
		close(s.frames)
		return full
	}
}

// end closes the subscription's channel unless it is closed already.
func (s *Subscription) end(slow bool) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.ended {
		return
	}
	s.ended, s.slow = true, slow
	close(s.frames)
}
