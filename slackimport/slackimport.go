package slackimport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// Importer loads Slack exports into Parley. Set its fields, then call
// Import, or Open an export and call ImportFrom.
type Importer struct {
	Service *app.Service
	// Workspace is the name of the workspace to fill; empty means the
	// export's file or folder name without its extension. The same name
	// fills the same workspace again.
	Workspace string
	// Progress, when set, receives the import's progress: a bar counting
	// messages if Terminal is set, a line per conversation otherwise.
	Progress io.Writer
	Terminal bool
}

// run is one import in progress.
type run struct {
	svc    *app.Service
	e      *Export
	rep    *Report
	now    time.Time
	people *people
	rw     *rewriter
	ws     *parley.Workspace
	prog   *progress
}

// Import opens the export at path, a zip file or a folder, imports it
// with ImportFrom and closes it. For an export it cannot read it returns
// Open's error, and writes nothing.
func (im *Importer) Import(ctx context.Context, path string) (*Report, error) {
	e, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return im.ImportFrom(ctx, e)
}

// WorkspaceName returns the name of the workspace that importing e fills:
// im.Workspace, or if that is empty the export's name, trimmed. For a name
// Parley does not take it returns an error quoting the name as given.
func (im *Importer) WorkspaceName(e *Export) (string, error) {
	given := cmp.Or(im.Workspace, e.name)
	name := strings.TrimSpace(given)
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", fmt.Errorf("workspace name %q: the name is empty", given)
	case n > app.MaxWorkspaceNameLen:
		return "", fmt.Errorf("workspace name %q: want 1 to %d characters",
			given, app.MaxWorkspaceNameLen)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, isControl):
		return "", fmt.Errorf("workspace name %q: want printable text", given)
	}
	return name, nil
}

// ImportFrom loads the export e into the workspace, and reports what it
// did. For a workspace name it cannot take it returns an error and writes
// nothing. A conversation it cannot import is left out and listed in
// Report.Failed. If ctx ends, ImportFrom returns its error with the report
// so far: the conversations done stay imported.
func (im *Importer) ImportFrom(ctx context.Context, e *Export) (*Report, error) {
	name, err := im.WorkspaceName(e)
	if err != nil {
		return nil, err
	}
	rep := &Report{Failed: slices.Clone(e.failed)}

	r := &run{svc: im.Service, e: e, rep: rep, now: time.Now()}
	if im.Service.Now != nil {
		r.now = im.Service.Now()
	}
	r.people = newPeople(im.Service, rep, r.now)
	if err := r.people.importUsers(ctx, e.users); err != nil {
		return nil, err
	}
	convs := plan(e, r.people.handles)
	r.rw = &rewriter{userID: r.people.userID, channels: map[string]string{}}
	for _, c := range convs {
		if c.kind != directChannel {
			r.rw.channels[c.ch.ID] = c.name
		}
	}
	if err := r.openWorkspace(ctx, name, convs); err != nil {
		return nil, err
	}

	// A bar needs its total first; counting costs a quick extra read.
	total := 0
	if im.Progress != nil && im.Terminal {
		for _, c := range convs {
			for _, f := range e.dayFiles(c.folder) {
				c.count += countMessages(e.fsys, f, e.limits.day)
			}
			total += c.count
		}
	}
	r.prog = newProgress(im.Progress, im.Terminal, total)
	for _, c := range convs {
		if err := r.importConversation(ctx, c); err != nil {
			r.prog.stop()
			return rep, err
		}
	}
	r.prog.finish()
	return rep, nil
}

// openWorkspace finds or creates the workspace, with its general channel,
// and makes every user a member.
func (r *run) openWorkspace(ctx context.Context, name string, convs []*conversation) error {
	admin := r.people.adminOf(r.e.users)
	if admin == "" {
		return errors.New("users.json: no user could be imported to run the workspace")
	}
	general := app.ImportedChannel{Key: "general", CreatedAt: r.now}
	if len(convs) > 0 && convs[0].kind == generalChannel {
		general = r.imported(convs[0], nil)
	}
	ws, created, err := r.svc.ImportWorkspace(ctx, name, admin, general)
	if err != nil {
		return fmt.Errorf("workspace %q: %s", name, reasonOf(err))
	}
	r.ws = ws
	r.rep.Workspace, r.rep.WorkspaceID, r.rep.WorkspaceCreated = ws.Name, ws.ID, created
	if err := r.people.joinAll(ctx, ws); err != nil {
		return fmt.Errorf("workspace %q: add members: %w", name, err)
	}
	return nil
}

// imported returns what the service takes of a channel of the export.
func (r *run) imported(c *conversation, members []string) app.ImportedChannel {
	return app.ImportedChannel{
		Key: c.ch.ID, Name: c.name, Private: c.kind == privateChannel || c.kind == groupChannel,
		CreatorID: r.people.userID(c.ch.Creator), MemberIDs: members, Archived: c.ch.IsArchived,
		Topic: clean(c.ch.Topic.Value), Purpose: clean(c.ch.Purpose.Value),
		CreatedAt: cmp.Or(unixTime(c.ch.Created), r.now),
	}
}

// importConversation reads a conversation's day files, then imports the
// conversation with its messages. It returns an error only when ctx ends;
// a conversation that fails otherwise is reported and left out.
func (r *run) importConversation(ctx context.Context, c *conversation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	label := r.label(c)
	r.prog.start(label)
	msgs, err := readDays(r.e.fsys, r.e.dayFiles(c.folder), r.e.limits.day)
	if err != nil {
		file, reason, _ := asDayError(err)
		r.rep.fail(file, "", reason+"; "+label+" was not imported")
		r.prog.failed(label, c.count, file+": "+reason)
		return nil
	}

	// A direct conversation between people the import does not know
	// is left out before anything of it is reported or written.
	if c.kind == directChannel {
		if _, _, err := r.parties(c); err != nil {
			r.rep.fail(c.list, "", label+" was not imported: "+err.Error())
			r.prog.failed(label, c.count, err.Error())
			return nil
		}
	}
	conv, err := r.convert(ctx, c, msgs)
	if err == nil {
		var res *app.ImportResult
		if res, err = r.write(ctx, c, conv); err == nil {
			r.tally(c, conv, res)
			// Writing tells the channel's name in Parley for certain.
			r.prog.done(r.label(c), c.count, res.Added, len(conv.msgs)-len(res.Skipped)-res.Added)
			return nil
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.rep.fail(c.list, "", label+" was not imported: "+reasonOf(err))
	r.prog.failed(label, c.count, reasonOf(err))
	return nil
}

// write creates the conversation's channel, if it has one, and imports its
// messages into it.
func (r *run) write(
	ctx context.Context, c *conversation, conv *converted,
) (*app.ImportResult, error) {
	switch c.kind {
	case directChannel:
		a, b, err := r.parties(c)
		if err != nil {
			return nil, err
		}
		res, err := r.svc.ImportDirectMessages(ctx, a, b, conv.msgs)
		if err == nil {
			r.rep.Channels.Direct++
		}
		return res, err
	case generalChannel:
		ch, err := r.svc.GeneralOf(ctx, r.ws)
		if err != nil {
			return nil, err
		}
		r.countChannel(c, r.rep.WorkspaceCreated)
		return r.svc.ImportChannelMessages(ctx, ch, conv.msgs)
	}

	ch, err := r.channel(ctx, c, r.members(c, conv.joined))
	if err != nil {
		return nil, err
	}
	return r.svc.ImportChannelMessages(ctx, ch, conv.msgs)
}

// channel finds or creates the channel of a conversation. A name that a
// channel made in Parley since took gets the next free suffix.
func (r *run) channel(
	ctx context.Context, c *conversation, members []string,
) (*parley.Channel, error) {
	ic := r.imported(c, members)
	if ic.Private && len(members) > 0 && !slices.Contains(members, ic.CreatorID) {
		// The service makes the creator a member; a private channel's
		// creator who left must not see it again.
		r.rep.note(c.list, "", r.label(c)+": its creator is no longer a member, so "+
			"the first member is recorded as its creator")
		ic.CreatorID = members[0]
	}

	base := ic.Name
	for n := 2; ; n++ {
		ch, created, err := r.svc.ImportChannel(ctx, r.ws, ic)
		if parley.ErrorCode(err) == parley.ECONFLICT && n <= maxSuffix {
			suffix := "-" + strconv.Itoa(n)
			ic.Name = cut(base, app.MaxChannelNameLen-len(suffix)) + suffix
			continue
		} else if err != nil {
			return nil, err
		}
		if ic.Name != base {
			r.rep.note(c.list, "", r.label(c)+" is named #"+ic.Name+
				", since the workspace has a channel named #"+base+" already")
		}
		// A channel an earlier run created keeps the name it got then,
		// or the one an admin has given it since.
		if ch.Name != c.name {
			c.name = ch.Name
			r.rw.channels[c.ch.ID] = ch.Name
		}
		r.countChannel(c, created)
		return ch, nil
	}
}

// maxSuffix bounds the suffixes tried on a channel name that is taken.
const maxSuffix = 20

// countChannel counts a channel of the export in the report.
func (r *run) countChannel(c *conversation, created bool) {
	cc := &r.rep.Channels
	switch c.kind {
	case generalChannel, publicChannel:
		cc.Public++
	case privateChannel:
		cc.Private++
	case groupChannel:
		cc.Group++
	}
	if c.ch.IsArchived {
		cc.Archived++
	}
	if created {
		cc.Created++
	} else {
		cc.Existing++
	}
}

// parties returns the Parley IDs of the two parties of a direct
// conversation; a conversation with oneself has the same one twice.
func (r *run) parties(c *conversation) (string, string, error) {
	var ids []string
	for _, su := range c.dm.Members {
		id := r.people.userID(su)
		if id == "" {
			return "", "", fmt.Errorf("its member %s is not in users.json", su)
		}
		ids = append(ids, id)
	}
	switch len(ids) {
	case 1:
		return ids[0], ids[0], nil
	case 2:
		return ids[0], ids[1], nil
	}
	return "", "", fmt.Errorf("it has %d members; a direct conversation has one or two", len(ids))
}

// tally adds what the service did with a conversation to the report.
func (r *run) tally(c *conversation, conv *converted, res *app.ImportResult) {
	pins := len(conv.pinned)
	for _, s := range res.Skipped {
		r.rep.skip(conv.files[s.Key], s.Key, s.Reason)
		if conv.pinned[s.Key] {
			pins--
		}
	}
	given := len(conv.msgs) - len(res.Skipped)
	r.rep.Messages += res.Added
	r.rep.Existing += given - res.Added
	if c.renamed() {
		r.rep.Renamed = append(r.rep.Renamed, Rename{
			File: c.list, SlackID: c.ch.ID, SlackName: c.ch.Name, Name: c.name,
		})
	}
	if res.Added == 0 {
		// Everything was there from an earlier run: the threads,
		// reactions and pins too.
		return
	}
	r.rep.Threads += res.Threads
	r.rep.Replies += res.Replies
	r.rep.Reactions += res.Reactions
	if c.kind != directChannel {
		r.rep.Pins += pins
	}
	for _, o := range res.Orphans {
		r.rep.Orphans = append(r.rep.Orphans, Item{conv.files[o.Key], o.Key, o.Reason})
	}
}
