package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
)

// appendChangeQuery appends one change to the stream $1 at its next
// position, and returns the position. The upsert creates the stream's
// counter with its first change, and otherwise raises it, locking its row
// until the transaction ends: the next writer to the stream waits for this
// one to commit or roll back, and then reads the counter as it left it.
const appendChangeQuery = `
	WITH counter AS (
		INSERT INTO streams AS s (id, pos) VALUES ($1, 1)
		ON CONFLICT (id) DO UPDATE SET pos = s.pos + 1
		RETURNING pos
	)
	INSERT INTO changes (stream, pos, type, data, created_at)
	VALUES ($1, (SELECT pos FROM counter), $2, $3, $4)
	RETURNING pos
`

// queueChanges queues on b the statements that append changes, each at the
// next position of its stream, and returns the slice of their positions,
// in the order of changes, which the batch's results fill in as they are
// read. It leaves the changes' Pos alone: the caller sets it once the
// transaction has committed.
//
// The statements go in the order of the streams' names, and in the order
// given within one stream, so that every write locks the counters it needs
// in the same order (see the package documentation).
func queueChanges(b *pgx.Batch, changes []*parley.Change) []int64 {
	order := make([]int, len(changes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		return cmp.Compare(changes[i].Stream, changes[j].Stream)
	})

	positions := make([]int64, len(changes))
	for _, i := range order {
		c := changes[i]
		b.Queue(appendChangeQuery, c.Stream, c.Type, string(c.Data),
			millis(c.CreatedAt.Time)).QueryRow(func(row pgx.Row) error {
			return row.Scan(&positions[i])
		})
	}
	return positions
}

// appendChanges appends changes in tx, each at the next position of its
// stream, in one round trip, and returns their positions. Every mutating
// method calls it in its own transaction, as the last of its writes, once
// it knows they changed something: the counters it locks are then held
// for the shortest time, and always after the rows of the write itself, an
// order every write keeps.
func appendChanges(ctx context.Context, tx pgx.Tx, changes []*parley.Change) ([]int64, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	var b pgx.Batch
	positions := queueChanges(&b, changes)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	return positions, nil
}

// lockStreams locks the counters of the streams named, those that exist,
// in the order of their names, byte by byte as queueChanges sorts them. A
// write that removes streams and appends to others calls it first, so
// that it takes the counters in the same order as every other write.
func lockStreams(ctx context.Context, tx pgx.Tx, streams []string, changes []*parley.Change) error {
	names := slices.Clone(streams)
	for _, c := range changes {
		names = append(names, c.Stream)
	}
	_, err := tx.Exec(ctx, `
		SELECT 1 FROM streams WHERE id = ANY ($1) ORDER BY id COLLATE "C" FOR UPDATE
	`, names)
	return err
}

// setPositions sets the Pos of changes, once the transaction that appended
// them has committed: the service takes a Pos of zero to mean that nothing
// was recorded.
func setPositions(changes []*parley.Change, positions []int64) {
	for i, c := range changes {
		c.Pos = positions[i]
	}
}

// countIn returns the number of changes in the given stream.
func countIn(changes []*parley.Change, stream string) int {
	n := 0
	for _, c := range changes {
		if c.Stream == stream {
			n++
		}
	}
	return n
}

// execChanging runs query, a write of one statement, in a transaction that
// also appends changes if the statement changed a row, and reports whether
// it did. Errors come as the driver gave them, for the caller to translate
// and wrap.
func (s *Store) execChanging(ctx context.Context, changes []*parley.Change, query string,
	args ...any) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)

	tag, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return false, err
	} else if tag.RowsAffected() == 0 {
		return false, nil
	}

	positions, err := appendChanges(ctx, tx, changes)
	if err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	setPositions(changes, positions)
	return true, nil
}

// Changes returns at most limit changes of the stream with Pos above
// after, in order; an unknown stream has none. It returns EINVALID if limit
// is below 1, or if after lies below what PruneChanges removed from the
// stream, as the changes after it are no longer all there.
func (s *Store) Changes(
	ctx context.Context, stream string, after int64, limit int,
) ([]*parley.Change, error) {
	if limit < 1 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be at least 1")
	}

	rows, err := s.pool.Query(ctx, changesQuery, stream, after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes: %w", err)
	}
	defer rows.Close()

	var floor int64
	list := []*parley.Change{}
	for rows.Next() {
		var pos, createdAt *int64
		var typ, data *string
		if err := rows.Scan(&floor, &pos, &typ, &data, &createdAt); err != nil {
			return nil, fmt.Errorf("postgres: changes: %w", err)
		}
		if pos == nil {
			continue // the floor's row, with no change after it
		}
		c := &parley.Change{Stream: stream, Pos: *pos, Type: *typ, CreatedAt: timeOf(*createdAt)}
		if *data != "" {
			c.Data = []byte(*data)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: changes: %w", err)
	}

	if floor > 0 && after < floor {
		return nil, parley.Errorf(parley.EINVALID,
			"the changes after position %d were removed; the stream now starts after %d",
			after, floor)
	}
	return list, nil
}

// changesQuery reads the floor of the stream $1 and a range of the key of
// changes after $2, at most $3 of them, in one statement, so that both come
// from one snapshot: a prune that commits between them cannot remove
// changes that the floor read before it let through. Every row carries the
// floor; with no change in the range, one row carries it alone.
const changesQuery = `
	SELECT f.floor, c.pos, c.type, c.data, c.created_at
	FROM (SELECT coalesce((SELECT floor FROM stream_floors WHERE stream = $1), 0) AS floor) f
	LEFT JOIN LATERAL (
		SELECT pos, type, data, created_at FROM changes
		WHERE stream = $1 AND pos > $2
		ORDER BY pos
		LIMIT $3
	) c ON true
	ORDER BY c.pos
`

// Streams lists every stream the user reads, with its latest position and
// the position the user's view of it starts after: their own stream, even
// if it is still empty; each workspace and channel they are a member of,
// from the position recorded when they joined; and each direct
// conversation that holds a message they sent or received, from its start.
// A user who does not exist has their own stream only, empty.
func (s *Store) Streams(ctx context.Context, userID string) ([]parley.StreamPosition, error) {
	rows, err := s.pool.Query(ctx, streamsQuery, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: streams: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (parley.StreamPosition, error) {
		var p parley.StreamPosition
		err := row.Scan(&p.Stream, &p.Latest, &p.Since)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: streams: %w", err)
	}
	return list, nil
}

// streamsQuery lists the streams of the user $1, each part reading a range
// of an index that leads with the user's ID, and looking up each stream's
// counter by its key. A stream without changes has no counter yet, and
// reads as position zero.
const streamsQuery = `
	SELECT $1::text, coalesce((SELECT pos FROM streams WHERE id = $1), 0), 0::bigint
	UNION ALL
	SELECT m.workspace_id, coalesce(s.pos, 0), m.since
	FROM workspace_members m LEFT JOIN streams s ON s.id = m.workspace_id
	WHERE m.user_id = $1
	UNION ALL
	SELECT m.channel_id, coalesce(s.pos, 0), m.since
	FROM channel_members m LEFT JOIN streams s ON s.id = m.channel_id
	WHERE m.user_id = $1
	UNION ALL
	SELECT d.conversation_id, coalesce(s.pos, 0), 0
	FROM direct_members d LEFT JOIN streams s ON s.id = d.conversation_id
	WHERE d.user_id = $1
`

// PruneChanges removes the changes created before the time given, from
// every stream, and returns how many it removed. It raises each stream's
// floor to the highest position it removed there, so that Changes refuses
// a read that would miss them. A stream's counter stays, so positions are
// never given twice.
//
// Changes are created in about the order of their positions, not exactly:
// two writes may take their times and their positions in opposite orders.
// A change left below the floor of its stream is never read again, and
// goes with the next prune.
//
// It is one statement, so the changes it removes and the floors it raises
// come from one snapshot. It locks the floors and the changes it removes,
// never a stream's counter, so appends do not wait for it; a prune of
// millions of changes is still one long transaction, and pruning often
// keeps each run short.
func (s *Store) PruneChanges(ctx context.Context, before parley.Time) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, pruneQuery, millis(before.Time)).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: prune changes: %w", err)
	}
	return n, nil
}

// pruneQuery removes the changes created before $1, along
// changes_created_at, and raises the floors of their streams, in the order
// of their names, as two nodes may prune at once.
const pruneQuery = `
	WITH pruned AS (
		DELETE FROM changes WHERE created_at < $1
		RETURNING stream, pos
	), raised AS (
		INSERT INTO stream_floors AS f (stream, floor)
		SELECT stream, max(pos) FROM pruned GROUP BY stream ORDER BY stream
		ON CONFLICT (stream) DO UPDATE SET floor = greatest(f.floor, excluded.floor)
	)
	SELECT count(*) FROM pruned
`
