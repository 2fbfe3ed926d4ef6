package parley_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parleychat/parley"
)

// testMessage is a message as a push carries it.
var testMessage = &parley.Message{
	ID: "MABCDEFGHIJKLMNOPQRSTUVWXYZ", Seq: 42, WorkspaceID: "W1", ChannelID: "C1",
	SenderID: "U1", Sender: "ann@example.com", Text: "hello, world",
	CreatedAt: parley.NewTime(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)),
}

// TestNewChangeEvent checks that a change's frame is one JSON object with
// its type, stream and position first and the payload's fields after.
func TestNewChangeEvent(t *testing.T) {
	c := &parley.Change{Stream: "C1", Pos: 7, Type: parley.EventMessage}
	e, err := parley.NewChangeEvent(c, []string{"U1"}, testMessage)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(e.Frame, &got); err != nil {
		t.Fatalf("frame is not JSON: %v: %s", err, e.Frame)
	}
	if got["type"] != "message" || got["stream"] != "C1" || got["pos"] != 7.0 || got["message_id"] != testMessage.ID {
		t.Fatalf("frame=%s, want type, stream, pos and the message's fields", e.Frame)
	}

	if _, err := parley.NewChangeEvent(c, nil, "not an object"); err == nil {
		t.Fatal("a payload that is not an object: no error")
	}
	e, err = parley.NewChangeEvent(c, nil, struct{}{})
	if err != nil || string(e.Frame) != `{"type":"message","stream":"C1","pos":7}` {
		t.Fatalf("empty payload: frame=%s, err=%v", e.Frame, err)
	}
}

// BenchmarkNewChangeEvent measures the encoding of a pushed message, which
// every send pays once, whatever the number of receivers.
func BenchmarkNewChangeEvent(b *testing.B) {
	c := &parley.Change{Stream: "C1", Pos: 7, Type: parley.EventMessage}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parley.NewChangeEvent(c, nil, testMessage); err != nil {
			b.Fatal(err)
		}
	}
}
