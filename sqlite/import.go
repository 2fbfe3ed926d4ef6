package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/parleychat/parley"
)

// ImportMessages appends msgs, in the order given, to the end of the
// conversation, all or nothing, and reports how many it added. A message
// whose ID is stored already, in any conversation, is skipped with its
// reactions and its pin; each message added gets the next Seq. Every other
// field is stored as given: the reply counts of roots are the caller's to
// work out, and are not bumped as AppendMessage bumps them. The reactions of
// a message are stored in the order of msg.Reactions and of their UserIDs
// (Count is ignored, and a user named twice under one name counts once), and
// the pins whose message was added are stored too.
//
// It returns ENOTFOUND if a message or a pin names a channel that does not
// exist; EINVALID if a message belongs to another conversation, if two
// messages have the same ID, or if the messages name different channels or
// another channel than the conversation's; and ECONFLICT if a message
// repeats a ClientMsgID its sender already used in the conversation. Then
// nothing is stored. An import that adds nothing writes nothing.
//
// The import is one transaction on the writer's connection, with one fsync
// at its commit, so it never interleaves with a batch of appends: it waits
// for the batch being committed, and while it runs every other write waits
// for it. An append that arrives meanwhile returns once the import and then
// its own batch have committed, with a Seq after the import's messages. A
// conversation of tens of thousands of messages holds the writer for a
// fraction of a second (see BenchmarkImportMessages); a caller with far more
// should import it in slices, each of them atomic on its own, so that live
// messages are not held up for seconds.
func (s *Store) ImportMessages(
	ctx context.Context, conversationID string, msgs []*parley.Message, pins []*parley.Pin,
) (int, error) {
	channelIDs, err := parley.CheckImport(conversationID, msgs)
	if err != nil {
		return 0, err
	} else if len(msgs) == 0 {
		return 0, nil
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}
	defer tx.Rollback()

	lastSeq, err := openConversation(ctx, tx, conversationID, channelIDs)
	if err != nil {
		return 0, err
	}
	stored, err := storedIDs(ctx, tx, msgs)
	if err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}

	// Messages first, as the reactions and pins point at them. If every
	// message was stored already, the rollback leaves the database as it
	// was, and no fsync is spent.
	added, lastSeq, err := importRows(ctx, tx, msgs, stored, lastSeq)
	if err != nil {
		return 0, err
	} else if len(added) == 0 {
		return 0, nil
	}
	if err := importReactions(ctx, tx, msgs, added); err != nil {
		return 0, err
	}
	if err := importPins(ctx, tx, pins, added); err != nil {
		return 0, err
	}
	if err := countReplies(ctx, tx, msgs, added); err != nil {
		return 0, err
	}

	if _, err := tx.ExecContext(ctx, `
		UPDATE conversations SET last_seq = ? WHERE id = ?
	`, lastSeq, conversationID); err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}
	return len(added), nil
}

// importRows inserts the messages that are not stored already, numbering
// them from the Seq after lastSeq. It returns the IDs of those it added,
// and the last Seq it gave.
func importRows(ctx context.Context, tx *sql.Tx, msgs []*parley.Message, stored map[string]bool,
	lastSeq int64) (map[string]bool, int64, error) {
	added := make(map[string]bool, len(msgs))
	rows := newMessageRows(tx)
	for _, m := range msgs {
		if stored[m.ID] {
			continue
		}
		lastSeq++
		added[m.ID] = true
		if err := rows.add(ctx, m.ID, lastSeq, m.ConversationID, m.WorkspaceID, m.ChannelID,
			m.ReceiverID, m.SenderID, m.Text, millis(m.CreatedAt.Time), m.ClientMsgID,
			m.ParentID, m.AlsoToChannel, 0, nil,
			optionalMillis(m.EditedAt), m.Deleted, encodeMentions(m.Mentions)); err != nil {
			return nil, 0, importError(err)
		}
	}
	if err := rows.flush(ctx); err != nil {
		return nil, 0, importError(err)
	}
	return added, lastSeq, nil
}

// countReplies adds the replies that were added to their roots' counts,
// whether the root came in this import or an earlier one, so that a later
// export that grew a thread brings its root up to date.
func countReplies(ctx context.Context, tx *sql.Tx, msgs []*parley.Message, added map[string]bool) error {
	type thread struct {
		replies int
		last    int64
	}
	threads := map[string]*thread{}
	var roots []string
	for _, m := range msgs {
		if m.ParentID == "" || !added[m.ID] {
			continue
		}
		t := threads[m.ParentID]
		if t == nil {
			t = &thread{}
			threads[m.ParentID] = t
			roots = append(roots, m.ParentID)
		}
		t.replies++
		t.last = max(t.last, millis(m.CreatedAt.Time))
	}

	for _, id := range roots {
		t := threads[id]
		res, err := tx.ExecContext(ctx, `
			UPDATE messages SET reply_count = reply_count + ?,
				last_reply_at = max(coalesce(last_reply_at, 0), ?)
			WHERE id = ?
		`, t.replies, t.last, id)
		if err != nil {
			return fmt.Errorf("sqlite: import messages: count replies: %w", err)
		}
		if ok, err := affected(res, "import messages"); err != nil {
			return err
		} else if !ok {
			return parley.Errorf(parley.ENOTFOUND, "the root %s of an imported reply is not stored", id)
		}
	}
	return nil
}

// importReactions inserts the reactions of the messages added. Reaction
// rows are read back in the order of their ids, which follow the order of
// insertion: each message's names in the order given, each name's users in
// the order given.
func importReactions(ctx context.Context, tx *sql.Tx, msgs []*parley.Message,
	added map[string]bool) error {
	rows := newReactionRows(tx)
	for _, m := range msgs {
		if !added[m.ID] {
			continue
		}
		for _, r := range m.Reactions {
			for _, userID := range r.UserIDs {
				if err := rows.add(ctx, m.ID, userID, r.Name); err != nil {
					return importError(err)
				}
			}
		}
	}
	return importError(rows.flush(ctx))
}

// importPins inserts the pins of the messages added.
func importPins(ctx context.Context, tx *sql.Tx, pins []*parley.Pin, added map[string]bool) error {
	rows := newPinRows(tx)
	for _, p := range pins {
		if !added[p.MessageID] {
			continue
		}
		if err := rows.add(ctx, p.MessageID, p.ChannelID, p.PinnedByID,
			millis(p.PinnedAt.Time)); err != nil {
			return importError(err)
		}
	}
	return importError(rows.flush(ctx))
}

// openConversation creates the conversation's row, tied to its channel, if
// it has none yet, and returns the last Seq handed out in it. channelIDs
// are the channels the import's messages name: each must exist, and there
// must be at most one, the conversation's own. Each is looked up, as
// messages have no foreign key to their channel; an import names one, so
// this costs one lookup.
func openConversation(ctx context.Context, tx *sql.Tx, conversationID string,
	channelIDs []string) (int64, error) {
	for _, id := range channelIDs {
		var exists bool
		if err := tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM channels WHERE id = ?)
		`, id).Scan(&exists); err != nil {
			return 0, fmt.Errorf("sqlite: import messages: %w", err)
		} else if !exists {
			return 0, parley.Errorf(parley.ENOTFOUND, "channel not found")
		}
	}
	if len(channelIDs) > 1 {
		return 0, parley.Errorf(parley.EINVALID,
			"the messages of one import name different channels")
	}
	var channelID string
	if len(channelIDs) == 1 {
		channelID = channelIDs[0]
	}

	// The no-op update makes RETURNING give the row when it exists.
	var lastSeq int64
	var rowChannelID string
	err := tx.QueryRowContext(ctx, `
		INSERT INTO conversations (id, channel_id, last_seq) VALUES (?, NULLIF(?, ''), 0)
		ON CONFLICT (id) DO UPDATE SET last_seq = last_seq
		RETURNING last_seq, coalesce(channel_id, '')
	`, conversationID, channelID).Scan(&lastSeq, &rowChannelID)
	if isForeignKey(err) {
		return 0, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return 0, fmt.Errorf("sqlite: import messages: %w", err)
	}

	// A conversation keeps the channel of its first message, whose
	// deletion takes its history with it.
	if rowChannelID != channelID {
		return 0, parley.Errorf(parley.EINVALID,
			"the messages name another channel than their conversation's")
	}
	return lastSeq, nil
}

// storedIDs returns the IDs of msgs that are stored already, in one query
// whatever their number.
func storedIDs(ctx context.Context, tx *sql.Tx, msgs []*parley.Message) (map[string]bool, error) {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}

	rows, err := tx.QueryContext(ctx, `
		SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))
	`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	stored := make(map[string]bool)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		stored[id] = true
	}
	return stored, rows.Err()
}

// importError translates an error of an import's inserts, and returns nil
// for nil. Rows go in by the chunk, so the error cannot tell which message
// was at fault.
func importError(err error) error {
	switch {
	case err == nil:
		return nil
	case isUnique(err):
		return parley.Errorf(parley.ECONFLICT,
			"an imported message repeats a client message ID its sender used already")
	case isForeignKey(err):
		return parley.Errorf(parley.ENOTFOUND, "channel of pin not found")
	}
	return fmt.Errorf("sqlite: import messages: %w", err)
}

// importChunk is the number of rows an import stores with one INSERT. Each
// statement the driver runs costs a fixed overhead, binding aside: locks,
// and a goroutine that watches the context. Paid once per row, it took
// about half of an import's time; chunks of 64 rows made imports twice as
// fast, and larger ones no faster. A statement of 64 messages has far fewer
// than SQLite's limit of 32,766 parameters.
const importChunk = 64

// rowInserter inserts rows into a table in chunks of importChunk rows per
// INSERT, the full chunks with a statement prepared once in the
// transaction, and the rest with one statement of its own.
type rowInserter struct {
	tx *sql.Tx
	// query is the INSERT with %s for its VALUES rows, and row one row's
	// placeholders, width of them.
	query string
	row   string
	width int

	full *sql.Stmt
	args []any
}

// newMessageRows returns an inserter of messages, in the order of
// messageColumns.
func newMessageRows(tx *sql.Tx) *rowInserter {
	return &rowInserter{tx: tx, width: 17, query: `
		INSERT INTO messages (
			id, seq, conversation_id, workspace_id, channel_id, receiver_id,
			sender_id, text, created_at, client_msg_id, parent_id,
			also_to_channel, reply_count, last_reply_at, edited_at, deleted,
			mentions
		)
		VALUES %s
	`, row: `(?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?)`}
}

// newReactionRows returns an inserter of reactions, as message_id, user_id,
// name. A user named twice under one name in an import counts once.
func newReactionRows(tx *sql.Tx) *rowInserter {
	return &rowInserter{tx: tx, width: 3, row: `(?, ?, ?)`, query: `
		INSERT INTO reactions (message_id, user_id, name) VALUES %s
		ON CONFLICT (message_id, user_id, name) DO NOTHING
	`}
}

// newPinRows returns an inserter of pins, as message_id, channel_id,
// pinned_by, pinned_at. A message pinned twice in an import is pinned once.
func newPinRows(tx *sql.Tx) *rowInserter {
	return &rowInserter{tx: tx, width: 4, row: `(?, ?, ?, ?)`, query: `
		INSERT INTO pins (message_id, channel_id, pinned_by, pinned_at) VALUES %s
		ON CONFLICT (message_id) DO NOTHING
	`}
}

// add inserts a row of ri.width values, or keeps it for a later chunk.
func (ri *rowInserter) add(ctx context.Context, values ...any) error {
	ri.args = append(ri.args, values...)
	if len(ri.args) < importChunk*ri.width {
		return nil
	}

	if ri.full == nil {
		var err error
		if ri.full, err = ri.tx.PrepareContext(ctx, ri.statement(importChunk)); err != nil {
			return err
		}
	}
	_, err := ri.full.ExecContext(ctx, ri.args...)
	ri.args = ri.args[:0]
	return err
}

// flush inserts the rows kept so far.
func (ri *rowInserter) flush(ctx context.Context) error {
	if len(ri.args) == 0 {
		return nil
	}
	_, err := ri.tx.ExecContext(ctx, ri.statement(len(ri.args)/ri.width), ri.args...)
	ri.args = ri.args[:0]
	return err
}

// statement returns the INSERT of n rows.
func (ri *rowInserter) statement(n int) string {
	rows := strings.Repeat(ri.row+", ", n-1) + ri.row
	return fmt.Sprintf(ri.query, rows)
}
