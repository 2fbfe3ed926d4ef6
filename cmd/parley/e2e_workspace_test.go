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
