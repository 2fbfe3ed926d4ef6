package auth_test

import (
	"encoding/base64"
	"testing"

	"github.com/parleychat/parley/auth"
)

func TestNewRefreshToken(t *testing.T) {
	token, hash, err := auth.NewRefreshToken()
	if err != nil {
		t.Fatal(err)
	}

	if b, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		t.Fatalf("token %q is not base64url: %v", token, err)
	} else if len(b) != 32 {
		t.Fatalf("token holds %d bytes, want 32", len(b))
	}
	if want := auth.HashRefreshToken(token); hash != want {
		t.Fatalf("hash=%s, want %s", hash, want)
	}

	if other, _, _ := auth.NewRefreshToken(); other == token {
		t.Fatalf("two refresh tokens are equal: %s", token)
	}
}

func TestHashRefreshToken(t *testing.T) {
	tests := []struct {
		token, want string
	}{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := auth.HashRefreshToken(tt.token); got != tt.want {
			t.Errorf("HashRefreshToken(%q)=%s, want %s", tt.token, got, tt.want)
		}
	}
}

func TestNewKey(t *testing.T) {
	a, err := auth.NewKey()
	if err != nil {
		t.Fatal(err)
	} else if len(a) != auth.KeySize {
		t.Fatalf("len=%d, want %d", len(a), auth.KeySize)
	}

	if b, _ := auth.NewKey(); string(a) == string(b) {
		t.Fatal("two keys are equal")
	}
}
