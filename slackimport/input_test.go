package slackimport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
		mustFail(t, dir, "users.json: want a JSON array of users, not an object (line 1)")
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
		long := strings.Repeat("w", app.MaxWorkspaceNameLen+1)
		for name, want := range map[string]string{
			long:       `workspace name "` + long + `": want 1 to 100 characters`,
			"   ":      `workspace name "   ": the name is empty`,
			"bell\a":   `workspace name "bell\a": want printable text`,
			" \t\n   ": `workspace name " \t\n   ": the name is empty`,
		} {
			env := MustOpenEnv(t)
			_, _, err := env.Import(t, smallExport, name)
			if err == nil || err.Error() != want {
				t.Errorf("Import into %q: %v, want %q", name, err, want)
			}
			if _, err := env.Store.UserByEmail(ctx, "alice@example.com"); parley.ErrorCode(err) != parley.ENOTFOUND {
				t.Errorf("a user was imported although the workspace name %q is bad: %v", name, err)
			}
		}
	})

	t.Run("Open", func(t *testing.T) {
		// Open reads the lists, so that a caller can refuse an export
		// before it opens a database; the name is the default
		// workspace's.
		e, err := slackimport.Open(smallExportZip)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer e.Close()
		im := &slackimport.Importer{}
		if name, err := im.WorkspaceName(e); e.Name() != "slack-export-small" || name != e.Name() || err != nil {
			t.Errorf("Name()=%q, WorkspaceName=%q, %v; want slack-export-small", e.Name(), name, err)
		}
		if _, err := slackimport.Open("testdata/broken.zip"); err == nil {
			t.Errorf("Open(broken.zip) succeeded")
		}
	})
}

// TestImportJSONErrors checks that a file of the wrong shape is reported
// in terms of the export's JSON, never of the Go types it is read into.
func TestImportJSONErrors(t *testing.T) {
	ctx := context.Background()
	valid := Export{
		"users.json": []map[string]any{{"id": "U1", "name": "ann", "profile": map[string]any{"email": "ann@example.com"}}},
		"channels.json": []map[string]any{{"id": "C1", "name": "general", "is_general": true,
			"members": []string{"U1"}}},
	}
	with := func(file string, content any) Export {
		x := Export{file: content}
		for k, v := range valid {
			if k != file {
				x[k] = v
			}
		}
		return x
	}
	tests := []struct {
		name string
		x    Export
		want string // the error, or the item of Failed or Skipped
	}{
		{"UsersAnObject", with("users.json", `{"id": "U1"}`),
			"users.json: want a JSON array of users, not an object (line 1)"},
		{"UsersFieldKind", with("users.json", "[\n{\"id\": \"U1\", \"deleted\": \"yes\"}]"),
			`users.json: a string in "deleted", want true or false (line 2)`},
		{"UsersNestedField", with("users.json", `[{"id": "U1", "profile": {"email": 5}}]`),
			`users.json: a number in "profile.email", want a string (line 1)`},
		{"UsersEntryKind", with("users.json", `[1]`),
			"users.json: a number in the list of users, want an object (line 1)"},
		{"ChannelsAString", with("channels.json", `"general"`),
			"channels.json: want a JSON array of channels, not a string (line 1)"},
		{"ChannelMembersKind", with("channels.json", `[{"id": "C1", "members": [1, 2]}]`),
			`channels.json: a number in "members", want a string (line 1)`},
		{"DMsAnObject", with("dms.json", `{}`),
			"dms.json: its conversations were not imported: want a JSON array of direct conversations, not an object (line 1)"},
		{"DayAnObject", with("general/2023-11-15.json", `{"ts": "1700000000.000100"}`),
			"general/2023-11-15.json: want a JSON array of messages, not an object (line 1); #general was not imported"},
		{"DayEntryKind", with("general/2023-11-15.json", `["hello"]`),
			"general/2023-11-15.json: the entry is a string, not a message"},
		{"MessageFieldKind", with("general/2023-11-15.json", `[{"ts": 1700000000.1, "user": "U1", "reactions": {}}]`),
			`general/2023-11-15.json ts 1700000000.100000: cannot read the message: an object in "reactions", want an array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := MustOpenEnv(t)
			im := &slackimport.Importer{Service: env.Service}
			rep, err := im.Import(ctx, tt.x.MustWrite(t, "export"))
			var got []string
			if err != nil {
				got = append(got, strings.TrimPrefix(err.Error(), "export: "))
			} else {
				for _, it := range slices.Concat(rep.Failed, rep.Skipped) {
					got = append(got, it.String())
				}
			}
			if !slices.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			for _, g := range got {
				if strings.Contains(g, "Go ") || strings.Contains(g, "slackimport") || strings.Contains(g, "unmarshal") {
					t.Errorf("%q speaks of Go types", g)
				}
			}
		})
	}
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
		{"Spaces", "My Channel", "my-channel"},
		{"Empty", "...", "channel-c123"},
		{"Nothing", "", "channel-c123"},
		{"Long", strings.Repeat("a", 100), strings.Repeat("a", app.MaxChannelNameLen)},
		{"FullWidth", "ｄｅｓｉｇｎ！", "design"},
		{"Compatibility", "㍿", "株式会社"},
		{"ExpandsPastLimit", strings.Repeat("㍿", 30), strings.Repeat("株式会社", 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slackimport.ChannelName(tt.in, "C123"); got != tt.want {
				t.Errorf("ChannelName(%q)=%q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
