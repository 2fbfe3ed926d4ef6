package main

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

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
