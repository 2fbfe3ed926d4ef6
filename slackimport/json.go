package slackimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// slackTS is a Slack ts as the export holds it: a string,
// "1700000120.000001", or, in files that some tools rewrote, a number.
// Decoding never fails, so that one odd ts costs its message and not its
// day file: a number becomes the string Slack would have written (six
// decimals, so that a reply's thread_ts still finds it), and anything else
// keeps its JSON text, which parseStamp then refuses.
type slackTS string

// UnmarshalJSON reads a ts from a string, a number or anything else.
func (t *slackTS) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0 || string(data) == "null":
		*t = ""
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = slackTS(s)
	case data[0] == '-' || data[0] >= '0' && data[0] <= '9':
		*t = slackTS(numberTS(string(data)))
	default:
		*t = slackTS(cut(string(data), 40))
	}
	return nil
}

// numberTS returns a ts given as a JSON number in the form of Slack's
// strings, seconds and six decimals, or the number's text if it is not a
// time after 1970. A float64 holds today's times to well under a
// microsecond, so rounding to one gives the ts that was meant.
func numberTS(lit string) string {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f < 1 || f >= 1e12 {
		return lit
	}
	sec := math.Floor(f)
	usec := math.Round((f - sec) * 1e6)
	if usec >= 1e6 {
		sec, usec = sec+1, 0
	}
	return fmt.Sprintf("%d.%06d", int64(sec), int64(usec))
}

// unixSeconds is a time in seconds, as channels.json and dms.json give
// creation times. A number with decimals, or one written as a string, is
// read too; anything else is no time (0), for which the import uses its
// own time.
type unixSeconds int64

// UnmarshalJSON reads seconds from a number or a string of one.
func (s *unixSeconds) UnmarshalJSON(data []byte) error {
	lit := strings.Trim(string(bytes.TrimSpace(data)), `"`)
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || f < 0 || f >= 1e12 {
		*s = 0
		return nil
	}
	*s = unixSeconds(f)
	return nil
}

// jsonError is a file of the export that is not the JSON it should be.
type jsonError struct {
	file string
	// holds says what the file is a list of ("users", "messages"), for
	// a file that is not a list at all.
	holds string
	data  []byte
	err   error
}

// Error names the file and says what is wrong.
func (e *jsonError) Error() string {
	return e.file + ": " + e.reason()
}

// reason says what is wrong, without the file's name, in terms of the
// export's JSON rather than of the Go types it is read into.
func (e *jsonError) reason() string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(e.err, &syn):
		return fmt.Sprintf("not valid JSON: %s (line %d)",
			strings.TrimPrefix(syn.Error(), "json: "), lineOf(e.data, syn.Offset))
	case errors.As(e.err, &typ):
		return typeReason(typ, e.holds) + fmt.Sprintf(" (line %d)", lineOf(e.data, typ.Offset))
	}
	return "not valid JSON: " + strings.TrimPrefix(e.err.Error(), "json: ")
}

// typeReason says what a JSON value of the wrong kind is, and what was
// wanted, for a file that is a list of holds.
func typeReason(typ *json.UnmarshalTypeError, holds string) string {
	found := valueKind(typ.Value)
	switch {
	case typ.Field != "":
		return fmt.Sprintf("%s in %q, want %s", found, typ.Field, typeKind(typ.Type))
	case typ.Type.Kind() == reflect.Slice:
		return "want a JSON array of " + holds + ", not " + found
	}
	return fmt.Sprintf("%s in the list of %s, want an object", found, holds)
}

// valueKind names the kind of JSON value an UnmarshalTypeError found
// ("number", "number 1.5", "string", …).
func valueKind(v string) string {
	switch {
	case v == "object", v == "array":
		return "an " + v
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number "):
		return "the " + v
	}
	return "a " + v
}

// typeKind names the kind of JSON value that a Go type is read from.
func typeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// errorReason returns what err says about the file name, without repeating
// the name.
func errorReason(err error, name string) string {
	var je *jsonError
	if errors.As(err, &je) {
		return je.reason()
	}
	return strings.TrimPrefix(err.Error(), name+": ")
}

// lineOf returns the line number of a byte offset.
func lineOf(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}
