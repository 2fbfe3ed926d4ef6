package app

import (
	"context"
	"slices"
	"sync"

	"github.com/parleychat/parley"
)

// maxCachedChannels bounds the member lists kept; past it the cache starts
// afresh, which costs one read per channel in use.
const maxCachedChannels = 10_000

// memberCache is a [parley.Store] that keeps the member list of each channel
// in use in memory. Every message is pushed to its channel's members and
// checked against the sender's membership, and reading a list of 1,000
// members took more time than the rest of a send together; membership
// changes rarely by comparison.
//
// A list is dropped after every write through this store that may change
// it, once the write has returned. A read that raced with such a write may
// have read the list from before it; so every write that ends counts in
// writes, a read notes writes before it reads, and keeps its list only if
// no write ended meanwhile.
//
// It sees only the writes of this process. Several nodes that share a store
// must drop a list when another node changes it: Forget, called for the
// membership events that come from other nodes, does that.
type memberCache struct {
	parley.Store

	mu     sync.Mutex
	lists  map[string][]string // by channel ID
	writes uint64              // membership writes ended
}

// newMemberCache returns store with a member cache in front of it.
func newMemberCache(store parley.Store) *memberCache {
	return &memberCache{Store: store, lists: map[string][]string{}}
}

// ChannelMemberIDs returns the channel's members, from memory when it can.
// The caller must not modify the list.
func (c *memberCache) ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error) {
	c.mu.Lock()
	list, ok := c.lists[channelID]
	writes := c.writes
	c.mu.Unlock()
	if ok {
		return list, nil
	}

	list, err := c.Store.ChannelMemberIDs(ctx, channelID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writes == writes {
		if len(c.lists) >= maxCachedChannels {
			clear(c.lists)
		}
		c.lists[channelID] = list
	}
	return list, nil
}

// IsChannelMember reports whether the user is a member of the channel,
// from the cached list.
func (c *memberCache) IsChannelMember(ctx context.Context, channelID, userID string) (bool, error) {
	list, err := c.ChannelMemberIDs(ctx, channelID)
	return slices.Contains(list, userID), err
}

// Forget drops what is kept of the given channels, or of every channel if
// none is given, for a write that changed their members.
func (c *memberCache) Forget(channelIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if len(channelIDs) == 0 {
		clear(c.lists)
	}
	for _, id := range channelIDs {
		delete(c.lists, id)
	}
}

// The writes that change members, each dropping what it may have changed.

func (c *memberCache) CreateWorkspace(ctx context.Context, ws *parley.Workspace, general *parley.Channel,
	changes ...*parley.Change) error {
	defer c.Forget(general.ID)
	return c.Store.CreateWorkspace(ctx, ws, general, changes...)
}

func (c *memberCache) DeleteWorkspace(ctx context.Context, id string, changes ...*parley.Change) error {
	defer c.Forget()
	return c.Store.DeleteWorkspace(ctx, id, changes...)
}

func (c *memberCache) AddWorkspaceMember(ctx context.Context, workspaceID, userID, generalID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget(generalID)
	return c.Store.AddWorkspaceMember(ctx, workspaceID, userID, generalID, changes...)
}

func (c *memberCache) RemoveWorkspaceMember(ctx context.Context, workspaceID, userID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget()
	return c.Store.RemoveWorkspaceMember(ctx, workspaceID, userID, changes...)
}

func (c *memberCache) CreateChannel(ctx context.Context, ch *parley.Channel, changes ...*parley.Change) error {
	defer c.Forget(ch.ID)
	return c.Store.CreateChannel(ctx, ch, changes...)
}

func (c *memberCache) DeleteChannel(ctx context.Context, id string, changes ...*parley.Change) error {
	defer c.Forget(id)
	return c.Store.DeleteChannel(ctx, id, changes...)
}

func (c *memberCache) AddChannelMember(ctx context.Context, channelID, userID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget(channelID)
	return c.Store.AddChannelMember(ctx, channelID, userID, changes...)
}

func (c *memberCache) RemoveChannelMember(ctx context.Context, channelID, userID string,
	changes ...*parley.Change) (bool, error) {
	defer c.Forget(channelID)
	return c.Store.RemoveChannelMember(ctx, channelID, userID, changes...)
}
