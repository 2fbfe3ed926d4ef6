package slackimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/slackimport"
	"github.com/parleychat/parley/sqlite"
)

// smallExport is the fixture export, as a folder and as a zip file.
const (
	smallExport    = "testdata/slack-export-small"
	smallExportZip = "testdata/slack-export-small.zip"
)

// Env is a service on a fresh SQLite file, for one test.
type Env struct {
	Store   *sqlite.Store
	Service *app.Service
	Path    string
}

// MustOpenEnv opens a store on a temporary file and a service on it.
func MustOpenEnv(tb testing.TB) *Env {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "parley.db")
	store, err := sqlite.Open(path)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { store.Close() })
	svc := &app.Service{Store: store, PasswordCost: 4}
	if err := svc.Open(context.Background()); err != nil {
		tb.Fatalf("open service: %v", err)
	}
	return &Env{Store: store, Service: svc, Path: path}
}

// Import imports the export at path into the workspace name ("" for the
// default), with progress lines, and returns the report and the progress
// written.
func (env *Env) Import(tb testing.TB, path, name string) (*slackimport.Report, string, error) {
	tb.Helper()
	var progress bytes.Buffer
	im := &slackimport.Importer{Service: env.Service, Workspace: name, Progress: &progress}
	rep, err := im.Import(context.Background(), path)
	return rep, progress.String(), err
}

// MustImport imports the export at path and fails the test on an error.
func (env *Env) MustImport(tb testing.TB, path, name string) *slackimport.Report {
	tb.Helper()
	rep, _, err := env.Import(tb, path, name)
	if err != nil {
		tb.Fatalf("Import(%s): %v", path, err)
	}
	return rep
}

// MustUser returns the user with the given email.
func (env *Env) MustUser(tb testing.TB, email string) *parley.User {
	tb.Helper()
	u, err := env.Store.UserByEmail(context.Background(), email)
	if err != nil {
		tb.Fatalf("UserByEmail(%s): %v", email, err)
	}
	return u
}

// MustChannel returns the channel of the workspace with the given name.
func (env *Env) MustChannel(tb testing.TB, workspaceID, name string) *parley.Channel {
	tb.Helper()
	chs, err := env.Store.Channels(context.Background(), workspaceID)
	if err != nil {
		tb.Fatalf("Channels: %v", err)
	}
	for _, ch := range chs {
		if ch.Name == name {
			return ch
		}
	}
	var names []string
	for _, ch := range chs {
		names = append(names, ch.Name)
	}
	tb.Fatalf("no channel %q in the workspace; it has %q", name, names)
	return nil
}

// MustMessages returns every message of a conversation, replies included,
// in order.
func (env *Env) MustMessages(tb testing.TB, conversationID string) []*parley.Message {
	tb.Helper()
	page, err := env.Store.Messages(context.Background(), conversationID,
		parley.MessageFilter{Limit: 10000, IncludeReplies: true})
	if err != nil {
		tb.Fatalf("Messages(%s): %v", conversationID, err)
	}
	return page.Messages
}

// MustMembers returns the emails of a channel's members, in the order they
// joined.
func (env *Env) MustMembers(tb testing.TB, channelID string) []string {
	tb.Helper()
	ctx := context.Background()
	ids, err := env.Store.ChannelMemberIDs(ctx, channelID)
	if err != nil {
		tb.Fatalf("ChannelMemberIDs: %v", err)
	}
	var emails []string
	for _, id := range ids {
		u, err := env.Store.User(ctx, id)
		if err != nil {
			tb.Fatalf("User(%s): %v", id, err)
		}
		emails = append(emails, u.Email)
	}
	return emails
}

// ByText returns the message of msgs whose text is text.
func ByText(tb testing.TB, msgs []*parley.Message, text string) *parley.Message {
	tb.Helper()
	for _, m := range msgs {
		if m.Text == text {
			return m
		}
	}
	tb.Fatalf("no message %q among %d", text, len(msgs))
	return nil
}

// Export is an export written by a test: file name to content, where a
// content that is not a string or []byte is encoded as JSON.
type Export map[string]any

// MustWrite writes the export into a new folder named name and returns its
// path.
func (x Export) MustWrite(tb testing.TB, name string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), name)
	for file, content := range x {
		var data []byte
		switch c := content.(type) {
		case string:
			data = []byte(c)
		case []byte:
			data = c
		default:
			var err error
			if data, err = json.MarshalIndent(c, "", "  "); err != nil {
				tb.Fatalf("encode %s: %v", file, err)
			}
		}
		path := filepath.Join(dir, filepath.FromSlash(file))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}
