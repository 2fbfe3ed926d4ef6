package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/parleychat/parley"
)

// CreateUser stores u with its password hash. It returns ECONFLICT if the
// ID or the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *parley.User, passwordHash string) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO users (id, email, nickname, password_hash, created_at, deactivated)
		VALUES (?, ?, ?, ?, ?, ?)
	`, u.ID, u.Email, u.Nickname, passwordHash, millis(u.CreatedAt.Time), u.Deactivated)

	// SQLite names the column of a unique clash in its message, and the
	// caller wants to know which one it was.
	if isUnique(err) && strings.Contains(err.Error(), "users.email") {
		return parley.Errorf(parley.ECONFLICT, "email already in use")
	} else if isUnique(err) {
		return parley.Errorf(parley.ECONFLICT, "user already exists")
	} else if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	return nil
}

// SetPassword replaces the user's password hash, or returns ENOTFOUND.
func (s *Store) SetPassword(ctx context.Context, userID, passwordHash string) error {
	res, err := s.db.ExecContext(ctx, `
		UPDATE users SET password_hash = ? WHERE id = ?
	`, passwordHash, userID)
	if err != nil {
		return fmt.Errorf("sqlite: set password: %w", err)
	}
	if ok, err := affected(res, "set password"); err != nil {
		return err
	} else if !ok {
		return parley.Errorf(parley.ENOTFOUND, "user not found")
	}
	return nil
}

// User returns the user with the given ID, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id string) (*parley.User, error) {
	row := s.queryRow(ctx, `
		SELECT `+userColumns+` FROM users WHERE id = ?
	`, id)
	return oneUser(row)
}

// UserByEmail returns the user with the given email, or ENOTFOUND. The email
// must match as stored, case included.
func (s *Store) UserByEmail(ctx context.Context, email string) (*parley.User, error) {
	row := s.queryRow(ctx, `
		SELECT `+userColumns+` FROM users WHERE email = ?
	`, email)
	return oneUser(row)
}

// Users returns the users with the given IDs, in no particular order,
// leaving out those that do not exist.
func (s *Store) Users(ctx context.Context, ids []string) ([]*parley.User, error) {
	users := []*parley.User{}
	if len(ids) == 0 {
		return users, nil
	}

	// The IDs go in as one JSON array, which json_each turns into a table:
	// one statement for any number of IDs, with no SQL built from strings.
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	rows, err := s.query(ctx, `
		SELECT `+userColumns+` FROM users
		WHERE id IN (SELECT value FROM json_each(?))
	`, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: users: %w", err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: users: %w", err)
	}
	return users, nil
}

// Credentials returns the password hash of the user with the given email,
// or ENOTFOUND.
func (s *Store) Credentials(ctx context.Context, email string) (*parley.Credentials, error) {
	var c parley.Credentials
	err := s.queryRow(ctx, `
		SELECT id, password_hash FROM users WHERE email = ?
	`, email).Scan(&c.UserID, &c.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: credentials: %w", err)
	}
	return &c, nil
}

// oneUser scans the user of a query for one, translating absence.
func oneUser(row *sql.Row) (*parley.User, error) {
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, parley.Errorf(parley.ENOTFOUND, "user not found")
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: user: %w", err)
	}
	return u, nil
}

// userColumns are the columns scanUser reads.
const userColumns = `id, email, nickname, created_at, deactivated`

// scanUser scans the userColumns.
func scanUser(row scanner) (*parley.User, error) {
	var u parley.User
	var createdAt int64
	if err := row.Scan(&u.ID, &u.Email, &u.Nickname, &createdAt, &u.Deactivated); err != nil {
		return nil, err
	}
	u.CreatedAt = timeOf(createdAt)
	return &u, nil
}
