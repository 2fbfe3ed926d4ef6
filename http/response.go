package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/parleychat/parley"
)

// statuses maps each error code to its HTTP status. It is the only place
// that does.
var statuses = map[string]int{
	parley.EINVALID:      http.StatusBadRequest,
	parley.EUNAUTHORIZED: http.StatusUnauthorized,
	parley.EFORBIDDEN:    http.StatusForbidden,
	parley.ENOTFOUND:     http.StatusNotFound,
	parley.ECONFLICT:     http.StatusConflict,
	parley.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	parley.ERATELIMITED:  http.StatusTooManyRequests,
	parley.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for an error code.
func ErrorStatus(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON body of every error answer.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error writes err as an error answer. An error without a code is a fault of
// ours: its detail is logged, and the client sees only a generic message.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := parley.ErrorCode(err), parley.ErrorMessage(err)
	if code == parley.EINTERNAL {
		loggerFrom(r).ErrorContext(r.Context(), "internal error",
			"method", r.Method, "route", r.Pattern, "err", err)
	}
	if code == parley.ERATELIMITED {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, r, ErrorStatus(code), errorBody{Code: code, Message: msg})
}

// reply writes v as the answer with the given status, or err if it is set.
func reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, status, v)
}

// writeJSON writes v as a JSON answer with the given status.
//
// The answer is encoded whole before anything is sent, and goes out with its
// Content-Length in one write: a page of history is then one packet train
// instead of a chunk per 4 KiB, and a value that fails to encode is a 500
// rather than half an answer.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := answers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			buf.Reset()
			answers.Put(buf)
		}
	}()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		Error(w, r, fmt.Errorf("encode answer: %w", err)) // logged there, as any fault of ours
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		loggerFrom(r).DebugContext(r.Context(), "write answer", "err", err)
	}
}

// answers lends the buffers answers are encoded into. Buffers grown past
// maxPooledAnswer, by a rare large answer, are left to the collector.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledAnswer = 256 << 10

// errEmptyBody is decode's answer to a request without a body.
var errEmptyBody = parley.Errorf(parley.EINVALID, "request body is required")

// decode reads a JSON request body into v. A body that is missing, too
// large, malformed or of the wrong shape is the client's error, answered
// with a message that says which.
func decode(r *http.Request, w http.ResponseWriter, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)

	err := dec.Decode(v)
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var wrongType *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &tooLarge):
		return parley.Errorf(parley.ETOOLARGE, "request body is larger than %d bytes", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &wrongType):
		if wrongType.Field == "" {
			return parley.Errorf(parley.EINVALID, "request body must be a JSON object")
		}
		return parley.Errorf(parley.EINVALID, "%s must be of type %s", wrongType.Field, jsonType(wrongType.Type.Kind().String()))
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return parley.Errorf(parley.EINVALID, "request body is not valid JSON")
	default:
		return parley.Errorf(parley.EINVALID, "request body is not valid JSON: %s", err)
	}

	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return parley.Errorf(parley.ETOOLARGE, "request body is larger than %d bytes", MaxBodyBytes)
		}
		return parley.Errorf(parley.EINVALID, "request body holds more than one JSON value")
	}
	return nil
}

// jsonType names a Go kind as the JSON type a client should send.
func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "number"
	case "slice", "array":
		return "array"
	}
	return "object"
}

// queryInt reads an optional integer query parameter.
func queryInt(r *http.Request, name string) (*int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "%s must be an integer", name)
	}
	return &n, nil
}

// loggerKey carries the request's logger in its context.
type loggerKey struct{}

// loggerFrom returns the request's logger.
func loggerFrom(r *http.Request) *slog.Logger {
	if l, ok := r.Context().Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// message is the body of answers that only say what happened.
type message struct {
	Message string `json:"message"`
}

// says returns a message body.
func says(format string, args ...any) message {
	return message{Message: fmt.Sprintf(format, args...)}
}
