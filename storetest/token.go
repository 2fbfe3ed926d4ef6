package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
)

var tokenCases = []testCase{
	{"CreateRefreshToken/OK", testCreateRefreshTokenOK},
	{"ConsumeRefreshToken/SingleUse", testConsumeRefreshTokenSingleUse},
	{"ConsumeRefreshToken/ConcurrentSingleUse", testConsumeRefreshTokenConcurrent},
	{"ConsumeRefreshToken/Expired", testConsumeRefreshTokenExpired},
	{"ConsumeRefreshToken/OthersKept", testConsumeRefreshTokenOthersKept},
	{"ConsumeRefreshToken/ErrNotFound", testConsumeRefreshTokenErrNotFound},
	{"DeleteRefreshTokens/OnlyTheUsers", testDeleteRefreshTokens},
	{"Secret/GeneratesWhenAbsent", testSecretGeneratesWhenAbsent},
	{"Secret/StoredValueWins", testSecretStoredValueWins},
	{"Secret/SameValueForConcurrentCallers", testSecretConcurrent},
	{"Secret/ErrGenerate", testSecretErrGenerate},
	{"Secret/NamesApart", testSecretNamesApart},
}

// newToken returns a refresh token of u that expires in d, not stored yet.
// The expiry is in whole milliseconds, which every store keeps.
func newToken(u *parley.User, d time.Duration) *parley.RefreshToken {
	return &parley.RefreshToken{
		Hash:      NewID("hash"),
		UserID:    u.ID,
		ExpiresAt: time.Now().Add(d).Truncate(time.Millisecond).UTC(),
	}
}

func testCreateRefreshTokenOK(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	tok := newToken(u, time.Hour)
	checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), tok))

	got, err := s.ConsumeRefreshToken(t.Context(), tok.Hash)
	checkOK(t, "ConsumeRefreshToken", err)
	switch {
	case got.Hash != tok.Hash:
		t.Fatalf("Hash=%q, want %q", got.Hash, tok.Hash)
	case got.UserID != tok.UserID:
		t.Fatalf("UserID=%q, want %q", got.UserID, tok.UserID)
	case !got.ExpiresAt.Equal(tok.ExpiresAt):
		t.Fatalf("ExpiresAt=%v, want %v", got.ExpiresAt, tok.ExpiresAt)
	}
}

func testConsumeRefreshTokenSingleUse(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	tok := newToken(u, time.Hour)
	checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), tok))

	_, err := s.ConsumeRefreshToken(t.Context(), tok.Hash)
	checkOK(t, "ConsumeRefreshToken", err)
	got, err := s.ConsumeRefreshToken(t.Context(), tok.Hash)
	checkCode(t, err, parley.ENOTFOUND)
	if got != nil {
		t.Fatalf("second ConsumeRefreshToken=%+v, want nil", got)
	}
}

// Of concurrent calls with the same hash, one gets the token and the others
// ENOTFOUND: a stolen token used at the same time as the real one buys one
// access token, not two.
func testConsumeRefreshTokenConcurrent(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	tok := newToken(u, time.Hour)
	checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), tok))

	checkOneTakes(t, "the token", u.ID, func() (*string, error) {
		got, err := s.ConsumeRefreshToken(t.Context(), tok.Hash)
		if err != nil {
			return nil, err
		}
		return &got.UserID, nil
	})
}

// The suite cannot move a store's clock, so it stores a token that expired
// already.
func testConsumeRefreshTokenExpired(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	tok := newToken(u, -time.Minute)
	checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), tok))

	got, err := s.ConsumeRefreshToken(t.Context(), tok.Hash)
	checkCode(t, err, parley.ENOTFOUND)
	if got != nil {
		t.Fatalf("ConsumeRefreshToken=%+v, want nil", got)
	}
	_, err = s.ConsumeRefreshToken(t.Context(), tok.Hash)
	checkCode(t, err, parley.ENOTFOUND)
}

func testConsumeRefreshTokenOthersKept(t *testing.T, s parley.Store) {
	u := MustCreateUser(t, s, "Ann")
	first, second := newToken(u, time.Hour), newToken(u, time.Hour)
	checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), first))
	checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), second))

	_, err := s.ConsumeRefreshToken(t.Context(), first.Hash)
	checkOK(t, "ConsumeRefreshToken", err)
	got, err := s.ConsumeRefreshToken(t.Context(), second.Hash)
	checkOK(t, "ConsumeRefreshToken", err)
	if got.Hash != second.Hash {
		t.Fatalf("Hash=%q, want %q", got.Hash, second.Hash)
	}
}

func testDeleteRefreshTokens(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	first, second, bobs := newToken(ann, time.Hour), newToken(ann, time.Hour), newToken(bob, time.Hour)
	for _, tok := range []*parley.RefreshToken{first, second, bobs} {
		checkOK(t, "CreateRefreshToken", s.CreateRefreshToken(t.Context(), tok))
	}

	checkOK(t, "DeleteRefreshTokens", s.DeleteRefreshTokens(t.Context(), ann.ID))
	for _, tok := range []*parley.RefreshToken{first, second} {
		_, err := s.ConsumeRefreshToken(t.Context(), tok.Hash)
		checkCode(t, err, parley.ENOTFOUND)
	}
	if _, err := s.ConsumeRefreshToken(t.Context(), bobs.Hash); err != nil {
		t.Fatalf("bob's token after deleting ann's: %v", err)
	}
	checkOK(t, "DeleteRefreshTokens of nobody", s.DeleteRefreshTokens(t.Context(), NewID("user")))
}

func testConsumeRefreshTokenErrNotFound(t *testing.T, s parley.Store) {
	got, err := s.ConsumeRefreshToken(t.Context(), NewID("hash"))
	checkCode(t, err, parley.ENOTFOUND)
	if got != nil {
		t.Fatalf("ConsumeRefreshToken=%+v, want nil", got)
	}
}

// constant returns a generate function for Secret that returns value and
// counts its calls in calls.
func constant(value string, calls *atomic.Int64) func() ([]byte, error) {
	return func() ([]byte, error) {
		calls.Add(1)
		return []byte(value), nil
	}
}

func testSecretGeneratesWhenAbsent(t *testing.T, s parley.Store) {
	var calls atomic.Int64
	got, err := s.Secret(t.Context(), "jwt", constant("s3cret", &calls))
	checkOK(t, "Secret", err)
	if string(got) != "s3cret" {
		t.Fatalf("Secret=%q, want %q", got, "s3cret")
	} else if n := calls.Load(); n != 1 {
		t.Fatalf("generate called %d times, want 1", n)
	}
}

func testSecretStoredValueWins(t *testing.T, s parley.Store) {
	var first, second atomic.Int64
	_, err := s.Secret(t.Context(), "jwt", constant("one", &first))
	checkOK(t, "Secret", err)

	got, err := s.Secret(t.Context(), "jwt", constant("two", &second))
	checkOK(t, "Secret", err)
	if string(got) != "one" {
		t.Fatalf("Secret=%q, want %q", got, "one")
	} else if n := second.Load(); n != 0 {
		t.Fatalf("generate called %d times for a stored secret, want 0", n)
	}
}

// Nodes that start together must sign with the same key, whichever of them
// generates it first.
func testSecretConcurrent(t *testing.T, s parley.Store) {
	const callers = 16
	values := make([][]byte, callers)
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			v, err := s.Secret(t.Context(), "jwt", constant(fmt.Sprint("value-", i), &calls))
			if err != nil {
				t.Errorf("Secret: %v", err)
			}
			values[i] = v
		})
	}
	wg.Wait()

	for i, v := range values {
		if !bytes.Equal(v, values[0]) {
			t.Fatalf("caller %d got Secret=%q, caller 0 got %q", i, v, values[0])
		}
	}
	if len(values[0]) == 0 {
		t.Fatalf("Secret is empty, want one of the generated values")
	}
}

// A failed generate stores nothing, so the next call generates again.
func testSecretErrGenerate(t *testing.T, s parley.Store) {
	errBroken := errors.New("no entropy")
	got, err := s.Secret(t.Context(), "jwt", func() ([]byte, error) { return nil, errBroken })
	if err == nil {
		t.Fatalf("Secret=%q, err=nil, want an error", got)
	}

	var calls atomic.Int64
	got, err = s.Secret(t.Context(), "jwt", constant("s3cret", &calls))
	checkOK(t, "Secret", err)
	if string(got) != "s3cret" {
		t.Fatalf("Secret=%q, want %q", got, "s3cret")
	}
}

func testSecretNamesApart(t *testing.T, s parley.Store) {
	var calls atomic.Int64
	a, err := s.Secret(t.Context(), "a", constant("value-a", &calls))
	checkOK(t, "Secret", err)
	b, err := s.Secret(t.Context(), "b", constant("value-b", &calls))
	checkOK(t, "Secret", err)

	if string(a) != "value-a" || string(b) != "value-b" {
		t.Fatalf("Secret a=%q b=%q, want %q and %q", a, b, "value-a", "value-b")
	}
}

// checkOneTakes runs take from many goroutines at once, as concurrent uses of
// one single-use secret, and fails t unless exactly one of them gets it, for
// userID, and the others ENOTFOUND.
func checkOneTakes(t *testing.T, what, userID string, take func() (*string, error)) {
	t.Helper()
	const callers = 16
	var wins atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			got, err := take()
			switch {
			case err == nil && *got == userID:
				wins.Add(1)
			case err == nil:
				t.Errorf("UserID=%q, want %q", *got, userID)
			case parley.ErrorCode(err) != parley.ENOTFOUND:
				t.Errorf("err=%v, want nil or code %q", err, parley.ENOTFOUND)
			}
		})
	}
	wg.Wait()

	if n := wins.Load(); n != 1 {
		t.Fatalf("%d of %d concurrent calls got %s, want 1", n, callers, what)
	}
}
