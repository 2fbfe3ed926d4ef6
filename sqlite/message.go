package sqlite

import (
	"context"
	"database/sql"
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
	ctx  context.Context
	msg  *parley.Message
	done chan appendResult // buffered, so that the committer never waits
}

// appendResult is the committer's answer to an appendRequest.
type appendResult struct {
	msg     *parley.Message
	created bool
	err     error
}

// AppendMessage stores m at the end of its conversation, setting m.Seq, and
// returns m with created true. If m.ClientMsgID is set and the sender
// already stored a message with it in the conversation, it stores nothing
// and returns that earlier message with created false. It returns ENOTFOUND
// if m.ChannelID names a channel that does not exist, ECONFLICT if m.ID is
// taken, and ErrClosed after Close.
//
// Appends are committed in batches: a committer goroutine collects the calls
// that arrive while it is busy, stores them in one transaction, and waits
// for one fsync for all of them. Each call returns only after its batch has
// committed, so the message is durable; a call that fails does not fail the
// others in its batch.
func (s *Store) AppendMessage(ctx context.Context, m *parley.Message) (*parley.Message, bool, error) {
	req := &appendRequest{ctx: ctx, msg: m, done: make(chan appendResult, 1)}
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
			// The caller's message gets its Seq only now that it is
			// stored for good.
			req.msg.Seq = res.msg.Seq
			res.msg = req.msg
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
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if results[i], err = st.appendInSavepoint(ctx, req.msg); err != nil {
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
	savepoint, rollbackTo, release *sql.Stmt
	findDuplicate, nextSeq, insert *sql.Stmt
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
				sender_id, text, created_at, client_msg_id
			)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''))
		`},
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
	}
}

// Close closes the statements that are prepared.
func (st *appendStatements) Close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{
		st.savepoint, st.rollbackTo, st.release, st.findDuplicate, st.nextSeq, st.insert,
	} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// appendInSavepoint appends m inside a savepoint, so that an append that
// fails halfway, after it took a Seq, is undone without undoing the rest of
// the batch. The error is for failures that leave the transaction unusable;
// the append's own failure is in the result.
func (st *appendStatements) appendInSavepoint(ctx context.Context, m *parley.Message) (appendResult, error) {
	if _, err := st.savepoint.ExecContext(ctx); err != nil {
		return appendResult{}, err
	}

	var res appendResult
	res.msg, res.created, res.err = st.append(ctx, m)
	if res.err != nil {
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
// it returns instead.
func (st *appendStatements) append(ctx context.Context, m *parley.Message) (*parley.Message, bool, error) {
	// The lookup runs in the batch's transaction, so it also finds a
	// duplicate that arrived earlier in the same batch.
	if m.ClientMsgID != "" {
		row := st.findDuplicate.QueryRowContext(ctx, m.ConversationID, m.SenderID, m.ClientMsgID)
		prev, err := scanMessage(row)
		if err == nil {
			return prev, false, nil
		} else if !errors.Is(err, sql.ErrNoRows) {
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
		stored.Text, millis(stored.CreatedAt.Time), stored.ClientMsgID)
	if isUnique(err) {
		return nil, false, parley.Errorf(parley.ECONFLICT, "message already exists")
	} else if err != nil {
		return nil, false, fmt.Errorf("sqlite: append message: %w", err)
	}
	return &stored, true, nil
}

// Messages returns a page of the conversation's history as f selects, in
// ascending Seq, and whether more lies beyond in the direction asked. It
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

	// One row more than the page tells whether more lie beyond it. Pages
	// that end at the newest message are read backwards from their end,
	// along the (conversation_id, seq) index, and turned round below.
	var rows *sql.Rows
	var err error
	if f.After != nil {
		rows, err = s.rdb.QueryContext(ctx, `
			SELECT `+messageColumns+` FROM messages
			WHERE conversation_id = ? AND seq > ?
			ORDER BY seq LIMIT ?
		`, conversationID, *f.After, f.Limit+1)
	} else {
		before := int64(math.MaxInt64)
		if f.Before != nil {
			before = *f.Before
		}
		rows, err = s.rdb.QueryContext(ctx, `
			SELECT `+messageColumns+` FROM messages
			WHERE conversation_id = ? AND seq < ?
			ORDER BY seq DESC LIMIT ?
		`, conversationID, before, f.Limit+1)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	defer rows.Close()

	msgs := make([]*parley.Message, 0, f.Limit+1)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: messages: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}

	page := &parley.MessagePage{HasMore: len(msgs) > f.Limit}
	page.Messages = msgs[:min(len(msgs), f.Limit)]
	if f.After == nil {
		slices.Reverse(page.Messages)
	}
	return page, nil
}

// messageColumns are the columns scanMessage reads.
const messageColumns = `id, seq, conversation_id, workspace_id, channel_id, receiver_id,
	sender_id, text, created_at, coalesce(client_msg_id, '')`

// scanMessage scans the messageColumns.
func scanMessage(row scanner) (*parley.Message, error) {
	var m parley.Message
	var createdAt int64
	err := row.Scan(&m.ID, &m.Seq, &m.ConversationID, &m.WorkspaceID, &m.ChannelID,
		&m.ReceiverID, &m.SenderID, &m.Text, &createdAt, &m.ClientMsgID)
	if err != nil {
		return nil, err
	}
	m.CreatedAt = timeOf(createdAt)
	return &m, nil
}
