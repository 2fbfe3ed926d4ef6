package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/parleychat/parley"
)

// CreateChannel stores ch with its creator as the only member, and appends
// changes. It returns ECONFLICT if the ID is taken or the workspace has a
// channel of that name, and ENOTFOUND if the workspace or the creator does
// not exist.
func (s *Store) CreateChannel(
	ctx context.Context, ch *parley.Channel, changes ...*parley.Change,
) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create channel: %w", err)
	}
	defer tx.Rollback()

	if err := createChannel(ctx, tx, ch, ch.CreatorID); err != nil {
		return err
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return fmt.Errorf("sqlite: create channel: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create channel: %w", err)
	}
	return nil
}

// createChannel stores ch in tx with memberID as its only member. It runs
// before the changes of the call are appended, so the member's since is
// the position of the channel's stream before them: zero, unless changes
// were written to that stream before the channel was.
func createChannel(ctx context.Context, tx *sql.Tx, ch *parley.Channel, memberID string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO channels (
			id, workspace_id, name, is_private, creator_id, created_at, topic, purpose, archived
		)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	`, ch.ID, ch.WorkspaceID, ch.Name, ch.IsPrivate, ch.CreatorID, millis(ch.CreatedAt.Time),
		ch.Topic, ch.Purpose, ch.Archived)
	if isUnique(err) && strings.Contains(err.Error(), "channels.id") {
		return parley.Errorf(parley.ECONFLICT, "channel already exists")
	} else if isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "channel name %q is taken", ch.Name)
	} else if isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "workspace or creator not found")
	} else if err != nil {
		return fmt.Errorf("sqlite: create channel: %w", err)
	}

	if _, err := tx.ExecContext(ctx, `
		INSERT INTO channel_members (channel_id, user_id, since)
		VALUES (?1, ?2, coalesce((SELECT pos FROM streams WHERE id = ?1), 0))
	`, ch.ID, memberID); isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return fmt.Errorf("sqlite: create channel: %w", err)
	}
	return nil
}

// Channel returns the channel with the given ID, without its Users, or
// ENOTFOUND.
func (s *Store) Channel(ctx context.Context, id string) (*parley.Channel, error) {
	ch, err := scanChannel(s.queryRow(ctx, `
		SELECT `+channelColumns+` FROM channels WHERE id = ?
	`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: channel: %w", err)
	}
	return ch, nil
}

// Channels lists the workspace's channels, the oldest first.
func (s *Store) Channels(ctx context.Context, workspaceID string) ([]*parley.Channel, error) {
	rows, err := s.query(ctx, `
		SELECT `+channelColumns+` FROM channels WHERE workspace_id = ?
		ORDER BY created_at, rowid
	`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: channels: %w", err)
	}
	defer rows.Close()

	list := []*parley.Channel{}
	for rows.Next() {
		ch, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: channels: %w", err)
		}
		list = append(list, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: channels: %w", err)
	}
	return list, nil
}

// ChannelIDsOfUser lists the IDs of the channels of the workspace that the
// user is a member of, the oldest channel first.
func (s *Store) ChannelIDsOfUser(ctx context.Context, workspaceID, userID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT c.id FROM channel_members m
		JOIN channels c ON c.id = m.channel_id
		WHERE m.user_id = ? AND c.workspace_id = ?
		ORDER BY c.created_at, c.rowid
	`, userID, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: channels of user: %w", err)
	}
	return ids, nil
}

// DeleteChannel removes the channel, or returns ENOTFOUND, and appends
// changes, which are for other streams. Its members and messages go with
// it, by the cascades of the schema, and its stream with its changes.
//
// The whole history goes in one transaction, and appends to every
// conversation wait until it commits: for a channel of millions of messages,
// seconds. Deleting the messages in slices first, each in a transaction of
// its own, would bound the wait.
func (s *Store) DeleteChannel(ctx context.Context, id string, changes ...*parley.Change) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: delete channel: %w", err)
	}
	defer tx.Rollback()

	res, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete channel: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: delete channel: %w", err)
	} else if n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "channel not found")
	}

	// The stream's changes go with it, by the cascade of the schema.
	if _, err := tx.ExecContext(ctx, `DELETE FROM streams WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqlite: delete channel: %w", err)
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return fmt.Errorf("sqlite: delete channel: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: delete channel: %w", err)
	}
	return nil
}

// UpdateChannel applies u to the channel and returns the result: the fields
// u leaves nil stay as they are. It appends changes if a field took a new
// value, and only then. It returns ENOTFOUND if there is no such channel,
// and ECONFLICT if the new name is taken in the workspace; then nothing
// changes.
func (s *Store) UpdateChannel(
	ctx context.Context, id string, u parley.ChannelUpdate, changes ...*parley.Change,
) (*parley.Channel, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update channel: %w", err)
	}
	defer tx.Rollback()

	// The channel as it was tells whether the update changed it; the
	// transaction holds the write lock, so no other write comes between.
	before, err := scanChannel(tx.QueryRowContext(ctx, `
		SELECT `+channelColumns+` FROM channels WHERE id = ?
	`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: update channel: %w", err)
	}

	ch, err := scanChannel(tx.QueryRowContext(ctx, `
		UPDATE channels SET
			name = coalesce(?, name),
			topic = coalesce(?, topic),
			purpose = coalesce(?, purpose),
			archived = coalesce(?, archived)
		WHERE id = ?
		RETURNING `+channelColumns,
		u.Name, u.Topic, u.Purpose, u.Archived, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if isUnique(err) && u.Name != nil {
		return nil, parley.Errorf(parley.ECONFLICT, "channel name %q is taken", *u.Name)
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: update channel: %w", err)
	}

	if ch.Name != before.Name || ch.Topic != before.Topic || ch.Purpose != before.Purpose ||
		ch.Archived != before.Archived {
		if err := s.appendChanges(ctx, tx, changes); err != nil {
			return nil, fmt.Errorf("sqlite: update channel: %w", err)
		}
	}

	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: update channel: %w", err)
	}
	return ch, nil
}

// ChannelMemberIDs returns the IDs of the channel's members in the order
// they joined. It returns an empty list for a channel that does not exist.
func (s *Store) ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT user_id FROM channel_members WHERE channel_id = ? ORDER BY id
	`, channelID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: channel members: %w", err)
	}
	return ids, nil
}

// IsChannelMember reports whether the user is a member of the channel.
func (s *Store) IsChannelMember(ctx context.Context, channelID, userID string) (bool, error) {
	ok, err := s.exists(ctx, `
		SELECT 1 FROM channel_members WHERE channel_id = ? AND user_id = ?
	`, channelID, userID)
	if err != nil {
		return false, fmt.Errorf("sqlite: is channel member: %w", err)
	}
	return ok, nil
}

// AddChannelMember adds the user to the channel, and appends changes. It
// records with the membership the position of the channel's stream before
// those changes, as where the user's view of it starts. It reports false,
// appending nothing, if the user was a member already, and returns
// ENOTFOUND if the channel or the user does not exist.
func (s *Store) AddChannelMember(
	ctx context.Context, channelID, userID string, changes ...*parley.Change,
) (bool, error) {
	added, err := s.execChanging(ctx, changes, `
		INSERT INTO channel_members (channel_id, user_id, since)
		VALUES (?1, ?2, coalesce((SELECT pos FROM streams WHERE id = ?1), 0))
		ON CONFLICT (channel_id, user_id) DO NOTHING
	`, channelID, userID)
	if isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "channel or user not found")
	} else if err != nil {
		return false, fmt.Errorf("sqlite: add channel member: %w", err)
	}
	return added, nil
}

// RemoveChannelMember removes the user from the channel, and appends
// changes. It reports false, appending nothing, if the user was not a
// member.
func (s *Store) RemoveChannelMember(
	ctx context.Context, channelID, userID string, changes ...*parley.Change,
) (bool, error) {
	removed, err := s.execChanging(ctx, changes, `
		DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?
	`, channelID, userID)
	if err != nil {
		return false, fmt.Errorf("sqlite: remove channel member: %w", err)
	}
	return removed, nil
}

// affected reports whether res changed a row; op names the change in errors.
func affected(res sql.Result, op string) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return n > 0, nil
}

// channelColumns are the columns scanChannel reads.
const channelColumns = `id, workspace_id, name, is_private, creator_id, created_at,
	topic, purpose, archived`

// scanChannel scans the channelColumns.
func scanChannel(row scanner) (*parley.Channel, error) {
	var ch parley.Channel
	var createdAt int64
	err := row.Scan(&ch.ID, &ch.WorkspaceID, &ch.Name, &ch.IsPrivate, &ch.CreatorID, &createdAt,
		&ch.Topic, &ch.Purpose, &ch.Archived)
	if err != nil {
		return nil, err
	}
	ch.CreatedAt = timeOf(createdAt)
	return &ch, nil
}
