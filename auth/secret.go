package auth

import "log/slog"

// Secret is a string that must never reach a log: a password, an access
// token, a refresh token. It formats with fmt and logs with log/slog as
// "REDACTED"; string(s) gives the value back where it is really needed.
//
// Only printing and logging are covered. encoding/json writes the value, so
// that a Secret can still travel in a response body.
type Secret string

const redacted = "REDACTED"

// String implements fmt.Stringer, for %v, %s and %q. It returns "REDACTED".
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, for %#v. It returns "REDACTED".
func (Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer. It returns "REDACTED".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
