package app

import (
	"regexp"
	"strings"
)

// mentionPattern matches Slack's mention syntax: <@USERID>, optionally with
// a label (<@USERID|ann>), and the broadcasts <!here> and <!channel>.
var mentionPattern = regexp.MustCompile(`<@([A-Za-z0-9_-]+)(?:\|[^>]*)?>|<!(here|channel)(?:\|[^>]*)?>`)

// mentions returns the IDs of the users that text mentions among members,
// as findMentions does, with <!here> read against who is online.
func (s *Service) mentions(text string, members []string, senderID string) []string {
	return findMentions(text, members, senderID, s.Online)
}

// findMentions returns the IDs of the users that text mentions, in order of
// first mention. Only members of the conversation can be mentioned: a
// mention of anyone else mentions nobody. <!channel> mentions every member
// but the sender, and <!here> those of them who are online, or all of them
// when online is nil.
func findMentions(text string, members []string, senderID string, online func(string) bool) []string {
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
				if id == senderID || (m[2] == "here" && online != nil && !online(id)) {
					continue
				}
				add(id)
			}
		}
	}
	return out
}
