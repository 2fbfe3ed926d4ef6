package app_test

import (
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// TestSyncRetention checks that changes older than ChangeRetention are
// pruned, and that a token from before them is refused as too old rather
// than answered with a hole, while a token from after them still works.
func TestSyncRetention(t *testing.T) {
	svc, _ := MustOpenService(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { return now }
	annCtx, _ := MustSignup(t, svc, "ann@example.com")
	ws := MustCreateWorkspace(t, svc, annCtx, "keep")
	general := ws.Channels[0]

	old, err := svc.Sync(annCtx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, app.Draft{Text: "old"}); err != nil {
		t.Fatal(err)
	}

	now = now.Add(app.ChangeRetention + time.Hour)
	recent, err := svc.Sync(annCtx, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, app.Draft{Text: "new"}); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.PruneChanges(annCtx); err != nil || n != 3 {
		t.Fatalf("PruneChanges=%d, %v; want the three old changes: ann's two joins and the message", n, err)
	}

	if _, err := svc.Sync(annCtx, old.SyncToken, nil); parley.ErrorCode(err) != parley.EINVALID {
		t.Fatalf("sync from before the pruned change: err=%v, want %s", err, parley.EINVALID)
	}
	page, err := svc.Sync(annCtx, recent.SyncToken, nil)
	if err != nil || len(page.Changes) != 1 {
		t.Fatalf("sync from after the pruned change: %v, %v; want the new message", page, err)
	}
}
