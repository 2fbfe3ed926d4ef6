package app

import (
	"context"
	"hash/fnv"
	"sync"

	"github.com/parleychat/parley"
)

// ReactionEvent is the payload of reaction_added and reaction_removed: who
// reacted with what, where, and the message's reactions afterwards.
type ReactionEvent struct {
	MessageID   string            `json:"message_id"`
	Seq         int64             `json:"seq"`
	WorkspaceID string            `json:"workspace_id,omitempty"`
	ChannelID   string            `json:"channel_id,omitempty"`
	Receiver    string            `json:"receiver,omitempty"`
	Name        string            `json:"name"`
	User        string            `json:"user"`
	UserID      string            `json:"user_id"`
	Reactions   []parley.Reaction `json:"reactions"`
}

// PinnedMessage is a pin as the API shows it.
type PinnedMessage struct {
	Message  *parley.Message `json:"message"`
	PinnedBy string          `json:"pinned_by"`
	PinnedAt parley.Time     `json:"pinned_at"`
}

// PinEvent is the payload of message_pinned and message_unpinned.
type PinEvent struct {
	MessageID   string      `json:"message_id"`
	Seq         int64       `json:"seq"`
	WorkspaceID string      `json:"workspace_id"`
	ChannelID   string      `json:"channel_id"`
	User        string      `json:"user"`
	PinnedAt    parley.Time `json:"pinned_at,omitzero"`
}

// ThreadPage is a page of a thread: its root and some of its replies.
type ThreadPage struct {
	Root     *parley.Message   `json:"root"`
	Messages []*parley.Message `json:"messages"`
	HasMore  bool              `json:"has_more"`
}

// EditMessage replaces a message's text. Only its sender may, and not in an
// archived channel or once it is deleted. Mentions are read anew.
func (s *Service) EditMessage(ctx context.Context, messageID, text string) (*parley.Message, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	text, err = normalizeText("message", text, MaxMessageLen)
	if err != nil {
		return nil, err
	}
	defer s.lock(messageID)()
	m, c, err := s.visibleMessage(ctx, u.ID, messageID)
	if err != nil {
		return nil, err
	} else if m.SenderID != u.ID {
		return nil, parley.Errorf(parley.EFORBIDDEN, "only the sender may edit a message")
	} else if m.Deleted {
		return nil, parley.Errorf(parley.ECONFLICT, "the message was deleted")
	} else if err := c.writable(); err != nil {
		return nil, err
	}

	m.Text = text
	if err := s.mention(ctx, c, m); err != nil {
		return nil, err
	}
	now := s.now()
	mentions := m.Mentions
	change := s.messageChange(m, parley.EventMessageChanged, messageFact{})
	upd := parley.MessageUpdate{Text: &text, Mentions: &mentions, EditedAt: &now}
	m, err = s.store.UpdateMessage(ctx, m.ID, upd, change)
	if err != nil {
		return nil, err
	}
	err = s.describeMessages(ctx, m)
	s.push(ctx, []*parley.Change{change}, described(m, err), u.ID)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DeleteMessage makes a message a tombstone: its text, mentions, reactions
// and pin go, its place in history and its replies stay. The sender may, and
// in a channel the workspace admin. Deleting twice answers the same.
func (s *Service) DeleteMessage(ctx context.Context, messageID string) (*parley.Message, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	defer s.lock(messageID)()
	m, c, err := s.managedMessage(ctx, u.ID, messageID)
	if err != nil {
		return nil, err
	}
	admin := c.channel != nil && c.channel.workspace.AdminID == u.ID
	if m.SenderID != u.ID && !admin {
		return nil, parley.Errorf(parley.EFORBIDDEN, "only the sender or the workspace admin may delete a message")
	}

	change := s.messageChange(m, parley.EventMessageDeleted, messageFact{})
	m, deleted, err := s.store.DeleteMessage(ctx, m.ID, change)
	if err != nil {
		return nil, err
	}
	if deleted {
		s.Logger.InfoContext(ctx, "message deleted", "message_id", m.ID, "user_id", u.ID)
	}
	err = s.describeMessages(ctx, m)
	s.push(ctx, []*parley.Change{change}, described(m, err), u.ID)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// React adds the caller's reaction to a message they may see. Reacting
// again with the same name changes nothing.
func (s *Service) React(ctx context.Context, messageID, name string) (*parley.Message, error) {
	return s.react(ctx, messageID, name, true)
}

// Unreact removes the caller's reaction. Removing one that is not there
// changes nothing.
func (s *Service) Unreact(ctx context.Context, messageID, name string) (*parley.Message, error) {
	return s.react(ctx, messageID, name, false)
}

// react adds or removes a reaction and pushes the change.
func (s *Service) react(ctx context.Context, messageID, name string, add bool) (*parley.Message, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	name, err = NormalizeReactionName(name)
	if err != nil {
		return nil, err
	}
	defer s.lock(messageID)()
	m, c, err := s.visibleMessage(ctx, u.ID, messageID)
	if err != nil {
		return nil, err
	} else if err := c.writable(); err != nil {
		return nil, err
	} else if m.Deleted {
		return nil, parley.Errorf(parley.ECONFLICT, "the message was deleted")
	}

	if add && len(m.Reactions) >= MaxReactionNames && !hasReaction(m, name) {
		return nil, parley.Errorf(parley.ECONFLICT, "a message takes at most %d different reactions", MaxReactionNames)
	}

	typ := parley.EventReactionAdded
	if !add {
		typ = parley.EventReactionRemoved
	}
	change := s.messageChange(m, typ, messageFact{UserID: u.ID, Name: name})
	// A reaction already there, or not there to remove, appends no
	// change, and push skips it.
	if add {
		_, err = s.store.AddReaction(ctx, m.ID, u.ID, name, change)
	} else {
		_, err = s.store.RemoveReaction(ctx, m.ID, u.ID, name, change)
	}
	if err != nil {
		return nil, err
	}
	m, err = s.store.Message(ctx, m.ID)
	if err == nil {
		err = s.describeMessages(ctx, m)
	}
	s.push(ctx, []*parley.Change{change}, described(m, err), u.ID)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Pin pins a channel message to its channel. Channel members may, while the
// channel is not archived. Pinning twice changes nothing.
func (s *Service) Pin(ctx context.Context, messageID string) (*PinnedMessage, error) {
	defer s.lock(messageID)()
	u, m, _, err := s.pinnable(ctx, messageID)
	if err != nil {
		return nil, err
	} else if m.Deleted {
		return nil, parley.Errorf(parley.ECONFLICT, "the message was deleted")
	}

	p := &parley.Pin{ChannelID: m.ChannelID, MessageID: m.ID, PinnedByID: u.ID, PinnedAt: s.now()}
	change := s.messageChange(m, parley.EventMessagePinned, messageFact{UserID: u.ID, PinnedAt: &p.PinnedAt})
	pinned, err := s.store.PinMessage(ctx, p, change)
	if err != nil {
		return nil, err
	}
	if pinned {
		s.push(ctx, []*parley.Change{change}, m)
	}
	return s.pinOf(ctx, m)
}

// Unpin unpins a message. Channel members may. Unpinning a message that is
// not pinned changes nothing.
func (s *Service) Unpin(ctx context.Context, messageID string) error {
	defer s.lock(messageID)()
	u, m, _, err := s.pinnable(ctx, messageID)
	if err != nil {
		return err
	}
	change := s.messageChange(m, parley.EventMessageUnpinned, messageFact{UserID: u.ID})
	unpinned, err := s.store.UnpinMessage(ctx, m.ID, change)
	if err != nil {
		return err
	}
	if unpinned {
		s.push(ctx, []*parley.Change{change}, m)
	}
	return nil
}

// Pins lists a channel's pinned messages, the most recently pinned first,
// to its members.
func (s *Service) Pins(ctx context.Context, workspaceID, channelID string) ([]*PinnedMessage, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.channelConversation(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	} else if !c.channel.isMember {
		return nil, parley.Errorf(parley.EFORBIDDEN, "only channel members may list pins")
	}

	pins, err := s.store.Pins(ctx, c.channel.channel.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*PinnedMessage, 0, len(pins))
	msgs := make([]*parley.Message, 0, len(pins))
	for _, p := range pins {
		m, err := s.store.Message(ctx, p.MessageID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			continue // deleted since the pins were read
		} else if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
		out = append(out, &PinnedMessage{Message: m, PinnedBy: p.PinnedByID, PinnedAt: p.PinnedAt})
	}
	if err := s.describeMessages(ctx, msgs...); err != nil {
		return nil, err
	}
	return out, s.pinnersToEmails(ctx, out)
}

// Thread returns the root of a thread and a page of its replies, to those
// who may see the root. Given a reply, it answers with that reply's thread.
func (s *Service) Thread(ctx context.Context, messageID string, p PageRequest) (*ThreadPage, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	root, c, err := s.visibleMessage(ctx, u.ID, messageID)
	if err != nil {
		return nil, err
	}
	if root.ParentID != "" {
		if root, err = s.store.Message(ctx, root.ParentID); err != nil {
			return nil, err
		}
	}

	f.ParentID, f.IncludeReplies = root.ID, false
	page, err := s.history(ctx, c.id, f)
	if err != nil {
		return nil, err
	}
	if err := s.describeMessages(ctx, root); err != nil {
		return nil, err
	}
	return &ThreadPage{Root: root, Messages: page.Messages, HasMore: page.HasMore}, nil
}

// hasReaction reports whether the message has a reaction with the name.
func hasReaction(m *parley.Message, name string) bool {
	for _, r := range m.Reactions {
		if r.Name == name {
			return true
		}
	}
	return false
}

// keyLocks serializes the changes to one thing on this node, such as one
// message or one read marker, from the store write to the push, so that
// their events go out in the order the changes were made: an edit that
// lands just before a delete cannot push its text after message_deleted.
// Stripes bound the memory; two keys that share a stripe merely wait for
// each other.
//
// The store refuses changes to a tombstone whatever the order, so state is
// right across nodes too; there the order of events between nodes is left
// to the broker, and a client that sees an edit after a delete can trust
// history, which holds the tombstone.
type keyLocks [64]sync.Mutex

// lock locks the key's stripe and returns the unlock.
func (s *Service) lock(id string) func() {
	h := fnv.New32a()
	h.Write([]byte(id))
	mu := &s.locks[h.Sum32()%uint32(len(s.locks))]
	mu.Lock()
	return mu.Unlock
}

// pinnable returns a channel message the caller may pin or unpin.
func (s *Service) pinnable(ctx context.Context, messageID string) (*parley.User, *parley.Message, *conversation, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	m, c, err := s.visibleMessage(ctx, u.ID, messageID)
	if err != nil {
		return nil, nil, nil, err
	} else if c.channel == nil {
		return nil, nil, nil, parley.Errorf(parley.EINVALID, "only channel messages can be pinned")
	} else if err := c.canPost(u.ID); err != nil {
		return nil, nil, nil, err
	}
	return u, m, c, nil
}

// pinOf returns the pin of a message as it is stored.
func (s *Service) pinOf(ctx context.Context, m *parley.Message) (*PinnedMessage, error) {
	pins, err := s.store.Pins(ctx, m.ChannelID)
	if err != nil {
		return nil, err
	}
	for _, p := range pins {
		if p.MessageID == m.ID {
			if err := s.describeMessages(ctx, m); err != nil {
				return nil, err
			}
			pm := &PinnedMessage{Message: m, PinnedBy: p.PinnedByID, PinnedAt: p.PinnedAt}
			return pm, s.pinnersToEmails(ctx, []*PinnedMessage{pm})
		}
	}
	return nil, parley.Errorf(parley.ENOTFOUND, "message not found")
}

// pinnersToEmails replaces the pinners' IDs with their emails.
func (s *Service) pinnersToEmails(ctx context.Context, pins []*PinnedMessage) error {
	ids := make([]string, len(pins))
	for i, p := range pins {
		ids[i] = p.PinnedBy
	}
	emails, err := s.emails(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range pins {
		p.PinnedBy = emails[p.PinnedBy]
	}
	return nil
}
