// Command parley-bench drives a running chat server over its real API and
// reports latency (p50, p99, max), throughput and errors. It measures
// Parley, and the peers it is compared with (Centrifugo, Dendrite), with the
// same scenarios:
//
//	parley-bench SCENARIO [--target parley|centrifugo|dendrite] [--url URL]
//	             [--opt key=value]... [--json] [scenario flags]
//
// Each result is one line on stdout, or with --json one JSON object a line
// (see [Result]); progress goes to stderr. The exit code is 2 for a bad
// command line or a target that cannot take part in the scenario, 1 for a
// run that failed, 0 otherwise. Measurements are open loop unless said
// otherwise: operations start at a fixed rate whether or not earlier ones
// have answered, and each one's latency counts from when it was due (see
// [OpenLoop]), so that a server that falls behind is charged for the queue
// it builds.
//
// # Scenarios
//
// send: many users send persisted messages into one channel, at each rate of
// --rates in turn (1,000 to 20,000 a second, --duration each, --users
// senders). A rate counts as a success when nothing failed and p99 stayed
// within --slo (20 ms); the last line names the highest such rate as
// best_rate. Stepping up stops after a rate with errors or a p99 beyond
// --stop-p99 (200 ms). An unmeasured --warmup at the first rate comes
// first, so that the connections are open before the first step counts.
//
// fanout: --receivers connections (one user each) listen on one channel
// while another user publishes into it at each rate of --rates. Each
// message carries its send time; the latency is the time from send to
// arrival at each receiver, and the rate is deliveries a second. Deliveries
// still missing 2 s after the last publish are reported as lost.
//
// idle: --conns authenticated connections that do nothing. With --pid, the
// server's resident memory (VmRSS in /proc/PID/status) is read before they
// connect and again --settle after, and the difference is divided among
// them.
//
// history: a channel holding --messages messages is read, the newest 50 a
// time, at --rate reads a second. Parley's channel is seeded with a
// synthetic Slack export (see below) unless it holds enough already.
//
// connect: --concurrency workers each open a connection, authenticate, wait
// for the server's first frame and close, again and again for --duration.
// This one is closed loop: a connection's latency is its whole life, and
// the rate is what the workers reach.
//
// coldstart: needs no target. It starts --cmd (run by sh -c), polls --ready
// every 2 ms until it answers 200, stops the process with SIGTERM and waits
// for it, --runs times. The latency is start to first 200.
//
// seed-export: writes a Slack export with one channel of --messages
// messages, for the history scenario.
//
// # Running it
//
// Build both binaries (go run would put the compiler into coldstart's
// figures, and its PID is not the server's), start the server pinned to
// one core with its request log quiet, and pin the tool to the other:
//
//	go build -o /tmp/parley ./cmd/parley && go build -o /tmp/parley-bench ./cmd/parley-bench
//	taskset -c 1 /tmp/parley serve --addr 127.0.0.1:18080 --db /tmp/bench.db --log-level warn &
//	B="taskset -c 0 /tmp/parley-bench"; U=--url=http://127.0.0.1:18080
//	$B send $U                                    # 1,000 to 20,000/s, 10 s a step
//	$B fanout $U --receivers 1000 --rates 20,50
//	$B idle $U --conns 10000 --pid $(pgrep -n -x parley)
//	$B connect $U --duration 10s
//	$B coldstart --runs 5 --ready http://127.0.0.1:18081/readyz \
//	    --cmd "exec taskset -c 1 /tmp/parley serve --addr 127.0.0.1:18081 --db /tmp/cold.db"
//
// Sign-ups cost the server a bcrypt hash each (about 60 ms of CPU), so the
// Parley target creates its users once per run ID and signs them in again
// later: pass the same --opt run=ID to later runs to skip the sign-ups
// (the logins still cost a hash each). With "exec" in --cmd the shell
// gives way to the server, and SIGTERM reaches it directly.
//
// # Seeding history for Parley
//
// A million messages are too many to post over HTTP in a benchmark's
// set-up; an import writes them in about a minute:
//
//	/tmp/parley-bench seed-export --out /tmp/seed --messages 1000000
//	/tmp/parley import slack /tmp/seed --db /tmp/history.db --workspace bench-seed
//	taskset -c 1 /tmp/parley serve --addr 127.0.0.1:18080 --db /tmp/history.db --log-level warn &
//	CODE=$(/tmp/parley user reset-password bench-seed-0@example.com --db /tmp/history.db | tail -n 1)
//	$B history $U --messages 1000000 --opt email=bench-seed-0@example.com \
//	    --opt code=$CODE --opt workspace=bench-seed
//
// With a code, the Parley target sets the password (--opt password, with a
// default) through POST /auth/reset, as README's "Moving from Slack" does by
// hand; later runs leave the code out and log in with that password.
// Without --opt email, the target fills a channel of its own over HTTP
// when it lacks fewer than 50,000 messages, and refuses otherwise.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.SetFlags(log.Ltime)
	log.SetPrefix("parley-bench ")
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// scenario is one kind of measurement: the flags it takes, and how it runs.
type scenario interface {
	// flags registers the scenario's own flags on fs, with their defaults.
	flags(fs *flag.FlagSet)
	// run measures, sending each result to b.emit. An error of type
	// usageError means the command line (or the target) was wrong.
	run(ctx context.Context, b *bench) error
}

// scenarios returns a fresh scenario of each name.
func scenarios() map[string]scenario {
	return map[string]scenario{
		"send":        &sendScenario{},
		"fanout":      &fanoutScenario{},
		"idle":        &idleScenario{},
		"history":     &historyScenario{},
		"connect":     &connectScenario{},
		"coldstart":   &coldstartScenario{},
		"seed-export": &seedScenario{},
	}
}

// usage is printed for a missing or unknown scenario.
const usage = `usage: parley-bench SCENARIO [flags]
scenarios: send, fanout, idle, history, connect, coldstart, seed-export
common flags: --target parley|centrifugo|dendrite, --url URL, --opt key=value, --json
parley-bench SCENARIO --help lists a scenario's flags
`

// usageError is a mistake on the command line, answered with exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run runs one scenario and returns the process's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	sc, ok := scenarios()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "parley-bench: unknown scenario %q\n%s", args[0], usage)
		return 2
	}

	b := &bench{scenario: args[0], opts: optionFlag{}, stdout: stdout}
	fs := flag.NewFlagSet("parley-bench "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a mistake gets one line, below; --help the list
	fs.StringVar(&b.targetName, "target", "parley", "server under test: "+targetNames())
	fs.StringVar(&b.url, "url", "http://127.0.0.1:8080", "the server's base HTTP URL")
	fs.Var(b.opts, "opt", "a target's own setting, key=value (repeatable)")
	fs.BoolVar(&b.json, "json", false, "print each result as a JSON line")
	sc.flags(fs)
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fmt.Fprintf(stderr, "usage: parley-bench %s [flags]\n", args[0])
		fs.PrintDefaults()
		return 0
	} else if err != nil {
		fmt.Fprintf(stderr, "parley-bench %s: %s\n", args[0], err)
		return 2
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley-bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	raiseFileLimit()
	err := sc.run(ctx, b)
	if c, ok := b.target.(io.Closer); ok {
		c.Close()
	}
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "parley-bench: %s\n", err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "parley-bench: %s: %s\n", args[0], err)
		return 1
	}
	return 0
}

// bench is what every scenario shares: the target and where results go.
type bench struct {
	scenario   string
	targetName string
	url        string
	opts       optionFlag
	json       bool
	stdout     io.Writer

	target any // made by Target
}

// Target makes the target named by --target, once.
func (b *bench) Target() (any, error) {
	if b.target != nil {
		return b.target, nil
	}
	newTarget, ok := targets[b.targetName]
	if !ok {
		return nil, usagef("unknown target %q (known: %s)", b.targetName, targetNames())
	}
	// A constructor checks only its settings, so its error is the
	// command line's.
	t, err := newTarget(TargetConfig{URL: b.url, Options: b.opts})
	if err != nil {
		return nil, usagef("target %s: %s", b.targetName, err)
	}
	b.target = t
	return t, nil
}

// lacks is the error for a target without the interface a scenario needs.
func (b *bench) lacks(what string) error {
	return usagef("target %s cannot run the %s scenario (it does not %s)", b.targetName, b.scenario, what)
}

// emit prints one result, as a line for people or as JSON.
func (b *bench) emit(r Result) {
	if !b.json {
		fmt.Fprintln(b.stdout, r)
		return
	}
	line, _ := json.Marshal(r)
	fmt.Fprintf(b.stdout, "%s\n", line)
}

// targetNames lists the registered targets, sorted, for messages.
func targetNames() string {
	var names []string
	for name := range targets {
		names = append(names, name)
	}
	slices.Sort(names)
	return fmt.Sprint(names)
}

// raiseFileLimit raises the soft limit of open files to the hard limit, as
// the idle and fanout scenarios hold a socket per connection. Go's runtime
// does the same at start on Linux; doing it here says so, and keeps the
// tool right where that changes.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Printf("cannot raise the open-file limit: %v", err)
		}
	}
}
