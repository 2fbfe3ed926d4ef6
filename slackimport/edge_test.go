package slackimport_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/slackimport"
)

// edgeExport is a fixture export with the cases the small one lacks: bots
// met only in messages, markup of every kind, bad entries of many kinds, a
// malformed day file, clashing names, pins from pinned_to, a conversation
// with oneself.
const edgeExport = "testdata/slack-export-edge"

func TestImportEdgeCases(t *testing.T) {
	ctx := context.Background()
	env := MustOpenEnv(t)
	rep := env.MustImport(t, edgeExport, "")
	ann := env.MustUser(t, "ann@example.com")
	ben := env.MustUser(t, "ben@example.com")
	cat := env.MustUser(t, "cat@example.com")
	dev := env.MustUser(t, "u4dev@slack-import.invalid")
	general := env.MustChannel(t, rep.WorkspaceID, "general")
	gmsgs := env.MustMessages(t, general.ID)

	t.Run("Report", func(t *testing.T) {
		const day1, day2 = "announcements/2024-01-01.json", "announcements/2024-01-02.json"
		want := &slackimport.Report{
			Workspace: "slack-export-edge", WorkspaceID: rep.WorkspaceID, WorkspaceCreated: true,
			Users: slackimport.UserCounts{Created: 9, Placeholder: 2, Deactivated: 1, Bots: 4},
			Placeholders: []slackimport.Placeholder{
				{SlackID: "U4DEV", Name: "dev", Email: "u4dev@slack-import.invalid"},
				{SlackID: "U6EVE", Name: "eve", Email: "u6eve@slack-import.invalid"},
			},
			Channels: slackimport.ChannelCounts{Public: 4, Private: 1, Group: 2, Direct: 1, Archived: 1, Created: 7},
			Renamed: []slackimport.Rename{
				{File: "channels.json", SlackID: "C1ANN", SlackName: "announcements", Name: "general"},
				{File: "channels.json", SlackID: "C2DES", SlackName: "Design.Team", Name: "design-team"},
				{File: "channels.json", SlackID: "C3DES2", SlackName: "design-team", Name: "design-team-2"},
				{File: "mpims.json", SlackID: "G3MP", SlackName: "mpdm-ann--ben-2", Name: "ann-ben-2"},
			},
			Messages: 23, Threads: 1, Replies: 2, Reactions: 2, Pins: 2,
			Changes: map[string]int{"channel_archive": 1, "channel_join": 1, "channel_leave": 1, "channel_topic": 1},
			Orphans: []slackimport.Item{{File: day2, Key: "1700090300.000100", Reason: "its thread's root is not in the export"}},
			Notes: []slackimport.Item{
				{File: "users.json", Reason: `U6EVE (eve) has the email "not an email", which is not a valid address; a placeholder replaces it`},
				{File: "Design.Team/2024-01-01.json", Key: "1700000995.000100",
					Reason: "@ben left #design-team (Slack: Design.Team); the members are those of channels.json, since Parley keeps no membership history"},
				{File: "groups.json", Reason: "#secret: its creator is no longer a member, so the first member is recorded as its creator"},
			},
			Skipped: []slackimport.Item{
				{File: day1, Key: "not-a-ts", Reason: "the message has no valid ts"},
				{File: day1, Key: "1700000100.000100", Reason: "the :thumbsup: reaction of unknown user U404"},
				{File: day1, Key: "1700000100.000100", Reason: `the reaction "bad name!": name must be an emoji name of at most 64 lowercase letters, digits, '_', '-', '+' or apostrophes`},
				{File: day1, Key: "1700000200.000100", Reason: "unknown user U404 (not in users.json)"},
				{File: day1, Key: "1700000700.000100", Reason: "a second message with the same ts (the first is in " + day1 + ")"},
				{File: day1, Key: "1700000800.000100", Reason: "message is required"},
				{File: "channels.json", Key: "1600000000.000001", Reason: "a pin of #design-team (Slack: Design.Team) whose message was not imported"},
			},
			Failed: []slackimport.Item{
				{File: "broken/2024-01-02.json", Reason: "not valid JSON: invalid character ',' looking for beginning of object key string (line 2); #broken was not imported"},
				{File: "dms.json", Reason: "the direct conversation D2GHOST (@ann, U404) was not imported: its member U404 is not in users.json"},
			},
		}
		if !reflect.DeepEqual(rep, want) {
			t.Errorf("report:\n%s\n%#v\nwant\n%#v", rep, rep, want)
		}
	})

	t.Run("Admin", func(t *testing.T) {
		// cat is the primary owner but deleted: ben, an owner, runs it.
		ws, err := env.Store.Workspace(ctx, rep.WorkspaceID)
		if err != nil || ws.AdminID != ben.ID {
			t.Errorf("admin=%v (%v), want ben %s", ws, err, ben.ID)
		}
		if !cat.Deactivated || ann.Deactivated {
			t.Errorf("cat deactivated=%v, ann %v; want only cat", cat.Deactivated, ann.Deactivated)
		}
	})

	t.Run("Markup", func(t *testing.T) {
		want := "Hello <@" + ben.ID + "> and @ghost, see #design-team and #design-team-2 & " +
			"the docs (https://example.com/a?x=1&y=2) or https://example.com or ann@example.com " +
			"<!channel> <!here> @leads 1 < 2 > 0"
		hello := gmsgs[0]
		if hello.Text != want {
			t.Errorf("text:\n%q\nwant\n%q", hello.Text, want)
		}
		// <!channel> mentions every member of general, every user, but
		// the sender.
		members, err := env.Store.ChannelMemberIDs(ctx, general.ID)
		if err != nil {
			t.Fatal(err)
		}
		members = slices.DeleteFunc(members, func(id string) bool { return id == ann.ID })
		if len(members) != 8 || !sameSet(hello.Mentions, members) {
			t.Errorf("mentions=%v, want the 8 users but ann: %v", hello.Mentions, members)
		}
		m, err := env.Store.Message(ctx, hello.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantReactions := []parley.Reaction{{Name: "thumbsup", Count: 2, UserIDs: []string{ann.ID, ben.ID}}}
		if !sameReactions(m.Reactions, wantReactions) {
			t.Errorf("reactions=%+v, want %+v", m.Reactions, wantReactions)
		}
		if m := ByText(t, gmsgs, "Build 7 passed"); m.SenderID != ben.ID {
			t.Errorf("attachment-only message sent by %s, want ben", m.SenderID)
		}
		ByText(t, gmsgs, "waves")
	})

	t.Run("Bots", func(t *testing.T) {
		for text, email := range map[string]string{
			"Hook says hi":       "bot-b5hook@slack-import.invalid",
			"Build green":        "bot-b99ci@slack-import.invalid",
			"Zap!":               "bot-zapier@slack-import.invalid",
			"Reminder: stand-up": "bot-slackbot@slack-import.invalid",
		} {
			bot := env.MustUser(t, email)
			if m := ByText(t, gmsgs, text); m.SenderID != bot.ID {
				t.Errorf("%q sent by %s, want %s (%s)", text, m.SenderID, bot.ID, email)
			}
			if ok, _ := env.Store.IsWorkspaceMember(ctx, rep.WorkspaceID, bot.ID); !ok {
				t.Errorf("bot %s is not a member of the workspace", email)
			}
		}
		if ci := env.MustUser(t, "bot-b99ci@slack-import.invalid"); ci.Nickname != "ci" {
			t.Errorf("bot nickname=%q, want its username ci", ci.Nickname)
		}
	})

	t.Run("Thread", func(t *testing.T) {
		// The reply comes before its root in its day file.
		root := ByText(t, gmsgs, "a root")
		reply, broadcast := ByText(t, gmsgs, "a reply"), ByText(t, gmsgs, "a broadcast reply")
		if root.ReplyCount != 2 || reply.ParentID != root.ID || broadcast.ParentID != root.ID {
			t.Errorf("root reply_count=%d, parents %q %q; want 2, %q", root.ReplyCount, reply.ParentID, broadcast.ParentID, root.ID)
		}
		if reply.Seq < root.Seq || reply.AlsoToChannel || !broadcast.AlsoToChannel {
			t.Errorf("reply seq %d (root %d) also %v, broadcast also %v", reply.Seq, root.Seq, reply.AlsoToChannel, broadcast.AlsoToChannel)
		}
		if m := ByText(t, gmsgs, "edited text"); m.EditedAt == nil || !m.EditedAt.Equal(ts(1700090450, 0)) {
			t.Errorf("editedAt=%v, want %v", m.EditedAt, ts(1700090450, 0))
		}
	})

	t.Run("Channels", func(t *testing.T) {
		design := env.MustChannel(t, rep.WorkspaceID, "design-team")
		if design.Topic != "Pixels" {
			t.Errorf("design-team topic=%q, want Pixels", design.Topic)
		}
		// dev joined by a channel_join line; ben left, but channels.json
		// still lists him.
		if got := env.MustMembers(t, design.ID); !sameSet(got, []string{"ann@example.com", "ben@example.com", dev.Email}) {
			t.Errorf("design-team members=%v, want ann, ben, dev", got)
		}
		msgs := env.MustMessages(t, design.ID)
		wantFiles := "Files <@" + ben.ID + ">\n" +
			"📎 spec.pdf: https://files.example.com/spec.pdf\n" +
			"📎 img.png: https://example.slack.com/files/img.png\n" +
			"📎 gone.txt (not in the export)"
		ByText(t, msgs, wantFiles)

		pins, err := env.Store.Pins(ctx, design.ID)
		if err != nil {
			t.Fatal(err)
		}
		byList, byPinnedTo := ByText(t, msgs, "Pinned by the pins list"), ByText(t, msgs, "Pinned by pinned_to")
		want := map[string]parley.Pin{
			byList.ID:     {ChannelID: design.ID, MessageID: byList.ID, PinnedByID: ann.ID, PinnedAt: parley.NewTime(ts(1700001500, 0))},
			byPinnedTo.ID: {ChannelID: design.ID, MessageID: byPinnedTo.ID, PinnedByID: ben.ID, PinnedAt: byPinnedTo.CreatedAt},
		}
		if len(pins) != 2 {
			t.Fatalf("%d pins, want 2", len(pins))
		}
		for _, p := range pins {
			if w := want[p.MessageID]; !reflect.DeepEqual(*p, w) {
				t.Errorf("pin %+v, want %+v", *p, w)
			}
		}

		if other := env.MustChannel(t, rep.WorkspaceID, "design-team-2"); len(env.MustMessages(t, other.ID)) != 1 {
			t.Errorf("design-team-2 does not hold the second design-team's message")
		}
		secret := env.MustChannel(t, rep.WorkspaceID, "secret")
		if got := env.MustMembers(t, secret.ID); !secret.IsPrivate || !sameSet(got, []string{"ann@example.com", dev.Email}) {
			t.Errorf("secret private=%v members=%v, want private with ann and dev only", secret.IsPrivate, got)
		}
		for _, name := range []string{"ann-ben", "ann-ben-2"} {
			if ch := env.MustChannel(t, rep.WorkspaceID, name); !ch.IsPrivate {
				t.Errorf("%s is public, want private", name)
			}
		}
		if old := env.MustChannel(t, rep.WorkspaceID, "old"); !old.Archived {
			t.Errorf("old is not archived")
		}
	})

	t.Run("MalformedDayFile", func(t *testing.T) {
		// Nothing of the conversation is written, not even its channel
		// or its valid day.
		chs, err := env.Store.Channels(ctx, rep.WorkspaceID)
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(chs, func(ch *parley.Channel) bool { return ch.Name == "broken" }); i >= 0 {
			t.Errorf("channel broken exists with %d messages, want none of it", len(env.MustMessages(t, chs[i].ID)))
		}
	})

	t.Run("NotesToSelf", func(t *testing.T) {
		msgs := env.MustMessages(t, parley.DMConversationID(ann.ID, ann.ID))
		if len(msgs) != 1 || msgs[0].Text != "note to self" || msgs[0].ReceiverID != ann.ID {
			t.Errorf("notes to self: %+v, want ann's one note", msgs)
		}
	})

	t.Run("Rerun", func(t *testing.T) {
		again := env.MustImport(t, edgeExport, "")
		if again.Messages != 0 || again.Existing != 23 || again.Users.Created != 0 || again.Users.Matched != 9 ||
			again.Channels.Created != 0 || again.Channels.Existing != 7 || again.Pins != 0 || len(again.Orphans) != 0 {
			t.Errorf("second report:\n%s\nwant nothing added", again)
		}
		if !reflect.DeepEqual(again.Skipped, rep.Skipped) || !reflect.DeepEqual(again.Failed, rep.Failed) {
			t.Errorf("second run skipped %v and failed %v, want the same as the first", again.Skipped, again.Failed)
		}
	})
}
