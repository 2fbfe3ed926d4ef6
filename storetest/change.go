package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/parleychat/parley"
)

var changeCases = []testCase{
	{"Changes/PositionsPerStream", testChangesPositionsPerStream},
	{"Changes/Paging", testChangesPaging},
	{"Changes/UnknownStream", testChangesUnknownStream},
	{"Changes/MessageWrites", testChangesMessageWrites},
	{"Changes/ChannelWrites", testChangesChannelWrites},
	{"Changes/WorkspaceWrites", testChangesWorkspaceWrites},
	{"Changes/MarkRead", testChangesMarkRead},
	{"Changes/ErrInvalidPruned", testChangesErrInvalidPruned},
	{"AppendMessage/ConcurrentChanges", testAppendMessageConcurrentChanges},
	{"PruneChanges/OK", testPruneChangesOK},
	{"PruneChanges/TimesOutOfOrder", testPruneChangesTimesOutOfOrder},
}

// Positions count from 1 in each stream, without gaps, whatever write
// records the change: a stream's positions do not depend on another's.
// Changes of one call in one stream take consecutive positions in the order
// given, and read back as they were given.
func testChangesPositionsPerStream(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	dm := parley.DMConversationID(ann.ID, bob.ID)
	streams := []string{ch.ID, ch.WorkspaceID, ann.ID, dm}

	want := make(map[string][]*parley.Change)
	for round := range 4 {
		var changes []*parley.Change
		for _, stream := range streams {
			changes = append(changes, newChange(stream, "round", round))
		}
		changes = append(changes, newChange(ch.ID, "again", round))

		m := NewChannelMessage(ch, ann, fmt.Sprint("round ", round))
		if round%2 == 1 {
			m = NewDirectMessage(ann, bob, fmt.Sprint("round ", round))
		}
		mustAppendChanges(t, s, m, changes...)
		for _, c := range changes {
			want[c.Stream] = append(want[c.Stream], c)
		}
	}

	for _, stream := range streams {
		checkPositions(t, stream, want[stream])
		checkChanges(t, s, stream, 0, 100, want[stream]...)
	}
	if n := len(want[ch.ID]); n != 8 {
		t.Fatalf("%d changes in the channel's stream, want 8", n)
	}
}

// Changes returns the changes after the position given, at most limit of
// them; after the latest, none.
func testChangesPaging(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	var all []*parley.Change
	for i := range 7 {
		c := newChange(ann.ID, "note", i)
		mustAppendChanges(t, s, NewChannelMessage(ch, ann, "note"), c)
		all = append(all, c)
	}

	for _, tt := range []struct {
		after int64
		limit int
		want  []*parley.Change
	}{
		{0, 3, all[:3]},
		{3, 3, all[3:6]},
		{6, 3, all[6:]},
		{0, 100, all},
		{5, 1, all[5:6]},
		{7, 3, nil},
		{70, 3, nil},
	} {
		checkChanges(t, s, ann.ID, tt.after, tt.limit, tt.want...)
	}
}

// A stream that has no change, whether it is a user's that nothing was
// recorded for yet or a name that is nobody's, has none, without error.
func testChangesUnknownStream(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	mustAppendChanges(t, s, NewChannelMessage(ch, ann, "hello"), newChange(ch.ID, "message", 0))

	for _, stream := range []string{ann.ID, NewID("stream")} {
		checkChanges(t, s, stream, 0, 10)
		checkChanges(t, s, stream, 5, 10)
	}
}

// The writes to messages record their changes when they change something,
// and record nothing when they fail, find nothing to do, or repeat a
// message already stored.
func testChangesMessageWrites(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	MustAddChannelMember(t, s, ch, bob)
	first := NewChannelMessage(ch, ann, "first")
	first.ClientMsgID = "first"
	m := MustAppendMessage(t, s, first)
	ctx := t.Context()

	appendMessage := func(msg *parley.Message, wantCreated bool) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			_, created, err := s.AppendMessage(ctx, msg, c)
			if wantCreated {
				return wantTrue(created, err)
			}
			return wantFalse(created, err)
		}
	}
	retry := NewChannelMessage(ch, ann, "first, sent again")
	retry.ClientMsgID = first.ClientMsgID
	taken := NewChannelMessage(ch, bob, "an ID that is taken")
	taken.ID = m.ID
	orphan := NewReply(NewChannelMessage(ch, ann, "never stored"), bob, "a reply to nothing")
	edit := parley.MessageUpdate{Text: new("edited"), EditedAt: new(minute(5))}
	updateMessage := func(id string) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			_, err := s.UpdateMessage(ctx, id, edit, c)
			return err
		}
	}
	deleteMessage := func(id string, wantDeleted bool) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			_, deleted, err := s.DeleteMessage(ctx, id, c)
			if wantDeleted {
				return wantTrue(deleted, err)
			}
			return wantFalse(deleted, err)
		}
	}
	pin := newPin(m, ann, 6)
	missing := NewID("msg")

	runChangeSteps(t, s, ch.ID, []changeStep{
		{"AppendMessage", true, "", appendMessage(NewChannelMessage(ch, bob, "new"), true)},
		{"AppendMessage/Repeat", false, "", appendMessage(retry, false)},
		{"AppendMessage/ErrConflictID", false, parley.ECONFLICT, appendMessage(taken, false)},
		{"AppendMessage/ErrRootNotFound", false, parley.ENOTFOUND, appendMessage(orphan, false)},
		{"UpdateMessage", true, "", updateMessage(m.ID)},
		{"UpdateMessage/ErrNotFound", false, parley.ENOTFOUND, updateMessage(missing)},
		{"AddReaction", true, "", func(c *parley.Change) error {
			return wantTrue(s.AddReaction(ctx, m.ID, bob.ID, "+1", c))
		}},
		{"AddReaction/Again", false, "", func(c *parley.Change) error {
			return wantFalse(s.AddReaction(ctx, m.ID, bob.ID, "+1", c))
		}},
		{"AddReaction/ErrNotFound", false, parley.ENOTFOUND, func(c *parley.Change) error {
			return wantFalse(s.AddReaction(ctx, missing, bob.ID, "+1", c))
		}},
		{"RemoveReaction", true, "", func(c *parley.Change) error {
			return wantTrue(s.RemoveReaction(ctx, m.ID, bob.ID, "+1", c))
		}},
		{"RemoveReaction/Absent", false, "", func(c *parley.Change) error {
			return wantFalse(s.RemoveReaction(ctx, m.ID, bob.ID, "+1", c))
		}},
		{"PinMessage", true, "", func(c *parley.Change) error {
			return wantTrue(s.PinMessage(ctx, pin, c))
		}},
		{"PinMessage/Again", false, "", func(c *parley.Change) error {
			return wantFalse(s.PinMessage(ctx, pin, c))
		}},
		{"UnpinMessage", true, "", func(c *parley.Change) error {
			return wantTrue(s.UnpinMessage(ctx, m.ID, c))
		}},
		{"UnpinMessage/NotPinned", false, "", func(c *parley.Change) error {
			return wantFalse(s.UnpinMessage(ctx, m.ID, c))
		}},
		{"DeleteMessage", true, "", deleteMessage(m.ID, true)},
		{"DeleteMessage/Tombstone", false, "", deleteMessage(m.ID, false)},
		{"DeleteMessage/ErrNotFound", false, parley.ENOTFOUND, deleteMessage(missing, false)},
		{"UpdateMessage/ErrConflictTombstone", false, parley.ECONFLICT, updateMessage(m.ID)},
		{"AddReaction/ErrConflictTombstone", false, parley.ECONFLICT, func(c *parley.Change) error {
			return wantFalse(s.AddReaction(ctx, m.ID, bob.ID, "+1", c))
		}},
		{"PinMessage/ErrConflictTombstone", false, parley.ECONFLICT, func(c *parley.Change) error {
			return wantFalse(s.PinMessage(ctx, pin, c))
		}},
	})
}

// The writes to channels record their changes when they change something,
// and record nothing when they fail or find nothing to do. An update
// changes something only if a field takes a new value.
func testChangesChannelWrites(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	MustAddWorkspaceMember(t, s, ws, general, bob)
	random := NewChannel(ws, ann, "random", false)
	clash := NewChannel(ws, ann, "random", false)
	missing := NewID("ch")
	ctx := t.Context()

	update := func(id string, u parley.ChannelUpdate) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			_, err := s.UpdateChannel(ctx, id, u, c)
			return err
		}
	}
	addMember := func(id string, wantAdded bool) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			added, err := s.AddChannelMember(ctx, id, bob.ID, c)
			if wantAdded {
				return wantTrue(added, err)
			}
			return wantFalse(added, err)
		}
	}
	removeMember := func(wantRemoved bool) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			removed, err := s.RemoveChannelMember(ctx, random.ID, bob.ID, c)
			if wantRemoved {
				return wantTrue(removed, err)
			}
			return wantFalse(removed, err)
		}
	}
	deleteChannel := func(c *parley.Change) error { return s.DeleteChannel(ctx, random.ID, c) }

	runChangeSteps(t, s, ws.ID, []changeStep{
		{"CreateChannel", true, "", func(c *parley.Change) error {
			return s.CreateChannel(ctx, random, c)
		}},
		{"CreateChannel/ErrConflictName", false, parley.ECONFLICT, func(c *parley.Change) error {
			return s.CreateChannel(ctx, clash, c)
		}},
		{"AddChannelMember", true, "", addMember(random.ID, true)},
		{"AddChannelMember/AlreadyMember", false, "", addMember(random.ID, false)},
		{"AddChannelMember/ErrNotFound", false, parley.ENOTFOUND, addMember(missing, false)},
		{"UpdateChannel/Rename", true, "", update(random.ID, parley.ChannelUpdate{
			Name: new("rand")})},
		{"UpdateChannel/SameName", false, "", update(random.ID, parley.ChannelUpdate{
			Name: new("rand")})},
		{"UpdateChannel/Topic", true, "", update(random.ID, parley.ChannelUpdate{
			Topic: new("a topic")})},
		{"UpdateChannel/SameTopicNewPurpose", true, "", update(random.ID, parley.ChannelUpdate{
			Topic: new("a topic"), Purpose: new("a purpose")})},
		{"UpdateChannel/AllSame", false, "", update(random.ID, parley.ChannelUpdate{
			Name: new("rand"), Topic: new("a topic"), Purpose: new("a purpose"),
			Archived: new(false)})},
		{"UpdateChannel/NoField", false, "", update(random.ID, parley.ChannelUpdate{})},
		{"UpdateChannel/Archive", true, "", update(random.ID, parley.ChannelUpdate{
			Archived: new(true)})},
		{"UpdateChannel/ErrConflictName", false, parley.ECONFLICT, update(random.ID,
			parley.ChannelUpdate{Name: new(parley.GeneralChannelName)})},
		{"UpdateChannel/ErrNotFound", false, parley.ENOTFOUND, update(missing,
			parley.ChannelUpdate{Topic: new("a topic")})},
		{"RemoveChannelMember", true, "", removeMember(true)},
		{"RemoveChannelMember/NotMember", false, "", removeMember(false)},
		{"DeleteChannel", true, "", deleteChannel},
		{"DeleteChannel/ErrNotFound", false, parley.ENOTFOUND, deleteChannel},
	})
}

// The writes to workspaces record their changes when they change
// something, and record nothing when they fail or find nothing to do.
func testChangesWorkspaceWrites(t *testing.T, s parley.Store) {
	ann, bob := MustCreateUser(t, s, "Ann"), MustCreateUser(t, s, "Bob")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	ctx := t.Context()

	addMember := func(id string, wantAdded bool) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			added, err := s.AddWorkspaceMember(ctx, id, bob.ID, general.ID, c)
			if wantAdded {
				return wantTrue(added, err)
			}
			return wantFalse(added, err)
		}
	}
	removeMember := func(wantRemoved bool) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			removed, err := s.RemoveWorkspaceMember(ctx, ws.ID, bob.ID, c)
			if wantRemoved {
				return wantTrue(removed, err)
			}
			return wantFalse(removed, err)
		}
	}
	deleteWorkspace := func(c *parley.Change) error { return s.DeleteWorkspace(ctx, ws.ID, c) }
	createWorkspace := func(id string) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			other, general := NewWorkspace(ann, "Other")
			other.ID = id
			return s.CreateWorkspace(ctx, other, general, c)
		}
	}

	runChangeSteps(t, s, ann.ID, []changeStep{
		{"CreateWorkspace", true, "", createWorkspace(NewID("ws"))},
		{"CreateWorkspace/ErrConflict", false, parley.ECONFLICT, createWorkspace(ws.ID)},
		{"AddWorkspaceMember", true, "", addMember(ws.ID, true)},
		{"AddWorkspaceMember/AlreadyMember", false, "", addMember(ws.ID, false)},
		{"AddWorkspaceMember/ErrNotFound", false, parley.ENOTFOUND, addMember(NewID("ws"), false)},
		{"RemoveWorkspaceMember", true, "", removeMember(true)},
		{"RemoveWorkspaceMember/NotMember", false, "", removeMember(false)},
		{"DeleteWorkspace", true, "", deleteWorkspace},
		{"DeleteWorkspace/ErrNotFound", false, parley.ENOTFOUND, deleteWorkspace},
	})
}

// MarkRead records its changes only when the marker moves forward: not
// when it stays, is asked to go back, or is set at zero in a conversation
// never read.
func testChangesMarkRead(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	mustAppendMany(t, s, ch, bob, 5)
	dm := MustAppendMessage(t, s, NewDirectMessage(bob, ann, "hi")).ConversationID
	empty := MustCreateChannel(t, s, &parley.Workspace{ID: ch.WorkspaceID}, ann, "empty", false)
	ctx := t.Context()

	markRead := func(conversationID string, seq, want int64) func(c *parley.Change) error {
		return func(c *parley.Change) error {
			marker, err := s.MarkRead(ctx, ann.ID, conversationID, seq, c)
			if err == nil && marker != want {
				return fmt.Errorf("marker=%d, want %d", marker, want)
			}
			return err
		}
	}

	runChangeSteps(t, s, ann.ID, []changeStep{
		{"Forward", true, "", markRead(ch.ID, 3, 3)},
		{"Same", false, "", markRead(ch.ID, 3, 3)},
		{"Back", false, "", markRead(ch.ID, 2, 3)},
		{"ForwardAgain", true, "", markRead(ch.ID, 5, 5)},
		{"EmptyAtZero", false, "", markRead(empty.ID, 0, 0)},
		{"DirectConversation", true, "", markRead(dm, 1, 1)},
		{"ErrNotFound", false, parley.ENOTFOUND, markRead(NewID("ch"), 1, 0)},
	})
}

// A read of a stream from before the highest position pruned there is
// refused, whatever its limit, since it would miss changes; a read from
// that position on is not, and neither is a read of another stream.
func testChangesErrInvalidPruned(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	var own []*parley.Change
	for i := range 4 {
		c := newChange(ann.ID, "note", 10+i)
		mustAppendChanges(t, s, NewChannelMessage(ch, ann, "note"), c, newChange(ch.ID, "note", 20))
		own = append(own, c)
	}
	mustPrune(t, s, 12, 2)

	for _, after := range []int64{0, 1} {
		for _, limit := range []int{1, 100} {
			got, err := s.Changes(t.Context(), ann.ID, after, limit)
			checkCode(t, err, parley.EINVALID)
			if got != nil {
				t.Fatalf("Changes(after %d)=%v with an error, want nil", after, got)
			}
		}
	}
	checkChanges(t, s, ann.ID, 2, 100, own[2:]...)
	checkChanges(t, s, ann.ID, 3, 1, own[3])
	checkChanges(t, s, ann.ID, 4, 1)
	if got := mustChanges(t, s, ch.ID, 0, 100); len(got) != 4 {
		t.Fatalf("%d changes in the channel's stream, want 4", len(got))
	}
}

// Of concurrent appends to one conversation, those that create their
// message record their changes at consecutive positions, each given once;
// those that fail, even after taking a Seq, or that repeat a message,
// record none, and take no position from the others.
func testAppendMessageConcurrentChanges(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	first := NewChannelMessage(ch, ann, "first")
	first.ClientMsgID = "first"
	MustAppendMessage(t, s, first)
	unstored := NewChannelMessage(ch, ann, "never stored")
	const writers, each = 8, 12

	// Each append records a change in the channel's stream and one in
	// its writer's own stream. One in three is refused or a repeat.
	var mu sync.Mutex
	var recorded []*parley.Change
	own := make([][]*parley.Change, writers)
	streams := make([]string, writers)
	var wg sync.WaitGroup
	for w := range writers {
		streams[w] = NewID("stream")
		wg.Go(func() {
			for i := range each {
				m := NewChannelMessage(ch, ann, fmt.Sprintf("writer %d message %d", w, i))
				wantCode, wantCreated := "", i%3 != 2
				switch {
				case wantCreated:
				case i/3%3 == 0:
					m.ID, wantCode = first.ID, parley.ECONFLICT
				case i/3%3 == 1:
					m, wantCode = NewReply(unstored, ann, "orphan"), parley.ENOTFOUND
				default:
					m.ClientMsgID = first.ClientMsgID
				}
				changes := []*parley.Change{
					newChange(ch.ID, "message", i), newChange(streams[w], "message", i)}

				_, created, err := s.AppendMessage(t.Context(), m, changes...)
				if code := parley.ErrorCode(err); code != wantCode || created != wantCreated {
					t.Errorf("writer %d message %d: created=%t, err=%v; want %t, code %q",
						w, i, created, err, wantCreated, wantCode)
					return
				}
				if !created && (changes[0].Pos != 0 || changes[1].Pos != 0) {
					t.Errorf("writer %d message %d: Pos=%d and %d, not recorded, want 0",
						w, i, changes[0].Pos, changes[1].Pos)
				}
				if created {
					mu.Lock()
					recorded = append(recorded, changes[0])
					mu.Unlock()
					own[w] = append(own[w], changes[1])
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	slices.SortFunc(recorded, func(a, b *parley.Change) int { return int(a.Pos - b.Pos) })
	if n := len(recorded); n != writers*each*2/3 {
		t.Fatalf("%d appends created their message, want %d", n, writers*each*2/3)
	}
	checkPositions(t, ch.ID, recorded)
	checkChanges(t, s, ch.ID, 0, 1000, recorded...)
	for w, stream := range streams {
		checkPositions(t, stream, own[w])
		checkChanges(t, s, stream, 0, 1000, own[w]...)
	}
}

// PruneChanges removes the changes created before the time given, from
// every stream, and says how many. The rest read as before, a stream's
// latest position stays, and new changes take the positions after it.
func testPruneChangesOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	dm := parley.DMConversationID(ann.ID, bob.ID)
	var own, inChannel, direct []*parley.Change
	for i := range 5 {
		own = append(own, newChange(ann.ID, "note", 10+i))
	}
	for i := range 3 {
		inChannel = append(inChannel, newChange(ch.ID, "message", 20+i))
	}
	direct = append(direct, newChange(dm, "message", 11), newChange(dm, "message", 30))
	mustAppendChanges(t, s, NewDirectMessage(ann, bob, "hello"),
		slices.Concat(own, inChannel, direct)...)

	mustPrune(t, s, 13, 4)
	checkChanges(t, s, ann.ID, 3, 10, own[3:]...)
	checkChanges(t, s, ch.ID, 0, 10, inChannel...)
	checkChanges(t, s, dm, 1, 10, direct[1])
	mustPrune(t, s, 13, 0)

	next := newChange(ann.ID, "note", 40)
	mustAppendChanges(t, s, NewChannelMessage(ch, ann, "again"), next)
	if next.Pos != 6 {
		t.Fatalf("Pos=%d after a prune, want 6", next.Pos)
	}
	checkChanges(t, s, ann.ID, 3, 10, own[3], own[4], next)

	// Pruning every change leaves every stream empty at its latest
	// position.
	mustPrune(t, s, 100, 7)
	checkChanges(t, s, ann.ID, 6, 10)
	checkChanges(t, s, ch.ID, 3, 10)
	checkChanges(t, s, dm, 2, 10)
	checkLatest(t, s, ann, ann.ID, 6)
	checkLatest(t, s, ann, ch.ID, 3)
	checkLatest(t, s, ann, dm, 2)
}

// Changes may be created in an order other than their positions', as
// concurrent writes take their times and positions apart. A prune that
// removes a change leaves no read from before it possible, even if an
// earlier position is left.
func testPruneChangesTimesOutOfOrder(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	late, early := newChange(ann.ID, "note", 20), newChange(ann.ID, "note", 10)
	mustAppendChanges(t, s, NewChannelMessage(ch, ann, "hello"), late, early)

	mustPrune(t, s, 15, 1)
	for _, after := range []int64{0, 1} {
		_, err := s.Changes(t.Context(), ann.ID, after, 10)
		checkCode(t, err, parley.EINVALID)
	}
	checkChanges(t, s, ann.ID, 2, 10)
}

// changeStep is one call of a mutating method, given one change to record.
type changeStep struct {
	name string
	// appends is whether the call changes something, and so records its
	// change.
	appends bool
	// code is the code of the error the call returns, "" for none.
	code string
	// call calls the method with c. It returns the method's error, or one
	// of its own if the method succeeded but reported something else
	// than the step expects.
	call func(c *parley.Change) error
}

// runChangeSteps runs steps in order, one subtest each, each with a new
// change for stream, and checks that each records its change in the
// stream, at the next position, exactly when it should, and leaves its Pos
// zero otherwise. It stops at the
// first step that fails, as the later ones build on it.
func runChangeSteps(t *testing.T, s parley.Store, stream string, steps []changeStep) {
	t.Helper()
	latest := int64(len(mustChanges(t, s, stream, 0, 1000)))
	for i, step := range steps {
		ok := t.Run(step.name, func(t *testing.T) {
			c := newChange(stream, step.name, i)
			err := step.call(c)
			if code := parley.ErrorCode(err); code != step.code {
				t.Fatalf("err=%v, want code %q", err, step.code)
			}

			// A change not recorded keeps Pos zero, which tells the
			// service that there is nothing to push.
			if !step.appends {
				checkChanges(t, s, stream, latest, 10)
				if c.Pos != 0 {
					t.Fatalf("Pos=%d for a change not recorded, want 0", c.Pos)
				}
				return
			}
			checkChanges(t, s, stream, latest, 10, c)
			if c.Pos != latest+1 {
				t.Fatalf("Pos=%d, want %d", c.Pos, latest+1)
			}
			latest++
		})
		if !ok {
			return
		}
	}
}

// wantTrue returns err, or an error if the method succeeded but reported
// false.
func wantTrue(ok bool, err error) error {
	if err == nil && !ok {
		return errors.New("reported false, want true")
	}
	return err
}

// wantFalse returns err, or an error if the method succeeded but reported
// true.
func wantFalse(ok bool, err error) error {
	if err == nil && ok {
		return errors.New("reported true, want false")
	}
	return err
}

// newChange returns a change of the given type in stream, created at
// baseTime moved by the given minutes, with data that no other call
// returns, not stored yet.
func newChange(stream, typ string, minutes int) *parley.Change {
	return &parley.Change{
		Stream:    stream,
		Type:      typ,
		Data:      json.RawMessage(fmt.Sprintf(`{"id": %q, "n": [1, 2]}`, NewID("change"))),
		CreatedAt: minute(minutes),
	}
}

// mustAppendChanges appends m with the changes to record, and fails t if it
// cannot or if m was not created. It returns the stored message.
func mustAppendChanges(t testing.TB, s parley.Store, m *parley.Message,
	changes ...*parley.Change) *parley.Message {
	t.Helper()
	stored, created, err := s.AppendMessage(t.Context(), m, changes...)
	checkOK(t, "AppendMessage", wantTrue(created, err))
	return stored
}

// mustPrune prunes the changes created before baseTime moved by the given
// minutes, and fails t unless it removes want of them.
func mustPrune(t testing.TB, s parley.Store, minutes, want int) {
	t.Helper()
	n, err := s.PruneChanges(t.Context(), minute(minutes))
	checkOK(t, "PruneChanges", err)
	if n != want {
		t.Fatalf("PruneChanges(minute %d)=%d, want %d", minutes, n, want)
	}
}

// mustChanges returns the changes of the stream after the position given,
// at most limit, and fails t if it cannot.
func mustChanges(t testing.TB, s parley.Store, stream string, after int64,
	limit int) []*parley.Change {
	t.Helper()
	got, err := s.Changes(t.Context(), stream, after, limit)
	checkOK(t, "Changes", err)
	return got
}

// checkChanges fails t unless the changes of the stream after the position
// given, at most limit, are want, in order, as they were recorded.
func checkChanges(t testing.TB, s parley.Store, stream string, after int64, limit int,
	want ...*parley.Change) {
	t.Helper()
	got := mustChanges(t, s, stream, after, limit)
	if len(got) != len(want) {
		t.Fatalf("Changes(%s, after %d, limit %d) has %d changes, want %d: %s",
			stream, after, limit, len(got), len(want), changeList(got))
	}
	for i := range got {
		if !sameChange(got[i], want[i]) {
			t.Fatalf("Changes(%s, after %d)[%d]=%s, want %s", stream, after, i,
				changeString(got[i]), changeString(want[i]))
		}
	}
}

// checkPositions fails t unless the changes, recorded in stream, have the
// positions from 1 on, in order.
func checkPositions(t testing.TB, stream string, changes []*parley.Change) {
	t.Helper()
	for i, c := range changes {
		if c.Pos != int64(i+1) {
			t.Fatalf("%s: change %d has Pos=%d, want %d", stream, i, c.Pos, i+1)
		}
	}
}

// sameChange reports whether got is the change want, as recorded: the same
// stream, position, type, time, and data, as JSON values, since a store may
// keep JSON in a form of its own.
func sameChange(got, want *parley.Change) bool {
	if got.Stream != want.Stream || got.Pos != want.Pos || got.Type != want.Type ||
		!got.CreatedAt.Equal(want.CreatedAt.Time) {
		return false
	}
	var gotData, wantData any
	if json.Unmarshal(got.Data, &gotData) != nil || json.Unmarshal(want.Data, &wantData) != nil {
		return false
	}
	return reflect.DeepEqual(gotData, wantData)
}

// changeString describes c for a failure message.
func changeString(c *parley.Change) string {
	return fmt.Sprintf("{%s #%d %s %s at %s}", c.Stream, c.Pos, c.Type, c.Data,
		c.CreatedAt.Format(parley.TimeLayout))
}

// changeList describes the changes for a failure message.
func changeList(changes []*parley.Change) string {
	list := make([]string, len(changes))
	for i, c := range changes {
		list[i] = changeString(c)
	}
	return "[" + strings.Join(list, " ") + "]"
}
