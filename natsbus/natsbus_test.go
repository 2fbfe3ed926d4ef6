package natsbus_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	"github.com/parleychat/parley/natsbus"
	"github.com/parleychat/parley/realtime"
	"github.com/parleychat/parley/sqlite"
)

var (
	_ app.Roster       = (*natsbus.Bus)(nil)
	_ natsbus.Service  = (*app.Service)(nil)
	_ natsbus.Hub      = (*realtime.Hub)(nil)
	_ parley.Publisher = (*natsbus.Bus)(nil)
)

// timeout bounds every wait for something asynchronous.
const timeout = 10 * time.Second

// testHeartbeat is the nodes' heartbeat in tests: short, so that a silent
// node is dropped soon, but long enough that a busy machine running the
// race detector does not drop a live one.
const testHeartbeat = 100 * time.Millisecond

// MustNATS returns the URL of the NATS server the tests share, and skips
// the test if there is none.
func MustNATS(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("PARLEY_TEST_NATS")
	if url == "" {
		tb.Skip("PARLEY_TEST_NATS not set: set it to a nats:// URL to run the NATS tests")
	}
	return url
}

// cluster is a set of test nodes on one NATS server and a subject of their
// own, so that tests sharing the server never hear each other. Every node's
// announcements go to one log.
type cluster struct {
	url, subject string
	log          *announcements
	// configure, if set, changes each Bus before it opens.
	configure func(*natsbus.Bus)
}

// newCluster returns an empty cluster on the server at url.
func newCluster(url string) *cluster {
	return &cluster{url: url, subject: "test" + rand.Text()[:12], log: &announcements{}}
}

// node is one node of a test cluster.
type node struct {
	hub *realtime.Hub
	bus *natsbus.Bus
	svc *service
}

// MustOpenNode opens a node of the cluster, with a heartbeat and a grace
// period short enough for tests, and closes it when the test ends.
func (c *cluster) MustOpenNode(tb testing.TB) *node {
	tb.Helper()
	n := &node{hub: realtime.NewHub(0), svc: &service{log: c.log}}
	n.bus = &natsbus.Bus{
		URL: c.url, Subject: c.subject, Hub: n.hub, Service: n.svc,
		Logger:    slog.New(slog.NewTextHandler(tb.Output(), nil)),
		Heartbeat: testHeartbeat, Grace: 300 * time.Millisecond,
		ReconnectWait: 50 * time.Millisecond,
	}
	if c.configure != nil {
		c.configure(n.bus)
	}
	if err := n.bus.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		n.bus.Close()
		n.hub.Close()
	})
	return n
}

// service is a natsbus.Service that counts what it is told.
type service struct {
	log *announcements

	mu      sync.Mutex
	remote  int
	forgets int
}

func (s *service) Remote(_ *parley.Event, deliver func()) {
	s.mu.Lock()
	s.remote++
	s.mu.Unlock()
	deliver()
}

func (s *service) Forget(ids ...string) {
	if len(ids) == 0 {
		s.mu.Lock()
		s.forgets++
		s.mu.Unlock()
	}
}

func (s *service) CutOff(bool) {}

func (s *service) Announce(_ context.Context, userID string, online bool) {
	s.log.add(userID, online)
}

// counts returns the events handed to Remote and the calls to forget all.
func (s *service) counts() (remote, forgets int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote, s.forgets
}

// announcements is the log of a cluster's presence announcements.
type announcements struct {
	mu   sync.Mutex
	list map[string][]string
}

func (a *announcements) add(userID string, online bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.list == nil {
		a.list = map[string][]string{}
	}
	state := map[bool]string{true: "online", false: "offline"}[online]
	a.list[userID] = append(a.list[userID], state)
}

// of returns the announcements of the user, in order.
func (a *announcements) of(userID string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.list[userID])
}

// waitFor polls cond until it holds, failing the test if it does not
// within timeout.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// conn is a subscription read as a connection's writer reads it.
type conn struct {
	sub    parley.Subscription
	queued [][]byte
}

// subscribe opens a subscription for the user on hub.
func subscribe(hub *realtime.Hub, userID string) *conn {
	return &conn{sub: hub.Subscribe(userID)}
}

// MustRecv returns the next frame, failing the test if none comes within
// timeout or the subscription ends.
func (c *conn) MustRecv(tb testing.TB) []byte {
	tb.Helper()
	deadline := time.After(timeout)
	for len(c.queued) == 0 {
		frames, open := c.sub.Take(nil)
		c.queued = append(c.queued, frames...)
		if len(c.queued) > 0 {
			break
		} else if !open {
			tb.Fatal("subscription ended, want a frame")
		}
		select {
		case <-c.sub.Ready():
		case <-deadline:
			tb.Fatalf("no frame within %v", timeout)
		}
	}
	frame := c.queued[0]
	c.queued = c.queued[1:]
	return frame
}

// MustEnd drains the subscription until it ends, failing the test if it
// does not within timeout, and returns whether it ended as slow.
func (c *conn) MustEnd(tb testing.TB) (slow bool) {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		if _, open := c.sub.Take(nil); !open {
			return c.sub.Slow()
		}
		select {
		case <-c.sub.Ready():
		case <-deadline:
			tb.Fatalf("subscription still open after %v", timeout)
		}
	}
}

// MustEvent returns a message event numbered n for the users.
func MustEvent(tb testing.TB, n int, userIDs ...string) *parley.Event {
	tb.Helper()
	e, err := parley.NewEvent(parley.EventMessage, userIDs, map[string]int{"n": n})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// wantEvent fails unless frame is that of event n.
func wantEvent(tb testing.TB, frame []byte, n int) {
	tb.Helper()
	if want := `{"type":"message","n":` + strconv.Itoa(n) + `}`; string(frame) != want {
		tb.Fatalf("frame=%.80s, want %s", frame, want)
	}
}

func TestPublish(t *testing.T) {
	url := MustNATS(t)
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		c := newCluster(url)
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)
		aliceA, aliceB := subscribe(a.hub, "alice"), subscribe(b.hub, "alice")
		bobB := subscribe(b.hub, "bob")

		a.bus.Publish(ctx, MustEvent(t, 1, "alice", "alice"))
		wantEvent(t, aliceA.MustRecv(t), 1)
		wantEvent(t, aliceB.MustRecv(t), 1)

		// Each got it once: the next frame of each is the next event. Events
		// of two nodes reach each in no set order, so one goes at a time.
		a.bus.Publish(ctx, MustEvent(t, 2, "alice", "bob"))
		for _, c := range []*conn{aliceA, aliceB, bobB} {
			wantEvent(t, c.MustRecv(t), 2)
		}
		b.bus.Publish(ctx, MustEvent(t, 3, "alice"))
		for _, c := range []*conn{aliceA, aliceB} {
			wantEvent(t, c.MustRecv(t), 3)
		}

		if remote, _ := b.svc.counts(); remote != 2 {
			t.Fatalf("b handed %d events to Remote, want the 2 of a", remote)
		} else if remote, _ := a.svc.counts(); remote != 1 {
			t.Fatalf("a handed %d events to Remote, want the 1 of b", remote)
		}
	})

	t.Run("ManyUsers", func(t *testing.T) {
		// 60,000 IDs of 27 characters exceed NATS's default max_payload of
		// 1 MiB: the event goes out in parts, and a user listed in two of
		// them still receives it once.
		c := newCluster(url)
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)
		ids := make([]string, 60_000)
		for i := range ids {
			ids[i] = fmt.Sprintf("U%026d", i)
		}
		first, last := ids[0], ids[len(ids)-1]
		ids = append(ids, first)
		conns := []*conn{subscribe(b.hub, first), subscribe(b.hub, last)}

		a.bus.Publish(ctx, MustEvent(t, 1, ids...))
		a.bus.Publish(ctx, MustEvent(t, 2, first, last))
		for _, c := range conns {
			wantEvent(t, c.MustRecv(t), 1)
			wantEvent(t, c.MustRecv(t), 2)
		}
	})

	t.Run("Oversize", func(t *testing.T) {
		// A frame larger than max_payload cannot go out: the other nodes'
		// clients are told to catch up instead.
		c := newCluster(url)
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)
		aliceA, aliceB := subscribe(a.hub, "alice"), subscribe(b.hub, "alice")
		big, err := parley.NewEvent(parley.EventMessage, []string{"alice"},
			map[string]string{"text": strings.Repeat("x", 2<<20)})
		if err != nil {
			t.Fatal(err)
		}

		a.bus.Publish(ctx, big)
		if frame := aliceA.MustRecv(t); len(frame) != len(big.Frame) {
			t.Fatalf("a delivered %d bytes, want %d", len(frame), len(big.Frame))
		}
		if !aliceB.MustEnd(t) {
			t.Fatal("b's subscription ended, but not as slow")
		}
		if _, forgets := b.svc.counts(); forgets != 1 {
			t.Fatalf("b forgot %d times, want 1", forgets)
		}

		later := subscribe(b.hub, "alice")
		a.bus.Publish(ctx, MustEvent(t, 2, "alice"))
		wantEvent(t, later.MustRecv(t), 2)
	})
}

func TestForgetEvery(t *testing.T) {
	// What a lost event left stale is dropped now and then regardless.
	c := newCluster(MustNATS(t))
	c.configure = func(b *natsbus.Bus) { b.ForgetEvery = 20 * time.Millisecond }
	n := c.MustOpenNode(t)
	waitFor(t, "three periodic forgets", func() bool {
		_, forgets := n.svc.counts()
		return forgets >= 3
	})
}

func TestPresence(t *testing.T) {
	url := MustNATS(t)

	// passGrace makes sure a grace period that started before it was
	// called has ended, and its announcement, if any, was made: the
	// leader hears a user arrive on n and leave after everything n said
	// before, and announces them offline a grace period later.
	passGrace := func(t *testing.T, c *cluster, n *node) {
		t.Helper()
		marker := "marker-" + rand.Text()[:8]
		n.bus.Arrive(marker)
		n.bus.Leave(marker)
		waitFor(t, marker+" announced online and offline", func() bool {
			return slices.Equal(c.log.of(marker), []string{"online", "offline"})
		})
	}
	// want fails unless the user's announcements are the given ones.
	want := func(t *testing.T, c *cluster, userID string, states ...string) {
		t.Helper()
		if got := c.log.of(userID); !slices.Equal(got, states) {
			t.Fatalf("%s announced %v, want %v", userID, got, states)
		}
	}
	// online fails unless every node agrees that the user is online, or not.
	online := func(t *testing.T, userID string, want bool, nodes ...*node) {
		t.Helper()
		for i, n := range nodes {
			waitFor(t, fmt.Sprintf("node %d: Online(%s)=%v", i, userID, want), func() bool {
				return n.bus.Online(userID) == want
			})
		}
	}

	t.Run("OK", func(t *testing.T) {
		c := newCluster(url)
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)

		a.bus.Arrive("alice")
		waitFor(t, "alice announced online", func() bool { return len(c.log.of("alice")) > 0 })
		online(t, "alice", true, a, b)

		// On b too, then no longer on a: still online, nothing announced.
		b.bus.Arrive("alice")
		a.bus.Leave("alice")
		passGrace(t, c, a)
		want(t, c, "alice", "online")
		online(t, "alice", true, a, b)

		// Gone from b too: offline after the grace period, once.
		b.bus.Leave("alice")
		waitFor(t, "alice announced offline", func() bool { return len(c.log.of("alice")) > 1 })
		passGrace(t, c, b)
		want(t, c, "alice", "online", "offline")
		online(t, "alice", false, a, b)
	})

	t.Run("Back", func(t *testing.T) {
		// A reload that lands on another node within the grace period
		// announces nothing.
		c := newCluster(url)
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)
		b.bus.Arrive("alice")
		waitFor(t, "alice announced online", func() bool { return len(c.log.of("alice")) > 0 })

		b.bus.Leave("alice")
		a.bus.Arrive("alice")
		passGrace(t, c, b)
		want(t, c, "alice", "online")
		online(t, "alice", true, a, b)
	})

	t.Run("Silent", func(t *testing.T) {
		// A node that stops without a word is dropped with its users
		// after three heartbeats.
		c := newCluster(url)
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)
		b.bus.Arrive("carol")
		waitFor(t, "carol announced online", func() bool { return len(c.log.of("carol")) > 0 })
		online(t, "carol", true, a)

		natsbus.Kill(b.bus)
		waitFor(t, "carol announced offline", func() bool { return len(c.log.of("carol")) > 1 })
		want(t, c, "carol", "online", "offline")
		online(t, "carol", false, a)
	})

	t.Run("LeaderSilent", func(t *testing.T) {
		// The oldest node leads. When it dies, the next takes over: its
		// own users stay online without a word, the dead leader's go
		// offline, and what happens next is announced by the new leader.
		c := newCluster(url)
		a := c.MustOpenNode(t)
		b := c.MustOpenNode(t)
		a.bus.Arrive("erin")
		b.bus.Arrive("dave")
		waitFor(t, "dave and erin announced online", func() bool {
			return len(c.log.of("dave")) > 0 && len(c.log.of("erin")) > 0
		})

		natsbus.Kill(a.bus)
		waitFor(t, "erin announced offline", func() bool { return len(c.log.of("erin")) > 1 })
		want(t, c, "erin", "online", "offline")
		want(t, c, "dave", "online")

		b.bus.Leave("dave")
		waitFor(t, "dave announced offline", func() bool { return len(c.log.of("dave")) > 1 })
		passGrace(t, c, b)
		want(t, c, "dave", "online", "offline")
	})

	t.Run("Goodbye", func(t *testing.T) {
		// A node that closes says goodbye: its users go at once, not three
		// heartbeats later.
		c := newCluster(url)
		c.configure = func(b *natsbus.Bus) {
			b.Heartbeat, b.Grace = time.Second, 50*time.Millisecond
		}
		a, b := c.MustOpenNode(t), c.MustOpenNode(t)
		b.bus.Arrive("frank")
		waitFor(t, "frank announced online", func() bool { return len(c.log.of("frank")) > 0 })

		start := time.Now()
		b.bus.Close()
		waitFor(t, "frank announced offline", func() bool { return len(c.log.of("frank")) > 1 })
		if took := time.Since(start); took >= 3*time.Second {
			t.Fatalf("frank announced offline %v after b closed, want well within three heartbeats",
				took)
		}
		online(t, "frank", false, a)
	})
}

func TestApp(t *testing.T) {
	// Two nodes as cmd/parley wires them, on one store.
	url := MustNATS(t)
	store := mustOpenStore(t)
	c := newCluster(url)
	c.configure = func(b *natsbus.Bus) { b.ForgetEvery = -1 } // only events may refresh
	a, b := mustOpenAppNode(t, c, store), mustOpenAppNode(t, c, store)

	annCtx, ann := mustSignup(t, a.svc, "ann@example.com")
	bobCtx, bob := mustSignup(t, a.svc, "bob@example.com")
	annB := subscribe(b.hub, ann.ID)
	ws, err := a.svc.CreateWorkspace(annCtx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.InviteToWorkspace(annCtx, ws.ID, bob.Email); err != nil {
		t.Fatal(err)
	}
	ch, err := a.svc.CreateChannel(annCtx, ws.ID, "random", false)
	if err != nil {
		t.Fatal(err)
	}
	// Ann, on b, hears in the order of a of the workspace and general
	// (as her joins of them), of bob's invite (his joins), and of the new
	// channel.
	for _, typ := range []string{
		app.EventMemberJoinedWorkspace, app.EventMemberJoinedChannel,
		app.EventMemberJoinedWorkspace, app.EventMemberJoinedChannel,
		app.EventChannelCreated,
	} {
		wantType(t, annB.MustRecv(t), typ)
	}

	t.Run("Membership", func(t *testing.T) {
		// b reads the members of random, without bob, and keeps them.
		_, err := b.svc.PostChannelMessage(bobCtx, ws.ID, ch.ID, app.Draft{Text: "early"})
		if parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Fatalf("post on b before joining: err=%v, want %s", err, parley.EFORBIDDEN)
		}

		if _, err := a.svc.JoinChannel(bobCtx, ws.ID, ch.ID, bob.Email); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "b lets bob post after his join on a", func() bool {
			_, err := b.svc.PostChannelMessage(bobCtx, ws.ID, ch.ID, app.Draft{Text: "hi"})
			return err == nil
		})
		// Ann, on b, hears of the join and then of the message.
		wantType(t, annB.MustRecv(t), app.EventMemberJoinedChannel)
		wantType(t, annB.MustRecv(t), parley.EventMessage)
	})

	t.Run("Message", func(t *testing.T) {
		_, err := a.svc.PostChannelMessage(bobCtx, ws.ID, ch.ID, app.Draft{Text: "from a"})
		if err != nil {
			t.Fatal(err)
		}
		if frame := annB.MustRecv(t); !strings.Contains(string(frame), `"message":"from a"`) {
			t.Fatalf("frame=%s, want bob's message", frame)
		}
	})

	t.Run("Typing", func(t *testing.T) {
		r := app.TypingRequest{WorkspaceID: ws.ID, ChannelID: ch.ID}
		if err := a.svc.Typing(bobCtx, r); err != nil {
			t.Fatal(err)
		}
		wantType(t, annB.MustRecv(t), app.EventTyping)
	})

	t.Run("Presence", func(t *testing.T) {
		a.svc.Connected(bobCtx, bob)
		frame := annB.MustRecv(t)
		wantType(t, frame, app.EventPresenceChange)
		if !strings.Contains(string(frame), `"presence":"online"`) {
			t.Fatalf("frame=%s, want bob online", frame)
		}
		// Presence messages and events travel apart: b may hear of the
		// announcement before it hears of the connection.
		waitFor(t, "b says bob is online", func() bool { return b.svc.Online(bob.ID) })
	})
}

// appNode is a node of a cluster with a real service.
type appNode struct {
	hub *realtime.Hub
	bus *natsbus.Bus
	svc *app.Service
}

// mustOpenAppNode opens a node of c with a service on store.
func mustOpenAppNode(tb testing.TB, c *cluster, store parley.Store) *appNode {
	tb.Helper()
	n := &appNode{hub: realtime.NewHub(0)}
	n.bus = &natsbus.Bus{
		URL: c.url, Subject: c.subject, Hub: n.hub,
		Logger:    slog.New(slog.NewTextHandler(tb.Output(), nil)),
		Heartbeat: testHeartbeat, Grace: 300 * time.Millisecond,
	}
	c.configure(n.bus)
	n.svc = &app.Service{Store: store, Events: n.bus, Roster: n.bus, PasswordCost: 4}
	n.bus.Service = n.svc
	if err := n.svc.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	if err := n.bus.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		n.bus.Close()
		n.hub.Close()
	})
	return n
}

// wantType fails unless frame is of event type typ.
func wantType(tb testing.TB, frame []byte, typ string) {
	tb.Helper()
	if !strings.HasPrefix(string(frame), `{"type":"`+typ+`"`) {
		tb.Fatalf("frame=%.120s, want a %s", frame, typ)
	}
}

func TestReconnect(t *testing.T) {
	// The shared server cannot be restarted: this test runs one of its own.
	MustNATS(t)
	srv := mustStartNATS(t)
	c := newCluster(srv.url)
	a, b := c.MustOpenNode(t), c.MustOpenNode(t)
	aliceA, aliceB := subscribe(a.hub, "alice"), subscribe(b.hub, "alice")

	srv.restart(t)

	// Both nodes missed what the other published meanwhile: every
	// connection ends as slow, and what was kept is dropped.
	for name, conn := range map[string]*conn{"a": aliceA, "b": aliceB} {
		if !conn.MustEnd(t) {
			t.Fatalf("%s: subscription ended, but not as slow", name)
		}
	}
	for name, n := range map[string]*node{"a": a, "b": b} {
		if _, forgets := n.svc.counts(); forgets != 1 {
			t.Fatalf("%s forgot %d times, want 1", name, forgets)
		} else if !n.bus.Connected() {
			t.Fatalf("%s not connected after its subscriptions ended", name)
		}
	}

	// And the bus works as before.
	aliceA, aliceB = subscribe(a.hub, "alice"), subscribe(b.hub, "alice")
	a.bus.Publish(context.Background(), MustEvent(t, 1, "alice"))
	wantEvent(t, aliceA.MustRecv(t), 1)
	wantEvent(t, aliceB.MustRecv(t), 1)
}

// natsServer is a nats-server process of a test's own.
type natsServer struct {
	bin, port, url string
	cmd            *exec.Cmd
}

// mustStartNATS starts a NATS server on a free port of the loopback, which
// the test's cleanup stops. It skips the test if nats-server is missing.
// Start it before what connects to it, so that it stops after them.
func mustStartNATS(tb testing.TB) *natsServer {
	tb.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		tb.Skip("nats-server not installed: apt-get install -y nats-server")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()

	s := &natsServer{bin: bin, port: port, url: "nats://127.0.0.1:" + port}
	s.start(tb)
	tb.Cleanup(s.stop)
	return s
}

// start runs the server and waits until it listens.
func (s *natsServer) start(tb testing.TB) {
	tb.Helper()
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", s.port)
	if err := s.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	waitFor(tb, "nats-server listening on "+s.port, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+s.port)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// stop kills the server, as a crash would.
func (s *natsServer) stop() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// restart kills the server and starts it again on the same port.
func (s *natsServer) restart(tb testing.TB) {
	tb.Helper()
	s.stop()
	s.start(tb)
}

// mustOpenStore returns an in-memory store, closed when the test ends.
func mustOpenStore(tb testing.TB) parley.Store {
	tb.Helper()
	store, err := sqlite.Open(":memory:")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return store
}

// mustSignup creates a user and returns a context that acts as them.
func mustSignup(tb testing.TB, svc *app.Service, email string) (context.Context, *parley.User) {
	tb.Helper()
	sess, err := svc.Signup(context.Background(), email, "password123", "")
	if err != nil {
		tb.Fatal(err)
	}
	return parley.NewContextWithUser(context.Background(), sess.User), sess.User
}
