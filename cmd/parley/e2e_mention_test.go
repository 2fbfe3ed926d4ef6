package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMentions(t *testing.T) {
	t.Parallel()
	f := newDepthFixture(t)
	s, ann, bob, carl, dave, eve := f.Server, f.ann, f.bob, f.carl, f.dave, f.eve
	at := func(sess *Session) string { return "<@" + sess.User.ID + ">" }

	// Nobody has a connection open yet: <!here> is tested last.
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"OKMember", "hi " + at(bob), ids(bob)},
		{"OKTwo", at(dave) + " and " + at(bob), ids(dave, bob)},
		{"OKLabel", "<@" + bob.User.ID + "|bob> look", ids(bob)},
		{"OKOnce", at(bob) + at(bob) + " " + at(bob), ids(bob)},
		{"OKWorkspaceNotChannel", "hi " + at(carl), nil},
		{"OKOutsider", "hi " + at(eve), nil},
		{"OKUnknown", "hi <@Unope>", nil},
		{"OKMemberAndNot", at(carl) + " " + at(bob), ids(bob)},
		{"OKChannel", "<!channel> listen", ids(bob, dave)},
		{"OKChannelLabel", "<!channel|channel> listen", ids(bob, dave)},
		{"OKNone", "plain <b>text</b> and <@> and <!everyone>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Users named one by one are listed in the order of their
			// first mention; <!channel> names them in no order.
			m := s.MustSend(t, ann, f.dev, text(tt.text))
			if strings.Contains(tt.text, "<!") && (!sameSet(m.Mentions, tt.want) || len(m.Mentions) != len(tt.want)) {
				t.Fatalf("mentions=%v, want %v", m.Mentions, tt.want)
			} else if !strings.Contains(tt.text, "<!") && !slices.Equal(m.Mentions, tt.want) {
				t.Fatalf("mentions=%v, want %v", m.Mentions, tt.want)
			}
			if h := s.MustMessage(t, carl, f.dev, m.ID); !slices.Equal(h.Mentions, m.Mentions) {
				t.Fatalf("history mentions=%v, want %v", h.Mentions, m.Mentions)
			}
		})
	}

	t.Run("OKPrivate", func(t *testing.T) {
		m := s.MustSend(t, bob, f.priv, text(at(ann)+" "+at(dave)+" <!channel>"))
		if !slices.Equal(m.Mentions, ids(ann)) {
			t.Fatalf("mentions=%v, want ann's only: dave is not in priv", m.Mentions)
		}
	})

	t.Run("OKDM", func(t *testing.T) {
		m := s.MustSendDM(t, ann, bob, text(at(bob)+" "+at(carl)))
		if !slices.Equal(m.Mentions, ids(bob)) {
			t.Fatalf("DM mentions=%v, want bob's only", m.Mentions)
		}
	})

	t.Run("OKHere", func(t *testing.T) {
		// <!here> mentions the members with a connection open, but the
		// sender: bob and ann are connected, dave and carl are not.
		annC, bobC := s.MustConnect(t, ann), s.MustConnect(t, bob)
		m := s.MustSend(t, ann, f.dev, text("<!here> who is around?"))
		if !slices.Equal(m.Mentions, ids(bob)) {
			t.Fatalf("mentions=%v, want bob's only", m.Mentions)
		}
		// Over the WebSocket too, and the pushed message carries them.
		daveC := s.MustConnect(t, dave)
		s.MustConnect(t, carl) // online, but not in dev
		annC.Send(t, map[string]any{"action": "channelChat", "workspace_id": f.ws.ID, "channel_id": f.dev.ID,
			"message": "<!here|here> again", "client_msg_id": "here-2"})
		ack := annC.Next(t, "ack of here-2", IsAck("here-2"))
		for name, c := range map[string]*WSClient{"ann": annC, "bob": bobC, "dave": daveC} {
			if e := EventOf(t, c.Find(t, name+"'s copy", IsMessage(ack.MessageID))); !sameSet(e.Mentions, ids(bob, dave)) {
				t.Fatalf("%s got mentions %v, want bob's and dave's", name, e.Mentions)
			}
		}
		// A connection closed is offline again.
		daveC.Conn.Close()
		WaitFor(t, "dave to be offline", time.Now().Add(timeout), func() bool {
			m := s.MustSend(t, ann, f.dev, text("<!here> still?"))
			return slices.Equal(m.Mentions, ids(bob))
		})
	})
}
