package sqlite_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/sqlite"
	"github.com/parleychat/parley/storetest"
)

// The sqlite store ties a channel's markers to the channel, so marking a
// channel that does not exist, or no longer does, is refused, and leaves
// no marker behind. That holds for a channel marked before its first
// message too, whose conversation MarkRead made.
func TestMarkRead_ErrChannelNotFound(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann := storetest.MustCreateUser(t, s, "Ann")
	ws, _ := storetest.MustCreateWorkspace(t, s, ann, "Acme")
	empty := storetest.MustCreateChannel(t, s, ws, ann, "empty", false)
	if marker, err := s.MarkRead(t.Context(), ann.ID, empty.ID, 0); err != nil || marker != 0 {
		t.Fatalf("MarkRead of an empty channel=%d, err=%v; want 0, nil", marker, err)
	}
	if err := s.DeleteChannel(t.Context(), empty.ID); err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{empty.ID, storetest.NewID("ch")} {
		_, err := s.MarkRead(t.Context(), ann.ID, id, 3)
		if code := parley.ErrorCode(err); code != parley.ENOTFOUND {
			t.Fatalf("err=%v, want code %q", err, parley.ENOTFOUND)
		}
		markers, err := s.ReadMarkers(t.Context(), ann.ID, []string{id})
		if err != nil {
			t.Fatal(err)
		} else if len(markers) != 0 {
			t.Fatalf("ReadMarkers=%v, want none", markers)
		}
	}
	if n := MustCount(t, s, "read_markers"); n != 0 {
		t.Fatalf("%d read markers left, want 0", n)
	}
}

// CountUnread reads the history index from the marker on, and nothing
// else of messages; ReadMarkers looks up one key per conversation, and
// DirectConversations reads a range of a key: before and after the planner
// has statistics to weigh the indexes with.
func TestRead_QueryPlans(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ch, _ := mustFillThreaded(t, s, 200)
	users := make([]*parley.User, 4)
	for i := range users {
		users[i] = storetest.MustCreateUser(t, s, "User")
	}
	var ids []string
	for i := range 40 {
		m := storetest.NewDirectMessage(users[i%4], users[(i+1+i/4)%4], "direct")
		storetest.MustAppendMessage(t, s, m)
		if _, err := s.MarkRead(t.Context(), m.ReceiverID, m.ConversationID, m.Seq); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ConversationID)
	}
	ids = append(ids, ch.ID)

	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if err := sqlite.Analyze(s); err != nil {
				t.Fatal(err)
			}
		}
		unread, markers, direct, err := sqlite.ReadPlans(s, ch.ID, users[0].ID, 100, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, plan, want string
		}{
			{"CountUnread", unread,
				"SEARCH messages USING INDEX messages_history (conversation_id=? AND seq>?)"},
			{"CountUnread", unread,
				"SEARCH conversations USING INDEX sqlite_autoindex_conversations_1 (id=?)"},
			{"ReadMarkers", markers,
				"SEARCH read_markers USING PRIMARY KEY (conversation_id=? AND user_id=?)"},
			{"DirectConversations", direct,
				"SEARCH direct_members USING PRIMARY KEY (user_id=?)"},
		} {
			steps := strings.Split(tt.plan, "\n")
			if !slices.Contains(steps, tt.want) || strings.Contains(tt.plan, "SCAN messages") ||
				strings.Contains(tt.plan, "TEMP B-TREE") {
				t.Errorf("analyzed=%t, %s: plan %q, want the step %q, "+
					"no scan of messages and no sort", analyzed, tt.name, tt.plan, tt.want)
			}
		}
		reads := 0
		for _, step := range strings.Split(unread, "\n") {
			_, table, _ := strings.Cut(step, " ")
			if strings.HasPrefix(table, "messages ") {
				reads++
			}
		}
		if reads != 1 {
			t.Errorf("analyzed=%t, CountUnread: plan %q reads messages %d times, want once",
				analyzed, unread, reads)
		}
	}
}

// Direct messages stored before the migration that brought
// DirectConversations are found by it, both sender's and receiver's.
func TestOpen_DirectConversationsOfEarlierMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil { // an empty database
		t.Fatal(err)
	}
	db := MustOpenRaw(t, path)
	for _, name := range []string{
		"0001_init.sql", "0002_messages_in_depth.sql", "0003_accounts_and_imports.sql",
	} {
		schema, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(schema)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, query := range []string{
		`INSERT INTO users (id, email, nickname, password_hash, created_at) VALUES
			('u1', 'ann@example.com', 'Ann', '', 1000),
			('u2', 'bob@example.com', 'Bob', '', 1000),
			('u3', 'cat@example.com', 'Cat', '', 1000)`,
		`INSERT INTO workspaces VALUES ('w1', 'Acme', 'u1', 1000)`,
		`INSERT INTO channels (id, workspace_id, name, is_private, creator_id, created_at)
			VALUES ('c1', 'w1', 'general', 0, 'u1', 1000)`,
		`INSERT INTO conversations VALUES ('c1', 'c1', 1), ('dm:u1:u2', NULL, 2),
			('dm:u2:u3', NULL, 1)`,
		`INSERT INTO messages (id, conversation_id, seq, workspace_id, channel_id, receiver_id,
			sender_id, text, created_at) VALUES
			('m1', 'c1', 1, 'w1', 'c1', '', 'u3', 'in a channel', 2000),
			('m2', 'dm:u1:u2', 1, '', '', 'u2', 'u1', 'hi Bob', 2000),
			('m3', 'dm:u1:u2', 2, '', '', 'u1', 'u2', 'hi Ann', 2000),
			('m4', 'dm:u2:u3', 1, '', '', 'u2', 'u3', 'hi Bob', 2000)`,
		`PRAGMA user_version = 3`,
	} {
		if _, err := db.Exec(query); err != nil {
			t.Fatalf("%.40s: %v", query, err)
		}
	}
	db.Close()

	s := MustOpen(t, path)
	for _, tt := range []struct {
		userID string
		want   []string
	}{
		{"u1", []string{"dm:u1:u2"}},
		{"u2", []string{"dm:u1:u2", "dm:u2:u3"}},
		{"u3", []string{"dm:u2:u3"}},
	} {
		got, err := s.DirectConversations(t.Context(), tt.userID)
		if err != nil {
			t.Fatal(err)
		} else if !slices.Equal(got, tt.want) {
			t.Fatalf("DirectConversations(%s)=%q, want %q", tt.userID, got, tt.want)
		}
	}
}
