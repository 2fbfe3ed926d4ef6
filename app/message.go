package app

import (
	"context"

	"github.com/parleychat/parley"
)

// Draft is a message as a client sends it.
type Draft struct {
	Text string `json:"message"`
	// ClientMsgID makes a send idempotent: a second send with the same ID
	// by the same sender to the same conversation stores nothing new and
	// answers with the first message.
	ClientMsgID string `json:"client_msg_id,omitempty"`
	// ParentID makes the message a reply in that message's thread; a reply
	// to a reply joins the same thread. AlsoToChannel shows a reply in the
	// channel's history too.
	ParentID      string `json:"parent_id,omitempty"`
	AlsoToChannel bool   `json:"also_to_channel,omitempty"`
}

// check validates and normalizes a draft.
func (d *Draft) check() error {
	text, err := normalizeText("message", d.Text, MaxMessageLen)
	if err != nil {
		return err
	}
	d.Text = text
	return checkClientMsgID(d.ClientMsgID)
}

// PostChannelMessage stores a message in a channel and pushes it to every
// member. Only channel members may post, and not into an archived channel.
// The message is pushed only after it is stored, and only to those who are
// members when it is pushed.
func (s *Service) PostChannelMessage(ctx context.Context, workspaceID, channelID string, d Draft) (*parley.Message, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	c, err := s.channelConversation(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	}
	return s.post(ctx, u, c, d)
}

// ChannelHistory returns a page of a channel's messages to those who may see
// the channel. Thread replies are left out unless they were sent to the
// channel too, or includeReplies is set.
func (s *Service) ChannelHistory(ctx context.Context, workspaceID, channelID string, p PageRequest) (*parley.MessagePage, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	c, err := s.channelConversation(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	}
	return s.history(ctx, c.id, f)
}

// PostDirectMessage stores a direct message from sender, who must be the
// caller, to receiver, and pushes it to both. The two must share a
// workspace; a receiver the caller shares none with is reported as not found.
func (s *Service) PostDirectMessage(ctx context.Context, sender, receiver string, d Draft) (*parley.Message, error) {
	spoof := parley.Errorf(parley.EFORBIDDEN, "the sender must be you")
	if _, err := callerNamed(ctx, sender, spoof); err != nil {
		return nil, err
	}
	return s.SendDirectMessage(ctx, receiver, d)
}

// SendDirectMessage is PostDirectMessage from the caller, for clients that
// name only the receiver, as the WebSocket dmChat action does.
func (s *Service) SendDirectMessage(ctx context.Context, receiver string, d Draft) (*parley.Message, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	to, err := s.userByEmail(ctx, receiver)
	if err != nil {
		return nil, err
	}
	shared, err := s.store.SharesWorkspace(ctx, u.ID, to.ID)
	if err != nil {
		return nil, err
	} else if !shared {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	}
	return s.post(ctx, u, directConversation(u.ID, to.ID), d)
}

// DirectHistory returns a page of the direct conversation between two users,
// both directions together, to either of them.
func (s *Service) DirectHistory(ctx context.Context, userA, userB string, p PageRequest) (*parley.MessagePage, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	a, errA := NormalizeEmail(userA)
	b, errB := NormalizeEmail(userB)
	if errA != nil {
		return nil, errA
	} else if errB != nil {
		return nil, errB
	}

	other := b
	if a != u.Email {
		if b != u.Email {
			return nil, notYours()
		}
		other = a
	}
	// A conversation with nobody is empty, just as one with a user who was
	// never written to, so that the answer does not tell which emails
	// have accounts.
	peer, err := s.userByEmail(ctx, other)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return &parley.MessagePage{Messages: []*parley.Message{}}, nil
	} else if err != nil {
		return nil, err
	}
	return s.history(ctx, parley.DMConversationID(u.ID, peer.ID), f)
}

// post stores a checked draft from u in the conversation and pushes it: the
// message to every member, and, for a reply, the root's new reply count.
func (s *Service) post(ctx context.Context, u *parley.User, c *conversation, d Draft) (*parley.Message, error) {
	if err := c.canPost(u.ID); err != nil {
		return nil, err
	}
	m := &parley.Message{
		ID: newID("M"), SenderID: u.ID,
		Text: d.Text, ClientMsgID: d.ClientMsgID, CreatedAt: s.now(),
	}
	c.stamp(m)
	if c.channel == nil {
		m.ReceiverID = c.userIDs[1]
	}

	var root *parley.Message
	if d.ParentID != "" {
		var err error
		if root, err = s.threadRoot(ctx, c, d.ParentID); err != nil {
			return nil, err
		}
		m.ParentID, m.AlsoToChannel = root.ID, d.AlsoToChannel
	}
	if err := s.mention(ctx, c, m); err != nil {
		return nil, err
	}

	changes := []*parley.Change{s.messageChange(m, parley.EventMessage, messageFact{})}
	if root != nil {
		// The root's new reply count, for clients to show without
		// loading the thread.
		changes = append(changes, s.messageChange(root, parley.EventThreadReply, messageFact{}))
	}
	m, created, err := s.store.AppendMessage(ctx, m, changes...)
	if err != nil {
		return nil, err
	}
	if created {
		s.stored.Add(1)
	}
	err = s.describeMessages(ctx, m)
	s.push(ctx, changes, described(m, err))
	if err != nil {
		return nil, err
	}
	return m, nil
}

// mention sets m.Mentions from its text, among the conversation's members.
func (s *Service) mention(ctx context.Context, c *conversation, m *parley.Message) error {
	m.Mentions = nil
	if !mentionPattern.MatchString(m.Text) {
		return nil
	}
	members, err := c.memberIDs(ctx, s)
	if err != nil {
		return err
	}
	m.Mentions = s.mentions(m.Text, members, m.SenderID)
	return nil
}

// history reads a page of a conversation and fills in the users' emails.
func (s *Service) history(ctx context.Context, conversationID string, f parley.MessageFilter) (*parley.MessagePage, error) {
	page, err := s.store.Messages(ctx, conversationID, f)
	if err != nil {
		return nil, err
	}
	if err := s.describeMessages(ctx, page.Messages...); err != nil {
		return nil, err
	}
	if page.Messages == nil {
		page.Messages = []*parley.Message{}
	}
	return page, nil
}
