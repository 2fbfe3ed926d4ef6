package postgres

import (
	"context"
	"fmt"

	"github.com/parleychat/parley"
)

// MarkRead moves the user's read marker in the conversation forward to seq,
// never back, and returns the marker as it is afterwards. It appends
// changes if the marker moved, and only then. A marker never set is zero,
// so a seq below zero leaves it there. It returns ENOTFOUND if the
// conversation is a channel's (its ID is not a direct conversation's) and
// the channel does not exist, or no longer does.
//
// The marker needs its conversation's row, which a conversation without
// messages does not have yet; MarkRead creates it as the first append
// would, tied to the channel of the same ID.
func (s *Store) MarkRead(
	ctx context.Context, userID, conversationID string, seq int64, changes ...*parley.Change,
) (int64, error) {
	var channelID string
	if !parley.IsDMConversation(conversationID) {
		channelID = conversationID
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: mark read: %w", err)
	}
	defer tx.Rollback(ctx)

	if _, err := tx.Exec(ctx, `
		INSERT INTO conversations (id, channel_id, last_seq) VALUES ($1, NULLIF($2, ''), 0)
		ON CONFLICT (id) DO NOTHING
	`, conversationID, channelID); isForeignKey(err) {
		return 0, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return 0, fmt.Errorf("postgres: mark read: %w", err)
	}

	// The upsert returns a row only if it inserted the marker or moved it
	// forward. Of concurrent moves, each waits for the one before it to
	// commit, and then checks its condition against the marker that one
	// left, so each call knows whether it was the one that moved it. A new
	// marker at zero has not moved from where a marker never set reads.
	var marker int64
	moved := true
	err = tx.QueryRow(ctx, `
		INSERT INTO read_markers AS r (conversation_id, user_id, last_read)
		VALUES ($1, $2, greatest($3, 0))
		ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_read = excluded.last_read
		WHERE r.last_read < excluded.last_read
		RETURNING last_read
	`, conversationID, userID, seq).Scan(&marker)
	if isNoRows(err) {
		moved = false
		err = tx.QueryRow(ctx, `
			SELECT last_read FROM read_markers WHERE conversation_id = $1 AND user_id = $2
		`, conversationID, userID).Scan(&marker)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: mark read: %w", err)
	}

	var positions []int64
	if moved && marker > 0 {
		if positions, err = appendChanges(ctx, tx, changes); err != nil {
			return 0, fmt.Errorf("postgres: mark read: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("postgres: mark read: %w", err)
	}
	if positions != nil {
		setPositions(changes, positions)
	}
	return marker, nil
}

// ReadMarkers returns the user's markers in the given conversations, by
// conversation ID, in one query whatever their number. A conversation never
// read is left out, so its marker reads as zero.
func (s *Store) ReadMarkers(
	ctx context.Context, userID string, conversationIDs []string,
) (map[string]int64, error) {
	markers := make(map[string]int64, len(conversationIDs))
	if len(conversationIDs) == 0 {
		return markers, nil
	}

	rows, err := s.pool.Query(ctx, `
		SELECT conversation_id, last_read FROM read_markers
		WHERE conversation_id = ANY ($1) AND user_id = $2
	`, conversationIDs, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: read markers: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("postgres: read markers: %w", err)
		}
		markers[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read markers: %w", err)
	}
	return markers, nil
}

// CountUnread counts the messages of the conversation with Seq above
// afterSeq that are in its history, not the user's own and not deleted, and
// of them those whose mentions list the user; latest is the last Seq the
// conversation handed out, counting deleted messages and thread replies,
// and zero if it has none.
//
// The counts are read from the messages each time, in one statement, so
// that latest and the counts agree. The statement reads messages_history
// from afterSeq on, so it costs in proportion to the messages after the
// marker, not to the history.
func (s *Store) CountUnread(
	ctx context.Context, conversationID, userID string, afterSeq int64,
) (unread, mentions int, latest int64, err error) {
	err = s.pool.QueryRow(ctx, `
		SELECT
			count(*),
			count(*) FILTER (WHERE $2 = ANY (mentions)),
			coalesce((SELECT last_seq FROM conversations WHERE id = $1), 0)
		FROM messages
		WHERE conversation_id = $1 AND (parent_id IS NULL OR also_to_channel) AND seq > $3
			AND sender_id <> $2 AND NOT deleted
	`, conversationID, userID, afterSeq).Scan(&unread, &mentions, &latest)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("postgres: count unread: %w", err)
	}
	return unread, mentions, latest, nil
}

// DirectConversations lists the IDs of the direct conversations that hold
// at least one message the user sent or received, in the order of their
// IDs. It reads them from direct_members, which a trigger fills as messages
// are stored (see the migrations).
func (s *Store) DirectConversations(ctx context.Context, userID string) ([]string, error) {
	ids, err := s.ids(ctx, `
		SELECT conversation_id FROM direct_members WHERE user_id = $1 ORDER BY conversation_id
	`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: direct conversations: %w", err)
	}
	return ids, nil
}
