package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
)

// PinMessage pins p.MessageID to p.ChannelID, and appends changes. It
// reports false, and changes nothing, if the message is pinned already. It
// returns ENOTFOUND if the message or the channel does not exist, and
// ECONFLICT if the message is a tombstone.
func (s *Store) PinMessage(
	ctx context.Context, p *parley.Pin, changes ...*parley.Change,
) (bool, error) {
	return s.insertIfLive(ctx, "pin message", p.MessageID, changes, `
		INSERT INTO pins (message_id, channel_id, pinned_by, pinned_at)
		SELECT id, $1, $2, $3 FROM messages WHERE id = $4 AND NOT deleted FOR SHARE
		ON CONFLICT (message_id) DO NOTHING
	`, p.ChannelID, p.PinnedByID, millis(p.PinnedAt.Time), p.MessageID)
}

// UnpinMessage unpins the message, and appends changes. It reports false,
// appending nothing, if it was not pinned.
func (s *Store) UnpinMessage(
	ctx context.Context, messageID string, changes ...*parley.Change,
) (bool, error) {
	unpinned, err := s.execChanging(ctx, changes, `
		DELETE FROM pins WHERE message_id = $1
	`, messageID)
	if err != nil {
		return false, fmt.Errorf("postgres: unpin message: %w", err)
	}
	return unpinned, nil
}

// Pins lists the channel's pins, the most recently pinned first; of pins
// with the same PinnedAt, the one stored last comes first. It returns an
// empty list for a channel that does not exist.
func (s *Store) Pins(ctx context.Context, channelID string) ([]*parley.Pin, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT channel_id, message_id, pinned_by, pinned_at FROM pins
		WHERE channel_id = $1
		ORDER BY pinned_at DESC, stored_order DESC
	`, channelID)
	if err != nil {
		return nil, fmt.Errorf("postgres: pins: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*parley.Pin, error) {
		var p parley.Pin
		var pinnedAt int64
		err := row.Scan(&p.ChannelID, &p.MessageID, &p.PinnedByID, &pinnedAt)
		p.PinnedAt = timeOf(pinnedAt)
		return &p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: pins: %w", err)
	}
	return list, nil
}
