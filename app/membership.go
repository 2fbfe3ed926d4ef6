package app

import "github.com/parleychat/parley"

// Membership and structure events.
const (
	EventMemberJoinedChannel   = "member_joined_channel"
	EventMemberLeftChannel     = "member_left_channel"
	EventChannelCreated        = "channel_created"
	EventChannelDeleted        = "channel_deleted"
	EventWorkspaceDeleted      = "workspace_deleted"
	EventMemberJoinedWorkspace = "member_joined_workspace"
	EventMemberLeftWorkspace   = "member_left_workspace"
)

// MembershipEvent is the payload of the membership and structure events:
// where it happened, and who joined or left. Channel is the channel itself
// for member_joined_channel and channel_created, so that a member who just
// learned of it can show it.
type MembershipEvent struct {
	WorkspaceID string          `json:"workspace_id"`
	ChannelID   string          `json:"channel_id,omitempty"`
	User        string          `json:"user,omitempty"`
	UserID      string          `json:"user_id,omitempty"`
	Channel     *parley.Channel `json:"channel,omitempty"`
}

// announceStream returns the stream that announces a channel's existence
// and settings: the workspace's for a public channel, which every member of
// the workspace may see, and the channel's own for a private one.
func announceStream(ch *parley.Channel) string {
	if ch.IsPrivate {
		return ch.ID
	}
	return ch.WorkspaceID
}

// changesTo returns one change of type typ holding data for each stream.
func (s *Service) changesTo(streams []string, typ string, data any) []*parley.Change {
	changes := make([]*parley.Change, len(streams))
	for i, stream := range streams {
		changes[i] = s.newChange(stream, typ, data)
	}
	return changes
}

// leftChannel returns the changes of a member leaving a channel: one for
// those who stay, in the channel's stream, and one for the member who left,
// in their own, since they no longer read the channel's.
func (s *Service) leftChannel(v *channelView, e *MembershipEvent) []*parley.Change {
	return s.changesTo([]string{v.channel.ID, e.UserID}, EventMemberLeftChannel, e)
}
