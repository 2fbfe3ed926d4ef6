package app

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/parleychat/parley"
)

// CreateChannel creates a channel in a workspace with the caller as creator
// and only member. Any workspace member may; the name must be free in the
// workspace.
func (s *Service) CreateChannel(ctx context.Context, workspaceID, name string, private bool) (*parley.Channel, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	name, err = NormalizeChannelName(name)
	if err != nil {
		return nil, err
	}
	ws, err := s.memberWorkspace(ctx, u.ID, workspaceID)
	if err != nil {
		return nil, err
	}

	ch := &parley.Channel{
		ID: newID("C"), Name: name, WorkspaceID: ws.ID, IsPrivate: private,
		CreatorID: u.ID, CreatedAt: s.now(),
	}
	created := s.newChange(announceStream(ch), EventChannelCreated,
		&MembershipEvent{WorkspaceID: ws.ID, ChannelID: ch.ID, User: u.Email, UserID: u.ID})
	if err := s.store.CreateChannel(ctx, ch, created); parley.ErrorCode(err) == parley.ECONFLICT {
		return nil, parley.Errorf(parley.ECONFLICT, "a channel named %q exists in this workspace", name)
	} else if err != nil {
		return nil, err
	}

	s.Logger.InfoContext(ctx, "channel created", "workspace_id", ws.ID, "channel_id", ch.ID, "user_id", u.ID)
	s.push(ctx, []*parley.Change{created}, nil)
	if err := s.describeChannel(ctx, ch); err != nil {
		return nil, err
	}
	return ch, nil
}

// Channel returns a channel to those who may see it: workspace members for a
// public channel, its members for a private one.
func (s *Service) Channel(ctx context.Context, workspaceID, channelID string) (*parley.Channel, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.visibleChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	}
	return v.channel, s.describeChannel(ctx, v.channel)
}

// DeleteChannel deletes a channel and its messages. Its creator and the
// workspace admin may; general cannot be deleted.
func (s *Service) DeleteChannel(ctx context.Context, workspaceID, channelID string) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	}
	v, err := s.managedChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return err
	} else if v.channel.CreatorID != u.ID && v.workspace.AdminID != u.ID {
		return parley.Errorf(parley.EFORBIDDEN, "only the channel's creator or the workspace admin may delete it")
	} else if v.channel.Name == parley.GeneralChannelName {
		return parley.Errorf(parley.ECONFLICT, "the general channel cannot be deleted")
	}

	// A public channel's end is news for the whole workspace; a private
	// one's stream goes with it, so each member learns in their own.
	e := &MembershipEvent{WorkspaceID: v.workspace.ID, ChannelID: v.channel.ID, User: u.Email, UserID: u.ID}
	streams := []string{v.workspace.ID}
	if v.channel.IsPrivate {
		if streams, err = s.store.ChannelMemberIDs(ctx, v.channel.ID); err != nil {
			return err
		}
	}
	changes := s.changesTo(streams, EventChannelDeleted, e)
	if err := s.store.DeleteChannel(ctx, v.channel.ID, changes...); err != nil {
		return err
	}
	s.Logger.InfoContext(ctx, "channel deleted", "workspace_id", workspaceID, "channel_id", channelID, "user_id", u.ID)
	s.push(ctx, changes, nil)
	return nil
}

// ChannelsOf lists the channels of a workspace that the user with the given
// email is in. The email must be the caller's own.
func (s *Service) ChannelsOf(ctx context.Context, workspaceID, email string) ([]*parley.Channel, error) {
	u, err := callerNamed(ctx, email, notYours())
	if err != nil {
		return nil, err
	}
	if _, err := s.memberWorkspace(ctx, u.ID, workspaceID); err != nil {
		return nil, err
	}

	all, err := s.store.Channels(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	mine, err := s.store.ChannelIDsOfUser(ctx, workspaceID, u.ID)
	if err != nil {
		return nil, err
	}
	out := []*parley.Channel{}
	for _, ch := range all {
		if !contains(mine, ch.ID) {
			continue
		}
		if err := s.describeChannel(ctx, ch); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// JoinChannel adds a workspace member to a channel. A channel member may add
// any workspace member; anyone in the workspace may add themself to a public
// channel. Adding a member again changes nothing.
func (s *Service) JoinChannel(ctx context.Context, workspaceID, channelID, email string) (*Members, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.visibleChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	}
	target, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}

	if target.ID != u.ID && !v.isMember {
		return nil, parley.Errorf(parley.EFORBIDDEN, "only channel members may add others")
	}
	ok, err := s.store.IsWorkspaceMember(ctx, workspaceID, target.ID)
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, parley.Errorf(parley.ENOTFOUND, "user is not a member of this workspace")
	}

	joined := &MembershipEvent{
		WorkspaceID: v.workspace.ID, ChannelID: v.channel.ID, User: target.Email, UserID: target.ID,
	}
	change := s.newChange(v.channel.ID, EventMemberJoinedChannel, joined)
	added, err := s.store.AddChannelMember(ctx, v.channel.ID, target.ID, change)
	if err != nil {
		return nil, err
	}
	if added {
		s.Logger.InfoContext(ctx, "channel member added",
			"channel_id", v.channel.ID, "user_id", target.ID, "by", u.ID)
		s.push(ctx, []*parley.Change{change}, nil)
	}
	// The target may have left the workspace between the check and the
	// join; leaving takes them out of every channel at once, so a join that
	// landed after it is undone here. One that lands before it is undone by
	// the leave.
	if ok, err := s.store.IsWorkspaceMember(ctx, workspaceID, target.ID); err != nil {
		return nil, err
	} else if !ok {
		left := s.leftChannel(v, joined)
		if _, err := s.store.RemoveChannelMember(ctx, v.channel.ID, target.ID, left...); err != nil {
			return nil, err
		}
		s.push(ctx, left, nil)
		return nil, parley.Errorf(parley.ENOTFOUND, "user is not a member of this workspace")
	}
	return s.channelMembers(ctx, v.channel)
}

// LeaveChannel removes a user from a channel. A member may remove themself;
// the channel's creator and the workspace admin may remove anyone. Nobody
// leaves general except by leaving the workspace.
func (s *Service) LeaveChannel(ctx context.Context, workspaceID, channelID, email string) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	}
	v, err := s.managedChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return err
	}
	target, err := s.userByEmail(ctx, email)
	if err != nil {
		return err
	}

	if target.ID != u.ID && v.channel.CreatorID != u.ID && v.workspace.AdminID != u.ID {
		return parley.Errorf(parley.EFORBIDDEN,
			"only the channel's creator or the workspace admin may remove another member")
	} else if v.channel.Name == parley.GeneralChannelName {
		return parley.Errorf(parley.ECONFLICT, "nobody leaves general except by leaving the workspace")
	}

	changes := s.leftChannel(v, &MembershipEvent{
		WorkspaceID: v.workspace.ID, ChannelID: v.channel.ID, User: target.Email, UserID: target.ID,
	})
	removed, err := s.store.RemoveChannelMember(ctx, v.channel.ID, target.ID, changes...)
	if err != nil {
		return err
	} else if !removed {
		return parley.Errorf(parley.ENOTFOUND, "user is not a member of this channel")
	}
	s.Logger.InfoContext(ctx, "channel member removed",
		"channel_id", v.channel.ID, "user_id", target.ID, "by", u.ID)
	s.push(ctx, changes, nil)
	return nil
}

// channelView is a channel as one user sees it.
type channelView struct {
	workspace *parley.Workspace
	channel   *parley.Channel
	isMember  bool
}

// visibleChannel returns the channel if it is in the workspace and the user
// may see it, and ENOTFOUND otherwise: a public channel is visible to the
// workspace's members, a private one only to its own.
func (s *Service) visibleChannel(ctx context.Context, userID, workspaceID, channelID string) (*channelView, error) {
	notFound := parley.Errorf(parley.ENOTFOUND, "channel not found")
	if channelID == "" {
		return nil, parley.Errorf(parley.EINVALID, "channel_id is required")
	}
	ws, err := s.memberWorkspace(ctx, userID, workspaceID)
	if err != nil {
		return nil, err
	}
	ch, err := s.store.Channel(ctx, channelID)
	if parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && ch.WorkspaceID != ws.ID) {
		return nil, notFound
	} else if err != nil {
		return nil, err
	}

	member, err := s.store.IsChannelMember(ctx, ch.ID, userID)
	if err != nil {
		return nil, err
	} else if ch.IsPrivate && !member {
		return nil, notFound
	}
	return &channelView{workspace: ws, channel: ch, isMember: member}, nil
}

// managedChannel is visibleChannel for managing a channel: the workspace
// admin, who may delete or change any channel and remove anyone from it,
// reaches private channels they are not in too. Everyone else sees what
// visibleChannel shows them.
func (s *Service) managedChannel(ctx context.Context, userID, workspaceID, channelID string) (*channelView, error) {
	v, err := s.visibleChannel(ctx, userID, workspaceID, channelID)
	if parley.ErrorCode(err) != parley.ENOTFOUND {
		return v, err
	}
	ws, wsErr := s.memberWorkspace(ctx, userID, workspaceID)
	if wsErr != nil || ws.AdminID != userID {
		return nil, err
	}
	ch, chErr := s.store.Channel(ctx, channelID)
	if chErr != nil || ch.WorkspaceID != ws.ID {
		return nil, err
	}
	return &channelView{workspace: ws, channel: ch}, nil
}

// describeChannel fills in a channel's creator and members as emails.
func (s *Service) describeChannel(ctx context.Context, ch *parley.Channel) error {
	ids, err := s.store.ChannelMemberIDs(ctx, ch.ID)
	if err != nil {
		return err
	}
	emails, err := s.emails(ctx, append(ids, ch.CreatorID))
	if err != nil {
		return err
	}
	ch.Users = lookup(emails, ids)
	ch.Creator = emails[ch.CreatorID]
	return nil
}

// channelMembers returns the channel's member list.
func (s *Service) channelMembers(ctx context.Context, ch *parley.Channel) (*Members, error) {
	if err := s.describeChannel(ctx, ch); err != nil {
		return nil, err
	}
	return &Members{WorkspaceID: ch.WorkspaceID, ChannelID: ch.ID, Users: ch.Users}, nil
}

// ChannelSettings is a change to a channel's settings as a client sends it;
// absent fields stay as they are.
type ChannelSettings struct {
	Name     *string `json:"channel_name"`
	Topic    *string `json:"topic"`
	Purpose  *string `json:"purpose"`
	Archived *bool   `json:"archived"`
}

// UpdateChannel renames a channel, sets its topic or purpose, or archives or
// unarchives it. Its creator and the workspace admin may. General can be
// neither renamed nor archived, since every member is always in it.
func (s *Service) UpdateChannel(ctx context.Context, workspaceID, channelID string, cs ChannelSettings) (*parley.Channel, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	upd, err := cs.check()
	if err != nil {
		return nil, err
	}
	v, err := s.managedChannel(ctx, u.ID, workspaceID, channelID)
	if err != nil {
		return nil, err
	} else if v.channel.CreatorID != u.ID && v.workspace.AdminID != u.ID {
		return nil, parley.Errorf(parley.EFORBIDDEN, "only the channel's creator or the workspace admin may change it")
	}
	general := v.channel.Name == parley.GeneralChannelName
	if general && ((upd.Name != nil && *upd.Name != v.channel.Name) || (upd.Archived != nil && *upd.Archived)) {
		return nil, parley.Errorf(parley.ECONFLICT, "the general channel can be neither renamed nor archived")
	}

	change := s.newChange(announceStream(v.channel), parley.EventChannelUpdated,
		channelFact{ID: v.channel.ID, WorkspaceID: v.workspace.ID})
	ch, err := s.store.UpdateChannel(ctx, v.channel.ID, upd, change)
	if parley.ErrorCode(err) == parley.ECONFLICT {
		return nil, parley.Errorf(parley.ECONFLICT, "a channel named %q exists in this workspace", *upd.Name)
	} else if err != nil {
		return nil, err
	}
	if change.Pos != 0 {
		s.Logger.InfoContext(ctx, "channel updated", "channel_id", ch.ID, "user_id", u.ID)
		s.push(ctx, []*parley.Change{change}, nil)
	}
	return ch, s.describeChannel(ctx, ch)
}

// check validates a settings change and turns it into a store update.
func (cs ChannelSettings) check() (parley.ChannelUpdate, error) {
	upd := parley.ChannelUpdate{Archived: cs.Archived}
	if cs.Name == nil && cs.Topic == nil && cs.Purpose == nil && cs.Archived == nil {
		return upd, parley.Errorf(parley.EINVALID, "give at least one of channel_name, topic, purpose and archived")
	}
	if cs.Name != nil {
		name, err := NormalizeChannelName(*cs.Name)
		if err != nil {
			return upd, err
		}
		upd.Name = &name
	}
	for _, f := range []struct {
		name string
		in   *string
		out  **string
		max  int
	}{
		{"topic", cs.Topic, &upd.Topic, MaxTopicLen},
		{"purpose", cs.Purpose, &upd.Purpose, MaxPurposeLen},
	} {
		if f.in == nil {
			continue
		}
		// An empty topic or purpose clears it.
		v := strings.TrimSpace(*f.in)
		if utf8.RuneCountInString(v) > f.max {
			return upd, parley.Errorf(parley.EINVALID, "%s is longer than %d characters", f.name, f.max)
		} else if strings.ContainsFunc(v, isForbiddenControl) {
			return upd, parley.Errorf(parley.EINVALID, "%s holds a control character", f.name)
		}
		*f.out = &v
	}
	return upd, nil
}
