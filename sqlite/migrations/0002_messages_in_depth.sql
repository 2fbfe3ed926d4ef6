-- Threads, edits, tombstones, mentions, reactions and pins; channel topics,
-- purposes and archiving.
--
-- Every column is added with a default, so rows written before this
-- migration read as they did: no parent, never edited, not deleted, no
-- mentions.

ALTER TABLE channels ADD COLUMN topic TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;

-- parent_id is NULL for a message that is not a reply, so that the thread
-- index below holds replies only. It is not a foreign key: the service
-- checks the root, AppendMessage checks it again as it counts the reply, and
-- a root is never removed without its replies (both go only with their
-- conversation). A key would make SQLite look for the replies of every
-- message a cascade deletes, which needs an index that starts with
-- parent_id. last_reply_at and edited_at are NULL until there is a reply or
-- an edit. mentions is a JSON array of user IDs, read with the row, so that
-- a page of history needs no other table for them.
ALTER TABLE messages ADD COLUMN parent_id TEXT;
ALTER TABLE messages ADD COLUMN also_to_channel INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN reply_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at INTEGER;
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- The history of a conversation: its messages that are not replies, and
-- the replies sent to the channel too. The index holds only those, so a page
-- of history is one range scan however many replies lie between its
-- messages. SQLite uses a partial index only for a query that repeats its
-- condition word for word, as Messages does; a test there checks the plan.
-- (A generated column in_history, indexed with conversation_id and seq,
-- reads as fast, but its index holds every message.)
CREATE INDEX messages_history ON messages (conversation_id, seq)
	WHERE parent_id IS NULL OR also_to_channel;

-- A thread's replies, in Seq order. Only replies have a parent, so the
-- index holds nothing for the rest of the history.
CREATE INDEX messages_thread ON messages (conversation_id, parent_id, seq)
	WHERE parent_id IS NOT NULL;

-- A row's id is its order: SQLite gives a new row one more than the largest
-- id in the table, so a message's reactions sort in the order they were
-- given, and a reaction removed and given again sorts last. The unique key
-- also serves the lookup of a message's reactions, and the cascade.
CREATE TABLE reactions (
	id         INTEGER PRIMARY KEY,
	message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL,
	name       TEXT NOT NULL,
	UNIQUE (message_id, user_id, name)
) STRICT;

-- A message is pinned at most once, to its channel. A pin goes with the
-- message and with the channel; pins of direct conversations are not kept.
CREATE TABLE pins (
	message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
	channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	pinned_by  TEXT NOT NULL,
	pinned_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX pins_channel_id ON pins (channel_id, pinned_at);
