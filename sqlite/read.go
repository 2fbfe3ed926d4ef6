package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
// would, tied to the channel of the same ID. The move is one upsert that
// keeps the larger of the two Seq numbers, so concurrent calls cannot move
// a marker back whatever their order.
//
// Each call is a transaction of its own on the writer's connection. One
// that moves the marker waits for an fsync, as an append of one message
// does, and holds up the appends meanwhile; one that leaves it where it was
// writes nothing (see BenchmarkMarkRead). Markers are not batched as appends
// are: if clients mark read often enough for that to matter, MarkRead could
// go through the committer too, as its upsert gives the same result in any
// order.
func (s *Store) MarkRead(
	ctx context.Context, userID, conversationID string, seq int64, changes ...*parley.Change,
) (int64, error) {
	var channelID string
	if !parley.IsDMConversation(conversationID) {
		channelID = conversationID
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: mark read: %w", err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, `
		INSERT INTO conversations (id, channel_id, last_seq) VALUES (?, NULLIF(?, ''), 0)
		ON CONFLICT (id) DO NOTHING
	`, conversationID, channelID); isForeignKey(err) {
		return 0, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return 0, fmt.Errorf("sqlite: mark read: %w", err)
	}

	// The marker before the move tells whether this call moved it. The
	// transaction holds the write lock, so no other move comes between.
	var before int64
	err = tx.QueryRowContext(ctx, `
		SELECT last_read FROM read_markers WHERE conversation_id = ? AND user_id = ?
	`, conversationID, userID).Scan(&before)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("sqlite: mark read: %w", err)
	}

	var marker int64
	if err := tx.QueryRowContext(ctx, `
		INSERT INTO read_markers (conversation_id, user_id, last_read) VALUES (?, ?, max(?, 0))
		ON CONFLICT (conversation_id, user_id)
		DO UPDATE SET last_read = max(last_read, excluded.last_read)
		RETURNING last_read
	`, conversationID, userID, seq).Scan(&marker); err != nil {
		return 0, fmt.Errorf("sqlite: mark read: %w", err)
	}
	if marker > before {
		if err := s.appendChanges(ctx, tx, changes); err != nil {
			return 0, fmt.Errorf("sqlite: mark read: %w", err)
		}
	}

	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: mark read: %w", err)
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
	list, err := json.Marshal(conversationIDs)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read markers: %w", err)
	}

	stmt, err := s.reads.prepared(ctx, readMarkersQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read markers: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, string(list), userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: read markers: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("sqlite: read markers: %w", err)
		}
		markers[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: read markers: %w", err)
	}
	return markers, nil
}

// readMarkersQuery looks up one key of read_markers per conversation named
// in the JSON array given first.
const readMarkersQuery = `
	SELECT conversation_id, last_read FROM read_markers
	WHERE conversation_id IN (SELECT value FROM json_each(?)) AND user_id = ?
`

// CountUnread counts the messages of the conversation with Seq above
// afterSeq that are in its history, not the user's own and not deleted, and
// of them those whose mentions list the user; latest is the last Seq the
// conversation handed out, counting deleted messages and thread replies,
// and zero if it has none.
//
// The counts are read from the messages each time, in one statement, so
// that latest and the counts agree. The statement reads messages_history
// from afterSeq on, so it costs in proportion to the messages after the
// marker, not to the history: about a millisecond for 5,000 of them (see
// BenchmarkCountUnread).
func (s *Store) CountUnread(
	ctx context.Context, conversationID, userID string, afterSeq int64,
) (unread, mentions int, latest int64, err error) {
	stmt, err := s.reads.prepared(ctx, countUnreadQuery)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("sqlite: count unread: %w", err)
	}
	err = stmt.QueryRowContext(ctx, conversationID, userID, afterSeq).
		Scan(&unread, &mentions, &latest)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("sqlite: count unread: %w", err)
	}
	return unread, mentions, latest, nil
}

// countUnreadQuery counts the unread messages of conversation ?1 for user
// ?2 after Seq ?3. It repeats the condition of the partial index
// messages_history word for word, as SQLite uses the index only then; a
// test checks the plan. Most messages mention nobody, and their mentions
// are stored as the exact text '[]', so only the others are parsed: parsing
// every one made a count of messages of which one in twenty mentions
// someone 40 % slower.
const countUnreadQuery = `
	SELECT
		count(*),
		count(*) FILTER (WHERE mentions != '[]'
			AND EXISTS (SELECT 1 FROM json_each(mentions) WHERE value = ?2)),
		coalesce((SELECT last_seq FROM conversations WHERE id = ?1), 0)
	FROM messages
	WHERE conversation_id = ?1 AND (parent_id IS NULL OR also_to_channel) AND seq > ?3
		AND sender_id != ?2 AND deleted = 0
`

// DirectConversations lists the IDs of the direct conversations that hold
// at least one message the user sent or received, in the order of their
// IDs. It reads them from direct_members, which a trigger fills as messages
// are stored (see the migrations).
func (s *Store) DirectConversations(ctx context.Context, userID string) ([]string, error) {
	ids, err := s.ids(ctx, directConversationsQuery, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: direct conversations: %w", err)
	}
	return ids, nil
}

// directConversationsQuery reads a range of the key of direct_members.
const directConversationsQuery = `
	SELECT conversation_id FROM direct_members WHERE user_id = ? ORDER BY conversation_id
`
