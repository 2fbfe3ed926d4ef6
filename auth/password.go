package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt cost for new password hashes: 2^10 rounds, about
// 60 ms of CPU on the machines Parley was measured on. A hash records its own
// cost, so raising DefaultCost later leaves older hashes working.
const DefaultCost = 10

// HashPassword returns a salted bcrypt hash of password, in bcrypt's
// "$2a$…" text form, which records the cost and the salt. A cost below
// bcrypt.MinCost means [DefaultCost]; a cost above bcrypt.MaxCost is an error.
//
// The password is prehashed before bcrypt sees it (see prehash), so the
// result can be checked only by [CheckPassword], not by a plain bcrypt
// library.
func HashPassword(password string, cost int) (string, error) {
	if cost < bcrypt.MinCost {
		cost = DefaultCost
	}

	hash, err := bcrypt.GenerateFromPassword(prehash(password), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// CheckPassword reports whether password is the one hash was made from by
// [HashPassword]. It is false for an empty or malformed hash, such as that of
// a user who came from an identity provider and has no password here.
//
// It takes as long as the cost recorded in hash makes it, whatever the
// password. When there is no hash to check against at all, call [DummyCheck]
// instead so that the answer takes as long.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), prehash(password)) == nil
}

// DummyCheck spends the time of a [CheckPassword] against a hash of
// [DefaultCost] and throws the result away. A login calls it when no user has
// the given email, so that "no such user" and "wrong password" take the same
// time and an attacker cannot tell from the response time which emails have
// accounts.
//
// The disguise holds only while stored hashes are made with DefaultCost. A
// deployment that hashes at another cost answers unknown emails faster or
// slower than known ones.
func DummyCheck(password string) {
	CheckPassword(dummyHash, password)
}

// dummyHash is a DefaultCost hash of a random password that was thrown away.
// It is a constant so that the first DummyCheck of a process is not slowed
// by making it, which would itself stand out.
const dummyHash = "$2a$10$TUzA7CEHpgslTxjzA5NmLu8HkEu2ziqOuldjj0UhgpQkeUO1vTkcm"

// prehash turns a password of any length into 44 bytes of base64 text.
//
// bcrypt reads at most 72 bytes, so two long passphrases that share their
// first 72 bytes would otherwise match each other, and bcrypt.GenerateFromPassword
// refuses longer input outright. Hashing with SHA-256 first makes every byte
// count. The digest is base64 encoded rather than passed raw because some
// bcrypt implementations stop at a NUL byte, and a raw digest may hold one.
func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	b := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(b, sum[:])
	return b
}
