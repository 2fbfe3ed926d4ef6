package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// slackFixture is the small Slack export of package slackimport's tests.
var slackFixture = filepath.Join("..", "..", "slackimport", "testdata", "slack-export-small.zip")

// runParley runs parley in-process with args and the environment env, and
// returns its exit code, stdout and stderr.
func runParley(tb testing.TB, env map[string]string, args ...string) (int, string, string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// MustResetPassword issues a reset code for email with parley user
// reset-password, sets password with it and returns the session, and the
// code, which is then used.
func (s *Server) MustResetPassword(tb testing.TB, db, email string) (*Session, string) {
	tb.Helper()
	code, stdout, stderr := runParley(tb, nil, "user", "reset-password", email, "--db", db)
	if code != 0 {
		tb.Fatalf("reset-password %s: exit %d; stderr:\n%s", email, code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	resetCode := lines[len(lines)-1]
	s.Secret(resetCode)

	var sess Session
	s.MustDo(tb, Req{Method: "POST", Path: "/auth/reset", Body: map[string]string{
		"email": email, "code": resetCode, "password": password,
	}}, http.StatusOK, &sess)
	s.Secret(password)
	s.Secret(sess.AccessToken)
	s.Secret(sess.RefreshToken)
	return &sess, resetCode
}

// TestImportSlack runs parley import slack on the fixture export, then
// serves the database and reads the imported history over HTTP as the
// imported users, once they have set a password with a reset code: on a
// SQLite file, and on PostgreSQL when PARLEY_TEST_POSTGRES names a server.
func TestImportSlack(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		testImportSlack(t, filepath.Join(t.TempDir(), "parley.db"))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		dsn := os.Getenv("PARLEY_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("PARLEY_TEST_POSTGRES not set: set it to a postgres:// DSN to import into PostgreSQL")
		}
		testImportSlack(t, MustCreateDatabase(t, dsn))
	})
}

func testImportSlack(t *testing.T, db string) {

	code, stdout, stderr := runParley(t, nil, "import", "slack", slackFixture, "--db", db)
	if code != 0 {
		t.Fatalf("import: exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		`Slack import into workspace "slack-export-small"`,
		"messages:   20 added, 0 already imported",
		"U05NOMAIL (guest): u05nomail@slack-import.invalid",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "imported #general: 12 messages\n") {
		t.Errorf("progress lacks a line for general:\n%s", stderr)
	}

	// A second run, with the database from the environment, adds nothing.
	code, stdout, stderr = runParley(t, map[string]string{"PARLEY_DB": db}, "import", "slack", slackFixture)
	if code != 0 || !strings.Contains(stdout, "messages:   0 added, 20 already imported") {
		t.Errorf("second import: exit %d, report:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	s := MustStartServer(t, func(m *Main) { m.Config.DB = db })
	alice, aliceCode := s.MustResetPassword(t, db, "alice@example.com")
	bob, _ := s.MustResetPassword(t, db, "bob@example.com")

	t.Run("Accounts", func(t *testing.T) {
		// An imported email cannot be claimed by signing up, a code works
		// once, and the deactivated dan cannot log in or get a code.
		s.MustFail(t, Req{Method: "POST", Path: "/auth/signup", Body: map[string]string{
			"email": "bob@example.com", "password": password,
		}}, http.StatusConflict, "conflict")
		s.MustFail(t, Req{Method: "POST", Path: "/auth/reset", Body: map[string]string{
			"email": "alice@example.com", "code": aliceCode, "password": password,
		}}, http.StatusUnauthorized, "unauthorized")
		s.MustFail(t, Req{Method: "POST", Path: "/auth/login", Body: map[string]string{
			"email": "dan@example.com", "password": password,
		}}, http.StatusUnauthorized, "unauthorized")
		if code, _, _ := runParley(t, nil, "user", "reset-password", "dan@example.com", "--db", db); code != 1 {
			t.Errorf("reset-password for deactivated dan: exit %d, want 1", code)
		}
		// Nobody logs in as a bot.
		if code, _, stderr := runParley(t, nil, "user", "reset-password", "bot-b06bot@slack-import.invalid", "--db", db); code != 1 {
			t.Errorf("reset-password for the bot: exit %d, want 1; stderr %q", code, stderr)
		}
	})

	var summaries []WorkspaceSummary
	s.MustDo(t, Req{Method: "GET", Path: "/workspaces/alice@example.com", Token: alice.AccessToken}, http.StatusOK, &summaries)
	if len(summaries) != 1 || summaries[0].Name != "slack-export-small" || summaries[0].Cnt != 6 {
		t.Fatalf("alice's workspaces: %+v, want slack-export-small with 6 members", summaries)
	}
	var ws Workspace
	s.MustDo(t, Req{Method: "GET", Path: "/workspace/" + summaries[0].ID, Token: alice.AccessToken}, http.StatusOK, &ws)
	if ws.Admin != "alice@example.com" {
		t.Errorf("admin=%q, want alice@example.com", ws.Admin)
	}
	channel := func(name string) *Channel {
		for _, ch := range ws.Channels {
			if ch.Name == name {
				return ch
			}
		}
		t.Fatalf("alice sees no channel %q", name)
		return nil
	}
	general, leads, old := channel("general"), channel("leads"), channel("old-project")

	t.Run("PrivateChannel", func(t *testing.T) {
		page := s.MustFullHistory(t, alice, leads, "")
		var texts []string
		for _, m := range page.Messages {
			texts = append(texts, m.Sender+": "+m.Text)
		}
		want := []string{
			"alice@example.com: Private: headcount plan for next quarter",
			"chie@example.jp: Looks good to me",
		}
		if !slices.Equal(texts, want) {
			t.Errorf("leads as alice: %q, want %q", texts, want)
		}
		s.MustFail(t, historyReq(bob, leads, ""), http.StatusNotFound, "not_found")
		s.MustFail(t, channelReq(bob, leads), http.StatusNotFound, "not_found")
	})

	t.Run("General", func(t *testing.T) {
		page := s.MustFullHistory(t, bob, general, "limit=200")
		// The three replies stay in their thread but the broadcast one.
		if len(page.Messages) != 10 {
			t.Fatalf("general has %d messages in its history, want 10", len(page.Messages))
		}
		root := page.Messages[1]
		if want := "Thanks <@" + alice.User.ID + ">! Quick question about the release, starting a thread"; root.Text != want {
			t.Errorf("root text %q, want %q", root.Text, want)
		}
		if root.Sender != "bob@example.com" || root.ReplyCount != 3 || root.CreatedAt != "2023-11-14T22:18:20.000Z" {
			t.Errorf("root from %s with %d replies at %s, want bob's with 3 at 2023-11-14T22:18:20.000Z",
				root.Sender, root.ReplyCount, root.CreatedAt)
		}
		th := s.MustThread(t, bob, root.ID, "")
		if len(th.Messages) != 3 || th.Messages[0].ParentID != root.ID || th.Messages[1].Text != "了解です！ 金曜日ですね 🚀" {
			t.Errorf("thread: %d replies, want 3 of the root", len(th.Messages))
		}
		welcome := page.Messages[0]
		if len(welcome.Reactions) != 2 || welcome.Reactions[0].Name != "tada" ||
			!slices.Equal(welcome.Reactions[0].Users, []string{"bob@example.com", "chie@example.jp"}) {
			t.Errorf("welcome reactions %+v, want tada by bob and chie, then +1", welcome.Reactions)
		}
		pins := s.MustPins(t, bob, general)
		if len(pins) != 1 || pins[0].Message.ID != welcome.ID || pins[0].PinnedBy != "alice@example.com" {
			t.Errorf("pins %+v, want the welcome message pinned by alice", pins)
		}
	})

	t.Run("Archived", func(t *testing.T) {
		got := s.MustGetChannel(t, alice, old)
		if !got.Archived || s.MustHistoryLen(t, alice, old) != 1 {
			t.Errorf("old-project archived=%v, want archived with its message readable", got.Archived)
		}
		s.MustFail(t, postReq(alice, old, text("still there?")), http.StatusConflict, "conflict")
	})

	t.Run("Direct", func(t *testing.T) {
		page := s.MustDMHistory(t, bob, alice, "")
		if len(page.Messages) != 2 || page.Messages[0].Text != "Hey Bob, do you have a minute?" ||
			page.Messages[0].Sender != "alice@example.com" || page.Messages[0].Receiver != "bob@example.com" {
			t.Errorf("DM as bob: %+v, want alice's question first", page.Messages)
		}
	})
}

// TestImportSlackErrors checks the command's answers to bad input, and
// that none of them leaves a database behind.
func TestImportSlackErrors(t *testing.T) {
	t.Parallel()
	testdata := filepath.Join("..", "..", "slackimport", "testdata")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"ErrNoSource", []string{"import"}, "want: parley import slack EXPORT"},
		{"ErrOtherSource", []string{"import", "teams", "x.zip"}, "want: parley import slack EXPORT"},
		{"ErrNoExport", []string{"import", "slack"}, "EXPORT is required"},
		{"ErrMissing", []string{"import", "slack", filepath.Join(testdata, "nowhere.zip")},
			"nowhere.zip: no such file or directory"},
		{"ErrBrokenZip", []string{"import", "slack", filepath.Join(testdata, "broken.zip")},
			"broken.zip is not a zip file"},
		{"ErrTruncatedZip", []string{"import", "slack", filepath.Join(testdata, "truncated.zip")},
			"truncated.zip is not a zip file"},
		{"ErrNotExport", []string{"import", "slack", filepath.Join(testdata, "not-an-export")},
			"not a Slack export: it has no users.json"},
		{"ErrEmptyWorkspace", []string{"import", "slack", slackFixture, "--workspace", ""},
			"parley: import slack: --workspace: the name is empty\n"},
		{"ErrBlankWorkspace", []string{"import", "slack", "--workspace", "   ", slackFixture},
			"parley: import slack: --workspace: the name is empty\n"},
		{"ErrLongWorkspace", []string{"import", "slack", slackFixture, "--workspace", strings.Repeat("w", 101)},
			`workspace name "` + strings.Repeat("w", 101) + `": want 1 to 100 characters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "parley.db")
			code, _, stderr := runParley(t, nil, append(tt.args, "--db", db)...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the failed import left a database behind: %v", err)
			}
		})
	}

	t.Run("ErrConversation", func(t *testing.T) {
		// An export of which a part fails is imported but for that part.
		db := filepath.Join(t.TempDir(), "parley.db")
		code, _, stderr := runParley(t, nil, "import", "slack", filepath.Join(testdata, "slack-export-edge"), "--db", db)
		if want := "2 parts were not imported; see the report"; code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})
}
