package app

import (
	"context"
	"strings"

	"github.com/parleychat/parley"
)

// EventReadMarker tells a user's other connections that they read a
// conversation up to a point.
const EventReadMarker = "read_marker"

// ReadRequest is a read marker as a client moves it: a channel (workspace_id
// and channel_id) or a direct conversation (receiver, the other user's
// email), and the seq read up to.
type ReadRequest struct {
	WorkspaceID string `json:"workspace_id"`
	ChannelID   string `json:"channel_id"`
	Receiver    string `json:"receiver"`
	Seq         *int64 `json:"seq"`
}

// Unread is the read state of one conversation for one user. The counts
// are worked out from the messages after the marker each time, so they
// cannot drift from what history holds.
type Unread struct {
	WorkspaceID  string `json:"workspace_id,omitempty"`
	ChannelID    string `json:"channel_id,omitempty"`
	Receiver     string `json:"receiver,omitempty"`
	UnreadCount  int    `json:"unread_count"`
	MentionCount int    `json:"mention_count"`
	LastReadSeq  int64  `json:"last_read_seq"`
	LatestSeq    int64  `json:"latest_seq"`
}

// MarkRead moves the caller's read marker in a conversation they are in
// forward to the given seq (never back; a seq past the newest message
// counts as the newest), tells the caller's other connections, and answers
// the conversation's read state.
func (s *Service) MarkRead(ctx context.Context, r ReadRequest) (*Unread, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	} else if r.Seq == nil {
		return nil, parley.Errorf(parley.EINVALID, "seq is required")
	} else if *r.Seq < 0 {
		return nil, parley.Errorf(parley.EINVALID, "seq must be at least 0")
	}
	state, c, err := s.readTarget(ctx, u, r)
	if err != nil {
		return nil, err
	}
	// Two moves of one marker at once must not both announce the same
	// move: the check and the move go together, on this node.
	defer s.lock("read:" + u.ID + ":" + c.id)()

	before, err := s.store.ReadMarkers(ctx, u.ID, []string{c.id})
	if err != nil {
		return nil, err
	}
	// Counting from the marker costs only the unread part, and tells the
	// newest seq all the same.
	_, _, latest, err := s.store.CountUnread(ctx, c.id, u.ID, before[c.id])
	if err != nil {
		return nil, err
	}
	target := min(*r.Seq, latest)
	if target <= before[c.id] {
		return state, s.countUnread(ctx, u.ID, c.id, before[c.id], state)
	}

	// The state after the move is what the user's other devices learn.
	if err := s.countUnread(ctx, u.ID, c.id, target, state); err != nil {
		return nil, err
	}
	change := s.newChange(u.ID, EventReadMarker, state)
	marker, err := s.store.MarkRead(ctx, u.ID, c.id, target, change)
	if err != nil {
		return nil, err
	}
	s.push(ctx, []*parley.Change{change}, nil)
	if marker != target {
		// Another node moved it further meanwhile.
		return state, s.countUnread(ctx, u.ID, c.id, marker, state)
	}
	return state, nil
}

// Unreads answers the caller's read state in every conversation they are
// in: the channels of all their workspaces, and every direct conversation
// that holds a message.
func (s *Service) Unreads(ctx context.Context) ([]*Unread, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var states []*Unread
	var ids []string

	workspaces, err := s.store.WorkspacesOfUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, ws := range workspaces {
		channels, err := s.store.ChannelIDsOfUser(ctx, ws.ID, u.ID)
		if err != nil {
			return nil, err
		}
		for _, id := range channels {
			states = append(states, &Unread{WorkspaceID: ws.ID, ChannelID: id})
			ids = append(ids, id)
		}
	}

	direct, err := s.store.DirectConversations(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	peers := make([]string, len(direct))
	for i, id := range direct {
		peers[i] = dmPeer(id, u.ID)
	}
	emails, err := s.emails(ctx, peers)
	if err != nil {
		return nil, err
	}
	for i, id := range direct {
		states = append(states, &Unread{Receiver: emails[peers[i]]})
		ids = append(ids, id)
	}

	markers, err := s.store.ReadMarkers(ctx, u.ID, ids)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		if err := s.countUnread(ctx, u.ID, id, markers[id], states[i]); err != nil {
			return nil, err
		}
	}
	if states == nil {
		states = []*Unread{}
	}
	return states, nil
}

// readTarget returns the conversation a read request names, with its
// identifying fields filled in. The caller must be in it: a channel member,
// or a party of the direct conversation.
func (s *Service) readTarget(ctx context.Context, u *parley.User, r ReadRequest) (*Unread, *conversation, error) {
	switch {
	case r.ChannelID != "" && r.Receiver != "":
		return nil, nil, parley.Errorf(parley.EINVALID, "give channel_id or receiver, not both")
	case r.Receiver != "":
		peer, err := s.userByEmail(ctx, r.Receiver)
		if err != nil {
			return nil, nil, err
		}
		c := directConversation(u.ID, peer.ID)
		if ok, err := s.inDirectConversation(ctx, u.ID, peer.ID, c.id); err != nil {
			return nil, nil, err
		} else if !ok {
			return nil, nil, parley.Errorf(parley.ENOTFOUND, "user not found")
		}
		return &Unread{Receiver: peer.Email}, c, nil
	case r.ChannelID == "":
		return nil, nil, parley.Errorf(parley.EINVALID, "give workspace_id and channel_id, or receiver")
	}
	c, err := s.channelConversation(ctx, u.ID, r.WorkspaceID, r.ChannelID)
	if err != nil {
		return nil, nil, err
	} else if !c.channel.isMember {
		return nil, nil, parley.Errorf(parley.EFORBIDDEN, "only channel members keep a read marker")
	}
	return &Unread{WorkspaceID: c.channel.workspace.ID, ChannelID: c.id}, c, nil
}

// inDirectConversation reports whether a user may keep a read marker in the
// direct conversation with peer: while they share a workspace, or once the
// conversation holds a message, which stays readable to both.
func (s *Service) inDirectConversation(ctx context.Context, userID, peerID, conversationID string) (bool, error) {
	if shared, err := s.store.SharesWorkspace(ctx, userID, peerID); err != nil || shared {
		return shared, err
	}
	direct, err := s.store.DirectConversations(ctx, userID)
	return contains(direct, conversationID), err
}

// countUnread fills in the read state of a conversation from its marker.
func (s *Service) countUnread(ctx context.Context, userID, conversationID string, marker int64, state *Unread) error {
	unread, mentions, latest, err := s.store.CountUnread(ctx, conversationID, userID, marker)
	if err != nil {
		return err
	}
	state.UnreadCount, state.MentionCount, state.LastReadSeq, state.LatestSeq = unread, mentions, marker, latest
	return nil
}

// dmPeer returns the other party of a direct conversation ID, or the user
// themself for notes to self.
func dmPeer(conversationID, userID string) string {
	a, b, _ := strings.Cut(strings.TrimPrefix(conversationID, "dm:"), ":")
	if a == userID {
		return b
	}
	return a
}
