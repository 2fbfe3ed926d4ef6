package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parleychat/parley/app"
)

func TestAccounts(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	signup := func(body any) Req { return Req{Method: "POST", Path: "/auth/signup", Body: body} }
	login := func(body any) Req { return Req{Method: "POST", Path: "/auth/login", Body: body} }

	var ann Session
	s.Secret("1234567") // the short password below
	t.Run("Signup", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			s.MustDo(t, signup(map[string]string{
				"email": " Ann@Example.COM ", "password": password, "nickname": "Ann",
			}), http.StatusCreated, &ann)
			s.Secret(ann.AccessToken)
			s.Secret(ann.RefreshToken)
			if ann.User.Email != "ann@example.com" {
				t.Fatalf("email=%q, want ann@example.com (stored lowercase)", ann.User.Email)
			} else if ann.User.Nickname != "Ann" {
				t.Fatalf("nickname=%q, want Ann", ann.User.Nickname)
			} else if ann.User.ID == "" {
				t.Fatal("user_id is empty")
			} else if !createdAtRE.MatchString(ann.User.CreatedAt) {
				t.Fatalf("createdAt=%q, want RFC 3339 UTC with milliseconds", ann.User.CreatedAt)
			} else if ann.ExpiresIn != 900 {
				t.Fatalf("expires_in=%d, want 900 (15 minutes)", ann.ExpiresIn)
			}

			var me User
			s.MustDo(t, Req{Method: "GET", Path: "/user/me", Token: ann.AccessToken}, http.StatusOK, &me)
			if me != ann.User {
				t.Fatalf("GET /user/me=%+v, want %+v", me, ann.User)
			}
		})

		t.Run("ErrEmailTaken", func(t *testing.T) {
			for _, email := range []string{"ann@example.com", "ANN@example.com", "ann@EXAMPLE.com"} {
				s.MustFail(t, signup(map[string]string{"email": email, "password": password}), 409, "conflict")
			}
		})

		tests := []badBody{
			{"ErrShortPassword", map[string]string{"email": "x@example.com", "password": "1234567"}, 400, "invalid"},
			{"ErrBadEmail", map[string]string{"email": "not-an-email", "password": password}, 400, "invalid"},
			{"ErrDisplayName", map[string]string{"email": "X <x@example.com>", "password": password}, 400, "invalid"},
			{"ErrMissingEmail", map[string]string{"password": password}, 400, "invalid"},
			{"ErrMissingPassword", map[string]string{"email": "x@example.com"}, 400, "invalid"},
			{"ErrWrongType", map[string]any{"email": 5, "password": password}, 400, "invalid"},
			{"ErrLongNickname", map[string]string{
				"email": "x@example.com", "password": password, "nickname": strings.Repeat("n", 81),
			}, 400, "invalid"},
		}
		for _, tt := range append(tests, malformedBodies...) {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, signup(tt.body), tt.status, tt.code)
			})
		}
		t.Run("OKAfterRefusals", func(t *testing.T) {
			// None of the refused signups created x@example.com.
			var sess Session
			s.MustDo(t, signup(map[string]string{"email": "x@example.com", "password": password}), http.StatusCreated, &sess)
			s.Secret(sess.AccessToken)
			s.Secret(sess.RefreshToken)
			if sess.User.Nickname != "x" {
				t.Fatalf("nickname=%q, want x, the email's local part", sess.User.Nickname)
			}
		})
	})

	t.Run("Login", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			var sess Session
			s.MustDo(t, login(map[string]string{"email": "ANN@example.com", "password": password}), http.StatusOK, &sess)
			s.Secret(sess.AccessToken)
			s.Secret(sess.RefreshToken)
			if sess.User != ann.User {
				t.Fatalf("user=%+v, want %+v", sess.User, ann.User)
			} else if sess.AccessToken == "" || sess.RefreshToken == "" || sess.ExpiresIn <= 0 {
				t.Fatalf("session=%+v, want tokens and expires_in", sess)
			}
			s.MustDo(t, Req{Method: "GET", Path: "/user/me", Token: sess.AccessToken}, http.StatusOK, nil)
		})

		t.Run("ErrWrongPassword", func(t *testing.T) {
			s.Secret("wrong password")
			wrong := s.MustFail(t, login(map[string]string{"email": "ann@example.com", "password": "wrong password"}), 401, "unauthorized")
			unknown := s.MustFail(t, login(map[string]string{"email": "nobody@example.com", "password": password}), 401, "unauthorized")
			if wrong.Message != unknown.Message {
				t.Fatalf("wrong password says %q, unknown email says %q, want one message for both", wrong.Message, unknown.Message)
			}
		})

		tests := []badBody{
			{"ErrMissingPassword", map[string]string{"email": "ann@example.com"}, 400, "invalid"},
			{"ErrMissingEmail", map[string]string{"password": password}, 400, "invalid"},
			{"ErrWrongType", map[string]any{"email": "ann@example.com", "password": 12345678}, 400, "invalid"},
		}
		for _, tt := range append(tests, malformedBodies...) {
			t.Run(tt.name, func(t *testing.T) { s.MustFail(t, login(tt.body), tt.status, tt.code) })
		}
	})

	t.Run("Refresh", func(t *testing.T) {
		refresh := func(token string) Req {
			return Req{Method: "POST", Path: "/auth/refresh", Body: map[string]string{"refresh_token": token}}
		}
		t.Run("OK", func(t *testing.T) {
			old := s.MustSignup(t, "rita")
			var next Session
			s.MustDo(t, refresh(old.RefreshToken), http.StatusOK, &next)
			s.Secret(next.AccessToken)
			s.Secret(next.RefreshToken)
			if next.User != old.User {
				t.Fatalf("user=%+v, want %+v", next.User, old.User)
			} else if next.RefreshToken == "" || next.RefreshToken == old.RefreshToken {
				t.Fatalf("refresh_token=%q, want a new one", next.RefreshToken)
			}
			s.MustDo(t, Req{Method: "GET", Path: "/user/me", Token: next.AccessToken}, http.StatusOK, nil)

			// The old refresh token stops working; the new one works once.
			s.MustFail(t, refresh(old.RefreshToken), 401, "unauthorized")
			var third Session
			s.MustDo(t, refresh(next.RefreshToken), http.StatusOK, &third)
			s.Secret(third.AccessToken)
			s.Secret(third.RefreshToken)
			s.MustFail(t, refresh(next.RefreshToken), 401, "unauthorized")
		})
		t.Run("ErrGarbage", func(t *testing.T) {
			s.MustFail(t, refresh("garbage"), 401, "unauthorized")
			s.MustFail(t, refresh(ann.AccessToken), 401, "unauthorized")
		})
		t.Run("ErrMissing", func(t *testing.T) {
			s.MustFail(t, Req{Method: "POST", Path: "/auth/refresh", Body: `{}`}, 400, "invalid")
			s.MustFail(t, Req{Method: "POST", Path: "/auth/refresh", Body: `{"refresh_token": 5}`}, 400, "invalid")
		})
		for _, tt := range malformedBodies {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, Req{Method: "POST", Path: "/auth/refresh", Body: tt.body}, tt.status, tt.code)
			})
		}
	})

	t.Run("Logout", func(t *testing.T) {
		// Logging out needs an access token, as every route outside
		// /auth/* does.
		logout := func(access, refresh string) Req {
			return Req{Method: "POST", Path: "/auth/logout", Token: access, Body: map[string]string{"refresh_token": refresh}}
		}
		sess := s.MustSignup(t, "lou")
		t.Run("ErrNoToken", func(t *testing.T) {
			s.MustFail(t, logout("", sess.RefreshToken), 401, "unauthorized")
			s.MustFail(t, logout("garbage", sess.RefreshToken), 401, "unauthorized")
			// The refresh token still works, once.
			var next Session
			s.MustDo(t, Req{Method: "POST", Path: "/auth/refresh",
				Body: map[string]string{"refresh_token": sess.RefreshToken}}, http.StatusOK, &next)
			s.Secret(next.AccessToken)
			s.Secret(next.RefreshToken)
			sess = &next
		})
		t.Run("OK", func(t *testing.T) {
			resp := s.MustDo(t, logout(sess.AccessToken, sess.RefreshToken), http.StatusNoContent, nil)
			if len(resp.Body) != 0 {
				t.Fatalf("body=%q, want none with 204", resp.Body)
			}
			s.MustFail(t, Req{Method: "POST", Path: "/auth/refresh",
				Body: map[string]string{"refresh_token": sess.RefreshToken}}, 401, "unauthorized")
			// A retried logout succeeds.
			s.MustDo(t, logout(sess.AccessToken, sess.RefreshToken), http.StatusNoContent, nil)
		})
		t.Run("ErrMissing", func(t *testing.T) {
			s.MustFail(t, Req{Method: "POST", Path: "/auth/logout", Token: sess.AccessToken, Body: `{}`}, 400, "invalid")
			s.MustFail(t, Req{Method: "POST", Path: "/auth/logout", Token: sess.AccessToken, Body: `{"refresh_token": 5}`}, 400, "invalid")
		})
		for _, tt := range malformedBodies {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, Req{Method: "POST", Path: "/auth/logout", Token: sess.AccessToken, Body: tt.body}, tt.status, tt.code)
			})
		}
	})
}

// SigningKey returns the key the server signs access tokens with, read from
// its store, so that tests can make tokens the server would accept.
func (s *Server) SigningKey(tb testing.TB) []byte {
	tb.Helper()
	key, err := s.Store.Secret(context.Background(), app.SigningKeyName, func() ([]byte, error) {
		return nil, errors.New("the server has no signing key")
	})
	if err != nil {
		tb.Fatalf("signing key: %v", err)
	}
	return key
}

// Sign returns a JWT of the given claims signed with key by method. For
// jwt.SigningMethodNone, key is ignored.
func Sign(tb testing.TB, method jwt.SigningMethod, key []byte, claims jwt.MapClaims) string {
	tb.Helper()
	var k any = key
	if method == jwt.SigningMethodNone {
		k = jwt.UnsafeAllowNoneSignatureType
	}
	token, err := jwt.NewWithClaims(method, claims).SignedString(k)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return token
}

// ClaimsOf returns claims for u as the server writes them, expiring at exp.
func ClaimsOf(u User, exp time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": u.ID, "email": u.Email, "iss": "parley", "jti": rand.Text(),
		"iat": time.Now().Add(-time.Minute).Unix(), "exp": exp.Unix(),
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann := s.MustSignup(t, "ann")
	me := func(header http.Header) *Response {
		return s.Do(t, Req{Method: "GET", Path: "/user/me", Header: header})
	}

	t.Run("OK", func(t *testing.T) {
		headers := map[string]http.Header{
			"Bearer":      {"Authorization": {"Bearer " + ann.AccessToken}},
			"BearerLower": {"Authorization": {"bearer " + ann.AccessToken}},
			"Bare":        {"Authorization": {ann.AccessToken}},
			"IDToken":     {"Idtoken": {ann.AccessToken}},
		}
		for name, h := range headers {
			t.Run(name, func(t *testing.T) {
				resp := me(h)
				var u User
				if resp.Status != http.StatusOK {
					t.Fatalf("status=%d, want 200; body %s", resp.Status, resp.Body)
				}
				resp.Decode(t, &u)
				if u.Email != ann.Email() {
					t.Fatalf("email=%q, want %q", u.Email, ann.Email())
				}
			})
		}
	})

	// The test's own tokens prove that it signs as the server does, so
	// that each refusal below is for the one thing that is wrong.
	key := s.SigningKey(t)
	t.Run("OKSignedByTest", func(t *testing.T) {
		token := Sign(t, jwt.SigningMethodHS256, key, ClaimsOf(ann.User, time.Now().Add(time.Minute)))
		s.MustDo(t, Req{Method: "GET", Path: "/user/me", Token: token}, http.StatusOK, nil)
	})

	otherKey := make([]byte, 32)
	rand.Read(otherKey)
	valid := ClaimsOf(ann.User, time.Now().Add(time.Hour))
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for name, value := range valid {
			c[name] = value
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	refused := map[string]string{
		"ErrMissing":      "",
		"ErrGarbage":      "garbage",
		"ErrNotAJWT":      "a.b.c",
		"ErrExpired":      Sign(t, jwt.SigningMethodHS256, key, ClaimsOf(ann.User, time.Now().Add(-time.Minute))),
		"ErrForged":       Sign(t, jwt.SigningMethodHS256, otherKey, valid),
		"ErrAlgNone":      Sign(t, jwt.SigningMethodNone, nil, valid),
		"ErrHS512":        Sign(t, jwt.SigningMethodHS512, key, valid),
		"ErrOtherIssuer":  Sign(t, jwt.SigningMethodHS256, key, with("iss", "someone-else")),
		"ErrNoExpiry":     Sign(t, jwt.SigningMethodHS256, key, with("exp", nil)),
		"ErrNoSubject":    Sign(t, jwt.SigningMethodHS256, key, with("sub", nil)),
		"ErrUnknownUser":  Sign(t, jwt.SigningMethodHS256, key, with("sub", "U"+rand.Text())),
		"ErrRefreshToken": ann.RefreshToken,
		"ErrTampered":     ann.AccessToken[:len(ann.AccessToken)-2] + "xx",
	}
	for name, token := range refused {
		if len(token) > 20 {
			s.Secret(token)
		}
		t.Run(name, func(t *testing.T) {
			for _, h := range []http.Header{
				{"Authorization": {"Bearer " + token}},
				{"Authorization": {token}},
				{"Idtoken": {token}},
			} {
				MustBeError(t, fmt.Sprintf("GET /user/me with %v", h), me(h), 401, "unauthorized")
			}
		})
	}

	t.Run("ErrEveryRoute", func(t *testing.T) {
		// Each route that needs a token refuses a request without one
		// before it looks at anything else.
		for _, r := range []Req{
			{Method: "POST", Path: "/user"},
			{Method: "POST", Path: "/workspace", Body: `{"workspace_name":"x"}`},
			{Method: "GET", Path: "/workspace/W1"},
			{Method: "DELETE", Path: "/workspace/W1"},
			{Method: "GET", Path: "/workspaces/ann@example.com"},
			{Method: "PATCH", Path: "/workspace", Body: `{}`},
			{Method: "PATCH", Path: "/workspace/out", Body: `{}`},
			{Method: "POST", Path: "/channel", Body: `{}`},
			{Method: "GET", Path: "/channel/W1/C1"},
			{Method: "DELETE", Path: "/channel/W1/C1"},
			{Method: "GET", Path: "/channels/W1/ann@example.com"},
			{Method: "PATCH", Path: "/channel", Body: `{}`},
			{Method: "PATCH", Path: "/channel/out", Body: `{}`},
			{Method: "GET", Path: "/messages/W1/C1"},
			{Method: "POST", Path: "/messages/W1/C1", Body: `{"message":"hi"}`},
			{Method: "GET", Path: "/dm/ann@example.com/bob@example.com"},
			{Method: "POST", Path: "/dm/ann@example.com/bob@example.com", Body: `{"message":"hi"}`},
			{Method: "POST", Path: "/auth/logout", Body: `{"refresh_token":"x"}`},
		} {
			s.MustFail(t, r, 401, "unauthorized")
		}
	})
}

func TestUsers(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann := s.MustSignup(t, "ann")

	t.Run("Me", func(t *testing.T) {
		var u User
		s.MustDo(t, Req{Method: "GET", Path: "/user/me", Token: ann.AccessToken}, http.StatusOK, &u)
		if u != ann.User {
			t.Fatalf("user=%+v, want %+v", u, ann.User)
		}
	})

	t.Run("CreateProfile", func(t *testing.T) {
		t.Run("OKExisting", func(t *testing.T) {
			for _, body := range []any{nil, map[string]string{}, map[string]string{"nickname": "Annie"}} {
				var u User
				s.MustDo(t, Req{Method: "POST", Path: "/user", Token: ann.AccessToken, Body: body}, http.StatusOK, &u)
				if u != ann.User {
					t.Fatalf("user=%+v, want the existing %+v, unchanged", u, ann.User)
				}
			}
		})
		tests := []badBody{
			{"ErrWrongType", `{"nickname": 5}`, 400, "invalid"},
			{"ErrLongNickname", map[string]string{"nickname": strings.Repeat("n", 81)}, 400, "invalid"},
			{"ErrMalformedJSON", `{"nickname":`, 400, "invalid"},
			{"ErrArray", `[]`, 400, "invalid"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s.MustFail(t, Req{Method: "POST", Path: "/user", Token: ann.AccessToken, Body: tt.body}, tt.status, tt.code)
			})
		}
	})

	t.Run("ErrNoRoute", func(t *testing.T) {
		s.MustFail(t, Req{Method: "GET", Path: "/no/such/route", Token: ann.AccessToken}, 404, "not_found")
	})
}
