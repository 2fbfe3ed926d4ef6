package app

import (
	"context"

	"github.com/parleychat/parley"
)

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

// channelAudience returns who hears of a channel's existence: every
// workspace member for a public channel, its own members for a private one.
func (s *Service) channelAudience(ctx context.Context, ch *parley.Channel) ([]string, error) {
	if ch.IsPrivate {
		return s.Store.ChannelMemberIDs(ctx, ch.ID)
	}
	return s.Store.WorkspaceMemberIDs(ctx, ch.WorkspaceID)
}

// announceTo pushes a membership event to the given users and, in also,
// to those who must hear of it though they are no longer in the audience,
// such as the member who was removed.
func (s *Service) announceTo(ctx context.Context, typ string, receivers []string, err error, e *MembershipEvent, also ...string) {
	if err != nil {
		// The change is made; only its push is lost, and the clients
		// make it up from the workspace and channel lists.
		s.Logger.ErrorContext(ctx, "list members for push", "type", typ, "workspace_id", e.WorkspaceID, "err", err)
	}
	s.publish(ctx, typ, compact(append(receivers, also...)), e)
}
