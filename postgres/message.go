package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parleychat/parley"
)

// appendQuery stores a message at the next Seq of its conversation. The
// upsert of the conversation's counter creates it with the first message,
// tied to the channel for a channel's conversation, so a message for a
// channel that does not exist fails here; otherwise it raises the counter
// and holds its row's lock until the append commits (see the package
// documentation). A message whose sender used its client_msg_id in the
// conversation before is not inserted, and the statement returns no row:
// the caller then rolls back, which takes back the Seq.
const appendQuery = `
	WITH counter AS (
		INSERT INTO conversations AS c (id, channel_id, last_seq)
		VALUES ($1, NULLIF($2, ''), 1)
		ON CONFLICT (id) DO UPDATE SET last_seq = c.last_seq + 1
		RETURNING last_seq
	)
	INSERT INTO messages (
		id, seq, conversation_id, workspace_id, channel_id, receiver_id,
		sender_id, text, created_at, client_msg_id, parent_id,
		also_to_channel, reply_count, last_reply_at, edited_at, deleted,
		mentions
	)
	VALUES (
		$3, (SELECT last_seq FROM counter), $1, $4, $2, $5,
		$6, $7, $8, NULLIF($9, ''), NULLIF($10, ''),
		$11, $12, $13, $14, $15,
		$16
	)
	ON CONFLICT (conversation_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL
	DO NOTHING
	RETURNING seq
`

// bumpRootQuery counts a reply on its root.
const bumpRootQuery = `
	UPDATE messages SET reply_count = reply_count + 1, last_reply_at = $1
	WHERE id = $2 AND conversation_id = $3
`

// AppendMessage stores m at the end of its conversation, setting m.Seq, and
// returns m with created true; it appends changes with it, setting their
// Pos. If m.ClientMsgID is set and the sender already stored a message with
// it in the conversation, from any node, it stores nothing, appends no
// change, and returns that earlier message, with its reactions, and created
// false. It returns ENOTFOUND if m.ChannelID names a channel that does not
// exist, or m.ParentID a message that is not in the conversation, and
// ECONFLICT if m.ID is taken.
//
// A reply (m.ParentID set) adds one to its root's reply count and sets the
// root's LastReplyAt to m.CreatedAt, in the append's own transaction. Every
// field of m but Reactions is stored as given.
//
// The transaction's statements, its BEGIN included, go to the server in
// one round trip, and its COMMIT in a second. The message is durable when
// AppendMessage returns, as far as the server's settings make a commit so.
func (s *Store) AppendMessage(
	ctx context.Context, m *parley.Message, changes ...*parley.Change,
) (*parley.Message, bool, error) {
	var b pgx.Batch
	b.BeginTx(pgx.TxOptions{})

	// seq stays zero if the message was sent before.
	var seq int64
	b.Queue(appendQuery, m.ConversationID, m.ChannelID, m.ID, m.WorkspaceID, m.ReceiverID,
		m.SenderID, m.Text, millis(m.CreatedAt.Time), m.ClientMsgID, m.ParentID,
		m.AlsoToChannel, m.ReplyCount, optionalMillis(m.LastReplyAt),
		optionalMillis(m.EditedAt), m.Deleted, emptyIfNil(m.Mentions),
	).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&seq); !isNoRows(err) {
			return err
		}
		return nil
	})
	rootFound := true
	if m.ParentID != "" {
		b.Queue(bumpRootQuery, millis(m.CreatedAt.Time), m.ParentID, m.ConversationID).
			Exec(func(tag pgconn.CommandTag) error {
				rootFound = tag.RowsAffected() > 0
				return nil
			})
	}
	positions := queueChanges(&b, changes)

	results := s.pool.SendBatch(ctx, &b)
	tx := results.Tx()
	if tx == nil {
		return nil, false, fmt.Errorf("postgres: append message: %w", results.Close())
	}
	defer tx.Rollback(ctx)

	err := results.Close()
	switch {
	case isForeignKey(err):
		return nil, false, parley.Errorf(parley.ENOTFOUND, "channel not found")
	case isUnique(err):
		return nil, false, parley.Errorf(parley.ECONFLICT, "message already exists")
	case err != nil:
		return nil, false, fmt.Errorf("postgres: append message: %w", err)
	case seq == 0:
		// The rollback takes back the Seq the statement raised the
		// counter to, and the changes, before the lookup.
		if err := tx.Rollback(ctx); err != nil {
			return nil, false, fmt.Errorf("postgres: append message: %w", err)
		}
		return s.sentBefore(ctx, m)
	case !rootFound:
		// The service has checked the root; this only guards the counts
		// against a caller that did not.
		return nil, false, parley.Errorf(parley.ENOTFOUND, "thread root not found")
	}

	if err := tx.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("postgres: append message: %w", err)
	}
	m.Seq = seq
	setPositions(changes, positions)
	return m, true, nil
}

// sentBefore returns the message that m's sender stored before with m's
// ClientMsgID in its conversation, with created false. The append that
// found it waited, on the unique index, for that message's transaction to
// commit, so it is there to read.
func (s *Store) sentBefore(ctx context.Context, m *parley.Message) (*parley.Message, bool, error) {
	prev, err := scanMessage(s.pool.QueryRow(ctx, `
		SELECT `+messageColumns+`, `+reactionColumns+`
		FROM messages m `+reactionsJoin+`
		WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_msg_id = $3
	`, m.ConversationID, m.SenderID, m.ClientMsgID))
	if err != nil {
		return nil, false, fmt.Errorf("postgres: append message: %w", err)
	}
	return prev, false, nil
}

// Messages returns a page of the conversation's history as f selects, in
// ascending Seq, and whether more lies beyond in the direction asked among
// the messages f selects: the replies of f.ParentID, every message with
// f.IncludeReplies, and otherwise the messages that are not replies and the
// replies sent to the channel too. The messages carry their reactions, read
// in the same statement, so that they agree. It returns EINVALID if f sets
// both Before and After or a Limit below 1, and an empty page for a
// conversation that has no messages.
func (s *Store) Messages(
	ctx context.Context, conversationID string, f parley.MessageFilter,
) (*parley.MessagePage, error) {
	if f.Before != nil && f.After != nil {
		return nil, parley.Errorf(parley.EINVALID, "before and after cannot both be set")
	} else if f.Limit < 1 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be at least 1")
	}

	query, args := pageQuery(conversationID, f)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*parley.Message, error) {
		return scanMessage(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: messages: %w", err)
	}

	page := &parley.MessagePage{HasMore: len(msgs) > f.Limit}
	page.Messages = msgs[:min(len(msgs), f.Limit)]
	if f.After == nil {
		slices.Reverse(page.Messages)
	}
	return page, nil
}

// pageQuery returns the query of the page of the conversation that f
// selects, with its arguments: one row more than the page, which tells
// whether more lie beyond it. Pages that end at the newest message are read
// backwards from their end, and Messages turns them round.
//
// Each selection has an index that holds exactly the messages selected, in
// Seq order, so a page is one range scan however many other messages lie
// between its own: messages_thread for a thread, the (conversation_id, seq)
// key for every message, and messages_history for the history (see the
// migrations). The reactions of the page's messages are read after the
// page is cut, for its messages only.
func pageQuery(conversationID string, f parley.MessageFilter) (string, []any) {
	where := `conversation_id = $1`
	args := []any{conversationID}
	switch {
	case f.ParentID != "":
		where += ` AND parent_id = $2`
		args = append(args, f.ParentID)
	case !f.IncludeReplies:
		where += ` AND (parent_id IS NULL OR also_to_channel)`
	}

	seq, order := `seq < $%d`, `DESC`
	bound := int64(1<<63 - 1)
	if f.Before != nil {
		bound = *f.Before
	} else if f.After != nil {
		seq, order, bound = `seq > $%d`, `ASC`, *f.After
	}
	where += ` AND ` + fmt.Sprintf(seq, len(args)+1)
	args = append(args, bound, f.Limit+1)

	return fmt.Sprintf(`
		SELECT %s, %s
		FROM (
			SELECT * FROM messages WHERE %s
			ORDER BY seq %s
			LIMIT $%d
		) m %s
		ORDER BY m.seq %s
	`, messageColumns, reactionColumns, where, order, len(args), reactionsJoin, order), args
}

// Message returns the message with the given ID, with its reactions, or
// ENOTFOUND.
func (s *Store) Message(ctx context.Context, id string) (*parley.Message, error) {
	m, err := scanMessage(s.pool.QueryRow(ctx, `
		SELECT `+messageColumns+`, `+reactionColumns+`
		FROM messages m `+reactionsJoin+`
		WHERE m.id = $1
	`, id))
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "message not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: message: %w", err)
	}
	return m, nil
}

// UpdateMessage applies u to the message, appends changes, and returns the
// message with its reactions. It returns ENOTFOUND if there is no such
// message and ECONFLICT if it is a tombstone, and then appends nothing: the
// condition is part of the UPDATE, which PostgreSQL checks again on the
// newest version of the row if a concurrent delete held it, so an edit
// racing a delete either lands before it or is refused.
func (s *Store) UpdateMessage(
	ctx context.Context, id string, u parley.MessageUpdate, changes ...*parley.Change,
) (*parley.Message, error) {
	var mentions *[]string
	if u.Mentions != nil {
		mentions = new(emptyIfNil(*u.Mentions))
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: update message: %w", err)
	}
	defer tx.Rollback(ctx)

	m, err := scanMessage(tx.QueryRow(ctx, `
		WITH m AS (
			UPDATE messages SET
				text = coalesce($1, text),
				mentions = coalesce($2, mentions),
				edited_at = coalesce($3, edited_at)
			WHERE id = $4 AND NOT deleted
			RETURNING *
		)
		SELECT `+messageColumns+`, `+reactionColumns+` FROM m `+reactionsJoin,
		u.Text, mentions, optionalMillis(u.EditedAt), id))
	if isNoRows(err) {
		return nil, whyUnchanged(ctx, tx, id)
	} else if err != nil {
		return nil, fmt.Errorf("postgres: update message: %w", err)
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return nil, fmt.Errorf("postgres: update message: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: update message: %w", err)
	}
	setPositions(changes, positions)
	return m, nil
}

// DeleteMessage makes the message a tombstone and returns it: Deleted set,
// Text and Mentions emptied, its reactions and its pin removed. Its Seq,
// EditedAt, its replies and its own reply count stay, and so does the
// count of the root it replies to. It reports whether this call made the
// tombstone, and appends changes only if it did: of concurrent deletes, the
// others wait for the first, and then find a tombstone, which they return
// unchanged. It returns ENOTFOUND if there is no such message.
func (s *Store) DeleteMessage(
	ctx context.Context, id string, changes ...*parley.Change,
) (*parley.Message, bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: delete message: %w", err)
	}
	defer tx.Rollback(ctx)

	m, err := scanMessage(tx.QueryRow(ctx, `
		UPDATE messages AS m SET deleted = true, text = '', mentions = '{}'
		WHERE m.id = $1 AND NOT m.deleted
		RETURNING `+messageColumns+`, `+noReactions, id))
	if isNoRows(err) {
		// Absent, or a tombstone already, which is returned unchanged.
		m, err = scanMessage(tx.QueryRow(ctx, `
			SELECT `+messageColumns+`, `+noReactions+` FROM messages m WHERE m.id = $1
		`, id))
		if isNoRows(err) {
			return nil, false, parley.Errorf(parley.ENOTFOUND, "message not found")
		} else if err != nil {
			return nil, false, fmt.Errorf("postgres: delete message: %w", err)
		}
		return m, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("postgres: delete message: %w", err)
	}

	for _, query := range []string{
		`DELETE FROM reactions WHERE message_id = $1`,
		`DELETE FROM pins WHERE message_id = $1`,
	} {
		if _, err := tx.Exec(ctx, query, id); err != nil {
			return nil, false, fmt.Errorf("postgres: delete message: %w", err)
		}
	}
	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: delete message: %w", err)
	}

	if err := tx.Commit(ctx); err != nil {
		return nil, false, fmt.Errorf("postgres: delete message: %w", err)
	}
	setPositions(changes, positions)
	return m, true, nil
}

// whyUnchanged explains a conditional write to a message that touched no
// row: ENOTFOUND if the message does not exist, ECONFLICT if it is a
// tombstone, and nil if neither, when the write found its work done.
func whyUnchanged(ctx context.Context, tx pgx.Tx, id string) error {
	var deleted bool
	err := tx.QueryRow(ctx, `SELECT deleted FROM messages WHERE id = $1`, id).Scan(&deleted)
	switch {
	case isNoRows(err):
		return parley.Errorf(parley.ENOTFOUND, "message not found")
	case err != nil:
		return fmt.Errorf("postgres: message state: %w", err)
	case deleted:
		return parley.Errorf(parley.ECONFLICT, "the message was deleted")
	}
	return nil
}

// messageColumns are the columns of a message that scanMessage reads, of
// the table or subquery m; reactionColumns or noReactions follow them.
const messageColumns = `m.id, m.seq, m.conversation_id, m.workspace_id, m.channel_id,
	m.receiver_id, m.sender_id, m.text, m.created_at, coalesce(m.client_msg_id, ''),
	coalesce(m.parent_id, ''), m.also_to_channel, m.reply_count, m.last_reply_at, m.edited_at,
	m.deleted, m.mentions`

// reactionsJoin reads the reactions of the message m, in the order they were
// given, as two arrays, of their users and of their names, which are NULL
// for a message without reactions. reactionColumns selects them.
const (
	reactionsJoin = `
		CROSS JOIN LATERAL (
			SELECT array_agg(user_id ORDER BY id) AS user_ids,
				array_agg(name ORDER BY id) AS names
			FROM reactions WHERE message_id = m.id
		) r
	`
	reactionColumns = `r.user_ids, r.names`
	noReactions     = `NULL::text[], NULL::text[]`
)

// scanMessage scans the messageColumns and the reaction columns after them.
func scanMessage(row pgx.Row) (*parley.Message, error) {
	var m parley.Message
	var createdAt int64
	var lastReplyAt, editedAt *int64
	var reactionUsers, reactionNames []string
	err := row.Scan(&m.ID, &m.Seq, &m.ConversationID, &m.WorkspaceID, &m.ChannelID,
		&m.ReceiverID, &m.SenderID, &m.Text, &createdAt, &m.ClientMsgID, &m.ParentID,
		&m.AlsoToChannel, &m.ReplyCount, &lastReplyAt, &editedAt, &m.Deleted, &m.Mentions,
		&reactionUsers, &reactionNames)
	if err != nil {
		return nil, err
	}

	m.CreatedAt = timeOf(createdAt)
	m.LastReplyAt = optionalTime(lastReplyAt)
	m.EditedAt = optionalTime(editedAt)
	m.Mentions = nilIfEmpty(m.Mentions)
	for i, userID := range reactionUsers {
		addReaction(&m, userID, reactionNames[i])
	}
	return &m, nil
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
