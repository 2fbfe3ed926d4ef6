package sqlite_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/sqlite"
	"github.com/parleychat/parley/storetest"
)

// Deleting a channel or a workspace leaves no row of its streams behind,
// neither a counter nor a change, where the suite can only see that
// Changes finds none.
func TestDeleteWorkspace_RemovesChangeRows(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	ws, general := storetest.MustCreateWorkspace(t, s, ann, "Acme")
	random := storetest.MustCreateChannel(t, s, ws, ann, "random", false)
	other := storetest.MustCreateChannel(t, s, ws, ann, "other", false)
	dm := parley.DMConversationID(ann.ID, bob.ID)
	var changes []*parley.Change
	for _, stream := range []string{ws.ID, general.ID, random.ID, other.ID, dm, ann.ID} {
		for range 3 {
			changes = append(changes, &parley.Change{Stream: stream, Type: "note",
				Data: json.RawMessage(`{}`)})
		}
	}
	m := storetest.NewDirectMessage(ann, bob, "hi")
	if _, _, err := s.AppendMessage(t.Context(), m, changes...); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteChannel(t.Context(), random.ID); err != nil {
		t.Fatal(err)
	}
	checkRows(t, s, 5, 15)
	if err := s.DeleteWorkspace(t.Context(), ws.ID); err != nil {
		t.Fatal(err)
	}
	checkRows(t, s, 2, 6)
}

// Changes reads a range of the key of changes; Streams looks up the user's
// memberships and direct conversations along indexes that lead with the
// user's ID, and each stream by its key; and both statements of
// PruneChanges read only the changes old enough to go, along their index,
// not the whole table: before and after the planner has statistics to
// weigh the indexes with.
func TestChanges_QueryPlans(t *testing.T) {
	s := MustOpen(t, ":memory:")
	users := make([]*parley.User, 60)
	for i := range users {
		users[i] = storetest.MustCreateUser(t, s, "User")
	}
	ws, general := storetest.MustCreateWorkspace(t, s, users[0], "Acme")
	channels := []*parley.Channel{general}
	for i := range 9 {
		channels = append(channels, storetest.MustCreateChannel(t, s, ws, users[0],
			fmt.Sprint("channel-", i), false))
	}
	for i, u := range users[1:] {
		storetest.MustAddWorkspaceMember(t, s, ws, general, u)
		for _, ch := range channels[1+i%3 : 4+i%6] {
			storetest.MustAddChannelMember(t, s, ch, u)
		}
	}

	// Changes a minute apart, in the channels' streams and the direct
	// conversations', each of a message.
	for i := range 600 {
		m := storetest.NewChannelMessage(channels[i%len(channels)], users[0], "hello")
		if i%2 == 1 {
			m = storetest.NewDirectMessage(users[i%len(users)], users[(i/2)%len(users)], "hi")
		}
		c := &parley.Change{Stream: m.ConversationID, Type: "message", Data: json.RawMessage(`{}`),
			CreatedAt: parley.NewTime(m.CreatedAt.Add(time.Duration(i) * time.Minute))}
		if _, _, err := s.AppendMessage(t.Context(), m, c); err != nil {
			t.Fatal(err)
		}
	}
	ch := channels[1]

	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if err := sqlite.Analyze(s); err != nil {
				t.Fatal(err)
			}
		}
		changes, streams, floors, prune, err := sqlite.ChangePlans(s, ch.ID, users[7].ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, plan string
			want       []string
		}{
			{"Changes", changes, []string{
				"SEARCH changes USING PRIMARY KEY (stream=? AND pos>?)"}},
			{"Streams", streams, []string{
				"SEARCH streams USING PRIMARY KEY (id=?)",
				"SEARCH m USING INDEX workspace_members_user_id (user_id=?)",
				"SEARCH m USING INDEX channel_members_user_id (user_id=?)",
				"SEARCH d USING PRIMARY KEY (user_id=?)",
				"SEARCH s USING PRIMARY KEY (id=?) LEFT-JOIN"}},
			{"PruneChanges floors", floors, []string{
				"SEARCH changes USING COVERING INDEX changes_created_at (created_at<?)"}},
			{"PruneChanges", prune, []string{
				"SEARCH changes USING INDEX changes_created_at (created_at<?)"}},
		} {
			steps := strings.Split(tt.plan, "\n")
			for _, want := range tt.want {
				if !slices.Contains(steps, want) {
					t.Errorf("analyzed=%t, %s: plan %q, want the step %q",
						analyzed, tt.name, tt.plan, want)
				}
			}
			// A scan of streams, one row per conversation, workspace
			// and user, is as good as a lookup of each stream a prune
			// touched, which may be most of them.
			for _, step := range steps {
				if strings.HasPrefix(step, "SCAN") && !slices.Contains([]string{
					"SCAN CONSTANT ROW", "SCAN pruned", "SCAN streams"}, step) {
					t.Errorf("analyzed=%t, %s: plan %q has the step %q, want no scan",
						analyzed, tt.name, tt.plan, step)
				}
			}
		}
	}
}

// checkRows fails t unless the store holds the given numbers of streams and
// of changes.
func checkRows(t *testing.T, s *sqlite.Store, streams, changes int) {
	t.Helper()
	if n := MustCount(t, s, "streams"); n != streams {
		t.Fatalf("%d streams, want %d", n, streams)
	}
	if n := MustCount(t, s, "changes"); n != changes {
		t.Fatalf("%d changes, want %d", n, changes)
	}
}
