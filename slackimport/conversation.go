package slackimport

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// kind is the kind of a conversation of the export.
type kind int

const (
	generalChannel kind = iota // the channels.json entry with is_general
	publicChannel              // channels.json
	privateChannel             // groups.json
	groupChannel               // mpims.json: becomes a private channel
	directChannel              // dms.json
)

// conversation is a conversation of the export and what it becomes.
type conversation struct {
	kind kind
	ch   slackChannel // for every kind but directChannel
	dm   slackDM      // for directChannel
	// list is the file that lists the conversation, folder its folder of
	// day files ("" for none), and name its channel's name in Parley.
	// wanted is the name it would have but for Parley's rules: Slack's
	// name, or for a group conversation the one made of its members.
	list   string
	folder string
	name   string
	wanted string
	// count is the number of chat messages in its day files (isChat),
	// counted for a progress bar.
	count int
}

// renamed reports whether the conversation's channel has a name other
// than the one it has in Slack (or, for a group conversation, other than
// the one made of its members).
func (c *conversation) renamed() bool {
	return c.kind != directChannel && c.name != c.wanted
}

// key returns the conversation's Slack ID.
func (c *conversation) key() string {
	if c.kind == directChannel {
		return c.dm.ID
	}
	return c.ch.ID
}

// plan lists the conversations of the export in the order they are
// imported, with the names their channels get: the general channel, public
// channels, private channels, group conversations, direct conversations.
// Names that clash after the naming rules are applied get a suffix (-2, -3),
// in that order, so that every run names them alike.
func plan(e *Export, handles map[string]string) []*conversation {
	var convs []*conversation
	taken := map[string]bool{parley.GeneralChannelName: true}
	add := func(k kind, ch slackChannel, list, name string) {
		c := &conversation{
			kind: k, ch: ch, list: list, folder: e.folderOf(ch.Name, ch.ID), wanted: name,
		}
		if k == generalChannel {
			c.name = parley.GeneralChannelName
			convs = append([]*conversation{c}, convs...)
			return
		}
		c.name = uniqueName(channelName(name, ch.ID), taken)
		convs = append(convs, c)
	}

	gi := slices.IndexFunc(e.channels, func(ch slackChannel) bool { return ch.IsGeneral })
	if gi < 0 {
		gi = slices.IndexFunc(e.channels, func(ch slackChannel) bool {
			return ch.Name == parley.GeneralChannelName
		})
	}
	for i, ch := range e.channels {
		if i == gi {
			add(generalChannel, ch, "channels.json", ch.Name)
		} else {
			add(publicChannel, ch, "channels.json", ch.Name)
		}
	}
	for _, ch := range e.groups {
		add(privateChannel, ch, "groups.json", ch.Name)
	}
	for _, ch := range e.mpims {
		add(groupChannel, ch, "mpims.json", groupName(ch, handles))
	}
	for _, dm := range e.dms {
		convs = append(convs, &conversation{
			kind: directChannel, dm: dm, list: "dms.json", folder: e.folderOf(dm.ID),
		})
	}
	return convs
}

// groupName names a group conversation after its members' Slack handles,
// in alphabetical order: "alice-bob-chie".
func groupName(ch slackChannel, handles map[string]string) string {
	var names []string
	for _, id := range ch.Members {
		names = append(names, cmp.Or(handles[id], strings.ToLower(id)))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return ch.Name
	}
	return strings.Join(names, "-")
}

// channelName turns a Slack channel name into one that passes Parley's
// naming rules, as Parley stores it: in Unicode normal form KC
// (full-width "ｄｅｓｉｇｎ" is "design"), lowercase, with '-' for anything
// but letters, digits, '-' and '_', and at most app.MaxChannelNameLen
// characters. A name with nothing left gets the channel's ID.
func channelName(name, id string) string {
	out, err := app.NormalizeChannelName(app.SuggestChannelName(name))
	if err != nil {
		out = cut("channel-"+strings.ToLower(id), app.MaxChannelNameLen)
	}
	return out
}

// uniqueName returns name, or name with the first suffix -2, -3, … that no
// name in taken has, and marks the result taken.
func uniqueName(name string, taken map[string]bool) string {
	candidate := name
	for n := 2; taken[normalName(candidate)]; n++ {
		suffix := "-" + strconv.Itoa(n)
		candidate = cut(name, app.MaxChannelNameLen-len(suffix)) + suffix
	}
	taken[normalName(candidate)] = true
	return candidate
}

// normalName returns the name as Parley compares names.
func normalName(name string) string {
	if n, err := app.NormalizeChannelName(name); err == nil {
		return n
	}
	return name
}

// cut returns s cut to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// converted is a conversation's messages as the service takes them.
type converted struct {
	msgs []app.ImportedMessage
	// files maps each message's key to its day file.
	files map[string]string
	// joined lists the Slack users that channel_join lines add.
	joined []string
	// pinned holds the keys of the pinned messages.
	pinned map[string]bool
}

// subtypes that are not chat messages, and what becomes of them. Every
// other subtype is imported as a message.
var (
	// joinSubtypes make their user a member of the channel.
	joinSubtypes = map[string]bool{"channel_join": true, "group_join": true}
	// leaveSubtypes are noted in the report; channels.json has the final
	// members.
	leaveSubtypes = map[string]bool{"channel_leave": true, "group_leave": true}
	// settingSubtypes change what channels.json has the final value of,
	// or pins that come from the pins data; they are counted and dropped.
	settingSubtypes = map[string]bool{
		"channel_topic": true, "group_topic": true,
		"channel_purpose": true, "group_purpose": true,
		"channel_name": true, "group_name": true,
		"channel_archive": true, "group_archive": true,
		"channel_unarchive": true, "group_unarchive": true,
		"channel_convert_to_private": true, "channel_convert_to_public": true,
		"pinned_item": true, "unpinned_item": true,
	}
	// eventSubtypes record a change to another message; the export holds
	// that message as it ended up, so they are counted and dropped.
	eventSubtypes = map[string]bool{
		"message_changed": true, "message_deleted": true, "message_replied": true,
	}
	// broadcastSubtypes are thread replies also sent to the channel.
	broadcastSubtypes = map[string]bool{"thread_broadcast": true, "reply_broadcast": true}
)

// isChat reports whether a line of the given subtype is a chat message,
// rather than a change or nothing.
func isChat(subtype string) bool {
	return !joinSubtypes[subtype] && !leaveSubtypes[subtype] &&
		!settingSubtypes[subtype] && !eventSubtypes[subtype]
}

// convert turns a conversation's Slack messages into imported messages,
// in order. Lines that are not chat messages become membership or nothing;
// messages Parley cannot take are skipped and reported with their file.
func (r *run) convert(
	ctx context.Context, c *conversation, msgs []*slackMessage,
) (*converted, error) {
	out := &converted{
		msgs: make([]app.ImportedMessage, 0, len(msgs)), files: make(map[string]string, len(msgs)),
		pinned: map[string]bool{},
	}
	pins := map[string]slackPin{}
	for _, p := range c.ch.Pins {
		if p.ID != "" && (p.Type == "" || p.Type == "C") {
			pins[string(p.ID)] = p
		}
	}

	for _, m := range msgs {
		key := m.key()
		switch {
		case m.bad != "":
			r.rep.skip(m.file, key, m.bad)
			continue
		case m.at == stamp{}:
			r.rep.skip(m.file, key, "the message has no valid ts")
			continue
		case out.files[key] != "":
			r.rep.skip(m.file, key,
				"a second message with the same ts (the first is in "+out.files[key]+")")
			continue
		case joinSubtypes[m.Subtype]:
			r.rep.change(m.Subtype)
			if r.people.user(m.User) == nil {
				r.rep.skip(m.file, key, "unknown user "+m.User+" joined "+r.label(c))
				continue
			}
			out.joined = append(out.joined, m.User)
			continue
		case leaveSubtypes[m.Subtype]:
			r.rep.change(m.Subtype)
			r.rep.note(m.file, key, r.handle(m.User)+" left "+r.label(c)+
				"; the members are those of "+c.list+", since Parley keeps no membership history")
			continue
		case settingSubtypes[m.Subtype], eventSubtypes[m.Subtype]:
			r.rep.change(m.Subtype)
			continue
		}

		text, stripped := stripControl(r.text(m))
		if strings.TrimSpace(text) == "" && onlyDeletedFiles(m.Files) {
			what := "a deleted file"
			if len(m.Files) > 1 {
				what = "deleted files"
			}
			r.rep.skip(m.file, key, "the message held only "+what)
			continue
		}
		sender, reason, err := r.people.sender(ctx, m)
		if err != nil {
			return nil, err
		} else if reason != "" {
			r.rep.skip(m.file, key, reason)
			continue
		}
		if stripped {
			r.rep.Cleaned++
		}

		im := app.ImportedMessage{
			Key: key, SenderID: sender, Text: text, CreatedAt: m.at.time(),
			AlsoToChannel: broadcastSubtypes[m.Subtype],
			Reactions:     r.reactions(m),
		}
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			im.ParentKey = string(m.ThreadTS)
		}
		if m.Edited != nil {
			if at, ok := parseStamp(m.Edited.TS); ok {
				im.EditedAt = new(at.time())
			}
		}
		if p, ok := pins[key]; ok {
			im.PinnedBy = cmp.Or(r.people.userID(p.User), sender)
			im.PinnedAt = cmp.Or(unixTime(p.Created), im.CreatedAt)
			delete(pins, key)
		} else if c.kind != directChannel && slices.Contains(m.PinnedTo, c.key()) {
			// pinned_to says that, not who or when: the sender, at the
			// time of the message, is the best guess.
			im.PinnedBy, im.PinnedAt = sender, im.CreatedAt
		}
		if im.PinnedBy != "" {
			out.pinned[key] = true
		}
		out.msgs = append(out.msgs, im)
		out.files[key] = m.file
	}

	for _, p := range c.ch.Pins {
		if _, left := pins[string(p.ID)]; left {
			r.rep.skip(c.list, string(p.ID),
				"a pin of "+r.label(c)+" whose message was not imported")
		}
	}
	return out, nil
}

// text returns a message's text in Parley's markup, with a line for each
// file shared with it.
func (r *run) text(m *slackMessage) string {
	text := m.Text
	lines := fileLines(m.Files)
	if strings.TrimSpace(text) == "" && len(lines) == 0 {
		text = attachmentText(m.Attachments)
	}
	text = r.rw.rewrite(text)
	if len(lines) > 0 {
		text = strings.TrimSpace(text + "\n" + strings.Join(lines, "\n"))
	}
	return text
}

// reactions returns a message's reactions with their users' Parley IDs.
// Reactions of users the import does not know are left out and reported,
// and so is an emoji name Parley cannot take.
func (r *run) reactions(m *slackMessage) []parley.Reaction {
	var out []parley.Reaction
	index := map[string]int{}
	for _, sr := range m.Reactions {
		name, err := app.NormalizeReactionName(sr.Name)
		if err != nil {
			r.rep.skip(m.file, m.key(), "the reaction "+quote(sr.Name)+": "+reasonOf(err))
			continue
		}
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, parley.Reaction{Name: name})
		}
		for _, su := range sr.Users {
			id := r.people.userID(su)
			if id == "" {
				r.rep.skip(m.file, m.key(), "the :"+name+": reaction of unknown user "+su)
				continue
			}
			if !slices.Contains(out[i].UserIDs, id) {
				out[i].UserIDs = append(out[i].UserIDs, id)
			}
		}
		out[i].Count = len(out[i].UserIDs)
	}
	return slices.DeleteFunc(out, func(re parley.Reaction) bool { return re.Count == 0 })
}

// members returns the Parley IDs of a channel's members: those of its list
// and those its channel_join lines add. Members the import does not know
// are left out and reported.
func (r *run) members(c *conversation, joined []string) []string {
	var ids []string
	for _, su := range slices.Concat(c.ch.Members, joined) {
		id := r.people.userID(su)
		if id == "" {
			r.rep.skip(c.list, "", "member "+su+" of "+r.label(c)+" is not in users.json")
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// handle returns the Slack handle of a user, for the report.
func (r *run) handle(slackID string) string {
	if h := r.people.handles[slackID]; h != "" {
		return "@" + h
	}
	return cmp.Or(slackID, "someone")
}

// label names a conversation for progress lines and the report.
func (r *run) label(c *conversation) string {
	switch c.kind {
	case directChannel:
		var names []string
		for _, id := range c.dm.Members {
			names = append(names, r.handle(id))
		}
		return "the direct conversation " + c.dm.ID + " (" + strings.Join(names, ", ") + ")"
	case groupChannel:
		return "#" + c.name + " (group conversation " + c.ch.Name + ")"
	}
	if c.renamed() {
		return "#" + c.name + " (Slack: " + cmp.Or(clean(c.ch.Name), "no name") + ")"
	}
	return "#" + c.name
}

// unixTime returns a Slack time in seconds, or the zero time for 0.
func unixTime(sec unixSeconds) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(sec), 0).UTC()
}
