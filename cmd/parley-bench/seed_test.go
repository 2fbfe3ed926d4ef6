package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/slackimport"
	"github.com/parleychat/parley/sqlite"
)

// TestSeedExport checks that the importer reads a generated export whole:
// every message, every user, nothing skipped.
func TestSeedExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seed")
	e := seedExport{Messages: 250, Users: 3, PerDay: 100, Channel: "history"}
	if err := e.Write(context.Background(), dir); err != nil {
		t.Fatalf("Write: %v", err)
	}

	store, err := sqlite.Open(filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := &app.Service{Store: store}
	if err := svc.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	im := &slackimport.Importer{Service: svc, Workspace: "bench-seed"}
	rep, err := im.Import(context.Background(), dir)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if rep.Messages != 250 || len(rep.Failed)+len(rep.Skipped)+len(rep.Orphans) > 0 {
		t.Errorf("Messages=%d, want 250 and nothing failed or skipped; report:\n%s", rep.Messages, rep)
	}
	if _, err := store.UserByEmail(context.Background(), seedEmail(2)); err != nil {
		t.Errorf("UserByEmail(%s): %v", seedEmail(2), err)
	}
}
