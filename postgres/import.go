package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
)

// ImportMessages appends msgs, in the order given, to the end of the
// conversation, all or nothing, and reports how many it added. A message
// whose ID is stored already, in any conversation, is skipped with its
// reactions and its pin; each message added gets the next Seq. Every other
// field is stored as given, except the thread counts: each reply added
// counts on its root, whether the root came in this import or an earlier
// one, and counts given on a root are not taken. The reactions of a message
// are stored in the order of msg.Reactions and of their UserIDs (Count is
// ignored, and a user named twice under one name counts once), and the pins
// whose message was added are stored too.
//
// It returns ENOTFOUND if a message or a pin names a channel that does not
// exist, or a reply a root that is not stored; EINVALID if a message belongs
// to another conversation, if two messages have the same ID, or if the
// messages name different channels or another channel than the
// conversation's; and ECONFLICT if a message repeats a ClientMsgID its
// sender already used in the conversation. Then nothing is stored. An
// import that adds nothing writes nothing.
//
// The import is one transaction. It locks the conversation's counter first,
// as an append does, so appends to the conversation wait for it, and then
// take the Seq numbers after its messages; appends elsewhere do not wait.
// Rows go in with COPY, a statement per table whatever their number.
func (s *Store) ImportMessages(
	ctx context.Context, conversationID string, msgs []*parley.Message, pins []*parley.Pin,
) (int, error) {
	channelIDs, err := parley.CheckImport(conversationID, msgs)
	if err != nil {
		return 0, err
	} else if len(msgs) == 0 {
		return 0, nil
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("postgres: import messages: %w", err)
	}
	defer tx.Rollback(ctx)

	lastSeq, err := openConversation(ctx, tx, conversationID, channelIDs)
	if err != nil {
		return 0, err
	}
	stored, err := storedIDs(ctx, tx, msgs)
	if err != nil {
		return 0, fmt.Errorf("postgres: import messages: %w", err)
	}

	// Messages first, as the reactions and pins point at them. If every
	// message was stored already, the rollback leaves the database as it
	// was.
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

	if _, err := tx.Exec(ctx, `
		UPDATE conversations SET last_seq = $1 WHERE id = $2
	`, lastSeq, conversationID); err != nil {
		return 0, fmt.Errorf("postgres: import messages: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("postgres: import messages: %w", err)
	}
	return len(added), nil
}

// openConversation creates the conversation's row, tied to its channel, if
// it has none yet, locks it, and returns the last Seq handed out in it.
// channelIDs are the channels the import's messages name: each must exist,
// and there must be at most one, the conversation's own. They are looked
// up, as messages have no foreign key to their channel.
func openConversation(ctx context.Context, tx pgx.Tx, conversationID string,
	channelIDs []string) (int64, error) {
	var found int
	if err := tx.QueryRow(ctx, `
		SELECT count(*) FROM channels WHERE id = ANY ($1)
	`, emptyIfNil(channelIDs)).Scan(&found); err != nil {
		return 0, fmt.Errorf("postgres: import messages: %w", err)
	} else if found < len(channelIDs) {
		return 0, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if len(channelIDs) > 1 {
		return 0, parley.Errorf(parley.EINVALID,
			"the messages of one import name different channels")
	}
	var channelID string
	if len(channelIDs) == 1 {
		channelID = channelIDs[0]
	}

	// The no-op update makes RETURNING give the row when it exists, and
	// locks it, as an append's upsert does.
	var lastSeq int64
	var rowChannelID string
	err := tx.QueryRow(ctx, `
		INSERT INTO conversations AS c (id, channel_id, last_seq) VALUES ($1, NULLIF($2, ''), 0)
		ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq
		RETURNING last_seq, coalesce(channel_id, '')
	`, conversationID, channelID).Scan(&lastSeq, &rowChannelID)
	if isForeignKey(err) {
		return 0, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return 0, fmt.Errorf("postgres: import messages: %w", err)
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
func storedIDs(ctx context.Context, tx pgx.Tx, msgs []*parley.Message) (map[string]bool, error) {
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	rows, err := tx.Query(ctx, `SELECT id FROM messages WHERE id = ANY ($1)`, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}

	stored := make(map[string]bool, len(list))
	for _, id := range list {
		stored[id] = true
	}
	return stored, nil
}

// importRows inserts the messages that are not stored already, numbering
// them from the Seq after lastSeq. It returns the IDs of those it added,
// and the last Seq it gave. Thread counts start at zero; countReplies sets
// them.
func importRows(ctx context.Context, tx pgx.Tx, msgs []*parley.Message, stored map[string]bool,
	lastSeq int64) (map[string]bool, int64, error) {
	added := make(map[string]bool, len(msgs))
	var rows [][]any
	for _, m := range msgs {
		if stored[m.ID] {
			continue
		}
		lastSeq++
		added[m.ID] = true
		rows = append(rows, []any{m.ID, lastSeq, m.ConversationID, m.WorkspaceID, m.ChannelID,
			m.ReceiverID, m.SenderID, m.Text, millis(m.CreatedAt.Time), nullIfEmpty(m.ClientMsgID),
			nullIfEmpty(m.ParentID), m.AlsoToChannel, 0, nil, optionalMillis(m.EditedAt),
			m.Deleted, emptyIfNil(m.Mentions)})
	}
	if len(rows) == 0 {
		return added, lastSeq, nil
	}

	_, err := tx.CopyFrom(ctx, pgx.Identifier{"messages"}, []string{
		"id", "seq", "conversation_id", "workspace_id", "channel_id", "receiver_id",
		"sender_id", "text", "created_at", "client_msg_id", "parent_id",
		"also_to_channel", "reply_count", "last_reply_at", "edited_at", "deleted",
		"mentions",
	}, pgx.CopyFromRows(rows))
	if err != nil {
		return nil, 0, importError(err)
	}
	return added, lastSeq, nil
}

// importReactions inserts the reactions of the messages added, each
// message's names in the order given, each name's users in the order given,
// which is the order their ids, and so their reads, follow. A user named
// twice under one name is stored once.
func importReactions(ctx context.Context, tx pgx.Tx, msgs []*parley.Message,
	added map[string]bool) error {
	type reaction struct{ messageID, userID, name string }
	seen := make(map[reaction]bool)
	var rows [][]any
	for _, m := range msgs {
		if !added[m.ID] {
			continue
		}
		for _, r := range m.Reactions {
			for _, userID := range r.UserIDs {
				key := reaction{m.ID, userID, r.Name}
				if !seen[key] {
					seen[key] = true
					rows = append(rows, []any{m.ID, userID, r.Name})
				}
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}

	_, err := tx.CopyFrom(ctx, pgx.Identifier{"reactions"},
		[]string{"message_id", "user_id", "name"}, pgx.CopyFromRows(rows))
	return importError(err)
}

// importPins inserts the pins of the messages added. A message pinned twice
// in an import is pinned once, as the first pin says.
func importPins(ctx context.Context, tx pgx.Tx, pins []*parley.Pin, added map[string]bool) error {
	pinned := make(map[string]bool)
	var rows [][]any
	for _, p := range pins {
		if !added[p.MessageID] || pinned[p.MessageID] {
			continue
		}
		pinned[p.MessageID] = true
		rows = append(rows, []any{p.MessageID, p.ChannelID, p.PinnedByID, millis(p.PinnedAt.Time)})
	}
	if len(rows) == 0 {
		return nil
	}

	_, err := tx.CopyFrom(ctx, pgx.Identifier{"pins"},
		[]string{"message_id", "channel_id", "pinned_by", "pinned_at"}, pgx.CopyFromRows(rows))
	return importError(err)
}

// countReplies adds the replies that were added to their roots' counts,
// whether the root came in this import or an earlier one, so that a later
// export that grew a thread brings its root up to date. One statement
// updates every root.
func countReplies(ctx context.Context, tx pgx.Tx, msgs []*parley.Message,
	added map[string]bool) error {
	var roots []string
	var replies []int32
	var last []int64
	index := make(map[string]int)
	for _, m := range msgs {
		if m.ParentID == "" || !added[m.ID] {
			continue
		}
		i, ok := index[m.ParentID]
		if !ok {
			i = len(roots)
			index[m.ParentID] = i
			roots, replies, last = append(roots, m.ParentID), append(replies, 0), append(last, 0)
		}
		replies[i]++
		last[i] = max(last[i], millis(m.CreatedAt.Time))
	}
	if len(roots) == 0 {
		return nil
	}

	tag, err := tx.Exec(ctx, `
		UPDATE messages m SET reply_count = m.reply_count + t.replies,
			last_reply_at = greatest(coalesce(m.last_reply_at, 0), t.last)
		FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS t (id, replies, last)
		WHERE m.id = t.id
	`, roots, replies, last)
	if err != nil {
		return fmt.Errorf("postgres: import messages: count replies: %w", err)
	} else if tag.RowsAffected() < int64(len(roots)) {
		return parley.Errorf(parley.ENOTFOUND, "the root of an imported reply is not stored")
	}
	return nil
}

// importError translates an error of an import's inserts, and returns nil
// for nil. Rows go in by the table, so the error cannot tell which message
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
	return fmt.Errorf("postgres: import messages: %w", err)
}

// nullIfEmpty returns s, or nil, which is stored as NULL, if s is empty.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
