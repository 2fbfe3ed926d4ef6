package app

import (
	"context"
	"slices"

	"github.com/parleychat/parley"
)

// callerNamed returns the caller if email, as given in a path, is the
// caller's own, and the refusal otherwise.
func callerNamed(ctx context.Context, email string, refusal *parley.Error) (*parley.User, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	email, err = NormalizeEmail(email)
	if err != nil {
		return nil, err
	} else if email != u.Email {
		return nil, refusal
	}
	return u, nil
}

// notYours refuses to show what belongs to another user. It is a 404, as
// for anything the caller may not see, and the same whether or not the other
// user exists.
func notYours() *parley.Error {
	return parley.Errorf(parley.ENOTFOUND, "not found")
}

// userByEmail returns the user with the given email, or ENOTFOUND.
func (s *Service) userByEmail(ctx context.Context, email string) (*parley.User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByEmail(ctx, email)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	}
	return u, err
}

// emails maps user IDs to their emails. Relations hold IDs, and the API shows
// emails, so every answer that names users goes through here: each message
// sent or pushed, for one. A user's email never changes and users are never
// removed, so the emails read are kept, on every node alike.
func (s *Service) emails(ctx context.Context, ids []string) (map[string]string, error) {
	ids = compact(ids)
	m := make(map[string]string, len(ids))
	var missing []string
	for _, id := range ids {
		if email, ok := s.emailOf.Load(id); ok {
			m[id] = email.(string)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return m, nil
	}

	users, err := s.store.Users(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		m[u.ID] = u.Email
		s.emailOf.Store(u.ID, u.Email)
	}
	return m, nil
}

// lookup returns the emails of ids, in order, leaving out unknown users.
func lookup(emails map[string]string, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if e, ok := emails[id]; ok {
			out = append(out, e)
		}
	}
	return out
}

// compact returns ids without empty strings or repeats.
func compact(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// contains reports whether ids holds id.
func contains(ids []string, id string) bool {
	return slices.Contains(ids, id)
}
