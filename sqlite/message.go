package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/parleychat/parley"
)

// maxBatch bounds the appends committed in one transaction, so that a flood
// of them still gets answers in batches of bounded latency.
const maxBatch = 256

// appendRequest is one AppendMessage call waiting for the committer.
type appendRequest struct {
	ctx     context.Context
	msg     *parley.Message
	changes []*parley.Change
	done    chan appendResult // buffered, so that the committer never waits
}

// appendResult is the committer's answer to an appendRequest.
type appendResult struct {
	msg     *parley.Message
	created bool
	err     error

	// positions are those of the request's changes, in order, if the
	// message was created.
	positions []int64
}

// AppendMessage stores m at the end of its conversation, setting m.Seq, and
// returns m with created true; it appends changes with it, setting their
// Pos. If m.ClientMsgID is set and the sender already stored a message with
// it in the conversation, it stores nothing, appends no change, and returns
// that earlier message, with its reactions, and created false.
// It returns ENOTFOUND if m.ChannelID names a channel that does not exist,
// or m.ParentID a message that is not in the conversation, ECONFLICT if
// m.ID is taken, and ErrClosed after Close.
//
// A reply (m.ParentID set) adds one to its root's reply count and sets the
// root's LastReplyAt to m.CreatedAt, in the append's own transaction. Every
// field of m but Reactions is stored as given; reactions are added with
// AddReaction.
//
// Appends are committed in batches: a committer goroutine collects the calls
// that arrive while it is busy, stores them in one transaction, and waits
// for one fsync for all of them. Each call returns only after its batch has
// committed, so the message is durable; a call that fails does not fail the
// others in its batch, and leaves none of its changes.
func (s *Store) AppendMessage(
	ctx context.Context, m *parley.Message, changes ...*parley.Change,
) (*parley.Message, bool, error) {
	req := &appendRequest{ctx: ctx, msg: m, changes: changes, done: make(chan appendResult, 1)}
	select {
	case s.appends <- req:
	case <-s.closing:
		return nil, false, ErrClosed
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}

	// Once the committer has the request, the message may be stored whatever
	// happens to ctx, so wait for the outcome rather than leave the caller
	// guessing. A batch takes about as long as one fsync.
	res := <-req.done
	return res.msg, res.created, res.err
}

// commitLoop is the committer: it takes appends until Close, and commits
// them in batches.
func (s *Store) commitLoop() {
	defer close(s.done)
	for {
		select {
		case <-s.closing:
			return
		case req := <-s.appends:
			s.commitBatch(s.gather(req))
		}
	}
}

// gather returns first with the appends that are already waiting. Callers
// that arrived while the last batch was committing are blocked in their send,
// so they are all taken here, without waiting for more.
func (s *Store) gather(first *appendRequest) []*appendRequest {
	batch := []*appendRequest{first}
	for len(batch) < maxBatch {
		select {
		case req := <-s.appends:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// commitBatch stores batch in one transaction and answers every caller.
func (s *Store) commitBatch(batch []*appendRequest) {
	results, err := s.appendBatch(batch)
	for i, req := range batch {
		res := results[i]
		switch {
		case err != nil && res.err == nil:
			// The transaction failed, so nothing in it was stored.
			res = appendResult{err: err}
		case res.created:
			// The caller's message gets its Seq, and its changes their
			// positions, only now that they are stored for good.
			req.msg.Seq = res.msg.Seq
			res.msg = req.msg
			for j, c := range req.changes {
				c.Pos = res.positions[j]
			}
		}
		req.done <- res
	}
}

// appendBatch stores batch in one transaction. It returns each append's own
// result, and an error if the transaction as a whole failed.
func (s *Store) appendBatch(batch []*appendRequest) ([]appendResult, error) {
	results := make([]appendResult, len(batch))

	// The batch serves callers with different contexts, so it runs under
	// none of them; busy_timeout bounds its waits.
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return results, fmt.Errorf("sqlite: append message: %w", err)
	}
	defer tx.Rollback()

	st := s.appendStmts.in(ctx, tx)
	cst := s.changeStmts.in(ctx, tx)
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if results[i], err = st.appendInSavepoint(ctx, cst, req); err != nil {
			return results, fmt.Errorf("sqlite: append message: %w", err)
		}
	}

	if err := tx.Commit(); err != nil {
		return results, fmt.Errorf("sqlite: append message: %w", err)
	}
	return results, nil
}

// appendStatements are the statements of an append, prepared once on the
// writer's connection: parsing them again for every message would cost more
// than running them.
type appendStatements struct {
	savepoint, rollbackTo, release           *sql.Stmt
	findDuplicate, nextSeq, insert, bumpRoot *sql.Stmt
	reactions                                *sql.Stmt
}

// prepareAppend prepares the statements of an append on db.
func prepareAppend(ctx context.Context, db *sql.DB) (*appendStatements, error) {
	var st appendStatements
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&st.savepoint, `SAVEPOINT append`},
		{&st.rollbackTo, `ROLLBACK TO append`},
		{&st.release, `RELEASE append`},
		{&st.findDuplicate, `
			SELECT ` + messageColumns + ` FROM messages
			WHERE conversation_id = ? AND sender_id = ? AND client_msg_id = ?
		`},
		{&st.nextSeq, `
			INSERT INTO conversations (id, channel_id, last_seq)
			VALUES (?, NULLIF(?, ''), 1)
			ON CONFLICT (id) DO UPDATE SET last_seq = last_seq + 1
			RETURNING last_seq
		`},
		{&st.insert, `
			INSERT INTO messages (
				id, seq, conversation_id, workspace_id, channel_id, receiver_id,
				sender_id, text, created_at, client_msg_id, parent_id,
				also_to_channel, reply_count, last_reply_at, edited_at, deleted,
				mentions
			)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?)
		`},
		{&st.bumpRoot, `
			UPDATE messages SET reply_count = reply_count + 1, last_reply_at = ?
			WHERE id = ? AND conversation_id = ?
		`},
		{&st.reactions, reactionsQuery},
	} {
		stmt, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("prepare append: %w", err)
		}
		*p.stmt = stmt
	}
	return &st, nil
}

// in returns the statements bound to tx.
func (st *appendStatements) in(ctx context.Context, tx *sql.Tx) *appendStatements {
	return &appendStatements{
		savepoint:     tx.StmtContext(ctx, st.savepoint),
		rollbackTo:    tx.StmtContext(ctx, st.rollbackTo),
		release:       tx.StmtContext(ctx, st.release),
		findDuplicate: tx.StmtContext(ctx, st.findDuplicate),
		nextSeq:       tx.StmtContext(ctx, st.nextSeq),
		insert:        tx.StmtContext(ctx, st.insert),
		bumpRoot:      tx.StmtContext(ctx, st.bumpRoot),
		reactions:     tx.StmtContext(ctx, st.reactions),
	}
}

// Close closes the statements that are prepared.
func (st *appendStatements) Close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{
		st.savepoint, st.rollbackTo, st.release, st.findDuplicate, st.nextSeq, st.insert,
		st.bumpRoot, st.reactions,
	} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// appendInSavepoint appends the request's message, and its changes if the
// message is created, with cst, inside a savepoint, so that an append that
// fails halfway, after it took a Seq or positions, is undone without undoing
// the rest of the batch. The error is for failures that leave the
// transaction unusable; the append's own failure is in the result.
func (st *appendStatements) appendInSavepoint(
	ctx context.Context, cst *changeStatements, req *appendRequest,
) (appendResult, error) {
	if _, err := st.savepoint.ExecContext(ctx); err != nil {
		return appendResult{}, err
	}

	var res appendResult
	res.msg, res.created, res.err = st.append(ctx, req.msg)
	if res.err == nil && res.created && len(req.changes) > 0 {
		if res.positions, res.err = cst.append(ctx, req.changes); res.err != nil {
			res.err = fmt.Errorf("sqlite: append message: %w", res.err)
		}
	}
	if res.err != nil {
		// Whatever the append did is undone, so its result must say
		// only that it failed.
		res = appendResult{err: res.err}
		if _, err := st.rollbackTo.ExecContext(ctx); err != nil {
			return appendResult{}, err
		}
	}

	if _, err := st.release.ExecContext(ctx); err != nil {
		return appendResult{}, err
	}
	return res, nil
}

// append stores a copy of m with the next Seq of its conversation, unless
// the sender stored a message with the same ClientMsgID there before, which
// it returns instead. A reply also updates its root; the caller's savepoint
// undoes the insert if that fails.
func (st *appendStatements) append(ctx context.Context, m *parley.Message) (*parley.Message, bool, error) {
	// The lookup runs in the batch's transaction, so it also finds a
	// duplicate that arrived earlier in the same batch.
	if m.ClientMsgID != "" {
		row := st.findDuplicate.QueryRowContext(ctx, m.ConversationID, m.SenderID, m.ClientMsgID)
		prev, err := scanMessage(row)
		switch {
		case err == nil:
			if err := withReactions(ctx, st.reactions, []*parley.Message{prev}); err != nil {
				return nil, false, fmt.Errorf("sqlite: append message: %w", err)
			}
			return prev, false, nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, false, fmt.Errorf("sqlite: append message: %w", err)
		}
	}

	// The counter row of the conversation hands out Seq numbers. It is
	// created with the first message, and for a channel it points at the
	// channel, so a message for a deleted channel fails here.
	stored := *m
	err := st.nextSeq.QueryRowContext(ctx, m.ConversationID, m.ChannelID).Scan(&stored.Seq)
	if isForeignKey(err) {
		return nil, false, parley.Errorf(parley.ENOTFOUND, "channel not found")
	} else if err != nil {
		return nil, false, fmt.Errorf("sqlite: append message: %w", err)
	}

	_, err = st.insert.ExecContext(ctx, stored.ID, stored.Seq, stored.ConversationID,
		stored.WorkspaceID, stored.ChannelID, stored.ReceiverID, stored.SenderID,
		stored.Text, millis(stored.CreatedAt.Time), stored.ClientMsgID, stored.ParentID,
		stored.AlsoToChannel, stored.ReplyCount, optionalMillis(stored.LastReplyAt),
		optionalMillis(stored.EditedAt), stored.Deleted, encodeMentions(stored.Mentions))
	if isUnique(err) {
		return nil, false, parley.Errorf(parley.ECONFLICT, "message already exists")
	} else if err != nil {
		return nil, false, fmt.Errorf("sqlite: append message: %w", err)
	}

	if stored.ParentID == "" {
		return &stored, true, nil
	}
	res, err := st.bumpRoot.ExecContext(ctx, millis(stored.CreatedAt.Time),
		stored.ParentID, stored.ConversationID)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: append message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, false, fmt.Errorf("sqlite: append message: %w", err)
	} else if n == 0 {
		// The service has checked the root; this only guards the
		// counts against a caller that did not.
		return nil, false, parley.Errorf(parley.ENOTFOUND, "thread root not found")
	}
	return &stored, true, nil
}

// Messages returns a page of the conversation's history as f selects, in
// ascending Seq, and whether more lies beyond in the direction asked among
// the messages f selects: the replies of f.ParentID, every message with
// f.IncludeReplies, and otherwise the messages that are not replies and the
// replies sent to the channel too. The messages carry their reactions. It
// returns EINVALID if f sets both Before and After or a Limit below 1, and
// an empty page for a conversation that has no messages.
func (s *Store) Messages(
	ctx context.Context, conversationID string, f parley.MessageFilter,
) (*parley.MessagePage, error) {
	if f.Before != nil && f.After != nil {
		return nil, parley.Errorf(parley.EINVALID, "before and after cannot both be set")
	} else if f.Limit < 1 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be at least 1")
	}

	// The page and its reactions are read in one transaction, so that
	// they agree: a message deleted in between cannot show its text
	// without its reactions.
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	defer tx.Rollback()

	query, args := pageQuery(conversationID, f)
	stmt, err := s.reads.in(ctx, tx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	msgs, err := queryMessages(ctx, stmt, f.Limit+1, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	page := &parley.MessagePage{HasMore: len(msgs) > f.Limit}
	page.Messages = msgs[:min(len(msgs), f.Limit)]
	if f.After == nil {
		slices.Reverse(page.Messages)
	}

	if stmt, err = s.reads.in(ctx, tx, reactionsQuery); err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	if err := withReactions(ctx, stmt, page.Messages); err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
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
// migrations). messages_history is a partial index, which SQLite uses only
// if the query repeats its condition exactly: change both together.
func pageQuery(conversationID string, f parley.MessageFilter) (string, []any) {
	query := `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ?`
	args := []any{conversationID}
	switch {
	case f.ParentID != "":
		query += ` AND parent_id = ?`
		args = append(args, f.ParentID)
	case !f.IncludeReplies:
		query += ` AND (parent_id IS NULL OR also_to_channel)`
	}

	if f.After != nil {
		query += ` AND seq > ? ORDER BY seq LIMIT ?`
		return query, append(args, *f.After, f.Limit+1)
	}
	before := int64(math.MaxInt64)
	if f.Before != nil {
		before = *f.Before
	}
	query += ` AND seq < ? ORDER BY seq DESC LIMIT ?`
	return query, append(args, before, f.Limit+1)
}

// queryMessages returns the messages that stmt selects; size is the number
// expected at most.
func queryMessages(ctx context.Context, stmt *sql.Stmt, size int, args ...any) ([]*parley.Message, error) {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	msgs := make([]*parley.Message, 0, size)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}

// Message returns the message with the given ID, with its reactions, or
// ENOTFOUND.
func (s *Store) Message(ctx context.Context, id string) (*parley.Message, error) {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: message: %w", err)
	}
	defer tx.Rollback()

	stmt, err := s.reads.in(ctx, tx, `SELECT `+messageColumns+` FROM messages WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: message: %w", err)
	}
	m, err := scanMessage(stmt.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "message not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: message: %w", err)
	}

	if stmt, err = s.reads.in(ctx, tx, reactionsQuery); err != nil {
		return nil, fmt.Errorf("sqlite: message: %w", err)
	}
	if err := withReactions(ctx, stmt, []*parley.Message{m}); err != nil {
		return nil, fmt.Errorf("sqlite: message: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: message: %w", err)
	}
	return m, nil
}

// UpdateMessage applies u to the message, appends changes, and returns the
// message with its reactions. It returns ENOTFOUND if there is no such
// message and ECONFLICT if it is a tombstone, and then appends nothing: the
// condition is part of the UPDATE, so an edit racing a delete either lands
// before it or is refused.
func (s *Store) UpdateMessage(
	ctx context.Context, id string, u parley.MessageUpdate, changes ...*parley.Change,
) (*parley.Message, error) {
	var mentions *string
	if u.Mentions != nil {
		mentions = new(encodeMentions(*u.Mentions))
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update message: %w", err)
	}
	defer tx.Rollback()

	m, err := scanMessage(tx.QueryRowContext(ctx, `
		UPDATE messages SET
			text = coalesce(?, text),
			mentions = coalesce(?, mentions),
			edited_at = coalesce(?, edited_at)
		WHERE id = ? AND deleted = 0
		RETURNING `+messageColumns,
		u.Text, mentions, optionalMillis(u.EditedAt), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, whyUnchanged(ctx, tx, id)
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: update message: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, reactionsQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update message: %w", err)
	}
	if err := withReactions(ctx, stmt, []*parley.Message{m}); err != nil {
		return nil, fmt.Errorf("sqlite: update message: %w", err)
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return nil, fmt.Errorf("sqlite: update message: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: update message: %w", err)
	}
	return m, nil
}

// DeleteMessage makes the message a tombstone and returns it: Deleted set,
// Text and Mentions emptied, its reactions and its pin removed. Its Seq,
// EditedAt, its replies and its own reply count stay, and so does the
// count of the root it replies to. It reports whether this call made the
// tombstone, and appends changes only if it did; deleting a tombstone again
// changes nothing. It returns ENOTFOUND if there is no such message.
func (s *Store) DeleteMessage(
	ctx context.Context, id string, changes ...*parley.Change,
) (*parley.Message, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: delete message: %w", err)
	}
	defer tx.Rollback()

	m, err := scanMessage(tx.QueryRowContext(ctx, `
		UPDATE messages SET deleted = 1, text = '', mentions = '[]'
		WHERE id = ? AND deleted = 0
		RETURNING `+messageColumns, id))
	if errors.Is(err, sql.ErrNoRows) {
		// Absent, or a tombstone already, which is returned unchanged.
		m, err = scanMessage(tx.QueryRowContext(ctx, `
			SELECT `+messageColumns+` FROM messages WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, parley.Errorf(parley.ENOTFOUND, "message not found")
		} else if err != nil {
			return nil, false, fmt.Errorf("sqlite: delete message: %w", err)
		}
		return m, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("sqlite: delete message: %w", err)
	}

	for _, query := range []string{
		`DELETE FROM reactions WHERE message_id = ?`,
		`DELETE FROM pins WHERE message_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, query, id); err != nil {
			return nil, false, fmt.Errorf("sqlite: delete message: %w", err)
		}
	}
	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return nil, false, fmt.Errorf("sqlite: delete message: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("sqlite: delete message: %w", err)
	}
	return m, true, nil
}

// whyUnchanged explains a conditional write to a message that touched no
// row: ENOTFOUND if the message does not exist, ECONFLICT if it is a
// tombstone.
func whyUnchanged(ctx context.Context, tx *sql.Tx, id string) error {
	var deleted bool
	err := tx.QueryRowContext(ctx, `SELECT deleted FROM messages WHERE id = ?`, id).Scan(&deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return parley.Errorf(parley.ENOTFOUND, "message not found")
	case err != nil:
		return fmt.Errorf("sqlite: message state: %w", err)
	case deleted:
		return parley.Errorf(parley.ECONFLICT, "the message was deleted")
	}
	return nil
}

// messageColumns are the columns scanMessage reads.
const messageColumns = `id, seq, conversation_id, workspace_id, channel_id, receiver_id,
	sender_id, text, created_at, coalesce(client_msg_id, ''), coalesce(parent_id, ''),
	also_to_channel, reply_count, last_reply_at, edited_at, deleted, mentions`

// scanMessage scans the messageColumns.
func scanMessage(row scanner) (*parley.Message, error) {
	var m parley.Message
	var createdAt int64
	var lastReplyAt, editedAt sql.NullInt64
	var mentions string
	err := row.Scan(&m.ID, &m.Seq, &m.ConversationID, &m.WorkspaceID, &m.ChannelID,
		&m.ReceiverID, &m.SenderID, &m.Text, &createdAt, &m.ClientMsgID, &m.ParentID,
		&m.AlsoToChannel, &m.ReplyCount, &lastReplyAt, &editedAt, &m.Deleted, &mentions)
	if err != nil {
		return nil, err
	}

	m.CreatedAt = timeOf(createdAt)
	m.LastReplyAt = optionalTime(lastReplyAt)
	m.EditedAt = optionalTime(editedAt)
	if m.Mentions, err = decodeMentions(mentions); err != nil {
		return nil, fmt.Errorf("message %s: %w", m.ID, err)
	}
	return &m, nil
}

// encodeMentions returns the user IDs as the JSON array they are stored as.
func encodeMentions(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ids) // a []string always encodes
	return string(b)
}

// decodeMentions returns the user IDs of a stored JSON array, nil if there
// are none.
func decodeMentions(s string) ([]string, error) {
	if s == "[]" {
		return nil, nil
	}
	var ids []string
	if err := json.Unmarshal([]byte(s), &ids); err != nil {
		return nil, fmt.Errorf("mentions: %w", err)
	}
	return ids, nil
}
