package slackimport_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestImportGrownExport imports an export, then a later export of the same
// workspace with a day more: only the new day's messages are added, after
// the others.
func TestImportGrownExport(t *testing.T) {
	env := MustOpenEnv(t)
	dir := copyExport(t, smallExport)
	day2 := filepath.Join(dir, "general", "2023-11-15.json")
	data, err := os.ReadFile(day2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(day2); err != nil {
		t.Fatal(err)
	}
	first := env.MustImport(t, dir, "grown")
	if first.Messages != 13 {
		t.Fatalf("first run added %d messages, want 13", first.Messages)
	}

	if err := os.WriteFile(day2, data, 0o644); err != nil {
		t.Fatal(err)
	}
	second := env.MustImport(t, dir, "grown")
	if second.Messages != 7 || second.Existing != 13 || len(second.Orphans) != 1 {
		t.Errorf("second run: %d added, %d existing, %d orphans; want 7, 13, 1",
			second.Messages, second.Existing, len(second.Orphans))
	}
	msgs := env.MustMessages(t, env.MustChannel(t, second.WorkspaceID, "general").ID)
	last := "Text with characters that need escaping: <b> & \"quotes\" and a newline\nsecond line"
	if len(msgs) != 12 || msgs[11].Seq != 12 || msgs[11].Text != last {
		t.Errorf("general has %d messages, the last %+v; want 12 in order", len(msgs), msgs[len(msgs)-1])
	}
}
