package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob, carl, dave := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl"), s.MustSignup(t, "dave")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob, carl)
	dev := s.MustCreateChannel(t, ann, ws, "dev", false)
	s.MustJoin(t, ann, dev, bob)
	priv := s.MustCreateChannel(t, ann, ws, "priv", true)
	post := func(sess *Session, ch *Channel, body any) Req {
		return Req{Method: "POST", Path: "/messages/" + ch.WorkspaceID + "/" + ch.ID, Token: sess.AccessToken, Body: body}
	}

	t.Run("Post", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			var m Message
			s.MustDo(t, post(ann, dev, map[string]string{"message": "  hello, world \n"}), http.StatusCreated, &m)
			if m.Text != "hello, world" {
				t.Fatalf("message=%q, want the text trimmed", m.Text)
			} else if m.Seq != 1 || m.ID == "" {
				t.Fatalf("seq=%d message_id=%q, want seq 1 and an ID", m.Seq, m.ID)
			} else if m.Sender != ann.Email() || m.WorkspaceID != ws.ID || m.ChannelID != dev.ID || m.Receiver != "" {
				t.Fatalf("message=%+v, want from ann in dev of %s", m, ws.ID)
			} else if !createdAtRE.MatchString(m.CreatedAt) {
				t.Fatalf("createdAt=%q, want RFC 3339 UTC with milliseconds", m.CreatedAt)
			}

			m2 := s.MustPost(t, bob, dev, "second")
			if m2.Seq != 2 || m2.Sender != bob.Email() {
				t.Fatalf("second message seq=%d sender=%q, want 2 from bob", m2.Seq, m2.Sender)
			}
			p := s.MustHistory(t, carl, dev, "")
			if len(p.Messages) != 2 || *p.Messages[0] != m || *p.Messages[1] != *m2 {
				t.Fatalf("history=%+v, want the two messages as posted", p.Messages)
			}
		})

		t.Run("OKLongest", func(t *testing.T) {
			text := strings.Repeat("é", 40000)
			m := s.MustPost(t, ann, dev, text)
			p := s.MustHistory(t, ann, dev, "limit=1")
			if m.Text != text || p.Messages[0].Text != text {
				t.Fatal("a message of 40,000 characters did not come back whole")
			}
		})

		t.Run("SenderIgnored", func(t *testing.T) {
			var m Message
			s.MustDo(t, post(ann, dev, map[string]string{"message": "it was me", "sender": bob.Email(),
				"user_email": bob.Email()}), http.StatusCreated, &m)
			if m.Sender != ann.Email() {
				t.Fatalf("sender=%q, want %q, the token's user", m.Sender, ann.Email())
			}
			if p := s.MustHistory(t, bob, dev, "limit=1"); p.Messages[0].Sender != ann.Email() {
				t.Fatalf("stored sender=%q, want %q", p.Messages[0].Sender, ann.Email())
			}
		})

		type tc struct {
			name   string
			sess   *Session
			ch     *Channel
			body   any
			status int
			code   string
		}
		tests := []tc{
			{"ErrEmpty", ann, dev, map[string]string{"message": ""}, 400, "invalid"},
			{"ErrBlank", ann, dev, map[string]string{"message": " \n\t  "}, 400, "invalid"},
			{"ErrTooLong", ann, dev, map[string]string{"message": strings.Repeat("é", 40001)}, 400, "invalid"},
			{"ErrMissingMessage", ann, dev, `{}`, 400, "invalid"},
			{"ErrWrongType", ann, dev, `{"message": 5}`, 400, "invalid"},
			{"ErrClientMsgIDType", ann, dev, `{"message": "hi", "client_msg_id": 5}`, 400, "invalid"},
			{"ErrClientMsgIDTooLong", ann, dev, map[string]string{"message": "hi", "client_msg_id": strings.Repeat("c", 129)}, 400, "invalid"},
			{"ErrBodyTooLarge", ann, dev, map[string]string{"message": strings.Repeat("x", 1<<20)}, 413, "too_large"},
			{"ErrPublicNotMember", carl, dev, map[string]string{"message": "hi"}, 403, "forbidden"},
			{"ErrPrivateNotMember", bob, priv, map[string]string{"message": "hi"}, 404, "not_found"},
			{"ErrOutsider", dave, dev, map[string]string{"message": "hi"}, 404, "not_found"},
			{"ErrUnknownChannel", ann, &Channel{WorkspaceID: ws.ID, ID: "Cnope"}, map[string]string{"message": "hi"}, 404, "not_found"},
			{"ErrUnknownWorkspace", ann, &Channel{WorkspaceID: "Wnope", ID: dev.ID}, map[string]string{"message": "hi"}, 404, "not_found"},
		}
		for _, b := range malformedBodies {
			tests = append(tests, tc{b.name, ann, dev, b.body, b.status, b.code})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := s.MustHistoryLen(t, ann, dev)
				s.MustFail(t, post(tt.sess, tt.ch, tt.body), tt.status, tt.code)
				if after := s.MustHistoryLen(t, ann, dev); after != before {
					t.Fatalf("dev holds %d messages after a refused post, want %d", after, before)
				}
				if n := s.MustHistoryLen(t, ann, priv); n != 0 {
					t.Fatalf("priv holds %d messages, want 0", n)
				}
			})
		}
	})

	t.Run("History", func(t *testing.T) {
		t.Run("OKPublicNotMember", func(t *testing.T) {
			s.MustHistory(t, carl, dev, "")
		})
		t.Run("OKEmpty", func(t *testing.T) {
			resp := s.MustDo(t, Req{Method: "GET", Path: "/messages/" + ws.ID + "/" + priv.ID, Token: ann.AccessToken}, http.StatusOK, nil)
			var raw map[string]json.RawMessage
			resp.Decode(t, &raw)
			if string(raw["messages"]) != "[]" || string(raw["has_more"]) != "false" {
				t.Fatalf("body=%s, want messages [] and has_more false", resp.Body)
			}
		})
		for name, sess := range map[string]*Session{"ErrPrivateNotMember": bob, "ErrOutsider": dave} {
			t.Run(name, func(t *testing.T) {
				s.MustFail(t, Req{Method: "GET", Path: "/messages/" + ws.ID + "/" + priv.ID, Token: sess.AccessToken}, 404, "not_found")
			})
		}
		t.Run("ErrUnknownChannel", func(t *testing.T) {
			s.MustFail(t, Req{Method: "GET", Path: "/messages/" + ws.ID + "/Cnope", Token: ann.AccessToken}, 404, "not_found")
		})
	})

	t.Run("Paging", func(t *testing.T) {
		ch := s.MustCreateChannel(t, ann, ws, "paging", false)
		for i := 1; i <= 7; i++ {
			if m := s.MustPost(t, ann, ch, fmt.Sprintf("m%d", i)); m.Seq != int64(i) {
				t.Fatalf("message %d has seq %d, want %d", i, m.Seq, i)
			}
		}
		seqs := func(s ...int64) []int64 { return s }
		tests := []struct {
			query   string
			want    []int64
			hasMore bool
		}{
			{"", seqs(1, 2, 3, 4, 5, 6, 7), false},
			{"limit=7", seqs(1, 2, 3, 4, 5, 6, 7), false},
			{"limit=200", seqs(1, 2, 3, 4, 5, 6, 7), false},
			{"limit=3", seqs(5, 6, 7), true},
			{"limit=6", seqs(2, 3, 4, 5, 6, 7), true},
			{"limit=1", seqs(7), true},
			{"before=5&limit=3", seqs(2, 3, 4), true},
			{"before=4&limit=3", seqs(1, 2, 3), false},
			{"before=3&limit=3", seqs(1, 2), false},
			{"before=1", seqs(), false},
			{"before=100&limit=2", seqs(6, 7), true},
			{"after=0", seqs(1, 2, 3, 4, 5, 6, 7), false},
			{"after=2&limit=3", seqs(3, 4, 5), true},
			{"after=4&limit=3", seqs(5, 6, 7), false},
			{"after=5&limit=3", seqs(6, 7), false},
			{"after=7", seqs(), false},
			{"after=100", seqs(), false},
			{"limit=", seqs(1, 2, 3, 4, 5, 6, 7), false},
		}
		for _, tt := range tests {
			t.Run("OK_"+tt.query, func(t *testing.T) {
				p := s.MustHistory(t, bob, ch, tt.query)
				if got := p.Seqs(); !slices.Equal(got, tt.want) {
					t.Fatalf("seqs=%v, want %v", got, tt.want)
				} else if p.HasMore != tt.hasMore {
					t.Fatalf("has_more=%v, want %v", p.HasMore, tt.hasMore)
				}
				for _, m := range p.Messages {
					if m.Text != fmt.Sprintf("m%d", m.Seq) {
						t.Fatalf("seq %d has text %q, want m%d", m.Seq, m.Text, m.Seq)
					}
				}
			})
		}

		for _, query := range []string{
			"limit=0", "limit=201", "limit=abc", "limit=-1", "limit=1.5",
			"before=3&after=1", "before=abc", "after=x", "before=0", "after=-1",
		} {
			t.Run("Err_"+query, func(t *testing.T) {
				s.MustFail(t, Req{Method: "GET", Path: "/messages/" + ws.ID + "/" + ch.ID + "?" + query, Token: bob.AccessToken}, 400, "invalid")
			})
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		ch := s.MustCreateChannel(t, ann, ws, "idem", false)
		s.MustJoin(t, ann, ch, bob)
		send := func(t *testing.T, sess *Session, ch *Channel, id, text string) *Message {
			t.Helper()
			resp := s.Do(t, post(sess, ch, map[string]string{"message": text, "client_msg_id": id}))
			if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
				t.Fatalf("status=%d, want 201 (or 200 for a repeat); body %s", resp.Status, resp.Body)
			}
			var m Message
			resp.Decode(t, &m)
			return &m
		}

		t.Run("OK", func(t *testing.T) {
			first := send(t, ann, ch, "c1", "once")
			if first.ClientMsgID != "c1" {
				t.Fatalf("client_msg_id=%q, want c1", first.ClientMsgID)
			}
			again := send(t, ann, ch, "c1", "once")
			if *again != *first {
				t.Fatalf("repeat=%+v, want the first message %+v", again, first)
			}
			if p := s.MustHistory(t, ann, ch, ""); len(p.Messages) != 1 {
				t.Fatalf("history has %d messages, want 1", len(p.Messages))
			}
		})
		t.Run("OKOtherSender", func(t *testing.T) {
			m := send(t, bob, ch, "c1", "bob's own")
			if m.Seq != 2 || m.Sender != bob.Email() {
				t.Fatalf("message=%+v, want a new one, seq 2 from bob", m)
			}
		})
		t.Run("OKOtherChannel", func(t *testing.T) {
			if m := send(t, ann, dev, "c1", "elsewhere"); m.ChannelID != dev.ID || m.Text != "elsewhere" {
				t.Fatalf("message=%+v, want a new one in dev", m)
			}
		})
		t.Run("OKConcurrent", func(t *testing.T) {
			const n = 8
			ids := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					ids[i], errs[i] = postRaw(s.URL, ann.AccessToken, "/messages/"+ws.ID+"/"+ch.ID,
						`{"message":"race","client_msg_id":"c-race"}`)
				})
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("post %d: %v", i, errs[i])
				} else if ids[i] != ids[0] {
					t.Fatalf("post %d got message %s, post 0 got %s, want one message", i, ids[i], ids[0])
				}
			}
			p := s.MustHistory(t, ann, ch, "")
			if len(p.Messages) != 3 {
				t.Fatalf("history has %d messages, want 3 (c1, bob's c1, c-race)", len(p.Messages))
			}
		})
	})
}

func TestDirectMessages(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob, carl, eve := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl"), s.MustSignup(t, "eve")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob, carl)
	s.MustCreateWorkspace(t, eve, "eve's")

	dm := func(from *Session, sender, receiver string, body any) Req {
		return Req{Method: "POST", Path: "/dm/" + sender + "/" + receiver, Token: from.AccessToken, Body: body}
	}
	history := func(t *testing.T, as *Session, a, b, query string) *Page {
		t.Helper()
		var p Page
		s.MustDo(t, Req{Method: "GET", Path: "/dm/" + a + "/" + b + "?" + query, Token: as.AccessToken}, http.StatusOK, &p)
		return &p
	}
	send := func(t *testing.T, from, to *Session, text string) *Message {
		t.Helper()
		var m Message
		s.MustDo(t, dm(from, from.Email(), to.Email(), map[string]string{"message": text}), http.StatusCreated, &m)
		return &m
	}

	t.Run("OK", func(t *testing.T) {
		m1 := send(t, ann, bob, "hi bob")
		m2 := send(t, bob, ann, "hi ann")
		m3 := send(t, ann, bob, "how are you?")
		if m1.Sender != ann.Email() || m1.Receiver != bob.Email() || m1.ChannelID != "" || m1.Seq != 1 {
			t.Fatalf("first=%+v, want seq 1 from ann to bob, no channel", m1)
		} else if m2.Sender != bob.Email() || m2.Receiver != ann.Email() || m2.Seq != 2 {
			t.Fatalf("second=%+v, want seq 2 from bob to ann", m2)
		} else if m3.Seq != 3 || !createdAtRE.MatchString(m3.CreatedAt) {
			t.Fatalf("third=%+v, want seq 3", m3)
		}

		want := history(t, ann, ann.Email(), bob.Email(), "")
		if got := want.Seqs(); !slices.Equal(got, []int64{1, 2, 3}) {
			t.Fatalf("seqs=%v, want [1 2 3]", got)
		} else if *want.Messages[1] != *m2 {
			t.Fatalf("history[1]=%+v, want %+v", want.Messages[1], m2)
		}
		for _, v := range []struct {
			as   *Session
			a, b string
		}{
			{bob, bob.Email(), ann.Email()},
			{bob, ann.Email(), bob.Email()},
			{ann, bob.Email(), ann.Email()},
			{ann, "ANN@EXAMPLE.COM", "Bob@Example.com"},
			{bob, "bob%40example.com", "ann%40example.com"},
		} {
			if got := history(t, v.as, v.a, v.b, ""); !reflect.DeepEqual(got, want) {
				t.Fatalf("GET /dm/%s/%s as %s=%+v, want %+v", v.a, v.b, v.as.Email(), got, want)
			}
		}

		p := history(t, bob, bob.Email(), ann.Email(), "after=1&limit=1")
		if !slices.Equal(p.Seqs(), []int64{2}) || !p.HasMore {
			t.Fatalf("after=1&limit=1: seqs=%v has_more=%v, want [2] and more", p.Seqs(), p.HasMore)
		}
	})

	t.Run("OKOtherConversation", func(t *testing.T) {
		m := send(t, carl, ann, "separate")
		if m.Seq != 1 {
			t.Fatalf("seq=%d, want 1 in a conversation of its own", m.Seq)
		}
		if p := history(t, carl, carl.Email(), bob.Email(), ""); len(p.Messages) != 0 {
			t.Fatalf("carl-bob holds %d messages, want 0", len(p.Messages))
		}
	})

	t.Run("OKAnyCase", func(t *testing.T) {
		var m Message
		s.MustDo(t, dm(bob, "BOB@Example.COM", "carl%40example.com", map[string]string{"message": "case"}), http.StatusCreated, &m)
		if m.Sender != bob.Email() || m.Receiver != carl.Email() {
			t.Fatalf("message=%+v, want from bob to carl", m)
		}
	})

	t.Run("OKIdempotent", func(t *testing.T) {
		before := len(history(t, carl, carl.Email(), bob.Email(), "").Messages)
		body := map[string]string{"message": "once", "client_msg_id": "d1"}
		var first, again Message
		s.MustDo(t, dm(bob, bob.Email(), carl.Email(), body), http.StatusCreated, &first)
		resp := s.Do(t, dm(bob, bob.Email(), carl.Email(), body))
		if resp.Status != http.StatusCreated && resp.Status != http.StatusOK {
			t.Fatalf("repeat status=%d, want 201 or 200", resp.Status)
		}
		resp.Decode(t, &again)
		if again != first {
			t.Fatalf("repeat=%+v, want %+v", again, first)
		}
		if p := history(t, carl, carl.Email(), bob.Email(), ""); len(p.Messages) != before+1 {
			t.Fatalf("history holds %d messages, want %d", len(p.Messages), before+1)
		}
	})

	wantLen := func(t *testing.T, n int) {
		t.Helper()
		if p := history(t, ann, ann.Email(), bob.Email(), ""); len(p.Messages) != n {
			t.Fatalf("ann-bob holds %d messages, want %d", len(p.Messages), n)
		}
	}
	tests := []refusal{
		{"ErrNotSender", dm(ann, bob.Email(), ann.Email(), map[string]string{"message": "as bob"}), 403, "forbidden"},
		{"ErrNotSenderOther", dm(carl, ann.Email(), bob.Email(), map[string]string{"message": "as ann"}), 403, "forbidden"},
		{"ErrNoSharedWorkspace", dm(ann, ann.Email(), eve.Email(), map[string]string{"message": "hi eve"}), 404, "not_found"},
		{"ErrUnknownReceiver", dm(ann, ann.Email(), "nobody@example.com", map[string]string{"message": "hi"}), 404, "not_found"},
		{"ErrBadReceiver", dm(ann, ann.Email(), "nobody", map[string]string{"message": "hi"}), 400, "invalid"},
		{"ErrEmpty", dm(ann, ann.Email(), bob.Email(), map[string]string{"message": "  "}), 400, "invalid"},
		{"ErrTooLong", dm(ann, ann.Email(), bob.Email(), map[string]string{"message": strings.Repeat("x", 40001)}), 400, "invalid"},
		{"ErrWrongType", dm(ann, ann.Email(), bob.Email(), `{"message": ["hi"]}`), 400, "invalid"},
		{"ErrBodyTooLarge", dm(ann, ann.Email(), bob.Email(), map[string]string{"message": strings.Repeat("x", 1<<20+1)}), 413, "too_large"},
		{"ErrReadOthers", Req{Method: "GET", Path: "/dm/" + ann.Email() + "/" + bob.Email(), Token: carl.AccessToken}, 404, "not_found"},
		{"ErrReadBadEmail", Req{Method: "GET", Path: "/dm/" + ann.Email() + "/nobody", Token: ann.AccessToken}, 400, "invalid"},
		{"ErrPaging", Req{Method: "GET", Path: "/dm/" + ann.Email() + "/" + bob.Email() + "?limit=abc", Token: ann.AccessToken}, 400, "invalid"},
		{"ErrPagingBoth", Req{Method: "GET", Path: "/dm/" + ann.Email() + "/" + bob.Email() + "?before=2&after=1", Token: ann.AccessToken}, 400, "invalid"},
	}
	for _, b := range malformedBodies {
		tests = append(tests,
			refusal{b.name, dm(ann, ann.Email(), bob.Email(), b.body), b.status, b.code})
	}
	t.Run("UnknownEmailLooksLikeStranger", func(t *testing.T) {
		// Reading a conversation with an email that has no account must
		// answer as for an account never written to, so that it does not
		// tell which emails are registered.
		unknown := history(t, ann, ann.Email(), "nobody@example.com", "")
		stranger := history(t, ann, ann.Email(), eve.Email(), "")
		if len(unknown.Messages) != 0 || unknown.HasMore != stranger.HasMore || len(stranger.Messages) != 0 {
			t.Fatalf("unknown=%+v stranger=%+v, want both empty", unknown, stranger)
		}
	})
	s.MustRefuseAll(t, tests, func(t *testing.T) {
		wantLen(t, 3)
		if p := history(t, eve, eve.Email(), ann.Email(), ""); len(p.Messages) != 0 {
			t.Fatalf("ann-eve holds %d messages, want 0", len(p.Messages))
		}
	})

	t.Run("OKReadAfterLeaving", func(t *testing.T) {
		// Either end can still read a conversation after they no longer
		// share a workspace; sending needs one (docs/decisions.md).
		s.MustDo(t, Req{Method: "PATCH", Path: "/workspace/out", Token: ann.AccessToken,
			Body: map[string]string{"workspace_id": ws.ID, "user_email": carl.Email()}}, http.StatusOK, nil)
		if p := history(t, carl, carl.Email(), ann.Email(), ""); len(p.Messages) != 1 {
			t.Fatalf("carl-ann holds %d messages, want 1", len(p.Messages))
		}
		s.MustFail(t, dm(carl, carl.Email(), ann.Email(), map[string]string{"message": "still there?"}), 404, "not_found")
		if p := history(t, ann, ann.Email(), carl.Email(), ""); len(p.Messages) != 1 {
			t.Fatalf("ann-carl holds %d messages after a refused send, want 1", len(p.Messages))
		}
	})
}
