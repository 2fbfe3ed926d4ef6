package slackimport

import (
	"encoding/json"
	"errors"
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
	Text     string `json:"text"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts"`
	Edited   *struct {
		User string `json:"user"`
		TS   string `json:"ts"`
	} `json:"edited"`
	Reactions   []slackReaction   `json:"reactions"`
	PinnedTo    []string          `json:"pinned_to"`
	Files       []slackFile       `json:"files"`
	Attachments []slackAttachment `json:"attachments"`

	// file is the day file the message came from, and at its ts as a time,
	// zero if the ts is not one.
	file string
	at   stamp
}

// slackReaction is one emoji's reactions on a message.
type slackReaction struct {
	Name  string   `json:"name"`
	Users []string `json:"users"`
}

// slackFile is a file shared with a message.
type slackFile struct {
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
func parseStamp(ts string) (stamp, bool) {
	secs, frac, _ := strings.Cut(ts, ".")
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
// be read or is not valid JSON is a *dayError.
func readDays(fsys fs.FS, files []string) ([]*slackMessage, error) {
	var msgs []*slackMessage
	for _, file := range files {
		day, err := readDay(fsys, file)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, day...)
	}
	slices.SortStableFunc(msgs, func(a, b *slackMessage) int { return a.at.compare(b.at) })
	return msgs, nil
}

// readDay reads one day file.
func readDay(fsys fs.FS, file string) ([]*slackMessage, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, &dayError{file, "cannot read it: " + err.Error()}
	}
	var day []*slackMessage
	if err := json.Unmarshal(data, &day); err != nil {
		return nil, &dayError{file, (&jsonError{file: file, data: data, err: err}).reason()}
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

// countMessages counts the entries of a day file without keeping them, for
// the total of a progress bar. A file it cannot read counts none; reading
// it for the import reports the error.
func countMessages(fsys fs.FS, file string) int {
	f, err := fsys.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return 0
	}
	n := 0
	for dec.More() {
		var skip struct{}
		if err := dec.Decode(&skip); err != nil {
			return n
		}
		n++
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
