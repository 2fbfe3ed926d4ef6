package app

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parleychat/parley"
)

// maxCached bounds the entries of each kind kept; past it the kind starts
// afresh, which costs one read per entry in use.
const maxCached = 10_000

// cachedStore is a [parley.Store] that keeps in memory what every send
// reads: the member lists of channels and workspaces, the channels and
// workspaces themselves, and users. A send checks that the sender is in the workspace
// and the channel and that the channel is not archived, and pushes the
// message to every member: reading a list of 1,000 members took more time
// than the rest of a send together, while membership and settings change
// rarely by comparison.
//
// An entry is dropped after every write through this store that may change
// it, once the write has returned. A read that raced with such a write may
// have read what was there before it; so every write that ends counts in
// writes, a read notes writes before it reads, and keeps what it read only
// if no write ended meanwhile.
//
// It sees only the writes of this process. In a cluster, another node's
// write reaches this one as the event that reports it, and Service.Remote
// drops here what the write dropped there (see staleAfter), before the
// event goes to this node's connections. Until then, this node acts on
// what it kept: for a moment, a member just removed elsewhere may still
// post here, one just added may be refused, an archived channel may take a
// message, a deleted one may still be found. That window runs from the
// other node's commit to the event's arrival here, which is the other
// node's push (well under a millisecond, unless the push waits for its
// turn in pushOrder, at most maxOrderWait) and the broker's delivery.
//
// Where the event never arrives, the window is longer. While the
// connection to the broker is lost, the bridge drops everything when it is
// back. A node that dies between its commit and its push, a push that
// fails, and a write that pushes nothing at all (parley import slack on the
// cluster's database, a change nobody may see) leave what was kept here
// until the bridge drops everything, which it does every minute by
// default (natsbus.Bus.ForgetEvery), or until a write on this node drops
// it, whichever comes first.
type cachedStore struct {
	parley.Store

	mu         sync.Mutex
	writes     uint64                       // writes that may change entries, ended
	channels   map[string][]string          // channel members, by channel ID
	workspaces map[string][]string          // workspace members, by workspace ID
	channel    map[string]*parley.Channel   // by ID, as stored
	workspace  map[string]*parley.Workspace // by ID, as stored

	// users are kept apart from the rest, and never dropped but for room:
	// no write of this version changes a user once created (a password
	// lives in the credentials, not the user). A method that one day does,
	// deactivation say, must drop the user here and on every other node.
	users  sync.Map // user ID → *parley.User, as stored
	nUsers atomic.Int64
}

// newCachedStore returns store with a cache in front of it.
func newCachedStore(store parley.Store) *cachedStore {
	return &cachedStore{
		Store:    store,
		channels: map[string][]string{}, workspaces: map[string][]string{},
		channel: map[string]*parley.Channel{}, workspace: map[string]*parley.Workspace{},
	}
}

// cached returns m[key] if it is kept, and otherwise what load reads, which
// it keeps unless a write ended while it read.
func cached[V any](c *cachedStore, m map[string]V, key string, load func() (V, error)) (V, error) {
	c.mu.Lock()
	v, ok := m[key]
	writes := c.writes
	c.mu.Unlock()
	if ok {
		return v, nil
	}

	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writes == writes {
		if len(m) >= maxCached {
			clear(m)
		}
		m[key] = v
	}
	return v, nil
}

// ChannelMemberIDs returns the channel's members. The caller must not
// modify the list; it is clipped, so that appending to it copies it.
func (c *cachedStore) ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error) {
	list, err := cached(c, c.channels, channelID, func() ([]string, error) {
		return c.Store.ChannelMemberIDs(ctx, channelID)
	})
	return slices.Clip(list), err
}

// IsChannelMember reports whether the user is a member of the channel.
func (c *cachedStore) IsChannelMember(ctx context.Context, channelID, userID string) (bool, error) {
	list, err := c.ChannelMemberIDs(ctx, channelID)
	return slices.Contains(list, userID), err
}

// WorkspaceMemberIDs returns the workspace's members. The caller must not
// modify the list; it is clipped, so that appending to it copies it.
func (c *cachedStore) WorkspaceMemberIDs(ctx context.Context, workspaceID string) ([]string, error) {
	list, err := cached(c, c.workspaces, workspaceID, func() ([]string, error) {
		return c.Store.WorkspaceMemberIDs(ctx, workspaceID)
	})
	return slices.Clip(list), err
}

// IsWorkspaceMember reports whether the user is a member of the workspace.
func (c *cachedStore) IsWorkspaceMember(ctx context.Context, workspaceID, userID string) (bool, error) {
	list, err := c.WorkspaceMemberIDs(ctx, workspaceID)
	return slices.Contains(list, userID), err
}

// User returns a copy of the user, which the caller may change. Every
// authenticated request reads its user, so this spares a read of the store
// per request.
func (c *cachedStore) User(ctx context.Context, id string) (*parley.User, error) {
	if u, ok := c.users.Load(id); ok {
		cp := *u.(*parley.User)
		return &cp, nil
	}
	u, err := c.Store.User(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.nUsers.Add(1) > maxCached {
		c.users.Clear()
		c.nUsers.Store(0)
	}
	cp := *u
	c.users.Store(id, &cp)
	return u, nil
}

// Channel returns a copy of the channel, which the caller may change.
func (c *cachedStore) Channel(ctx context.Context, id string) (*parley.Channel, error) {
	ch, err := cached(c, c.channel, id, func() (*parley.Channel, error) { return c.Store.Channel(ctx, id) })
	if err != nil {
		return nil, err
	}
	cp := *ch
	return &cp, nil
}

// Workspace returns a copy of the workspace, which the caller may change.
func (c *cachedStore) Workspace(ctx context.Context, id string) (*parley.Workspace, error) {
	ws, err := cached(c, c.workspace, id, func() (*parley.Workspace, error) { return c.Store.Workspace(ctx, id) })
	if err != nil {
		return nil, err
	}
	cp := *ws
	return &cp, nil
}

// Forget drops what is kept of the given channels and workspaces, or
// everything if no ID is given, for a write that changed them.
func (c *cachedStore) Forget(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if len(ids) == 0 {
		clear(c.channels)
		clear(c.workspaces)
		clear(c.channel)
		clear(c.workspace)
	}
	for _, id := range ids {
		delete(c.channels, id)
		delete(c.workspaces, id)
		delete(c.channel, id)
		delete(c.workspace, id)
	}
}

// The writes that change what is kept, each dropping what it may change.

func (c *cachedStore) CreateWorkspace(ctx context.Context, ws *parley.Workspace, general *parley.Channel,
	changes ...*parley.Change) error {
	defer c.Forget(ws.ID, general.ID)
	return c.Store.CreateWorkspace(ctx, ws, general, changes...)
}

func (c *cachedStore) DeleteWorkspace(ctx context.Context, id string, changes ...*parley.Change) error {
	defer c.Forget()
	return c.Store.DeleteWorkspace(ctx, id, changes...)
}

func (c *cachedStore) AddWorkspaceMember(ctx context.Context, workspaceID, userID, generalID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget(workspaceID, generalID)
	return c.Store.AddWorkspaceMember(ctx, workspaceID, userID, generalID, changes...)
}

func (c *cachedStore) RemoveWorkspaceMember(ctx context.Context, workspaceID, userID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget()
	return c.Store.RemoveWorkspaceMember(ctx, workspaceID, userID, changes...)
}

func (c *cachedStore) CreateChannel(ctx context.Context, ch *parley.Channel, changes ...*parley.Change) error {
	defer c.Forget(ch.ID)
	return c.Store.CreateChannel(ctx, ch, changes...)
}

func (c *cachedStore) DeleteChannel(ctx context.Context, id string, changes ...*parley.Change) error {
	defer c.Forget(id)
	return c.Store.DeleteChannel(ctx, id, changes...)
}

func (c *cachedStore) UpdateChannel(ctx context.Context, id string, u parley.ChannelUpdate,
	changes ...*parley.Change) (*parley.Channel, error) {
	defer c.Forget(id)
	return c.Store.UpdateChannel(ctx, id, u, changes...)
}

func (c *cachedStore) AddChannelMember(ctx context.Context, channelID, userID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget(channelID)
	return c.Store.AddChannelMember(ctx, channelID, userID, changes...)
}

func (c *cachedStore) RemoveChannelMember(ctx context.Context, channelID, userID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget(channelID)
	return c.Store.RemoveChannelMember(ctx, channelID, userID, changes...)
}
