package slackimport

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Report is what an import did: counts of what it imported, and every item
// it left out or changed, with the file of the export it came from.
//
// Counts are of this run: a second run of the same import matches what the
// first one made and adds no messages.
type Report struct {
	// Workspace is the name of the workspace filled, and WorkspaceID its
	// ID; WorkspaceCreated reports whether this run created it.
	Workspace        string
	WorkspaceID      string
	WorkspaceCreated bool

	Users UserCounts
	// Placeholders lists the users that got a placeholder email, since the
	// export has none for them; an admin can change it.
	Placeholders []Placeholder
	// Merged lists the users of the export that became the account of
	// another one, since Parley holds their emails to be the same (they
	// differ only in case, say). Duplicates lists the entries of
	// users.json with the ID of an earlier one, which were ignored.
	Merged     []Item
	Duplicates []Item

	Channels ChannelCounts
	// Renamed lists the channels imported under another name than their
	// Slack name: changed to pass Parley's naming rules, or given a
	// suffix since another channel has the name.
	Renamed []Rename

	// Messages counts the messages added, and Existing those that an
	// earlier run had added already.
	Messages int
	Existing int
	// Threads counts the thread roots that got replies, Replies the
	// replies, Reactions the reactions (one per user and emoji) and Pins
	// the pinned messages, all among the messages added. For a
	// conversation that an earlier run imported only in part (its export
	// has grown since), they count the whole conversation: the service
	// does not say which of them are new.
	Threads   int
	Replies   int
	Reactions int
	Pins      int
	// Cleaned counts the messages whose text held control characters
	// (other than line breaks and tabs), which Parley refuses and the
	// import removed. It counts them on every run, imported before or not.
	Cleaned int
	// Changes counts, by subtype, the lines of the export that are not
	// chat messages and became changes to channels instead, or nothing.
	Changes map[string]int

	// Orphans are replies whose thread's root is not in the export; they
	// were imported as ordinary messages.
	Orphans []Item
	// Notes are things imported differently from the export, or export
	// entries that Parley has no place for.
	Notes []Item
	// Skipped are messages and other entries left out.
	Skipped []Item
	// Failed are whole conversations, or lists of them, left out.
	Failed []Item
}

// UserCounts counts the users of an import. Created and Matched add up to
// the Parley accounts of the export's users, bots included: every user of
// it but those merged into another one's account (Report.Merged) and
// duplicate entries. The others count among them.
type UserCounts struct {
	// Created counts the users created; Matched those matched by email
	// to a user Parley had already.
	Created int
	Matched int
	// Placeholder counts the users given a placeholder email, Deactivated
	// the people created deactivated since Slack had deleted them, and
	// Bots the bot users (which are created deactivated too, so that
	// nobody can log in as them, but are not counted as Deactivated).
	Placeholder int
	Deactivated int
	Bots        int
}

// ChannelCounts counts the conversations of an import by kind. Public,
// Private and Group add up to Created plus Existing.
type ChannelCounts struct {
	// Public counts the public channels, the general channel included;
	// Private the private channels; Group the group conversations, which
	// became private channels; Direct the direct conversations.
	Public  int
	Private int
	Group   int
	Direct  int
	// Archived counts the archived channels.
	Archived int
	// Created counts the channels created, and Existing those an earlier
	// run had created.
	Created  int
	Existing int
}

// Placeholder is a user that got a placeholder email.
type Placeholder struct {
	SlackID string
	Name    string
	Email   string
}

// Rename is a channel imported under another name than its Slack name.
type Rename struct {
	// File is the list the channel is in; SlackID and SlackName are its
	// ID and name there, and Name is its name in Parley.
	File      string
	SlackID   string
	SlackName string
	Name      string
}

// String formats the rename as a line of the report:
// "My Channel" → #my-channel.
func (rn Rename) String() string {
	return strconv.Quote(rn.SlackName) + " → #" + rn.Name
}

// Item is one entry of a report: what it is about and why.
type Item struct {
	// File is the file of the export the item came from.
	File string
	// Key is the message's ts, for an item about a message.
	Key    string
	Reason string
}

// String formats the item as a line of the report.
func (it Item) String() string {
	var b strings.Builder
	b.WriteString(it.File)
	if it.Key != "" {
		b.WriteString(" ts ")
		b.WriteString(it.Key)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(it.Reason)
	return b.String()
}

// skip lists an entry left out.
func (r *Report) skip(file, key, reason string) {
	r.Skipped = append(r.Skipped, Item{file, key, reason})
}

// note lists an entry imported differently from the export.
func (r *Report) note(file, key, reason string) {
	r.Notes = append(r.Notes, Item{file, key, reason})
}

// fail lists a conversation, or a list of them, left out.
func (r *Report) fail(file, key, reason string) {
	r.Failed = append(r.Failed, Item{file, key, reason})
}

// change counts a line of the given subtype that is not a chat message.
func (r *Report) change(subtype string) {
	if r.Changes == nil {
		r.Changes = map[string]int{}
	}
	r.Changes[subtype]++
}

// WriteTo writes the report for a person to read: the counts, then the
// lists of items.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	state := "existing"
	if r.WorkspaceCreated {
		state = "created"
	}
	fmt.Fprintf(&b, "Slack import into workspace %q (%s, %s)\n", r.Workspace, r.WorkspaceID, state)

	u := r.Users
	fmt.Fprintf(&b, "  users:      %s created, %s matched by email; "+
		"%s with a placeholder email, %s deactivated, %s %s\n",
		num(u.Created), num(u.Matched),
		num(u.Placeholder), num(u.Deactivated), num(u.Bots), plural(u.Bots, "bot"))
	c := r.Channels
	fmt.Fprintf(&b, "  channels:   %s public, %s private, %s from group conversations; "+
		"%s archived; %s created, %s existing\n",
		num(c.Public), num(c.Private), num(c.Group),
		num(c.Archived), num(c.Created), num(c.Existing))
	fmt.Fprintf(&b, "  direct:     %s %s\n", num(c.Direct), plural(c.Direct, "conversation"))
	fmt.Fprintf(&b, "  messages:   %s added, %s already imported\n", num(r.Messages), num(r.Existing))
	fmt.Fprintf(&b, "  threads:    %s, with %s %s; %s %s without a root\n",
		num(r.Threads), num(r.Replies), plural(r.Replies, "reply"),
		num(len(r.Orphans)), plural(len(r.Orphans), "reply"))
	fmt.Fprintf(&b, "  reactions:  %s\n", num(r.Reactions))
	fmt.Fprintf(&b, "  pins:       %s\n", num(r.Pins))
	if r.Cleaned > 0 {
		fmt.Fprintf(&b, "  cleaned:    control characters removed from %s %s\n",
			num(r.Cleaned), plural(r.Cleaned, "message"))
	}
	if len(r.Changes) > 0 {
		var parts []string
		for _, st := range slices.Sorted(maps.Keys(r.Changes)) {
			parts = append(parts, fmt.Sprintf("%s %s", num(r.Changes[st]), st))
		}
		fmt.Fprintf(&b, "  not chat:   %s\n", strings.Join(parts, ", "))
	}

	if len(r.Placeholders) > 0 {
		fmt.Fprintf(&b, "\nUsers without an email in the export, given a placeholder address (%d):\n",
			len(r.Placeholders))
		for _, p := range r.Placeholders {
			fmt.Fprintf(&b, "  %s (%s): %s\n", p.SlackID, p.Name, p.Email)
		}
	}
	for _, s := range []struct {
		title string
		items []Item
	}{
		{"Slack users merged into one account", r.Merged},
		{"Duplicate user ids ignored", r.Duplicates},
	} {
		writeItems(&b, s.title, s.items)
	}
	if len(r.Renamed) > 0 {
		fmt.Fprintf(&b, "\nChannels renamed (%d): Slack name → Parley name\n", len(r.Renamed))
		for _, rn := range r.Renamed {
			fmt.Fprintf(&b, "  %s\n", rn)
		}
	}
	sections := []struct {
		title string
		items []Item
	}{
		{"Conversations not imported", r.Failed},
		{"Skipped", r.Skipped},
		{"Replies imported as ordinary messages", r.Orphans},
		{"Notes", r.Notes},
	}
	for _, s := range sections {
		writeItems(&b, s.title, s.items)
	}
	return b.WriteTo(w)
}

// writeItems writes a section of items under its title, if it has any.
func writeItems(b *bytes.Buffer, title string, items []Item) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s (%d):\n", title, len(items))
	for _, it := range items {
		fmt.Fprintf(b, "  %s\n", it)
	}
}

// String returns the report as WriteTo writes it.
func (r *Report) String() string {
	var b strings.Builder
	r.WriteTo(&b)
	return b.String()
}

// num formats n with thousands separators: 1,234,567.
func num(n int) string {
	s := strconv.Itoa(n)
	start := 0
	if n < 0 {
		start = 1
	}
	var b strings.Builder
	for i, r := range s {
		if i > start && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// plural returns word, in the plural unless n is 1.
func plural(n int, word string) string {
	switch {
	case n == 1:
		return word
	case strings.HasSuffix(word, "y"):
		return strings.TrimSuffix(word, "y") + "ies"
	}
	return word + "s"
}
