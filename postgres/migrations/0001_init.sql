-- The whole schema of the PostgreSQL store: accounts, tokens, workspaces,
-- channels, history, read markers and the change streams of GET /sync. It
-- holds what the SQLite store's migrations 1 to 5 hold, in PostgreSQL's
-- terms.
--
-- Times are bigint Unix milliseconds, as in SQLite, so that both stores keep
-- exactly the same instants and a time survives a round trip unchanged.
-- Cascades are foreign keys, so a delete cannot forget a table; each child
-- column that points at a row that can be deleted leads an index, as
-- PostgreSQL, unlike for the parent's key, makes none by itself.

CREATE TABLE users (
	id            text PRIMARY KEY,
	email         text NOT NULL CONSTRAINT users_email_unique UNIQUE,
	nickname      text NOT NULL,
	password_hash text NOT NULL,
	created_at    bigint NOT NULL,
	deactivated   boolean NOT NULL DEFAULT false
);

CREATE TABLE refresh_tokens (
	hash       text PRIMARY KEY,
	user_id    text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at bigint NOT NULL
);

CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

-- A user has at most one reset code, the newest: the unique user_id lets
-- CreateResetCode replace an earlier code in one statement.
CREATE TABLE reset_codes (
	hash       text PRIMARY KEY,
	user_id    text NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	expires_at bigint NOT NULL
);

CREATE TABLE secrets (
	name  text PRIMARY KEY,
	value bytea NOT NULL
);

-- stored_order is the order rows were stored in. Lists sort by creation
-- time and then by it, as SQLite sorts by rowid, so that two rows created
-- in the same millisecond keep the order they came in. An identity hands
-- out its numbers without waiting for other transactions, so the order of
-- two concurrent inserts is either one, which is all a tie needs.
CREATE TABLE workspaces (
	id           text PRIMARY KEY,
	name         text NOT NULL,
	admin_id     text NOT NULL REFERENCES users (id),
	created_at   bigint NOT NULL,
	stored_order bigint GENERATED ALWAYS AS IDENTITY
);

-- joined is the member's join order, from an identity as above; since is
-- the position of the workspace's stream before the member's join, so that
-- the join is the first change they see.
CREATE TABLE workspace_members (
	workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	user_id      text NOT NULL REFERENCES users (id),
	joined       bigint GENERATED ALWAYS AS IDENTITY,
	since        bigint NOT NULL,
	PRIMARY KEY (workspace_id, user_id)
);

CREATE INDEX workspace_members_user_id ON workspace_members (user_id);

CREATE TABLE channels (
	id           text PRIMARY KEY,
	workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
	name         text NOT NULL,
	is_private   boolean NOT NULL,
	creator_id   text NOT NULL REFERENCES users (id),
	created_at   bigint NOT NULL,
	topic        text NOT NULL DEFAULT '',
	purpose      text NOT NULL DEFAULT '',
	archived     boolean NOT NULL DEFAULT false,
	stored_order bigint GENERATED ALWAYS AS IDENTITY,
	CONSTRAINT channels_name_unique UNIQUE (workspace_id, name)
);

CREATE TABLE channel_members (
	channel_id text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	user_id    text NOT NULL REFERENCES users (id),
	joined     bigint GENERATED ALWAYS AS IDENTITY,
	since      bigint NOT NULL,
	PRIMARY KEY (channel_id, user_id)
);

CREATE INDEX channel_members_user_id ON channel_members (user_id);

-- A conversation is a channel's history or a direct conversation's. Its row
-- holds the last Seq handed out, and hands out the next one: an append
-- raises last_seq with an upsert, which locks the row until the append
-- commits, so appends to one conversation take their turns, from any
-- connection of any node, and a Seq is never given twice nor skipped (a
-- rolled-back append rolls the counter back with it). The row ties a
-- channel's history to the channel: deleting the channel deletes the row,
-- which deletes the messages. Direct conversations have no channel_id and
-- are never deleted.
CREATE TABLE conversations (
	id         text PRIMARY KEY,
	channel_id text REFERENCES channels (id) ON DELETE CASCADE,
	last_seq   bigint NOT NULL
);

CREATE INDEX conversations_channel_id ON conversations (channel_id);

-- Absent optional fields are empty strings, except client_msg_id and
-- parent_id, which are NULL when absent so that the partial indexes below
-- hold only the messages that have one. last_reply_at and edited_at are
-- NULL until there is a reply or an edit. mentions is an array of user IDs,
-- read with the row.
--
-- parent_id is not a foreign key: the service checks the root,
-- AppendMessage checks it again as it counts the reply, and a root is never
-- removed without its replies (both go only with their conversation).
CREATE TABLE messages (
	id              text PRIMARY KEY,
	conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	seq             bigint NOT NULL,
	workspace_id    text NOT NULL,
	channel_id      text NOT NULL,
	receiver_id     text NOT NULL,
	sender_id       text NOT NULL,
	text            text NOT NULL,
	created_at      bigint NOT NULL,
	client_msg_id   text,
	parent_id       text,
	also_to_channel boolean NOT NULL,
	reply_count     integer NOT NULL,
	last_reply_at   bigint,
	edited_at       bigint,
	deleted         boolean NOT NULL,
	mentions        text[] NOT NULL,
	UNIQUE (conversation_id, seq)
);

-- The idempotency of client_msg_id, for every node at once: of two appends
-- of the same sender's ID in one conversation, the second finds the first's
-- entry here, committed or waiting to be, and stores nothing.
CREATE UNIQUE INDEX messages_client_msg_id
	ON messages (conversation_id, sender_id, client_msg_id)
	WHERE client_msg_id IS NOT NULL;

-- The history of a conversation: its messages that are not replies, and
-- the replies sent to the channel too, so that a page of history is one
-- range scan however many replies lie between its messages. PostgreSQL uses
-- a partial index for a query whose condition implies the index's, as
-- Messages and CountUnread repeat it.
CREATE INDEX messages_history ON messages (conversation_id, seq)
	WHERE parent_id IS NULL OR also_to_channel;

-- A thread's replies, in Seq order.
CREATE INDEX messages_thread ON messages (conversation_id, parent_id, seq)
	WHERE parent_id IS NOT NULL;

-- A reaction's id is its order: a message's reactions sort in the order
-- they were given, and a reaction removed and given again sorts last. The
-- unique key also serves the lookup of a message's reactions, and the
-- cascade.
CREATE TABLE reactions (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message_id text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	user_id    text NOT NULL,
	name       text NOT NULL,
	UNIQUE (message_id, user_id, name)
);

-- A message is pinned at most once, to its channel. A pin goes with the
-- message and with the channel.
CREATE TABLE pins (
	message_id   text PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
	channel_id   text NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
	pinned_by    text NOT NULL,
	pinned_at    bigint NOT NULL,
	stored_order bigint GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX pins_channel_id ON pins (channel_id, pinned_at);

-- A user's position in a conversation: the Seq of the last message they
-- have read. It goes with its conversation. user_id is not a foreign key:
-- users are never deleted, and the check would cost a lookup on every
-- write.
CREATE TABLE read_markers (
	conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	user_id         text NOT NULL,
	last_read       bigint NOT NULL,
	PRIMARY KEY (conversation_id, user_id)
);

-- The direct conversations each user has sent or received a message in, so
-- that DirectConversations and Streams read just their answer. The trigger
-- below fills it from every insert of messages, appended or imported, so
-- no way of writing messages can forget it. It runs once per statement,
-- over the rows the statement inserted, so that an import of thousands of
-- messages costs one insert here, not thousands. The conversation's ID
-- sorts byte by byte, as DirectConversations lists them in that order,
-- whatever the database's collation.
CREATE TABLE direct_members (
	user_id         text NOT NULL,
	conversation_id text COLLATE "C" NOT NULL,
	PRIMARY KEY (user_id, conversation_id)
);

CREATE FUNCTION messages_direct_members() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO direct_members (user_id, conversation_id)
	SELECT sender_id, conversation_id FROM added WHERE conversation_id LIKE 'dm:%'
	UNION
	SELECT receiver_id, conversation_id FROM added
	WHERE conversation_id LIKE 'dm:%' AND receiver_id <> ''
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;

CREATE TRIGGER messages_direct_members AFTER INSERT ON messages
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION messages_direct_members();

-- A stream's counter, as conversations.last_seq is a conversation's: pos is
-- the last position handed out, raised by an upsert that locks the row
-- until the write that records the change commits. The row is created with
-- the stream's first change. A stream is named by the ID of what it is the
-- log of, in any of four tables, so the name is not a foreign key; the
-- store removes a channel's or workspace's stream with it.
CREATE TABLE streams (
	id  text PRIMARY KEY,
	pos bigint NOT NULL
);

-- The changes, keyed by stream and position, so that a read of a stream
-- from a position is one range scan. data is the JSON the service gave,
-- kept as text, byte for byte.
CREATE TABLE changes (
	stream     text NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
	pos        bigint NOT NULL,
	type       text NOT NULL,
	data       text NOT NULL,
	created_at bigint NOT NULL,
	PRIMARY KEY (stream, pos)
);

-- PruneChanges removes old changes of every stream at once, along this
-- index.
CREATE INDEX changes_created_at ON changes (created_at);

-- The highest position PruneChanges removed from a stream: a read that
-- starts below it would miss changes, and is refused. It is kept apart
-- from the counter so that a prune never locks a row that appends lock:
-- with both in one row, a prune and an append that each held one stream's
-- row and wanted the other's would deadlock, and PostgreSQL would fail one
-- of them.
CREATE TABLE stream_floors (
	stream text PRIMARY KEY REFERENCES streams (id) ON DELETE CASCADE,
	floor  bigint NOT NULL
);
