package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The cluster tests run three real "parley serve" processes on one
// PostgreSQL database and one NATS server, as "Running a cluster" in the
// README does. They need both, named by PARLEY_TEST_POSTGRES (a DSN of a
// server where the user may create databases) and PARLEY_TEST_NATS (a
// nats:// URL); .ci/run starts both.

// clusterEnv returns the PostgreSQL DSN and NATS URL, or skips the test.
func clusterEnv(t *testing.T) (pg, nats string) {
	t.Helper()
	pg, nats = os.Getenv("PARLEY_TEST_POSTGRES"), os.Getenv("PARLEY_TEST_NATS")
	if pg == "" {
		t.Skip("PARLEY_TEST_POSTGRES not set: set it to a postgres:// DSN, and PARLEY_TEST_NATS to a nats:// URL, to run the cluster tests")
	} else if nats == "" {
		t.Skip("PARLEY_TEST_NATS not set: set it to a nats:// URL, and PARLEY_TEST_POSTGRES to a postgres:// DSN, to run the cluster tests")
	}
	return pg, nats
}

var clusterDBs atomic.Int64

// MustCreateDatabase creates an empty database on the server of dsn, drops
// it at the end of the test, and returns its DSN.
func MustCreateDatabase(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to PARLEY_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("parley_e2e_%d_%d", os.Getpid(), clusterDBs.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("PARLEY_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustStartCluster starts n nodes on a fresh database and the NATS server.
func MustStartCluster(t *testing.T, n int) []*Process {
	t.Helper()
	pg, nats := clusterEnv(t)
	db := MustCreateDatabase(t, pg)
	// The nodes start at once, as after a deployment: the migrations must
	// run once, whoever gets there first.
	nodes := make([]*Process, n)
	for i := range nodes {
		cmd, stdout, stderr := command(t, "serve", "--addr", "127.0.0.1:0", "--db", db, "--nats", nats)
		nodes[i] = startCommand(t, cmd, stdout, stderr)
	}
	for _, p := range nodes {
		p.MustListen(t)
	}
	return nodes
}

// TestCluster checks that what is done on one node reaches the clients of
// the others, once, and that sequencing and idempotency hold across nodes.
func TestCluster(t *testing.T) {
	nodes := MustStartCluster(t, 3)
	a, b, c := nodes[0].Client(), nodes[1].Client(), nodes[2].Client()

	ann, bob, cat := a.MustSignup(t, "ann"), b.MustSignup(t, "bob"), c.MustSignup(t, "cat")
	ws := a.MustCreateWorkspace(t, ann, "acme")
	b.MustInvite(t, ann, ws, bob, cat) // an invitation through another node
	general := General(t, ws)
	annC, bobC, catC := a.MustConnect(t, ann), b.MustConnect(t, bob), c.MustConnect(t, cat)

	t.Run("Messages", func(t *testing.T) {
		m := a.MustPost(t, ann, general, "hello from node A")
		for name, conn := range map[string]*WSClient{"ann on A": annC, "bob on B": bobC, "cat on C": catC} {
			conn.Find(t, name+": the message", IsMessage(m.ID))
		}
		if n := countFrames(bobC, IsMessage(m.ID)); n != 1 {
			t.Errorf("bob got the message %d times, want once", n)
		}

		// An edit on B reaches A and C.
		b.MustDo(t, Req{Method: "PATCH", Path: "/message/" + m.ID, Token: ann.AccessToken,
			Body: map[string]string{"message": "edited on node B"}}, http.StatusOK, nil)
		for name, conn := range map[string]*WSClient{"ann on A": annC, "cat on C": catC} {
			conn.Find(t, name+": the edit", func(f Frame) bool {
				return f.Type == "message_changed" && strings.Contains(string(f.Raw), "edited on node B")
			})
		}
	})

	t.Run("Membership", func(t *testing.T) {
		// A channel made on C, joined by bob through B: ann on A learns
		// of both; a private channel's events never reach cat.
		pub := c.MustCreateChannel(t, cat, ws, "random", false)
		b.MustJoin(t, cat, pub, bob)
		bobC.Find(t, "bob on B: joined random", func(f Frame) bool {
			return f.Type == "member_joined_channel" && f.ChannelID == pub.ID
		})
		priv := a.MustCreateChannel(t, ann, ws, "secret", true)
		a.MustJoin(t, ann, priv, bob)
		hidden := b.MustPost(t, bob, priv, "not for cat")
		bobC.Find(t, "bob on B: the private message", IsMessage(hidden.ID))
		// cat gets a later message of general, so the private one, had
		// it been sent to cat, would have come before it.
		later := a.MustPost(t, ann, general, "after the secret")
		catC.Find(t, "cat on C: the later message", IsMessage(later.ID))
		if catC.Has(IsMessage(hidden.ID)) || catC.Has(func(f Frame) bool { return f.ChannelID == priv.ID }) {
			t.Error("cat, not a member, got an event of the private channel")
		}

		// A change of membership on one node is seen at once by the
		// others' permission checks: their member lists must not be stale.
		c.MustDo(t, Req{Method: "PATCH", Path: "/channel/out", Token: bob.AccessToken, Body: map[string]string{
			"workspace_id": ws.ID, "channel_id": pub.ID, "user_email": bob.Email()}}, http.StatusOK, nil)
		WaitFor(t, "node A to refuse bob in random", time.Now().Add(timeout), func() bool {
			return a.Do(t, postReq(bob, pub, map[string]string{"message": "still here?"})).Status == http.StatusForbidden
		})
	})

	t.Run("TypingAndPresence", func(t *testing.T) {
		bobC.Send(t, typingFrame(general))
		annC.Find(t, "ann on A: bob typing on B", IsTypingIn(bob, general))
		dan := c.MustSignup(t, "dan")
		a.MustInvite(t, ann, ws, dan)
		danC := b.MustConnect(t, dan)
		annC.Find(t, "ann on A: dan online on B", IsPresence(dan, "online"))
		danC.Conn.Close()
	})

	t.Run("SeqAcrossNodes", func(t *testing.T) {
		// Two nodes append to one conversation at once.
		ch := a.MustCreateChannel(t, ann, ws, "busy", false)
		const each = 40
		var wg sync.WaitGroup
		for _, node := range []*Server{a, b} {
			wg.Go(func() {
				for i := range each {
					if _, err := tryPost(node, ann, ch, map[string]string{"message": fmt.Sprint(i)}); err != nil {
						t.Errorf("post: %v", err)
					}
				}
			})
		}
		wg.Wait()
		page := c.MustHistory(t, ann, ch, "limit=100")
		if got, want := page.Seqs(), seqRange(1, 2*each); !slices.Equal(got, want) {
			t.Errorf("seqs=%v, want 1..%d with no gap and no repeat", got, 2*each)
		}

		// client_msg_id holds across nodes.
		body := map[string]string{"message": "once", "client_msg_id": "cluster-once"}
		first, err := tryPost(a, ann, ch, body)
		if err != nil {
			t.Fatal(err)
		}
		again, err := tryPost(b, ann, ch, body)
		if err != nil {
			t.Fatal(err)
		} else if again.ID != first.ID || again.Seq != first.Seq {
			t.Errorf("the repeat on node B made %s/%d, want the first %s/%d", again.ID, again.Seq, first.ID, first.Seq)
		}
	})

	t.Run("TokenOfAnotherNode", func(t *testing.T) {
		// A session from signing up on C works on A and B: the signing key
		// is in the shared database.
		eve := c.MustSignup(t, "eve")
		for _, node := range []*Server{a, b} {
			node.MustDo(t, Req{Method: "GET", Path: "/workspaces/" + eve.Email(), Token: eve.AccessToken}, http.StatusOK, nil)
		}
	})
}

// countFrames counts the frames of c that match.
func countFrames(c *WSClient, match func(Frame) bool) int {
	n := 0
	for _, f := range c.Frames() {
		if match(f) {
			n++
		}
	}
	return n
}

// seqRange returns from, from+1, …, to.
func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// TestClusterKill kills one node of three with SIGKILL while clients send
// through every node. The killed node's clients reconnect to another node
// and catch up with GET /sync; writers whose request failed retry it on
// another node with the same client_msg_id. In the end every reader has
// seen every acknowledged message, each exactly once, and nothing else.
func TestClusterKill(t *testing.T) {
	nodes := MustStartCluster(t, 3)
	servers := []*Server{nodes[0].Client(), nodes[1].Client(), nodes[2].Client()}
	s := servers[0]
	users := []*Session{s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "cat")}
	ws := s.MustCreateWorkspace(t, users[0], "acme")
	s.MustInvite(t, users[0], ws, users[1], users[2])
	general := General(t, ws)

	var dead atomic.Int32 // 1 + the index of the killed node, 0 while all live
	alive := func(i int) *Server {
		if int(dead.Load())-1 == i {
			return servers[(i+1)%len(servers)]
		}
		return servers[i]
	}

	// Each user reads on their own node, starting from a token for now.
	readers := make([]*clusterReader, len(users))
	for i, u := range users {
		r := &clusterReader{user: u, node: i, replica: NewReplica()}
		start := servers[i].MustSync(t, u, "", 0)
		if err := r.replica.ApplySynced(start); err != nil {
			t.Fatal(err)
		}
		r.token = start.SyncToken
		r.conn = servers[i].MustConnect(t, u)
		readers[i] = r
	}

	// Writers: each user sends through each node in turn; a send that
	// fails is sent again, with the same client_msg_id, to the next node.
	var acked sync.Map // message ID → text
	var retried atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w, u := range users {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				body := map[string]string{"message": id, "client_msg_id": id}
				for try := 0; ; try++ {
					// Writers learn of the dead node as clients do: their
					// sends to it fail.
					m, err := tryPost(servers[(w+i+try)%len(servers)], u, general, body)
					if err == nil {
						acked.Store(m.ID, id)
						break
					}
					retried.Add(1)
					if try == 10 {
						t.Errorf("send %s: %v", id, err)
						return
					}
				}
			}
		})
	}

	// The readers apply what is pushed, syncing on every gap; node C is
	// killed a moment in, and its reader moves to node A.
	deadline := time.Now().Add(3 * time.Second)
	killAt := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if dead.Load() == 0 && time.Now().After(killAt) {
			nodes[2].Cmd.Process.Kill()
			dead.Store(3)
		}
		for _, r := range readers {
			r.step(t, alive(r.node))
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	// A last catch-up, once every acknowledged message is stored.
	var want []string
	acked.Range(func(id, _ any) bool {
		want = append(want, id.(string))
		return true
	})
	slices.Sort(want)
	for i, r := range readers {
		r.catchUp(t, alive(r.node))
		var got []string
		for _, ch := range r.replica.Applied() {
			if ch.Type == "message" && ch.Stream == general.ID {
				got = append(got, ch.MessageID)
			}
		}
		checkStreamsInOrder(t, r.replica.Applied())
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s (node %d) saw %d messages, %d acknowledged; differences: %s",
				r.user.User.Nickname, i, len(got), len(want), setDiff(got, want))
		}
		t.Logf("%s: %d reconnects, %d repeats dropped, %d gaps mended", r.user.User.Nickname,
			r.reconnects, r.replica.Repeats, r.replica.Gaps)
	}
	t.Logf("%d messages acknowledged; %d sends failed and went again to another node", len(want), retried.Load())
	if len(want) == 0 {
		t.Fatal("no message was acknowledged")
	} else if readers[2].reconnects == 0 {
		t.Fatal("the killed node's reader never reconnected: the kill came too late")
	}
}

// clusterReader is one user's client: a connection, the replica it keeps,
// and its newest sync token.
type clusterReader struct {
	user       *Session
	node       int
	conn       *WSClient
	replica    *Replica
	token      string
	seen       int
	reconnects int
}

// step applies the frames pushed since the last step, syncing when one
// skipped ahead, and reconnects (to the node given) if the connection
// dropped, catching up from the last token as clients do.
func (r *clusterReader) step(t *testing.T, node *Server) {
	t.Helper()
	frames := r.conn.Frames()
	for _, f := range frames[r.seen:] {
		if ch := changeOf(f.Raw); ch.Pos > 0 && r.replica.ApplyPushed(ch) {
			r.catchUp(t, node)
		}
	}
	r.seen = len(frames)
	if r.conn.Err() != nil {
		r.conn = node.MustConnect(t, r.user)
		r.seen = 0
		r.reconnects++
		r.catchUp(t, node)
	}
}

// catchUp applies GET /sync from the last token.
func (r *clusterReader) catchUp(t *testing.T, node *Server) {
	t.Helper()
	r.token = node.MustSyncPages(t, r.user, r.token, 50, func(p *SyncPage) {
		if err := r.replica.ApplySynced(p); err != nil {
			t.Error(err)
		}
	})
}

// tryPost posts a message, and returns an error rather than failing the
// test when the node cannot be reached or refuses it.
func tryPost(s *Server, as *Session, ch *Channel, body map[string]string) (*Message, error) {
	data, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", s.URL+"/messages/"+ch.WorkspaceID+"/"+ch.ID, strings.NewReader(string(data)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+as.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	} else if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	var m Message
	return &m, json.Unmarshal(raw, &m)
}

// setDiff describes what is in one sorted list and not the other.
func setDiff(got, want []string) string {
	var missing, extra []string
	for _, w := range want {
		if _, ok := slices.BinarySearch(got, w); !ok {
			missing = append(missing, w)
		}
	}
	for i, g := range got {
		if _, ok := slices.BinarySearch(want, g); !ok || (i > 0 && got[i-1] == g) {
			extra = append(extra, g)
		}
	}
	return fmt.Sprintf("missing %v, extra or repeated %v", missing, extra)
}
