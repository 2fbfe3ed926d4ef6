package main

import (
	"net/http"
	"slices"
	"testing"
)

func TestMembershipEvents(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	frank := s.MustSignup(t, "frank")
	annC, bobC, carlC, daveC, eveC, frankC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl),
		s.MustConnect(t, dave), s.MustConnect(t, eve), s.MustConnect(t, frank)
	acme := map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC}
	acmeList := []*WSClient{annC, bobC, carlC, daveC}

	// settle waits until every client has every frame pushed so far: ann
	// posts to acme's general, eve to hers.
	settle := func(t *testing.T) {
		t.Helper()
		s.MustSettle(t, ann, f.general, acmeList...)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
	}
	// mustGet waits for the event on each client in want, and checks that
	// it names the workspace and, unless who is nil, the user.
	mustGet := func(t *testing.T, want map[string]*WSClient, typ, id string, who *Session) {
		t.Helper()
		for name, c := range want {
			e := stateOf(c.Find(t, name+"'s "+typ, IsMembership(typ, id, who)))
			if e.WorkspaceID == "" {
				t.Fatalf("%s got %+v, want its workspace_id", name, e)
			} else if who != nil && e.User != who.Email() {
				t.Fatalf("%s got user=%q, want %q", name, e.User, who.Email())
			}
		}
	}
	// mustNotGet checks, after settle, that no client in none got the event.
	mustNotGet := func(t *testing.T, none map[string]*WSClient, typ, id string) {
		t.Helper()
		for name, c := range none {
			c.MustNotHave(t, name, typ+" of "+id, IsMembership(typ, id, nil))
		}
	}

	var news, hush *Channel
	t.Run("OKChannelCreatedPublic", func(t *testing.T) {
		// A public channel's creation reaches every member of the
		// workspace, with the channel to show.
		news = s.MustCreateChannel(t, bob, f.ws, "news", false)
		mustGet(t, acme, "channel_created", news.ID, bob)
		e := stateOf(carlC.Find(t, "channel_created", IsMembership("channel_created", news.ID, nil)))
		if e.Channel == nil || e.Channel.Name != "news" || e.Channel.IsPrivate || e.Channel.Creator != bob.Email() ||
			!slices.Equal(e.Channel.Users, []string{bob.Email()}) {
			t.Fatalf("channel=%+v, want the public channel news of bob", e.Channel)
		}
		settle(t)
		mustNotGet(t, map[string]*WSClient{"eve": eveC, "frank": frankC}, "channel_created", news.ID)
	})

	t.Run("OKChannelCreatedPrivate", func(t *testing.T) {
		// A private channel's creation reaches its creator only.
		hush = s.MustCreateChannel(t, bob, f.ws, "hush", true)
		e := stateOf(bobC.Find(t, "channel_created", IsMembership("channel_created", hush.ID, bob)))
		if e.Channel == nil || !e.Channel.IsPrivate || e.Channel.Name != "hush" {
			t.Fatalf("channel=%+v, want the private channel hush", e.Channel)
		}
		settle(t)
		mustNotGet(t, map[string]*WSClient{"ann": annC, "carl": carlC, "dave": daveC, "eve": eveC},
			"channel_created", hush.ID)
	})

	t.Run("OKJoinedChannelPrivate", func(t *testing.T) {
		// Bob adds dave to hush: the two members hear of it, dave with
		// the channel he can now show. Ann, the admin, is not in it.
		s.MustJoin(t, bob, hush, dave)
		mustGet(t, map[string]*WSClient{"bob": bobC, "dave": daveC}, "member_joined_channel", hush.ID, dave)
		e := stateOf(daveC.Find(t, "member_joined_channel", IsMembership("member_joined_channel", hush.ID, dave)))
		if e.Channel == nil || e.Channel.ID != hush.ID || !sameSet(e.Channel.Users, []string{bob.Email(), dave.Email()}) {
			t.Fatalf("channel=%+v, want hush with bob and dave", e.Channel)
		}
		settle(t)
		mustNotGet(t, map[string]*WSClient{"ann": annC, "carl": carlC, "eve": eveC}, "member_joined_channel", hush.ID)
	})

	t.Run("OKJoinedChannelPublic", func(t *testing.T) {
		// Carl joins news himself: its members hear of it, those of the
		// workspace outside it do not.
		s.MustJoin(t, carl, news, carl)
		mustGet(t, map[string]*WSClient{"bob": bobC, "carl": carlC}, "member_joined_channel", news.ID, carl)
		settle(t)
		mustNotGet(t, map[string]*WSClient{"ann": annC, "dave": daveC, "eve": eveC}, "member_joined_channel", news.ID)

		// Joining again changes nothing, and announces nothing.
		s.MustJoin(t, carl, news, carl)
		settle(t)
		if n := carlC.Count(IsMembership("member_joined_channel", news.ID, carl)); n != 1 {
			t.Fatalf("carl got %d member_joined_channel of himself, want 1", n)
		}
	})

	t.Run("OKLeftChannel", func(t *testing.T) {
		// Bob, hush's creator, removes dave: both hear of it, and dave
		// nothing of hush after: no message, no other member joining.
		s.MustDo(t, leaveChannelReq(bob, hush, dave), http.StatusOK, nil)
		mustGet(t, map[string]*WSClient{"bob": bobC, "dave": daveC}, "member_left_channel", hush.ID, dave)
		after := s.MustPost(t, bob, hush, "dave is gone")
		s.MustJoin(t, bob, hush, carl)
		bobC.Find(t, "carl joining hush", IsMembership("member_joined_channel", hush.ID, carl))
		settle(t)
		daveC.MustNotHaveAfter(t, "dave", IsMembership("member_left_channel", hush.ID, dave), IsAbout(hush.ID))
		daveC.MustNotHave(t, "dave", "the message after he left", IsMessage(after.ID))
		mustNotGet(t, map[string]*WSClient{"ann": annC, "eve": eveC}, "member_left_channel", hush.ID)

		// Carl leaves news himself: he and bob hear of it.
		s.MustDo(t, leaveChannelReq(carl, news, carl), http.StatusOK, nil)
		mustGet(t, map[string]*WSClient{"bob": bobC, "carl": carlC}, "member_left_channel", news.ID, carl)
		later := s.MustPost(t, bob, news, "carl is gone")
		settle(t)
		carlC.MustNotHaveAfter(t, "carl", IsMembership("member_left_channel", news.ID, carl), IsAbout(news.ID))
		carlC.MustNotHave(t, "carl", "the message after he left", IsMessage(later.ID))
		mustNotGet(t, map[string]*WSClient{"ann": annC, "dave": daveC, "eve": eveC}, "member_left_channel", news.ID)
	})

	t.Run("OKChannelDeletedPrivate", func(t *testing.T) {
		// hush has bob and carl: they hear of its deletion, nobody else.
		s.MustDo(t, deleteChannelReq(bob, hush), http.StatusOK, nil)
		mustGet(t, map[string]*WSClient{"bob": bobC, "carl": carlC}, "channel_deleted", hush.ID, nil)
		settle(t)
		mustNotGet(t, map[string]*WSClient{"ann": annC, "dave": daveC, "eve": eveC}, "channel_deleted", hush.ID)
	})

	t.Run("OKChannelDeletedPublic", func(t *testing.T) {
		// news reaches the whole workspace, members of it or not.
		s.MustDo(t, deleteChannelReq(ann, news), http.StatusOK, nil)
		mustGet(t, acme, "channel_deleted", news.ID, nil)
		settle(t)
		mustNotGet(t, map[string]*WSClient{"eve": eveC, "frank": frankC}, "channel_deleted", news.ID)
	})

	t.Run("OKJoinedWorkspace", func(t *testing.T) {
		// Frank, connected before he is in any workspace, hears of his
		// own joining, as does everyone in acme.
		s.MustInvite(t, ann, f.ws, frank)
		all := map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC, "frank": frankC}
		mustGet(t, all, "member_joined_workspace", f.ws.ID, frank)
		settle(t)
		mustNotGet(t, map[string]*WSClient{"eve": eveC}, "member_joined_workspace", f.ws.ID)

		// Inviting again announces nothing.
		s.MustInvite(t, ann, f.ws, frank)
		s.MustSettle(t, ann, f.general, frankC)
		if n := frankC.Count(IsMembership("member_joined_workspace", f.ws.ID, frank)); n != 1 {
			t.Fatalf("frank got %d member_joined_workspace, want 1", n)
		}
	})

	t.Run("OKLeftWorkspace", func(t *testing.T) {
		// Frank is in eve's workspace too, whose messages are his marker.
		s.MustInvite(t, eve, f.evesWS, frank)
		frankC.Find(t, "joining eve's", IsMembership("member_joined_workspace", f.evesWS.ID, frank))

		// Ann removes frank from acme: he and the rest of acme hear of it.
		s.MustDo(t, leaveWorkspaceReq(ann, f.ws, frank), http.StatusOK, nil)
		all := map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC, "frank": frankC}
		mustGet(t, all, "member_left_workspace", f.ws.ID, frank)

		// Then nothing of acme reaches him: a message, a channel created,
		// a member joining.
		after := s.MustPost(t, ann, f.general, "frank is gone")
		late := s.MustCreateChannel(t, ann, f.ws, "late", false)
		carlC.Find(t, "late created", IsMembership("channel_created", late.ID, ann))
		s.MustSettle(t, eve, f.evesGeneral, eveC, frankC)
		frankC.MustNotHaveAfter(t, "frank", IsMembership("member_left_workspace", f.ws.ID, frank), IsAbout(f.ws.ID))
		frankC.MustNotHave(t, "frank", "the message after he left", IsMessage(after.ID))
		frankC.MustNotHave(t, "frank", "the channel created after he left", IsAbout(late.ID))
		eveC.MustNotHave(t, "eve", "acme's member_left_workspace", IsMembership("member_left_workspace", f.ws.ID, nil))

		// Dave leaves himself, and hears of it.
		s.MustDo(t, leaveWorkspaceReq(dave, f.ws, dave), http.StatusOK, nil)
		mustGet(t, map[string]*WSClient{"ann": annC, "bob": bobC, "carl": carlC, "dave": daveC},
			"member_left_workspace", f.ws.ID, dave)
		acmeList = []*WSClient{annC, bobC, carlC}
	})

	t.Run("OKWorkspaceDeleted", func(t *testing.T) {
		// Ann's second workspace has bob in it: the two hear of its
		// deletion, carl and eve do not.
		ws2 := s.MustCreateWorkspace(t, ann, "second")
		s.MustInvite(t, ann, ws2, bob)
		s.MustDo(t, deleteWorkspaceReq(ann, ws2), http.StatusOK, nil)
		mustGet(t, map[string]*WSClient{"ann": annC, "bob": bobC}, "workspace_deleted", ws2.ID, nil)
		settle(t)
		mustNotGet(t, map[string]*WSClient{"carl": carlC, "eve": eveC}, "workspace_deleted", ws2.ID)

		// An admin who leaves as the last member deletes the workspace,
		// and hears of it.
		solo := s.MustCreateWorkspace(t, carl, "solo")
		s.MustDo(t, leaveWorkspaceReq(carl, solo, carl), http.StatusOK, nil)
		mustGet(t, map[string]*WSClient{"carl": carlC}, "workspace_deleted", solo.ID, nil)
		settle(t)
		mustNotGet(t, map[string]*WSClient{"ann": annC, "bob": bobC, "eve": eveC}, "workspace_deleted", solo.ID)
	})
}
