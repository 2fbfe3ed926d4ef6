package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/parleychat/parley"
)

// CreateRefreshToken stores t. It returns ECONFLICT if a token with the same
// hash exists and ENOTFOUND if the user does not.
func (s *Store) CreateRefreshToken(ctx context.Context, t *parley.RefreshToken) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO refresh_tokens (hash, user_id, expires_at) VALUES ($1, $2, $3)
	`, t.Hash, t.UserID, millis(t.ExpiresAt))
	if isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "refresh token already exists")
	} else if isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return fmt.Errorf("postgres: create refresh token: %w", err)
	}
	return nil
}

// DeleteRefreshTokens removes every refresh token of the user.
func (s *Store) DeleteRefreshTokens(ctx context.Context, userID string) error {
	if _, err := s.pool.Exec(ctx, `
		DELETE FROM refresh_tokens WHERE user_id = $1
	`, userID); err != nil {
		return fmt.Errorf("postgres: delete refresh tokens: %w", err)
	}
	return nil
}

// ConsumeRefreshToken removes the token with the given hash and returns it.
// It returns ENOTFOUND if there is no such token, or if the token expired by
// s.Now, in which case it is removed all the same.
func (s *Store) ConsumeRefreshToken(ctx context.Context, hash string) (*parley.RefreshToken, error) {
	// One statement both finds and deletes the row. Of two concurrent
	// calls, on any nodes, the second waits for the first's delete to
	// commit, and then finds no row to return.
	t := parley.RefreshToken{Hash: hash}
	var expiresAt int64
	err := s.pool.QueryRow(ctx, `
		DELETE FROM refresh_tokens WHERE hash = $1 RETURNING user_id, expires_at
	`, hash).Scan(&t.UserID, &expiresAt)
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "refresh token not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: consume refresh token: %w", err)
	}

	t.ExpiresAt = time.UnixMilli(expiresAt).UTC()
	if !s.Now().Before(t.ExpiresAt) {
		return nil, parley.Errorf(parley.ENOTFOUND, "refresh token not found")
	}
	return &t, nil
}

// CreateResetCode stores c, replacing any earlier code of the same user, so
// that only the newest code works. It returns ENOTFOUND if the user does not
// exist and ECONFLICT if another user's code has the same hash.
func (s *Store) CreateResetCode(ctx context.Context, c *parley.ResetCode) error {
	// The upsert is keyed on the user, so a clash of hashes with another
	// user's code is still an error rather than a silent takeover.
	_, err := s.pool.Exec(ctx, `
		INSERT INTO reset_codes (hash, user_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE
		SET hash = excluded.hash, expires_at = excluded.expires_at
	`, c.Hash, c.UserID, millis(c.ExpiresAt))
	if isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "reset code already exists")
	} else if isForeignKey(err) {
		return parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return fmt.Errorf("postgres: create reset code: %w", err)
	}
	return nil
}

// ConsumeResetCode removes the code with the given hash and returns it. It
// returns ENOTFOUND if there is no such code, or if the code expired by
// s.Now, in which case it is removed all the same.
func (s *Store) ConsumeResetCode(ctx context.Context, hash string) (*parley.ResetCode, error) {
	// As in ConsumeRefreshToken, one statement finds and deletes the row.
	c := parley.ResetCode{Hash: hash}
	var expiresAt int64
	err := s.pool.QueryRow(ctx, `
		DELETE FROM reset_codes WHERE hash = $1 RETURNING user_id, expires_at
	`, hash).Scan(&c.UserID, &expiresAt)
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "reset code not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: consume reset code: %w", err)
	}

	c.ExpiresAt = time.UnixMilli(expiresAt).UTC()
	if !s.Now().Before(c.ExpiresAt) {
		return nil, parley.Errorf(parley.ENOTFOUND, "reset code not found")
	}
	return &c, nil
}

// Secret returns the secret stored under name, storing the value of generate
// first if there is none. Callers on every node that shares the database
// get the same value.
func (s *Store) Secret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error) {
	// The secret nearly always exists; look for it without writing.
	var value []byte
	err := s.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = $1`, name).Scan(&value)
	if err == nil {
		return value, nil
	} else if !isNoRows(err) {
		return nil, fmt.Errorf("postgres: secret: %w", err)
	}

	generated, err := generate()
	if err != nil {
		return nil, fmt.Errorf("postgres: generate secret %q: %w", name, err)
	}

	// Another caller may have stored its own value since the lookup. The
	// insert keeps whichever value came first: one that is being
	// committed makes it wait, and then do nothing. The read after it
	// starts from a new snapshot, which holds that value, and returns it to
	// every caller.
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING
	`, name, generated); err != nil {
		return nil, fmt.Errorf("postgres: secret: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `
		SELECT value FROM secrets WHERE name = $1
	`, name).Scan(&value); err != nil {
		return nil, fmt.Errorf("postgres: secret: %w", err)
	}
	return value, nil
}
