package slackimport_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/slackimport"
)

// quirksExport is a fixture export with what real exports hold now and
// then: ts written as numbers, an entry of the wrong shape, a day file
// that is not a list, control characters, a message left with only a
// deleted file, channel names Parley has to change, two users with one
// email, a user listed twice, and a bot.
const quirksExport = "testdata/slack-export-quirks"

// longName is the 100-character channel name of the quirks export.
var longName = strings.Repeat("a", 100)

func TestImportQuirks(t *testing.T) {
	ctx := context.Background()
	env := MustOpenEnv(t)
	rep, progress, err := env.Import(t, quirksExport, "")
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	ann := env.MustUser(t, "ann@example.com")
	bel := env.MustUser(t, "bel@example.com")
	bot := env.MustUser(t, "bot-b4deploy@slack-import.invalid")
	general := env.MustChannel(t, rep.WorkspaceID, "general")
	gmsgs := env.MustMessages(t, general.ID)

	t.Run("Report", func(t *testing.T) {
		const day = "general/2023-11-14.json"
		want := &slackimport.Report{
			Workspace: "slack-export-quirks", WorkspaceID: rep.WorkspaceID, WorkspaceCreated: true,
			Users: slackimport.UserCounts{Created: 3, Bots: 1},
			Merged: []slackimport.Item{{File: "users.json",
				Reason: `U2ANN (ann2, "Ann@Example.com") and U1ANN (ann, "ann@example.com") are the one account ann@example.com: their emails differ only in case`}},
			Duplicates: []slackimport.Item{{File: "users.json",
				Reason: "U1ANN (ann-again) is listed again; the first entry is the one imported"}},
			Channels: slackimport.ChannelCounts{Public: 6, Created: 6},
			Renamed: []slackimport.Rename{
				{File: "channels.json", SlackID: "C3DES", SlackName: "ｄｅｓｉｇｎ", Name: "design-2"},
				{File: "channels.json", SlackID: "C4MY", SlackName: "My Channel", Name: "my-channel"},
				{File: "channels.json", SlackID: "C5EMPTY", SlackName: "", Name: "channel-c5empty"},
				{File: "channels.json", SlackID: "C6LONG", SlackName: longName, Name: longName[:80]},
			},
			Messages: 11, Threads: 1, Replies: 1, Pins: 1, Cleaned: 1,
			Skipped: []slackimport.Item{
				{File: day, Key: "true", Reason: "the message has no valid ts"},
				{File: day, Key: "1700000006.000100", Reason: `cannot read the message: a number in "text", want a string`},
				{File: day, Key: "1700000008.000100", Reason: "the message held only a deleted file"},
			},
			Failed: []slackimport.Item{{File: "object-day/2023-11-14.json",
				Reason: "want a JSON array of messages, not an object (line 1); #object-day was not imported"}},
		}
		if !reflect.DeepEqual(rep, want) {
			t.Errorf("report:\n%s\n%#v\nwant\n%#v", rep, rep, want)
		}
		wantProgress := "imported #general: 6 messages\n" +
			"imported #design: 1 message\n" +
			"imported #design-2 (Slack: ｄｅｓｉｇｎ): 1 message\n" +
			"imported #my-channel (Slack: My Channel): 1 message\n" +
			"imported #channel-c5empty (Slack: no name): 1 message\n" +
			"imported #" + longName[:80] + " (Slack: " + longName + "): 1 message\n" +
			"not imported #object-day: object-day/2023-11-14.json: want a JSON array of messages, not an object (line 1)\n"
		if progress != wantProgress {
			t.Errorf("progress:\n%s\nwant\n%s", progress, wantProgress)
		}
	})

	t.Run("ReportText", func(t *testing.T) {
		text := rep.String()
		for _, want := range []string{
			"  cleaned:    control characters removed from 1 message\n",
			"\nSlack users merged into one account (1):\n  users.json: U2ANN (ann2,",
			"\nDuplicate user ids ignored (1):\n  users.json: U1ANN (ann-again)",
			"\nChannels renamed (4): Slack name → Parley name\n" +
				"  \"ｄｅｓｉｇｎ\" → #design-2\n  \"My Channel\" → #my-channel\n  \"\" → #channel-c5empty\n",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("report lacks %q:\n%s", want, text)
			}
		}
		for _, goName := range []string{"Go value", "Go struct", "slackimport.", "[]*", "unmarshal"} {
			if strings.Contains(text, goName) {
				t.Errorf("report speaks of Go types (%q):\n%s", goName, text)
			}
		}
	})

	t.Run("NumericTS", func(t *testing.T) {
		// 1700000003.5 is the ts "1700000003.500000": its reply, whose
		// thread_ts is a number too, is in its thread.
		root := ByText(t, gmsgs, "a number ts")
		if !root.CreatedAt.Equal(ts(1700000003, 500000)) || root.ReplyCount != 1 {
			t.Errorf("root at %v with %d replies, want %v with 1", root.CreatedAt, root.ReplyCount, ts(1700000003, 500000))
		}
		if reply := ByText(t, gmsgs, "a reply by number"); reply.ParentID != root.ID {
			t.Errorf("reply parent_id=%q, want %q", reply.ParentID, root.ID)
		}
		if m := ByText(t, gmsgs, "edited by number"); m.EditedAt == nil || !m.EditedAt.Equal(ts(1700000050, 0)) {
			t.Errorf("editedAt=%v, want %v", m.EditedAt, ts(1700000050, 0))
		}
		design := env.MustChannel(t, rep.WorkspaceID, "design")
		pins, err := env.Store.Pins(ctx, design.ID)
		if err != nil || len(pins) != 1 || !pins[0].PinnedAt.Equal(ts(1700000200, 0)) {
			t.Errorf("design pins=%+v (%v), want one pinned at %v", pins, err, ts(1700000200, 0))
		}
		if !design.CreatedAt.Equal(ts(1700000000, 0)) {
			t.Errorf("design created at %v, want %v", design.CreatedAt, ts(1700000000, 0))
		}
	})

	t.Run("ControlCharacters", func(t *testing.T) {
		// Line breaks and tabs stay; the bell and the escapes go.
		ByText(t, gmsgs, "bell and [1mbold[0m\ttab\r\nline")
		if general.Topic != "News today" || general.Purpose != "All [1mhands[0m" {
			t.Errorf("general topic=%q purpose=%q, want them without control characters", general.Topic, general.Purpose)
		}
		if bel.Nickname != "Bel" {
			t.Errorf("bel's nickname=%q, want Bel", bel.Nickname)
		}
	})

	t.Run("Accounts", func(t *testing.T) {
		// ann2's email is ann's in another case: her message is ann's.
		if m := ByText(t, gmsgs, "a number ts"); m.SenderID != ann.ID {
			t.Errorf("ann2's message sent by %s, want ann %s", m.SenderID, ann.ID)
		}
		if _, err := env.Store.UserByEmail(ctx, "ann.again@example.com"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("the second entry of U1ANN was imported: %v", err)
		}
		// The bot posts, but nobody can log in as it.
		if m := ByText(t, gmsgs, "Deployed v2"); m.SenderID != bot.ID {
			t.Errorf("bot message sent by %s, want the bot %s", m.SenderID, bot.ID)
		}
		if !bot.Deactivated || ann.Deactivated {
			t.Errorf("bot deactivated=%v, ann %v; want only the bot", bot.Deactivated, ann.Deactivated)
		}
		if _, err := env.Service.IssueResetCode(ctx, bot.Email); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Errorf("IssueResetCode(bot): %v, want conflict", err)
		}
	})

	t.Run("Renamed", func(t *testing.T) {
		for _, name := range []string{"design-2", "my-channel", "channel-c5empty", longName[:80]} {
			if msgs := env.MustMessages(t, env.MustChannel(t, rep.WorkspaceID, name).ID); len(msgs) != 1 {
				t.Errorf("#%s has %d messages, want 1", name, len(msgs))
			}
		}
	})

	t.Run("Rerun", func(t *testing.T) {
		again := env.MustImport(t, quirksExport, "")
		if again.Messages != 0 || again.Existing != 11 || again.Users.Matched != 3 {
			t.Errorf("second report:\n%s\nwant nothing added", again)
		}
		if !reflect.DeepEqual(again.Renamed, rep.Renamed) || !reflect.DeepEqual(again.Merged, rep.Merged) ||
			!reflect.DeepEqual(again.Skipped, rep.Skipped) || again.Cleaned != 1 {
			t.Errorf("second report:\n%s\nwant the same renames, merges, skips and cleaning as the first", again)
		}
	})
}
