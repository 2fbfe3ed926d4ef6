package slackimport_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/slackimport"
)

// ts returns the time of a Slack ts as Parley stores it.
func ts(sec, usec int64) time.Time {
	return parley.NewTime(time.Unix(sec, usec*1000)).Time
}

// TestImport imports the fixture export and checks what each part of it
// became.
func TestImport(t *testing.T) {
	ctx := context.Background()
	env := MustOpenEnv(t)
	rep, progress, err := env.Import(t, smallExport, "")
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	alice := env.MustUser(t, "alice@example.com")
	bob := env.MustUser(t, "bob@example.com")
	chie := env.MustUser(t, "chie@example.jp")
	dan := env.MustUser(t, "dan@example.com")
	guest := env.MustUser(t, "u05nomail@slack-import.invalid")
	bot := env.MustUser(t, "bot-b06bot@slack-import.invalid")
	ws, err := env.Store.Workspace(ctx, rep.WorkspaceID)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	general := env.MustChannel(t, ws.ID, "general")
	gmsgs := env.MustMessages(t, general.ID)

	t.Run("Report", func(t *testing.T) {
		want := &slackimport.Report{
			Workspace: "slack-export-small", WorkspaceID: ws.ID, WorkspaceCreated: true,
			Users: slackimport.UserCounts{Created: 6, Placeholder: 1, Deactivated: 1, Bots: 1},
			Placeholders: []slackimport.Placeholder{
				{SlackID: "U05NOMAIL", Name: "guest", Email: "u05nomail@slack-import.invalid"},
			},
			Channels: slackimport.ChannelCounts{Public: 3, Private: 1, Group: 1, Direct: 1, Archived: 1, Created: 5},
			Messages: 20, Threads: 1, Replies: 3, Reactions: 4, Pins: 1,
			Changes: map[string]int{"channel_join": 3, "channel_purpose": 1, "channel_archive": 1, "pinned_item": 1},
			Orphans: []slackimport.Item{{
				File: "general/2023-11-15.json", Key: "1700086580.000001",
				Reason: "its thread's root is not in the export",
			}},
		}
		if !reflect.DeepEqual(rep, want) {
			t.Errorf("report:\n%#v\nwant\n%#v", rep, want)
		}
		wantProgress := "imported #general: 12 messages\n" +
			"imported #random: 2 messages\n" +
			"imported #old-project: 1 message\n" +
			"imported #leads: 2 messages\n" +
			"imported #alice-bob-chie (group conversation mpdm-alice--bob--chie-1): 1 message\n" +
			"imported the direct conversation D01AB (@alice, @bob): 2 messages\n"
		if progress != wantProgress {
			t.Errorf("progress:\n%s\nwant\n%s", progress, wantProgress)
		}
	})

	t.Run("Workspace", func(t *testing.T) {
		if ws.Name != "slack-export-small" || ws.AdminID != alice.ID {
			t.Errorf("workspace %q run by %s, want slack-export-small run by alice (%s)", ws.Name, ws.AdminID, alice.ID)
		}
		members, err := env.Store.WorkspaceMemberIDs(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{alice.ID, bob.ID, chie.ID, dan.ID, guest.ID, bot.ID}
		if !sameSet(members, want) {
			t.Errorf("workspace members=%v, want %v", members, want)
		}
		if general.Topic != "Company-wide announcements" || general.Purpose != "Everyone is here" {
			t.Errorf("general topic=%q purpose=%q, want the export's", general.Topic, general.Purpose)
		}
		if got := env.MustMembers(t, general.ID); len(got) != 6 {
			t.Errorf("general has %d members (%v), want all 6 users", len(got), got)
		}
	})

	t.Run("Users", func(t *testing.T) {
		if alice.Nickname != "alice" || bob.Nickname != "bobby" || bot.Nickname != "Deploy Bot" {
			t.Errorf("nicknames %q %q %q, want alice, bobby, Deploy Bot", alice.Nickname, bob.Nickname, bot.Nickname)
		}
		if guest.Nickname != "guest" {
			t.Errorf("guest nickname=%q, want guest", guest.Nickname)
		}
		// dan was deleted in Slack; nobody logs in as a bot.
		if !dan.Deactivated || alice.Deactivated || !bot.Deactivated {
			t.Errorf("deactivated: dan %v, alice %v, bot %v; want dan and the bot", dan.Deactivated, alice.Deactivated, bot.Deactivated)
		}
		// Imported users have no password; dan and the bot cannot get
		// one either.
		for _, email := range []string{"dan@example.com", "alice@example.com", bot.Email} {
			if _, err := env.Service.Login(ctx, email, "any password at all"); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
				t.Errorf("Login(%s): %v, want unauthorized", email, err)
			}
		}
		for _, email := range []string{"dan@example.com", bot.Email} {
			if _, err := env.Service.IssueResetCode(ctx, email); parley.ErrorCode(err) != parley.ECONFLICT {
				t.Errorf("IssueResetCode(%s): %v, want conflict", email, err)
			}
		}
		if m := ByText(t, gmsgs, "Signing off, this account will be removed"); m.SenderID != dan.ID {
			t.Errorf("dan's message sent by %s, want dan %s", m.SenderID, dan.ID)
		}
		if m := ByText(t, gmsgs, "Hi all, I am a guest here"); m.SenderID != guest.ID {
			t.Errorf("guest's message sent by %s, want %s", m.SenderID, guest.ID)
		}
	})

	t.Run("Order", func(t *testing.T) {
		want := []string{
			"Welcome everyone! Please read the handbook at the handbook (https://example.com/handbook) :tada:",
			"Thanks <@" + alice.ID + ">! Quick question about the release, starting a thread",
			"It ships on Friday.",
			"了解です！ 金曜日ですね 🚀",
			"Also sent to the channel: remember the freeze on Thursday.",
			"Fixed the typo in my earlier message",
			"Deployed *v1.2.3* to production",
			"Here is the design doc\n📎 design.pdf: https://files.example.com/F01DOC/design.pdf",
			"Hi all, I am a guest here",
			"Signing off, this account will be removed",
			"Reply to a thread that is not in this export",
			"Text with characters that need escaping: <b> & \"quotes\" and a newline\nsecond line",
		}
		var got []string
		for i, m := range gmsgs {
			got = append(got, m.Text)
			if m.Seq != int64(i+1) {
				t.Errorf("message %d has seq %d, want %d", i, m.Seq, i+1)
			}
			if i > 0 && m.CreatedAt.Before(gmsgs[i-1].CreatedAt.Time) {
				t.Errorf("message %d at %v, before the one above at %v", i, m.CreatedAt, gmsgs[i-1].CreatedAt)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("general:\n%q\nwant\n%q", got, want)
		}
		if at := gmsgs[0].CreatedAt.Time; !at.Equal(ts(1700000120, 1)) {
			t.Errorf("first message at %v, want the time of its ts", at)
		}
	})

	t.Run("Thread", func(t *testing.T) {
		root := gmsgs[1]
		if root.ReplyCount != 3 || root.LastReplyAt == nil || !root.LastReplyAt.Equal(ts(1700000420, 1)) {
			t.Errorf("root reply_count=%d last_reply_at=%v, want 3 at %v", root.ReplyCount, root.LastReplyAt, ts(1700000420, 1))
		}
		if !slices.Equal(root.Mentions, []string{alice.ID}) {
			t.Errorf("root mentions=%v, want alice %s", root.Mentions, alice.ID)
		}
		for i, reply := range gmsgs[2:5] {
			if reply.ParentID != root.ID {
				t.Errorf("reply %d parent_id=%q, want %q", i, reply.ParentID, root.ID)
			}
			if want := i == 2; reply.AlsoToChannel != want {
				t.Errorf("reply %d also_to_channel=%v, want %v", i, reply.AlsoToChannel, want)
			}
		}
		if orphan := gmsgs[10]; orphan.ParentID != "" || orphan.SenderID != bob.ID {
			t.Errorf("orphan parent_id=%q sender %s, want a top-level message of bob", orphan.ParentID, orphan.SenderID)
		}
	})

	t.Run("Reactions", func(t *testing.T) {
		m, err := env.Store.Message(ctx, gmsgs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []parley.Reaction{
			{Name: "tada", Count: 2, UserIDs: []string{bob.ID, chie.ID}},
			{Name: "+1", Count: 1, UserIDs: []string{bob.ID}},
		}
		if !sameReactions(m.Reactions, want) {
			t.Errorf("reactions=%+v, want %+v", m.Reactions, want)
		}
	})

	t.Run("EditedAndPinned", func(t *testing.T) {
		edited := ByText(t, gmsgs, "Fixed the typo in my earlier message")
		if edited.EditedAt == nil || !edited.EditedAt.Equal(ts(1700086430, 0)) {
			t.Errorf("editedAt=%v, want %v", edited.EditedAt, ts(1700086430, 0))
		}
		if gmsgs[0].EditedAt != nil {
			t.Errorf("unedited message has editedAt %v", gmsgs[0].EditedAt)
		}
		pins, err := env.Store.Pins(ctx, general.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pins) != 1 || pins[0].MessageID != gmsgs[0].ID || pins[0].PinnedByID != alice.ID ||
			!pins[0].PinnedAt.Equal(ts(1700000200, 0)) {
			t.Errorf("pins=%+v, want the welcome message pinned by alice at %v", pins, ts(1700000200, 0))
		}
	})

	t.Run("Bot", func(t *testing.T) {
		if m := ByText(t, gmsgs, "Deployed *v1.2.3* to production"); m.SenderID != bot.ID {
			t.Errorf("bot message sent by %s, want the bot %s", m.SenderID, bot.ID)
		}
	})

	t.Run("Channels", func(t *testing.T) {
		random := env.MustChannel(t, ws.ID, "random")
		if random.IsPrivate || random.Archived || random.Purpose != "Non-work banter" || random.CreatorID != bob.ID {
			t.Errorf("random=%+v, want public, not archived, purpose from the export, created by bob", random)
		}
		rmsgs := env.MustMessages(t, random.ID)
		lunch := ByText(t, rmsgs, "Lunch? <!here>")
		if !sameSet(lunch.Mentions, []string{bob.ID, chie.ID}) {
			t.Errorf("<!here> mentions %v, want the members but the sender", lunch.Mentions)
		}
		if got := env.MustMembers(t, random.ID); !sameSet(got, []string{"alice@example.com", "bob@example.com", "chie@example.jp"}) {
			t.Errorf("random members=%v", got)
		}

		old := env.MustChannel(t, ws.ID, "old-project")
		if !old.Archived || len(env.MustMessages(t, old.ID)) != 1 {
			t.Errorf("old-project archived=%v, want archived with its 1 message", old.Archived)
		}
		if got := env.MustMembers(t, old.ID); !sameSet(got, []string{"alice@example.com", "dan@example.com"}) {
			t.Errorf("old-project members=%v, want alice and dan", got)
		}

		leads := env.MustChannel(t, ws.ID, "leads")
		if !leads.IsPrivate || leads.Purpose != "Private planning" {
			t.Errorf("leads=%+v, want private with its purpose", leads)
		}
		if got := env.MustMembers(t, leads.ID); !sameSet(got, []string{"alice@example.com", "chie@example.jp"}) {
			t.Errorf("leads members=%v, want alice and chie", got)
		}

		group := env.MustChannel(t, ws.ID, "alice-bob-chie")
		if !group.IsPrivate {
			t.Errorf("group conversation became a public channel")
		}
		if got := env.MustMembers(t, group.ID); !sameSet(got, []string{"alice@example.com", "bob@example.com", "chie@example.jp"}) {
			t.Errorf("alice-bob-chie members=%v", got)
		}
		if msgs := env.MustMessages(t, group.ID); len(msgs) != 1 || msgs[0].SenderID != chie.ID {
			t.Errorf("alice-bob-chie has %d messages, want chie's one", len(msgs))
		}
	})

	t.Run("Direct", func(t *testing.T) {
		msgs := env.MustMessages(t, parley.DMConversationID(alice.ID, bob.ID))
		if len(msgs) != 2 {
			t.Fatalf("DM has %d messages, want 2", len(msgs))
		}
		if msgs[0].SenderID != alice.ID || msgs[0].ReceiverID != bob.ID || msgs[1].SenderID != bob.ID {
			t.Errorf("DM messages %+v %+v, want alice to bob, then bob", msgs[0], msgs[1])
		}
	})

	t.Run("Rerun", func(t *testing.T) {
		// The zip of the same export, into the same workspace, adds
		// nothing.
		counts := func() map[string]int {
			out := map[string]int{}
			chs, _ := env.Store.Channels(ctx, ws.ID)
			for _, ch := range chs {
				out[ch.Name] = len(env.MustMessages(t, ch.ID))
				pins, _ := env.Store.Pins(ctx, ch.ID)
				out[ch.Name+" pins"] = len(pins)
			}
			out["dm"] = len(env.MustMessages(t, parley.DMConversationID(alice.ID, bob.ID)))
			return out
		}
		before := counts()
		again := env.MustImport(t, smallExportZip, "slack-export-small")
		if after := counts(); !reflect.DeepEqual(after, before) {
			t.Errorf("after a second run: %v, want %v", after, before)
		}
		want := &slackimport.Report{
			Workspace: "slack-export-small", WorkspaceID: ws.ID,
			Users:        slackimport.UserCounts{Matched: 6, Placeholder: 1, Bots: 1},
			Placeholders: rep.Placeholders,
			Channels:     slackimport.ChannelCounts{Public: 3, Private: 1, Group: 1, Direct: 1, Archived: 1, Existing: 5},
			Existing:     20,
			Changes:      rep.Changes,
		}
		if !reflect.DeepEqual(again, want) {
			t.Errorf("second report:\n%#v\nwant\n%#v", again, want)
		}
		m, err := env.Store.Message(ctx, gmsgs[0].ID)
		if err != nil || len(m.Reactions) != 2 || m.Reactions[0].Count != 2 {
			t.Errorf("reactions after a second run: %+v, %v", m.Reactions, err)
		}
	})
}

// TestImportMatchesUsers checks that a user Parley has already is matched
// by email, and keeps their account and password.
func TestImportMatchesUsers(t *testing.T) {
	ctx := context.Background()
	env := MustOpenEnv(t)
	sess, err := env.Service.Signup(ctx, "Alice@Example.com", "a password of alice", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	rep := env.MustImport(t, smallExport, "Team")
	if rep.Users.Created != 5 || rep.Users.Matched != 1 || rep.Workspace != "Team" {
		t.Errorf("users created %d, matched %d, in %q; want 5, 1, in Team", rep.Users.Created, rep.Users.Matched, rep.Workspace)
	}
	if _, err := env.Service.Login(ctx, "alice@example.com", "a password of alice"); err != nil {
		t.Errorf("alice cannot log in after the import: %v", err)
	}
	general := env.MustChannel(t, rep.WorkspaceID, "general")
	if m := env.MustMessages(t, general.ID)[0]; m.SenderID != sess.User.ID {
		t.Errorf("alice's message sent by %s, want her account %s", m.SenderID, sess.User.ID)
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// sameReactions compares reactions by name, count and users, in order.
func sameReactions(got, want []parley.Reaction) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].Count != want[i].Count || !slices.Equal(got[i].UserIDs, want[i].UserIDs) {
			return false
		}
	}
	return true
}
