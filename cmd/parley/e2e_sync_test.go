package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// types returns the type of each change.
func types(changes []Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.Type
	}
	return out
}

// TestSync covers GET /sync: the token for now, changes since a token,
// paging, where joined and left conversations start and stop, tokens across
// a restart, and the refusals.
func TestSync(t *testing.T) {
	s := MustStartServer(t)
	ann, bob, cat := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "cat")
	ws := s.MustCreateWorkspace(t, ann, "sync")
	s.MustInvite(t, ann, ws, bob, cat)
	general := General(t, ws)

	t.Run("OKNow", func(t *testing.T) {
		p := s.MustSync(t, bob, "", 0)
		if p.SyncToken == "" || len(p.Changes) != 0 || p.HasMore {
			t.Fatalf("sync without since=%+v, want a token, no changes, no more", p)
		}
		if changes, _ := s.MustSyncAll(t, bob, p.SyncToken, 0); len(changes) != 0 {
			t.Fatalf("sync from now at once=%v, want nothing", types(changes))
		}
	})

	t.Run("OKEveryKindOnce", func(t *testing.T) {
		token := s.MustSync(t, bob, "", 0).SyncToken
		m := s.MustSend(t, ann, general, text("hello"))
		r := s.MustSend(t, ann, general, reply("re", m.ID, false))
		s.MustDo(t, editReq(ann, m.ID, text("hello!")), http.StatusOK, nil)
		s.MustDo(t, reactReq(ann, m.ID, emoji("tada")), http.StatusOK, nil)
		s.MustDo(t, pinReq(ann, m.ID), http.StatusOK, nil)
		s.MustDo(t, deleteReq(ann, r.ID), http.StatusOK, nil)
		s.MustDo(t, settingsReq(ann, general, map[string]string{"topic": "news"}), http.StatusOK, nil)
		dm := s.MustSendDM(t, cat, bob, text("psst"))

		changes, next := s.MustSyncAll(t, bob, token, 0)
		want := []string{"message", "message", "thread_reply", "message_changed", "reaction_added",
			"message_pinned", "message_deleted", "channel_updated", "message"}
		if got := types(changes); !slices.Equal(got, want) {
			t.Fatalf("changes=%v, want %v", got, want)
		}
		if c := changes[len(changes)-1]; c.MessageID != dm.ID || !strings.HasPrefix(c.Stream, "dm:") || c.Pos != 1 {
			t.Fatalf("the direct message comes as %+v, want its ID at position 1 of a dm: stream", c)
		}
		if c := changes[0]; c.Stream != general.ID || c.MessageID != m.ID || c.Seq != m.Seq {
			t.Fatalf("the first change=%+v, want message %s (seq %d) in %s", c, m.ID, m.Seq, general.ID)
		}
		// channel_updated of a public channel is the workspace's news.
		if c := changes[7]; c.Stream != ws.ID {
			t.Fatalf("channel_updated in stream %s, want the workspace's %s", c.Stream, ws.ID)
		}
		if again, _ := s.MustSyncAll(t, bob, next, 0); len(again) != 0 {
			t.Fatalf("sync from the new token=%v, want nothing", types(again))
		}
	})

	t.Run("OKPaged", func(t *testing.T) {
		token := s.MustSync(t, bob, "", 0).SyncToken
		for i := range 25 {
			s.MustSend(t, ann, general, text(fmt.Sprint("m", i)))
		}
		var pages []int
		var all []Change
		for {
			p := s.MustSync(t, bob, token, 10)
			pages = append(pages, len(p.Changes))
			for _, raw := range p.Changes {
				all = append(all, changeOf(raw))
			}
			token = p.SyncToken
			if !p.HasMore {
				break
			}
		}
		if !slices.Equal(pages, []int{10, 10, 5}) {
			t.Fatalf("page sizes=%v, want [10 10 5]", pages)
		}
		checkStreamsInOrder(t, all)
	})

	t.Run("OKJoinStartsAtTheJoin", func(t *testing.T) {
		secret := s.MustCreateChannel(t, ann, ws, "secret", true)
		s.MustSend(t, ann, secret, text("before cat"))
		token := s.MustSync(t, cat, "", 0).SyncToken
		s.MustSend(t, ann, secret, text("still before cat"))
		s.MustJoin(t, ann, secret, cat)
		after := s.MustSend(t, ann, secret, text("for cat too"))

		changes, _ := s.MustSyncAll(t, cat, token, 0)
		if got := types(changes); !slices.Equal(got, []string{"member_joined_channel", "message"}) {
			t.Fatalf("cat's changes=%v, want her join and the message after it", got)
		}
		if changes[1].MessageID != after.ID {
			t.Fatalf("cat got message %s, want %s", changes[1].MessageID, after.ID)
		}
	})

	t.Run("OKRemovedHearsOnlyThat", func(t *testing.T) {
		club := s.MustCreateChannel(t, ann, ws, "club", true)
		s.MustJoin(t, ann, club, cat)
		token := s.MustSync(t, cat, "", 0).SyncToken
		s.MustDo(t, leaveChannelReq(ann, club, cat), http.StatusOK, nil)
		s.MustSend(t, ann, club, text("cat is gone"))

		changes, _ := s.MustSyncAll(t, cat, token, 0)
		if len(changes) != 1 || changes[0].Type != "member_left_channel" || changes[0].Stream != cat.User.ID {
			t.Fatalf("cat's changes=%+v, want only her member_left_channel, in her own stream", changes)
		}
	})

	t.Run("OKReadMarkerOfAnotherDevice", func(t *testing.T) {
		m := s.MustSend(t, ann, general, text("read me"))
		token := s.MustSync(t, bob, "", 0).SyncToken
		s.MustMarkRead(t, bob, readChannel(general, m.Seq))
		s.MustMarkRead(t, bob, readChannel(general, m.Seq)) // no move, no change
		changes, _ := s.MustSyncAll(t, bob, token, 0)
		if len(changes) != 1 || changes[0].Type != "read_marker" || changes[0].Stream != bob.User.ID {
			t.Fatalf("bob's changes=%+v, want one read_marker in his own stream", changes)
		}
	})

	t.Run("OKPrivateChannelDeleted", func(t *testing.T) {
		club := s.MustCreateChannel(t, ann, ws, "club2", true)
		s.MustJoin(t, ann, club, cat)
		catToken := s.MustSync(t, cat, "", 0).SyncToken
		bobToken := s.MustSync(t, bob, "", 0).SyncToken
		s.MustDo(t, deleteChannelReq(ann, club), http.StatusOK, nil)

		changes, _ := s.MustSyncAll(t, cat, catToken, 0)
		if len(changes) != 1 || changes[0].Type != "channel_deleted" || changes[0].Stream != cat.User.ID {
			t.Fatalf("cat's changes=%+v, want one channel_deleted in her own stream", changes)
		}
		if changes, _ := s.MustSyncAll(t, bob, bobToken, 0); len(changes) != 0 {
			t.Fatalf("bob, not in the private channel, syncs %+v, want nothing", changes)
		}
	})

	t.Run("OKNonMemberActorGetsNoPosition", func(t *testing.T) {
		// Bob may react in a public channel he is not in; his devices
		// hear of it, without a position in a stream he does not read.
		open := s.MustCreateChannel(t, ann, ws, "open", false)
		m := s.MustSend(t, ann, open, text("react to me"))
		annWS, bobWS := s.MustConnect(t, ann), s.MustConnect(t, bob)
		s.MustDo(t, reactReq(bob, m.ID, emoji("wave")), http.StatusOK, nil)

		isReaction := func(f Frame) bool { return f.Type == "reaction_added" && f.MessageID == m.ID }
		if c := changeOf(annWS.Find(t, "ann's reaction_added", isReaction).Raw); c.Stream != open.ID || c.Pos == 0 {
			t.Fatalf("ann, a member, got %+v; want the channel's stream and a position", c)
		}
		if c := changeOf(bobWS.Find(t, "bob's reaction_added", isReaction).Raw); c.Stream != "" || c.Pos != 0 {
			t.Fatalf("bob, not a member, got %+v; want no stream and no position", c)
		}
	})

	t.Run("OKWorkspaceDeleted", func(t *testing.T) {
		other := s.MustCreateWorkspace(t, ann, "gone")
		s.MustInvite(t, ann, other, cat)
		token := s.MustSync(t, cat, "", 0).SyncToken
		s.MustDo(t, deleteWorkspaceReq(ann, other), http.StatusOK, nil)
		changes, _ := s.MustSyncAll(t, cat, token, 0)
		if len(changes) != 1 || changes[0].Type != "workspace_deleted" || changes[0].Stream != cat.User.ID {
			t.Fatalf("cat's changes=%+v, want one workspace_deleted in her own stream", changes)
		}
	})

	t.Run("OKWorkspaceJoinsAndLeaves", func(t *testing.T) {
		// Creating a workspace and being invited to one both come as the
		// joins of the workspace and its general channel; leaving it,
		// as a leave of each channel for those who stay.
		annToken := s.MustSync(t, ann, "", 0).SyncToken
		catToken := s.MustSync(t, cat, "", 0).SyncToken
		team := s.MustCreateWorkspace(t, ann, "team")
		teamGeneral := General(t, team)
		side := s.MustCreateChannel(t, ann, team, "side", false)
		s.MustInvite(t, ann, team, cat)
		s.MustJoin(t, ann, side, cat)

		changes, _ := s.MustSyncAll(t, ann, annToken, 0)
		if got := types(changes); !slices.Contains(got, "member_joined_workspace") ||
			!slices.Contains(got, "member_joined_channel") {
			t.Fatalf("the creator's changes=%v, want their joins of the workspace and general", got)
		}
		p := s.MustSync(t, cat, catToken, 0)
		if _, ok := p.Positions[teamGeneral.ID]; !ok {
			t.Fatalf("cat's positions %v lack the general channel she was invited into", p.Positions)
		}
		catJoins := 0
		for _, raw := range p.Changes {
			if c := changeOf(raw); c.Type == "member_joined_channel" && c.UserID == cat.User.ID {
				catJoins++
			}
		}
		if catJoins != 2 {
			t.Fatalf("cat sees %d of her channel joins, want 2 (general, side)", catJoins)
		}

		annToken = s.MustSync(t, ann, "", 0).SyncToken
		s.MustDo(t, leaveWorkspaceReq(ann, team, cat), http.StatusOK, nil)
		changes, _ = s.MustSyncAll(t, ann, annToken, 0)
		left := map[string]bool{}
		for _, c := range changes {
			if c.Type == "member_left_channel" && c.UserID == cat.User.ID {
				left[c.ChannelID] = true
			}
		}
		if !left[teamGeneral.ID] || !left[side.ID] || !slices.Contains(types(changes), "member_left_workspace") {
			t.Fatalf("ann's changes after cat left=%+v, want cat leaving the workspace, general and side", changes)
		}
		catPage := s.MustSync(t, cat, p.SyncToken, 0)
		for _, id := range []string{team.ID, teamGeneral.ID, side.ID} {
			if _, ok := catPage.Positions[id]; ok {
				t.Fatalf("cat still reads %s after leaving the workspace: %v", id, catPage.Positions)
			}
		}
	})

	t.Run("Refused", func(t *testing.T) {
		s.MustSend(t, ann, general, text("so the token is not empty"))
		token := s.MustSync(t, bob, "", 0).SyncToken
		s.MustSend(t, ann, general, text("after the token"))
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			t.Fatalf("the token is not base64url: %v", err)
		}
		edited := slices.Clone(raw)
		edited[len(edited)/2] ^= 1
		for _, tt := range []struct {
			name string
			req  Req
		}{
			{"Garbage", syncReq(bob, "not a token", 0)},
			{"Empty", Req{Method: "GET", Path: "/sync?since=", Token: bob.AccessToken}},
			{"Truncated", syncReq(bob, token[:len(token)/2], 0)},
			{"Edited", syncReq(bob, base64.RawURLEncoding.EncodeToString(edited), 0)},
			{"AnotherUsers", syncReq(cat, token, 0)},
			{"LimitZero", Req{Method: "GET", Path: "/sync?limit=0&since=" + token, Token: bob.AccessToken}},
			{"LimitTooLarge", syncReq(bob, token, 1001)},
			{"LimitNotANumber", Req{Method: "GET", Path: "/sync?limit=ten", Token: bob.AccessToken}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, tt.req, http.StatusBadRequest, "invalid")
			})
		}
		s.MustFail(t, Req{Method: "GET", Path: "/sync"}, http.StatusUnauthorized, "unauthorized")

		// Nothing refused moved anything: the token still reads its change.
		if changes, _ := s.MustSyncAll(t, bob, token, 0); len(changes) != 1 {
			t.Fatalf("after the refusals the token reads %v, want the one message", types(changes))
		}
	})

	t.Run("OKAcrossARestart", func(t *testing.T) {
		token := s.MustSync(t, bob, "", 0).SyncToken
		before := s.MustSend(t, ann, general, text("before the restart"))
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		db := s.Config.DB
		s2 := MustStartServer(t, func(m *Main) { m.Config.DB = db })
		s2.Secret(ann.AccessToken)
		s2.Secret(bob.AccessToken)
		after := s2.MustSend(t, ann, general, text("after the restart"))

		changes, _ := s2.MustSyncAll(t, bob, token, 0)
		if len(changes) != 2 || changes[0].MessageID != before.ID || changes[1].MessageID != after.ID ||
			changes[1].Pos != changes[0].Pos+1 {
			t.Fatalf("changes across the restart=%+v, want %s then %s at consecutive positions",
				changes, before.ID, after.ID)
		}
	})
}

// TestSyncResume is the WebSocket client's side: pushed changes carry the
// same stream and position as synced ones, and after a reconnect GET /sync
// from the hello's token closes the gap, with nothing twice.
func TestSyncResume(t *testing.T) {
	s := MustStartServer(t)
	ann, bob := s.MustSignup(t, "ann"), s.MustSignup(t, "bob")
	ws := s.MustCreateWorkspace(t, ann, "resume")
	s.MustInvite(t, ann, ws, bob)
	general := General(t, ws)

	start := s.MustSync(t, bob, "", 0)
	c := s.MustConnect(t, bob)
	hello := changeOf(c.Frames()[0].Raw)
	var helloToken struct {
		SyncToken string `json:"sync_token"`
	}
	json.Unmarshal(c.Frames()[0].Raw, &helloToken)
	if hello.Type != "hello" || helloToken.SyncToken == "" {
		t.Fatalf("hello=%s, want a sync_token", c.Frames()[0].Raw)
	}

	first := s.MustSend(t, ann, general, text("pushed"))
	pushed := changeOf(c.Find(t, "the pushed message", IsMessage(first.ID)).Raw)
	c.Conn.UnderlyingConn().Close() // dropped, no close frame

	var missed []string
	for i := range 3 {
		missed = append(missed, s.MustSend(t, ann, general, text(fmt.Sprint("missed ", i))).ID)
	}

	c2 := s.MustConnect(t, bob)
	changes, _ := s.MustSyncAll(t, bob, helloToken.SyncToken, 0)
	if len(changes) != 4 || changes[0] != pushed {
		t.Fatalf("sync from the hello's token=%+v, want the pushed %+v first, then 3", changes, pushed)
	}
	r := NewReplica()
	r.ApplySynced(start)
	if r.ApplyPushed(pushed) {
		t.Fatalf("the pushed change %+v does not follow the start %v", pushed, start.Positions)
	}
	s.MustSyncPages(t, bob, helloToken.SyncToken, 0, func(p *SyncPage) {
		if err := r.ApplySynced(p); err != nil {
			t.Fatal(err)
		}
	})
	if r.Repeats != 1 || r.Gaps != 0 || len(r.Applied()) != 4 {
		t.Fatalf("replica: %d applied, %d repeats, %d gaps; want 4, 1, 0", len(r.Applied()), r.Repeats, r.Gaps)
	}
	for i, id := range missed {
		if got := r.Applied()[i+1].MessageID; got != id {
			t.Fatalf("missed message %d is %s, want %s", i, got, id)
		}
	}

	// The new connection is pushed the next change at the next position.
	next := s.MustSend(t, ann, general, text("live again"))
	live := changeOf(c2.Find(t, "the next message", IsMessage(next.ID)).Raw)
	if live.Stream != pushed.Stream || live.Pos != changes[3].Pos+1 {
		t.Fatalf("live change at %s/%d, want %s/%d", live.Stream, live.Pos, pushed.Stream, changes[3].Pos+1)
	}
}
