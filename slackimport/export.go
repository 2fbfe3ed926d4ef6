package slackimport

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Export is a Slack export opened by [Open]: its lists of users and
// conversations read and checked, its day files not read yet. Import it
// with [Importer.ImportFrom], then Close it.
type Export struct {
	// name is the export's file or folder name without its extension, the
	// workspace's name by default.
	name   string
	fsys   fs.FS
	closer io.Closer
	limits limits

	users    []slackUser
	channels []slackChannel // channels.json
	groups   []slackChannel // groups.json: private channels
	mpims    []slackChannel // mpims.json: group conversations
	dms      []slackDM      // dms.json
	// failed lists the optional lists that could not be read; an import
	// reports them.
	failed []Item
}

// Limits on the size of a file of the export, uncompressed. A small zip
// file can unpack to gigabytes (a zip bomb), and the size a zip file
// gives for an entry is its own claim: the limits hold on the bytes
// actually read, so that no export can make the import run out of
// memory. They sit far above what Slack writes: a day file holds one
// conversation's day (a very busy channel's is a few megabytes), and the
// lists of even the largest workspaces run to tens of megabytes.
const (
	maxDayFileSize  = 256 << 20 // a day file, held in memory with its conversation
	maxListFileSize = 64 << 20  // users.json, channels.json and the other lists
)

// limits are the sizes of files read at most; tests lower them.
type limits struct {
	day, list int64
}

// tooLargeError is a file over its size limit.
type tooLargeError struct {
	limit int64
}

func (e *tooLargeError) Error() string {
	return "file too large (more than " + sizeText(e.limit) + ")"
}

// sizeText formats a size in bytes for a person: "256 MiB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// slackUser is an entry of users.json.
type slackUser struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	RealName       string `json:"real_name"`
	Deleted        bool   `json:"deleted"`
	IsAdmin        bool   `json:"is_admin"`
	IsOwner        bool   `json:"is_owner"`
	IsPrimaryOwner bool   `json:"is_primary_owner"`
	IsBot          bool   `json:"is_bot"`
	Profile        struct {
		Email       string `json:"email"`
		RealName    string `json:"real_name"`
		DisplayName string `json:"display_name"`
		BotID       string `json:"bot_id"`
	} `json:"profile"`
}

// slackChannel is an entry of channels.json, groups.json or mpims.json.
type slackChannel struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	Created    unixSeconds `json:"created"`
	Creator    string      `json:"creator"`
	IsArchived bool        `json:"is_archived"`
	IsGeneral  bool        `json:"is_general"`
	Members    []string    `json:"members"`
	Topic      slackValue  `json:"topic"`
	Purpose    slackValue  `json:"purpose"`
	Pins       []slackPin  `json:"pins"`
}

// slackValue is a channel's topic or purpose.
type slackValue struct {
	Value string `json:"value"`
}

// slackPin is a pinned item of a channel; ID is the message's ts.
type slackPin struct {
	ID      slackTS     `json:"id"`
	Type    string      `json:"type"`
	User    string      `json:"user"`
	Created unixSeconds `json:"created"`
}

// slackDM is an entry of dms.json.
type slackDM struct {
	ID      string      `json:"id"`
	Created unixSeconds `json:"created"`
	Members []string    `json:"members"`
}

// ErrNotExport is returned, wrapped, for a zip file or folder without the
// files every Slack export has (users.json and channels.json).
var ErrNotExport = errors.New("not a Slack export")

// Open opens the export at path, a zip file or the folder it unpacks to,
// and reads its users and conversations, so that an export that cannot be
// imported is refused before anything is written. users.json and
// channels.json must be there, valid and within their size limit, or Open
// returns an error, wrapping ErrNotExport if one is missing. The other
// lists are optional: one that is broken is left out, and the import
// reports it.
func Open(path string) (*Export, error) {
	return open(path, limits{day: maxDayFileSize, list: maxListFileSize})
}

// open is Open with the given size limits.
func open(path string, lim limits) (*Export, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	e := &Export{name: exportName(path), limits: lim}
	if info.IsDir() {
		e.fsys = os.DirFS(path)
	} else {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, fmt.Errorf("%s is not a zip file, or a broken one: %w", filepath.Base(path), err)
		}
		e.fsys, e.closer = zr, zr
	}
	if err := e.read(); err != nil {
		e.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return e, nil
}

// Name returns the export's file or folder name without its extension:
// the name of the workspace an import fills unless told otherwise.
func (e *Export) Name() string {
	return e.name
}

// exportName returns the base name of path without its extension.
func exportName(p string) string {
	base := filepath.Base(filepath.Clean(p))
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// read finds the export's root and reads its lists.
func (e *Export) read() error {
	// Some tools zip the export's folder rather than its contents: then
	// the lists are one folder down.
	if !exists(e.fsys, "users.json") {
		if dir, ok := singleDir(e.fsys); ok && exists(e.fsys, dir+"/users.json") {
			sub, err := fs.Sub(e.fsys, dir)
			if err != nil {
				return err
			}
			e.fsys = sub
		}
	}
	for _, name := range []string{"users.json", "channels.json"} {
		if !exists(e.fsys, name) {
			return fmt.Errorf("%w: it has no %s", ErrNotExport, name)
		}
	}

	if err := e.readJSON("users.json", "users", &e.users); err != nil {
		return err
	}
	if err := e.readJSON("channels.json", "channels", &e.channels); err != nil {
		return err
	}
	optional := []struct {
		name, holds string
		v           any
	}{
		{"groups.json", "channels", &e.groups},
		{"mpims.json", "group conversations", &e.mpims},
		{"dms.json", "direct conversations", &e.dms},
	}
	for _, o := range optional {
		if !exists(e.fsys, o.name) {
			continue
		}
		if err := e.readJSON(o.name, o.holds, o.v); err != nil {
			e.failed = append(e.failed, Item{File: o.name,
				Reason: "its conversations were not imported: " + errorReason(err, o.name)})
		}
	}
	return nil
}

// Close releases the export's zip file, if it is one.
func (e *Export) Close() error {
	if e.closer == nil {
		return nil
	}
	return e.closer.Close()
}

// dayFiles returns the paths of the JSON files in a conversation's folder,
// in name order, which is the order of their days. A conversation without a
// folder has none.
func (e *Export) dayFiles(dir string) []string {
	entries, err := fs.ReadDir(e.fsys, dir)
	if err != nil {
		return nil
	}
	var files []string
	for _, ent := range entries {
		name := ent.Name()
		if !ent.IsDir() && strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".") {
			files = append(files, path.Join(dir, name))
		}
	}
	sort.Strings(files)
	return files
}

// folderOf returns the folder of a conversation: the export names it after
// the conversation's name, or for direct conversations (and in some
// exports for all of them) after its ID.
func (e *Export) folderOf(names ...string) string {
	for _, n := range names {
		if n == "" || !fs.ValidPath(n) {
			continue
		}
		if info, err := fs.Stat(e.fsys, n); err == nil && info.IsDir() {
			return n
		}
	}
	return ""
}

// readJSON decodes the list name, a list of holds, into v.
func (e *Export) readJSON(name, holds string, v any) error {
	data, err := readFile(e.fsys, name, e.limits.list)
	var tooLarge *tooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%s: %w", name, err)
	} else if err != nil {
		return fmt.Errorf("%s: cannot read it: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &jsonError{file: name, holds: holds, data: data, err: err}
	}
	return nil
}

// readFile reads the file name of fsys, or returns a *tooLargeError
// without reading further once it has read more than limit bytes. The
// size the file claims only sizes the first buffer.
func readFile(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(512)
	if info, err := f.Stat(); err == nil && info.Size() > 0 {
		size = min(info.Size(), limit) + 1
	}

	data := make([]byte, 0, size)
	r := io.LimitReader(f, limit+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{limit}
	}
	return data, nil
}

// exists reports whether fsys has a file of that name.
func exists(fsys fs.FS, name string) bool {
	info, err := fs.Stat(fsys, name)
	return err == nil && !info.IsDir()
}

// singleDir returns the only folder at the root of fsys, ignoring the
// __MACOSX folder that macOS adds to zip files.
func singleDir(fsys fs.FS) (string, bool) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return "", false
	}
	var dirs []string
	for _, ent := range entries {
		if ent.IsDir() && ent.Name() != "__MACOSX" {
			dirs = append(dirs, ent.Name())
		}
	}
	if len(dirs) != 1 {
		return "", false
	}
	return dirs[0], true
}
