package sqlite_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/sqlite"
	"github.com/parleychat/parley/storetest"
)

// The sqlite store ties a channel's history to the channel, so a message for
// a channel that does not exist, or no longer does, is refused.
func TestAppendMessage_ErrChannelNotFound(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann := storetest.MustCreateUser(t, s, "Ann")
	ws, _ := storetest.MustCreateWorkspace(t, s, ann, "Acme")
	gone := storetest.NewChannel(ws, ann, "never-stored", false)

	_, _, err := s.AppendMessage(t.Context(), storetest.NewChannelMessage(gone, ann, "hello"))
	if code := parley.ErrorCode(err); code != parley.ENOTFOUND {
		t.Fatalf("err=%v, want code %q", err, parley.ENOTFOUND)
	}
}

// Appends that fail do not fail the others committed with them, and take no
// Seq from them.
func TestAppendMessage_BadAppendsInBatch(t *testing.T) {
	s := MustOpen(t, filepath.Join(t.TempDir(), "parley.db"))
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	first := storetest.MustAppendMessage(t, s, storetest.NewDirectMessage(ann, bob, "first"))

	const good, bad = 32, 32
	var stored, conflicts atomic.Int64
	var wg sync.WaitGroup
	for i := range good + bad {
		wg.Go(func() {
			m := storetest.NewDirectMessage(ann, bob, fmt.Sprint("message ", i))
			if i%2 == 1 {
				m.ID = first.ID
			}
			_, _, err := s.AppendMessage(t.Context(), m)
			switch {
			case err == nil && i%2 == 0:
				stored.Add(1)
			case parley.ErrorCode(err) == parley.ECONFLICT && i%2 == 1:
				conflicts.Add(1)
			default:
				t.Errorf("message %d: err=%v", i, err)
			}
		})
	}
	wg.Wait()

	if stored.Load() != good || conflicts.Load() != bad {
		t.Fatalf("%d stored and %d conflicts, want %d and %d",
			stored.Load(), conflicts.Load(), good, bad)
	}
	page, err := s.Messages(t.Context(), first.ConversationID, parley.MessageFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range page.Messages {
		if m.Seq != int64(i+1) {
			t.Fatalf("Messages[%d].Seq=%d, want %d", i, m.Seq, i+1)
		}
	}
	if n := len(page.Messages); n != good+1 {
		t.Fatalf("%d messages, want %d", n, good+1)
	}
}

func TestAppendMessage_CanceledContext(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	m := storetest.NewDirectMessage(ann, bob, "too late")
	if _, _, err := s.AppendMessage(ctx, m); !errors.Is(err, context.Canceled) {
		t.Fatalf("err=%v, want %v", err, context.Canceled)
	}
	page, err := s.Messages(t.Context(), m.ConversationID, parley.MessageFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	} else if len(page.Messages) != 0 {
		t.Fatalf("%d messages, want 0", len(page.Messages))
	}
}

// Close lets the appends the committer has taken finish; every append
// either is stored, and found after reopening, or fails with ErrClosed.
func TestAppendMessage_Close(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s := MustOpen(t, path)
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")

	var mu sync.Mutex
	var acked []*parley.Message
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				m := storetest.NewDirectMessage(ann, bob, fmt.Sprintf("writer %d message %d", w, i))
				_, _, err := s.AppendMessage(t.Context(), m)
				if errors.Is(err, sqlite.ErrClosed) {
					return
				} else if err != nil {
					t.Errorf("AppendMessage: %v", err)
					return
				}
				mu.Lock()
				acked = append(acked, m)
				mu.Unlock()
			}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 50 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d appends acknowledged before the deadline, want 50", n)
		}
	}
	MustClose(t, s)
	wg.Wait()

	s = MustOpen(t, path)
	checkStored(t, s, acked)
}

// A message acknowledged is on disk, even if the process is killed the
// moment after. The test runs itself as a child that appends from several
// goroutines, reports each acknowledged message, and kills itself with
// SIGKILL; the parent then looks for every reported message in the file.
func TestAppendMessage_SurvivesKill(t *testing.T) {
	if path := os.Getenv("PARLEY_TEST_KILL_DB"); path != "" {
		appendUntilKilled(t, path)
		return
	}
	if testing.Short() {
		t.Skip("runs a child process")
	}

	path := filepath.Join(t.TempDir(), "parley.db")
	s := MustOpen(t, path)
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	MustClose(t, s)

	cmd := exec.Command(os.Args[0], "-test.run=^TestAppendMessage_SurvivesKill$")
	cmd.Env = append(os.Environ(), "PARLEY_TEST_KILL_DB="+path,
		"PARLEY_TEST_KILL_USERS="+ann.ID+" "+bob.ID)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	var acked []*parley.Message
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var m parley.Message
		if _, err := fmt.Sscanf(lines.Text(), "acked %s %d", &m.ID, &m.Seq); err == nil {
			m.ConversationID = parley.DMConversationID(ann.ID, bob.ID)
			acked = append(acked, &m)
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("child exited cleanly, want it killed")
	}
	if len(acked) < 100 {
		t.Fatalf("child acknowledged %d messages, want at least 100", len(acked))
	}

	checkStored(t, MustOpen(t, path), acked)
}

// appendUntilKilled is the child of TestAppendMessage_SurvivesKill.
func appendUntilKilled(t *testing.T, path string) {
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(os.Getenv("PARLEY_TEST_KILL_USERS"))
	ann, bob := &parley.User{ID: ids[0]}, &parley.User{ID: ids[1]}

	var mu sync.Mutex
	var count int
	for range 8 {
		go func() {
			for {
				m := storetest.NewDirectMessage(ann, bob, "before the kill")
				if _, _, err := s.AppendMessage(context.Background(), m); err != nil {
					continue
				}
				mu.Lock()
				fmt.Printf("acked %s %d\n", m.ID, m.Seq)
				if count++; count == 200 {
					p, _ := os.FindProcess(os.Getpid())
					p.Kill()
				}
				mu.Unlock()
			}
		}()
	}
	select {}
}

// checkStored fails t unless every message of want is in s with its Seq.
func checkStored(t *testing.T, s parley.Store, want []*parley.Message) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("no messages to look for")
	}
	page, err := s.Messages(t.Context(), want[0].ConversationID,
		parley.MessageFilter{After: new(int64(0)), Limit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	seqs := make(map[string]int64)
	for _, m := range page.Messages {
		seqs[m.ID] = m.Seq
	}
	for _, m := range want {
		if seq, ok := seqs[m.ID]; !ok {
			t.Fatalf("acknowledged message %s (Seq=%d) is missing", m.ID, m.Seq)
		} else if seq != m.Seq {
			t.Fatalf("Seq=%d, want %d", seq, m.Seq)
		}
	}
}

// Each page of Messages is one range scan of an index that holds just the
// messages selected, in Seq order, and its reactions are looked up by
// message: no query scans a table or sorts a conversation, before or after
// the planner has statistics to weigh the indexes with.
func TestMessages_QueryPlans(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ch, root := mustFillThreaded(t, s, 200)
	page, err := s.Messages(t.Context(), ch.ID, parley.MessageFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Messages {
		ids = append(ids, m.ID)
	}

	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if err := sqlite.Analyze(s); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			name string
			f    parley.MessageFilter
			want string
		}{
			{"History", parley.MessageFilter{Limit: 50},
				"USING INDEX messages_history (conversation_id=? AND seq<?)"},
			{"HistoryAfter", parley.MessageFilter{After: new(int64(10)), Limit: 50},
				"USING INDEX messages_history (conversation_id=? AND seq>?)"},
			{"Thread", parley.MessageFilter{ParentID: root.ID, Before: new(int64(500)), Limit: 50},
				"USING INDEX messages_thread (conversation_id=? AND parent_id=? AND seq<?)"},
			{"ThreadAfter", parley.MessageFilter{ParentID: root.ID, After: new(int64(0)), Limit: 50},
				"USING INDEX messages_thread (conversation_id=? AND parent_id=? AND seq>?)"},
			{"IncludeReplies", parley.MessageFilter{IncludeReplies: true, Limit: 50},
				"(conversation_id=? AND seq<?)"},
		} {
			pagePlan, reactionsPlan, err := sqlite.MessagesPlan(s, ch.ID, tt.f, ids)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(pagePlan, "SEARCH messages ") || !strings.Contains(pagePlan, tt.want) ||
				strings.Contains(pagePlan, "\n") {
				t.Errorf("analyzed=%t, %s: plan %q, want one SEARCH %s",
					analyzed, tt.name, pagePlan, tt.want)
			}
			if !strings.Contains(reactionsPlan, "SEARCH reactions USING") ||
				strings.Contains(reactionsPlan, "SCAN reactions") {
				t.Errorf("analyzed=%t, %s: reactions plan %q, want a SEARCH of reactions",
					analyzed, tt.name, reactionsPlan)
			}
		}
	}
}

// A reply to a root that is not in its conversation is refused, as a
// guard on the root's counts; it takes no Seq.
func TestAppendMessage_ErrRootNotFound(t *testing.T) {
	s := MustOpen(t, ":memory:")
	ann, bob := storetest.MustCreateUser(t, s, "Ann"), storetest.MustCreateUser(t, s, "Bob")
	_, general := storetest.MustCreateWorkspace(t, s, ann, "Acme")
	elsewhere := storetest.MustAppendMessage(t, s, storetest.NewDirectMessage(ann, bob, "direct"))
	root := storetest.MustAppendMessage(t, s, storetest.NewChannelMessage(general, ann, "root"))

	for _, parentID := range []string{storetest.NewID("msg"), elsewhere.ID} {
		reply := storetest.NewReply(root, ann, "lost")
		reply.ParentID = parentID
		_, _, err := s.AppendMessage(t.Context(), reply)
		if code := parley.ErrorCode(err); code != parley.ENOTFOUND {
			t.Fatalf("err=%v, want code %q", err, parley.ENOTFOUND)
		}
		if _, err := s.Message(t.Context(), reply.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("Message of the refused reply: err=%v, want code %q", err, parley.ENOTFOUND)
		}
	}

	next := storetest.MustAppendMessage(t, s, storetest.NewReply(root, ann, "found"))
	if next.Seq != 2 {
		t.Fatalf("Seq=%d, want 2", next.Seq)
	}
}
