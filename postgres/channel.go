package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
)

// CreateChannel stores ch with its creator as the only member, and appends
// changes. It returns ECONFLICT if the ID is taken or the workspace has a
// channel of that name, and ENOTFOUND if the workspace or the creator does
// not exist.
func (s *Store) CreateChannel(
	ctx context.Context, ch *parley.Channel, changes ...*parley.Change,
) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: create channel: %w", err)
	}
	defer tx.Rollback(ctx)

	if err := createChannel(ctx, tx, ch, ch.CreatorID); err != nil {
		return err
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return fmt.Errorf("postgres: create channel: %w", err)
	}
	if err := setSince(ctx, tx, channelSinceQuery, ch.ID, ch.CreatorID, changes); err != nil {
		return fmt.Errorf("postgres: create channel: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: create channel: %w", err)
	}
	setPositions(changes, positions)
	return nil
}

// createChannel stores ch in tx with memberID as its only member, whose
// view of the channel's stream starts where the stream is: at zero, unless
// changes were written to it before the channel was. The caller corrects
// that with setSince once it has appended its changes.
func createChannel(ctx context.Context, tx pgx.Tx, ch *parley.Channel, memberID string) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO channels (
			id, workspace_id, name, is_private, creator_id, created_at, topic, purpose, archived
		)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
	`, ch.ID, ch.WorkspaceID, ch.Name, ch.IsPrivate, ch.CreatorID, millis(ch.CreatedAt.Time),
		ch.Topic, ch.Purpose, ch.Archived)
	if isUniqueOn(err, "channels_name_unique") {
		return parley.Errorf(parley.ECONFLICT, "channel name %q is taken", ch.Name)
	} else if isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "channel already exists")
	} else if isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "workspace or creator not found")
	} else if err != nil {
		return fmt.Errorf("postgres: create channel: %w", err)
	}

	if _, err := tx.Exec(ctx, addChannelMemberQuery, ch.ID, memberID); isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return fmt.Errorf("postgres: create channel: %w", err)
	}
	return nil
}

// Channel returns the channel with the given ID, without its Users, or
// ENOTFOUND.
func (s *Store) Channel(ctx context.Context, id string) (*parley.Channel, error) {
	ch, err := scanChannel(s.pool.QueryRow(ctx, `
		SELECT `+channelColumns+` FROM channels WHERE id = $1
	`, id))
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: channel: %w", err)
	}
	return ch, nil
}

// Channels lists the workspace's channels, the oldest first.
func (s *Store) Channels(ctx context.Context, workspaceID string) ([]*parley.Channel, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+channelColumns+` FROM channels WHERE workspace_id = $1
		ORDER BY created_at, stored_order
	`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("postgres: channels: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*parley.Channel, error) {
		return scanChannel(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: channels: %w", err)
	}
	return list, nil
}

// ChannelIDsOfUser lists the IDs of the channels of the workspace that the
// user is a member of, the oldest channel first.
func (s *Store) ChannelIDsOfUser(ctx context.Context, workspaceID, userID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT c.id FROM channel_members m
		JOIN channels c ON c.id = m.channel_id
		WHERE m.user_id = $1 AND c.workspace_id = $2
		ORDER BY c.created_at, c.stored_order
	`, userID, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("postgres: channels of user: %w", err)
	}
	return ids, nil
}

// DeleteChannel removes the channel, or returns ENOTFOUND, and appends
// changes, which are for other streams. Its members and messages go with
// it, by the cascades of the schema, and its stream with its changes.
//
// The whole history goes in one transaction: appends to the channel wait
// for it, from the moment it locks the channel's conversation, and then
// find the channel gone. Appends to other conversations do not wait.
func (s *Store) DeleteChannel(ctx context.Context, id string, changes ...*parley.Change) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: delete channel: %w", err)
	}
	defer tx.Rollback(ctx)

	tag, err := tx.Exec(ctx, `DELETE FROM channels WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete channel: %w", err)
	} else if tag.RowsAffected() == 0 {
		return parley.Errorf(parley.ENOTFOUND, "channel not found")
	}

	// The stream's changes go with it, by the cascade of the schema.
	if err := lockStreams(ctx, tx, []string{id}, changes); err != nil {
		return fmt.Errorf("postgres: delete channel: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM streams WHERE id = $1`, id); err != nil {
		return fmt.Errorf("postgres: delete channel: %w", err)
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return fmt.Errorf("postgres: delete channel: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: delete channel: %w", err)
	}
	setPositions(changes, positions)
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: update channel: %w", err)
	}
	defer tx.Rollback(ctx)

	// The channel as it was tells whether the update changed it. The row
	// is locked until the transaction ends, so no other update comes
	// between.
	before, err := scanChannel(tx.QueryRow(ctx, `
		SELECT `+channelColumns+` FROM channels WHERE id = $1 FOR UPDATE
	`, id))
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: update channel: %w", err)
	}

	ch, err := scanChannel(tx.QueryRow(ctx, `
		UPDATE channels SET
			name = coalesce($1, name),
			topic = coalesce($2, topic),
			purpose = coalesce($3, purpose),
			archived = coalesce($4, archived)
		WHERE id = $5
		RETURNING `+channelColumns,
		u.Name, u.Topic, u.Purpose, u.Archived, id))
	if isUnique(err) && u.Name != nil {
		return nil, parley.Errorf(parley.ECONFLICT, "channel name %q is taken", *u.Name)
	} else if err != nil {
		return nil, fmt.Errorf("postgres: update channel: %w", err)
	}

	var positions []int64
	if ch.Name != before.Name || ch.Topic != before.Topic || ch.Purpose != before.Purpose ||
		ch.Archived != before.Archived {
		if positions, err = appendChanges(ctx, tx, changes); err != nil {
			return nil, fmt.Errorf("postgres: update channel: %w", err)
		}
	}

	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: update channel: %w", err)
	}
	if positions != nil {
		setPositions(changes, positions)
	}
	return ch, nil
}

// ChannelMemberIDs returns the IDs of the channel's members in the order
// they joined. It returns an empty list for a channel that does not exist.
func (s *Store) ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT user_id FROM channel_members WHERE channel_id = $1 ORDER BY joined
	`, channelID)
	if err != nil {
		return nil, fmt.Errorf("postgres: channel members: %w", err)
	}
	return ids, nil
}

// IsChannelMember reports whether the user is a member of the channel.
func (s *Store) IsChannelMember(ctx context.Context, channelID, userID string) (bool, error) {
	ok, err := s.exists(ctx, `
		SELECT 1 FROM channel_members WHERE channel_id = $1 AND user_id = $2
	`, channelID, userID)
	if err != nil {
		return false, fmt.Errorf("postgres: is channel member: %w", err)
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
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: add channel member: %w", err)
	}
	defer tx.Rollback(ctx)

	tag, err := tx.Exec(ctx, addChannelMemberQuery, channelID, userID)
	if isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "channel or user not found")
	} else if err != nil {
		return false, fmt.Errorf("postgres: add channel member: %w", err)
	} else if tag.RowsAffected() == 0 {
		return false, nil
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return false, fmt.Errorf("postgres: add channel member: %w", err)
	}
	if err := setSince(ctx, tx, channelSinceQuery, channelID, userID, changes); err != nil {
		return false, fmt.Errorf("postgres: add channel member: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: add channel member: %w", err)
	}
	setPositions(changes, positions)
	return true, nil
}

// RemoveChannelMember removes the user from the channel, and appends
// changes. It reports false, appending nothing, if the user was not a
// member.
func (s *Store) RemoveChannelMember(
	ctx context.Context, channelID, userID string, changes ...*parley.Change,
) (bool, error) {
	removed, err := s.execChanging(ctx, changes, `
		DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2
	`, channelID, userID)
	if err != nil {
		return false, fmt.Errorf("postgres: remove channel member: %w", err)
	}
	return removed, nil
}

// channelColumns are the columns scanChannel reads.
const channelColumns = `id, workspace_id, name, is_private, creator_id, created_at,
	topic, purpose, archived`

// scanChannel scans the channelColumns.
func scanChannel(row pgx.Row) (*parley.Channel, error) {
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
