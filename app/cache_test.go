package app

import (
	"context"
	"slices"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/sqlite"
	"github.com/parleychat/parley/storetest"
)

// slowReads is a store whose member reads wait, after reading, for a signal.
type slowReads struct {
	parley.Store
	read, resume chan struct{}
}

func (s *slowReads) ChannelMemberIDs(ctx context.Context, channelID string) ([]string, error) {
	ids, err := s.Store.ChannelMemberIDs(ctx, channelID)
	s.read <- struct{}{}
	<-s.resume
	return ids, err
}

// TestMemberCacheRace checks that a member list read before a join, and
// returned after it, is not kept: the next read sees the new member.
func TestMemberCacheRace(t *testing.T) {
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ann, bob := storetest.MustCreateUser(t, store, "Ann"), storetest.MustCreateUser(t, store, "Bob")
	ws, _ := storetest.MustCreateWorkspace(t, store, ann, "Acme")
	ch := storetest.MustCreateChannel(t, store, ws, ann, "random", false)
	slow := &slowReads{Store: store, read: make(chan struct{}), resume: make(chan struct{})}
	c := newCachedStore(slow)
	ctx := t.Context()

	done := make(chan []string)
	go func() {
		ids, _ := c.ChannelMemberIDs(ctx, ch.ID)
		done <- ids
	}()
	<-slow.read // the list is read, without bob
	if _, err := c.AddChannelMember(ctx, ch.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	close(slow.resume)
	if stale := <-done; slices.Contains(stale, bob.ID) {
		t.Fatalf("the read before the join saw bob: %v", stale)
	}

	go func() {
		for range slow.read {
		}
	}()
	defer close(slow.read)
	ids, err := c.ChannelMemberIDs(ctx, ch.ID)
	if err != nil || !slices.Contains(ids, bob.ID) {
		t.Fatalf("members after the join=%v, %v; want bob among them", ids, err)
	}
	if ok, _ := c.IsChannelMember(ctx, ch.ID, bob.ID); !ok {
		t.Fatal("IsChannelMember after the join: false, want true")
	}
}
