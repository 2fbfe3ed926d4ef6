// Package parley holds the nouns and contracts of Parley, a Slack-style team
// chat backend: users, workspaces, channels, messages, the events they emit,
// the error type with its codes, and the store interface that every storage
// adapter implements.
//
// The rules (who may do what, validation, sequencing, idempotency) live in
// package app; the adapters (sqlite, http, realtime, auth) live in packages
// of their own and import only this one. Only cmd/ wires them together.
//
// This package imports only the standard library.
package parley

import (
	"context"
	"time"
)

// Version is the build's version, set at link time with
// -ldflags "-X github.com/parleychat/parley.Version=…".
var Version = "dev"

// Time is a point in time that encodes to JSON as an RFC 3339 UTC string with
// exactly three fractional digits ("2026-12-03T16:14:30.123Z"), the format the
// original system's clients parse.
type Time struct {
	time.Time
}

// TimeLayout is the layout of every time Parley writes.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// NewTime returns t in UTC, truncated to milliseconds, as a [Time].
func NewTime(t time.Time) Time {
	return Time{t.UTC().Truncate(time.Millisecond)}
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var tt time.Time
	if err := tt.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = NewTime(tt)
	return nil
}

type contextKey int

const userContextKey contextKey = iota

// NewContextWithUser returns a copy of ctx that carries the authenticated
// caller. Only the authentication layer calls it, after verifying a token.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey, u)
}

// UserFromContext returns the authenticated caller carried by ctx, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey).(*User)
	return u
}

// UserIDFromContext returns the authenticated caller's ID, or "".
func UserIDFromContext(ctx context.Context) string {
	if u := UserFromContext(ctx); u != nil {
		return u.ID
	}
	return ""
}
