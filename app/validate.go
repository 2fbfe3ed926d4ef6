package app

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/parleychat/parley"
)

// Limits of the API. They are part of the contract in SPEC.md.
const (
	MaxMessageLen       = 40000 // characters, after trimming
	MaxWorkspaceNameLen = 100
	MaxChannelNameLen   = 80
	MaxNicknameLen      = 80
	MaxEmailLen         = 254
	MinPasswordLen      = 8
	MaxPasswordLen      = 1024
	MaxClientMsgIDLen   = 128
	MaxTopicLen         = 250
	MaxPurposeLen       = 250
	MaxReactionNameLen  = 64
	MaxReactionNames    = 50 // different reactions on one message, as Slack allows
	DefaultPageLimit    = 50
	MaxPageLimit        = 200
)

// NormalizeEmail trims and lowercases an email and checks that it is a
// plain address (no display name). Emails are compared case-insensitively.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", parley.Errorf(parley.EINVALID, "email is required")
	} else if len(email) > MaxEmailLen {
		return "", parley.Errorf(parley.EINVALID, "email is longer than %d characters", MaxEmailLen)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", parley.Errorf(parley.EINVALID, "email is not a valid address")
	}
	return email, nil
}

// NormalizeChannelName lowercases name and checks the naming rules: 1 to 80
// characters, each a letter of any script, a digit, '-' or '_'. The combining
// marks that scripts such as Devanagari or Thai write words with count as
// part of the letter they follow. Names are put in Unicode normal form KC
// first, so that "café" typed two ways is one name and full-width
// "ｄｅｓｉｇｎ" is "design", not a look-alike of it. Spaces and other
// punctuation are refused rather than replaced, so that a name never
// silently changes into another.
func NormalizeChannelName(name string) (string, error) {
	name = strings.ToLower(norm.NFKC.String(strings.TrimSpace(name)))
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "", parley.Errorf(parley.EINVALID, "channel_name is required")
	} else if n > MaxChannelNameLen {
		return "", parley.Errorf(parley.EINVALID, "channel_name is longer than %d characters", MaxChannelNameLen)
	}
	afterLetter := false
	for _, r := range name {
		var ok bool
		if ok, afterLetter = channelRune(r, afterLetter); !ok {
			return "", parley.Errorf(parley.EINVALID,
				"channel_name may hold only lowercase letters, digits, '-' and '_'")
		}
	}
	return name, nil
}

// SuggestChannelName turns any name into one that follows the naming rules,
// for names that come from elsewhere, such as an import: normal form KC,
// lowercase, '-' for each character the rules do not allow, no '-' at
// either end, at most MaxChannelNameLen characters. It returns "" when
// nothing is left.
func SuggestChannelName(name string) string {
	var b strings.Builder
	afterLetter := false
	for _, r := range strings.ToLower(norm.NFKC.String(name)) {
		var ok bool
		if ok, afterLetter = channelRune(r, afterLetter); !ok {
			r = '-'
		}
		b.WriteRune(r)
	}
	out := []rune(strings.Trim(b.String(), "-"))
	if len(out) > MaxChannelNameLen {
		out = []rune(strings.TrimRight(string(out[:MaxChannelNameLen]), "-"))
	}
	return string(out)
}

// channelRune reports whether r may stand in a channel name after a rune
// that was a letter (or a mark on one) if afterLetter is set, and whether
// r counts as a letter for the rune after it. Combining marks are allowed
// only on a letter, as the scripts that need them write them.
func channelRune(r rune, afterLetter bool) (allowed, letter bool) {
	switch {
	case unicode.IsLetter(r):
		return true, true
	case unicode.IsMark(r) && afterLetter:
		return true, true
	case unicode.IsDigit(r) || r == '-' || r == '_':
		return true, false
	}
	return false, false
}

// normalizeText trims text and checks its length in characters. Control
// characters other than line breaks and tabs are refused: they have no
// place in chat and can hide text from a reader.
func normalizeText(field, text string, max int) (string, error) {
	text = strings.TrimSpace(text)
	if !utf8.ValidString(text) {
		return "", parley.Errorf(parley.EINVALID, "%s is not valid UTF-8", field)
	} else if i := strings.IndexFunc(text, isForbiddenControl); i >= 0 {
		return "", parley.Errorf(parley.EINVALID, "%s holds a control character", field)
	}
	n := utf8.RuneCountInString(text)
	if n == 0 {
		return "", parley.Errorf(parley.EINVALID, "%s is required", field)
	} else if n > max {
		return "", parley.Errorf(parley.EINVALID, "%s is longer than %d characters", field, max)
	}
	return text, nil
}

// reactionNamePattern is the shape of an emoji name, as Slack writes them:
// lowercase letters, digits, '_', '-', '+' and apostrophes, with an optional skin
// tone ("thumbsup::skin-tone-2"). Custom emoji are allowed, so any name of
// that shape is accepted.
var reactionNamePattern = regexp.MustCompile(`^[a-z0-9_+'-]+(::skin-tone-[2-6])?$`)

// NormalizeReactionName trims the colons a client may wrap a name in
// (":tada:"), lowercases it and checks its shape.
func NormalizeReactionName(name string) (string, error) {
	name = strings.ToLower(strings.Trim(strings.TrimSpace(name), ":"))
	if name == "" {
		return "", parley.Errorf(parley.EINVALID, "name is required")
	} else if len(name) > MaxReactionNameLen || !reactionNamePattern.MatchString(name) {
		return "", parley.Errorf(parley.EINVALID,
			"name must be an emoji name of at most %d lowercase letters, digits, '_', '-', '+' or apostrophes", MaxReactionNameLen)
	}
	return name, nil
}

// isForbiddenControl reports whether r is a control character other than a
// line feed, carriage return or tab.
func isForbiddenControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
}

// checkClientMsgID checks an optional client message ID.
func checkClientMsgID(id string) error {
	if len(id) > MaxClientMsgIDLen {
		return parley.Errorf(parley.EINVALID, "client_msg_id is longer than %d bytes", MaxClientMsgIDLen)
	}
	return nil
}

// PageRequest is a history request as a client sends it; nil fields were
// not given.
type PageRequest struct {
	Limit  *int64
	Before *int64
	After  *int64
	// IncludeReplies lists thread replies in a channel's history too.
	IncludeReplies bool
}

// filter checks a page request and turns it into a store filter.
func (p PageRequest) filter() (parley.MessageFilter, error) {
	f := parley.MessageFilter{
		Before: p.Before, After: p.After, Limit: DefaultPageLimit, IncludeReplies: p.IncludeReplies,
	}
	if p.Limit != nil {
		if *p.Limit < 1 || *p.Limit > MaxPageLimit {
			return f, parley.Errorf(parley.EINVALID, "limit must be between 1 and %d", MaxPageLimit)
		}
		f.Limit = int(*p.Limit)
	}
	if p.Before != nil && p.After != nil {
		return f, parley.Errorf(parley.EINVALID, "give before or after, not both")
	}
	if (p.Before != nil && *p.Before < 1) || (p.After != nil && *p.After < 0) {
		return f, parley.Errorf(parley.EINVALID, "before must be at least 1 and after at least 0")
	}
	return f, nil
}
