-- The change streams that GET /sync reads, and where each member's view of
-- a stream starts.
--
-- A stream is named by the ID of what it is the log of: a channel's ID
-- (which is also its conversation's), a direct conversation's "dm:…", a
-- workspace's or a user's. Its ID is not a foreign key, since it names rows
-- of four tables; the store removes a channel's or workspace's stream when
-- it removes the channel or workspace.

-- A stream's counter, as conversations.last_seq is a conversation's: pos
-- is the last position handed out, so that a position is never given twice,
-- even after its change is pruned. floor is the highest position pruned: a
-- read that starts below it would miss changes, and is refused. The row is
-- created with the stream's first change.
CREATE TABLE streams (
	id    TEXT PRIMARY KEY,
	pos   INTEGER NOT NULL,
	floor INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- The changes, clustered by their key, so that a read of a stream from a
-- position is one range scan, and the rows of one stream lie together. data
-- is the JSON the service gave, stored as text. The cascade removes a
-- stream's changes with its row, along the key.
CREATE TABLE changes (
	stream     TEXT NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
	pos        INTEGER NOT NULL,
	type       TEXT NOT NULL,
	data       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (stream, pos)
) STRICT, WITHOUT ROWID;

-- PruneChanges removes old changes of every stream at once, in a write
-- transaction that holds up appends while it runs. Without this index it
-- would read the whole table each time, however little it removes. Changes
-- are created in about the order of their times, so the index grows at its
-- end, which costs an append little.
CREATE INDEX changes_created_at ON changes (created_at);

-- The position of the stream before the member joined, so that their join
-- is the first change they see. Members who joined before this migration
-- read from the start, as their streams start empty here.
ALTER TABLE workspace_members ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
ALTER TABLE channel_members ADD COLUMN since INTEGER NOT NULL DEFAULT 0;
