-- The first schema: accounts, tokens, workspaces, channels and history.
--
-- Every table is STRICT, so a value of the wrong type is an error rather than
-- a silent conversion. Times are integer Unix milliseconds. Cascades are
-- foreign keys, so a delete cannot forget a table: each child column that
-- points at a row that can be deleted has an index, because SQLite otherwise
-- scans the whole child table for every parent row it deletes.

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	nickname      TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE refresh_tokens (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;

CREATE TABLE workspaces (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	admin_id   TEXT NOT NULL REFERENCES users (id),
	created_at INTEGER NOT NULL
) STRICT;

-- A member row's id is its join order: SQLite gives a new row one more than
-- the largest id in the table, so a later join always sorts after every
-- current member, even when an earlier row was deleted.
CREATE TABLE workspace_members (
	id           INTEGER PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id      TEXT NOT NULL REFERENCES users (id),
	UNIQUE (workspace_id, user_id)
) STRICT;

CREATE INDEX workspace_members_user_id ON workspace_members (user_id);

CREATE TABLE channels (
	id           TEXT PRIMARY KEY,
	workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	is_private   INTEGER NOT NULL,
	creator_id   TEXT NOT NULL REFERENCES users (id),
	created_at   INTEGER NOT NULL,
	UNIQUE (workspace_id, name)
) STRICT;

CREATE TABLE channel_members (
	id         INTEGER PRIMARY KEY,
	channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users (id),
	UNIQUE (channel_id, user_id)
) STRICT;

CREATE INDEX channel_members_user_id ON channel_members (user_id);

-- A conversation is a channel's history or a direct conversation's. Its row
-- holds the last Seq handed out, so that Seq never goes back even if the
-- newest messages are deleted, and it ties a channel's history to the
-- channel: deleting the channel deletes the row, which deletes the messages.
-- Direct conversations have no channel_id and are never deleted.
CREATE TABLE conversations (
	id         TEXT PRIMARY KEY,
	channel_id TEXT REFERENCES channels (id) ON DELETE CASCADE,
	last_seq   INTEGER NOT NULL
) STRICT;

CREATE INDEX conversations_channel_id ON conversations (channel_id);

-- Absent optional fields are empty strings, except client_msg_id, which is
-- NULL when absent so that the unique index below covers only the messages
-- that carry one.
CREATE TABLE messages (
	id              TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	seq             INTEGER NOT NULL,
	workspace_id    TEXT NOT NULL,
	channel_id      TEXT NOT NULL,
	receiver_id     TEXT NOT NULL,
	sender_id       TEXT NOT NULL,
	text            TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	client_msg_id   TEXT,
	UNIQUE (conversation_id, seq)
) STRICT;

CREATE UNIQUE INDEX messages_client_msg_id
	ON messages (conversation_id, sender_id, client_msg_id)
	WHERE client_msg_id IS NOT NULL;
