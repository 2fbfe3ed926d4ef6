package parley

import (
	"context"
	"encoding/json"
)

// Change is one entry of a stream: a change that a client who was away
// catches up on with GET /sync. Every change Parley pushes is also kept as a
// Change, written in the same store transaction as what it reports, so that
// a change that happened is never missing from its stream and a change that
// failed is never in one.
//
// A stream is the log of one conversation (its ID: a channel's "C…" or a
// direct conversation's "dm:…"), of one workspace ("W…"), or of one user
// ("U…"), for what only that user must learn. Positions count from 1 in each
// stream, without gaps, so that a client that saw position 7 and then 9
// knows it missed one. There is no counter shared by all streams: streams
// are as independent as conversations, and writes to two of them never wait
// on each other, in any store.
type Change struct {
	Stream string
	// Pos is the change's position in its stream, set by the store.
	Pos  int64
	Type string
	// Data is what the service needs to show the change: the event's
	// payload, or for a change to a message, the message's ID and what
	// was done, since the message itself is read when the change is shown.
	Data      json.RawMessage
	CreatedAt Time
}

// StreamPosition is one stream a user reads, and where they stand in it.
type StreamPosition struct {
	Stream string
	// Latest is the stream's highest position, zero for an empty stream.
	Latest int64
	// Since is the position the user's view of the stream starts after:
	// the position before their join was written, so that the join is the
	// first change they see, and zero for a stream they had from its start.
	Since int64
}

// ChangeStore reads the streams of changes that the mutating methods of
// [Store] append to.
//
// Every mutating method of Store takes the changes it must record as its
// last, variadic, argument. It appends them in the same transaction as its
// own write, each at the next position of its stream (setting Pos), if and
// only if that write changed something: a method that fails, or reports
// false because there was nothing to do, appends nothing, and a change not
// appended keeps Pos zero. AppendMessage
// appends nothing for an idempotent repeat. A method that removes a channel
// or workspace removes that channel's or workspace's stream with it; the
// changes it is given go to other streams.
//
// A method that adds a member to a channel or workspace records, with the
// membership, the stream's position before the changes of the same call, as
// the member's [StreamPosition.Since].
type ChangeStore interface {
	// Changes returns at most limit changes of the stream with Pos above
	// after, in order. An unknown stream has none. limit is at least 1.
	Changes(ctx context.Context, stream string, after int64, limit int) ([]*Change, error)
	// Streams lists every stream the user reads: their own (even if still
	// empty), each workspace and channel they are a member of, and each
	// direct conversation that holds a message sent or received by them.
	Streams(ctx context.Context, userID string) ([]StreamPosition, error)
	// PruneChanges removes the changes created before the given time, and
	// returns how
	// many it removed. Changes returns the rest of each stream; a read that
	// starts before what was removed is refused with EINVALID, since the
	// position it starts from was given by a client too late to use it.
	PruneChanges(ctx context.Context, before Time) (int, error)
}
