package app

import (
	"regexp"
	"strings"
)

// mentionPattern matches Slack's mention syntax: <@USERID>, optionally with
// a label (<@USERID|ann>), and the broadcasts <!here> and <!channel>.
var mentionPattern = regexp.MustCompile(`<@([A-Za-z0-9_-]+)(?:\|[^>]*)?>|<!(here|channel)(?:\|[^>]*)?>`)

// Presence tells who has a connection open, for <!here>.
type Presence interface {
	Online(userID string) bool
}

// mentions returns the IDs of the users that text mentions, in order of
// first mention. Only members of the conversation can be mentioned: a
// mention of anyone else mentions nobody. <!channel> mentions every member
// but the sender, and <!here> those of them who are online (everyone, when
// the service knows no presence).
func (s *Service) mentions(text string, members []string, senderID string) []string {
	if !strings.Contains(text, "<") {
		return nil
	}
	isMember := make(map[string]bool, len(members))
	for _, id := range members {
		isMember[id] = true
	}

	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if isMember[id] && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, m := range mentionPattern.FindAllStringSubmatch(text, -1) {
		switch m[2] {
		case "":
			add(m[1])
		case "channel", "here":
			for _, id := range members {
				if id == senderID || (m[2] == "here" && s.Presence != nil && !s.Presence.Online(id)) {
					continue
				}
				add(id)
			}
		}
	}
	return out
}
