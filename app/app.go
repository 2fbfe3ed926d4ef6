// Package app holds Parley's rules, written once for every deployment shape:
// who may do what, validation and limits, identity, sequencing and
// idempotency, and which events each change emits. The HTTP server, the
// WebSocket endpoint and the Lambda adapters call a [Service]; none of them
// decides anything on its own.
package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/auth"
)

// SigningKeyName is the name under which the store keeps the key that signs
// access tokens. Every node that shares the store loads the same key, so
// tokens issued by one node are accepted by all.
const SigningKeyName = "jwt-signing-key"

// Service applies Parley's rules on top of a [parley.Store]. Set the exported
// fields, then call Open before any other method. A Service is safe for
// concurrent use.
type Service struct {
	Store  parley.Store
	Events parley.Publisher
	Logger *slog.Logger
	// PresenceGrace overrides DefaultPresenceGrace; tests shorten it.
	// With a Roster, the Roster applies a grace period of its own.
	PresenceGrace time.Duration
	// Roster, if set, makes presence cluster-wide: see [Roster]. Without
	// one, a user is online while they have a connection on this node.
	Roster Roster

	// PasswordCost is the bcrypt cost of new password hashes; zero means
	// auth.DefaultCost. Tests lower it.
	PasswordCost int
	// TokenTTL is the lifetime of access tokens; zero means 15 minutes.
	TokenTTL time.Duration
	// RefreshTTL is the lifetime of refresh tokens; zero means 30 days.
	RefreshTTL time.Duration

	// Now returns the current time; tests swap it.
	Now func() time.Time

	// store is Store behind a cache of what sends read (see cachedStore);
	// every rule reads and writes through it.
	store    parley.Store
	cache    *cachedStore
	emailOf  sync.Map // user ID to email, see emails
	tokens   *auth.Tokens
	syncKey  []byte
	stored   atomic.Int64
	locks    keyLocks
	presence presence
	typing   typingThrottle
	order    pushOrder
}

// MessagesStored returns how many messages this Service has stored since it
// started, for the metrics endpoint. Idempotent repeats are not counted.
func (s *Service) MessagesStored() int64 {
	return s.stored.Load()
}

// Open loads the token signing key from the store, creating it on the first
// start, so that the key survives restarts without any setting.
func (s *Service) Open(ctx context.Context) error {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.PasswordCost == 0 {
		s.PasswordCost = auth.DefaultCost
	}
	if s.RefreshTTL == 0 {
		s.RefreshTTL = 30 * 24 * time.Hour
	}

	s.cache = newCachedStore(s.Store)
	s.store = s.cache

	key, err := s.store.Secret(ctx, SigningKeyName, auth.NewKey)
	if err != nil {
		return fmt.Errorf("load signing key: %w", err)
	}
	s.tokens = &auth.Tokens{Key: key, TTL: s.TokenTTL, Now: s.Now}
	return s.loadSyncKey(ctx)
}

// now returns the current time as Parley stores it.
func (s *Service) now() parley.Time {
	return parley.NewTime(s.Now())
}

// publish sends an event to the given users. An event that cannot be
// encoded is a bug of ours; it is logged, and the change it reports stands.
func (s *Service) publish(ctx context.Context, typ string, userIDs []string, payload any) {
	if s.Events == nil || len(userIDs) == 0 {
		return
	}
	e, err := parley.NewEvent(typ, userIDs, payload)
	if err != nil {
		s.Logger.ErrorContext(ctx, "encode event", "type", typ, "err", err)
		return
	}
	s.Events.Publish(ctx, e)
}

// newID returns a fresh opaque ID: a one-letter kind and 26 random base32
// characters, in the manner of Slack's IDs (U…, W…, C…, M…).
func newID(kind string) string {
	return kind + rand.Text()
}

// caller returns the authenticated user of ctx, or EUNAUTHORIZED.
func caller(ctx context.Context) (*parley.User, error) {
	u := parley.UserFromContext(ctx)
	if u == nil {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "authentication required")
	}
	return u, nil
}
