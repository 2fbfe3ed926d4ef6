package storetest

import (
	"testing"

	"github.com/parleychat/parley"
)

var storeCases = []testCase{
	{"Ping/OK", testPingOK},
	{"Close/CallsAfterCloseFail", testCloseCallsAfterFail},
}

func testPingOK(t *testing.T, s parley.Store) {
	checkOK(t, "Ping", s.Ping(t.Context()))
}

func testCloseCallsAfterFail(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	checkOK(t, "Close", s.Close())

	if err := s.Ping(t.Context()); err == nil {
		t.Fatalf("Ping after Close: err=nil, want an error")
	}
	if _, err := s.User(t.Context(), ann.ID); err == nil {
		t.Fatalf("User after Close: err=nil, want an error")
	}
	if err := s.CreateUser(t.Context(), NewUser("Bob"), ""); err == nil {
		t.Fatalf("CreateUser after Close: err=nil, want an error")
	}
	if _, _, err := s.AppendMessage(t.Context(), NewChannelMessage(ch, ann, "late")); err == nil {
		t.Fatalf("AppendMessage after Close: err=nil, want an error")
	}
}
