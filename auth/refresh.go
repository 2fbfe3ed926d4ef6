package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// NewRefreshToken returns a fresh refresh token for the client and the hash
// of it for the store, as in [parley.RefreshToken]. The token is 32 random
// bytes in unpadded base64url, 43 characters that need no escaping in JSON
// or a URL.
func NewRefreshToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new refresh token: %w", err)
	}

	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken returns the hex SHA-256 of token, the form in which the
// store keeps and looks up refresh tokens, so that a leaked table holds
// nothing a client could present.
//
// A fast hash is enough here, unlike for passwords: a token has 256 random
// bits, so there is no dictionary to try, and an unsalted hash can serve as
// the lookup key.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
