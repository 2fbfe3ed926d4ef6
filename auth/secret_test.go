package auth_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/parleychat/parley/auth"
)

func TestSecret(t *testing.T) {
	const value = "hunter22"
	s := auth.Secret(value)

	t.Run("Fmt", func(t *testing.T) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			if got := fmt.Sprintf(verb, s); strings.Contains(got, value) {
				t.Errorf("Sprintf(%q)=%s, want it redacted", verb, got)
			}
		}
		if got := fmt.Sprint(s); got != "REDACTED" {
			t.Errorf("Sprint=%s, want REDACTED", got)
		}
	})

	t.Run("Slog", func(t *testing.T) {
		var buf bytes.Buffer
		for _, h := range []slog.Handler{
			slog.NewTextHandler(&buf, nil),
			slog.NewJSONHandler(&buf, nil),
		} {
			slog.New(h).Info("login", "password", s, slog.Group("req", "token", s))
		}
		if got := buf.String(); strings.Contains(got, value) || !strings.Contains(got, "REDACTED") {
			t.Fatalf("log=%s, want the secret redacted", got)
		}
	})

	t.Run("Value", func(t *testing.T) {
		if got := string(s); got != value {
			t.Fatalf("string(s)=%s, want %s", got, value)
		}

		// JSON keeps the value so that a response can carry a token.
		b, _ := json.Marshal(struct{ Token auth.Secret }{s})
		if got, want := string(b), `{"Token":"hunter22"}`; got != want {
			t.Fatalf("json=%s, want %s", got, want)
		}
	})
}
