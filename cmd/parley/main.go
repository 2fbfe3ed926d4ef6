// Command parley runs the Parley chat server and its tools.
//
//	parley serve [flags]   run the server
//	parley import slack    load a Slack export
//	parley user reset-password EMAIL
//	parley chat [flags]    a minimal terminal chat client
//	parley version         print the version
//
// Wiring happens here and nowhere else: this is the only package that sees
// more than one adapter.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/parleychat/parley"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run runs one subcommand and returns the process's exit code: 0 on
// success, 1 on a failure while running, 2 on a bad command line or setting.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}

	switch args[0] {
	case "serve":
		m := NewMain()
		if err := m.ParseFlags(args[1:], getenv, stderr); errors.Is(err, flag.ErrHelp) {
			return 0
		} else if err != nil {
			fmt.Fprintf(stderr, "parley: %s\n", err)
			return 2
		}
		if err := m.Run(ctx); err != nil {
			fmt.Fprintf(stderr, "parley: %s\n", err)
			m.Close()
			return 1
		}
		<-ctx.Done()
		if err := m.Close(); err != nil {
			fmt.Fprintf(stderr, "parley: shutdown: %s\n", err)
			return 1
		}
		return 0
	case "chat":
		if err := runChat(ctx, args[1:], getenv, os.Stdin, stdout, stderr); errors.Is(err, flag.ErrHelp) {
			return 0
		} else if err != nil {
			fmt.Fprintf(stderr, "parley: %s\n", err)
			return 1
		}
		return 0
	case "user":
		return exitCode(runUser(ctx, args[1:], getenv, stdout, stderr), stderr)
	case "import":
		return exitCode(runImport(ctx, args[1:], getenv, stdout, stderr), stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "parley %s\n", parley.Version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "parley: unknown command %q\n%s", args[0], usage)
	return 2
}

// exitCode reports err, if any, and returns the exit code for it.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	}
	fmt.Fprintf(stderr, "parley: %s\n", err)
	return 1
}

// parleyMessage returns the safe message of a Parley error, or "".
func parleyMessage(err error) string {
	var e *parley.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

const usage = `Usage:
  parley serve [flags]   run the server (parley serve -h lists the flags)
  parley import slack EXPORT [--db FILE] [--workspace NAME]
                         load a Slack export (zip or folder) into one workspace
  parley user reset-password EMAIL [--db FILE]
                         print a one-time code with which the user sets a password
  parley chat [flags]    a minimal terminal chat client (parley chat -h)
  parley version         print the version
`
