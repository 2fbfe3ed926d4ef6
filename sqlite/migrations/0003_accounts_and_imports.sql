-- Deactivated users and password reset codes, for accounts that arrive by
-- an import from Slack.
--
-- The new column has a default, so users written before this migration read
-- as they did: active.

ALTER TABLE users ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0;

-- A user has at most one reset code, the newest: the unique user_id lets
-- CreateResetCode replace an earlier code in one statement, and serves the
-- cascade when a user is deleted. Only a hash of the code is kept, as for
-- refresh tokens.
CREATE TABLE reset_codes (
	hash       TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
) STRICT;
