package main

import (
	"fmt"
	"slices"
	"testing"
)

func TestThreads(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, eve := f.Server, f.ann, f.bob, f.carl, f.eve
	annC, bobC, carlC, eveC := s.MustConnect(t, ann), s.MustConnect(t, bob), s.MustConnect(t, carl), s.MustConnect(t, eve)

	t.Run("OK", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("a root"))
		if root.ParentID != "" || root.ReplyCount != 0 || root.LastReplyAt != "" {
			t.Fatalf("new root=%+v, want no parent_id, reply_count or last_reply_at", root)
		}

		// Bob replies over HTTP, ann to his reply over the WebSocket, also
		// to the channel: both replies join the root's thread.
		r1 := s.MustSend(t, bob, f.dev, reply("first reply", root.ID, false))
		if r1.ParentID != root.ID || r1.AlsoToChannel || r1.Seq != root.Seq+1 {
			t.Fatalf("reply=%+v, want parent_id %s, not to the channel, seq %d", r1, root.ID, root.Seq+1)
		}
		annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
			"message": "a reply to a reply", "client_msg_id": "t-ok", "parent_id": r1.ID, "also_to_channel": true})
		ack := annC.Next(t, "ack of t-ok", IsAck("t-ok"))

		th := s.MustThread(t, bob, root.ID, "")
		if !slices.Equal(th.IDs(), []string{r1.ID, ack.MessageID}) || th.HasMore {
			t.Fatalf("thread=%v has_more=%v, want [%s %s], false", th.IDs(), th.HasMore, r1.ID, ack.MessageID)
		}
		r2 := th.Messages[1]
		if r2.ParentID != root.ID || !r2.AlsoToChannel || r2.Seq != ack.Seq {
			t.Fatalf("reply to a reply=%+v, want parent_id %s (the root), also_to_channel, seq %d", r2, root.ID, ack.Seq)
		}
		if th.Root.ID != root.ID || th.Root.ReplyCount != 2 || th.Root.LastReplyAt != r2.CreatedAt {
			t.Fatalf("root reply_count=%d last_reply_at=%q, want 2, %q", th.Root.ReplyCount, th.Root.LastReplyAt, r2.CreatedAt)
		}

		// History leaves out the reply that was not sent to the channel,
		// unless every reply is asked for; the root carries its counts.
		p := s.MustFullHistory(t, carl, f.dev, "")
		if got := p.IDs(); !slices.Contains(got, root.ID) || slices.Contains(got, r1.ID) || !slices.Contains(got, r2.ID) {
			t.Fatalf("history=%v, want the root %s and %s but not %s", got, root.ID, r2.ID, r1.ID)
		}
		all := s.MustFullHistory(t, carl, f.dev, "include_replies=true")
		if got := all.IDs(); !slices.Contains(got, r1.ID) || len(got) != len(p.Messages)+1 {
			t.Fatalf("history with replies=%v, want %v and %s", got, p.IDs(), r1.ID)
		}
		if m := s.MustMessage(t, ann, f.dev, root.ID); m.ReplyCount != 2 || m.LastReplyAt != r2.CreatedAt {
			t.Fatalf("root in history reply_count=%d last_reply_at=%q, want 2, %q", m.ReplyCount, m.LastReplyAt, r2.CreatedAt)
		}

		// Each member gets each reply and the root's update after it;
		// carl, who may read dev but is not in it, and eve get neither.
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if m := EventOf(t, c.Find(t, name+"'s copy of r2", IsMessage(r2.ID))); m.ParentID != root.ID || !m.AlsoToChannel {
				t.Fatalf("%s got reply %+v, want parent_id %s, also_to_channel", name, m.FullMessage, root.ID)
			}
			c.Find(t, name+"'s copy of r1", IsMessage(r1.ID))
			for n, want := range map[int]string{1: r1.CreatedAt, 2: r2.CreatedAt} {
				e := EventOf(t, c.Find(t, fmt.Sprintf("%s's thread_reply %d", name, n), func(f Frame) bool {
					return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == n
				}))
				if e.LastReplyAt != want || e.Text != "a root" || e.ParentID != "" {
					t.Fatalf("%s got thread_reply %+v, want the root with last_reply_at %q", name, e.FullMessage, want)
				}
			}
		}
		s.MustSettle(t, ann, f.general, carlC)
		s.MustSettle(t, eve, f.evesGeneral, eveC)
		for name, c := range map[string]*WSClient{"carl": carlC, "eve": eveC} {
			c.MustNotHave(t, name, "frame of dev's thread", func(f Frame) bool {
				return f.MessageID == root.ID || f.MessageID == r1.ID || f.MessageID == r2.ID
			})
		}
	})

	t.Run("OKIdempotent", func(t *testing.T) {
		// A reply sent twice with the same client_msg_id is one reply:
		// the count does not move and nothing is pushed again.
		root := s.MustSend(t, ann, f.dev, text("idempotent root"))
		body := map[string]any{"message": "once", "parent_id": root.ID, "client_msg_id": "rep-1"}
		first := s.MustSend(t, bob, f.dev, body)
		again := s.MustSend(t, bob, f.dev, body)
		if again.ID != first.ID || again.Seq != first.Seq {
			t.Fatalf("repeat=%s/%d, want %s/%d", again.ID, again.Seq, first.ID, first.Seq)
		}
		bobC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
			"message": "once", "parent_id": root.ID, "client_msg_id": "rep-1"})
		if ack := bobC.Next(t, "ack of rep-1", IsAck("rep-1")); ack.MessageID != first.ID {
			t.Fatalf("WebSocket repeat acked %s, want %s", ack.MessageID, first.ID)
		}
		th := s.MustThread(t, ann, root.ID, "")
		if th.Root.ReplyCount != 1 || len(th.Messages) != 1 || th.Root.LastReplyAt != first.CreatedAt {
			t.Fatalf("root reply_count=%d with %d replies, last_reply_at %q; want 1, 1, %q",
				th.Root.ReplyCount, len(th.Messages), th.Root.LastReplyAt, first.CreatedAt)
		}
		s.MustSettle(t, ann, f.dev, annC, bobC)
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			if n := c.Count(IsEvent("thread_reply", root.ID)); n != 1 {
				t.Fatalf("%s got %d thread_reply frames, want 1", name, n)
			} else if n := c.Count(IsMessage(first.ID)); n != 1 {
				t.Fatalf("%s got %d copies of the reply, want 1", name, n)
			}
		}
	})

	t.Run("OKConcurrent", func(t *testing.T) {
		// Replies sent at once, over HTTP and the WebSocket, each count
		// once, and last_reply_at is the last reply's.
		root := s.MustSend(t, ann, f.dev, text("a busy root"))
		const n = 8
		statuses := concurrently(t, n, func(i int) (int, []byte, error) {
			token := []string{ann.AccessToken, bob.AccessToken}[i%2]
			body := fmt.Sprintf(`{"message":"r%d","parent_id":%q,"client_msg_id":"c%d"}`, i, root.ID, i)
			return doRaw(s.URL, "POST", "/messages/"+f.ws.ID+"/"+f.dev.ID, token, body)
		})
		if count(statuses, 201) != n {
			t.Fatalf("statuses=%v, want all 201", statuses)
		}
		for i := range n {
			annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
				"message": "ws", "parent_id": root.ID, "client_msg_id": fmt.Sprint("busy-", i)})
		}
		for i := range n {
			annC.Next(t, "ack", IsAck(fmt.Sprint("busy-", i)))
		}
		th := s.MustThread(t, bob, root.ID, "limit=200")
		if th.Root.ReplyCount != 2*n || len(th.Messages) != 2*n {
			t.Fatalf("reply_count=%d with %d replies, want %d", th.Root.ReplyCount, len(th.Messages), 2*n)
		} else if last := th.Messages[2*n-1]; th.Root.LastReplyAt != last.CreatedAt {
			t.Fatalf("last_reply_at=%q, want %q, the last reply's", th.Root.LastReplyAt, last.CreatedAt)
		}
		bobC.Find(t, "the last thread_reply", func(f Frame) bool {
			return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == 2*n
		})
	})

	t.Run("OKPaging", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("a long thread"))
		var want []string
		for i := range 5 {
			want = append(want, s.MustSend(t, bob, f.dev, reply(fmt.Sprint("reply ", i), root.ID, false)).ID)
			if i == 2 {
				s.MustSend(t, ann, f.dev, text("between")) // a message outside the thread
			}
		}
		th := s.MustThread(t, ann, root.ID, "limit=2")
		if !slices.Equal(th.IDs(), want[3:]) || !th.HasMore {
			t.Fatalf("newest 2=%v has_more=%v, want %v, true", th.IDs(), th.HasMore, want[3:])
		}
		th = s.MustThread(t, ann, root.ID, "limit=2&after=0")
		if !slices.Equal(th.IDs(), want[:2]) || !th.HasMore {
			t.Fatalf("oldest 2=%v has_more=%v, want %v, true", th.IDs(), th.HasMore, want[:2])
		}
		th = s.MustThread(t, ann, root.ID, fmt.Sprintf("limit=2&after=%d", th.Messages[1].Seq))
		if !slices.Equal(th.IDs(), want[2:4]) || !th.HasMore {
			t.Fatalf("next 2=%v has_more=%v, want %v, true", th.IDs(), th.HasMore, want[2:4])
		}
		th = s.MustThread(t, ann, root.ID, fmt.Sprintf("before=%d", th.Messages[0].Seq))
		if !slices.Equal(th.IDs(), want[:2]) || th.HasMore {
			t.Fatalf("before=%v has_more=%v, want %v, false", th.IDs(), th.HasMore, want[:2])
		}
		// Asked by one of its replies, the thread is the root's.
		if th := s.MustThread(t, carl, want[2], "limit=200"); th.Root.ID != root.ID || !slices.Equal(th.IDs(), want) {
			t.Fatalf("thread of a reply: root %s replies %v, want %s, %v", th.Root.ID, th.IDs(), root.ID, want)
		}
		// A message without replies has an empty thread.
		alone := s.MustSend(t, ann, f.dev, text("alone"))
		if th := s.MustThread(t, ann, alone.ID, ""); len(th.Messages) != 0 || th.HasMore {
			t.Fatalf("thread of a message without replies=%v, want none", th.IDs())
		}
	})

	t.Run("DM", func(t *testing.T) {
		// Threads work in a direct conversation: bob replies over the
		// WebSocket, ann to his reply over HTTP.
		root := s.MustSendDM(t, ann, bob, text("a DM root"))
		bobC.Send(t, map[string]any{"action": "dmChat", "receiver": ann.Email(), "message": "dm reply",
			"parent_id": root.ID, "client_msg_id": "dm-t-1"})
		ack := bobC.Next(t, "ack of dm-t-1", IsAck("dm-t-1"))
		r2 := s.MustSendDM(t, ann, bob, reply("dm reply to a reply", ack.MessageID, false))
		if r2.ParentID != root.ID || r2.Receiver != bob.Email() {
			t.Fatalf("reply=%+v, want parent_id %s, to bob", r2, root.ID)
		}

		for _, as := range []*Session{ann, bob} {
			th := s.MustThread(t, as, root.ID, "")
			if th.Root.ReplyCount != 2 || th.Root.LastReplyAt != r2.CreatedAt ||
				!slices.Equal(th.IDs(), []string{ack.MessageID, r2.ID}) {
				t.Fatalf("DM thread as %s: reply_count=%d last_reply_at=%q replies=%v; want 2, %q, [%s %s]",
					as.Email(), th.Root.ReplyCount, th.Root.LastReplyAt, th.IDs(), r2.CreatedAt, ack.MessageID, r2.ID)
			}
		}
		if got := s.MustDMHistory(t, bob, ann, "").IDs(); !slices.Contains(got, root.ID) ||
			slices.Contains(got, ack.MessageID) || slices.Contains(got, r2.ID) {
			t.Fatalf("DM history=%v, want the root without its replies", got)
		}
		if got := s.MustDMHistory(t, bob, ann, "include_replies=true").IDs(); !slices.Contains(got, r2.ID) {
			t.Fatalf("DM history with replies=%v, want %s in it", got, r2.ID)
		}

		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC} {
			c.Find(t, name+"'s reply", IsMessage(r2.ID))
			c.Find(t, name+"'s thread_reply", func(f Frame) bool {
				return IsEvent("thread_reply", root.ID)(f) && eventOf(f).ReplyCount == 2
			})
		}
		s.MustSettle(t, ann, f.general, carlC)
		carlC.MustNotHave(t, "carl", "frame of ann and bob's DM", func(f Frame) bool {
			return f.MessageID == root.ID || f.MessageID == r2.ID || f.MessageID == ack.MessageID
		})
		s.MustFail(t, threadReq(carl, root.ID, ""), 404, "not_found")
		s.MustFail(t, dmReq(ann, carl, reply("x", root.ID, false)), 400, "invalid")
		s.MustFail(t, dmReq(ann, bob, reply("x", s.MustPost(t, ann, f.dev, "in dev").ID, false)), 400, "invalid")
	})

	t.Run("Errors", func(t *testing.T) {
		root := s.MustSend(t, ann, f.dev, text("a root that takes no bad replies"))
		inGeneral := s.MustPost(t, ann, f.general, "in general")
		inPriv := s.MustPost(t, ann, f.priv, "in priv")
		dm := s.MustSendDM(t, ann, bob, text("a DM"))
		evesMsg := s.MustPost(t, eve, f.evesGeneral, "eve's")

		tests := []refusal{
			{"ErrUnknownParent", postReq(ann, f.dev, reply("x", "Mnope", false)), 400, "invalid"},
			{"ErrParentOtherChannel", postReq(ann, f.dev, reply("x", inGeneral.ID, false)), 400, "invalid"},
			{"ErrParentInDM", postReq(ann, f.dev, reply("x", dm.ID, false)), 400, "invalid"},
			{"ErrParentOtherWorkspace", postReq(eve, f.evesGeneral, reply("x", root.ID, false)), 400, "invalid"},
			{"ErrParentInvisible", postReq(carl, f.general, reply("x", inPriv.ID, false)), 400, "invalid"},
			{"ErrParentType", postReq(ann, f.dev, map[string]any{"message": "x", "parent_id": 5}), 400, "invalid"},
			{"ErrAlsoToChannelType", postReq(ann, f.dev,
				map[string]any{"message": "x", "parent_id": root.ID, "also_to_channel": "yes"}), 400, "invalid"},
			{"ErrEmptyReply", postReq(ann, f.dev, reply(" ", root.ID, false)), 400, "invalid"},
			{"ErrPublicNotMember", postReq(carl, f.dev, reply("x", root.ID, false)), 403, "forbidden"},
			{"ErrPrivateNotMember", postReq(carl, f.priv, reply("x", inPriv.ID, false)), 404, "not_found"},
			{"ErrOutsider", postReq(eve, f.dev, reply("x", root.ID, false)), 404, "not_found"},
			{"ErrThreadUnknown", threadReq(ann, "Mnope", ""), 404, "not_found"},
			{"ErrThreadPrivate", threadReq(carl, inPriv.ID, ""), 404, "not_found"},
			{"ErrThreadOutsider", threadReq(eve, root.ID, ""), 404, "not_found"},
			{"ErrThreadOtherWorkspace", threadReq(ann, evesMsg.ID, ""), 404, "not_found"},
			{"ErrThreadLimit", threadReq(ann, root.ID, "limit=0"), 400, "invalid"},
			{"ErrThreadLimitHigh", threadReq(ann, root.ID, "limit=201"), 400, "invalid"},
			{"ErrThreadBeforeAndAfter", threadReq(ann, root.ID, "before=5&after=1"), 400, "invalid"},
			{"ErrThreadNotANumber", threadReq(ann, root.ID, "after=x"), 400, "invalid"},
			{"ErrThreadNoToken", Req{Method: "GET", Path: "/thread/" + root.ID}, 401, "unauthorized"},
			{"ErrIncludeReplies", historyReq(ann, f.dev, "include_replies=maybe"), 400, "invalid"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := s.MustFullHistory(t, ann, f.dev, "include_replies=true&limit=200")
				s.MustFail(t, tt.req, tt.status, tt.code)
				after := s.MustFullHistory(t, ann, f.dev, "include_replies=true&limit=200")
				if len(after.Messages) != len(before.Messages) {
					t.Fatalf("dev holds %d messages after a refused request, want %d",
						len(after.Messages), len(before.Messages))
				}
				if th := s.MustThread(t, ann, root.ID, ""); th.Root.ReplyCount != 0 || len(th.Messages) != 0 {
					t.Fatalf("root reply_count=%d with %d replies, want none", th.Root.ReplyCount, len(th.Messages))
				}
			})
		}

		t.Run("ErrWebSocket", func(t *testing.T) {
			annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
				"message": "x", "parent_id": inGeneral.ID, "client_msg_id": "bad-parent"})
			e := annC.Next(t, "error for bad-parent", func(f Frame) bool { return f.ClientMsgID == "bad-parent" })
			if e.Type != "error" || e.Code != "invalid" || e.ClientMsgID != "bad-parent" {
				t.Fatalf("frame=%+v, want an invalid error for bad-parent", e)
			}
			annC.Send(t, map[string]any{"action": "dmChat", "receiver": bob.Email(), "message": "x",
				"parent_id": root.ID, "client_msg_id": "bad-dm-parent"})
			e = annC.Next(t, "error for bad-dm-parent", func(f Frame) bool { return f.ClientMsgID == "bad-dm-parent" })
			if e.Type != "error" || e.Code != "invalid" || e.ClientMsgID != "bad-dm-parent" {
				t.Fatalf("frame=%+v, want an invalid error for bad-dm-parent", e)
			}
			annC.Ping(t)
		})

		t.Run("OKPublicNotMemberReads", func(t *testing.T) {
			// Who may see the root may read its thread.
			s.MustThread(t, carl, root.ID, "")
		})
	})
}
