package sqlite_test

import (
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/storetest"
)

// Expiry of a reset code is judged by the store's clock, and an expired
// code is removed: turning the clock back does not revive it.
func TestConsumeResetCode_Clock(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	expiresAt := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []*parley.ResetCode{
		{Hash: "valid", UserID: ann.ID, ExpiresAt: expiresAt},
		{Hash: "expired", UserID: bob.ID, ExpiresAt: expiresAt},
	} {
		if err := s.CreateResetCode(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}

	s.Now = func() time.Time { return expiresAt.Add(-time.Millisecond) }
	if c, err := s.ConsumeResetCode(t.Context(), "valid"); err != nil {
		t.Fatalf("ConsumeResetCode before expiry: %v", err)
	} else if !c.ExpiresAt.Equal(expiresAt) || c.UserID != ann.ID {
		t.Fatalf("ResetCode=%+v, want Ann's, expiring at %v", c, expiresAt)
	}

	s.Now = func() time.Time { return expiresAt }
	if _, err := s.ConsumeResetCode(t.Context(), "expired"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("ConsumeResetCode at expiry: err=%v, want code %q", err, parley.ENOTFOUND)
	}
	s.Now = func() time.Time { return expiresAt.Add(-time.Hour) }
	if _, err := s.ConsumeResetCode(t.Context(), "expired"); parley.ErrorCode(err) != parley.ENOTFOUND {
		t.Fatalf("ConsumeResetCode after the clock went back: err=%v, want code %q",
			err, parley.ENOTFOUND)
	}
}

// A code whose hash is another user's code is refused, and takes nothing
// from that user; a code of a user that does not exist is refused too.
func TestCreateResetCode_Errors(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	expiresAt := time.Now().Add(time.Hour)
	if err := s.CreateResetCode(t.Context(), &parley.ResetCode{
		Hash: "same", UserID: ann.ID, ExpiresAt: expiresAt,
	}); err != nil {
		t.Fatal(err)
	}

	err := s.CreateResetCode(t.Context(), &parley.ResetCode{
		Hash: "same", UserID: bob.ID, ExpiresAt: expiresAt,
	})
	if code := parley.ErrorCode(err); code != parley.ECONFLICT {
		t.Fatalf("CreateResetCode with another user's hash: err=%v, want code %q",
			err, parley.ECONFLICT)
	}
	err = s.CreateResetCode(t.Context(), &parley.ResetCode{
		Hash: "other", UserID: "no-such-user", ExpiresAt: expiresAt,
	})
	if code := parley.ErrorCode(err); code != parley.ENOTFOUND {
		t.Fatalf("CreateResetCode of a missing user: err=%v, want code %q", err, parley.ENOTFOUND)
	}

	if c, err := s.ConsumeResetCode(t.Context(), "same"); err != nil {
		t.Fatalf("ConsumeResetCode: %v", err)
	} else if c.UserID != ann.ID {
		t.Fatalf("UserID=%q, want %q", c.UserID, ann.ID)
	}
}
