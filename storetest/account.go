package storetest

import (
	"testing"
	"time"

	"github.com/parleychat/parley"
)

var accountCases = []testCase{
	{"CreateUser/Deactivated", testCreateUserDeactivated},
	{"SetPassword/OK", testSetPasswordOK},
	{"SetPassword/ErrNotFound", testSetPasswordErrNotFound},
	{"ResetCode/SingleUse", testResetCodeSingleUse},
	{"ResetCode/Expired", testResetCodeExpired},
	{"ResetCode/NewestOnly", testResetCodeNewestOnly},
	{"ResetCode/Concurrent", testResetCodeConcurrent},
}

// Every read of a user carries Deactivated as it was stored, and a
// deactivated user keeps its credentials: refusing the login is the
// service's.
func testCreateUserDeactivated(t *testing.T, s parley.Store) {
	gone := NewUser("Gone")
	gone.Deactivated = true
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), gone, "$argon2id$hash"))
	ann := MustCreateUser(t, s, "Ann")

	got, err := s.User(t.Context(), gone.ID)
	checkOK(t, "User", err)
	checkUser(t, got, gone)
	checkBool(t, "User.Deactivated", got.Deactivated, true)

	got, err = s.UserByEmail(t.Context(), gone.Email)
	checkOK(t, "UserByEmail", err)
	checkUser(t, got, gone)
	checkBool(t, "UserByEmail.Deactivated", got.Deactivated, true)

	list, err := s.Users(t.Context(), []string{ann.ID, gone.ID})
	checkOK(t, "Users", err)
	if len(list) != 2 {
		t.Fatalf("len(Users)=%d, want 2", len(list))
	}
	for _, u := range list {
		checkBool(t, "Users["+u.ID+"].Deactivated", u.Deactivated, u.ID == gone.ID)
	}

	c, err := s.Credentials(t.Context(), gone.Email)
	checkOK(t, "Credentials", err)
	if c.UserID != gone.ID || c.PasswordHash != "$argon2id$hash" {
		t.Fatalf("Credentials=%+v, want user %q with hash %q", c, gone.ID, "$argon2id$hash")
	}
}

// The new hash replaces the old one, of that user only.
func testSetPasswordOK(t *testing.T, s parley.Store) {
	ann, bob := NewUser("Ann"), NewUser("Bob")
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), ann, "old-ann"))
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), bob, "old-bob"))

	checkOK(t, "SetPassword", s.SetPassword(t.Context(), ann.ID, "new-ann"))

	checkPasswordHash(t, s, ann, "new-ann")
	checkPasswordHash(t, s, bob, "old-bob")
	got, err := s.User(t.Context(), ann.ID)
	checkOK(t, "User", err)
	checkUser(t, got, ann)
}

func testSetPasswordErrNotFound(t *testing.T, s parley.Store) {
	ann := NewUser("Ann")
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), ann, "old-ann"))

	id := NewID("user")
	checkCode(t, s.SetPassword(t.Context(), id, "new"), parley.ENOTFOUND)
	_, err := s.User(t.Context(), id)
	checkCode(t, err, parley.ENOTFOUND)
	checkPasswordHash(t, s, ann, "old-ann")
}

func testResetCodeSingleUse(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	c := newResetCode(u, time.Hour)
	checkOK(t, "CreateResetCode", s.CreateResetCode(t.Context(), c))

	got, err := s.ConsumeResetCode(t.Context(), c.Hash)
	checkOK(t, "ConsumeResetCode", err)
	checkResetCode(t, got, c)

	got, err = s.ConsumeResetCode(t.Context(), c.Hash)
	checkFailed(t, "second ConsumeResetCode", got, err, parley.ENOTFOUND)
	_, err = s.ConsumeResetCode(t.Context(), NewID("hash"))
	checkCode(t, err, parley.ENOTFOUND)
}

// The suite cannot move a store's clock, so it stores a code that expired
// already. It is removed: a second call finds nothing either.
func testResetCodeExpired(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	c := newResetCode(u, -time.Minute)
	checkOK(t, "CreateResetCode", s.CreateResetCode(t.Context(), c))

	got, err := s.ConsumeResetCode(t.Context(), c.Hash)
	checkFailed(t, "ConsumeResetCode", got, err, parley.ENOTFOUND)
	_, err = s.ConsumeResetCode(t.Context(), c.Hash)
	checkCode(t, err, parley.ENOTFOUND)
}

// A new code of a user replaces the earlier one, so an operator who hands
// out a second code voids the first; other users' codes stay.
func testResetCodeNewestOnly(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	first, second := newResetCode(ann, time.Hour), newResetCode(ann, 2*time.Hour)
	bobs := newResetCode(bob, time.Hour)
	checkOK(t, "CreateResetCode", s.CreateResetCode(t.Context(), first))
	checkOK(t, "CreateResetCode", s.CreateResetCode(t.Context(), bobs))
	checkOK(t, "CreateResetCode", s.CreateResetCode(t.Context(), second))

	_, err := s.ConsumeResetCode(t.Context(), first.Hash)
	checkCode(t, err, parley.ENOTFOUND)
	got, err := s.ConsumeResetCode(t.Context(), second.Hash)
	checkOK(t, "ConsumeResetCode", err)
	checkResetCode(t, got, second)
	got, err = s.ConsumeResetCode(t.Context(), bobs.Hash)
	checkOK(t, "ConsumeResetCode", err)
	checkResetCode(t, got, bobs)
}

// Of concurrent calls with the same code, one sets the password.
func testResetCodeConcurrent(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	c := newResetCode(u, time.Hour)
	checkOK(t, "CreateResetCode", s.CreateResetCode(t.Context(), c))

	checkOneTakes(t, "the code", u.ID, func() (*string, error) {
		got, err := s.ConsumeResetCode(t.Context(), c.Hash)
		if err != nil {
			return nil, err
		}
		return &got.UserID, nil
	})
}

// newResetCode returns a reset code of u that expires in d, not stored yet.
// The expiry is in whole milliseconds, which every store keeps.
func newResetCode(u *parley.User, d time.Duration) *parley.ResetCode {
	return &parley.ResetCode{
		Hash:      NewID("code"),
		UserID:    u.ID,
		ExpiresAt: time.Now().Add(d).Truncate(time.Millisecond).UTC(),
	}
}

// checkResetCode fails t unless got is want.
func checkResetCode(t testing.TB, got, want *parley.ResetCode) {
	t.Helper()
	switch {
	case got.Hash != want.Hash:
		t.Fatalf("Hash=%q, want %q", got.Hash, want.Hash)
	case got.UserID != want.UserID:
		t.Fatalf("UserID=%q, want %q", got.UserID, want.UserID)
	case !got.ExpiresAt.Equal(want.ExpiresAt):
		t.Fatalf("ExpiresAt=%v, want %v", got.ExpiresAt, want.ExpiresAt)
	}
}

// checkPasswordHash fails t unless the credentials of u hold hash.
func checkPasswordHash(t testing.TB, s parley.Store, u *parley.User, hash string) {
	t.Helper()
	c, err := s.Credentials(t.Context(), u.Email)
	checkOK(t, "Credentials", err)
	if c.UserID != u.ID {
		t.Fatalf("UserID=%q, want %q", c.UserID, u.ID)
	} else if c.PasswordHash != hash {
		t.Fatalf("PasswordHash=%q, want %q", c.PasswordHash, hash)
	}
}
