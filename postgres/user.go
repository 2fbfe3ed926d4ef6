package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/parleychat/parley"
)

// CreateUser stores u with its password hash. It returns ECONFLICT if the
// ID or the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *parley.User, passwordHash string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO users (id, email, nickname, password_hash, created_at, deactivated)
		VALUES ($1, $2, $3, $4, $5, $6)
	`, u.ID, u.Email, u.Nickname, passwordHash, millis(u.CreatedAt.Time), u.Deactivated)

	// The constraint's name tells which of the two was taken, and the
	// caller wants to know.
	if isUniqueOn(err, "users_email_unique") {
		return parley.Errorf(parley.ECONFLICT, "email already in use")
	} else if isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "user already exists")
	} else if err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	return nil
}

// SetPassword replaces the user's password hash, or returns ENOTFOUND.
func (s *Store) SetPassword(ctx context.Context, userID, passwordHash string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE users SET password_hash = $1 WHERE id = $2
	`, passwordHash, userID)
	if err != nil {
		return fmt.Errorf("postgres: set password: %w", err)
	} else if tag.RowsAffected() == 0 {
		return parley.Errorf(parley.ENOTFOUND, "user not found")
	}
	return nil
}

// User returns the user with the given ID, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id string) (*parley.User, error) {
	return oneUser(s.pool.QueryRow(ctx, `
		SELECT `+userColumns+` FROM users WHERE id = $1
	`, id))
}

// UserByEmail returns the user with the given email, or ENOTFOUND. The email
// must match as stored, case included.
func (s *Store) UserByEmail(ctx context.Context, email string) (*parley.User, error) {
	return oneUser(s.pool.QueryRow(ctx, `
		SELECT `+userColumns+` FROM users WHERE email = $1
	`, email))
}

// Users returns the users with the given IDs, in no particular order,
// leaving out those that do not exist, in one query whatever their number.
func (s *Store) Users(ctx context.Context, ids []string) ([]*parley.User, error) {
	if len(ids) == 0 {
		return []*parley.User{}, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+userColumns+` FROM users WHERE id = ANY ($1)
	`, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*parley.User, error) {
		return scanUser(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: users: %w", err)
	}
	return users, nil
}

// Credentials returns the password hash of the user with the given email,
// or ENOTFOUND.
func (s *Store) Credentials(ctx context.Context, email string) (*parley.Credentials, error) {
	var c parley.Credentials
	err := s.pool.QueryRow(ctx, `
		SELECT id, password_hash FROM users WHERE email = $1
	`, email).Scan(&c.UserID, &c.PasswordHash)
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: credentials: %w", err)
	}
	return &c, nil
}

// oneUser scans the user of a query for one, translating absence.
func oneUser(row pgx.Row) (*parley.User, error) {
	u, err := scanUser(row)
	if isNoRows(err) {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return nil, fmt.Errorf("postgres: user: %w", err)
	}
	return u, nil
}

// userColumns are the columns scanUser reads.
const userColumns = `id, email, nickname, created_at, deactivated`

// scanUser scans the userColumns.
func scanUser(row pgx.Row) (*parley.User, error) {
	var u parley.User
	var createdAt int64
	if err := row.Scan(&u.ID, &u.Email, &u.Nickname, &createdAt, &u.Deactivated); err != nil {
		return nil, err
	}
	u.CreatedAt = timeOf(createdAt)
	return &u, nil
}
