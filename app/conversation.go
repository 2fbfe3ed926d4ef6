package app

import (
	"context"

	"github.com/parleychat/parley"
)

// conversation is where a message lives, as the caller sees it: a channel
// they may see, or a direct conversation they are part of. Every rule that
// applies to both kinds goes through it.
type conversation struct {
	id string
	// channel is set for a channel; userIDs for a direct conversation,
	// holding its two parties (the same one twice for notes to self).
	channel *channelView
	userIDs []string
}

// memberIDs returns who receives the conversation's events: the channel's
// members, read now, or the two parties.
func (c *conversation) memberIDs(ctx context.Context, s *Service) ([]string, error) {
	if c.channel == nil {
		return compact(c.userIDs), nil
	}
	return s.store.ChannelMemberIDs(ctx, c.channel.channel.ID)
}

// canPost reports whether the user may write into the conversation: a
// channel takes messages from its members while it is not archived.
func (c *conversation) canPost(userID string) error {
	if c.channel == nil {
		return nil
	} else if !c.channel.isMember {
		return parley.Errorf(parley.EFORBIDDEN, "only channel members may do this")
	}
	return c.writable()
}

// writable refuses changes to an archived channel.
func (c *conversation) writable() error {
	if c.channel != nil && c.channel.channel.Archived {
		return parley.Errorf(parley.ECONFLICT, "the channel is archived")
	}
	return nil
}

// stamp sets the fields of m that place it in the conversation.
func (c *conversation) stamp(m *parley.Message) {
	m.ConversationID = c.id
	if c.channel != nil {
		m.WorkspaceID = c.channel.workspace.ID
		m.ChannelID = c.channel.channel.ID
	}
}

// channelConversation returns a channel the user may see as a conversation.
func (s *Service) channelConversation(ctx context.Context, userID, workspaceID, channelID string) (*conversation, error) {
	v, err := s.visibleChannel(ctx, userID, workspaceID, channelID)
	if err != nil {
		return nil, err
	}
	return &conversation{id: v.channel.ID, channel: v}, nil
}

// directConversation returns the direct conversation of two users.
func directConversation(userID, peerID string) *conversation {
	return &conversation{id: parley.DMConversationID(userID, peerID), userIDs: []string{userID, peerID}}
}

// visibleMessage returns a message and its conversation if the user may see
// it, and ENOTFOUND otherwise.
func (s *Service) visibleMessage(ctx context.Context, userID, messageID string) (*parley.Message, *conversation, error) {
	notFound := parley.Errorf(parley.ENOTFOUND, "message not found")
	if messageID == "" {
		return nil, nil, parley.Errorf(parley.EINVALID, "message_id is required")
	}
	m, err := s.store.Message(ctx, messageID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, nil, notFound
	} else if err != nil {
		return nil, nil, err
	}

	if m.ChannelID == "" {
		if m.SenderID != userID && m.ReceiverID != userID {
			return nil, nil, notFound
		}
		peer := m.ReceiverID
		if peer == userID {
			peer = m.SenderID
		}
		return m, directConversation(userID, peer), nil
	}
	c, err := s.channelConversation(ctx, userID, m.WorkspaceID, m.ChannelID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, nil, notFound
	}
	return m, c, err
}

// managedMessage is visibleMessage for deleting a message: the workspace
// admin reaches the messages of private channels they are not in too, as
// managedChannel lets them reach the channels.
func (s *Service) managedMessage(ctx context.Context, userID, messageID string) (*parley.Message, *conversation, error) {
	m, c, err := s.visibleMessage(ctx, userID, messageID)
	if parley.ErrorCode(err) != parley.ENOTFOUND || messageID == "" {
		return m, c, err
	}
	stored, lookupErr := s.store.Message(ctx, messageID)
	if lookupErr != nil || stored.ChannelID == "" {
		return nil, nil, err
	}
	v, viewErr := s.managedChannel(ctx, userID, stored.WorkspaceID, stored.ChannelID)
	if viewErr != nil {
		return nil, nil, err
	}
	return stored, &conversation{id: v.channel.ID, channel: v}, nil
}

// threadRoot returns the root of the thread that a reply to parentID joins:
// the parent itself, or, for a reply to a reply, the parent's root. The
// parent must be in the conversation.
func (s *Service) threadRoot(ctx context.Context, c *conversation, parentID string) (*parley.Message, error) {
	wrong := parley.Errorf(parley.EINVALID, "parent_id names no message in this conversation")
	parent, err := s.store.Message(ctx, parentID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, wrong
	} else if err != nil {
		return nil, err
	} else if parent.ConversationID != c.id {
		return nil, wrong
	}
	if parent.ParentID == "" {
		return parent, nil
	}
	return s.store.Message(ctx, parent.ParentID)
}

// describeMessages fills in the emails of the users that messages name:
// senders, receivers and those who reacted.
func (s *Service) describeMessages(ctx context.Context, msgs ...*parley.Message) error {
	ids := make([]string, 0, 2*len(msgs))
	for _, m := range msgs {
		ids = append(ids, m.SenderID, m.ReceiverID)
		for _, r := range m.Reactions {
			ids = append(ids, r.UserIDs...)
		}
	}
	emails, err := s.emails(ctx, ids)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		m.Sender, m.Receiver = emails[m.SenderID], emails[m.ReceiverID]
		for i := range m.Reactions {
			m.Reactions[i].Users = lookup(emails, m.Reactions[i].UserIDs)
		}
	}
	return nil
}
