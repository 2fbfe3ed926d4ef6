package parley

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in package http; the strings are
// part of the API (the "code" of an error body).
const (
	EINVALID      = "invalid"      // 400: the request is malformed or breaks a limit
	EUNAUTHORIZED = "unauthorized" // 401: no valid credentials
	EFORBIDDEN    = "forbidden"    // 403: visible, but the caller may not do this
	ENOTFOUND     = "not_found"    // 404: absent, or invisible to the caller
	ECONFLICT     = "conflict"     // 409: clashes with the current state
	ETOOLARGE     = "too_large"    // 413: the body or frame is over its limit
	ERATELIMITED  = "rate_limited" // 429: slow down
	EINTERNAL     = "internal"     // 500: a fault of ours; details go to the log only
)

// Error is Parley's domain error: a machine-readable code and a message that
// is safe to show to the caller.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("parley error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an [Error] with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is or wraps an [Error], EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err if it is or wraps an [Error], and
// a generic message for any other non-nil error, whose text may hold details
// that are for the log only.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
