package parley

// Workspace is a team: a set of members and the channels among them. The
// creator is its admin.
type Workspace struct {
	ID      string `json:"workspace_id"`
	Name    string `json:"workspace_name"`
	AdminID string `json:"-"`

	// Admin is the admin's email, filled in by the service for the API.
	Admin string `json:"admin"`
	// Users lists the members' emails; Channels the channels the caller may
	// see. Both are filled in by the service, never stored on the workspace.
	Users    []string   `json:"users"`
	Channels []*Channel `json:"channels"`
	// Presence maps each member's email to "online" or "offline".
	Presence map[string]string `json:"presence,omitempty"`

	CreatedAt Time `json:"createdAt"`
}

// WorkspaceSummary is one row of a user's workspace list.
type WorkspaceSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	MemberCount int    `json:"cnt"`
}

// GeneralChannelName is the channel created with every workspace. Every member
// is in it, and it cannot be deleted or left except by leaving the workspace.
const GeneralChannelName = "general"
