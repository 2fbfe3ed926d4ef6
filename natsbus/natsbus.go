// Package natsbus carries events and presence between the nodes of a Parley
// cluster over NATS (core NATS: no JetStream, nothing stored).
//
// # Events
//
// [Bus.Publish] hands an event to this node's hub at once, so that local
// order and latency are what they are on a single node, and publishes it on
// the subject "parley.events" (the prefix is Bus.Subject). Every node
// subscribes to it and hands the events of the others to its hub through
// [Service.Remote], which first drops what the node keeps in memory that
// the event's change may have made stale, and afterwards lets a push of
// this node that waits for the event's position in its stream go on. The
// connection is made with no-echo, so the server does not send a node its
// own events back; each message also names its sender, and a node drops its
// own should a server echo them anyway. Core NATS delivers a message at
// most once, so each event reaches each connection in the cluster at most
// once, and exactly once unless a connection to NATS is lost or falls
// behind, when clients catch up instead (see below).
//
// A message is binary: a version byte, a kind byte, the sender's 8-byte
// node ID, then for an event its type, its user IDs (each with its length
// before it, as uvarints) and its frame, unchanged, to the end. An event
// for more users than the server's max_payload holds goes out as several
// messages, each with some of the users and the whole frame.
//
// Every ForgetEvery (a minute), the Service drops everything it keeps, which
// bounds how long a change whose event never came (its node died between
// its write and its push, say) leaves this node with a stale member list.
//
// # Presence
//
// On "parley.presence", each node publishes its users' arrivals (first
// connection on the node) and leaves (last one closed), and every Heartbeat
// a heartbeat: its start time, how soon it may lead, and the users
// connected to it (in several messages if they are many). Every node keeps,
// for each user, the nodes they are on, each entry lasting three
// heartbeats unless heard again. A node that dies without a word is thus
// dropped, with its users, three heartbeats after it was last heard; one
// that closes says goodbye and is dropped at once.
//
// One node decides: the leader, the oldest node that has been connected to
// NATS for a heartbeat (so that it has heard everyone), chosen by every
// node from the heartbeats alone. A user who arrives anywhere while offline
// is announced online; a user connected nowhere is announced offline once
// Grace has passed, unless they came back meanwhile. The leader publishes
// each decision on the presence subject, so that every node knows what was
// announced and can take over with the same view, and has its Service push
// presence_change. A node that takes over settles every user it knows:
// whoever is connected and not announced online is, and whoever is
// announced and gone gets a grace period. A node that joins later never
// takes over from an older one.
//
// The guarantee: while the leader stays and NATS delivers, there is exactly
// one announcement per transition, and a reconnect to any node within the
// grace period announces nothing. Whatever happens, the last announcement
// agrees with where the user is, once the nodes have heard each other: a
// leader that hears an announcement contrary to its view (from a node that
// briefly led too) corrects it. Between leaders, for up to three
// heartbeats after a leader dies, nobody announces; the new leader then
// catches up. When two nodes briefly both lead (one that was cut off comes
// back), a change may be announced twice, the same way. A node cut off from
// NATS is seen by the others as gone, so its users are announced offline
// after three heartbeats and the grace period, and online again when it is
// back.
//
// # Losing NATS
//
// nats.go reconnects by itself, forever, every ReconnectWait. While the
// connection is down, what this node publishes waits in nats.go's buffer
// (8 MiB) and goes out when it is back; what the other nodes publish never
// reaches this node. So when the connection is back, the node drops what it
// keeps in memory ([Service.Forget]) and ends every subscription on its hub
// as slow: each WebSocket closes with code 1013, and its client reconnects
// and catches up with GET /sync. If events did not fit in the buffer, or
// one could not be sent at all (a frame larger than max_payload), the node
// tells the others to do the same. A node that falls behind the events it
// receives, so that nats.go drops some, does the same. The disconnection
// and the reconnection are each logged on one line.
//
// The subscriptions are not ended when the connection goes, only when it
// is back: a client that reconnected at once would most likely reach this
// node again and learn nothing more, and it would have to catch up twice.
// [Bus.Connected] tells a load balancer's readiness check that the node is
// cut off, for a deployment that would rather send clients elsewhere.
//
// # Limits
//
// Every node receives every event, whoever it is for: the cluster carries
// nodes × events messages. A subject per user or per workspace would lift
// that, at the cost of a subscription per connected user.
//
// An event acknowledged to its sender has been handed to nats.go, not to the
// server: a node killed in the next few microseconds loses it for the other
// nodes, whose clients see the gap at the stream's next change, and mend it
// with GET /sync, as they do for any gap.
//
// Changes stored on two nodes at the same moment may reach the connections
// of a third in either order; the positions of the change streams tell the
// client, which mends the gap with GET /sync.
package natsbus

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parleychat/parley"
)

// Defaults of the Bus's settings.
const (
	DefaultSubject       = "parley"
	DefaultHeartbeat     = 2 * time.Second
	DefaultGrace         = 5 * time.Second // app.DefaultPresenceGrace
	DefaultForgetEvery   = time.Minute
	DefaultReconnectWait = time.Second
)

// silentBeats is how many heartbeats a node may miss before the others drop
// it: one lost or late heartbeat is not a death.
const silentBeats = 3

var _ parley.Publisher = (*Bus)(nil)

// Hub is the local end of delivery: the subscriptions of the connections
// open on this node. *realtime.Hub is one.
type Hub interface {
	parley.Publisher
	// EndAll ends every subscription open now, as slow if slow is true, so
	// that the connections close with code 1013 and their clients catch up
	// with GET /sync. The hub stays open.
	EndAll(slow bool)
}

// Service is what the Bus needs from the rules of this node. *app.Service
// is one. Each method must be safe for concurrent use.
type Service interface {
	// Remote handles an event from another node: it must call deliver,
	// which hands the event to the Hub, exactly once.
	Remote(e *parley.Event, deliver func())
	// Forget, called with no ID, drops everything the service keeps in
	// memory about what other nodes may change.
	Forget(ids ...string)
	// CutOff tells the service whether this node is cut off from the
	// others, so that it waits for none of their events meanwhile.
	CutOff(cut bool)
	// Announce pushes a user's presence, decided by the Bus, to those who
	// may see it.
	Announce(ctx context.Context, userID string, online bool)
}

// Bus carries events and presence between the nodes of a cluster over NATS.
// It is this node's [parley.Publisher] and the app's Roster. Set the
// exported fields, then call Open; call Close at shutdown. Its methods are
// safe for concurrent use. See the package documentation for the design.
type Bus struct {
	// URL is the NATS server's, such as nats://127.0.0.1:4222, or several
	// separated by commas for a NATS cluster.
	URL string
	// Subject is the prefix of the two subjects the nodes share,
	// Subject+".events" and Subject+".presence". Empty means
	// DefaultSubject. Two clusters on one NATS need different prefixes.
	Subject string
	// Hub receives the events published here and those of other nodes.
	// It is required.
	Hub Hub
	// Service, if set, is told of other nodes' events and of lost ones,
	// and announces the presence changes the Bus decides.
	Service Service
	// Logger receives one line per connection lost or restored, node
	// joined or gone, and change of presence leader. Nil discards.
	Logger *slog.Logger

	// Heartbeat is how often the node tells the others it is alive and who
	// is connected to it. A node silent for three heartbeats is dropped,
	// and its users with it. Zero means DefaultHeartbeat.
	Heartbeat time.Duration
	// Grace is how long a user who closed their last connection in the
	// cluster still counts as online. Zero means DefaultGrace; set it to
	// the Service's PresenceGrace, which a Service with a Roster does not
	// use itself.
	Grace time.Duration
	// ForgetEvery is how often the Service is told to Forget everything,
	// which bounds how long the loss of an event can leave something it
	// kept stale. Zero means DefaultForgetEvery; negative, never.
	ForgetEvery time.Duration
	// ReconnectWait is the pause between two attempts to reach NATS. Zero
	// means DefaultReconnectWait.
	ReconnectWait time.Duration

	id       nodeID
	started  int64 // when Open ran, in Unix nanoseconds: the older node leads
	nc       *nats.Conn
	events   string // the subjects
	presence string
	roster   roster

	closed    atomic.Bool
	lost      atomic.Int64 // events not sent since the connection went
	otherKind atomic.Bool  // a message of another version was logged
	done      chan struct{}
	wg        sync.WaitGroup
}

// Open connects to NATS, subscribes to the subjects the nodes share, and
// starts the heartbeat. It fails if NATS cannot be reached now; once open,
// the Bus reconnects by itself for as long as it takes.
func (b *Bus) Open() error {
	if b.Hub == nil {
		return errors.New("natsbus: Hub is required")
	}
	if b.Logger == nil {
		b.Logger = slog.New(slog.DiscardHandler)
	}
	b.Subject = cmp.Or(b.Subject, DefaultSubject)
	b.Heartbeat = cmp.Or(b.Heartbeat, DefaultHeartbeat)
	b.Grace = cmp.Or(b.Grace, DefaultGrace)
	b.ForgetEvery = cmp.Or(b.ForgetEvery, DefaultForgetEvery)
	b.ReconnectWait = cmp.Or(b.ReconnectWait, DefaultReconnectWait)

	rand.Read(b.id[:])
	b.started = time.Now().UnixNano()
	b.Logger = b.Logger.With("component", "natsbus", "node_id", b.id.String())
	b.events, b.presence = b.Subject+".events", b.Subject+".presence"
	b.done = make(chan struct{})
	b.roster.init(b)

	nc, err := nats.Connect(b.URL,
		nats.Name("parley "+b.id.String()),
		// This node delivers its own events to its hub itself.
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(b.ReconnectWait),
		nats.DisconnectErrHandler(b.disconnected),
		nats.ReconnectHandler(b.reconnected),
		nats.ErrorHandler(b.asyncError),
	)
	if err != nil {
		return fmt.Errorf("natsbus: connect: %w", err)
	}
	b.nc = nc
	fail := func(err error) error {
		b.closed.Store(true)
		nc.Close()
		return fmt.Errorf("natsbus: subscribe: %w", err)
	}
	if _, err := nc.Subscribe(b.events, b.receiveEvent); err != nil {
		return fail(err)
	}
	if _, err := nc.Subscribe(b.presence, b.receivePresence); err != nil {
		return fail(err)
	}
	// The server must know of the subscriptions before the others are
	// asked to say who they are.
	if err := nc.Flush(); err != nil {
		return fail(err)
	}

	b.roster.onConnect()
	b.wg.Go(b.roster.beat)
	b.wg.Go(b.roster.announce)
	b.Logger.Info("NATS connected", "url", nc.ConnectedUrlRedacted(), "subject", b.Subject)
	return nil
}

// Close tells the other nodes that this one leaves, so that they drop its
// users at once rather than after three heartbeats, and closes the
// connection. Presence changes decided but not yet announced are dropped;
// the node that leads presence next decides them again. Close may be called
// more than once.
func (b *Bus) Close() error {
	return b.shutdown(true)
}

// shutdown closes the Bus, saying goodbye first if asked.
func (b *Bus) shutdown(goodbye bool) error {
	if b.nc == nil || b.closed.Swap(true) {
		return nil
	}
	close(b.done)
	b.wg.Wait()
	b.roster.stop()

	var err error
	if goodbye {
		b.roster.publish(kindGoodbye, nil)
		err = b.nc.FlushTimeout(time.Second)
	}
	b.nc.Close()
	if err != nil && !errors.Is(err, nats.ErrConnectionReconnecting) {
		return fmt.Errorf("natsbus: say goodbye: %w", err)
	}
	return nil
}

// ID returns this node's ID, as the Bus's log lines show it. It is random,
// and new at every Open.
func (b *Bus) ID() string {
	return b.id.String()
}

// Connected reports whether the Bus is connected to NATS now. While it is
// not, the events of other nodes do not reach this one, which a load
// balancer's readiness check may want to know.
func (b *Bus) Connected() bool {
	return b.nc != nil && b.nc.IsConnected()
}

// disconnected is called by nats.go when the connection is lost.
func (b *Bus) disconnected(_ *nats.Conn, err error) {
	if b.closed.Load() {
		return
	}
	b.Logger.Error("NATS connection lost; other nodes' events are missed until it is back",
		"err", err)
	if b.Service != nil {
		b.Service.CutOff(true)
	}
	b.roster.onDisconnect()
}

// reconnected is called by nats.go when the connection is back. Whatever
// other nodes published meanwhile never reached this node: its clients
// catch up. Whatever this node could not send, the others' clients do.
func (b *Bus) reconnected(nc *nats.Conn) {
	if b.closed.Load() {
		return
	}
	// nats.go has sent the subscriptions again, but the server may not
	// have read them yet. A round trip makes sure it has, so that a client
	// that reconnects and catches up now misses nothing published after.
	args := []any{"url", nc.ConnectedUrlRedacted()}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		args = append(args, "flush_err", err)
	}
	unsent := b.lost.Swap(0)
	b.Logger.Info("NATS connection back; connections here end to catch up",
		append(args, "unsent_events", unsent)...)
	if unsent > 0 {
		b.roster.publish(kindReset, nil)
	}
	if b.Service != nil {
		b.Service.CutOff(false)
	}
	b.catchUp()
	b.roster.onConnect()
}

// asyncError is called by nats.go with the errors that no call returned.
func (b *Bus) asyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	if b.closed.Load() {
		return
	}
	switch {
	case errors.Is(err, nats.ErrSlowConsumer) && sub != nil && sub.Subject == b.events:
		dropped, _ := sub.Dropped()
		b.Logger.Error("fell behind other nodes' events; connections here end to catch up",
			"dropped", dropped)
		b.catchUp()
	case errors.Is(err, nats.ErrSlowConsumer):
		b.Logger.Error("fell behind presence messages; heartbeats will mend presence", "err", err)
	default:
		b.Logger.Error("NATS error", "err", err)
	}
}

// catchUp makes everything on this node that may have missed events from
// other nodes start afresh: what the Service keeps, then every connection,
// whose clients reconnect and catch up with GET /sync.
func (b *Bus) catchUp() {
	if b.Service != nil {
		b.Service.Forget()
	}
	b.Hub.EndAll(true)
}
