package slackimport

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// slackMessage is one entry of a day file.
type slackMessage struct {
	Type       string `json:"type"`
	Subtype    string `json:"subtype"`
	User       string `json:"user"`
	BotID      string `json:"bot_id"`
	Username   string `json:"username"`
	BotProfile struct {
		Name string `json:"name"`
	} `json:"bot_profile"`
	Text     string  `json:"text"`
	TS       slackTS `json:"ts"`
	ThreadTS slackTS `json:"thread_ts"`
	Edited   *struct {
		User string  `json:"user"`
		TS   slackTS `json:"ts"`
	} `json:"edited"`
	Reactions   []slackReaction   `json:"reactions"`
	PinnedTo    []string          `json:"pinned_to"`
	Files       []slackFile       `json:"files"`
	Attachments []slackAttachment `json:"attachments"`

	// file is the day file the message came from, and at its ts as a time,
	// zero if the ts is not one. bad says why the entry could not be read
	// as a message, if it could not.
	file string
	at   stamp
	bad  string
}

// key returns the message's ts, its key in Parley.
func (m *slackMessage) key() string {
	return string(m.TS)
}

// slackReaction is one emoji's reactions on a message.
type slackReaction struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
}

// slackFile is a file shared with a message. Mode is "tombstone" for a
// file deleted since, which has nothing else.
type slackFile struct {
	ID         string `json:"id"`
	Mode       string `json:"mode"`
	Name       string `json:"name"`
	Title      string `json:"title"`
	URLPrivate string `json:"url_private"`
	Permalink  string `json:"permalink"`
}

// slackAttachment is a message attachment, as integrations post them.
type slackAttachment struct {
	Fallback string `json:"fallback"`
	Text     string `json:"text"`
	Title    string `json:"title"`
	Pretext  string `json:"pretext"`
}

// stamp is a Slack ts, "1700000120.000001": seconds and microseconds since
// 1970. Slack uses it as the message's key and its time.
type stamp struct {
	sec, usec int64
}

// parseStamp reads a ts. ok is false for anything that is not one.
func parseStamp(ts slackTS) (stamp, bool) {
	secs, frac, _ := strings.Cut(string(ts), ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec <= 0 || len(frac) > 6 {
		return stamp{}, false
	}
	var usec int64
	if frac != "" {
		frac += strings.Repeat("0", 6-len(frac))
		if usec, err = strconv.ParseInt(frac, 10, 64); err != nil || usec < 0 {
			return stamp{}, false
		}
	}
	return stamp{sec, usec}, true
}

// time returns the stamp as a time.
func (s stamp) time() time.Time {
	return time.Unix(s.sec, s.usec*1000).UTC()
}

// compare orders stamps by time.
func (s stamp) compare(t stamp) int {
	if s.sec != t.sec {
		return cmpInt(s.sec, t.sec)
	}
	return cmpInt(s.usec, t.usec)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dayError is a day file that could not be read; the conversation it
// belongs to is left out whole.
type dayError struct {
	file   string
	reason string
}

func (e *dayError) Error() string { return e.file + ": " + e.reason }

// readDays reads a conversation's day files, all of them before anything
// is written, and returns their messages in the order of their ts. Messages
// with the same ts keep the order of the files. The first file that cannot
// be read, is over its size limit or is not a JSON array is a *dayError;
// an entry of one that is not a message is returned with the reason, and
// skipped.
func readDays(fsys fs.FS, files []string, limit int64) ([]*slackMessage, error) {
	var msgs []*slackMessage
	for _, file := range files {
		day, err := readDay(fsys, file, limit)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, day...)
	}
	slices.SortStableFunc(msgs, func(a, b *slackMessage) int { return a.at.compare(b.at) })
	return msgs, nil
}

// readDay reads one day file.
func readDay(fsys fs.FS, file string, limit int64) ([]*slackMessage, error) {
	data, err := readFile(fsys, file, limit)
	var tooLarge *tooLargeError
	if errors.As(err, &tooLarge) {
		return nil, &dayError{file, tooLarge.Error()}
	} else if err != nil {
		return nil, &dayError{file, "cannot read it: " + err.Error()}
	}

	var day []*slackMessage
	err = json.Unmarshal(data, &day)
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		// An entry has a field of the wrong kind: read the entries one
		// by one, so that only those are left out.
		day, err = readEntries(data, file)
	}
	if err != nil {
		je := &jsonError{file: file, holds: "messages", data: data, err: err}
		return nil, &dayError{file, je.reason()}
	}

	msgs := day[:0]
	for _, m := range day {
		if m == nil {
			continue
		}
		m.file = file
		m.at, _ = parseStamp(m.TS)
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// readEntries reads a day file entry by entry. An entry that is not a
// message is returned with its ts, if it has one, and the reason.
func readEntries(data []byte, file string) ([]*slackMessage, error) {
	var entries []json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, err
	}
	msgs := make([]*slackMessage, 0, len(entries))
	for _, raw := range entries {
		m := &slackMessage{}
		var typ *json.UnmarshalTypeError
		if err := json.Unmarshal(raw, m); errors.As(err, &typ) {
			var keyed struct {
				TS slackTS `json:"ts"`
			}
			json.Unmarshal(raw, &keyed)
			reason := "cannot read the message: " + typeReason(typ, "messages")
			if typ.Field == "" {
				reason = "the entry is " + valueKind(typ.Value) + ", not a message"
			}
			m = &slackMessage{TS: keyed.TS, bad: reason}
		} else if err != nil {
			return nil, err
		} else if string(raw) == "null" {
			m = nil
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// countMessages counts the chat messages of a day file without keeping
// them, for the total of a progress bar: its entries but the lines that
// are not chat (isChat). A file it cannot read counts none; reading it
// for the import reports the error.
func countMessages(fsys fs.FS, file string, limit int64) int {
	f, err := fsys.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, limit))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0
	}
	n := 0
	for dec.More() {
		// An entry of the wrong shape is consumed whole, and counts: the
		// import reads it, and skips it.
		var m struct {
			Subtype string `json:"subtype"`
		}
		var typ *json.UnmarshalTypeError
		if err := dec.Decode(&m); err != nil && !errors.As(err, &typ) {
			return n
		}
		if isChat(m.Subtype) {
			n++
		}
	}
	return n
}

// asDayError returns the day file and the reason of err, if it is a
// *dayError.
func asDayError(err error) (string, string, bool) {
	var de *dayError
	if errors.As(err, &de) {
		return de.file, de.reason, true
	}
	return "", "", false
}
