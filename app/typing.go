package app

import (
	"context"
	"sync"
	"time"

	"github.com/parleychat/parley"
)

// TypingInterval is the least time between two typing events of one user in
// one conversation: clients send typing on every keystroke, and the others
// need to hear it only now and then.
const TypingInterval = 3 * time.Second

// TypingRequest names the conversation a user is typing in: a channel
// (workspace_id and channel_id) or a direct conversation (receiver).
type TypingRequest struct {
	WorkspaceID string `json:"workspace_id"`
	ChannelID   string `json:"channel_id"`
	Receiver    string `json:"receiver"`
}

// TypingEvent is the payload of typing.
type TypingEvent struct {
	User        string `json:"user"`
	UserID      string `json:"user_id"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	ChannelID   string `json:"channel_id,omitempty"`
	Receiver    string `json:"receiver,omitempty"`
}

// typingThrottle remembers when each user last announced typing in each
// conversation. Entries older than TypingInterval are swept now and then,
// so that it holds only those typing recently.
type typingThrottle struct {
	mu    sync.Mutex
	last  map[string]time.Time
	swept time.Time
}

// allow reports whether key may announce typing at now, and if so notes it.
func (t *typingThrottle) allow(key string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[string]time.Time{}
	}
	if now.Sub(t.swept) > time.Minute {
		for k, at := range t.last {
			if now.Sub(at) >= TypingInterval {
				delete(t.last, k)
			}
		}
		t.swept = now
	}
	if at, ok := t.last[key]; ok && now.Sub(at) < TypingInterval {
		return false
	}
	t.last[key] = now
	return true
}

// Typing tells the other members of a conversation that the caller is
// typing. It is never stored, and at most one event per TypingInterval
// goes out for a user and conversation; the others are dropped quietly.
// The caller must be able to post there.
func (s *Service) Typing(ctx context.Context, r TypingRequest) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	}
	var c *conversation
	e := &TypingEvent{User: u.Email, UserID: u.ID}
	switch {
	case r.Receiver != "" && r.ChannelID != "":
		return parley.Errorf(parley.EINVALID, "give channel_id or receiver, not both")
	case r.Receiver != "":
		to, err := s.userByEmail(ctx, r.Receiver)
		if err != nil {
			return err
		}
		if shared, err := s.store.SharesWorkspace(ctx, u.ID, to.ID); err != nil {
			return err
		} else if !shared {
			return parley.Errorf(parley.ENOTFOUND, "user not found")
		}
		c, e.Receiver = directConversation(u.ID, to.ID), to.Email
	case r.ChannelID == "":
		return parley.Errorf(parley.EINVALID, "give workspace_id and channel_id, or receiver")
	default:
		if c, err = s.channelConversation(ctx, u.ID, r.WorkspaceID, r.ChannelID); err != nil {
			return err
		}
		e.WorkspaceID, e.ChannelID = c.channel.workspace.ID, c.id
	}
	if err := c.canPost(u.ID); err != nil {
		return err
	}

	if !s.typing.allow(u.ID+"|"+c.id, s.Now()) {
		return nil
	}
	members, err := c.memberIDs(ctx, s)
	if err != nil {
		return err
	}
	others := make([]string, 0, len(members))
	for _, id := range members {
		if id != u.ID {
			others = append(others, id)
		}
	}
	s.publish(ctx, EventTyping, others, e)
	return nil
}
