package auth_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
	"github.com/parleychat/parley/auth"
)

// testKey is the signing key of every test token; otherKey is a stranger's.
var (
	testKey  = bytes.Repeat([]byte("k"), auth.KeySize)
	otherKey = bytes.Repeat([]byte("x"), auth.KeySize)
)

// t0 is the time at which test tokens are issued, on a whole second because
// JWT times have no fractions.
var t0 = time.Date(2026, 12, 3, 16, 14, 30, 0, time.UTC)

var alice = &parley.User{ID: "U1", Email: "alice@example.com", Nickname: "alice"}

// NewTokens returns a Tokens with the test key whose clock reads *now.
func NewTokens(now *time.Time) *auth.Tokens {
	return &auth.Tokens{Key: testKey, Now: func() time.Time { return *now }}
}

// MustIssue issues a token for u or fails the test.
func MustIssue(tb testing.TB, tokens *auth.Tokens, u *parley.User) string {
	tb.Helper()
	token, _, err := tokens.Issue(u)
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

// MustSign signs claims with the given method and key, as another program
// might, or fails the test.
func MustSign(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	tb.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

// RawToken assembles a JWT by hand from a JSON header and payload, signed by
// HMAC-SHA256 under key, or with an empty signature when key is nil.
func RawToken(header, payload string, key []byte) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if key == nil {
		return input + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + enc.EncodeToString(mac.Sum(nil))
}

// ValidClaims returns the claims of a token that Verify accepts at t0.
func ValidClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":   "U1",
		"email": "alice@example.com",
		"iss":   "parley",
		"iat":   t0.Unix(),
		"exp":   t0.Add(time.Minute).Unix(),
	}
}

func TestTokens_Issue(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		now := t0
		tokens := NewTokens(&now)

		token, expiresIn, err := tokens.Issue(alice)
		if err != nil {
			t.Fatal(err)
		} else if expiresIn != auth.DefaultTTL {
			t.Fatalf("expiresIn=%v, want %v", expiresIn, auth.DefaultTTL)
		}

		claims, err := tokens.Verify(token)
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Claims{UserID: "U1", Email: "alice@example.com", ExpiresAt: t0.Add(auth.DefaultTTL)}
		if claims.UserID != want.UserID || claims.Email != want.Email ||
			!claims.ExpiresAt.Equal(want.ExpiresAt) {
			t.Fatalf("claims=%+v, want %+v", *claims, want)
		}
	})

	t.Run("Payload", func(t *testing.T) {
		now := t0
		tokens := NewTokens(&now)
		tokens.TTL, tokens.Issuer = time.Hour, "acme"

		parts := strings.Split(MustIssue(t, tokens, alice), ".")
		header, _ := base64.RawURLEncoding.DecodeString(parts[0])
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if got, want := string(header), `{"alg":"HS256","typ":"JWT"}`; got != want {
			t.Fatalf("header=%s, want %s", got, want)
		}

		var p map[string]any
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"sub":   "U1",
			"email": "alice@example.com",
			"iss":   "acme",
			"iat":   float64(t0.Unix()),
			"exp":   float64(t0.Add(time.Hour).Unix()),
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%s=%v, want %v", k, p[k], v)
			}
		}
		if jti, _ := p["jti"].(string); len(jti) < 16 {
			t.Errorf("jti=%q, want a random ID", jti)
		}
	})

	t.Run("Unique", func(t *testing.T) {
		now := t0
		tokens := NewTokens(&now)
		if a, b := MustIssue(t, tokens, alice), MustIssue(t, tokens, alice); a == b {
			t.Fatalf("two tokens issued at the same instant are equal: %s", a)
		}
	})

	t.Run("Defaults", func(t *testing.T) {
		tokens := &auth.Tokens{Key: testKey}
		claims, err := tokens.Verify(MustIssue(t, tokens, alice))
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(claims.ExpiresAt); d < auth.DefaultTTL-time.Minute || d > auth.DefaultTTL {
			t.Fatalf("ExpiresAt is %v from now, want about %v", d, auth.DefaultTTL)
		}
	})

	t.Run("ErrShortKey", func(t *testing.T) {
		for _, key := range [][]byte{nil, testKey[:auth.KeySize-1]} {
			tokens := &auth.Tokens{Key: key}
			if _, _, err := tokens.Issue(alice); !errors.Is(err, auth.ErrShortKey) {
				t.Fatalf("Issue with a %d-byte key: err=%v, want %v", len(key), err, auth.ErrShortKey)
			}
		}
	})

	t.Run("ErrNoUserID", func(t *testing.T) {
		now := t0
		for _, u := range []*parley.User{nil, {Email: "bob@example.com"}} {
			if _, _, err := NewTokens(&now).Issue(u); err == nil {
				t.Fatalf("Issue(%+v): err=nil, want an error", u)
			}
		}
	})
}

func TestTokens_Verify(t *testing.T) {
	now := t0
	tokens := NewTokens(&now)
	good := MustIssue(t, tokens, alice)
	goodParts := strings.Split(good, ".")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	claimsWithout := func(name string) jwt.MapClaims {
		c := ValidClaims()
		delete(c, name)
		return c
	}
	claimsWith := func(name string, v any) jwt.MapClaims {
		c := ValidClaims()
		c[name] = v
		return c
	}
	payload, _ := json.Marshal(ValidClaims())
	bob := MustIssue(t, tokens, &parley.User{ID: "U2", Email: "bob@example.com"})

	tests := []struct {
		name  string
		token string
		at    time.Time // when Verify runs; zero means t0
		want  string    // the error message
	}{
		{"OK", good, time.Time{}, ""},
		{"OKJustBeforeExpiry", good, t0.Add(auth.DefaultTTL - time.Second), ""},
		{"OKHandMade", MustSign(t, jwt.SigningMethodHS256, testKey, ValidClaims()), time.Time{}, ""},

		{"Expired", good, t0.Add(auth.DefaultTTL + time.Second), "token expired"},
		{"ExpiredWrongKey", MustSign(t, jwt.SigningMethodHS256, otherKey,
			claimsWith("exp", t0.Add(-time.Hour).Unix())), time.Time{}, "invalid token"},
		{"NotYetValid", MustSign(t, jwt.SigningMethodHS256, testKey,
			claimsWith("nbf", t0.Add(time.Hour).Unix())), time.Time{}, "invalid token"},
		{"NoExpiry", MustSign(t, jwt.SigningMethodHS256, testKey, claimsWithout("exp")),
			time.Time{}, "invalid token"},
		{"NoSubject", MustSign(t, jwt.SigningMethodHS256, testKey, claimsWithout("sub")),
			time.Time{}, "invalid token"},
		{"ExpiryNotANumber", MustSign(t, jwt.SigningMethodHS256, testKey,
			claimsWith("exp", "tomorrow")), time.Time{}, "invalid token"},

		{"WrongKey", MustSign(t, jwt.SigningMethodHS256, otherKey, ValidClaims()),
			time.Time{}, "invalid token"},
		{"WrongIssuer", MustSign(t, jwt.SigningMethodHS256, testKey, claimsWith("iss", "acme")),
			time.Time{}, "invalid token"},
		{"NoIssuer", MustSign(t, jwt.SigningMethodHS256, testKey, claimsWithout("iss")),
			time.Time{}, "invalid token"},
		{"TamperedPayload", goodParts[0] + "." + strings.Split(bob, ".")[1] + "." + goodParts[2],
			time.Time{}, "invalid token"},
		{"NoSignature", goodParts[0] + "." + goodParts[1] + ".", time.Time{}, "invalid token"},

		{"AlgNone", RawToken(`{"alg":"none","typ":"JWT"}`, string(payload), nil),
			time.Time{}, "invalid token"},
		{"AlgNoneUpper", RawToken(`{"alg":"NONE","typ":"JWT"}`, string(payload), nil),
			time.Time{}, "invalid token"},
		{"AlgMissing", RawToken(`{"typ":"JWT"}`, string(payload), testKey),
			time.Time{}, "invalid token"},
		{"RS256", MustSign(t, jwt.SigningMethodRS256, rsaKey, ValidClaims()),
			time.Time{}, "invalid token"},
		{"RS256HeaderHMACSignature", RawToken(`{"alg":"RS256","typ":"JWT"}`, string(payload), testKey),
			time.Time{}, "invalid token"},
		{"HS512", MustSign(t, jwt.SigningMethodHS512, testKey, ValidClaims()),
			time.Time{}, "invalid token"},
		{"HS384", MustSign(t, jwt.SigningMethodHS384, testKey, ValidClaims()),
			time.Time{}, "invalid token"},

		{"Empty", "", time.Time{}, "invalid token"},
		{"OneSegment", "abc", time.Time{}, "invalid token"},
		{"TwoSegments", goodParts[0] + "." + goodParts[1], time.Time{}, "invalid token"},
		{"FourSegments", good + ".x", time.Time{}, "invalid token"},
		{"Dots", "..", time.Time{}, "invalid token"},
		{"NotBase64", "!!.??.**", time.Time{}, "invalid token"},
		{"NotJSON", "YWJj.YWJj.YWJj", time.Time{}, "invalid token"},
		{"Bearer", "Bearer " + good, time.Time{}, "invalid token"},
		{"TrailingGarbage", good + "x", time.Time{}, "invalid token"},
		{"Huge", RawToken(`{"alg":"HS256"}`, `{"pad":"`+strings.Repeat("a", 8000)+`"}`, testKey),
			time.Time{}, "invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = t0
			if !tt.at.IsZero() {
				now = tt.at
			}

			claims, err := tokens.Verify(tt.token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err=%v, want nil", err)
				} else if claims.UserID != "U1" || claims.Email != "alice@example.com" {
					t.Fatalf("claims=%+v, want alice's", *claims)
				}
				return
			}

			var perr *parley.Error
			if !errors.As(err, &perr) {
				t.Fatalf("err=%#v, want a *parley.Error", err)
			} else if perr.Code != parley.EUNAUTHORIZED || perr.Message != tt.want {
				t.Fatalf("err=%s/%q, want %s/%q", perr.Code, perr.Message, parley.EUNAUTHORIZED, tt.want)
			} else if claims != nil {
				t.Fatalf("claims=%+v, want nil", *claims)
			}
		})
	}

	// The table ran on one Tokens, so the cases after OK met alice's token
	// kept as verified: a kept token still expires, and only its exact
	// copy is taken for it. Here the same, in one place and in order.
	t.Run("Kept", func(t *testing.T) {
		now = t0
		kept := NewTokens(&now)
		token := MustIssue(t, kept, alice)
		for range 2 {
			if _, err := kept.Verify(token); err != nil {
				t.Fatalf("Verify=%v, want nil", err)
			}
		}
		if _, err := kept.Verify(token[:len(token)-1]); err == nil {
			t.Fatal("a token cut short was accepted after the whole one")
		}
		now = t0.Add(auth.DefaultTTL)
		if _, err := kept.Verify(token); parley.ErrorMessage(err) != "token expired" {
			t.Fatalf("Verify at expiry=%v, want token expired", err)
		}
	})

	t.Run("ErrShortKey", func(t *testing.T) {
		short := &auth.Tokens{Key: testKey[:16]}
		if _, err := short.Verify(good); !errors.Is(err, auth.ErrShortKey) {
			t.Fatalf("err=%v, want %v", err, auth.ErrShortKey)
		}
	})
}

func BenchmarkIssue(b *testing.B) {
	tokens := &auth.Tokens{Key: testKey}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tokens.Issue(alice); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures the check of a token seen before (Kept), as a
// client's every request after its first is, and of a new one (New).
func BenchmarkVerify(b *testing.B) {
	b.Run("Kept", func(b *testing.B) {
		tokens := &auth.Tokens{Key: testKey}
		token := MustIssue(b, tokens, alice)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tokens.Verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("New", func(b *testing.B) {
		tokens := &auth.Tokens{Key: testKey}
		token := MustIssue(b, tokens, alice)
		b.ReportAllocs()
		for b.Loop() {
			// A fresh Tokens each time keeps nothing from the last check.
			fresh := &auth.Tokens{Key: testKey}
			if _, err := fresh.Verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
}
