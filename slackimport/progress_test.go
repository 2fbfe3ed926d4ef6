package slackimport_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/parleychat/parley/slackimport"
)

// TestImportProgressBar checks the bar drawn on a terminal: it counts the
// chat messages (not the lines that are changes), shows a rate only once
// it has one, and ends its line, so that the report, written to the same
// terminal, starts on a line of its own.
func TestImportProgressBar(t *testing.T) {
	env := MustOpenEnv(t)
	var out strings.Builder
	im := &slackimport.Importer{Service: env.Service, Progress: &out, Terminal: true}
	rep, err := im.Import(context.Background(), smallExport)
	if err != nil {
		t.Fatal(err)
	}
	bar := out.String()
	rep.WriteTo(&out)
	got := out.String()

	t.Run("EndsLine", func(t *testing.T) {
		if !strings.HasSuffix(bar, "\n") || !strings.Contains(got, "\nSlack import into workspace") {
			t.Errorf("the report does not start on a line of its own:\n%q", got)
		}
		if strings.Count(bar, "\n") != 1 {
			t.Errorf("bar %q, want one line, redrawn in place", bar)
		}
	})

	t.Run("Total", func(t *testing.T) {
		// The export has 20 chat messages, and 6 lines that are changes.
		if rep.Messages != 20 {
			t.Fatalf("%d messages imported, want 20", rep.Messages)
		}
		frames := strings.Split(bar, "\r")
		last := strings.TrimSpace(frames[len(frames)-1])
		if !strings.Contains(last, "100%") || !strings.Contains(last, "(20/20)") ||
			!strings.HasPrefix(last, "imported") || strings.Contains(bar, "/26") {
			t.Errorf("last frame %q, want 100%% of the 20 messages", last)
		}
		if strings.Contains(bar, "imported #general") {
			t.Errorf("a line per conversation on a terminal: %q", bar)
		}
	})

	t.Run("Rate", func(t *testing.T) {
		if strings.Contains(bar, "/hr") || strings.Contains(bar, " 0 messages") {
			t.Errorf("bar %q shows a rate of nothing", bar)
		}
		first := strings.Split(strings.TrimPrefix(bar, "\r"), "\r")[0]
		if strings.Contains(first, "messages/s") {
			t.Errorf("first frame %q shows a rate before any message", first)
		}
		if !regexp.MustCompile(`imported, [0-9,]+ messages/s 100%`).MatchString(bar) {
			t.Errorf("bar %q, want the rate of the run on its last frame", bar)
		}
	})
}

// TestImportProgressBarCanceled checks that a bar left half-way, when the
// import is canceled, still ends its line.
func TestImportProgressBarCanceled(t *testing.T) {
	env := MustOpenEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The writer cancels the import once the bar is drawn.
	out := &cancelingWriter{cancel: cancel, when: "importing"}
	im := &slackimport.Importer{Service: env.Service, Progress: out, Terminal: true}
	rep, err := im.Import(ctx, smallExport)
	if !errors.Is(err, context.Canceled) || rep == nil || rep.Messages != 0 {
		t.Fatalf("Import: %v, report %v; want it canceled before the first conversation", err, rep)
	}
	if got := out.String(); !strings.HasSuffix(got, "\n") || strings.Contains(got, "100%") {
		t.Errorf("progress %q, want a bar short of 100%% that ends its line", got)
	}
}

// cancelingWriter is a progress writer that calls cancel once it is
// written text holding when.
type cancelingWriter struct {
	b      strings.Builder
	cancel func()
	when   string
}

func (w *cancelingWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.when) {
		w.cancel()
	}
	return w.b.Write(p)
}

func (w *cancelingWriter) String() string { return w.b.String() }

// TestImportProgressBarNoMessages checks that an export without messages
// gets lines, not a bar of nothing.
func TestImportProgressBarNoMessages(t *testing.T) {
	env := MustOpenEnv(t)
	dir := Export{
		"users.json":    []map[string]any{{"id": "U1", "name": "ann", "profile": map[string]any{"email": "ann@example.com"}}},
		"channels.json": []map[string]any{{"id": "C1", "name": "general", "is_general": true}},
	}.MustWrite(t, "empty")
	var out strings.Builder
	im := &slackimport.Importer{Service: env.Service, Progress: &out, Terminal: true}
	if _, err := im.Import(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "imported #general: 0 messages\n" {
		t.Errorf("progress %q, want a line for general", got)
	}
}
