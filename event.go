package parley

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Event types pushed to WebSocket clients.
const (
	EventMessage         = "message"          // a new message or reply: the Message
	EventMessageChanged  = "message_changed"  // an edit: the Message as it is now
	EventMessageDeleted  = "message_deleted"  // a delete: the tombstone, without text
	EventThreadReply     = "thread_reply"     // a reply arrived: the root with its new reply count
	EventReactionAdded   = "reaction_added"   // see app.ReactionEvent
	EventReactionRemoved = "reaction_removed" // see app.ReactionEvent
	EventMessagePinned   = "message_pinned"   // see app.PinEvent
	EventMessageUnpinned = "message_unpinned" // see app.PinEvent
	EventChannelUpdated  = "channel_updated"  // a rename, topic, purpose or archive: the Channel
)

// Event is a change addressed to the users who may see it. Its Frame is the
// whole WebSocket frame, encoded once by [NewEvent] and written unchanged to
// every receiving connection, on this node or, through a broker, on others.
// Frame is shared by all of them and must never be modified.
type Event struct {
	Type    string   `json:"type"`
	UserIDs []string `json:"user_ids"`
	Frame   []byte   `json:"frame"`
}

// NewEvent encodes payload, a JSON object, as the frame
// {"type": typ, ...payload} for the given receivers.
func NewEvent(typ string, userIDs []string, payload any) (*Event, error) {
	return newEvent(typ, nil, userIDs, payload)
}

// NewChangeEvent encodes payload, a JSON object, as the frame of the change
// c: {"type": c.Type, "stream": c.Stream, "pos": c.Pos, ...payload}. A
// client that keeps the highest position it has seen of each stream knows
// from it whether it missed a change or got one twice.
func NewChangeEvent(c *Change, userIDs []string, payload any) (*Event, error) {
	head := fmt.Appendf(nil, `,"stream":%q,"pos":%d`, c.Stream, c.Pos)
	return newEvent(c.Type, head, userIDs, payload)
}

// newEvent encodes payload as a frame that starts with typ and then head,
// a run of encoded fields with a leading comma.
func newEvent(typ string, head []byte, userIDs []string, payload any) (*Event, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", typ, err)
	} else if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("encode %s event: payload is not an object", typ)
	}

	frame := make([]byte, 0, len(body)+len(typ)+len(head)+12)
	frame = append(frame, `{"type":`...)
	frame = strconv.AppendQuote(frame, typ)
	frame = append(frame, head...)
	if len(body) > 2 {
		frame = append(frame, ',')
	}
	frame = append(frame, body[1:]...)
	return &Event{Type: typ, UserIDs: userIDs, Frame: frame}, nil
}

// Publisher delivers events to the connections of their receivers.
//
// Publish never waits on a slow connection: a connection that cannot keep up
// is closed instead, and its client catches up with GET /sync. It is safe
// for concurrent use. Delivery is best effort; the change streams are the
// record.
type Publisher interface {
	Publish(ctx context.Context, e *Event)
}

// Hub is the local end of event delivery: it holds the subscriptions of the
// connections open on this node and delivers published events to them.
//
// Subscribe and Unsubscribe are safe for concurrent use with each other and
// with Publish. Close ends every subscription; it is for shutdown.
type Hub interface {
	Publisher
	// Subscribe opens a subscription for the user's events.
	Subscribe(userID string) Subscription
	// Unsubscribe ends s. Ending a subscription twice is harmless.
	Unsubscribe(s Subscription)
	// Close ends every subscription, none of them as slow.
	Close()
}

// Subscription is one connection's feed of events.
type Subscription interface {
	// Ready receives a value when frames may be waiting or the
	// subscription has ended; the writer then calls Take.
	Ready() <-chan struct{}
	// Take returns the waiting frames in order, appended to buf[:0], and
	// false once the subscription has ended and nothing is left to take.
	Take(buf [][]byte) (frames [][]byte, ok bool)
	// Slow reports whether the subscription was ended because it could not
	// keep up. The writer then stops at once and closes its connection
	// with code 1013; its client catches up with GET /sync.
	Slow() bool
}
