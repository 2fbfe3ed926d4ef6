package app_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/sqlite"
)

// recorder is a Publisher that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []*parley.Event
}

func (r *recorder) Publish(_ context.Context, e *parley.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// last returns the last event published.
func (r *recorder) last(t testing.TB) *parley.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		t.Fatal("no event published")
	}
	return r.events[len(r.events)-1]
}

// count returns the number of events published.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// MustOpenService returns a service on a fresh in-memory SQLite store.
func MustOpenService(t testing.TB) (*app.Service, *recorder) {
	t.Helper()
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	rec := &recorder{}
	svc := &app.Service{Store: store, Events: rec, PasswordCost: 4}
	if err := svc.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc, rec
}

// MustSignup creates a user and returns a context that acts as them.
func MustSignup(t testing.TB, svc *app.Service, email string) (context.Context, *parley.User) {
	t.Helper()
	sess, err := svc.Signup(context.Background(), email, "password123", "")
	if err != nil {
		t.Fatal(err)
	}
	return parley.NewContextWithUser(context.Background(), sess.User), sess.User
}

// MustCreateWorkspace creates a workspace as the user of ctx, and invites
// each of emails to it.
func MustCreateWorkspace(t testing.TB, svc *app.Service, ctx context.Context, name string,
	emails ...string) *parley.Workspace {
	t.Helper()
	ws, err := svc.CreateWorkspace(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		if _, err := svc.InviteToWorkspace(ctx, ws.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// wantCode fails unless err has the given code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := parley.ErrorCode(err); got != code {
		t.Fatalf("code=%q (%v), want %q", got, err, code)
	}
}

func TestAccounts(t *testing.T) {
	ctx := context.Background()

	t.Run("SignupLowercasesAndRefusesDuplicate", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		sess, err := svc.Signup(ctx, "Ann@Example.com", "password123", "Ann")
		if err != nil {
			t.Fatal(err)
		} else if sess.User.Email != "ann@example.com" {
			t.Fatalf("Email=%q, want lowercase", sess.User.Email)
		}
		_, err = svc.Signup(ctx, "ANN@example.com", "password123", "Ann")
		wantCode(t, err, parley.ECONFLICT)
	})

	t.Run("ErrShortPassword", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		_, err := svc.Signup(ctx, "a@example.com", "short", "")
		wantCode(t, err, parley.EINVALID)
	})

	t.Run("LoginSameAnswerForWrongEmailAndPassword", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		MustSignup(t, svc, "a@example.com")
		_, errPassword := svc.Login(ctx, "a@example.com", "wrong-password")
		_, errEmail := svc.Login(ctx, "nobody@example.com", "password123")
		wantCode(t, errPassword, parley.EUNAUTHORIZED)
		wantCode(t, errEmail, parley.EUNAUTHORIZED)
		if parley.ErrorMessage(errPassword) != parley.ErrorMessage(errEmail) {
			t.Fatalf("messages differ: %q and %q", parley.ErrorMessage(errPassword), parley.ErrorMessage(errEmail))
		}
		if _, err := svc.Login(ctx, "A@EXAMPLE.COM", "password123"); err != nil {
			t.Fatalf("login with other case: %v", err)
		}
	})

	t.Run("RefreshTokenIsSingleUse", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		sess, err := svc.Signup(ctx, "a@example.com", "password123", "")
		if err != nil {
			t.Fatal(err)
		}
		next, err := svc.Refresh(ctx, sess.RefreshToken)
		if err != nil {
			t.Fatal(err)
		} else if next.RefreshToken == sess.RefreshToken {
			t.Fatal("refresh returned the same refresh token")
		}
		_, err = svc.Refresh(ctx, sess.RefreshToken)
		wantCode(t, err, parley.EUNAUTHORIZED)

		wantCode(t, svc.Logout(ctx, next.RefreshToken), parley.EUNAUTHORIZED)
		if err := svc.Logout(parley.NewContextWithUser(ctx, next.User), next.RefreshToken); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Refresh(ctx, next.RefreshToken)
		wantCode(t, err, parley.EUNAUTHORIZED)
	})

	t.Run("AuthenticateAcceptsOwnTokensOnly", func(t *testing.T) {
		svc, _ := MustOpenService(t)
		other, _ := MustOpenService(t)
		sess, err := svc.Signup(ctx, "a@example.com", "password123", "")
		if err != nil {
			t.Fatal(err)
		}
		u, err := svc.Authenticate(ctx, sess.AccessToken)
		if err != nil {
			t.Fatal(err)
		} else if u.ID != sess.User.ID {
			t.Fatalf("ID=%q, want %q", u.ID, sess.User.ID)
		}
		_, err = other.Authenticate(ctx, sess.AccessToken)
		wantCode(t, err, parley.EUNAUTHORIZED)
	})
}

func TestWorkspaceRules(t *testing.T) {
	svc, _ := MustOpenService(t)
	annCtx, _ := MustSignup(t, svc, "ann@example.com")
	bobCtx, _ := MustSignup(t, svc, "bob@example.com")
	carlCtx, _ := MustSignup(t, svc, "carl@example.com")

	ws, err := svc.CreateWorkspace(annCtx, "Acme")
	if err != nil {
		t.Fatal(err)
	} else if ws.Admin != "ann@example.com" || !slices.Equal(ws.Users, []string{"ann@example.com"}) {
		t.Fatalf("Admin=%q Users=%v, want ann alone", ws.Admin, ws.Users)
	} else if len(ws.Channels) != 1 || ws.Channels[0].Name != "general" {
		t.Fatalf("Channels=%v, want general", ws.Channels)
	}

	t.Run("ErrNotMemberSeesNotFound", func(t *testing.T) {
		_, err := svc.Workspace(bobCtx, ws.ID)
		wantCode(t, err, parley.ENOTFOUND)
		_, err = svc.InviteToWorkspace(bobCtx, ws.ID, "bob@example.com")
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("InviteJoinsGeneralAndIsIdempotent", func(t *testing.T) {
		for range 2 {
			m, err := svc.InviteToWorkspace(annCtx, ws.ID, "BOB@example.com")
			if err != nil {
				t.Fatal(err)
			} else if !slices.Equal(m.Users, []string{"ann@example.com", "bob@example.com"}) {
				t.Fatalf("Users=%v", m.Users)
			}
		}
		chans, err := svc.ChannelsOf(bobCtx, ws.ID, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		} else if len(chans) != 1 || chans[0].Name != "general" {
			t.Fatalf("bob's channels=%v, want general", chans)
		}
	})

	t.Run("ErrListOthersWorkspaces", func(t *testing.T) {
		_, err := svc.WorkspacesOf(bobCtx, "ann@example.com")
		wantCode(t, err, parley.ENOTFOUND)
		_, err = svc.WorkspacesOf(bobCtx, "nobody@example.com")
		wantCode(t, err, parley.ENOTFOUND)
		list, err := svc.WorkspacesOf(bobCtx, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		} else if len(list) != 1 || list[0].MemberCount != 2 {
			t.Fatalf("list=%+v, want one workspace of 2", list)
		}
	})

	t.Run("ErrNonAdminDeletesOrRemoves", func(t *testing.T) {
		err := svc.DeleteWorkspace(bobCtx, ws.ID)
		wantCode(t, err, parley.EFORBIDDEN)
		err = svc.LeaveWorkspace(bobCtx, ws.ID, "ann@example.com")
		wantCode(t, err, parley.EFORBIDDEN)
	})

	t.Run("ErrAdminLeavesWhileOthersRemain", func(t *testing.T) {
		err := svc.LeaveWorkspace(annCtx, ws.ID, "ann@example.com")
		wantCode(t, err, parley.ECONFLICT)
	})

	t.Run("MemberLeavesAndAdminRemoves", func(t *testing.T) {
		if _, err := svc.InviteToWorkspace(annCtx, ws.ID, "carl@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := svc.LeaveWorkspace(carlCtx, ws.ID, "carl@example.com"); err != nil {
			t.Fatal(err)
		}
		_, err := svc.Workspace(carlCtx, ws.ID)
		wantCode(t, err, parley.ENOTFOUND)
		err = svc.LeaveWorkspace(annCtx, ws.ID, "carl@example.com")
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("ErrBadName", func(t *testing.T) {
		for _, name := range []string{"   ", "a\x00b", "bell\x07"} {
			_, err := svc.CreateWorkspace(annCtx, name)
			wantCode(t, err, parley.EINVALID)
		}
	})
}

func TestChannelRules(t *testing.T) {
	svc, _ := MustOpenService(t)
	annCtx, _ := MustSignup(t, svc, "ann@example.com")
	bobCtx, _ := MustSignup(t, svc, "bob@example.com")
	carlCtx, _ := MustSignup(t, svc, "carl@example.com")
	ws := MustCreateWorkspace(t, svc, annCtx, "Acme", "bob@example.com", "carl@example.com")
	general := ws.Channels[0]

	secret, err := svc.CreateChannel(annCtx, ws.ID, "Secret", true)
	if err != nil {
		t.Fatal(err)
	} else if secret.Name != "secret" || secret.Creator != "ann@example.com" {
		t.Fatalf("Name=%q Creator=%q", secret.Name, secret.Creator)
	}
	public, err := svc.CreateChannel(bobCtx, ws.ID, "random", false)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ErrDuplicateName", func(t *testing.T) {
		_, err := svc.CreateChannel(carlCtx, ws.ID, "RANDOM", false)
		wantCode(t, err, parley.ECONFLICT)
	})

	t.Run("PrivateIsInvisibleToNonMembers", func(t *testing.T) {
		_, err := svc.Channel(bobCtx, ws.ID, secret.ID)
		wantCode(t, err, parley.ENOTFOUND)
		_, err = svc.JoinChannel(bobCtx, ws.ID, secret.ID, "bob@example.com")
		wantCode(t, err, parley.ENOTFOUND)
		w, err := svc.Workspace(bobCtx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range w.Channels {
			if ch.ID == secret.ID {
				t.Fatal("private channel listed to a non-member")
			}
		}
	})

	t.Run("MemberInvitesToPrivate", func(t *testing.T) {
		if _, err := svc.JoinChannel(annCtx, ws.ID, secret.ID, "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Channel(bobCtx, ws.ID, secret.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("JoinPublicSelfButNotOthers", func(t *testing.T) {
		_, err := svc.JoinChannel(carlCtx, ws.ID, public.ID, "ann@example.com")
		wantCode(t, err, parley.EFORBIDDEN)
		if _, err := svc.JoinChannel(carlCtx, ws.ID, public.ID, "carl@example.com"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ErrRemoveOthersUnlessCreatorOrAdmin", func(t *testing.T) {
		err := svc.LeaveChannel(carlCtx, ws.ID, secret.ID, "bob@example.com")
		wantCode(t, err, parley.ENOTFOUND) // carl cannot see it at all
		err = svc.LeaveChannel(carlCtx, ws.ID, public.ID, "bob@example.com")
		wantCode(t, err, parley.EFORBIDDEN)
		if err := svc.LeaveChannel(bobCtx, ws.ID, public.ID, "carl@example.com"); err != nil {
			t.Fatal(err) // bob created it
		}
	})

	t.Run("ErrLeaveOrDeleteGeneral", func(t *testing.T) {
		err := svc.LeaveChannel(bobCtx, ws.ID, general.ID, "bob@example.com")
		wantCode(t, err, parley.ECONFLICT)
		err = svc.DeleteChannel(annCtx, ws.ID, general.ID)
		wantCode(t, err, parley.ECONFLICT)
	})

	t.Run("DeleteByCreatorOrAdminOnly", func(t *testing.T) {
		err := svc.DeleteChannel(carlCtx, ws.ID, public.ID)
		wantCode(t, err, parley.EFORBIDDEN)
		if err := svc.DeleteChannel(annCtx, ws.ID, public.ID); err != nil {
			t.Fatal(err) // the admin
		}
		_, err = svc.Channel(bobCtx, ws.ID, public.ID)
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("AdminManagesPrivateChannelsTheyAreNotIn", func(t *testing.T) {
		hidden, err := svc.CreateChannel(bobCtx, ws.ID, "hidden", true)
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Channel(annCtx, ws.ID, hidden.ID)
		wantCode(t, err, parley.ENOTFOUND) // the admin does not read it
		err = svc.DeleteChannel(carlCtx, ws.ID, hidden.ID)
		wantCode(t, err, parley.ENOTFOUND) // nor does anyone else outside it
		if err := svc.DeleteChannel(annCtx, ws.ID, hidden.ID); err != nil {
			t.Fatal(err) // but may delete it
		}
	})

	t.Run("ErrChannelOfAnotherWorkspace", func(t *testing.T) {
		other := MustCreateWorkspace(t, svc, annCtx, "Other")
		_, err := svc.Channel(annCtx, other.ID, secret.ID)
		wantCode(t, err, parley.ENOTFOUND)
	})
}

func TestMessageRules(t *testing.T) {
	svc, rec := MustOpenService(t)
	annCtx, ann := MustSignup(t, svc, "ann@example.com")
	bobCtx, bob := MustSignup(t, svc, "bob@example.com")
	carlCtx, _ := MustSignup(t, svc, "carl@example.com")
	ws := MustCreateWorkspace(t, svc, annCtx, "Acme", "bob@example.com")
	general := ws.Channels[0]
	side, err := svc.CreateChannel(annCtx, ws.ID, "side", false)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("SeqIncreasesAndEventGoesToMembers", func(t *testing.T) {
		for i := int64(1); i <= 3; i++ {
			m, err := svc.PostChannelMessage(bobCtx, ws.ID, general.ID, app.Draft{Text: "  hi  "})
			if err != nil {
				t.Fatal(err)
			} else if m.Seq != i || m.Text != "hi" || m.Sender != "bob@example.com" {
				t.Fatalf("Seq=%d Text=%q Sender=%q, want %d, hi, bob", m.Seq, m.Text, m.Sender, i)
			}
		}
		e := rec.last(t)
		slices.Sort(e.UserIDs)
		want := []string{ann.ID, bob.ID}
		slices.Sort(want)
		if e.Type != parley.EventMessage || !slices.Equal(e.UserIDs, want) {
			t.Fatalf("event %s to %v, want message to %v", e.Type, e.UserIDs, want)
		}
		var frame map[string]any
		if err := json.Unmarshal(e.Frame, &frame); err != nil {
			t.Fatal(err)
		} else if frame["type"] != "message" || frame["message"] != "hi" {
			t.Fatalf("frame=%s", e.Frame)
		}
	})

	t.Run("ErrNonMemberPosts", func(t *testing.T) {
		_, err := svc.PostChannelMessage(bobCtx, ws.ID, side.ID, app.Draft{Text: "hi"})
		wantCode(t, err, parley.EFORBIDDEN)
		_, err = svc.PostChannelMessage(carlCtx, ws.ID, general.ID, app.Draft{Text: "hi"})
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("ErrBadText", func(t *testing.T) {
		for _, text := range []string{"", "   ", string(make([]rune, app.MaxMessageLen+1))} {
			_, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, app.Draft{Text: text})
			wantCode(t, err, parley.EINVALID)
		}
	})

	t.Run("IdempotentClientMsgID", func(t *testing.T) {
		before := rec.count()
		d := app.Draft{Text: "once", ClientMsgID: "c-1"}
		first, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, d)
		if err != nil {
			t.Fatal(err)
		}
		again, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, d)
		if err != nil {
			t.Fatal(err)
		} else if again.ID != first.ID || again.Seq != first.Seq {
			t.Fatalf("second send ID=%s Seq=%d, want %s %d", again.ID, again.Seq, first.ID, first.Seq)
		} else if n := rec.count() - before; n != 1 {
			t.Fatalf("%d events for one message, want 1", n)
		}
	})

	t.Run("DirectMessages", func(t *testing.T) {
		_, err := svc.PostDirectMessage(annCtx, "bob@example.com", "ann@example.com", app.Draft{Text: "spoof"})
		wantCode(t, err, parley.EFORBIDDEN)
		_, err = svc.PostDirectMessage(annCtx, "ann@example.com", "carl@example.com", app.Draft{Text: "hi"})
		wantCode(t, err, parley.ENOTFOUND) // no shared workspace

		m1, err := svc.PostDirectMessage(annCtx, "ann@example.com", "bob@example.com", app.Draft{Text: "hi bob"})
		if err != nil {
			t.Fatal(err)
		}
		m2, err := svc.SendDirectMessage(bobCtx, "ann@example.com", app.Draft{Text: "hi ann"})
		if err != nil {
			t.Fatal(err)
		} else if m1.Seq != 1 || m2.Seq != 2 || m2.Receiver != "ann@example.com" {
			t.Fatalf("Seq=%d,%d Receiver=%q, want 1,2 ann", m1.Seq, m2.Seq, m2.Receiver)
		}

		page, err := svc.DirectHistory(bobCtx, "ann@example.com", "bob@example.com", app.PageRequest{})
		if err != nil {
			t.Fatal(err)
		} else if len(page.Messages) != 2 || page.Messages[0].Sender != "ann@example.com" {
			t.Fatalf("history=%+v", page.Messages)
		}
		_, err = svc.DirectHistory(carlCtx, "ann@example.com", "bob@example.com", app.PageRequest{})
		wantCode(t, err, parley.ENOTFOUND)
	})

	t.Run("Paging", func(t *testing.T) {
		two, five := int64(2), int64(5)
		page, err := svc.ChannelHistory(annCtx, ws.ID, general.ID, app.PageRequest{Limit: &two, Before: &five})
		if err != nil {
			t.Fatal(err)
		} else if len(page.Messages) != 2 || page.Messages[0].Seq != 3 || !page.HasMore {
			t.Fatalf("page=%d messages from seq %d, has_more=%v; want 2 from 3, true",
				len(page.Messages), page.Messages[0].Seq, page.HasMore)
		}
		zero := int64(0)
		_, err = svc.ChannelHistory(annCtx, ws.ID, general.ID, app.PageRequest{Limit: &zero})
		wantCode(t, err, parley.EINVALID)
		_, err = svc.ChannelHistory(annCtx, ws.ID, general.ID, app.PageRequest{Before: &five, After: &two})
		wantCode(t, err, parley.EINVALID)
	})
}
