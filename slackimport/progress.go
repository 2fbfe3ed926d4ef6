package slackimport

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal, where a progress bar can be
// redrawn in place.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows how an import advances: a bar counting messages on a
// terminal, a line per conversation elsewhere (a log, a pipe), or nothing.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// newProgress returns the progress of an import of total messages. A bar
// is drawn only on a terminal, and only if w is set.
func newProgress(w io.Writer, terminal bool, total int) *progress {
	p := &progress{w: w}
	if w == nil || !terminal {
		return p
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionSetItsString("messages"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
	return p
}

// start says which conversation is being imported.
func (p *progress) start(label string) {
	if p.bar != nil {
		p.bar.Describe(label)
	}
}

// done counts a conversation's n messages as handled: added said how many
// were added and existing how many an earlier run had added.
func (p *progress) done(label string, n, added, existing int) {
	switch {
	case p.bar != nil:
		p.bar.Add(n)
	case p.w == nil:
	case existing > 0:
		fmt.Fprintf(p.w, "imported %s: %s %s, %s imported before\n",
			label, num(added), plural(added, "message"), num(existing))
	default:
		fmt.Fprintf(p.w, "imported %s: %s %s\n", label, num(added), plural(added, "message"))
	}
}

// failed counts a conversation that was left out.
func (p *progress) failed(label string, n int, reason string) {
	switch {
	case p.bar != nil:
		p.bar.Add(n)
	case p.w != nil:
		fmt.Fprintf(p.w, "not imported %s: %s\n", label, reason)
	}
}

// finish completes the bar.
func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Describe("imported")
		p.bar.Finish()
	}
}
