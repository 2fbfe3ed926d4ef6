package postgres

import (
	"context"
	"fmt"

	"github.com/parleychat/parley"
)

// AddReaction records the user's reaction with the given name, and appends
// changes. It reports false, and changes nothing, if the user already
// reacted with that name. It returns ENOTFOUND if there is no such message
// and ECONFLICT if it is a tombstone.
func (s *Store) AddReaction(
	ctx context.Context, messageID, userID, name string, changes ...*parley.Change,
) (bool, error) {
	return s.insertIfLive(ctx, "add reaction", messageID, changes, `
		INSERT INTO reactions (message_id, user_id, name)
		SELECT id, $1, $2 FROM messages WHERE id = $3 AND NOT deleted FOR SHARE
		ON CONFLICT (message_id, user_id, name) DO NOTHING
	`, userID, name, messageID)
}

// insertIfLive runs an INSERT … SELECT that takes its row from the message
// if it is not a tombstone, and reports whether it inserted; if it did, it
// appends changes in the same transaction. When it did not, it tells why:
// ENOTFOUND, ECONFLICT for a tombstone, or false for a row that was there
// already.
//
// The SELECT locks the message's row FOR SHARE, which a delete's UPDATE
// must wait for, and which waits for a delete under way, and then sees the
// tombstone. So a reaction or pin racing a delete either lands before it,
// and goes with it, or is refused: it never outlives the delete on a
// tombstone, as it could if the delete had read the message's reactions
// before this insert committed.
func (s *Store) insertIfLive(ctx context.Context, op, messageID string, changes []*parley.Change,
	query string, args ...any) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: %s: %w", op, err)
	}
	defer tx.Rollback(ctx)

	tag, err := tx.Exec(ctx, query, args...)
	if isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "message or channel not found")
	} else if err != nil {
		return false, fmt.Errorf("postgres: %s: %w", op, err)
	} else if tag.RowsAffected() == 0 {
		return false, whyUnchanged(ctx, tx, messageID)
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return false, fmt.Errorf("postgres: %s: %w", op, err)
	}

	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: %s: %w", op, err)
	}
	setPositions(changes, positions)
	return true, nil
}

// RemoveReaction removes the user's reaction with the given name, and
// appends changes. It reports false, appending nothing, if there was none.
func (s *Store) RemoveReaction(
	ctx context.Context, messageID, userID, name string, changes ...*parley.Change,
) (bool, error) {
	removed, err := s.execChanging(ctx, changes, `
		DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND name = $3
	`, messageID, userID, name)
	if err != nil {
		return false, fmt.Errorf("postgres: remove reaction: %w", err)
	}
	return removed, nil
}
