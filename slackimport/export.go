package slackimport

import (
	"archive/zip"
	"bytes"
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

// export is an opened Slack export: its files, and the lists that describe
// its users and conversations.
type export struct {
	// name is the export's file or folder name without its extension, the
	// workspace's name by default.
	name   string
	fsys   fs.FS
	closer io.Closer

	users    []slackUser
	channels []slackChannel // channels.json
	groups   []slackChannel // groups.json: private channels
	mpims    []slackChannel // mpims.json: group conversations
	dms      []slackDM      // dms.json
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
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Created    int64      `json:"created"`
	Creator    string     `json:"creator"`
	IsArchived bool       `json:"is_archived"`
	IsGeneral  bool       `json:"is_general"`
	Members    []string   `json:"members"`
	Topic      slackValue `json:"topic"`
	Purpose    slackValue `json:"purpose"`
	Pins       []slackPin `json:"pins"`
}

// slackValue is a channel's topic or purpose.
type slackValue struct {
	Value string `json:"value"`
}

// slackPin is a pinned item of a channel; ID is the message's ts.
type slackPin struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	User    string `json:"user"`
	Created int64  `json:"created"`
}

// slackDM is an entry of dms.json.
type slackDM struct {
	ID      string   `json:"id"`
	Created int64    `json:"created"`
	Members []string `json:"members"`
}

// ErrNotExport is returned, wrapped, for a zip file or folder without the
// files every Slack export has (users.json and channels.json).
var ErrNotExport = errors.New("not a Slack export")

// openExport opens the export at path, a zip file or the folder it unpacks
// to, and reads its users and conversations. users.json and channels.json
// must be there and valid; the other lists are optional, and one that is
// broken is reported in rep and left out.
func openExport(path string, rep *Report) (*export, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	e := &export{name: exportName(path)}
	if info.IsDir() {
		e.fsys = os.DirFS(path)
	} else {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, fmt.Errorf("%s is not a zip file, or a broken one: %w", filepath.Base(path), err)
		}
		e.fsys, e.closer = zr, zr
	}
	if err := e.read(rep); err != nil {
		e.Close()
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return e, nil
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
func (e *export) read(rep *Report) error {
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

	if err := readJSON(e.fsys, "users.json", &e.users); err != nil {
		return err
	}
	if err := readJSON(e.fsys, "channels.json", &e.channels); err != nil {
		return err
	}
	optional := []struct {
		name string
		v    any
	}{
		{"groups.json", &e.groups}, {"mpims.json", &e.mpims}, {"dms.json", &e.dms},
	}
	for _, o := range optional {
		if !exists(e.fsys, o.name) {
			continue
		}
		if err := readJSON(e.fsys, o.name, o.v); err != nil {
			rep.fail(o.name, "", "its conversations were not imported: "+errorReason(err, o.name))
		}
	}
	return nil
}

// Close releases the export's zip file, if it is one.
func (e *export) Close() error {
	if e.closer == nil {
		return nil
	}
	return e.closer.Close()
}

// dayFiles returns the paths of the JSON files in a conversation's folder,
// in name order, which is the order of their days. A conversation without a
// folder has none.
func (e *export) dayFiles(dir string) []string {
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
func (e *export) folderOf(names ...string) string {
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

// readJSON decodes the file name of fsys into v.
func readJSON(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("%s: cannot read it: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &jsonError{file: name, data: data, err: err}
	}
	return nil
}

// jsonError is a file of the export that is not the JSON it should be.
type jsonError struct {
	file string
	data []byte
	err  error
}

// Error names the file and, for a syntax error, the line.
func (e *jsonError) Error() string {
	return e.file + ": " + e.reason()
}

// reason says what is wrong, without the file's name.
func (e *jsonError) reason() string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(e.err, &syn):
		return fmt.Sprintf("not valid JSON: %v (line %d)", syn, lineOf(e.data, syn.Offset))
	case errors.As(e.err, &typ):
		return fmt.Sprintf("not the JSON of a Slack export: %v (line %d)", typ, lineOf(e.data, typ.Offset))
	}
	return "not valid JSON: " + e.err.Error()
}

// errorReason returns what err says about the file name, without repeating
// the name.
func errorReason(err error, name string) string {
	var je *jsonError
	if errors.As(err, &je) {
		return je.reason()
	}
	return strings.TrimPrefix(err.Error(), name+": ")
}

// lineOf returns the line number of a byte offset.
func lineOf(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
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
