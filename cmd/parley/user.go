package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// openService opens the database db names and a service on it, for the
// commands that work on the database without serving it. The caller closes
// the store.
func openService(ctx context.Context, db string, logger *slog.Logger) (parley.Store, *app.Service, error) {
	store, err := openStore(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	svc := &app.Service{Store: store, Logger: logger}
	if err := svc.Open(ctx); err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, svc, nil
}

// runUser runs parley user SUBCOMMAND.
//
//	parley user reset-password EMAIL [--db FILE]
//
// reset-password prints a one-time code with which the user sets a password
// through POST /auth/reset. The code is alone on the last line of the
// output, so that a script can take it with tail -n 1.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "reset-password" {
		return errors.New("user: want: parley user reset-password EMAIL [--db FILE]")
	}
	fs := flag.NewFlagSet("parley user reset-password", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr(getenv, "PARLEY_DB", "parley.db"), "SQLite file or postgres:// URL (env PARLEY_DB)")
	email, err := parseWithArg(fs, args[1:], "EMAIL")
	if err != nil {
		return err
	}

	store, svc, err := openService(ctx, *db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	code, err := svc.IssueResetCode(ctx, email)
	if err != nil {
		return fmt.Errorf("reset-password %s: %s", email, errorText(err))
	}
	fmt.Fprintf(stdout, "One-time code for %s, valid for %s. The user sets a password with\n", email, app.ResetCodeTTL)
	fmt.Fprintf(stdout, "POST /auth/reset {\"email\", \"code\", \"password\"}:\n%s\n", code)
	return nil
}

// parseWithArg parses flags that may come before or after one positional
// argument, and returns that argument.
func parseWithArg(fs *flag.FlagSet, args []string, name string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("%s: %s is required", fs.Name(), name)
	}
	arg := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	} else if fs.NArg() > 0 {
		return "", fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return arg, nil
}

// envOr returns the environment variable, or def when it is empty.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// errorText is the message of an error for a person at a terminal: the
// safe message of a domain error, or the error itself.
func errorText(err error) string {
	if msg := parleyMessage(err); msg != "" {
		return msg
	}
	return err.Error()
}
