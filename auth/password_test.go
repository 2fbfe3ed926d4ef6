package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley/auth"
	"golang.org/x/crypto/bcrypt"
)

// MustHashPassword hashes password at bcrypt.MinCost, to keep tests quick,
// or fails the test.
func MustHashPassword(tb testing.TB, password string) string {
	tb.Helper()
	hash, err := auth.HashPassword(password, bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	return hash
}

func TestCheckPassword(t *testing.T) {
	long := strings.Repeat("correct horse battery staple ", 3)[:72]

	tests := []struct {
		name     string
		password string // hashed
		try      string // checked against the hash
		want     bool
	}{
		{"OK", "hunter22", "hunter22", true},
		{"Wrong", "hunter22", "hunter23", false},
		{"Case", "hunter22", "Hunter22", false},
		{"Prefix", "hunter22", "hunter2", false},
		{"Empty", "", "", true},
		{"EmptyTry", "hunter22", "", false},
		{"Unicode", "pässwörd 🔑", "pässwörd 🔑", true},
		{"UnicodeNormalization", "caf\u00e9", "cafe\u0301", false},
		{"NUL", "a\x00b", "a\x00b", true},
		{"AfterNUL", "a\x00b", "a\x00c", false},
		{"72Bytes", long, long, true},
		{"LongOK", long + "1", long + "1", true},
		{"LongDifferAfter72", long + "1", long + "2", false},
		{"LongVsPrefix", long + "1", long, false},
		{"VeryLong", strings.Repeat("x", 10000), strings.Repeat("x", 10000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := MustHashPassword(t, tt.password)
			if got := auth.CheckPassword(hash, tt.try); got != tt.want {
				t.Fatalf("CheckPassword(hash of %q, %q)=%v, want %v", tt.password, tt.try, got, tt.want)
			}
		})
	}
}

func TestCheckPassword_BadHash(t *testing.T) {
	for _, hash := range []string{"", "hunter22", "$2a$04$", "$2a$04$" + strings.Repeat("?", 53)} {
		if auth.CheckPassword(hash, "hunter22") {
			t.Errorf("CheckPassword(%q, ...)=true, want false", hash)
		}
	}
	if auth.CheckPassword("", "") {
		t.Errorf("CheckPassword(\"\", \"\")=true, want false")
	}
}

func TestHashPassword(t *testing.T) {
	t.Run("Salted", func(t *testing.T) {
		if a, b := MustHashPassword(t, "hunter22"), MustHashPassword(t, "hunter22"); a == b {
			t.Fatalf("two hashes of one password are equal: %s", a)
		}
	})

	t.Run("Cost", func(t *testing.T) {
		tests := []struct {
			cost, want int
		}{
			{bcrypt.MinCost, bcrypt.MinCost},
			{5, 5},
			{0, auth.DefaultCost},
		}
		for _, tt := range tests {
			hash, err := auth.HashPassword("hunter22", tt.cost)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := bcrypt.Cost([]byte(hash)); err != nil {
				t.Fatal(err)
			} else if got != tt.want {
				t.Errorf("HashPassword(_, %d) has cost %d, want %d", tt.cost, got, tt.want)
			}
		}
	})

	t.Run("ErrCost", func(t *testing.T) {
		if _, err := auth.HashPassword("hunter22", bcrypt.MaxCost+1); err == nil {
			t.Fatal("err=nil, want an error")
		}
	})
}

func TestDummyCheck(t *testing.T) {
	// The dummy hash must cost what a real one costs, or its timing differs.
	if got, err := bcrypt.Cost([]byte(auth.DummyHash)); err != nil {
		t.Fatal(err)
	} else if got != auth.DefaultCost {
		t.Fatalf("dummy hash cost=%d, want %d", got, auth.DefaultCost)
	}

	// A malformed hash would be refused at once, and the disguise lost. No
	// machine runs 2^10 bcrypt rounds in under a few milliseconds, so this
	// bound holds anywhere.
	start := time.Now()
	auth.DummyCheck("hunter22")
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Fatalf("DummyCheck took %v, want the time of a bcrypt cost of %d", d, auth.DefaultCost)
	}
}
