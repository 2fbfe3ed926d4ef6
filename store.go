package parley

import "context"

// Store is everything Parley keeps. The sqlite, postgres and dynamodb
// packages implement it, and package storetest holds the behaviour they must
// share: if two stores behave differently, one of them has a bug.
//
// A store keeps data and its integrity (unique names, cascades, atomic
// sequence numbers); it knows no permissions and no validation, which the
// service applies before calling it. Every method is safe for concurrent
// use. A getter of one item reports absence as an [Error] with code
// ENOTFOUND, never as a nil result; a list of an unknown parent is empty. A
// unique clash is ECONFLICT; a reference to a missing user, workspace or
// channel is ENOTFOUND. The service sets every ID and CreatedAt; the store
// keeps them as given.
//
// The methods are shaped so that a key-value store can implement them: no
// method needs a join across tables or a transaction that spans calls.
//
// Every method that changes what clients see takes, as its last argument,
// the changes it must record for GET /sync, and appends them atomically
// with its own write; [ChangeStore] states the rules. MarkRead appends them
// only if the marker moved; UpdateChannel only if a field took a new value.
type Store interface {
	UserStore
	TokenStore
	WorkspaceStore
	ChannelStore
	MessageStore
	ImportStore
	ReadStore
	ChangeStore

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store. Calls after Close fail.
	Close() error
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser stores u, with an empty or hashed password. It returns
	// ECONFLICT if u.Email or u.ID is taken. Emails are stored as given;
	// the service lowercases them first.
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	// SetPassword replaces the user's password hash, or returns ENOTFOUND.
	SetPassword(ctx context.Context, userID, passwordHash string) error
	// User returns the user with the given ID, or ENOTFOUND.
	User(ctx context.Context, id string) (*User, error)
	// UserByEmail returns the user with the given email, or ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// Users returns the users with the given IDs, in no particular order,
	// leaving out those that do not exist.
	Users(ctx context.Context, ids []string) ([]*User, error)
	// Credentials returns the password hash of the user with the given
	// email, or ENOTFOUND.
	Credentials(ctx context.Context, email string) (*Credentials, error)
}

// TokenStore keeps refresh tokens and the secrets that sign access tokens.
type TokenStore interface {
	// CreateRefreshToken stores t.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// ConsumeRefreshToken removes the token with the given hash and returns
	// it, atomically: of two concurrent calls with the same hash, one gets
	// the token and the other ENOTFOUND. An expired token is removed too
	// and reported as ENOTFOUND.
	ConsumeRefreshToken(ctx context.Context, hash string) (*RefreshToken, error)
	// DeleteRefreshTokens removes every refresh token of the user, ending
	// all their sessions once their access tokens expire.
	DeleteRefreshTokens(ctx context.Context, userID string) error
	// CreateResetCode stores c, replacing any earlier code of the same
	// user, so that only the newest code works.
	CreateResetCode(ctx context.Context, c *ResetCode) error
	// ConsumeResetCode removes the code with the given hash and returns
	// it, atomically, as ConsumeRefreshToken does: of two concurrent calls
	// one gets it, and an expired code is removed and reported as
	// ENOTFOUND.
	ConsumeResetCode(ctx context.Context, hash string) (*ResetCode, error)
	// Secret returns the secret stored under name. If there is none, it
	// stores the value that generate returns and returns it. Of concurrent
	// callers, on any node, all get the same value.
	Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)
}

// WorkspaceStore keeps workspaces and their members.
type WorkspaceStore interface {
	// CreateWorkspace stores ws with its admin as the only member, and its
	// general channel with the admin in it, and appends changes, all or
	// nothing.
	CreateWorkspace(ctx context.Context, ws *Workspace, general *Channel, changes ...*Change) error
	// Workspace returns the workspace with the given ID (without Users or
	// Channels), or ENOTFOUND.
	Workspace(ctx context.Context, id string) (*Workspace, error)
	// DeleteWorkspace removes the workspace with its channels, memberships
	// and messages. It returns ENOTFOUND if there is no such workspace.
	DeleteWorkspace(ctx context.Context, id string, changes ...*Change) error
	// WorkspaceMemberIDs returns the IDs of the workspace's members, in the
	// order they joined.
	WorkspaceMemberIDs(ctx context.Context, workspaceID string) ([]string, error)
	// IsWorkspaceMember reports whether the user is a member.
	IsWorkspaceMember(ctx context.Context, workspaceID, userID string) (bool, error)
	// WorkspacesOfUser lists the workspaces the user is a member of, oldest
	// first, with their member counts.
	WorkspacesOfUser(ctx context.Context, userID string) ([]*WorkspaceSummary, error)
	// AddWorkspaceMember makes the user a member of the workspace and of
	// the channel generalID in it, all or nothing. It reports false if the
	// user was a member already, and changes nothing then.
	AddWorkspaceMember(ctx context.Context, workspaceID, userID, generalID string, changes ...*Change) (bool, error)
	// RemoveWorkspaceMember removes the user from the workspace and from
	// every channel in it, all or nothing. It reports false if the user was
	// not a member.
	RemoveWorkspaceMember(ctx context.Context, workspaceID, userID string, changes ...*Change) (bool, error)
	// SharesWorkspace reports whether two users are members of at least
	// one common workspace.
	SharesWorkspace(ctx context.Context, userA, userB string) (bool, error)
}

// ChannelStore keeps channels and their members.
type ChannelStore interface {
	// CreateChannel stores ch with its creator as the only member. It
	// returns ECONFLICT if the workspace has a channel of that name.
	CreateChannel(ctx context.Context, ch *Channel, changes ...*Change) error
	// Channel returns the channel with the given ID (without Users), or
	// ENOTFOUND.
	Channel(ctx context.Context, id string) (*Channel, error)
	// Channels lists the workspace's channels, oldest first.
	Channels(ctx context.Context, workspaceID string) ([]*Channel, error)
	// ChannelIDsOfUser lists the IDs of the channels of the workspace that
	// the user is a member of.
	ChannelIDsOfUser(ctx context.Context, workspaceID, userID string) ([]string, error)
	// DeleteChannel removes the channel with its members and messages. It
	// returns ENOTFOUND if there is no such channel.
	DeleteChannel(ctx context.Context, id string, changes ...*Change) error
	// ChannelMemberIDs returns the IDs of the channel's members, in the
	// order they joined.
	ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error)
	// IsChannelMember reports whether the user is a member of the channel.
	IsChannelMember(ctx context.Context, channelID, userID string) (bool, error)
	// AddChannelMember adds the user to the channel. It reports false if
	// the user was a member already.
	AddChannelMember(ctx context.Context, channelID, userID string, changes ...*Change) (bool, error)
	// RemoveChannelMember removes the user from the channel. It reports
	// false if the user was not a member.
	RemoveChannelMember(ctx context.Context, channelID, userID string, changes ...*Change) (bool, error)
	// UpdateChannel applies u to the channel and returns the result. It
	// returns ENOTFOUND if there is no such channel, and ECONFLICT if a new
	// name is taken in the workspace; then nothing changes.
	UpdateChannel(ctx context.Context, id string, u ChannelUpdate, changes ...*Change) (*Channel, error)
}

// MessageStore keeps the history of every conversation.
type MessageStore interface {
	// AppendMessage stores m at the end of its conversation: it sets m.Seq
	// to one more than the conversation's highest so far, starting at 1,
	// and returns m. Seq numbers are never reused, even after a delete.
	// The message is durable when AppendMessage returns. Appending to a
	// channel that does not exist (or no longer does) is ENOTFOUND.
	//
	// If m.ClientMsgID is set and the same sender already stored a message
	// with it in the same conversation, nothing is stored and the earlier
	// message is returned with created false.
	//
	// If m.ParentID is set, m is a reply: in the same transaction the store
	// adds one to the root's ReplyCount and sets its LastReplyAt to
	// m.CreatedAt. The service has checked that the root exists in the
	// same conversation and is not itself a reply; a root missing by the
	// time the reply is stored is ENOTFOUND.
	AppendMessage(ctx context.Context, m *Message, changes ...*Change) (stored *Message, created bool, err error)
	// Message returns the message with the given ID, with its reactions,
	// or ENOTFOUND.
	Message(ctx context.Context, id string) (*Message, error)
	// UpdateMessage applies u to the message and returns the result. It
	// returns ENOTFOUND if there is no such message and ECONFLICT if it is
	// a tombstone, which nothing may change, whatever the order of a
	// concurrent edit and delete.
	UpdateMessage(ctx context.Context, id string, u MessageUpdate, changes ...*Change) (*Message, error)
	// DeleteMessage makes the message a tombstone and returns it: Deleted
	// set, Text and Mentions emptied, its reactions and pin removed; its
	// Seq, replies and the root's reply count stay. It reports whether
	// this call made the tombstone: of concurrent deletes, exactly one
	// does, and deleting a tombstone again changes nothing. It returns
	// ENOTFOUND if there is no such message.
	DeleteMessage(ctx context.Context, id string, changes ...*Change) (*Message, bool, error)
	// AddReaction records the user's reaction with the given name. It
	// reports false, and changes nothing, if the user already reacted with
	// that name. It returns ENOTFOUND if there is no such message and
	// ECONFLICT if it is a tombstone.
	AddReaction(ctx context.Context, messageID, userID, name string, changes ...*Change) (bool, error)
	// RemoveReaction removes the user's reaction with the given name. It
	// reports false if there was none.
	RemoveReaction(ctx context.Context, messageID, userID, name string, changes ...*Change) (bool, error)
	// PinMessage pins p.MessageID to p.ChannelID. It reports false, and
	// changes nothing, if the message is pinned already. It returns
	// ENOTFOUND if there is no such message and ECONFLICT if it is a
	// tombstone.
	PinMessage(ctx context.Context, p *Pin, changes ...*Change) (bool, error)
	// UnpinMessage unpins the message. It reports false if it was not
	// pinned.
	UnpinMessage(ctx context.Context, messageID string, changes ...*Change) (bool, error)
	// Pins lists the channel's pins, the most recently pinned first.
	Pins(ctx context.Context, channelID string) ([]*Pin, error)
	// Messages returns a page of the conversation's history as f selects,
	// in ascending Seq, and whether more lies beyond in the direction
	// asked, among the messages f selects. Messages carry their reactions.
	// f.Limit is at least 1.
	Messages(ctx context.Context, conversationID string, f MessageFilter) (*MessagePage, error)
}

// ImportStore writes history that happened elsewhere, as an import from
// Slack does. It exists for speed and atomicity: an import writes a whole
// conversation at once, and a conversation that fails leaves nothing.
type ImportStore interface {
	// ImportMessages appends msgs, in the order given, to the end of
	// their conversation, all or nothing, and reports how many it added.
	// A message whose ID is stored already is skipped, with its reactions
	// and pin, so that running the same import again adds nothing. Each
	// message added gets the next Seq of the conversation as AppendMessage
	// would give it. Its other fields are stored as given, EditedAt,
	// Mentions and Reactions (by UserIDs) included, except ReplyCount and
	// LastReplyAt: as in AppendMessage, each reply added counts on its root,
	// whether the root came in this call or an earlier one, so that a
	// thread that grew between two exports is counted right. A reply whose
	// root is not stored is ENOTFOUND. Pins whose message was added are
	// stored too. It returns ENOTFOUND if a message names a channel that
	// does not exist.
	//
	// An import records no changes: it writes history that happened
	// elsewhere, which clients read with Messages, not with GET /sync.
	ImportMessages(ctx context.Context, conversationID string, msgs []*Message, pins []*Pin) (int, error)
}

// ReadStore keeps each user's read position in each conversation, and counts
// what is unread from the messages themselves, never from counters kept on
// the side, so that the counts cannot drift.
type ReadStore interface {
	// MarkRead moves the user's read marker in the conversation forward to
	// seq, never back, and returns the marker as it is afterwards. Marking
	// a conversation that has no message yet works (at seq 0); marking a
	// channel that does not exist is ENOTFOUND. The caller keeps seq within
	// the conversation's latest.
	MarkRead(ctx context.Context, userID, conversationID string, seq int64, changes ...*Change) (int64, error)
	// ReadMarkers returns the user's markers in the given conversations,
	// by conversation ID; a conversation never read has none (zero).
	ReadMarkers(ctx context.Context, userID string, conversationIDs []string) (map[string]int64, error)
	// CountUnread counts the messages of the conversation with Seq above
	// afterSeq that are not the user's own, not deleted, and in the
	// conversation's history (a thread reply counts only if it was also
	// sent to the channel); mentions counts those of them whose Mentions
	// list the user. latest is the highest Seq the conversation has given,
	// zero for a conversation without messages.
	CountUnread(ctx context.Context, conversationID, userID string, afterSeq int64) (unread, mentions int, latest int64, err error)
	// DirectConversations lists the IDs of the direct conversations that
	// hold at least one message sent or received by the user.
	DirectConversations(ctx context.Context, userID string) ([]string, error)
}
