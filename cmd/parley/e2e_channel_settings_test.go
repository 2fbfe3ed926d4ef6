package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestChannelSettings(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	annC, bobC, carlC, daveC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl),
		s.MustConnect(t, dave), s.MustConnect(t, eve)

	update := func(t *testing.T, as *Session, ch *Channel, body any) *FullChannel {
		t.Helper()
		var got FullChannel
		s.MustDo(t, settingsReq(as, ch, body), http.StatusOK, &got)
		return &got
	}

	t.Run("OKAlwaysPresent", func(t *testing.T) {
		// topic, purpose and archived are in every channel, unset or not.
		var raw map[string]json.RawMessage
		s.Do(t, channelReq(bob, f.dev)).Decode(t, &raw)
		for key, want := range map[string]string{"topic": `""`, "purpose": `""`, "archived": "false"} {
			if string(raw[key]) != want {
				t.Fatalf("%s=%s, want %s", key, raw[key], want)
			}
		}
	})

	t.Run("OKTopicAndPurpose", func(t *testing.T) {
		// Bob creates a channel; he, as creator, and ann, as admin, may
		// change it.
		proj := s.MustCreateChannel(t, bob, f.ws, "proj", false)
		got := update(t, bob, proj, map[string]any{"topic": "  shipping v2  ", "purpose": "the project"})
		if got.Topic != "shipping v2" || got.Purpose != "the project" || got.Name != "proj" || got.Archived ||
			got.Creator != bob.Email() || got.ID != proj.ID {
			t.Fatalf("channel=%+v, want topic and purpose set, the rest unchanged", got)
		}
		got = update(t, ann, proj, map[string]any{"purpose": ""})
		if got.Topic != "shipping v2" || got.Purpose != "" {
			t.Fatalf("channel=%+v, want the purpose cleared and the topic kept", got)
		}
		if g := s.MustGetChannel(t, carl, proj); g.Topic != "shipping v2" || g.Purpose != "" {
			t.Fatalf("GET=%+v, want the topic set and no purpose", g)
		}

		// A public channel's update reaches every workspace member, in
		// it or not; eve gets nothing.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC} {
			e := EventOf(t, c.Find(t, name+"'s channel_updated", func(f Frame) bool {
				return IsChannelUpdate(proj.ID)(f) && eventOf(f).Purpose == ""
			}))
			if e.ChannelName != "proj" || e.Topic != "shipping v2" || e.WorkspaceID != f.ws.ID || e.Creator != bob.Email() {
				t.Fatalf("%s got %+v, want proj as it is now", name, e)
			}
		}
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		eveC.MustNotHave(t, "eve", "channel_updated of acme", IsChannelUpdate(proj.ID))
	})

	t.Run("OKPrivateEvents", func(t *testing.T) {
		update(t, ann, f.priv, map[string]any{"topic": "hush"})
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if e := EventOf(t, c.Find(t, name+"'s channel_updated", IsChannelUpdate(f.priv.ID))); e.Topic != "hush" || !e.IsPrivate {
				t.Fatalf("%s got %+v, want priv's topic", name, e)
			}
		}
		s.MustSettle(t, ann, f.general, carlC, daveC)
		carlC.MustNotHave(t, "carl", "channel_updated of a private channel", IsChannelUpdate(f.priv.ID))
		daveC.MustNotHave(t, "dave", "channel_updated of a private channel", IsChannelUpdate(f.priv.ID))
	})

	t.Run("OKRename", func(t *testing.T) {
		ch := s.MustCreateChannel(t, dave, f.ws, "old-name", false)
		got := update(t, dave, ch, map[string]any{"channel_name": "New_Name-2"})
		if got.Name != "new_name-2" {
			t.Fatalf("channel_name=%q, want %q", got.Name, "new_name-2")
		}
		if g := s.MustGetChannel(t, ann, ch); g.Name != "new_name-2" {
			t.Fatalf("GET channel_name=%q, want the new name", g.Name)
		}
		var w Workspace
		s.MustDo(t, Req{Method: "GET", Path: "/workspace/" + f.ws.ID, Token: carl.AccessToken}, http.StatusOK, &w)
		if !slices.ContainsFunc(w.Channels, func(c *Channel) bool { return c.ID == ch.ID && c.Name == "new_name-2" }) {
			t.Fatalf("workspace channels=%+v, want %s named new_name-2", w.Channels, ch.ID)
		}
		carlC.Find(t, "channel_updated of the rename", func(f Frame) bool {
			return IsChannelUpdate(ch.ID)(f) && eventOf(f).ChannelName == "new_name-2"
		})

		// The old name is free again; its own name, and names of other
		// workspaces, are no conflict; any script is a name.
		s.MustCreateChannel(t, carl, f.ws, "old-name", false)
		update(t, dave, ch, map[string]any{"channel_name": "new_name-2"})
		s.MustCreateChannel(t, eve, f.evesWS, "elsewhere", false)
		update(t, dave, ch, map[string]any{"channel_name": "elsewhere"})
		if got := update(t, dave, ch, map[string]any{"channel_name": "Привет"}); got.Name != "привет" {
			t.Fatalf("channel_name=%q, want %q", got.Name, "привет")
		}
	})

	t.Run("ErrRenameConcurrent", func(t *testing.T) {
		// Channels renamed at once to one name: one gets it.
		const n = 6
		chans := make([]*Channel, n)
		for i := range chans {
			chans[i] = s.MustCreateChannel(t, ann, f.ws, fmt.Sprint("racer-", i), i%2 == 0)
		}
		statuses := concurrently(t, n, func(i int) (int, []byte, error) {
			return doRaw(s.URL, "PATCH", "/channel/"+f.ws.ID+"/"+chans[i].ID, ann.AccessToken,
				`{"channel_name":"the-prize"}`)
		})
		if count(statuses, 200) != 1 || count(statuses, 409) != n-1 {
			t.Fatalf("statuses=%v, want one 200 and %d 409", statuses, n-1)
		}
		named := 0
		for _, ch := range chans {
			if s.MustGetChannel(t, ann, ch).Name == "the-prize" {
				named++
			}
		}
		if named != 1 {
			t.Fatalf("%d channels are named the-prize, want 1", named)
		}
	})

	t.Run("OKGeneralTopic", func(t *testing.T) {
		got := update(t, ann, f.general, map[string]any{"topic": "everyone", "archived": false})
		if got.Topic != "everyone" || got.Name != "general" {
			t.Fatalf("general=%+v, want its topic set", got)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		// Dave's channel, which bob and carl may see and not change.
		ch := s.MustCreateChannel(t, dave, f.ws, "daves", false)
		s.MustJoin(t, dave, ch, bob)
		update(t, dave, ch, map[string]any{"topic": "before"})
		davesPriv := s.MustCreateChannel(t, dave, f.ws, "daves-secret", true)

		tests := []refusal{
			{"ErrMemberNotCreator", settingsReq(bob, ch, map[string]any{"topic": "x"}), 403, "forbidden"},
			{"ErrNotMemberNotCreator", settingsReq(carl, ch, map[string]any{"archived": true}), 403, "forbidden"},
			{"ErrPrivateNotMember", settingsReq(carl, davesPriv, map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrOutsider", settingsReq(eve, ch, map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrUnknown", settingsReq(ann, &Channel{WorkspaceID: f.ws.ID, ID: "Cnope"},
				map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrOtherWorkspace", settingsReq(ann, &Channel{WorkspaceID: f.evesWS.ID, ID: ch.ID},
				map[string]any{"topic": "x"}), 404, "not_found"},
			{"ErrNameTaken", settingsReq(dave, ch, map[string]any{"channel_name": "dev"}), 409, "conflict"},
			{"ErrNameTakenCase", settingsReq(dave, ch, map[string]any{"channel_name": "DEV"}), 409, "conflict"},
			{"ErrNameTakenPrivate", settingsReq(ann, ch, map[string]any{"channel_name": "priv"}), 409, "conflict"},
			{"ErrNameGeneral", settingsReq(dave, ch, map[string]any{"channel_name": "general"}), 409, "conflict"},
			{"ErrRenameGeneral", settingsReq(ann, f.general, map[string]any{"channel_name": "everyone"}), 409, "conflict"},
			{"ErrArchiveGeneral", settingsReq(ann, f.general, map[string]any{"archived": true}), 409, "conflict"},
			{"ErrNothing", settingsReq(dave, ch, map[string]any{}), 400, "invalid"},
			{"ErrOnlyUnknownField", settingsReq(dave, ch, map[string]any{"color": "red"}), 400, "invalid"},
			{"ErrTopicTooLong", settingsReq(dave, ch, map[string]any{"topic": strings.Repeat("t", 251)}), 400, "invalid"},
			{"ErrPurposeTooLong", settingsReq(dave, ch, map[string]any{"purpose": strings.Repeat("p", 251)}), 400, "invalid"},
			{"ErrTopicType", settingsReq(dave, ch, map[string]any{"topic": 5}), 400, "invalid"},
			{"ErrArchivedType", settingsReq(dave, ch, map[string]any{"archived": "yes"}), 400, "invalid"},
			{"ErrBodyTooLarge", settingsReq(dave, ch, map[string]any{"topic": strings.Repeat("x", 1<<20)}), 413, "too_large"},
			{"ErrNoToken", Req{Method: "PATCH", Path: "/channel/" + f.ws.ID + "/" + ch.ID,
				Body: map[string]any{"topic": "x"}}, 401, "unauthorized"},
		}
		for name, bad := range map[string]string{
			"ErrNameSpace": "two words", "ErrNameDot": "a.b", "ErrNameEmoji": "party🎉", "ErrNameHash": "#daves",
			"ErrNameBlank": "   ", "ErrNameEmpty": "", "ErrNameTooLong": strings.Repeat("x", 81), "ErrNameSlash": "a/b",
		} {
			tests = append(tests, refusal{name, settingsReq(dave, ch, map[string]any{"channel_name": bad}), 400, "invalid"})
		}
		for _, b := range malformedBodies {
			tests = append(tests, refusal{b.name, settingsReq(dave, ch, b.body), b.status, b.code})
		}
		s.MustRefuseAll(t, tests, func(t *testing.T) {
			if got := s.MustGetChannel(t, dave, ch); got.Name != "daves" || got.Topic != "before" || got.Archived {
				t.Fatalf("channel=%+v after a refused update, want it unchanged", got)
			}
			if got := s.MustGetChannel(t, ann, f.general); got.Name != "general" || got.Archived {
				t.Fatalf("general=%+v after a refused update, want it unchanged", got)
			}
		})
		s.MustSettle(t, dave, ch, daveC, bobC)
		if n := bobC.Count(IsChannelUpdate(ch.ID)); n != 1 {
			t.Fatalf("bob got %d channel_updated frames of daves, want 1: refused updates push nothing", n)
		}
	})

	t.Run("Archive", func(t *testing.T) {
		// Ann (the admin) archives bob's channel: it reads, and refuses
		// every write with 409 until she unarchives it.
		ch := s.MustCreateChannel(t, bob, f.ws, "archive-me", false)
		s.MustJoin(t, bob, ch, dave)
		m := s.MustSend(t, bob, ch, text("before the archive"))
		unpinned := s.MustSend(t, dave, ch, text("never pinned"))
		s.MustSend(t, dave, ch, reply("a reply", m.ID, false))
		s.MustDo(t, reactReq(dave, m.ID, emoji("tada")), http.StatusOK, nil)
		s.MustDo(t, pinReq(dave, m.ID), http.StatusOK, nil)

		if got := update(t, ann, ch, map[string]any{"archived": true}); !got.Archived || got.Name != "archive-me" {
			t.Fatalf("channel=%+v, want archived", got)
		}
		for name, c := range map[string]*WSClient{"bob": bobC, "carl": carlC, "dave": daveC} {
			c.Find(t, name+"'s channel_updated", func(f Frame) bool {
				return IsChannelUpdate(ch.ID)(f) && eventOf(f).Archived
			})
		}

		// Readable.
		if got := s.MustGetChannel(t, carl, ch); !got.Archived {
			t.Fatalf("GET archived=%v, want true", got.Archived)
		}
		if p := s.MustFullHistory(t, carl, ch, ""); !slices.Contains(p.IDs(), m.ID) {
			t.Fatalf("history=%v, want %s readable", p.IDs(), m.ID)
		}
		if th := s.MustThread(t, dave, m.ID, ""); len(th.Messages) != 1 {
			t.Fatalf("thread holds %d replies, want 1", len(th.Messages))
		}
		if pins := s.MustPins(t, dave, ch); len(pins) != 1 {
			t.Fatalf("pins=%d, want 1", len(pins))
		}

		// Refused.
		before := s.MustFullHistory(t, bob, ch, "include_replies=true&limit=200")
		for name, req := range map[string]Req{
			"Post":    postReq(bob, ch, text("x")),
			"Reply":   postReq(dave, ch, reply("x", m.ID, true)),
			"Edit":    editReq(bob, m.ID, text("x")),
			"React":   reactReq(bob, m.ID, emoji("eyes")),
			"Unreact": unreactReq(dave, m.ID, "tada"),
			"Pin":     pinReq(bob, unpinned.ID),
			"Unpin":   unpinReq(dave, m.ID),
		} {
			t.Run("Err"+name, func(t *testing.T) {
				s.MustFail(t, req, 409, "conflict")
			})
		}
		t.Run("ErrWebSocket", func(t *testing.T) {
			bobC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": ch.ID,
				"message": "x", "client_msg_id": "archived-1"})
			e := bobC.Next(t, "answer to archived-1", func(f Frame) bool {
				return f.ClientMsgID == "archived-1" && (f.Type == "error" || f.Type == "ack")
			})
			if e.Type != "error" || e.Code != "conflict" {
				t.Fatalf("frame=%+v, want a conflict error", e)
			}
		})
		after := s.MustFullHistory(t, bob, ch, "include_replies=true&limit=200")
		if !slices.Equal(after.IDs(), before.IDs()) {
			t.Fatalf("history=%v after refused writes, want %v", after.IDs(), before.IDs())
		}
		got := s.MustMessage(t, bob, ch, m.ID)
		if got.Text != "before the archive" || got.EditedAt != "" || len(got.Reactions) != 1 || got.Reactions[0].Count != 1 {
			t.Fatalf("message=%+v, want it as it was", got)
		}
		if pins := s.MustPins(t, dave, ch); len(pins) != 1 {
			t.Fatalf("pins=%d after refused unpin, want 1", len(pins))
		}

		// Unarchived, it takes writes again.
		if got := update(t, bob, ch, map[string]any{"archived": false}); got.Archived {
			t.Fatalf("channel=%+v, want unarchived", got)
		}
		s.MustSend(t, bob, ch, text("after the archive"))
		s.MustSend(t, dave, ch, reply("another reply", m.ID, false))
		s.MustDo(t, editReq(bob, m.ID, text("edited")), http.StatusOK, nil)
		s.MustDo(t, reactReq(bob, m.ID, emoji("eyes")), http.StatusOK, nil)
		s.MustDo(t, unreactReq(dave, m.ID, "tada"), http.StatusOK, nil)
		s.MustDo(t, unpinReq(dave, m.ID), http.StatusOK, nil)
		s.MustDo(t, pinReq(bob, m.ID), http.StatusOK, nil)
		bobC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": ch.ID,
			"message": "over the wire", "client_msg_id": "unarchived-1"})
		bobC.Next(t, "ack of unarchived-1", IsAck("unarchived-1"))
	})
}
