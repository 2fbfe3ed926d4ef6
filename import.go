package parley

import "slices"

// CheckImport checks what a store can check of an ImportMessages call
// before it reads anything (see [ImportStore]): every message belongs to
// the conversation, and none appears twice. It returns the channel IDs the
// messages name, in the order they first appear: none for a direct
// conversation, one for a channel, and more for a mistake that the store
// reports once it knows whether they exist. Every store calls it, so that
// they refuse the same imports with the same errors.
func CheckImport(conversationID string, msgs []*Message) ([]string, error) {
	var channelIDs []string
	seen := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		if m.ConversationID != conversationID {
			return nil, Errorf(EINVALID, "message %s belongs to another conversation", m.ID)
		} else if seen[m.ID] {
			return nil, Errorf(EINVALID, "message %s appears twice in the import", m.ID)
		}
		seen[m.ID] = true

		if m.ChannelID != "" && !slices.Contains(channelIDs, m.ChannelID) {
			channelIDs = append(channelIDs, m.ChannelID)
		}
	}
	return channelIDs, nil
}
