package app

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/auth"
)

// ResetCodeTTL is how long a password reset code works.
const ResetCodeTTL = 24 * time.Hour

// IssueResetCode creates a one-time code with which the user with the given
// email can set a password, and returns it. Only the newest code of a user
// works; the store keeps only its hash. It is an operator's action (the
// parley user reset-password command): imported users have no password,
// and this is how they get one without anyone being able to claim their
// history by signing up with their email.
func (s *Service) IssueResetCode(ctx context.Context, email string) (string, error) {
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return "", err
	} else if u.Deactivated {
		return "", parley.Errorf(parley.ECONFLICT, "the user is deactivated")
	}

	code := rand.Text()
	rc := &parley.ResetCode{Hash: auth.HashRefreshToken(code), UserID: u.ID, ExpiresAt: s.Now().Add(ResetCodeTTL)}
	if err := s.store.CreateResetCode(ctx, rc); err != nil {
		return "", err
	}
	s.Logger.InfoContext(ctx, "password reset code issued", "user_id", u.ID)
	return code, nil
}

// ResetPassword sets a user's password with a reset code and logs them in.
// A code works once and for ResetCodeTTL; an unknown, used or expired code,
// or one issued for another email, is refused with EUNAUTHORIZED.
func (s *Service) ResetPassword(ctx context.Context, email, code, password string) (*Session, error) {
	refused := parley.Errorf(parley.EUNAUTHORIZED, "the code is invalid, used or expired")
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	} else if code == "" {
		return nil, parley.Errorf(parley.EINVALID, "code is required")
	} else if err := checkPassword(password); err != nil {
		return nil, err
	}

	// Codes are printed in upper case; people retype them in any case.
	code = strings.ToUpper(strings.TrimSpace(code))
	rc, err := s.store.ConsumeResetCode(ctx, auth.HashRefreshToken(code))
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, rc.UserID)
	if parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && u.Deactivated) {
		return nil, refused
	} else if err != nil {
		return nil, err
	} else if u.Email != email {
		// A mistyped email must not cost the user their code, so it goes
		// back. The code's 130 random bits, not its use, keep it from
		// being guessed.
		if err := s.store.CreateResetCode(ctx, rc); err != nil {
			return nil, err
		}
		return nil, refused
	}

	hash, err := auth.HashPassword(password, s.PasswordCost)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetPassword(ctx, u.ID, hash); err != nil {
		return nil, err
	}
	// A reset is often made because someone else had the account: every
	// session opened before it ends with its access token.
	if err := s.store.DeleteRefreshTokens(ctx, u.ID); err != nil {
		return nil, err
	}
	s.Logger.InfoContext(ctx, "password reset", "user_id", u.ID)
	return s.newSession(ctx, u)
}
