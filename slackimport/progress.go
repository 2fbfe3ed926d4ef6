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
	// began is when the bar started, and handled the messages of total
	// it has counted since, for the rate it shows.
	began          time.Time
	handled, total int
}

// newProgress returns the progress of an import of total chat messages. A
// bar is drawn only on a terminal, only if w is set, and only if there
// are messages to count; otherwise w, if set, gets lines.
func newProgress(w io.Writer, terminal bool, total int) *progress {
	p := &progress{w: w}
	if w == nil || !terminal || total == 0 {
		return p
	}
	// The bar's own rate is of no use here: it reads "0 messages/hr"
	// until a conversation is done, and then the rate of the latest
	// ones. The description carries the rate of the whole run instead.
	p.began, p.total = time.Now(), total
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("importing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
	)
	return p
}

// start says which conversation is being imported.
func (p *progress) start(label string) {
	if p.bar != nil {
		p.bar.Describe(p.withRate(label))
	}
}

// done counts a conversation of n chat messages as handled: added said
// how many were added and existing how many an earlier run had added.
func (p *progress) done(label string, n, added, existing int) {
	switch {
	case p.bar != nil:
		p.add(n)
	case p.w == nil:
	case existing > 0:
		fmt.Fprintf(p.w, "imported %s: %s %s, %s imported before\n",
			label, num(added), plural(added, "message"), num(existing))
	default:
		fmt.Fprintf(p.w, "imported %s: %s %s\n", label, num(added), plural(added, "message"))
	}
}

// failed counts a conversation of n chat messages that was left out.
func (p *progress) failed(label string, n int, reason string) {
	switch {
	case p.bar != nil:
		p.add(n)
	case p.w != nil:
		fmt.Fprintf(p.w, "not imported %s: %s\n", label, reason)
	}
}

// add moves the bar on by n messages.
func (p *progress) add(n int) {
	p.handled += n
	if p.handled >= p.total {
		// The bar draws its last frame as it fills, and cannot redraw
		// it cleanly after: it is described first.
		p.bar.Describe(p.withRate("imported"))
	}
	p.bar.Add(n)
}

// finish completes the bar and ends its line, so that what is written
// next starts on a line of its own.
func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	if !p.bar.IsFinished() {
		p.bar.Describe(p.withRate("imported"))
		p.bar.Finish()
	}
	fmt.Fprintln(p.w)
}

// stop leaves the bar where it is, for an import that ended early, and
// ends its line.
func (p *progress) stop() {
	if p.bar == nil {
		return
	}
	p.bar.Exit()
	fmt.Fprintln(p.w)
}

// withRate returns what, followed by the messages handled per second so
// far once there are some: "#general, 12,345 messages/s".
func (p *progress) withRate(what string) string {
	secs := time.Since(p.began).Seconds()
	if p.handled == 0 || secs <= 0 {
		return what
	}
	return fmt.Sprintf("%s, %s messages/s", what, num(int(float64(p.handled)/secs+0.5)))
}
