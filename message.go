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
}

// MessageFilter selects a page of a conversation's history. At most one of
// Before and After is set; with neither, the page is the newest Limit
// messages. Pages are always in ascending Seq.
type MessageFilter struct {
	Before *int64
	After  *int64
	Limit  int
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
