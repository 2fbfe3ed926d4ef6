package slackimport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/slackimport"
)

// TestImportBadInput checks that an export that cannot be read is refused
// with a message naming the file, before anything is written, and that a
// broken part of one is left out while the rest is imported.
func TestImportBadInput(t *testing.T) {
	ctx := context.Background()

	// mustFail imports path, expects an error holding each of want, and
	// checks that nothing was written.
	mustFail := func(t *testing.T, path string, want ...string) error {
		t.Helper()
		env := MustOpenEnv(t)
		rep, _, err := env.Import(t, path, "")
		if err == nil {
			t.Fatalf("Import(%s) succeeded with report\n%s\nwant an error", path, rep)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q, want it to hold %q", err, w)
			}
		}
		if _, err := env.Store.UserByEmail(ctx, "alice@example.com"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("a user was imported from a bad export: %v", err)
		}
		return err
	}

	t.Run("ErrNotExport", func(t *testing.T) {
		err := mustFail(t, "testdata/not-an-export", "not-an-export", "users.json")
		if !errors.Is(err, slackimport.ErrNotExport) {
			t.Errorf("error %v, want ErrNotExport", err)
		}
	})

	t.Run("ErrNoChannels", func(t *testing.T) {
		dir := Export{"users.json": "[]"}.MustWrite(t, "users-only")
		err := mustFail(t, dir, "channels.json")
		if !errors.Is(err, slackimport.ErrNotExport) {
			t.Errorf("error %v, want ErrNotExport", err)
		}
	})

	t.Run("ErrMissing", func(t *testing.T) {
		mustFail(t, filepath.Join(t.TempDir(), "nowhere.zip"), "nowhere.zip")
	})

	t.Run("ErrBrokenZip", func(t *testing.T) {
		mustFail(t, "testdata/broken.zip", "broken.zip", "not a zip file")
	})

	t.Run("ErrTruncatedZip", func(t *testing.T) {
		mustFail(t, "testdata/truncated.zip", "truncated.zip", "not a zip file")
	})

	t.Run("ErrMalformedUsers", func(t *testing.T) {
		dir := Export{"users.json": "[{\"id\": \"U1\",\n\"name\": }]", "channels.json": "[]"}.MustWrite(t, "bad-users")
		mustFail(t, dir, "users.json", "not valid JSON", "line 2")
	})

	t.Run("ErrUsersNotAList", func(t *testing.T) {
		dir := Export{"users.json": `{"id": "U1"}`, "channels.json": "[]"}.MustWrite(t, "bad-users")
		mustFail(t, dir, "users.json", "not the JSON of a Slack export")
	})

	t.Run("CorruptZipEntry", func(t *testing.T) {
		// One day file's bytes are damaged in the zip: its conversation
		// is left out, the others are imported.
		path := mustZip(t, smallExport, "", "random/2023-11-14.json")
		env := MustOpenEnv(t)
		rep, _, err := env.Import(t, path, "")
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if len(rep.Failed) != 1 || rep.Failed[0].File != "random/2023-11-14.json" ||
			!strings.Contains(rep.Failed[0].Reason, "checksum") {
			t.Errorf("failed=%v, want random's day file with a checksum error", rep.Failed)
		}
		if rep.Messages != 18 || rep.Channels.Public != 2 {
			t.Errorf("%d messages in %d public channels, want the 18 of the others in 2", rep.Messages, rep.Channels.Public)
		}
	})

	t.Run("ZipOfFolder", func(t *testing.T) {
		// Zipping the export's folder puts everything one level down.
		path := mustZip(t, smallExport, "slack-export-small/", "")
		env := MustOpenEnv(t)
		rep := env.MustImport(t, path, "")
		if rep.Messages != 20 || rep.Workspace != "export" {
			t.Errorf("%d messages into %q, want 20 into export", rep.Messages, rep.Workspace)
		}
	})

	t.Run("BrokenOptionalList", func(t *testing.T) {
		dir := copyExport(t, smallExport)
		if err := os.WriteFile(filepath.Join(dir, "groups.json"), []byte("[{"), 0o644); err != nil {
			t.Fatal(err)
		}
		env := MustOpenEnv(t)
		rep := env.MustImport(t, dir, "")
		want := slackimport.Item{File: "groups.json",
			Reason: "its conversations were not imported: not valid JSON: unexpected end of JSON input (line 1)"}
		if len(rep.Failed) != 1 || rep.Failed[0] != want {
			t.Errorf("failed=%v, want %v", rep.Failed, want)
		}
		if rep.Messages != 18 || rep.Channels.Private != 0 {
			t.Errorf("%d messages, %d private channels; want 18 without leads", rep.Messages, rep.Channels.Private)
		}
	})

	t.Run("BadWorkspaceName", func(t *testing.T) {
		env := MustOpenEnv(t)
		_, _, err := env.Import(t, smallExport, strings.Repeat("w", app.MaxWorkspaceNameLen+1))
		if err == nil || !strings.Contains(err.Error(), "want 1 to 100 characters") {
			t.Errorf("Import: %v, want an error about the workspace name", err)
		}
		if _, err := env.Store.UserByEmail(context.Background(), "alice@example.com"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("a user was imported although the workspace name is bad: %v", err)
		}
	})
}

// mustZip zips the folder dir into export.zip under prefix, damaging the
// stored bytes of the file named damage, if any, and returns its path.
func mustZip(tb testing.TB, dir, prefix, damage string) string {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name := prefix + filepath.ToSlash(rel)
		// Stored, not deflated, so that the damage is a checksum error.
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}

	data := buf.Bytes()
	if damage != "" {
		orig, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(damage)))
		if err != nil {
			tb.Fatal(err)
		}
		i := bytes.Index(data, orig)
		if i < 0 {
			tb.Fatalf("%s not found in the zip", damage)
		}
		data[i+len(orig)/2] ^= 0x01
	}
	path := filepath.Join(tb.TempDir(), "export.zip")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// copyExport copies the export folder dir into a temporary folder and
// returns its path.
func copyExport(tb testing.TB, dir string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), filepath.Base(dir))
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func TestRewrite(t *testing.T) {
	users := map[string]string{"U1": "UPARLEY1", "U2": "UPARLEY2"}
	channels := map[string]string{"C1": "general", "C2": "design-team-2"}
	tests := []struct {
		name, in, want string
	}{
		{"Plain", "hello", "hello"},
		{"Mention", "hi <@U1>", "hi <@UPARLEY1>"},
		{"MentionWithLabel", "hi <@U2|bob>!", "hi <@UPARLEY2>!"},
		{"UnknownMention", "hi <@U9>", "hi @U9"},
		{"UnknownMentionWithLabel", "hi <@U9|ghost>", "hi @ghost"},
		{"Channel", "see <#C1|general>", "see #general"},
		{"ChannelWithoutLabel", "see <#C2>", "see #design-team-2"},
		{"UnknownChannel", "see <#C9>", "see #C9"},
		{"Here", "<!here> and <!here|here> and <!channel>", "<!here> and <!here> and <!channel>"},
		{"Everyone", "<!everyone>", "<!channel>"},
		{"Subteam", "<!subteam^S1|@leads> <!subteam^S2>", "@leads @subteam"},
		{"Date", "<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"},
		{"LinkWithLabel", "<https://x.example/a|the docs>", "the docs (https://x.example/a)"},
		{"Link", "<https://x.example/a>", "https://x.example/a"},
		{"LinkLabelIsURL", "<https://x.example|https://x.example>", "https://x.example"},
		{"Mailto", "<mailto:a@example.com|a@example.com>", "a@example.com"},
		{"MailtoOtherLabel", "<mailto:a@example.com|Ann>", "Ann (mailto:a@example.com)"},
		{"Escapes", "a &lt;b&gt; &amp; c", "a <b> & c"},
		{"EscapedAmpersandOnce", "&amp;lt; stays &lt;", "&lt; stays <"},
		{"EscapesInLink", "<https://x.example/?a=1&amp;b=2|A &amp; B>", "A & B (https://x.example/?a=1&b=2)"},
		{"EscapedMentionStaysText", "&lt;@U1&gt;", "<@U1>"},
		{"Multiline", "line <@U1>\n<#C1|general>", "line <@UPARLEY1>\n#general"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackimport.Rewrite(tt.in, users, channels); got != tt.want {
				t.Errorf("Rewrite(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestChannelName(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"OK", "random", "random"},
		{"Upper", "Design", "design"},
		{"Punctuation", "Design.Team 2024!", "design-team-2024"},
		{"Unicode", "café-ünïcode", "café-ünïcode"},
		{"Japanese", "開発", "開発"},
		{"Empty", "...", "channel-c123"},
		{"Long", strings.Repeat("a", 100), strings.Repeat("a", app.MaxChannelNameLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackimport.ChannelName(tt.in, "C123"); got != tt.want {
				t.Errorf("ChannelName(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
