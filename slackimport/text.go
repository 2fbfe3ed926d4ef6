package slackimport

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// markup matches one of Slack's control sequences in message text: a
// mention <@U123|label>, a channel <#C123|name>, a special mention <!here>,
// or a link <https://x|label>.
var markup = regexp.MustCompile(`<([^<>]+)>`)

// unescaper undoes the three escapes Slack applies to text. It runs once,
// after the control sequences are rewritten, so that an escaped "&lt;@U1&gt;"
// that a user typed stays text and "&amp;lt;" becomes "&lt;".
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// rewriter turns Slack's message markup into Parley's.
type rewriter struct {
	// userID returns the Parley ID of a Slack user ID, or "".
	userID func(slackID string) string
	// channels maps Slack channel IDs to their names in Parley.
	channels map[string]string
}

// rewrite returns text with its control sequences rewritten and its
// escapes undone, as the package documentation lists them.
func (rw *rewriter) rewrite(text string) string {
	if strings.IndexByte(text, '<') >= 0 {
		text = markup.ReplaceAllStringFunc(text, rw.replace)
	}
	if strings.IndexByte(text, '&') >= 0 {
		text = unescaper.Replace(text)
	}
	return text
}

// replace rewrites one control sequence, given with its angle brackets.
func (rw *rewriter) replace(seq string) string {
	target, label, _ := strings.Cut(seq[1:len(seq)-1], "|")
	switch {
	case strings.HasPrefix(target, "@"):
		id := target[1:]
		if pid := rw.userID(id); pid != "" {
			return "<@" + pid + ">"
		}
		return "@" + strings.TrimPrefix(cmp.Or(label, id), "@")
	case strings.HasPrefix(target, "#"):
		name := cmp.Or(label, rw.channels[target[1:]], target[1:])
		return "#" + strings.TrimPrefix(name, "#")
	case strings.HasPrefix(target, "!"):
		return special(target[1:], label)
	case label == "" || label == target:
		return target
	case strings.HasPrefix(target, "mailto:") && strings.TrimPrefix(target, "mailto:") == label:
		return label
	}
	return label + " (" + target + ")"
}

// special rewrites a <!…> sequence, given without "<!" and ">".
func special(command, label string) string {
	switch command {
	case "here", "channel":
		return "<!" + command + ">"
	case "everyone":
		return "<!channel>"
	}
	if label != "" {
		return label
	}
	// <!subteam^S123> without a label, or an unknown command: keep its
	// name readable.
	name, _, _ := strings.Cut(command, "^")
	return "@" + name
}

// fileLines returns a line for each file shared with a message:
// "📎 design.pdf: https://…". A file whose link the export lacks (beyond
// the plan's limits) gets its name alone; a deleted one gets no line.
func fileLines(files []slackFile) []string {
	var lines []string
	for _, f := range files {
		name := cmp.Or(f.Name, f.Title)
		url := cmp.Or(f.URLPrivate, f.Permalink)
		switch {
		case f.Mode == "tombstone", name == "" && url == "":
			continue
		case name == "":
			lines = append(lines, "📎 "+url)
		case url == "":
			lines = append(lines, "📎 "+name+" (not in the export)")
		default:
			lines = append(lines, "📎 "+name+": "+url)
		}
	}
	return lines
}

// attachmentText returns the plain text of a message's attachments, for a
// message that has no text of its own (as some integrations post).
func attachmentText(atts []slackAttachment) string {
	var parts []string
	for _, a := range atts {
		if t := cmp.Or(a.Fallback, a.Text, a.Title, a.Pretext); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "\n")
}

// onlyDeletedFiles reports whether files has deleted files and nothing
// else to show.
func onlyDeletedFiles(files []slackFile) bool {
	return len(fileLines(files)) == 0 &&
		slices.ContainsFunc(files, func(f slackFile) bool { return f.Mode == "tombstone" })
}

// stripControl returns s without its control characters other than line
// feeds, carriage returns and tabs, and whether it had any. Parley refuses
// them (they have no place in chat, and can hide text from a reader), but
// a Slack export can hold them, pasted from a terminal for instance: the
// import drops them rather than the text around them.
func stripControl(s string) (string, bool) {
	if !strings.ContainsFunc(s, isControl) {
		return s, false
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s), true
}

// isControl reports whether r is a control character other than a line
// feed, carriage return or tab: the characters Parley refuses in text.
func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
}

// clean returns s without the control characters Parley refuses.
func clean(s string) string {
	s, _ = stripControl(s)
	return s
}
