package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/parleychat/parley"
)

// AddReaction records the user's reaction with the given name, and appends
// changes. It reports false, and changes nothing, if the user already
// reacted with that name. It returns ENOTFOUND if there is no such message
// and ECONFLICT if it is a tombstone; the insert takes its row from the live
// message, so a reaction racing a delete either lands before it (and goes
// with it) or is refused.
func (s *Store) AddReaction(
	ctx context.Context, messageID, userID, name string, changes ...*parley.Change,
) (bool, error) {
	return s.insertIfLive(ctx, "add reaction", messageID, changes, `
		INSERT INTO reactions (message_id, user_id, name)
		SELECT id, ?, ? FROM messages WHERE id = ? AND deleted = 0
		ON CONFLICT (message_id, user_id, name) DO NOTHING
	`, userID, name, messageID)
}

// insertIfLive runs an INSERT … SELECT that takes its row from the message
// if it is not a tombstone, and reports whether it inserted; if it did, it
// appends changes in the same transaction. When it did not, it tells why:
// ENOTFOUND, ECONFLICT for a tombstone, or false for a row that was there
// already.
func (s *Store) insertIfLive(ctx context.Context, op, messageID string, changes []*parley.Change,
	query string, args ...any) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	defer tx.Rollback()

	res, err := tx.ExecContext(ctx, query, args...)
	if isForeignKey(err) {
		return false, parley.Errorf(parley.ENOTFOUND, "message or channel not found")
	} else if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	inserted, err := affected(res, op)
	if err != nil {
		return false, err
	}
	if !inserted {
		return false, whyUnchanged(ctx, tx, messageID)
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}

	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return inserted, nil
}

// RemoveReaction removes the user's reaction with the given name, and
// appends changes. It reports false, appending nothing, if there was none.
func (s *Store) RemoveReaction(
	ctx context.Context, messageID, userID, name string, changes ...*parley.Change,
) (bool, error) {
	removed, err := s.execChanging(ctx, changes, `
		DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND name = ?
	`, messageID, userID, name)
	if err != nil {
		return false, fmt.Errorf("sqlite: remove reaction: %w", err)
	}
	return removed, nil
}

// reactionsQuery selects the reactions of the messages whose IDs are in a
// JSON array, in the order they were given: the first row of a name on a
// message is its first reaction there.
const reactionsQuery = `
	SELECT message_id, user_id, name FROM reactions
	WHERE message_id IN (SELECT value FROM json_each(?))
	ORDER BY id
`

// withReactions sets the Reactions of msgs, read with stmt, a statement of
// reactionsQuery, in one query whatever their number. A reaction's name
// comes in the order it was first given on its message, and its users in
// the order they reacted.
//
// The IDs travel as one JSON array, which json_each unpacks, rather than as
// one parameter each: a page may hold more messages than SQLite takes
// parameters.
func withReactions(ctx context.Context, stmt *sql.Stmt, msgs []*parley.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[string]*parley.Message, len(msgs))
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		byID[m.ID], ids[i] = m, m.ID
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("reactions: %w", err)
	}

	rows, err := stmt.QueryContext(ctx, string(idList))
	if err != nil {
		return fmt.Errorf("reactions: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		var messageID, userID, name string
		if err := rows.Scan(&messageID, &userID, &name); err != nil {
			return fmt.Errorf("reactions: %w", err)
		}
		addReaction(byID[messageID], userID, name)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reactions: %w", err)
	}
	return nil
}

// addReaction adds the user's reaction with the given name to m's
// Reactions, after the reactions already there. A message has a handful of
// names at most, so a linear search finds the name's entry.
func addReaction(m *parley.Message, userID, name string) {
	for i := range m.Reactions {
		if r := &m.Reactions[i]; r.Name == name {
			r.UserIDs = append(r.UserIDs, userID)
			r.Count++
			return
		}
	}
	m.Reactions = append(m.Reactions, parley.Reaction{Name: name, Count: 1, UserIDs: []string{userID}})
}
