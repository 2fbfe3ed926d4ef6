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

// TestMemberCacheAppend checks that appending to a kept member list, as
// describing a channel does with its creator, leaves the kept list alone.
func TestMemberCacheAppend(t *testing.T) {
	store, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ann := storetest.MustCreateUser(t, store, "Ann")
	ws, general := storetest.MustCreateWorkspace(t, store, ann, "Acme")
	ch := storetest.MustCreateChannel(t, store, ws, ann, "random", false)
	// Three members: a list read by appending has room to spare.
	for _, name := range []string{"Bob", "Carol"} {
		u := storetest.MustCreateUser(t, store, name)
		if _, err := store.AddWorkspaceMember(t.Context(), ws.ID, u.ID, general.ID); err != nil {
			t.Fatal(err)
		} else if _, err := store.AddChannelMember(t.Context(), ch.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	c := newCachedStore(store)

	for _, read := range []func() ([]string, error){
		func() ([]string, error) { return c.ChannelMemberIDs(t.Context(), ch.ID) },
		func() ([]string, error) { return c.WorkspaceMemberIDs(t.Context(), ws.ID) },
	} {
		first, err := read()
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(first)
		_ = append(first, "intruder")
		if again, _ := read(); !slices.Equal(again, want) || cap(again) != len(again) {
			t.Fatalf("kept list after an append = %v (cap %d), want %v", again, cap(again), want)
		}
	}
}
