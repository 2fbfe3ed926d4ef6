-- Read markers, and the direct conversations of each user.
--
-- Unread counts are not stored: CountUnread counts the messages after a
-- marker each time, along messages_history, so they cannot drift from the
-- history.

-- A user's position in a conversation: the Seq of the last message they
-- have read. A marker points at its conversation's row, so that deleting a
-- channel, which deletes its conversation, deletes the markers too. The key
-- leads with conversation_id so that it also serves that cascade; a lookup
-- of one user's markers names the conversations, so it needs no index that
-- leads with user_id. user_id is not a foreign key, as for reactions: users
-- are never deleted, and the check would cost a lookup on every write.
CREATE TABLE read_markers (
	conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	user_id         TEXT NOT NULL,
	last_read       INTEGER NOT NULL,
	PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

-- The direct conversations each user has sent or received a message in, so
-- that DirectConversations reads just its answer. Partial indexes on the
-- senders and receivers of direct messages would answer too, but they hold
-- two entries per message, and a lookup reads every direct message of the
-- user. Measured on 200,000 direct messages, half of them one user's in 25
-- conversations: the indexes found that user's in 9 ms, this table in 30 to
-- 70 µs; the indexes made the database 40 % larger and an append 10 to
-- 15 µs slower, where the trigger below costs an append 1 to 3 µs, and an
-- import about 1.5 µs a direct message.
--
-- The trigger fills the table from every insert of a message, appended or
-- imported, so no way of writing messages can forget it; a message that is
-- already listed costs one lookup and writes nothing. Direct messages are
-- never removed, only made tombstones, so a row never needs to go. The
-- receiver is empty only for a message that has none.
CREATE TABLE direct_members (
	user_id         TEXT NOT NULL,
	conversation_id TEXT NOT NULL,
	PRIMARY KEY (user_id, conversation_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER messages_direct_members AFTER INSERT ON messages
WHEN NEW.conversation_id GLOB 'dm:*'
BEGIN
	INSERT INTO direct_members (user_id, conversation_id)
	VALUES (NEW.sender_id, NEW.conversation_id)
	ON CONFLICT DO NOTHING;
	INSERT INTO direct_members (user_id, conversation_id)
	SELECT NEW.receiver_id, NEW.conversation_id WHERE NEW.receiver_id != ''
	ON CONFLICT DO NOTHING;
END;

-- The direct messages stored before this migration. GLOB with a fixed
-- prefix is a range of the (conversation_id, seq) key, so only direct
-- messages are read.
INSERT INTO direct_members (user_id, conversation_id)
SELECT sender_id, conversation_id FROM messages WHERE conversation_id GLOB 'dm:*'
UNION
SELECT receiver_id, conversation_id FROM messages
WHERE conversation_id GLOB 'dm:*' AND receiver_id != '';
