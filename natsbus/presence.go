package natsbus

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Arrive records that the user opened their first connection on this node,
// and tells the other nodes. It does not wait for them.
func (b *Bus) Arrive(userID string) {
	b.roster.here(userID, true)
}

// Leave records that the user closed their last connection on this node,
// and tells the other nodes. It does not wait for them.
func (b *Bus) Leave(userID string) {
	b.roster.here(userID, false)
}

// Online reports whether the user counts as online in the cluster, as far
// as this node knows: connected to some node, or announced online and not
// yet announced offline, which includes the grace period after their last
// connection closed.
func (b *Bus) Online(userID string) bool {
	return b.roster.online(userID)
}

// roster is one node's view of who is connected where, and, on the node
// that leads, the decisions of who comes online and goes offline.
//
// Every node hears every node's arrivals, leaves and heartbeats, and the
// leader's announcements, so that any of them can take over as leader with
// the same view. The leader is the oldest node that is ready: connected to
// NATS for a heartbeat at least, so that it has heard everyone. A node that
// joins later never takes over from it.
type roster struct {
	b *Bus

	mu        sync.Mutex
	users     map[string]*whereabouts
	peers     map[nodeID]*peer
	connected bool      // to NATS
	readyAt   time.Time // when this node may lead, once connected
	leading   bool
	queue     []announcement // decided, to be announced in order
	wake      chan struct{}  // holds a value when queue may have grown
}

// whereabouts is what a node knows of one user.
type whereabouts struct {
	here   bool                 // connected to this node
	nodes  map[nodeID]time.Time // other nodes they are connected to, until when, unless heard again
	online bool                 // as last announced, by any node
	leave  *time.Timer          // on the leader: the pending offline announcement
}

// present reports whether the user is connected anywhere.
func (w *whereabouts) present() bool {
	return w.here || len(w.nodes) > 0
}

// peer is another node, as its heartbeats describe it.
type peer struct {
	started int64
	readyAt time.Time // when it may lead, by this node's clock
	seen    time.Time
}

// announcement is a presence change the leader decided.
type announcement struct {
	userID string
	online bool
}

// init prepares the roster of b.
func (r *roster) init(b *Bus) {
	r.b = b
	r.users = map[string]*whereabouts{}
	r.peers = map[nodeID]*peer{}
	r.wake = make(chan struct{}, 1)
}

// timeout is how long a node, or a user on it, counts without being heard.
func (r *roster) timeout() time.Duration {
	return silentBeats * r.b.Heartbeat
}

// user returns what is known of the user, making an entry if there is
// none. r.mu must be held.
func (r *roster) user(id string) *whereabouts {
	w := r.users[id]
	if w == nil {
		w = &whereabouts{}
		r.users[id] = w
	}
	return w
}

// here records whether the user is connected to this node, and tells the
// others. The message goes out under the lock, so that it and the
// heartbeats reach them in the order the changes were made: a heartbeat
// that listed the user must not arrive after the leave that ends them.
func (r *roster) here(userID string, here bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == nil {
		return // not open
	}
	w := r.user(userID)
	w.here = here
	r.changed(userID, w)
	kind := byte(kindLeave)
	if here {
		kind = kindArrive
	}
	r.publish(kind, []string{userID})
}

// online reports whether the user counts as online.
func (r *roster) online(userID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.users[userID]
	return w != nil && (w.present() || w.online)
}

// changed is called, with r.mu held, when anything about the user may have
// changed: the leader decides, the others forget users gone and offline.
func (r *roster) changed(userID string, w *whereabouts) {
	if r.leading {
		r.settle(userID, w)
	} else if !w.present() && !w.online && w.leave == nil {
		delete(r.users, userID)
	}
}

// settle makes the leader's announcements agree with where the user is: a
// user connected somewhere is announced online, at once if they were not;
// a user connected nowhere is announced offline after the grace period,
// unless they come back before it ends. r.mu must be held.
func (r *roster) settle(userID string, w *whereabouts) {
	switch {
	case w.present():
		if w.leave != nil {
			w.leave.Stop()
			w.leave = nil
		}
		if !w.online {
			r.decide(userID, w, true)
		}
	case w.online:
		if w.leave == nil {
			var t *time.Timer
			t = time.AfterFunc(r.b.Grace, func() {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.graceOver(userID, t)
			})
			w.leave = t
		}
	case w.leave == nil:
		delete(r.users, userID)
	}
}

// graceOver announces the user offline when the grace period that timer t
// measured ends, if t is still the user's pending departure and this node
// still leads. r.mu must be held.
func (r *roster) graceOver(userID string, t *time.Timer) {
	w := r.users[userID]
	if w == nil || w.leave != t {
		return // they came back, or leadership moved, since
	}
	w.leave = nil
	if r.leading && !w.present() && w.online {
		r.decide(userID, w, false)
	}
	r.changed(userID, w)
}

// decide records the leader's decision and queues its announcement.
// r.mu must be held.
func (r *roster) decide(userID string, w *whereabouts, online bool) {
	w.online = online
	r.queue = append(r.queue, announcement{userID, online})
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// announce makes the announcements the leader decides, one at a time and
// in the order decided, until the Bus closes: it tells the other nodes,
// then has the Service push the change to the users who may see it.
func (r *roster) announce() {
	for {
		select {
		case <-r.b.done:
			return
		case <-r.wake:
		}
		r.mu.Lock()
		queue := r.queue
		r.queue = nil
		r.mu.Unlock()

		for _, a := range queue {
			kind := byte(kindOffline)
			if a.online {
				kind = kindOnline
			}
			r.publish(kind, []string{a.userID})
			if r.b.Service != nil {
				r.b.Service.Announce(context.Background(), a.userID, a.online)
			}
		}
	}
}

// beat sends a heartbeat and drops nodes and users not heard of for too
// long, every Heartbeat, and has the Service forget every ForgetEvery, until
// the Bus closes.
func (r *roster) beat() {
	heartbeat := time.NewTicker(r.b.Heartbeat)
	defer heartbeat.Stop()
	var forget <-chan time.Time
	if r.b.ForgetEvery > 0 && r.b.Service != nil {
		t := time.NewTicker(r.b.ForgetEvery)
		defer t.Stop()
		forget = t.C
	}
	for {
		select {
		case <-r.b.done:
			return
		case <-forget:
			r.b.Service.Forget()
		case <-heartbeat.C:
			r.mu.Lock()
			r.expire(time.Now())
			r.heartbeat(false)
			r.mu.Unlock()
		}
	}
}

// expire drops the nodes and the users on them not heard of within the
// timeout, and elects. While this node is cut off from NATS it hears
// nobody, and keeps its view as it was instead. r.mu must be held.
func (r *roster) expire(now time.Time) {
	if !r.connected {
		return
	}
	for id, p := range r.peers {
		if now.Sub(p.seen) > r.timeout() {
			delete(r.peers, id)
			r.b.Logger.Error("node silent, dropped with its users", "peer_id", id.String(),
				"silent_for", now.Sub(p.seen).Round(time.Millisecond).String())
		}
	}
	for userID, w := range r.users {
		n := len(w.nodes)
		for node, until := range w.nodes {
			if now.After(until) {
				delete(w.nodes, node)
			}
		}
		if len(w.nodes) != n {
			r.changed(userID, w)
		}
	}
	r.elect(now)
}

// heartbeat tells the other nodes that this one is alive, when it may
// lead, and who is connected to it, in as many messages as that takes.
// With hello, it asks them to answer with theirs at once. r.mu must be
// held (see here).
//
// While the connection is down nothing is sent: nats.go would keep it to
// send when the connection is back, in the buffer that this node's events
// need then, and a heartbeat that old says nothing.
func (r *roster) heartbeat(hello bool) {
	if r.b.nc == nil || !r.connected {
		return
	}
	var ids []string
	for id, w := range r.users {
		if w.here {
			ids = append(ids, id)
		}
	}
	var flags byte
	if hello {
		flags |= flagHello
	}
	// When this node may lead goes as a wait, not a time, so that the
	// others need not share its clock.
	readyIn := uint64(max(0, time.Until(r.readyAt).Milliseconds()))

	head := 8 + 1 + uvarintLen(int(readyIn))
	budget := int(r.b.nc.MaxPayload()) - headerLen - head
	parts, _ := split(ids, budget) // IDs are short: they always fit
	for _, part := range parts {
		p := newMessage(kindHeartbeat, r.b.id, head+idsLen(part))
		*p = binary.BigEndian.AppendUint64(*p, uint64(r.b.started))
		*p = append(*p, flags)
		*p = binary.AppendUvarint(*p, readyIn)
		*p = appendIDs(*p, part)
		r.b.nc.Publish(r.b.presence, *p) // a heartbeat lost is made up by the next
		putMessage(p)
	}
}

// publish sends a presence message of the given kind about the users, or a
// reset on the events subject. A message that cannot go out is not retried:
// heartbeats make up for arrivals and leaves, and the leader's view for its
// announcements.
func (r *roster) publish(kind byte, ids []string) {
	// After Close, only the goodbye goes out: a leave of a connection
	// closing late would only be noise, and an arrival would come back
	// to life a node the others have dropped.
	if r.b.nc == nil || r.b.closed.Load() && kind != kindGoodbye {
		return
	}
	subject := r.b.presence
	if kind == kindReset {
		subject = r.b.events
	}
	p := newMessage(kind, r.b.id, idsLen(ids))
	if ids != nil {
		*p = appendIDs(*p, ids)
	}
	r.b.nc.Publish(subject, *p)
	putMessage(p)
}

// electAt elects again at t, when a node becomes ready to lead, so that
// every node sees it ready at nearly the same moment rather than at its
// next heartbeat: two nodes then lead at once for no longer than a message
// takes between them.
func (r *roster) electAt(t time.Time) {
	time.AfterFunc(time.Until(t), func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.elect(time.Now())
	})
}

// ready reports whether this node may lead now. r.mu must be held.
func (r *roster) ready(now time.Time) bool {
	return r.connected && !now.Before(r.readyAt)
}

// elect makes this node lead if it is the oldest node ready to, and stop
// if it is not. A new leader settles every user it knows of: it announces
// those connected whom nobody announced, and starts the grace period of
// those announced and gone. r.mu must be held.
func (r *roster) elect(now time.Time) {
	lead := r.ready(now)
	for id, p := range r.peers {
		if !lead {
			break
		}
		older := p.started < r.b.started ||
			p.started == r.b.started && bytes.Compare(id[:], r.b.id[:]) < 0
		if older && !now.Before(p.readyAt) && now.Sub(p.seen) <= r.timeout() {
			lead = false
		}
	}
	if lead == r.leading {
		return
	}

	r.leading = lead
	if lead {
		r.b.Logger.Info("leading presence", "peers", len(r.peers))
		for id, w := range r.users {
			r.settle(id, w)
		}
		return
	}
	r.b.Logger.Info("no longer leading presence")
	for id, w := range r.users {
		if w.leave != nil {
			w.leave.Stop()
			w.leave = nil
		}
		r.changed(id, w)
	}
}

// onConnect records that the connection to NATS is up, at Open or after a
// loss. The node may lead only a heartbeat later, once the others have
// answered its hello and its view is whole again. The users it knew on
// other nodes count until they had time to be heard again.
func (r *roster) onConnect() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	r.connected = true
	r.readyAt = now.Add(r.b.Heartbeat)
	r.electAt(r.readyAt)
	until := now.Add(r.timeout())
	for _, p := range r.peers {
		p.seen = now
	}
	for _, w := range r.users {
		for node := range w.nodes {
			w.nodes[node] = until
		}
	}
	r.elect(now)
	r.heartbeat(true)
}

// onDisconnect records that the connection to NATS is lost: the node stops
// leading, since it hears nobody, and another takes over if it stays lost.
func (r *roster) onDisconnect() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected = false
	r.elect(time.Now())
}

// stop stops the pending offline announcements, at Close.
func (r *roster) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected, r.leading = false, false
	for _, w := range r.users {
		if w.leave != nil {
			w.leave.Stop()
			w.leave = nil
		}
	}
}

// receivePresence handles a message of the presence subject.
func (b *Bus) receivePresence(msg *nats.Msg) {
	m, ok := b.read(msg)
	if !ok {
		return
	}
	r := &b.roster
	var started int64
	var flags byte
	var readyIn time.Duration
	if m.kind == kindHeartbeat {
		if head := m.body.bytes(9); head != nil {
			started, flags = int64(binary.BigEndian.Uint64(head)), head[8]
		}
		readyIn = time.Duration(min(m.body.uvarint(), 1<<32)) * time.Millisecond
	}
	var ids []string
	if m.kind != kindGoodbye {
		ids = m.body.ids()
	}
	if m.body.err != nil {
		b.Logger.Error("drop a malformed presence message", "peer_id", m.from.String(),
			"err", m.body.err)
		return
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	switch m.kind {
	case kindHeartbeat:
		r.heard(m.from, started, now.Add(readyIn), ids, now)
		if flags&flagHello != 0 {
			r.heartbeat(false)
		}
	case kindArrive, kindLeave, kindOnline, kindOffline:
		if p := r.peers[m.from]; p != nil {
			p.seen = now
		}
		for _, id := range ids {
			w := r.user(id)
			switch m.kind {
			case kindArrive:
				r.on(w, m.from, now)
			case kindLeave:
				delete(w.nodes, m.from)
			case kindOnline:
				w.online = true
			case kindOffline:
				w.online = false
			}
			r.changed(id, w)
		}
	case kindGoodbye:
		r.gone(m.from, now)
	}
}

// heard records a heartbeat of another node, which may lead from readyAt.
// r.mu must be held.
func (r *roster) heard(from nodeID, started int64, readyAt time.Time, ids []string, now time.Time) {
	p := r.peers[from]
	if p == nil {
		p = &peer{}
		r.peers[from] = p
		r.b.Logger.Info("node joined", "peer_id", from.String())
	}
	if readyAt.After(now) && !readyAt.Equal(p.readyAt) {
		r.electAt(readyAt)
	}
	p.started, p.readyAt, p.seen = started, readyAt, now
	for _, id := range ids {
		w := r.user(id)
		if _, known := w.nodes[from]; !known {
			r.on(w, from, now)
			r.changed(id, w)
			continue
		}
		r.on(w, from, now)
	}
	r.elect(now)
}

// on records that the user is connected to the node, as of now.
func (r *roster) on(w *whereabouts, node nodeID, now time.Time) {
	if w.nodes == nil {
		w.nodes = map[nodeID]time.Time{}
	}
	w.nodes[node] = now.Add(r.timeout())
}

// gone drops a node that said goodbye, with its users. r.mu must be held.
func (r *roster) gone(node nodeID, now time.Time) {
	delete(r.peers, node)
	r.b.Logger.Info("node left", "peer_id", node.String())
	for id, w := range r.users {
		if _, ok := w.nodes[node]; ok {
			delete(w.nodes, node)
			r.changed(id, w)
		}
	}
	r.elect(now)
}
