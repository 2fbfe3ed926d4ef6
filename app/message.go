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
// member. Only channel members may post. The message is pushed only after it
// is stored, and only to those who are members when it is pushed.
func (s *Service) PostChannelMessage(ctx context.Context, workspaceID, channelID string, d Draft) (*parley.Message, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	v, err := s.visibleChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	} else if !v.isMember {
		return nil, parley.Errorf(parley.EFORBIDDEN, "only channel members may post")
	}

	m, created, err := s.Store.AppendMessage(ctx, &parley.Message{
		ID: newID("M"), ConversationID: v.channel.ID,
		WorkspaceID: v.workspace.ID, ChannelID: v.channel.ID,
		SenderID: u.ID, Text: d.Text, ClientMsgID: d.ClientMsgID, CreatedAt: s.now(),
	})
	if err != nil {
		return nil, err
	}
	m.Sender = u.Email

	if created {
		s.stored.Add(1)
		members, err := s.Store.ChannelMemberIDs(ctx, v.channel.ID)
		if err != nil {
			// The message is stored and will be found in history; only
			// its push is lost, so the send still succeeds.
			s.Logger.ErrorContext(ctx, "list channel members for push", "channel_id", v.channel.ID, "err", err)
		}
		s.publish(ctx, parley.EventMessage, members, m)
	}
	return m, nil
}

// ChannelHistory returns a page of a channel's messages to those who may see
// the channel.
func (s *Service) ChannelHistory(ctx context.Context, workspaceID, channelID string, p PageRequest) (*parley.MessagePage, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	v, err := s.visibleChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	}
	return s.history(ctx, v.channel.ID, f)
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
	shared, err := s.Store.SharesWorkspace(ctx, u.ID, to.ID)
	if err != nil {
		return nil, err
	} else if !shared {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	}

	m, created, err := s.Store.AppendMessage(ctx, &parley.Message{
		ID: newID("M"), ConversationID: parley.DMConversationID(u.ID, to.ID),
		SenderID: u.ID, ReceiverID: to.ID,
		Text: d.Text, ClientMsgID: d.ClientMsgID, CreatedAt: s.now(),
	})
	if err != nil {
		return nil, err
	}
	m.Sender, m.Receiver = u.Email, to.Email

	if created {
		s.stored.Add(1)
		s.publish(ctx, parley.EventMessage, compact([]string{u.ID, to.ID}), m)
	}
	return m, nil
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
	peer, err := s.userByEmail(ctx, other)
	if err != nil {
		return nil, err
	}
	return s.history(ctx, parley.DMConversationID(u.ID, peer.ID), f)
}

// history reads a page of a conversation and fills in the users' emails.
func (s *Service) history(ctx context.Context, conversationID string, f parley.MessageFilter) (*parley.MessagePage, error) {
	page, err := s.Store.Messages(ctx, conversationID, f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, 2*len(page.Messages))
	for _, m := range page.Messages {
		ids = append(ids, m.SenderID, m.ReceiverID)
	}
	emails, err := s.emails(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, m := range page.Messages {
		m.Sender, m.Receiver = emails[m.SenderID], emails[m.ReceiverID]
	}
	if page.Messages == nil {
		page.Messages = []*parley.Message{}
	}
	return page, nil
}
