package app

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/parleychat/parley"
)

// Every change a client may need to catch up on is written to a stream (see
// [parley.Change]) in the same store call as the change itself, and pushed
// from there: the frame a client receives live and the one GET /sync answers
// are made by the same function, show, and carry the same stream and
// position. Who receives a change follows from its stream alone: a
// conversation's members, a workspace's members, or the one user of a user
// stream, so that push and sync always agree on who may see what.
//
// A change to a message keeps only the message's ID and what was done; the
// message is read when the change is shown, so that a client catching up
// sees each message as it is now, and two edits stored in either order never
// leave a stale text behind. Membership and read-marker changes keep their
// whole payload, which does not depend on what happens later.

// messageFact is the data of a change to a message.
type messageFact struct {
	MessageID string       `json:"message_id"`
	UserID    string       `json:"user_id,omitempty"` // who reacted or pinned
	Name      string       `json:"name,omitempty"`    // the reaction
	PinnedAt  *parley.Time `json:"pinned_at,omitempty"`
}

// channelFact is the data of a channel_updated change.
type channelFact struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspace_id"`
}

// newChange returns a change of the given type for stream, holding data.
func (s *Service) newChange(stream, typ string, data any) *parley.Change {
	b, err := json.Marshal(data)
	if err != nil {
		// Every data type here is a plain struct of ours.
		panic("encode change data: " + err.Error())
	}
	return &parley.Change{Stream: stream, Type: typ, Data: b, CreatedAt: s.now()}
}

// messageChange returns a change of type typ to message m in its
// conversation's stream.
func (s *Service) messageChange(m *parley.Message, typ string, f messageFact) *parley.Change {
	f.MessageID = m.ID
	return s.newChange(m.ConversationID, typ, f)
}

// push sends stored changes to those who may see them, in the order of
// their positions in each stream. known is the message the changes are
// about, if the caller has it as it is now, which spares reading it again.
// also receives the changes of a conversation stream besides its members:
// the user who made the change, who may see a public channel without being
// in it.
//
// The changes are stored already, so a failure here loses only the push,
// which the client makes up with GET /sync.
func (s *Service) push(ctx context.Context, changes []*parley.Change, known *parley.Message, also ...string) {
	for _, c := range changes {
		if c.Pos == 0 {
			continue // not appended: the write changed nothing
		}
		s.order.inOrder(c.Stream, c.Pos, func() {
			receivers, err := s.audience(ctx, c.Stream)
			if err != nil {
				s.Logger.ErrorContext(ctx, "list receivers for push", "stream", c.Stream, "err", err)
				return
			}
			if isConversationStream(c.Stream) {
				receivers = compact(append(receivers, also...))
			}
			if s.Events == nil || len(receivers) == 0 {
				return
			}
			e, err := s.show(ctx, c, receivers, known)
			if err != nil {
				s.Logger.ErrorContext(ctx, "show change for push", "stream", c.Stream, "type", c.Type, "err", err)
				return
			}
			s.Events.Publish(ctx, e)
		})
	}
}

// audience returns the users who read stream now.
func (s *Service) audience(ctx context.Context, stream string) ([]string, error) {
	switch {
	case parley.IsDMConversation(stream):
		a, b, _ := strings.Cut(strings.TrimPrefix(stream, "dm:"), ":")
		return compact([]string{a, b}), nil
	case strings.HasPrefix(stream, "C"):
		return s.Store.ChannelMemberIDs(ctx, stream)
	case strings.HasPrefix(stream, "W"):
		return s.Store.WorkspaceMemberIDs(ctx, stream)
	default:
		return []string{stream}, nil
	}
}

// isConversationStream reports whether stream is a conversation's.
func isConversationStream(stream string) bool {
	return parley.IsDMConversation(stream) || strings.HasPrefix(stream, "C")
}

// show turns a change into the event a client receives, live or from
// GET /sync. known, if not nil, is the change's message as it is now.
func (s *Service) show(ctx context.Context, c *parley.Change, receivers []string, known *parley.Message) (*parley.Event, error) {
	payload, err := s.payload(ctx, c, known)
	if err != nil {
		return nil, err
	}
	return parley.NewChangeEvent(c, receivers, payload)
}

// payload returns what a change's frame carries besides its type, stream
// and position.
func (s *Service) payload(ctx context.Context, c *parley.Change, known *parley.Message) (any, error) {
	switch c.Type {
	case parley.EventMessage, parley.EventMessageChanged, parley.EventMessageDeleted,
		parley.EventThreadReply, parley.EventReactionAdded, parley.EventReactionRemoved,
		parley.EventMessagePinned, parley.EventMessageUnpinned:
		var f messageFact
		if err := json.Unmarshal(c.Data, &f); err != nil {
			return nil, err
		}
		m := known
		if m == nil || m.ID != f.MessageID {
			var err error
			if m, err = s.Store.Message(ctx, f.MessageID); err != nil {
				return nil, err
			}
			if err := s.describeMessages(ctx, m); err != nil {
				return nil, err
			}
		}
		return s.messagePayload(ctx, c.Type, f, m)

	case parley.EventChannelUpdated:
		var f channelFact
		if err := json.Unmarshal(c.Data, &f); err != nil {
			return nil, err
		}
		ch, err := s.Store.Channel(ctx, f.ID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return f, nil // deleted since; its channel_deleted follows
		} else if err != nil {
			return nil, err
		}
		return ch, s.describeChannel(ctx, ch)

	case EventChannelCreated, EventMemberJoinedChannel:
		// The channel comes as it is now, for a member who just learned
		// of it to show.
		var e MembershipEvent
		if err := json.Unmarshal(c.Data, &e); err != nil {
			return nil, err
		}
		ch, err := s.Store.Channel(ctx, e.ChannelID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return &e, nil // deleted since; its channel_deleted follows
		} else if err != nil {
			return nil, err
		}
		e.Channel = ch
		return &e, s.describeChannel(ctx, ch)
	}
	return c.Data, nil
}

// messagePayload returns the payload of a change of type typ to message m,
// which is described already.
func (s *Service) messagePayload(ctx context.Context, typ string, f messageFact, m *parley.Message) (any, error) {
	switch typ {
	case parley.EventReactionAdded, parley.EventReactionRemoved:
		email, err := s.email(ctx, f.UserID)
		return &ReactionEvent{
			MessageID: m.ID, Seq: m.Seq, WorkspaceID: m.WorkspaceID, ChannelID: m.ChannelID,
			Receiver: m.Receiver, Name: f.Name, User: email, UserID: f.UserID, Reactions: m.Reactions,
		}, err
	case parley.EventMessagePinned, parley.EventMessageUnpinned:
		email, err := s.email(ctx, f.UserID)
		e := &PinEvent{
			MessageID: m.ID, Seq: m.Seq, WorkspaceID: m.WorkspaceID, ChannelID: m.ChannelID, User: email,
		}
		if f.PinnedAt != nil {
			e.PinnedAt = *f.PinnedAt
		}
		return e, err
	}
	return m, nil
}

// email returns the email of one user.
func (s *Service) email(ctx context.Context, userID string) (string, error) {
	emails, err := s.emails(ctx, []string{userID})
	return emails[userID], err
}
