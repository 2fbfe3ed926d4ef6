package app

import (
	"slices"
	"testing"
	"time"

	"github.com/parleychat/parley"
)

func TestPosition(t *testing.T) {
	change := &parley.Change{Stream: "C1", Pos: 42, Type: parley.EventMessage}
	to := []string{"U1"}
	withPos, err := parley.NewChangeEvent(change, to, map[string]any{"pos": 7, "n": []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := parley.NewEvent(EventTyping, to, map[string]any{"stream": "C9", "pos": 3})
	if err != nil {
		t.Fatal(err)
	}
	nested, err := parley.NewEvent(EventTyping, to, map[string]any{"a": map[string]int{"pos": 3}})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		frame  []byte
		stream string
		pos    int64
		ok     bool
	}{
		{"Change", withPos.Frame, "C1", 42, true},
		// A payload's own fields of those names are not the head.
		{"Event", plain.Frame, "", 0, false},
		{"Nested", nested.Frame, "", 0, false},
		{"Empty", []byte(`{}`), "", 0, false},
		{"NotJSON", []byte(`nope`), "", 0, false},
		{"Truncated", []byte(`{"type":"message","stream":"C1"`), "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream, pos, ok := position(tt.frame)
			if stream != tt.stream || pos != tt.pos || ok != tt.ok {
				t.Fatalf("position=(%q, %d, %v), want (%q, %d, %v)",
					stream, pos, ok, tt.stream, tt.pos, tt.ok)
			}
		})
	}
}

func TestStaleAfter(t *testing.T) {
	event := func(typ string, payload any) *parley.Event {
		e, err := parley.NewEvent(typ, []string{"U1"}, payload)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	joined := &MembershipEvent{WorkspaceID: "W1", ChannelID: "C1", UserID: "U1",
		Channel: &parley.Channel{ID: "C1", WorkspaceID: "W1"}}
	inChannel := &MembershipEvent{WorkspaceID: "W1", ChannelID: "C1"}
	inWorkspace := &MembershipEvent{WorkspaceID: "W1", UserID: "U1"}
	channel := &parley.Channel{ID: "C1", WorkspaceID: "W1"}

	tests := []struct {
		name  string
		event *parley.Event
		ids   []string // nil with ok: everything
		ok    bool
	}{
		{"JoinedChannel", event(EventMemberJoinedChannel, joined), []string{"C1"}, true},
		{"LeftChannel", event(EventMemberLeftChannel, inChannel), []string{"C1"}, true},
		{"ChannelCreated", event(EventChannelCreated, joined), []string{"C1"}, true},
		{"ChannelDeleted", event(EventChannelDeleted, inChannel), []string{"C1"}, true},
		{"ChannelUpdated", event(parley.EventChannelUpdated, channel), []string{"C1"}, true},
		{"ChannelUpdatedGone", event(parley.EventChannelUpdated, channelFact{ID: "C1", WorkspaceID: "W1"}),
			[]string{"C1"}, true},
		{"JoinedWorkspace", event(EventMemberJoinedWorkspace, inWorkspace), []string{"W1"}, true},
		{"LeftWorkspace", event(EventMemberLeftWorkspace, inWorkspace), nil, true},
		{"WorkspaceDeleted", event(EventWorkspaceDeleted, inWorkspace), nil, true},
		{"NoID", event(EventMemberJoinedChannel, map[string]string{}), nil, true},
		{"Message", event(parley.EventMessage, map[string]string{"channel_id": "C1"}), nil, false},
		{"Presence", event(EventPresenceChange, &PresenceEvent{UserID: "U1"}), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, ok := staleAfter(tt.event)
			if !slices.Equal(ids, tt.ids) || ok != tt.ok {
				t.Fatalf("staleAfter=(%q, %v), want (%q, %v)", ids, ok, tt.ids, tt.ok)
			}
		})
	}
}

func TestPushOrderPassed(t *testing.T) {
	// wait starts the push of pos in the background and returns a channel
	// closed when it has run.
	wait := func(po *pushOrder, stream string, pos int64) chan struct{} {
		done := make(chan struct{})
		go po.inOrder(stream, pos, func() { close(done) })
		return done
	}
	// must fails unless done closes well before maxOrderWait.
	must := func(t *testing.T, done chan struct{}, what string) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(maxOrderWait / 2):
			t.Fatalf("%s still waits after %v", what, maxOrderWait/2)
		}
	}

	t.Run("OK", func(t *testing.T) {
		var po pushOrder
		po.inOrder("C1", 4, func() {})
		six := wait(&po, "C1", 6)
		// The push of 6 waits for 5, which another node stored.
		select {
		case <-six:
			t.Fatal("6 pushed before 5 passed")
		case <-time.After(20 * time.Millisecond):
		}
		po.passed("C1", 5)
		must(t, six, "the push of 6")
	})

	t.Run("CutOff", func(t *testing.T) {
		// Cut off from the other nodes, this one waits for none of their
		// positions; once it hears them again, it waits as before.
		var po pushOrder
		po.inOrder("C1", 4, func() {})
		po.cutOff.Store(true)
		must(t, wait(&po, "C1", 6), "the push of 6, cut off")
		po.cutOff.Store(false)
		eight := wait(&po, "C1", 8)
		select {
		case <-eight:
			t.Fatal("8 pushed before 7 passed, though no longer cut off")
		case <-time.After(20 * time.Millisecond):
		}
		po.passed("C1", 7)
		must(t, eight, "the push of 8")
	})

	t.Run("Skipped", func(t *testing.T) {
		// 7 arrives from one node before 5 from another: 6 waits no more.
		var po pushOrder
		po.inOrder("C1", 4, func() {})
		six := wait(&po, "C1", 6)
		eight := wait(&po, "C1", 8)
		po.passed("C1", 7)
		must(t, six, "the push of 6")
		must(t, eight, "the push of 8")
	})

	t.Run("Unknown", func(t *testing.T) {
		// A stream first heard of from elsewhere expects what follows.
		var po pushOrder
		po.passed("C1", 9)
		must(t, wait(&po, "C1", 10), "the push of 10")
	})
}
