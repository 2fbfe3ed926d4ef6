package parley

import "time"

// User is an account. Other users see its email and nickname; the ID is what
// every relation points at, so an email can change without rewriting history.
type User struct {
	ID        string `json:"user_id"`
	Email     string `json:"email"`
	Nickname  string `json:"nickname"`
	CreatedAt Time   `json:"createdAt"`
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
