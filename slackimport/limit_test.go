package slackimport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/slackimport"
)

// TestImportFileLimits checks that no file is read past its size limit:
// a day file over it costs its conversation, users.json or channels.json
// over it stops the import. The limits are lowered to 64 KiB, so that the
// files need not be hundreds of megabytes.
func TestImportFileLimits(t *testing.T) {
	const limit = 64 << 10
	ctx := context.Background()

	// importLimited imports the export at path with the lowered limits.
	importLimited := func(t *testing.T, env *Env, path string) (*slackimport.Report, error) {
		t.Helper()
		e, err := slackimport.OpenLimited(path, limit, limit)
		if err != nil {
			return nil, err
		}
		defer e.Close()
		im := &slackimport.Importer{Service: env.Service}
		return im.ImportFrom(ctx, e)
	}
	// mustFailOpen checks that opening path fails, holding want.
	mustFailOpen := func(t *testing.T, path, want string) {
		t.Helper()
		env := MustOpenEnv(t)
		rep, err := importLimited(t, env, path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Import: report %v, error %v; want an error holding %q", rep, err, want)
		}
		if _, err := env.Store.UserByEmail(ctx, "alice@example.com"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("a user was imported from a refused export: %v", err)
		}
	}

	t.Run("DayFileTooLarge", func(t *testing.T) {
		dir := copyExport(t, smallExport)
		mustWriteFile(t, filepath.Join(dir, "random", "2023-11-15.json"), bigDay(limit+1))
		env := MustOpenEnv(t)
		rep, err := importLimited(t, env, dir)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		want := slackimport.Item{File: "random/2023-11-15.json",
			Reason: "file too large (more than 64 KiB); #random was not imported"}
		if len(rep.Failed) != 1 || rep.Failed[0] != want {
			t.Errorf("failed=%v, want %v", rep.Failed, want)
		}
		if rep.Messages != 18 {
			t.Errorf("%d messages, want the 18 of the other conversations", rep.Messages)
		}
	})

	t.Run("DayFileAtLimit", func(t *testing.T) {
		dir := copyExport(t, smallExport)
		mustWriteFile(t, filepath.Join(dir, "random", "2023-11-15.json"), bigDay(limit))
		rep, err := importLimited(t, MustOpenEnv(t), dir)
		if err != nil || len(rep.Failed) != 0 || rep.Messages != 21 {
			t.Errorf("Import: %v; failed %v, %d messages; want all 21 imported", err, rep.Failed, rep.Messages)
		}
	})

	t.Run("ZipBomb", func(t *testing.T) {
		// A deflated day file of 1 MiB of spaces takes a few kilobytes
		// in the zip.
		path := mustZipFiles(t, smallExport, map[string][]byte{
			"random/2023-11-15.json": bigDay(1 << 20),
		})
		if info, err := os.Stat(path); err != nil || info.Size() > 64<<10 {
			t.Fatalf("zip of %v bytes (%v), want a small one", info.Size(), err)
		}
		rep, err := importLimited(t, MustOpenEnv(t), path)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if len(rep.Failed) != 1 || !strings.Contains(rep.Failed[0].Reason, "file too large") {
			t.Errorf("failed=%v, want random's day file, too large", rep.Failed)
		}
	})

	t.Run("ErrUsersTooLarge", func(t *testing.T) {
		dir := copyExport(t, smallExport)
		mustWriteFile(t, filepath.Join(dir, "users.json"), padded(`[]`, limit+1))
		mustFailOpen(t, dir, "users.json: file too large (more than 64 KiB)")
	})

	t.Run("ErrChannelsTooLarge", func(t *testing.T) {
		path := mustZipFiles(t, smallExport, map[string][]byte{"channels.json": padded(`[]`, limit+1)})
		mustFailOpen(t, path, "channels.json: file too large (more than 64 KiB)")
	})

	t.Run("OptionalListTooLarge", func(t *testing.T) {
		dir := copyExport(t, smallExport)
		mustWriteFile(t, filepath.Join(dir, "groups.json"), padded(`[]`, limit+1))
		rep, err := importLimited(t, MustOpenEnv(t), dir)
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		want := slackimport.Item{File: "groups.json",
			Reason: "its conversations were not imported: file too large (more than 64 KiB)"}
		if len(rep.Failed) != 1 || rep.Failed[0] != want {
			t.Errorf("failed=%v, want %v", rep.Failed, want)
		}
	})

	t.Run("ErrEndlessUsers", func(t *testing.T) {
		// users.json is /dev/zero: a file that claims no size and never
		// ends. The real limit, 64 MiB, stops it.
		if _, err := os.Stat("/dev/zero"); err != nil {
			t.Skip("no /dev/zero")
		}
		dir := copyExport(t, smallExport)
		users := filepath.Join(dir, "users.json")
		if err := os.Remove(users); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/dev/zero", users); err != nil {
			t.Skipf("symlink: %v", err)
		}
		_, err := slackimport.Open(dir)
		if err == nil || !strings.Contains(err.Error(), "users.json: file too large (more than 64 MiB)") {
			t.Errorf("Open: %v, want users.json too large", err)
		}
	})
}

// bigDay returns a day file of exactly size bytes: one message, padded
// with spaces.
func bigDay(size int) []byte {
	return padded(`[{"type": "message", "user": "U02BOB", "text": "big", "ts": "1700090000.000001"}]`, size)
}

// padded returns the JSON text padded with spaces to size bytes.
func padded(json string, size int) []byte {
	return append([]byte(json), bytes.Repeat([]byte(" "), size-len(json))...)
}

// mustWriteFile writes data to path.
func mustWriteFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// mustZipFiles zips the folder dir, deflated, with the files of replace
// instead of (or besides) its own, and returns the zip file's path.
func mustZipFiles(tb testing.TB, dir string, replace map[string][]byte) string {
	tb.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	for name, data := range replace {
		files[name] = data
	}

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "export.zip")
	mustWriteFile(tb, path, buf.Bytes())
	return path
}
