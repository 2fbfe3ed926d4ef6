package storetest

import (
	"testing"

	"github.com/parleychat/parley"
)

var userCases = []testCase{
	{"CreateUser/OK", testCreateUserOK},
	{"CreateUser/ErrConflictEmail", testCreateUserErrConflictEmail},
	{"CreateUser/ErrConflictID", testCreateUserErrConflictID},
	{"CreateUser/EmailAsGiven", testCreateUserEmailAsGiven},
	{"User/ErrNotFound", testUserErrNotFound},
	{"UserByEmail/OK", testUserByEmailOK},
	{"UserByEmail/ErrNotFound", testUserByEmailErrNotFound},
	{"Users/OK", testUsersOK},
	{"Users/None", testUsersNone},
	{"Credentials/OK", testCredentialsOK},
	{"Credentials/NoPassword", testCredentialsNoPassword},
	{"Credentials/ErrNotFound", testCredentialsErrNotFound},
}

func testCreateUserOK(t *testing.T, s parley.Store) {
	u := NewUser("Ann")
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), u, "hash"))

	got, err := s.User(t.Context(), u.ID)
	checkOK(t, "User", err)
	checkUser(t, got, u)
}

func testCreateUserErrConflictEmail(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")

	other := NewUser("Other")
	other.Email = u.Email
	checkCode(t, s.CreateUser(t.Context(), other, ""), parley.ECONFLICT)

	// Nothing of the refused user is stored.
	_, err := s.User(t.Context(), other.ID)
	checkCode(t, err, parley.ENOTFOUND)
}

func testCreateUserErrConflictID(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")

	other := NewUser("Other")
	other.ID = u.ID
	checkCode(t, s.CreateUser(t.Context(), other, ""), parley.ECONFLICT)

	_, err := s.UserByEmail(t.Context(), other.Email)
	checkCode(t, err, parley.ENOTFOUND)
	got, err := s.User(t.Context(), u.ID)
	checkOK(t, "User", err)
	checkUser(t, got, u)
}

// The store keeps an email exactly as given; lowercasing is the service's.
func testCreateUserEmailAsGiven(t *testing.T, s parley.Store) {
	u := NewUser("Ann")
	u.Email = "Ann.Mixed-" + u.ID + "@Example.COM"
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), u, ""))

	got, err := s.UserByEmail(t.Context(), u.Email)
	checkOK(t, "UserByEmail", err)
	checkUser(t, got, u)
}

func testUserErrNotFound(t *testing.T, s parley.Store) {
	MustCreateUser(t, s, "Ann")

	got, err := s.User(t.Context(), NewID("user"))
	checkFailed(t, "User", got, err, parley.ENOTFOUND)
}

func testUserByEmailOK(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	MustCreateUser(t, s, "Bob")

	got, err := s.UserByEmail(t.Context(), u.Email)
	checkOK(t, "UserByEmail", err)
	checkUser(t, got, u)
}

func testUserByEmailErrNotFound(t *testing.T, s parley.Store) {
	MustCreateUser(t, s, "Ann")

	got, err := s.UserByEmail(t.Context(), "nobody@example.com")
	checkFailed(t, "UserByEmail", got, err, parley.ENOTFOUND)
}

func testUsersOK(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	MustCreateUser(t, s, "Bob")
	cat := MustCreateUser(t, s, "Cat")

	// Missing IDs are left out, not reported.
	got, err := s.Users(t.Context(), []string{cat.ID, NewID("user"), ann.ID})
	checkOK(t, "Users", err)
	if len(got) != 2 {
		t.Fatalf("len(Users)=%d, want 2", len(got))
	}
	want := map[string]*parley.User{ann.ID: ann, cat.ID: cat}
	for _, u := range got {
		if want[u.ID] == nil {
			t.Fatalf("Users has ID=%q, want one of %q and %q", u.ID, ann.ID, cat.ID)
		}
		checkUser(t, u, want[u.ID])
		delete(want, u.ID)
	}
}

func testUsersNone(t *testing.T, s parley.Store) {
	MustCreateUser(t, s, "Ann")

	for _, ids := range [][]string{nil, {}, {NewID("user")}} {
		got, err := s.Users(t.Context(), ids)
		checkOK(t, "Users", err)
		if len(got) != 0 {
			t.Fatalf("Users(%q) has %d users, want 0", ids, len(got))
		}
	}
}

func testCredentialsOK(t *testing.T, s parley.Store) {
	u := NewUser("Ann")
	checkOK(t, "CreateUser", s.CreateUser(t.Context(), u, "$argon2id$hash"))

	c, err := s.Credentials(t.Context(), u.Email)
	checkOK(t, "Credentials", err)
	if c.UserID != u.ID {
		t.Fatalf("UserID=%q, want %q", c.UserID, u.ID)
	} else if c.PasswordHash != "$argon2id$hash" {
		t.Fatalf("PasswordHash=%q, want %q", c.PasswordHash, "$argon2id$hash")
	}
}

// A user from an identity provider or an import has no password.
func testCredentialsNoPassword(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")

	c, err := s.Credentials(t.Context(), u.Email)
	checkOK(t, "Credentials", err)
	if c.UserID != u.ID {
		t.Fatalf("UserID=%q, want %q", c.UserID, u.ID)
	} else if c.PasswordHash != "" {
		t.Fatalf("PasswordHash=%q, want empty", c.PasswordHash)
	}
}

func testCredentialsErrNotFound(t *testing.T, s parley.Store) {
	MustCreateUser(t, s, "Ann")

	c, err := s.Credentials(t.Context(), "nobody@example.com")
	checkFailed(t, "Credentials", c, err, parley.ENOTFOUND)
}

// checkUser fails t unless got has the stored fields of want.
func checkUser(t testing.TB, got, want *parley.User) {
	t.Helper()
	switch {
	case got.ID != want.ID:
		t.Fatalf("ID=%q, want %q", got.ID, want.ID)
	case got.Email != want.Email:
		t.Fatalf("Email=%q, want %q", got.Email, want.Email)
	case got.Nickname != want.Nickname:
		t.Fatalf("Nickname=%q, want %q", got.Nickname, want.Nickname)
	case !got.CreatedAt.Equal(want.CreatedAt.Time):
		t.Fatalf("CreatedAt=%v, want %v", got.CreatedAt, want.CreatedAt)
	}
}
