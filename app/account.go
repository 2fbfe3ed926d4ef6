package app

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/auth"
)

// Session is what signing up, logging in and refreshing answer: the user and
// a fresh pair of tokens.
type Session struct {
	User         *parley.User `json:"user"`
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int `json:"expires_in"`
}

// Signup creates an account with a password and logs it in. The email is
// stored lowercase; ECONFLICT if it is taken.
func (s *Service) Signup(ctx context.Context, email, password, nickname string) (*Session, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	} else if err := checkPassword(password); err != nil {
		return nil, err
	}
	nickname = strings.TrimSpace(nickname)
	if nickname == "" {
		nickname = defaultNickname(email)
	} else if nickname, err = normalizeText("nickname", nickname, MaxNicknameLen); err != nil {
		return nil, err
	}

	hash, err := auth.HashPassword(password, s.PasswordCost)
	if err != nil {
		return nil, err
	}
	u := &parley.User{ID: newID("U"), Email: email, Nickname: nickname, CreatedAt: s.now()}
	if err := s.store.CreateUser(ctx, u, hash); err != nil {
		if parley.ErrorCode(err) == parley.ECONFLICT {
			return nil, parley.Errorf(parley.ECONFLICT, "email is already registered")
		}
		return nil, err
	}

	s.Logger.InfoContext(ctx, "signup", "user_id", u.ID)
	return s.newSession(ctx, u)
}

// Login checks an email and password. A wrong email and a wrong password get
// the same answer, after the same work, so that neither can be told apart.
func (s *Service) Login(ctx context.Context, email, password string) (*Session, error) {
	refused := parley.Errorf(parley.EUNAUTHORIZED, "wrong email or password")
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	} else if password == "" {
		return nil, parley.Errorf(parley.EINVALID, "password is required")
	}

	creds, err := s.store.Credentials(ctx, email)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		auth.DummyCheck(password)
		return nil, refused
	} else if err != nil {
		return nil, err
	} else if !auth.CheckPassword(creds.PasswordHash, password) {
		return nil, refused
	}

	u, err := s.store.User(ctx, creds.UserID)
	if err != nil {
		return nil, err
	} else if u.Deactivated {
		return nil, refused
	}
	s.Logger.InfoContext(ctx, "login", "user_id", u.ID)
	return s.newSession(ctx, u)
}

// Refresh trades a refresh token for a new session. Each refresh token works
// once: the one given stops working, and the answer holds its successor.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (*Session, error) {
	if refreshToken == "" {
		return nil, parley.Errorf(parley.EINVALID, "refresh_token is required")
	}
	t, err := s.store.ConsumeRefreshToken(ctx, auth.HashRefreshToken(refreshToken))
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "refresh token is invalid, used or expired")
	} else if err != nil {
		return nil, err
	}

	u, err := s.store.User(ctx, t.UserID)
	if parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && u.Deactivated) {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "refresh token is invalid, used or expired")
	} else if err != nil {
		return nil, err
	}
	return s.newSession(ctx, u)
}

// Logout makes the caller's refresh token stop working. Logging out with a
// token that already stopped working is not an error, so that a retried
// logout succeeds; neither is one of another user's, which stays valid.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	u, err := caller(ctx)
	if err != nil {
		return err
	} else if refreshToken == "" {
		return parley.Errorf(parley.EINVALID, "refresh_token is required")
	}

	t, err := s.store.ConsumeRefreshToken(ctx, auth.HashRefreshToken(refreshToken))
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	// The store can only take a token and hand it back, so another user's
	// token is put back. For that moment a refresh with it would fail;
	// holding someone else's refresh token is already a breach, so the
	// window matters little.
	if t.UserID != u.ID {
		return s.store.CreateRefreshToken(ctx, t)
	}
	return nil
}

// Authenticate verifies an access token and returns its user. Identity comes
// only from here: a user named in a body or path never overrides it.
func (s *Service) Authenticate(ctx context.Context, token string) (*parley.User, error) {
	if token == "" {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "authentication required")
	}
	claims, err := s.tokens.Verify(token)
	if err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, claims.UserID)
	if parley.ErrorCode(err) == parley.ENOTFOUND || (err == nil && u.Deactivated) {
		return nil, parley.Errorf(parley.EUNAUTHORIZED, "invalid token")
	}
	return u, err
}

// EnsureProfile creates the caller's profile if it does not exist yet and
// reports whether it did. With built-in accounts the profile always exists;
// the call is kept for clients of the original system, where a Cognito
// trigger created it.
func (s *Service) EnsureProfile(ctx context.Context, nickname string) (*parley.User, bool, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, false, err
	}
	if nickname != "" && utf8.RuneCountInString(strings.TrimSpace(nickname)) > MaxNicknameLen {
		return nil, false, parley.Errorf(parley.EINVALID, "nickname is longer than %d characters", MaxNicknameLen)
	}

	existing, err := s.store.User(ctx, u.ID)
	if err == nil {
		return existing, false, nil
	} else if parley.ErrorCode(err) != parley.ENOTFOUND {
		return nil, false, err
	}

	created := &parley.User{ID: u.ID, Email: u.Email, Nickname: strings.TrimSpace(nickname), CreatedAt: s.now()}
	if created.Nickname == "" {
		created.Nickname = defaultNickname(u.Email)
	}
	if err := s.store.CreateUser(ctx, created, ""); err != nil {
		return nil, false, err
	}
	return created, true, nil
}

// Me returns the caller's profile.
func (s *Service) Me(ctx context.Context) (*parley.User, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.User(ctx, u.ID)
}

// newSession issues an access token and a refresh token for u.
func (s *Service) newSession(ctx context.Context, u *parley.User) (*Session, error) {
	access, ttl, err := s.tokens.Issue(u)
	if err != nil {
		return nil, err
	}
	refresh, hash, err := auth.NewRefreshToken()
	if err != nil {
		return nil, err
	}
	t := &parley.RefreshToken{Hash: hash, UserID: u.ID, ExpiresAt: s.Now().Add(s.RefreshTTL)}
	if err := s.store.CreateRefreshToken(ctx, t); err != nil {
		return nil, err
	}
	return &Session{User: u, AccessToken: access, RefreshToken: refresh, ExpiresIn: int(ttl.Seconds())}, nil
}

// defaultNickname is the nickname of a user who gave none: the part of the
// email before the @, cut to the nickname limit.
func defaultNickname(email string) string {
	local, _, _ := strings.Cut(email, "@")
	if r := []rune(local); len(r) > MaxNicknameLen {
		local = string(r[:MaxNicknameLen])
	}
	return local
}

// checkPassword applies the password rules to a new password.
func checkPassword(password string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen {
		return parley.Errorf(parley.EINVALID, "password must be at least %d characters", MinPasswordLen)
	} else if n > MaxPasswordLen {
		return parley.Errorf(parley.EINVALID, "password is longer than %d characters", MaxPasswordLen)
	}
	return nil
}
