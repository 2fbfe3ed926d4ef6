// Package auth holds Parley's built-in credentials: password hashes, the
// signed access tokens that prove who a caller is, and the refresh tokens
// that buy new ones.
//
// It knows nothing of HTTP. Reading a token from a header, and answering 401,
// is package http's work; deciding who may sign up or log in is the
// application's. What this package promises is narrower: a hash that is slow
// to attack, a token that cannot be forged without the key, and failures that
// carry a [parley.EUNAUTHORIZED] code with a message safe to show the caller.
package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the size in bytes of the keys that [NewKey] makes, and the
// smallest key that [Tokens] accepts. RFC 7518 asks for an HS256 key at
// least as long as the hash output.
const KeySize = 32

// ErrShortKey is returned by [Tokens.Issue] and [Tokens.Verify] when the
// signing key is missing or shorter than [KeySize]. It is a fault of the
// configuration, not of the caller, so it has no [parley.Error] code.
var ErrShortKey = errors.New("auth: signing key is shorter than 32 bytes")

// NewKey returns a fresh random signing key of [KeySize] bytes for
// [Tokens.Key]. Every node of a deployment must share the same key, so it is
// made once and kept with the configuration, not made at each start.
func NewKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	return key, nil
}
