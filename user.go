package parley

import "time"

// User is an account. Other users see its email and nickname; the ID is what
// every relation points at, so an email can change without rewriting history.
type User struct {
	ID        string `json:"user_id"`
	Email     string `json:"email"`
	Nickname  string `json:"nickname"`
	CreatedAt Time   `json:"createdAt"`
	// Deactivated users cannot log in or use tokens; their history stays.
	// Users deleted in a Slack export arrive deactivated.
	Deactivated bool `json:"deactivated,omitempty"`
}

// Credentials is what the store keeps to check a password. A user that came
// from an identity provider or an import has no PasswordHash.
type Credentials struct {
	UserID       string
	PasswordHash string
}

// RefreshToken is a long-lived, single-use token that buys a new access
// token. The store keeps only a hash of it, never the token itself.
type RefreshToken struct {
	Hash      string
	UserID    string
	ExpiresAt time.Time
}

// ResetCode is a one-time code that lets a user set a password, as an
// operator hands it out. The store keeps only a hash of it.
type ResetCode struct {
	Hash      string
	UserID    string
	ExpiresAt time.Time
}
