package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/parleychat/parley"
)

// Defaults for the zero fields of [Tokens].
const (
	DefaultTTL    = 15 * time.Minute
	DefaultIssuer = "parley"
)

// maxTokenLen bounds the tokens that Verify will decode. Parley's own are
// about 300 bytes; refusing anything far larger before parsing keeps a
// stranger from making every node decode megabytes of JSON per request.
const maxTokenLen = 4096

// Tokens issues and verifies access tokens: short-lived JWTs signed with
// HMAC-SHA256 (HS256) under a key that every node of a deployment shares, so
// that any node accepts the tokens of any other.
//
// Key must be set; the other fields have defaults. Set the fields before
// first use and leave them alone afterwards; a Tokens is then safe for
// concurrent use.
type Tokens struct {
	// Key is the HMAC secret, at least [KeySize] bytes (see [NewKey]).
	// Whoever holds it can issue a token for any user.
	Key []byte

	// TTL is how long an access token lives. Zero or less means
	// [DefaultTTL].
	TTL time.Duration

	// Issuer goes into the "iss" claim, and Verify refuses tokens of any
	// other issuer. Empty means [DefaultIssuer].
	Issuer string

	// Now returns the current time. Nil means time.Now; tests move the clock
	// with it.
	Now func() time.Time

	// verified keeps the claims of tokens that passed Verify, by the whole
	// token, so that a client's next request with the same token costs a
	// map lookup instead of a parse and an HMAC. Only an exact copy of a
	// verified token finds its entry, and the expiry is checked at every
	// use, so a hit accepts nothing a full check would refuse: Key and
	// Issuer never change after first use. At most maxVerified are kept;
	// past that the cache starts afresh.
	verified  sync.Map // token → *Claims
	nVerified atomic.Int64
}

// maxVerified bounds the tokens Verify keeps: about 4 MB of them.
const maxVerified = 10_000

// Claims is what a verified access token says about its bearer.
type Claims struct {
	UserID    string
	Email     string
	ExpiresAt time.Time
}

// jwtClaims is the token's payload: sub, iss, iat, exp and jti from the
// registered claims, and the user's email beside them.
type jwtClaims struct {
	Email string `json:"email"`
	jwt.RegisteredClaims
}

// Issue returns a signed access token for u and how long it lives. The token
// carries u's ID as "sub", u's email, the times it was issued and expires,
// the issuer, and a random "jti" so that no two tokens are alike.
//
// It fails with [ErrShortKey] when the key is unfit, and with an uncoded
// error when u has no ID; both are faults of the caller's program.
func (t *Tokens) Issue(u *parley.User) (token string, expiresIn time.Duration, err error) {
	if len(t.Key) < KeySize {
		return "", 0, ErrShortKey
	} else if u == nil || u.ID == "" {
		return "", 0, errors.New("issue token: user has no ID")
	}

	now, ttl := t.now(), t.ttl()
	claims := jwtClaims{
		Email: u.Email,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer(),
			Subject:   u.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        rand.Text(),
		},
	}

	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.Key)
	if err != nil {
		return "", 0, fmt.Errorf("issue token: %w", err)
	}
	return token, ttl, nil
}

// Verify checks token and returns its claims. It accepts only an HS256
// signature under Key, from Issuer, with an expiry that has not passed and a
// subject. Anything else fails with an [parley.EUNAUTHORIZED] error whose
// message is "token expired" for a genuine token that has expired, and
// "invalid token" for every other fault, so that a forger learns nothing
// about which check stopped them.
//
// It fails with [ErrShortKey], uncoded, when the key is unfit.
func (t *Tokens) Verify(token string) (*Claims, error) {
	if len(t.Key) < KeySize {
		return nil, ErrShortKey
	} else if len(token) > maxTokenLen {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "invalid token")
	}
	if v, ok := t.verified.Load(token); ok {
		c := v.(*Claims)
		if !t.now().Before(c.ExpiresAt) {
			t.verified.Delete(token)
			return nil, parley.Errorf(parley.EUNAUTHORIZED, "token expired")
		}
		cp := *c
		return &cp, nil
	}

	// The parser checks the alg against the list before it asks for the key,
	// and the signature before the claims, so "token expired" is said only of
	// tokens that we signed. Naming the one valid method is what refuses
	// "none" and a token whose header claims RS256 or any other algorithm.
	var c jwtClaims
	_, err := jwt.ParseWithClaims(token, &c, t.keyFunc,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer()),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "token expired")
	case err != nil, c.Subject == "":
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "invalid token")
	}

	claims := &Claims{UserID: c.Subject, Email: c.Email, ExpiresAt: c.ExpiresAt.Time}
	if t.nVerified.Add(1) > maxVerified {
		t.verified.Clear()
		t.nVerified.Store(0)
	}
	cp := *claims
	t.verified.Store(token, &cp)
	return claims, nil
}

// keyFunc hands the parser the HMAC key. It checks the method again, apart
// from the parser's list, so that the key is never given to any other kind of
// algorithm even if that list is one day dropped.
func (t *Tokens) keyFunc(token *jwt.Token) (any, error) {
	if token.Method != jwt.SigningMethodHS256 {
		return nil, fmt.Errorf("unexpected signing method %v", token.Header["alg"])
	}
	return t.Key, nil
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tokens) ttl() time.Duration {
	if t.TTL > 0 {
		return t.TTL
	}
	return DefaultTTL
}

func (t *Tokens) issuer() string {
	if t.Issuer != "" {
		return t.Issuer
	}
	return DefaultIssuer
}
