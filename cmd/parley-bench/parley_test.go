package main

import (
	"testing"
	"time"
)

// TestSentAtOf checks that a fanout frame's send time is found without
// decoding the frame.
func TestSentAtOf(t *testing.T) {
	at := time.Unix(1700000000, 123456789)
	frame := []byte(`{"type":"message","stream":"C1","pos":3,"message_id":"M1","seq":3,` +
		`"sender":"a@example.com","message":"t=1700000000123456789","createdAt":"x"}`)
	if got, ok := sentAtOf(frame); !ok || !got.Equal(at) {
		t.Errorf("sentAtOf=%v %v, want %v true", got, ok, at)
	}
	if _, ok := sentAtOf([]byte(`{"type":"message","message":"hello"}`)); ok {
		t.Errorf("sentAtOf(a frame without a send time)=true, want false")
	}
}
