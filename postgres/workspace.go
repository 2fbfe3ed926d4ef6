package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
)

// A membership records the position of its stream before the changes of
// the call that made it, as where the member's view of the stream starts.
// The insert takes the position as committed; once the call's changes are
// appended, setSince corrects it to the counter, which the call then
// holds locked, less the changes it added, so that no other write's change
// can come between. $1 is the workspace or channel, also the stream's
// name.
const (
	addWorkspaceMemberQuery = `
		INSERT INTO workspace_members (workspace_id, user_id, since)
		VALUES ($1, $2, coalesce((SELECT pos FROM streams WHERE id = $1), 0))
		ON CONFLICT (workspace_id, user_id) DO NOTHING
	`
	addChannelMemberQuery = `
		INSERT INTO channel_members (channel_id, user_id, since)
		VALUES ($1, $2, coalesce((SELECT pos FROM streams WHERE id = $1), 0))
		ON CONFLICT (channel_id, user_id) DO NOTHING
	`
	workspaceSinceQuery = `
		UPDATE workspace_members SET since = (SELECT pos FROM streams WHERE id = $1) - $3
		WHERE workspace_id = $1 AND user_id = $2
	`
	channelSinceQuery = `
		UPDATE channel_members SET since = (SELECT pos FROM streams WHERE id = $1) - $3
		WHERE channel_id = $1 AND user_id = $2
	`
)

// setSince sets the since of the user's membership of stream, with query,
// one of the since queries above, to the stream's position before the
// call's changes. A call that added no change to the stream leaves the
// position the insert read.
func setSince(ctx context.Context, tx pgx.Tx, query, stream, userID string,
	changes []*parley.Change) error {
	added := countIn(changes, stream)
	if added == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, query, stream, userID, added)
	return err
}

// CreateWorkspace stores ws with its admin as the only member, and general,
// its general channel, with the admin in it, in one transaction. It returns
// ECONFLICT if the ID of the workspace or of the channel is taken, and
// ENOTFOUND if the admin or the channel's creator does not exist. It appends
// changes with the rest, and the admin's memberships start at the streams'
// positions before them: zero, for a new workspace and channel.
func (s *Store) CreateWorkspace(ctx context.Context, ws *parley.Workspace, general *parley.Channel,
	changes ...*parley.Change) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}
	defer tx.Rollback(ctx)

	if _, err := tx.Exec(ctx, `
		INSERT INTO workspaces (id, name, admin_id, created_at) VALUES ($1, $2, $3, $4)
	`, ws.ID, ws.Name, ws.AdminID, millis(ws.CreatedAt.Time)); isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "workspace already exists")
	} else if isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "admin not found")
	} else if err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}
	if _, err := tx.Exec(ctx, addWorkspaceMemberQuery, ws.ID, ws.AdminID); err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}

	// The general channel belongs to ws whatever general.WorkspaceID says,
	// and its member is the admin whoever is named its creator.
	ch := *general
	ch.WorkspaceID = ws.ID
	if err := createChannel(ctx, tx, &ch, ws.AdminID); err != nil {
		return err
	}

	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}
	if err := setSince(ctx, tx, workspaceSinceQuery, ws.ID, ws.AdminID, changes); err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}
	if err := setSince(ctx, tx, channelSinceQuery, ch.ID, ws.AdminID, changes); err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: create workspace: %w", err)
	}
	setPositions(changes, positions)
	return nil
}

// Workspace returns the workspace with the given ID, without its Users and
// Channels, or ENOTFOUND.
func (s *Store) Workspace(ctx context.Context, id string) (*parley.Workspace, error) {
	ws := parley.Workspace{ID: id}
	var createdAt int64
	err := s.pool.QueryRow(ctx, `
		SELECT name, admin_id, created_at FROM workspaces WHERE id = $1
	`, id).Scan(&ws.Name, &ws.AdminID, &createdAt)
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "workspace not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: workspace: %w", err)
	}
	ws.CreatedAt = timeOf(createdAt)
	return &ws, nil
}

// DeleteWorkspace removes the workspace, or returns ENOTFOUND, and appends
// changes, which are for other streams. Its channels, their members and
// messages, and its members go with it, by the cascades of the schema, and
// the streams of the workspace and of its channels with their changes;
// direct messages between its members stay.
//
// The whole history goes in one transaction. Appends to the workspace's
// channels wait for it; appends elsewhere do not.
func (s *Store) DeleteWorkspace(ctx context.Context, id string, changes ...*parley.Change) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	defer tx.Rollback(ctx)

	// The workspace's row is locked first, so that no channel is created
	// in it meanwhile, and then its channels go, which names the streams to
	// remove.
	// Scan(nil) reads the row without keeping its value.
	err = tx.QueryRow(ctx, `SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, id).Scan(nil)
	if isNoRows(err) {
		return parley.Errorf(parley.ENOTFOUND, "workspace not found")
	} else if err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	rows, err := tx.Query(ctx, `DELETE FROM channels WHERE workspace_id = $1 RETURNING id`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	streams, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM workspaces WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}

	// The streams' changes go with them, by the cascade of the schema.
	streams = append(streams, id)
	if err := lockStreams(ctx, tx, streams, changes); err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM streams WHERE id = ANY ($1)`, streams); err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: delete workspace: %w", err)
	}
	setPositions(changes, positions)
	return nil
}

// WorkspaceMemberIDs returns the IDs of the workspace's members in the order
// they joined. It returns an empty list for a workspace that does not exist.
func (s *Store) WorkspaceMemberIDs(ctx context.Context, workspaceID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT user_id FROM workspace_members WHERE workspace_id = $1 ORDER BY joined
	`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("postgres: workspace members: %w", err)
	}
	return ids, nil
}

// IsWorkspaceMember reports whether the user is a member of the workspace.
func (s *Store) IsWorkspaceMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	ok, err := s.exists(ctx, `
		SELECT 1 FROM workspace_members WHERE workspace_id = $1 AND user_id = $2
	`, workspaceID, userID)
	if err != nil {
		return false, fmt.Errorf("postgres: is workspace member: %w", err)
	}
	return ok, nil
}

// WorkspacesOfUser lists the workspaces the user is a member of, the oldest
// workspace first, with their member counts.
func (s *Store) WorkspacesOfUser(ctx context.Context, userID string) ([]*parley.WorkspaceSummary, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT w.id, w.name,
			(SELECT count(*) FROM workspace_members c WHERE c.workspace_id = w.id)
		FROM workspace_members m
		JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = $1
		ORDER BY w.created_at, w.stored_order
	`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: workspaces of user: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*parley.WorkspaceSummary, error) {
		var w parley.WorkspaceSummary
		err := row.Scan(&w.ID, &w.Name, &w.MemberCount)
		return &w, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: workspaces of user: %w", err)
	}
	return list, nil
}

// AddWorkspaceMember makes the user a member of the workspace and of its
// channel generalID, and appends changes, in one transaction. Each
// membership records the position of its stream before those changes, as
// where the user's view of it starts. It reports false, changing nothing,
// if the user was a member already, and returns ENOTFOUND if the workspace,
// the channel or the user does not exist.
func (s *Store) AddWorkspaceMember(
	ctx context.Context, workspaceID, userID, generalID string, changes ...*parley.Change,
) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	}
	defer tx.Rollback(ctx)

	// Of two concurrent adds of the same member, the second waits for the
	// first's row, and then inserts nothing.
	tag, err := tx.Exec(ctx, addWorkspaceMemberQuery, workspaceID, userID)
	if isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "workspace or user not found")
	} else if err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	} else if tag.RowsAffected() == 0 {
		return false, nil
	}

	if _, err := tx.Exec(ctx, addChannelMemberQuery, generalID, userID); isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	}

	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	}
	if err := setSince(ctx, tx, workspaceSinceQuery, workspaceID, userID, changes); err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	}
	if err := setSince(ctx, tx, channelSinceQuery, generalID, userID, changes); err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: add workspace member: %w", err)
	}
	setPositions(changes, positions)
	return true, nil
}

// RemoveWorkspaceMember removes the user from the workspace and from every
// channel in it, and appends changes, in one transaction. It reports false,
// appending nothing, if the user was not a member.
func (s *Store) RemoveWorkspaceMember(
	ctx context.Context, workspaceID, userID string, changes ...*parley.Change,
) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: remove workspace member: %w", err)
	}
	defer tx.Rollback(ctx)

	tag, err := tx.Exec(ctx, `
		DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2
	`, workspaceID, userID)
	if err != nil {
		return false, fmt.Errorf("postgres: remove workspace member: %w", err)
	} else if tag.RowsAffected() == 0 {
		return false, nil
	}

	if _, err := tx.Exec(ctx, `
		DELETE FROM channel_members
		WHERE user_id = $1
		AND channel_id IN (SELECT id FROM channels WHERE workspace_id = $2)
	`, userID, workspaceID); err != nil {
		return false, fmt.Errorf("postgres: remove workspace member: %w", err)
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return false, fmt.Errorf("postgres: remove workspace member: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: remove workspace member: %w", err)
	}
	setPositions(changes, positions)
	return true, nil
}

// SharesWorkspace reports whether the two users are members of at least one
// common workspace.
func (s *Store) SharesWorkspace(ctx context.Context, userA, userB string) (bool, error) {
	ok, err := s.exists(ctx, `
		SELECT 1 FROM workspace_members a
		JOIN workspace_members b ON b.workspace_id = a.workspace_id
		WHERE a.user_id = $1 AND b.user_id = $2
	`, userA, userB)
	if err != nil {
		return false, fmt.Errorf("postgres: shares workspace: %w", err)
	}
	return ok, nil
}

// exists reports whether query returns a row.
func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS ("+query+")", args...).Scan(&ok)
	return ok, err
}

// ids returns the one text column of the rows of query, as a list that is
// empty rather than nil when there are none.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
