package app

import (
	"context"

	"github.com/parleychat/parley"
)

// Members is the answer to a membership change: who is in the workspace or
// channel afterwards.
type Members struct {
	WorkspaceID string   `json:"workspace_id"`
	ChannelID   string   `json:"channel_id,omitempty"`
	Users       []string `json:"users"`
}

// CreateWorkspace creates a workspace with the caller as its admin and only
// member, and its general channel.
func (s *Service) CreateWorkspace(ctx context.Context, name string) (*parley.Workspace, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	name, err = normalizeText("workspace_name", name, MaxWorkspaceNameLen)
	if err != nil {
		return nil, err
	}

	now := s.now()
	ws := &parley.Workspace{ID: newID("W"), Name: name, AdminID: u.ID, CreatedAt: now}
	general := &parley.Channel{
		ID: newID("C"), Name: parley.GeneralChannelName, WorkspaceID: ws.ID,
		CreatorID: u.ID, CreatedAt: now,
	}
	// The creator's other devices learn of the workspace, and of general,
	// as an invited member does: by their joins, the first change of each.
	changes := s.joinedWorkspace(ws.ID, general.ID, u)
	if err := s.store.CreateWorkspace(ctx, ws, general, changes...); err != nil {
		return nil, err
	}

	s.Logger.InfoContext(ctx, "workspace created", "workspace_id", ws.ID, "user_id", u.ID)
	s.push(ctx, changes, nil)
	return s.describeWorkspace(ctx, u, ws)
}

// Workspace returns a workspace to one of its members, with its members and
// the channels the caller may see.
func (s *Service) Workspace(ctx context.Context, workspaceID string) (*parley.Workspace, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.memberWorkspace(ctx, u.ID, workspaceID)
	if err != nil {
		return nil, err
	}
	return s.describeWorkspace(ctx, u, ws)
}

// DeleteWorkspace deletes a workspace with everything in it. Only its admin
// may.
func (s *Service) DeleteWorkspace(ctx context.Context, workspaceID string) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	}
	ws, err := s.memberWorkspace(ctx, u.ID, workspaceID)
	if err != nil {
		return err
	} else if ws.AdminID != u.ID {
		return parley.Errorf(parley.EFORBIDDEN, "only the workspace admin may delete it")
	}

	return s.deleteWorkspace(ctx, u, ws)
}

// deleteWorkspace deletes a workspace and tells everyone who was in it.
func (s *Service) deleteWorkspace(ctx context.Context, u *parley.User, ws *parley.Workspace) error {
	// The workspace's stream goes with it, so each member learns in their
	// own. One who joins between this list and the delete finds the
	// workspace gone from their list without a word.
	members, err := s.store.WorkspaceMemberIDs(ctx, ws.ID)
	if err != nil {
		return err
	}
	changes := s.changesTo(members, EventWorkspaceDeleted, &MembershipEvent{WorkspaceID: ws.ID})
	if err := s.store.DeleteWorkspace(ctx, ws.ID, changes...); err != nil {
		return err
	}
	s.Logger.InfoContext(ctx, "workspace deleted", "workspace_id", ws.ID, "user_id", u.ID)
	s.push(ctx, changes, nil)
	return nil
}

// WorkspacesOf lists the workspaces of the user with the given email, which
// must be the caller's own: nobody lists another user's workspaces.
func (s *Service) WorkspacesOf(ctx context.Context, email string) ([]*parley.WorkspaceSummary, error) {
	u, err := callerNamed(ctx, email, notYours())
	if err != nil {
		return nil, err
	}
	list, err := s.store.WorkspacesOfUser(ctx, u.ID)
	if list == nil && err == nil {
		list = []*parley.WorkspaceSummary{}
	}
	return list, err
}

// InviteToWorkspace makes an existing user a member of the workspace and of
// its general channel. Any member may invite; inviting a member again
// changes nothing.
func (s *Service) InviteToWorkspace(ctx context.Context, workspaceID, email string) (*Members, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := s.memberWorkspace(ctx, u.ID, workspaceID)
	if err != nil {
		return nil, err
	}
	invitee, err := s.userByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	general, err := s.generalChannel(ctx, ws.ID)
	if err != nil {
		return nil, err
	}

	changes := s.joinedWorkspace(ws.ID, general.ID, invitee)
	added, err := s.store.AddWorkspaceMember(ctx, ws.ID, invitee.ID, general.ID, changes...)
	if err != nil {
		return nil, err
	}
	m, err := s.workspaceMembers(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	if added {
		s.Logger.InfoContext(ctx, "workspace member added",
			"workspace_id", ws.ID, "user_id", invitee.ID, "by", u.ID)
		s.push(ctx, changes, nil)
	}
	return m, nil
}

// LeaveWorkspace removes a user from a workspace and all its channels. A
// member may remove themself; the admin may remove anyone. The admin cannot
// leave while others remain, since the workspace would have nobody to run
// it; an admin who is the last member may leave, and the workspace, which
// nobody could see any more, is deleted.
func (s *Service) LeaveWorkspace(ctx context.Context, workspaceID, email string) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	}
	ws, err := s.memberWorkspace(ctx, u.ID, workspaceID)
	if err != nil {
		return err
	}
	target, err := s.userByEmail(ctx, email)
	if err != nil {
		return err
	}
	if target.ID != u.ID && ws.AdminID != u.ID {
		return parley.Errorf(parley.EFORBIDDEN, "only the workspace admin may remove another member")
	}

	if target.ID == ws.AdminID {
		members, err := s.store.WorkspaceMemberIDs(ctx, ws.ID)
		if err != nil {
			return err
		} else if len(members) > 1 {
			return parley.Errorf(parley.ECONFLICT, "the admin cannot leave while other members remain")
		}
		return s.deleteWorkspace(ctx, u, ws)
	}

	// Those who stay learn in the workspace's stream, and in each channel
	// the member leaves with it; the one who left learns in their own
	// stream, since they no longer read the others. A channel joined
	// between this list and the removal is left without a word of its own.
	changes := s.changesTo([]string{ws.ID, target.ID}, EventMemberLeftWorkspace,
		&MembershipEvent{WorkspaceID: ws.ID, User: target.Email, UserID: target.ID})
	channels, err := s.store.ChannelIDsOfUser(ctx, ws.ID, target.ID)
	if err != nil {
		return err
	}
	for _, id := range channels {
		changes = append(changes, s.newChange(id, EventMemberLeftChannel,
			&MembershipEvent{WorkspaceID: ws.ID, ChannelID: id, User: target.Email, UserID: target.ID}))
	}
	removed, err := s.store.RemoveWorkspaceMember(ctx, ws.ID, target.ID, changes...)
	if err != nil {
		return err
	} else if !removed {
		return parley.Errorf(parley.ENOTFOUND, "user is not a member of this workspace")
	}
	s.Logger.InfoContext(ctx, "workspace member removed",
		"workspace_id", ws.ID, "user_id", target.ID, "by", u.ID)
	s.push(ctx, changes, nil)
	return nil
}

// memberWorkspace returns the workspace if the user is a member of it, and
// ENOTFOUND otherwise, so that a workspace's existence does not leak.
func (s *Service) memberWorkspace(ctx context.Context, userID, workspaceID string) (*parley.Workspace, error) {
	notFound := parley.Errorf(parley.ENOTFOUND, "workspace not found")
	if workspaceID == "" {
		return nil, parley.Errorf(parley.EINVALID, "workspace_id is required")
	}
	ok, err := s.store.IsWorkspaceMember(ctx, workspaceID, userID)
	if err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound
	}
	ws, err := s.store.Workspace(ctx, workspaceID)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, notFound
	}
	return ws, err
}

// describeWorkspace fills in a workspace's admin, members and the channels
// u may see, each with its members.
//
// It reads each channel's members with a query of its own: cheap on the
// embedded SQLite store (tens of microseconds each), but a workspace of
// thousands of channels on a remote database would want one query for all
// of them, or the channel list without members, which the spec allows.
func (s *Service) describeWorkspace(ctx context.Context, u *parley.User, ws *parley.Workspace) (*parley.Workspace, error) {
	memberIDs, err := s.store.WorkspaceMemberIDs(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	emails, err := s.emails(ctx, append(memberIDs, ws.AdminID))
	if err != nil {
		return nil, err
	}
	ws.Users = lookup(emails, memberIDs)
	ws.Admin = emails[ws.AdminID]
	ws.Presence = make(map[string]string, len(memberIDs))
	for _, id := range memberIDs {
		state := PresenceOffline
		if s.Online(id) {
			state = PresenceOnline
		}
		if e, ok := emails[id]; ok {
			ws.Presence[e] = state
		}
	}

	channels, err := s.store.Channels(ctx, ws.ID)
	if err != nil {
		return nil, err
	}
	mine, err := s.store.ChannelIDsOfUser(ctx, ws.ID, u.ID)
	if err != nil {
		return nil, err
	}
	ws.Channels = []*parley.Channel{}
	for _, ch := range channels {
		if ch.IsPrivate && !contains(mine, ch.ID) {
			continue
		}
		if err := s.describeChannel(ctx, ch); err != nil {
			return nil, err
		}
		ws.Channels = append(ws.Channels, ch)
	}
	return ws, nil
}

// workspaceMembers returns the workspace's member list.
func (s *Service) workspaceMembers(ctx context.Context, workspaceID string) (*Members, error) {
	ids, err := s.store.WorkspaceMemberIDs(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	emails, err := s.emails(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &Members{WorkspaceID: workspaceID, Users: lookup(emails, ids)}, nil
}

// generalChannel returns the workspace's general channel.
func (s *Service) generalChannel(ctx context.Context, workspaceID string) (*parley.Channel, error) {
	channels, err := s.store.Channels(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	for _, ch := range channels {
		if ch.Name == parley.GeneralChannelName {
			return ch, nil
		}
	}
	return nil, parley.Errorf(parley.ENOTFOUND, "workspace has no general channel")
}

// joinedWorkspace returns the changes of a user joining a workspace and,
// with it, its general channel.
func (s *Service) joinedWorkspace(workspaceID, generalID string, u *parley.User) []*parley.Change {
	return []*parley.Change{
		s.newChange(workspaceID, EventMemberJoinedWorkspace,
			&MembershipEvent{WorkspaceID: workspaceID, User: u.Email, UserID: u.ID}),
		s.newChange(generalID, EventMemberJoinedChannel,
			&MembershipEvent{WorkspaceID: workspaceID, ChannelID: generalID, User: u.Email, UserID: u.ID}),
	}
}
