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
// are made by the same function, payload, and carry the same stream and
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
// about, if the caller has it as it is now and described, which spares
// reading it again. also receives the changes of a conversation stream
// besides its members: the user who made the change, who may see a public
// channel without being in it. Not reading the stream, they get the event
// without its stream and position, which would only send their client to
// GET /sync for a stream it does not read.
//
// The changes are stored already, so a failure here loses only the push,
// which the client makes up with GET /sync.
func (s *Service) push(ctx context.Context, changes []*parley.Change, known *parley.Message, also ...string) {
	if s.Events == nil {
		return
	}
	for _, c := range changes {
		if c.Pos == 0 {
			continue // not appended: the write changed nothing
		}
		s.order.inOrder(c.Stream, c.Pos, func() {
			if err := s.pushOne(ctx, c, known, also); err != nil {
				s.Logger.ErrorContext(ctx, "push change", "stream", c.Stream, "type", c.Type, "err", err)
			}
		})
	}
}

// pushOne publishes one change to the readers of its stream, and to those
// of also who do not read it.
func (s *Service) pushOne(ctx context.Context, c *parley.Change, known *parley.Message, also []string) error {
	readers, err := s.audience(ctx, c.Stream)
	if err != nil {
		return err
	}
	var others []string
	if isConversationStream(c.Stream) {
		for _, id := range compact(also) {
			if !contains(readers, id) {
				others = append(others, id)
			}
		}
	}
	if len(readers) == 0 && len(others) == 0 {
		return nil
	}

	payload, err := s.payload(ctx, c, known, nil)
	if err != nil {
		return err
	}
	for _, to := range []struct {
		ids    []string
		encode func([]string) (*parley.Event, error)
	}{
		{readers, func(ids []string) (*parley.Event, error) { return parley.NewChangeEvent(c, ids, payload) }},
		{others, func(ids []string) (*parley.Event, error) { return parley.NewEvent(c.Type, ids, payload) }},
	} {
		if len(to.ids) == 0 {
			continue
		}
		e, err := to.encode(to.ids)
		if err != nil {
			return err
		}
		s.Events.Publish(ctx, e)
	}
	return nil
}

// described returns m if describing it went well (err is nil), and nil
// otherwise, for push to read the message itself.
func described(m *parley.Message, err error) *parley.Message {
	if err != nil {
		return nil
	}
	return m
}

// audience returns the users who read stream now.
func (s *Service) audience(ctx context.Context, stream string) ([]string, error) {
	switch {
	case parley.IsDMConversation(stream):
		a, b, _ := strings.Cut(strings.TrimPrefix(stream, "dm:"), ":")
		return compact([]string{a, b}), nil
	case strings.HasPrefix(stream, "C"):
		return s.store.ChannelMemberIDs(ctx, stream)
	case strings.HasPrefix(stream, "W"):
		return s.store.WorkspaceMemberIDs(ctx, stream)
	default:
		return []string{stream}, nil
	}
}

// isConversationStream reports whether stream is a conversation's.
func isConversationStream(stream string) bool {
	return parley.IsDMConversation(stream) || strings.HasPrefix(stream, "C")
}

// shown holds what showing a run of changes has read, so that a page of
// GET /sync reads each message and channel once, however many of its
// changes are about it.
type shown struct {
	messages map[string]*parley.Message
	channels map[string]*parley.Channel
}

// newShown returns an empty cache.
func newShown() *shown {
	return &shown{messages: map[string]*parley.Message{}, channels: map[string]*parley.Channel{}}
}

// payload returns what a change's frame carries besides its type, stream
// and position. known, if not nil, is the change's message as it is now,
// described; cache, if not nil, keeps what is read for the next calls.
func (s *Service) payload(ctx context.Context, c *parley.Change, known *parley.Message, cache *shown) (any, error) {
	if cache == nil {
		cache = newShown()
	}
	if known != nil {
		cache.messages[known.ID] = known
	}
	switch c.Type {
	case parley.EventMessage, parley.EventMessageChanged, parley.EventMessageDeleted,
		parley.EventThreadReply, parley.EventReactionAdded, parley.EventReactionRemoved,
		parley.EventMessagePinned, parley.EventMessageUnpinned:
		var f messageFact
		if err := json.Unmarshal(c.Data, &f); err != nil {
			return nil, err
		}
		m, err := cache.message(ctx, s, f.MessageID)
		if err != nil {
			return nil, err
		}
		return s.messagePayload(ctx, c.Type, f, m)

	case parley.EventChannelUpdated:
		var f channelFact
		if err := json.Unmarshal(c.Data, &f); err != nil {
			return nil, err
		}
		ch, err := cache.channel(ctx, s, f.ID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return f, nil // deleted since; its channel_deleted follows
		}
		return ch, err

	case EventChannelCreated, EventMemberJoinedChannel:
		// The channel comes as it is now, for a member who just learned
		// of it to show.
		var e MembershipEvent
		if err := json.Unmarshal(c.Data, &e); err != nil {
			return nil, err
		}
		ch, err := cache.channel(ctx, s, e.ChannelID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return &e, nil // deleted since; its channel_deleted follows
		}
		e.Channel = ch
		return &e, err
	}
	return c.Data, nil
}

// message returns a message as it is now, described.
func (sh *shown) message(ctx context.Context, s *Service, id string) (*parley.Message, error) {
	if m, ok := sh.messages[id]; ok {
		return m, nil
	}
	m, err := s.store.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.describeMessages(ctx, m); err != nil {
		return nil, err
	}
	sh.messages[id] = m
	return m, nil
}

// channel returns a channel as it is now, described.
func (sh *shown) channel(ctx context.Context, s *Service, id string) (*parley.Channel, error) {
	if ch, ok := sh.channels[id]; ok {
		return ch, nil
	}
	ch, err := s.store.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.describeChannel(ctx, ch); err != nil {
		return nil, err
	}
	sh.channels[id] = ch
	return ch, nil
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
