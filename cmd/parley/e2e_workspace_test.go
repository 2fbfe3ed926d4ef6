package main

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestWorkspaces(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob, carl, dave := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl"), s.MustSignup(t, "dave")

	// list returns the workspaces of sess.
	list := func(t *testing.T, sess *Session) []WorkspaceSummary {
		t.Helper()
		var l []WorkspaceSummary
		s.MustDo(t, Req{Method: "GET", Path: "/workspaces/" + sess.Email(), Token: sess.AccessToken}, http.StatusOK, &l)
		return l
	}
	// get returns a workspace as sess sees it.
	get := func(t *testing.T, sess *Session, id string) *Workspace {
		t.Helper()
		var ws Workspace
		s.MustDo(t, Req{Method: "GET", Path: "/workspace/" + id, Token: sess.AccessToken}, http.StatusOK, &ws)
		return &ws
	}
	// wantUsers fails unless the workspace's members are exactly want.
	wantUsers := func(t *testing.T, id string, want ...*Session) {
		t.Helper()
		got := get(t, ann, id).Users
		var emails []string
		for _, u := range want {
			emails = append(emails, u.Email())
		}
		slices.Sort(got)
		slices.Sort(emails)
		if !slices.Equal(got, emails) {
			t.Fatalf("members=%v, want %v", got, emails)
		}
	}

	var ws *Workspace
	t.Run("Create", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			ws = s.MustCreateWorkspace(t, ann, "  Acme Corp  ")
			if ws.ID == "" {
				t.Fatal("workspace_id is empty")
			} else if ws.Name != "Acme Corp" {
				t.Fatalf("workspace_name=%q, want %q (trimmed)", ws.Name, "Acme Corp")
			} else if ws.Admin != ann.Email() {
				t.Fatalf("admin=%q, want %q", ws.Admin, ann.Email())
			} else if !slices.Equal(ws.Users, []string{ann.Email()}) {
				t.Fatalf("users=%v, want [%s]", ws.Users, ann.Email())
			} else if !createdAtRE.MatchString(ws.CreatedAt) {
				t.Fatalf("createdAt=%q, want RFC 3339 UTC with milliseconds", ws.CreatedAt)
			} else if len(ws.Channels) != 1 {
				t.Fatalf("%d channels, want general only", len(ws.Channels))
			}
			g := General(t, ws)
			if g.IsPrivate || g.Creator != ann.Email() || g.WorkspaceID != ws.ID ||
				!slices.Equal(g.Users, []string{ann.Email()}) || g.ID == "" {
				t.Fatalf("general=%+v, want a public channel of %s with ann in it", g, ws.ID)
			}
			if got := get(t, ann, ws.ID); !reflect.DeepEqual(got, ws) {
				t.Fatalf("GET=%+v, want %+v", got, ws)
			}
		})

		t.Run("OKLongestName", func(t *testing.T) {
			name := strings.Repeat("é", 100)
			if got := s.MustCreateWorkspace(t, carl, name); got.Name != name {
				t.Fatalf("workspace_name=%q, want the 100 characters sent", got.Name)
			}
		})

		tests := []badBody{
			{"ErrMissingName", `{}`, 400, "invalid"},
			{"ErrNullName", `{"workspace_name": null}`, 400, "invalid"},
			{"ErrWrongType", `{"workspace_name": 5}`, 400, "invalid"},
			{"ErrBlankName", map[string]string{"workspace_name": " \t\n "}, 400, "invalid"},
			{"ErrNameTooLong", map[string]string{"workspace_name": strings.Repeat("é", 101)}, 400, "invalid"},
			{"ErrTooLarge", map[string]string{"workspace_name": strings.Repeat("x", 1<<20)}, 413, "too_large"},
		}
		for _, tt := range append(tests, malformedBodies...) {
			t.Run(tt.name, func(t *testing.T) {
				before := list(t, dave)
				s.MustFail(t, Req{Method: "POST", Path: "/workspace", Token: dave.AccessToken, Body: tt.body}, tt.status, tt.code)
				if after := list(t, dave); len(after) != len(before) {
					t.Fatalf("dave has %d workspaces after a refused create, want %d", len(after), len(before))
				}
			})
		}
	})

	t.Run("Get", func(t *testing.T) {
		t.Run("ErrNotMember", func(t *testing.T) {
			s.MustFail(t, Req{Method: "GET", Path: "/workspace/" + ws.ID, Token: dave.AccessToken}, 404, "not_found")
		})
		t.Run("ErrUnknown", func(t *testing.T) {
			s.MustFail(t, Req{Method: "GET", Path: "/workspace/Wnope", Token: ann.AccessToken}, 404, "not_found")
		})
	})

	t.Run("Invite", func(t *testing.T) {
		invite := func(sess *Session, body any) Req {
			return Req{Method: "PATCH", Path: "/workspace", Token: sess.AccessToken, Body: body}
		}
		t.Run("OK", func(t *testing.T) {
			var m Members
			s.MustDo(t, invite(ann, map[string]string{"workspace_id": ws.ID, "user_email": bob.Email()}), http.StatusOK, &m)
			if !slices.Equal(m.Users, []string{ann.Email(), bob.Email()}) {
				t.Fatalf("users=%v, want [ann bob]", m.Users)
			}
			// Bob sees the workspace and is in general.
			got := get(t, bob, ws.ID)
			if g := General(t, got); !slices.Contains(g.Users, bob.Email()) {
				t.Fatalf("general users=%v, want bob among them", g.Users)
			}
			// Any member may invite, with the email in any case.
			s.MustDo(t, invite(bob, map[string]string{"workspace_id": ws.ID, "user_email": "CARL@Example.com"}), http.StatusOK, &m)
			if !slices.Contains(m.Users, carl.Email()) {
				t.Fatalf("users=%v, want carl among them", m.Users)
			}
			wantUsers(t, ws.ID, ann, bob, carl)
		})

		t.Run("OKAgain", func(t *testing.T) {
			var m Members
			s.MustDo(t, invite(ann, map[string]string{"workspace_id": ws.ID, "user_email": bob.Email()}), http.StatusOK, &m)
			if len(m.Users) != 3 {
				t.Fatalf("users=%v, want the 3 members unchanged", m.Users)
			}
			wantUsers(t, ws.ID, ann, bob, carl)
		})

		tests := []struct {
			name   string
			sess   *Session
			body   any
			status int
			code   string
		}{
			{"ErrNotMember", dave, map[string]string{"workspace_id": ws.ID, "user_email": dave.Email()}, 404, "not_found"},
			{"ErrUnknownWorkspace", ann, map[string]string{"workspace_id": "Wnope", "user_email": dave.Email()}, 404, "not_found"},
			{"ErrUnknownUser", ann, map[string]string{"workspace_id": ws.ID, "user_email": "nobody@example.com"}, 404, "not_found"},
			{"ErrBadEmail", ann, map[string]string{"workspace_id": ws.ID, "user_email": "dave"}, 400, "invalid"},
			{"ErrMissingEmail", ann, map[string]string{"workspace_id": ws.ID}, 400, "invalid"},
			{"ErrMissingWorkspace", ann, map[string]string{"user_email": dave.Email()}, 400, "invalid"},
			{"ErrWrongType", ann, map[string]any{"workspace_id": ws.ID, "user_email": 5}, 400, "invalid"},
		}
		for _, tt := range malformedBodies {
			tests = append(tests, struct {
				name   string
				sess   *Session
				body   any
				status int
				code   string
			}{tt.name, ann, tt.body, tt.status, tt.code})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, invite(tt.sess, tt.body), tt.status, tt.code)
				wantUsers(t, ws.ID, ann, bob, carl)
			})
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			l := list(t, bob)
			if len(l) != 1 || l[0].ID != ws.ID || l[0].Name != ws.Name || l[0].Cnt != 3 {
				t.Fatalf("list=%+v, want [{%s %s 3}]", l, ws.ID, ws.Name)
			}
		})
		t.Run("OKAnyCase", func(t *testing.T) {
			for _, path := range []string{"/workspaces/BOB@EXAMPLE.COM", "/workspaces/bob%40example.com"} {
				var l []WorkspaceSummary
				s.MustDo(t, Req{Method: "GET", Path: path, Token: bob.AccessToken}, http.StatusOK, &l)
				if len(l) != 1 {
					t.Fatalf("GET %s: %d workspaces, want 1", path, len(l))
				}
			}
		})
		t.Run("OKEmpty", func(t *testing.T) {
			resp := s.MustDo(t, Req{Method: "GET", Path: "/workspaces/" + dave.Email(), Token: dave.AccessToken}, http.StatusOK, nil)
			if strings.TrimSpace(string(resp.Body)) != "[]" {
				t.Fatalf("body=%s, want []", resp.Body)
			}
		})
		t.Run("ErrOtherUser", func(t *testing.T) {
			// Another user's list is invisible: 404, the same whether or
			// not the user exists (docs/decisions.md).
			for _, email := range []string{bob.Email(), "nobody@example.com"} {
				s.MustFail(t, Req{Method: "GET", Path: "/workspaces/" + email, Token: ann.AccessToken}, 404, "not_found")
			}
			s.MustFail(t, Req{Method: "GET", Path: "/workspaces/not-an-email", Token: ann.AccessToken}, 400, "invalid")
		})
	})

	t.Run("Leave", func(t *testing.T) {
		leave := func(sess *Session, email string) Req {
			return Req{Method: "PATCH", Path: "/workspace/out", Token: sess.AccessToken,
				Body: map[string]string{"workspace_id": ws.ID, "user_email": email}}
		}
		s.MustInvite(t, ann, ws, dave)

		t.Run("ErrNotAdmin", func(t *testing.T) {
			s.MustFail(t, leave(carl, dave.Email()), 403, "forbidden")
			wantUsers(t, ws.ID, ann, bob, carl, dave)
		})
		t.Run("ErrAdminWithOthers", func(t *testing.T) {
			s.MustFail(t, leave(ann, ann.Email()), 409, "conflict")
			wantUsers(t, ws.ID, ann, bob, carl, dave)
		})
		t.Run("ErrBadBody", func(t *testing.T) {
			for _, tt := range malformedBodies {
				s.MustFail(t, Req{Method: "PATCH", Path: "/workspace/out", Token: dave.AccessToken, Body: tt.body}, tt.status, tt.code)
			}
			s.MustFail(t, Req{Method: "PATCH", Path: "/workspace/out", Token: dave.AccessToken,
				Body: map[string]any{"workspace_id": ws.ID, "user_email": true}}, 400, "invalid")
			wantUsers(t, ws.ID, ann, bob, carl, dave)
		})
		t.Run("OKSelf", func(t *testing.T) {
			s.MustDo(t, leave(dave, dave.Email()), http.StatusOK, nil)
			wantUsers(t, ws.ID, ann, bob, carl)
			s.MustFail(t, Req{Method: "GET", Path: "/workspace/" + ws.ID, Token: dave.AccessToken}, 404, "not_found")
			if g := General(t, get(t, ann, ws.ID)); slices.Contains(g.Users, dave.Email()) {
				t.Fatalf("general users=%v, want dave gone", g.Users)
			}
		})
		t.Run("ErrNotMember", func(t *testing.T) {
			s.MustFail(t, leave(dave, dave.Email()), 404, "not_found")
			s.MustFail(t, leave(ann, dave.Email()), 404, "not_found")
			wantUsers(t, ws.ID, ann, bob, carl)
		})
		t.Run("OKAdminRemoves", func(t *testing.T) {
			s.MustDo(t, leave(ann, carl.Email()), http.StatusOK, nil)
			wantUsers(t, ws.ID, ann, bob)
			if l := list(t, carl); len(l) != 1 || l[0].ID == ws.ID {
				t.Fatalf("carl's workspaces=%+v, want only his own", l)
			}
		})
		t.Run("OKAdminLast", func(t *testing.T) {
			solo := s.MustCreateWorkspace(t, dave, "solo")
			s.MustDo(t, Req{Method: "PATCH", Path: "/workspace/out", Token: dave.AccessToken,
				Body: map[string]string{"workspace_id": solo.ID, "user_email": dave.Email()}}, http.StatusOK, nil)
			s.MustFail(t, Req{Method: "GET", Path: "/workspace/" + solo.ID, Token: dave.AccessToken}, 404, "not_found")
		})
	})

	t.Run("Delete", func(t *testing.T) {
		del := func(sess *Session) Req {
			return Req{Method: "DELETE", Path: "/workspace/" + ws.ID, Token: sess.AccessToken}
		}
		g := General(t, ws)
		s.MustPost(t, bob, g, "before the end")

		t.Run("ErrNotAdmin", func(t *testing.T) {
			s.MustFail(t, del(bob), 403, "forbidden")
			get(t, bob, ws.ID)
			if n := s.MustHistoryLen(t, bob, g); n != 1 {
				t.Fatalf("general holds %d messages, want 1", n)
			}
		})
		t.Run("ErrNotMember", func(t *testing.T) {
			s.MustFail(t, del(dave), 404, "not_found")
			get(t, ann, ws.ID)
		})
		t.Run("OK", func(t *testing.T) {
			var body struct{ Message string }
			s.MustDo(t, del(ann), http.StatusOK, &body)
			if body.Message == "" {
				t.Fatal("answer has no message")
			}
			for _, sess := range []*Session{ann, bob} {
				s.MustFail(t, Req{Method: "GET", Path: "/workspace/" + ws.ID, Token: sess.AccessToken}, 404, "not_found")
				s.MustFail(t, Req{Method: "GET", Path: "/messages/" + ws.ID + "/" + g.ID, Token: sess.AccessToken}, 404, "not_found")
				s.MustFail(t, Req{Method: "GET", Path: "/channel/" + ws.ID + "/" + g.ID, Token: sess.AccessToken}, 404, "not_found")
			}
			if l := list(t, bob); len(l) != 0 {
				t.Fatalf("bob's workspaces=%+v, want none", l)
			}
			s.MustFail(t, del(ann), 404, "not_found")
		})
	})
}

func TestChannels(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob, carl, dave := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl"), s.MustSignup(t, "dave")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob, carl)
	other := s.MustCreateWorkspace(t, ann, "elsewhere")

	getCh := func(t *testing.T, sess *Session, ch *Channel) *Channel {
		t.Helper()
		var got Channel
		s.MustDo(t, Req{Method: "GET", Path: "/channel/" + ch.WorkspaceID + "/" + ch.ID, Token: sess.AccessToken}, http.StatusOK, &got)
		return &got
	}
	// wantUsers fails unless the members of ch, as as sees them, are
	// exactly want.
	wantUsers := func(t *testing.T, as *Session, ch *Channel, want ...*Session) {
		t.Helper()
		var emails []string
		for _, u := range want {
			emails = append(emails, u.Email())
		}
		got := slices.Clone(getCh(t, as, ch).Users)
		slices.Sort(got)
		slices.Sort(emails)
		if !slices.Equal(got, emails) {
			t.Fatalf("%s members=%v, want %v", ch.Name, got, emails)
		}
	}
	channelNames := func(t *testing.T, sess *Session) []string {
		t.Helper()
		var w Workspace
		s.MustDo(t, Req{Method: "GET", Path: "/workspace/" + ws.ID, Token: sess.AccessToken}, http.StatusOK, &w)
		var names []string
		for _, ch := range w.Channels {
			names = append(names, ch.Name)
		}
		slices.Sort(names)
		return names
	}
	create := func(sess *Session, body any) Req {
		return Req{Method: "POST", Path: "/channel", Token: sess.AccessToken, Body: body}
	}

	var random, secret *Channel
	t.Run("Create", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			random = s.MustCreateChannel(t, ann, ws, "Random", false)
			if random.Name != "random" {
				t.Fatalf("channel_name=%q, want random (lowercased)", random.Name)
			} else if random.ID == "" || random.WorkspaceID != ws.ID || random.IsPrivate ||
				random.Creator != ann.Email() || !slices.Equal(random.Users, []string{ann.Email()}) {
				t.Fatalf("channel=%+v, want a public channel of %s by ann with ann in it", random, ws.ID)
			} else if !createdAtRE.MatchString(random.CreatedAt) {
				t.Fatalf("createdAt=%q, want RFC 3339 UTC with milliseconds", random.CreatedAt)
			}
			if got := getCh(t, ann, random); !reflect.DeepEqual(got, random) {
				t.Fatalf("GET=%+v, want %+v", got, random)
			}
		})
		t.Run("OKPrivate", func(t *testing.T) {
			secret = s.MustCreateChannel(t, bob, ws, "secret", true)
			if !secret.IsPrivate || secret.Creator != bob.Email() {
				t.Fatalf("channel=%+v, want private, by bob", secret)
			}
		})
		t.Run("OKNames", func(t *testing.T) {
			for _, name := range []string{"привет_мир-2", "日本語", "a", strings.Repeat("x", 80), "UPPER_Case-9"} {
				ch := s.MustCreateChannel(t, carl, ws, name, false)
				if want := strings.ToLower(name); ch.Name != want {
					t.Fatalf("channel_name=%q, want %q", ch.Name, want)
				}
			}
		})
		t.Run("OKSameNameElsewhere", func(t *testing.T) {
			s.MustCreateChannel(t, ann, other, "random", false)
		})

		type tc struct {
			name   string
			sess   *Session
			body   any
			status int
			code   string
		}
		tests := []tc{
			{"ErrNameTaken", carl, map[string]any{"workspace_id": ws.ID, "channel_name": "random"}, 409, "conflict"},
			{"ErrNameTakenCase", carl, map[string]any{"workspace_id": ws.ID, "channel_name": "RANDOM"}, 409, "conflict"},
			{"ErrNameTakenPrivate", carl, map[string]any{"workspace_id": ws.ID, "channel_name": "secret"}, 409, "conflict"},
			{"ErrGeneral", carl, map[string]any{"workspace_id": ws.ID, "channel_name": "general"}, 409, "conflict"},
			{"ErrNotMember", dave, map[string]any{"workspace_id": ws.ID, "channel_name": "mine"}, 404, "not_found"},
			{"ErrUnknownWorkspace", ann, map[string]any{"workspace_id": "Wnope", "channel_name": "mine"}, 404, "not_found"},
			{"ErrMissingWorkspace", ann, map[string]any{"channel_name": "mine"}, 400, "invalid"},
			{"ErrMissingName", ann, map[string]any{"workspace_id": ws.ID}, 400, "invalid"},
			{"ErrPrivateString", ann, map[string]any{"workspace_id": ws.ID, "channel_name": "mine", "is_private": "yes"}, 400, "invalid"},
			{"ErrNameNumber", ann, map[string]any{"workspace_id": ws.ID, "channel_name": 5}, 400, "invalid"},
			{"ErrWorkspaceNumber", ann, map[string]any{"workspace_id": 5, "channel_name": "mine"}, 400, "invalid"},
		}
		for name, channel := range map[string]string{
			"ErrSpace": "two words", "ErrDot": "a.b", "ErrEmoji": "party🎉", "ErrHash": "#mine",
			"ErrBlank": "   ", "ErrEmpty": "", "ErrTooLong": strings.Repeat("x", 81), "ErrSlash": "a/b",
		} {
			tests = append(tests, tc{name, ann, map[string]any{"workspace_id": ws.ID, "channel_name": channel}, 400, "invalid"})
		}
		for _, b := range malformedBodies {
			tests = append(tests, tc{b.name, ann, b.body, b.status, b.code})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := channelNames(t, ann)
				s.MustFail(t, create(tt.sess, tt.body), tt.status, tt.code)
				if after := channelNames(t, ann); !slices.Equal(after, before) {
					t.Fatalf("channels=%v after a refused create, want %v", after, before)
				}
			})
		}
	})

	t.Run("Get", func(t *testing.T) {
		t.Run("OKPublicNotMember", func(t *testing.T) {
			if got := getCh(t, carl, random); got.ID != random.ID {
				t.Fatalf("channel_id=%q, want %q", got.ID, random.ID)
			}
		})
		t.Run("OKPrivateMember", func(t *testing.T) {
			getCh(t, bob, secret)
		})
		tests := []struct {
			name string
			sess *Session
			path string
		}{
			{"ErrPrivateNotMember", carl, "/channel/" + ws.ID + "/" + secret.ID},
			{"ErrPrivateAdmin", ann, "/channel/" + ws.ID + "/" + secret.ID},
			{"ErrNotWorkspaceMember", dave, "/channel/" + ws.ID + "/" + random.ID},
			{"ErrUnknownChannel", ann, "/channel/" + ws.ID + "/Cnope"},
			{"ErrUnknownWorkspace", ann, "/channel/Wnope/" + random.ID},
			{"ErrOtherWorkspace", ann, "/channel/" + ws.ID + "/" + General(t, other).ID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, Req{Method: "GET", Path: tt.path, Token: tt.sess.AccessToken}, 404, "not_found")
			})
		}
		t.Run("WorkspaceShowsVisible", func(t *testing.T) {
			carlSees, bobSees := channelNames(t, carl), channelNames(t, bob)
			if slices.Contains(carlSees, "secret") {
				t.Fatalf("carl sees %v, want secret hidden", carlSees)
			} else if !slices.Contains(carlSees, "random") || !slices.Contains(carlSees, "general") {
				t.Fatalf("carl sees %v, want general and random", carlSees)
			} else if !slices.Contains(bobSees, "secret") {
				t.Fatalf("bob sees %v, want secret", bobSees)
			}
		})
	})

	t.Run("List", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			var l []*Channel
			s.MustDo(t, Req{Method: "GET", Path: "/channels/" + ws.ID + "/" + bob.Email(), Token: bob.AccessToken}, http.StatusOK, &l)
			var names []string
			for _, ch := range l {
				names = append(names, ch.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, []string{"general", "secret"}) {
				t.Fatalf("bob's channels=%v, want [general secret]", names)
			}
		})
		t.Run("ErrOtherUser", func(t *testing.T) {
			s.MustFail(t, Req{Method: "GET", Path: "/channels/" + ws.ID + "/" + bob.Email(), Token: ann.AccessToken}, 404, "not_found")
			s.MustFail(t, Req{Method: "GET", Path: "/channels/" + ws.ID + "/nobody@example.com", Token: ann.AccessToken}, 404, "not_found")
		})
		t.Run("ErrNotMember", func(t *testing.T) {
			s.MustFail(t, Req{Method: "GET", Path: "/channels/" + ws.ID + "/" + dave.Email(), Token: dave.AccessToken}, 404, "not_found")
		})
	})

	join := func(sess *Session, ch *Channel, email string) Req {
		return Req{Method: "PATCH", Path: "/channel", Token: sess.AccessToken, Body: map[string]string{
			"workspace_id": ch.WorkspaceID, "channel_id": ch.ID, "user_email": email,
		}}
	}
	leave := func(sess *Session, ch *Channel, email string) Req {
		r := join(sess, ch, email)
		r.Path = "/channel/out"
		return r
	}

	t.Run("Join", func(t *testing.T) {
		t.Run("OKSelfPublic", func(t *testing.T) {
			var m Members
			s.MustDo(t, join(carl, random, carl.Email()), http.StatusOK, &m)
			if !slices.Equal(m.Users, []string{ann.Email(), carl.Email()}) {
				t.Fatalf("users=%v, want [ann carl]", m.Users)
			}
		})
		t.Run("OKAgain", func(t *testing.T) {
			s.MustDo(t, join(carl, random, carl.Email()), http.StatusOK, nil)
			wantUsers(t, ann, random, ann, carl)
		})
		t.Run("OKMemberInvitesToPrivate", func(t *testing.T) {
			s.MustDo(t, join(bob, secret, carl.Email()), http.StatusOK, nil)
			wantUsers(t, bob, secret, bob, carl)
		})
		t.Run("ErrSelfPrivate", func(t *testing.T) {
			s.MustFail(t, join(ann, secret, ann.Email()), 404, "not_found")
			wantUsers(t, bob, secret, bob, carl)
		})
		t.Run("ErrNotMemberInvites", func(t *testing.T) {
			s.MustFail(t, join(bob, random, carl.Email()), 403, "forbidden")
			wantUsers(t, ann, random, ann, carl)
		})
		t.Run("ErrInviteeOutsideWorkspace", func(t *testing.T) {
			s.MustFail(t, join(ann, random, dave.Email()), 404, "not_found")
			wantUsers(t, ann, random, ann, carl)
		})
		t.Run("ErrOutsider", func(t *testing.T) {
			s.MustFail(t, join(dave, random, dave.Email()), 404, "not_found")
			wantUsers(t, ann, random, ann, carl)
		})
		t.Run("ErrBadBody", func(t *testing.T) {
			for _, b := range malformedBodies {
				s.MustFail(t, Req{Method: "PATCH", Path: "/channel", Token: ann.AccessToken, Body: b.body}, b.status, b.code)
			}
			s.MustFail(t, Req{Method: "PATCH", Path: "/channel", Token: ann.AccessToken,
				Body: map[string]any{"workspace_id": ws.ID, "channel_id": random.ID}}, 400, "invalid")
			s.MustFail(t, Req{Method: "PATCH", Path: "/channel", Token: ann.AccessToken,
				Body: map[string]any{"workspace_id": ws.ID, "user_email": bob.Email()}}, 400, "invalid")
			s.MustFail(t, Req{Method: "PATCH", Path: "/channel", Token: ann.AccessToken,
				Body: map[string]any{"workspace_id": ws.ID, "channel_id": 7, "user_email": bob.Email()}}, 400, "invalid")
			wantUsers(t, ann, random, ann, carl)
		})
	})

	t.Run("Leave", func(t *testing.T) {
		t.Run("ErrNotCreator", func(t *testing.T) {
			s.MustFail(t, leave(carl, secret, bob.Email()), 403, "forbidden")
			wantUsers(t, bob, secret, bob, carl)
		})
		t.Run("ErrGeneral", func(t *testing.T) {
			s.MustFail(t, leave(carl, General(t, ws), carl.Email()), 409, "conflict")
			s.MustFail(t, leave(ann, General(t, ws), carl.Email()), 409, "conflict")
			wantUsers(t, ann, General(t, ws), ann, bob, carl)
		})
		t.Run("OKCreatorRemoves", func(t *testing.T) {
			s.MustDo(t, leave(bob, secret, carl.Email()), http.StatusOK, nil)
			wantUsers(t, bob, secret, bob)
			s.MustFail(t, Req{Method: "GET", Path: "/channel/" + ws.ID + "/" + secret.ID, Token: carl.AccessToken}, 404, "not_found")
		})
		t.Run("OKSelf", func(t *testing.T) {
			s.MustDo(t, leave(carl, random, carl.Email()), http.StatusOK, nil)
			wantUsers(t, ann, random, ann)
		})
		t.Run("OKAdminRemoves", func(t *testing.T) {
			news := s.MustCreateChannel(t, carl, ws, "news", false)
			s.MustJoin(t, carl, news, bob)
			s.MustDo(t, leave(ann, news, bob.Email()), http.StatusOK, nil)
			var got Channel
			s.MustDo(t, Req{Method: "GET", Path: "/channel/" + ws.ID + "/" + news.ID, Token: carl.AccessToken}, http.StatusOK, &got)
			if !slices.Equal(got.Users, []string{carl.Email()}) {
				t.Fatalf("news users=%v, want [carl]", got.Users)
			}
		})
		t.Run("ErrNotMember", func(t *testing.T) {
			s.MustFail(t, leave(carl, random, carl.Email()), 404, "not_found")
			s.MustFail(t, leave(dave, random, dave.Email()), 404, "not_found")
			wantUsers(t, ann, random, ann)
		})
	})

	t.Run("Delete", func(t *testing.T) {
		del := func(sess *Session, ch *Channel) Req {
			return Req{Method: "DELETE", Path: "/channel/" + ch.WorkspaceID + "/" + ch.ID, Token: sess.AccessToken}
		}
		tmp := s.MustCreateChannel(t, carl, ws, "tmp", false)
		s.MustJoin(t, carl, tmp, bob)
		s.MustPost(t, carl, tmp, "soon gone")

		t.Run("ErrNotCreator", func(t *testing.T) {
			s.MustFail(t, del(bob, tmp), 403, "forbidden")
			if n := s.MustHistoryLen(t, bob, tmp); n != 1 {
				t.Fatalf("tmp holds %d messages, want 1", n)
			}
		})
		t.Run("ErrGeneral", func(t *testing.T) {
			s.MustFail(t, del(ann, General(t, ws)), 409, "conflict")
			getCh(t, ann, General(t, ws))
		})
		t.Run("ErrNotVisible", func(t *testing.T) {
			s.MustFail(t, del(dave, tmp), 404, "not_found")
			s.MustFail(t, del(carl, secret), 404, "not_found")
			getCh(t, bob, secret)
		})
		t.Run("OKAdmin", func(t *testing.T) {
			var body struct{ Message string }
			s.MustDo(t, del(ann, tmp), http.StatusOK, &body)
			if body.Message == "" {
				t.Fatal("answer has no message")
			}
			s.MustFail(t, Req{Method: "GET", Path: "/channel/" + ws.ID + "/" + tmp.ID, Token: carl.AccessToken}, 404, "not_found")
			s.MustFail(t, Req{Method: "GET", Path: "/messages/" + ws.ID + "/" + tmp.ID, Token: carl.AccessToken}, 404, "not_found")
			s.MustFail(t, Req{Method: "POST", Path: "/messages/" + ws.ID + "/" + tmp.ID, Token: carl.AccessToken,
				Body: map[string]string{"message": "hello?"}}, 404, "not_found")

			// The name is free again, and the new channel starts empty.
			again := s.MustCreateChannel(t, carl, ws, "tmp", false)
			if n := s.MustHistoryLen(t, carl, again); n != 0 {
				t.Fatalf("new tmp holds %d messages, want 0", n)
			}
		})
		t.Run("OKCreator", func(t *testing.T) {
			s.MustDo(t, del(bob, secret), http.StatusOK, nil)
			s.MustFail(t, Req{Method: "GET", Path: "/channel/" + ws.ID + "/" + secret.ID, Token: bob.AccessToken}, 404, "not_found")
		})
	})
}

// TestChannelNameScripts checks channel names in scripts whose words need
// combining marks, and names typed in decomposed form (as macOS keyboards
// send them). The spec allows "lowercase letters (any script)"; a Hindi
// word cannot be written without its vowel signs, and "café" typed as
// "cafe" + U+0301 must be the same name as "café", not a second channel
// that looks identical, nor a refusal.
func TestChannelNameScripts(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann := s.MustSignup(t, "ann")
	ws := s.MustCreateWorkspace(t, ann, "acme")

	t.Run("OKCombiningMarks", func(t *testing.T) {
		for _, name := range []string{"हिन्दी", "สวัสดี", "தமிழ்"} {
			s.MustCreateChannel(t, ann, ws, name, false)
		}
	})
	t.Run("ErrNameTakenDecomposed", func(t *testing.T) {
		s.MustCreateChannel(t, ann, ws, "caf\u00e9", false)
		s.MustFail(t, Req{Method: "POST", Path: "/channel", Token: ann.AccessToken,
			Body: map[string]string{"workspace_id": ws.ID, "channel_name": "cafe\u0301"}}, 409, "conflict")
	})
}
