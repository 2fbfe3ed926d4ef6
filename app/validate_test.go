package app_test

import (
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

func TestNormalizeChannelName(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"general", "general", ""},
		{"  Random ", "random", ""},
		{"dev-ops_2", "dev-ops_2", ""},
		{"Ünïcode", "ünïcode", ""},
		{"日本語", "日本語", ""},
		{"हिन्दी", "हिन्दी", ""},
		{"cafe\u0301", "caf\u00e9", ""},
		{"\u0301abc", "", parley.EINVALID},
		{"ｄｅｓｉｇｎ", "design", ""},
		{"", "", parley.EINVALID},
		{"   ", "", parley.EINVALID},
		{"has space", "", parley.EINVALID},
		{"dot.name", "", parley.EINVALID},
		{"emoji🙂", "", parley.EINVALID},
		{"#hash", "", parley.EINVALID},
		{strings.Repeat("a", 80), strings.Repeat("a", 80), ""},
		{strings.Repeat("a", 81), "", parley.EINVALID},
		{strings.Repeat("é", 80), strings.Repeat("é", 80), ""},
	}
	for _, tt := range tests {
		got, err := app.NormalizeChannelName(tt.in)
		if code := parley.ErrorCode(err); code != tt.code {
			t.Errorf("NormalizeChannelName(%q) code=%q, want %q", tt.in, code, tt.code)
		} else if got != tt.want {
			t.Errorf("NormalizeChannelName(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"Alice@Example.COM", "alice@example.com", ""},
		{" bob@example.com ", "bob@example.com", ""},
		{"", "", parley.EINVALID},
		{"not-an-email", "", parley.EINVALID},
		{"Alice <alice@example.com>", "", parley.EINVALID},
		{"a@b@c", "", parley.EINVALID},
		{strings.Repeat("a", 250) + "@x.io", "", parley.EINVALID},
	}
	for _, tt := range tests {
		got, err := app.NormalizeEmail(tt.in)
		if code := parley.ErrorCode(err); code != tt.code {
			t.Errorf("NormalizeEmail(%q) code=%q, want %q", tt.in, code, tt.code)
		} else if got != tt.want {
			t.Errorf("NormalizeEmail(%q)=%q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSuggestChannelName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"design", "design"},
		{"My Channel", "my-channel"},
		{"ｄｅｓｉｇｎ", "design"},
		{"  -weird--name!  ", "weird--name"},
		{"हिन्दी", "हिन्दी"},
		{"!!!", ""},
		{strings.Repeat("ab", 50), strings.Repeat("ab", 40)},
		{strings.Repeat("a", 79) + " b", strings.Repeat("a", 79)},
	}
	for _, tt := range tests {
		if got := app.SuggestChannelName(tt.in); got != tt.want {
			t.Errorf("SuggestChannelName(%q)=%q, want %q", tt.in, got, tt.want)
		} else if got != "" {
			if _, err := app.NormalizeChannelName(got); err != nil {
				t.Errorf("SuggestChannelName(%q)=%q breaks the rules: %v", tt.in, got, err)
			}
		}
	}
}
