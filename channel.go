package parley

// Channel is a named conversation inside a workspace. A private channel is
// visible only to its members.
type Channel struct {
	ID          string `json:"channel_id"`
	Name        string `json:"channel_name"`
	WorkspaceID string `json:"workspace_id"`
	IsPrivate   bool   `json:"is_private"`
	CreatorID   string `json:"-"`

	// Creator is the creator's email and Users the members' emails, filled
	// in by the service for the API.
	Creator string   `json:"creator"`
	Users   []string `json:"users"`

	Topic   string `json:"topic"`
	Purpose string `json:"purpose"`
	// Archived channels keep their history readable and take no new
	// messages, edits, reactions or pins until they are unarchived.
	Archived bool `json:"archived"`

	CreatedAt Time `json:"createdAt"`
}

// ChannelUpdate is a change to a channel's settings; nil fields stay as they
// are.
type ChannelUpdate struct {
	Name     *string
	Topic    *string
	Purpose  *string
	Archived *bool
}
