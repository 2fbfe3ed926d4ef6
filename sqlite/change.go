package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parleychat/parley"
)

// changeStatements are the statements that append a change, prepared once
// on the writer's connection, as every write but a failed one runs them.
type changeStatements struct {
	nextPos, insert *sql.Stmt
}

// prepareChanges prepares the statements that append a change on db.
func prepareChanges(ctx context.Context, db *sql.DB) (*changeStatements, error) {
	var st changeStatements
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// The counter row of the stream hands out positions, as a
		// conversation's row hands out Seq numbers. It is created with
		// the stream's first change.
		{&st.nextPos, `
			INSERT INTO streams (id, pos) VALUES (?, 1)
			ON CONFLICT (id) DO UPDATE SET pos = pos + 1
			RETURNING pos
		`},
		{&st.insert, `
			INSERT INTO changes (stream, pos, type, data, created_at) VALUES (?, ?, ?, ?, ?)
		`},
	} {
		stmt, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("prepare changes: %w", err)
		}
		*p.stmt = stmt
	}
	return &st, nil
}

// in returns the statements bound to tx.
func (st *changeStatements) in(ctx context.Context, tx *sql.Tx) *changeStatements {
	return &changeStatements{
		nextPos: tx.StmtContext(ctx, st.nextPos),
		insert:  tx.StmtContext(ctx, st.insert),
	}
}

// Close closes the statements that are prepared.
func (st *changeStatements) Close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{st.nextPos, st.insert} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// append stores changes, in order, each at the next position of its
// stream, and returns their positions. It leaves the changes' Pos alone:
// the caller sets it once it knows the transaction will commit, or has.
func (st *changeStatements) append(ctx context.Context, changes []*parley.Change) ([]int64, error) {
	positions := make([]int64, len(changes))
	for i, c := range changes {
		if err := st.nextPos.QueryRowContext(ctx, c.Stream).Scan(&positions[i]); err != nil {
			return nil, err
		}
		// Data is JSON, which is text; as a []byte it would be a BLOB,
		// which the STRICT table refuses in a TEXT column.
		_, err := st.insert.ExecContext(ctx, c.Stream, positions[i], c.Type, string(c.Data),
			millis(c.CreatedAt.Time))
		if err != nil {
			return nil, err
		}
	}
	return positions, nil
}

// appendChanges appends changes in tx, each at the next position of its
// stream, and sets their Pos. Every mutating method calls it, in its own
// transaction, as the last step before it commits, once it knows its write
// changed something: the service takes a Pos of zero to mean that nothing
// was recorded, so a call that fails or reports false must not set one. If
// the commit itself fails, the Pos set means nothing, as the caller gets
// an error.
func (s *Store) appendChanges(ctx context.Context, tx *sql.Tx, changes []*parley.Change) error {
	if len(changes) == 0 {
		return nil
	}
	positions, err := s.changeStmts.in(ctx, tx).append(ctx, changes)
	if err != nil {
		return err
	}
	for i, c := range changes {
		c.Pos = positions[i]
	}
	return nil
}

// execChanging runs query, a write of one statement, in a transaction that
// also appends changes if the statement changed a row, and reports whether
// it did. Errors come as the driver gave them, for the caller to translate
// and wrap.
func (s *Store) execChanging(ctx context.Context, changes []*parley.Change, query string,
	args ...any) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()

	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}

	if err := s.appendChanges(ctx, tx, changes); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// Changes returns at most limit changes of the stream with Pos above
// after, in order; an unknown stream has none. It returns EINVALID if limit
// is below 1, or if after lies below what PruneChanges removed from the
// stream, as the changes after it are no longer all there.
//
// The stream's floor and its changes are read in one transaction, so that
// a prune between the two cannot remove changes the floor let through.
func (s *Store) Changes(
	ctx context.Context, stream string, after int64, limit int,
) ([]*parley.Change, error) {
	if limit < 1 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be at least 1")
	}

	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	defer tx.Rollback()

	stmt, err := s.reads.in(ctx, tx, `SELECT floor FROM streams WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	var floor int64
	err = stmt.QueryRowContext(ctx, stream).Scan(&floor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	} else if floor > 0 && after < floor {
		return nil, parley.Errorf(parley.EINVALID,
			"the changes after position %d were removed; the stream now starts after %d",
			after, floor)
	}

	if stmt, err = s.reads.in(ctx, tx, changesQuery); err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	list, err := queryChanges(ctx, stmt, stream, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	return list, nil
}

// changesQuery reads a range of the key of changes.
const changesQuery = `
	SELECT pos, type, data, created_at FROM changes
	WHERE stream = ? AND pos > ?
	ORDER BY pos
	LIMIT ?
`

// queryChanges returns the changes of the stream that stmt, a statement of
// changesQuery, selects: those after the position given, at most limit.
func queryChanges(ctx context.Context, stmt *sql.Stmt, stream string, after int64,
	limit int) ([]*parley.Change, error) {
	rows, err := stmt.QueryContext(ctx, stream, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	list := []*parley.Change{}
	for rows.Next() {
		c := parley.Change{Stream: stream}
		var data string
		var createdAt int64
		if err := rows.Scan(&c.Pos, &c.Type, &data, &createdAt); err != nil {
			return nil, err
		}
		if data != "" {
			c.Data = json.RawMessage(data)
		}
		c.CreatedAt = timeOf(createdAt)
		list = append(list, &c)
	}
	return list, rows.Err()
}

// Streams lists every stream the user reads, with its latest position and
// the position the user's view of it starts after: their own stream, even
// if it is still empty; each workspace and channel they are a member of,
// from the position recorded when they joined; and each direct
// conversation that holds a message they sent or received, from its start.
// The user's own stream comes first, then workspaces, channels and direct
// conversations. A user who does not exist has their own stream only,
// empty.
func (s *Store) Streams(ctx context.Context, userID string) ([]parley.StreamPosition, error) {
	stmt, err := s.reads.prepared(ctx, streamsQuery)
	if err != nil {
		return nil, fmt.Errorf("sqlite: streams: %w", err)
	}
	rows, err := stmt.QueryContext(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: streams: %w", err)
	}
	defer rows.Close()

	list := []parley.StreamPosition{}
	for rows.Next() {
		var p parley.StreamPosition
		if err := rows.Scan(&p.Stream, &p.Latest, &p.Since); err != nil {
			return nil, fmt.Errorf("sqlite: streams: %w", err)
		}
		list = append(list, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: streams: %w", err)
	}
	return list, nil
}

// streamsQuery lists the streams of the user ?1, each part reading a range
// of an index that leads with the user's ID, and looking up each stream's
// counter by its key. A stream without changes has no counter yet, and
// reads as position zero.
const streamsQuery = `
	SELECT ?1, coalesce((SELECT pos FROM streams WHERE id = ?1), 0), 0
	UNION ALL
	SELECT m.workspace_id, coalesce(s.pos, 0), m.since
	FROM workspace_members m LEFT JOIN streams s ON s.id = m.workspace_id
	WHERE m.user_id = ?1
	UNION ALL
	SELECT m.channel_id, coalesce(s.pos, 0), m.since
	FROM channel_members m LEFT JOIN streams s ON s.id = m.channel_id
	WHERE m.user_id = ?1
	UNION ALL
	SELECT d.conversation_id, coalesce(s.pos, 0), 0
	FROM direct_members d LEFT JOIN streams s ON s.id = d.conversation_id
	WHERE d.user_id = ?1
`

// PruneChanges removes the changes created before the time given, from
// every stream, and returns how many it removed. It raises each stream's floor to the
// highest position it removed there, so that Changes refuses a read that
// would miss them. A stream's counter stays, so positions are never
// given twice.
//
// Changes are created in about the order of their positions, not exactly:
// two writes may take their times and their positions in opposite orders.
// A change left below the floor of its stream is never read again, and
// goes with the next prune.
//
// It is one transaction, and appends wait while it runs: a prune of
// millions of changes holds them up for seconds. Pruning often, or in
// steps of time, keeps each run short.
func (s *Store) PruneChanges(ctx context.Context, before parley.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune changes: %w", err)
	}
	defer tx.Rollback()

	if _, err := tx.ExecContext(ctx, raiseFloorsQuery, millis(before.Time)); err != nil {
		return 0, fmt.Errorf("sqlite: prune changes: %w", err)
	}
	res, err := tx.ExecContext(ctx, pruneQuery, millis(before.Time))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune changes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune changes: %w", err)
	}

	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: prune changes: %w", err)
	}
	return int(n), nil
}

// raiseFloorsQuery raises the floor of each stream that has changes created
// before ? to the highest position among them. It reads them along
// changes_created_at, which holds the key too, and groups them by stream
// after. Without statistics, as on a new database, the planner would rather
// read the whole table in key order, which comes grouped already, so the
// index is named.
const raiseFloorsQuery = `
	UPDATE streams SET floor = max(streams.floor, pruned.pos)
	FROM (
		SELECT stream, max(pos) AS pos FROM changes INDEXED BY changes_created_at
		WHERE created_at < ?
		GROUP BY stream
	) AS pruned
	WHERE streams.id = pruned.stream
`

// pruneQuery removes the changes created before ?, along
// changes_created_at.
const pruneQuery = `DELETE FROM changes WHERE created_at < ?`
