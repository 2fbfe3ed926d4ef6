package parley

import "strings"

// Message is one chat message in a conversation: a channel, or the direct
// conversation of two users.
type Message struct {
	ID string `json:"message_id"`
	// Seq is the message's position in its conversation: it starts at 1,
	// strictly increases and never changes. The store assigns it.
	Seq int64 `json:"seq"`

	// ConversationID names the conversation: the channel's ID, or the
	// value of [DMConversationID] for a direct message.
	ConversationID string `json:"-"`
	WorkspaceID    string `json:"workspace_id,omitempty"`
	ChannelID      string `json:"channel_id,omitempty"`
	ReceiverID     string `json:"-"`
	SenderID       string `json:"sender_id"`

	// Receiver and Sender are emails, filled in by the service for the API.
	Receiver string `json:"receiver,omitempty"`
	Sender   string `json:"sender"`

	Text        string `json:"message"`
	CreatedAt   Time   `json:"createdAt"`
	ClientMsgID string `json:"client_msg_id,omitempty"`

	// ParentID makes the message a reply in the thread of that root
	// message, in the same conversation. AlsoToChannel makes a reply show
	// in the channel's history too.
	ParentID      string `json:"parent_id,omitempty"`
	AlsoToChannel bool   `json:"also_to_channel,omitempty"`
	// ReplyCount and LastReplyAt describe a root's thread; the store keeps
	// them as replies are appended.
	ReplyCount  int   `json:"reply_count,omitempty"`
	LastReplyAt *Time `json:"last_reply_at,omitempty"`

	EditedAt *Time `json:"editedAt,omitempty"`
	// Deleted marks a tombstone: its text, mentions and reactions are
	// gone, its Seq and replies stay.
	Deleted   bool       `json:"deleted,omitempty"`
	Reactions []Reaction `json:"reactions,omitempty"`
	// Mentions lists the IDs of the users the text mentions.
	Mentions []string `json:"mentions,omitempty"`
}

// Reaction is one emoji name's reactions on a message, in the order they
// were first given.
type Reaction struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	// UserIDs lists who reacted, in order; Users holds their emails,
	// filled in by the service for the API.
	UserIDs []string `json:"-"`
	Users   []string `json:"users"`
}

// MessageUpdate is a change to a stored message; nil fields stay as they
// are.
type MessageUpdate struct {
	Text     *string
	Mentions *[]string
	EditedAt *Time
}

// Pin records that a message is pinned to its channel.
type Pin struct {
	ChannelID  string
	MessageID  string
	PinnedByID string
	PinnedAt   Time
}

// MessageFilter selects a page of a conversation's history. At most one of
// Before and After is set; with neither, the page is the newest Limit
// messages. Pages are always in ascending Seq.
type MessageFilter struct {
	Before *int64
	After  *int64
	Limit  int

	// ParentID, when set, selects the replies of that root instead of the
	// conversation's history.
	ParentID string
	// IncludeReplies selects every message of the conversation. Without
	// it, the history holds the messages that are not replies and the
	// replies sent with AlsoToChannel.
	IncludeReplies bool
}

// MessagePage is a page of history and whether more lies beyond it in the
// direction asked.
type MessagePage struct {
	Messages []*Message `json:"messages"`
	HasMore  bool       `json:"has_more"`
}

// DMConversationID returns the conversation ID of the direct conversation
// between two users. It is the same whichever of the two is named first.
// User IDs never contain ':', so two pairs never share an ID.
func DMConversationID(userA, userB string) string {
	if userB < userA {
		userA, userB = userB, userA
	}
	return "dm:" + userA + ":" + userB
}

// IsDMConversation reports whether id names a direct conversation.
func IsDMConversation(id string) bool {
	return strings.HasPrefix(id, "dm:")
}
