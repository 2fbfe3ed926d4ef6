package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/parleychat/parley"
)

// CreateWorkspace stores ws with its admin as the only member, and general,
// its general channel, with the admin in it, in one transaction. It returns
// ECONFLICT if the ID of the workspace or of the channel is taken, and
// ENOTFOUND if the admin or the channel's creator does not exist. It appends
// changes with the rest, and the admin's memberships start at the streams'
// positions before them: zero, for a new workspace and channel.
func (s *Store) CreateWorkspace(ctx context.Context, ws *parley.Workspace, general *parley.Channel,
	changes ...*parley.Change) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create workspace: %w", err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `
		INSERT INTO workspaces (id, name, admin_id, created_at) VALUES (?, ?, ?, ?)
	`, ws.ID, ws.Name, ws.AdminID, millis(ws.CreatedAt.Time)); isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "workspace already exists")
	} else if isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "admin not found")
	} else if err != nil {
		return fmt.Errorf("sqlite: create workspace: %w", err)
	}

	if _, err := tx.ExecContext(ctx, `
		INSERT INTO workspace_members (workspace_id, user_id, since)
		VALUES (?1, ?2, coalesce((SELECT pos FROM streams WHERE id = ?1), 0))
	`, ws.ID, ws.AdminID); err != nil {
		return fmt.Errorf("sqlite: create workspace: %w", err)
	}

	// The general channel belongs to ws whatever general.WorkspaceID says,
	// and its member is the admin whoever is named its creator.
	ch := *general
	ch.WorkspaceID = ws.ID
	if err := createChannel(ctx, tx, &ch, ws.AdminID); err != nil {
		return err
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return fmt.Errorf("sqlite: create workspace: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create workspace: %w", err)
	}
	return nil
}

// Workspace returns the workspace with the given ID, without its Users and
// Channels, or ENOTFOUND.
func (s *Store) Workspace(ctx context.Context, id string) (*parley.Workspace, error) {
	ws := parley.Workspace{ID: id}
	var createdAt int64
	err := s.queryRow(ctx, `
		SELECT name, admin_id, created_at FROM workspaces WHERE id = ?
	`, id).Scan(&ws.Name, &ws.AdminID, &createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "workspace not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: workspace: %w", err)
	}
	ws.CreatedAt = timeOf(createdAt)
	return &ws, nil
}

// DeleteWorkspace removes the workspace, or returns ENOTFOUND, and appends
// changes, which are for other streams. Its channels, their members and
// messages, and its members go with it, by the cascades of the schema, and
// the streams of the workspace and of its channels with their changes;
// direct messages between its members stay. Like DeleteChannel, it holds
// the write lock until the last message is gone.
func (s *Store) DeleteWorkspace(ctx context.Context, id string, changes ...*parley.Change) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: delete workspace: %w", err)
	}
	defer tx.Rollback()

	// The streams of the workspace and its channels go first, while the
	// channels that name them are still there; their changes go with them,
	// by the cascade of the schema. If the workspace does not exist, all
	// of it is rolled back.
	if _, err := tx.ExecContext(ctx, `
		DELETE FROM streams
		WHERE id = ?1 OR id IN (SELECT id FROM channels WHERE workspace_id = ?1)
	`, id); err != nil {
		return fmt.Errorf("sqlite: delete workspace: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM workspaces WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete workspace: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: delete workspace: %w", err)
	} else if n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "workspace not found")
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return fmt.Errorf("sqlite: delete workspace: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: delete workspace: %w", err)
	}
	return nil
}

// WorkspaceMemberIDs returns the IDs of the workspace's members in the order
// they joined. It returns an empty list for a workspace that does not exist.
func (s *Store) WorkspaceMemberIDs(ctx context.Context, workspaceID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT user_id FROM workspace_members WHERE workspace_id = ? ORDER BY id
	`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: workspace members: %w", err)
	}
	return ids, nil
}

// IsWorkspaceMember reports whether the user is a member of the workspace.
func (s *Store) IsWorkspaceMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	ok, err := s.exists(ctx, `
		SELECT 1 FROM workspace_members WHERE workspace_id = ? AND user_id = ?
	`, workspaceID, userID)
	if err != nil {
		return false, fmt.Errorf("sqlite: is workspace member: %w", err)
	}
	return ok, nil
}

// WorkspacesOfUser lists the workspaces the user is a member of, the oldest
// workspace first, with their member counts.
func (s *Store) WorkspacesOfUser(ctx context.Context, userID string) ([]*parley.WorkspaceSummary, error) {
	rows, err := s.query(ctx, `
		SELECT w.id, w.name,
			(SELECT count(*) FROM workspace_members c WHERE c.workspace_id = w.id)
		FROM workspace_members m
		JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = ?
		ORDER BY w.created_at, w.rowid
	`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: workspaces of user: %w", err)
	}
	defer rows.Close()

	list := []*parley.WorkspaceSummary{}
	for rows.Next() {
		var w parley.WorkspaceSummary
		if err := rows.Scan(&w.ID, &w.Name, &w.MemberCount); err != nil {
			return nil, fmt.Errorf("sqlite: workspaces of user: %w", err)
		}
		list = append(list, &w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: workspaces of user: %w", err)
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: add workspace member: %w", err)
	}
	defer tx.Rollback()

	res, err := tx.ExecContext(ctx, `
		INSERT INTO workspace_members (workspace_id, user_id, since)
		VALUES (?1, ?2, coalesce((SELECT pos FROM streams WHERE id = ?1), 0))
		ON CONFLICT (workspace_id, user_id) DO NOTHING
	`, workspaceID, userID)
	if isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "workspace or user not found")
	} else if err != nil {
		return false, fmt.Errorf("sqlite: add workspace member: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("sqlite: add workspace member: %w", err)
	} else if n == 0 {
		return false, nil
	}

	if _, err := tx.ExecContext(ctx, `
		INSERT INTO channel_members (channel_id, user_id, since)
		VALUES (?1, ?2, coalesce((SELECT pos FROM streams WHERE id = ?1), 0))
		ON CONFLICT (channel_id, user_id) DO NOTHING
	`, generalID, userID); isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return false, fmt.Errorf("sqlite: add workspace member: %w", err)
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return false, fmt.Errorf("sqlite: add workspace member: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: add workspace member: %w", err)
	}
	return true, nil
}

// RemoveWorkspaceMember removes the user from the workspace and from every
// channel in it, and appends changes, in one transaction. It reports false,
// appending nothing, if the user was not a member.
func (s *Store) RemoveWorkspaceMember(
	ctx context.Context, workspaceID, userID string, changes ...*parley.Change,
) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: remove workspace member: %w", err)
	}
	defer tx.Rollback()

	res, err := tx.ExecContext(ctx, `
		DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?
	`, workspaceID, userID)
	if err != nil {
		return false, fmt.Errorf("sqlite: remove workspace member: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("sqlite: remove workspace member: %w", err)
	} else if n == 0 {
		return false, nil
	}

	if _, err := tx.ExecContext(ctx, `
		DELETE FROM channel_members
		WHERE user_id = ?
		AND channel_id IN (SELECT id FROM channels WHERE workspace_id = ?)
	`, userID, workspaceID); err != nil {
		return false, fmt.Errorf("sqlite: remove workspace member: %w", err)
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return false, fmt.Errorf("sqlite: remove workspace member: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: remove workspace member: %w", err)
	}
	return true, nil
}

// SharesWorkspace reports whether the two users are members of at least one
// common workspace.
func (s *Store) SharesWorkspace(ctx context.Context, userA, userB string) (bool, error) {
	ok, err := s.exists(ctx, `
		SELECT 1 FROM workspace_members a
		JOIN workspace_members b ON b.workspace_id = a.workspace_id
		WHERE a.user_id = ? AND b.user_id = ?
	`, userA, userB)
	if err != nil {
		return false, fmt.Errorf("sqlite: shares workspace: %w", err)
	}
	return ok, nil
}

// exists reports whether query, run on a reader, returns a row.
func (s *Store) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var ok bool
	err := s.queryRow(ctx, "SELECT EXISTS ("+query+")", args...).Scan(&ok)
	return ok, err
}

// ids returns the one text column of the rows of query, run on a reader,
// as a list that is empty rather than nil when there are none.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	list := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}
