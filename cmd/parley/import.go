package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/parleychat/parley/slackimport"
)

// runImport runs parley import SOURCE.
//
//	parley import slack EXPORT [--db FILE] [--workspace NAME]
//
// EXPORT is a Slack export zip file or the folder it unpacks to. Progress
// goes to stderr: a bar on a terminal, a line per conversation otherwise.
// The report goes to stdout. The exit code is 1 if the export could not be
// read, or if a conversation of it could not be imported (the others are);
// messages skipped one by one are in the report and leave it at 0.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "slack" {
		return errors.New("import: want: parley import slack EXPORT [--db FILE] [--workspace NAME]")
	}
	fs := flag.NewFlagSet("parley import slack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr(getenv, "PARLEY_DB", "parley.db"), "SQLite file or postgres:// URL (env PARLEY_DB)")
	workspace := fs.String("workspace", "", "workspace to fill (default: the export's name)")
	path, err := parseWithArg(fs, args[1:], "EXPORT")
	if err != nil {
		return err
	}
	// --workspace "" asks for no name at all, which is not the default.
	named := false
	fs.Visit(func(f *flag.Flag) { named = named || f.Name == "workspace" })
	if named && strings.TrimSpace(*workspace) == "" {
		return errors.New("import slack: --workspace: the name is empty")
	}

	// The export and the name are checked before the database is opened,
	// so that a mistyped path or a broken export leaves no new, empty
	// database behind.
	e, err := slackimport.Open(path)
	if err != nil {
		return fmt.Errorf("import slack: %w", err)
	}
	defer e.Close()
	im := &slackimport.Importer{
		Workspace: *workspace, Progress: stderr, Terminal: slackimport.IsTerminal(stderr),
	}
	if _, err := im.WorkspaceName(e); err != nil {
		return fmt.Errorf("import slack: %w", err)
	}

	store, svc, err := openService(ctx, *db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	im.Service = svc

	rep, err := im.ImportFrom(ctx, e)
	if rep != nil {
		if _, werr := rep.WriteTo(stdout); werr != nil && err == nil {
			err = werr
		}
	}
	switch {
	case err != nil:
		return fmt.Errorf("import slack %s: %s", path, errorText(err))
	case len(rep.Failed) > 0:
		return fmt.Errorf("import slack %s: %d %s not imported; see the report",
			path, len(rep.Failed), plural(len(rep.Failed), "part was", "parts were"))
	}
	return nil
}

// plural returns one for n == 1 and many otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
