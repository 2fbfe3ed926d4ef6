package app

import (
	"context"
	"sync"
	"time"

	"github.com/parleychat/parley"
)

// Presence events and states.
const (
	EventPresenceChange = "presence_change"
	EventTyping         = "typing"

	PresenceOnline  = "online"
	PresenceOffline = "offline"
)

// DefaultPresenceGrace is how long a user who closed their last connection
// still counts as online, so that a reconnect (a page reload, a network
// hiccup) does not announce them offline and online again.
const DefaultPresenceGrace = 5 * time.Second

// PresenceEvent is the payload of presence_change.
type PresenceEvent struct {
	User     string `json:"user"`
	UserID   string `json:"user_id"`
	Presence string `json:"presence"`
}

// presence counts each user's open connections on this node. Alone, a node
// decides itself: a user is online from their first connection until
// DefaultPresenceGrace after their last one closed.
//
// In a cluster, a Service with a Roster counts connections all the same,
// but only tells the Roster when a user's first connection here opens and
// their last one closes; the Roster learns the same from the other nodes,
// applies the grace period across all of them, and calls Announce with its
// decisions. The leaves map and its timers are then unused.
type presence struct {
	mu     sync.Mutex
	conns  map[string]int
	leaves map[string]*time.Timer // pending offline announcements
}

// Connected records a new connection of u, and announces u online to those
// who share a workspace with them if it is their first. With a Roster, it
// tells the Roster of the first instead, which decides.
func (s *Service) Connected(ctx context.Context, u *parley.User) {
	if s.Roster != nil {
		s.presence.count(u.ID, 1, s.Roster)
		return
	}

	// The decision and its announcement go together, so that an offline
	// decided just before a reconnect cannot be announced after it.
	defer s.lock("presence:" + u.ID)()
	p := &s.presence
	p.mu.Lock()
	if p.conns == nil {
		p.conns, p.leaves = map[string]int{}, map[string]*time.Timer{}
	}
	p.conns[u.ID]++
	first := p.conns[u.ID] == 1
	if t, leaving := p.leaves[u.ID]; leaving {
		t.Stop()
		delete(p.leaves, u.ID)
		first = false // never announced offline, so nothing to undo
	}
	p.mu.Unlock()

	if first {
		s.announce(ctx, u, PresenceOnline)
	}
}

// Disconnected records that a connection of u closed. When it was the last
// one, u is announced offline after the grace period, unless they came back.
// With a Roster, it tells the Roster of the last one instead.
func (s *Service) Disconnected(u *parley.User) {
	if s.Roster != nil {
		s.presence.count(u.ID, -1, s.Roster)
		return
	}

	p := &s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[u.ID]--; p.conns[u.ID] > 0 {
		return
	}
	delete(p.conns, u.ID)

	grace := s.PresenceGrace
	if grace == 0 {
		grace = DefaultPresenceGrace
	}
	var leave *time.Timer
	leave = time.AfterFunc(grace, func() {
		defer s.lock("presence:" + u.ID)()
		p.mu.Lock()
		// Only the latest departure may announce: this timer may have
		// fired just as the user came back and left again.
		current := p.leaves[u.ID] == leave
		if current {
			delete(p.leaves, u.ID)
		}
		p.mu.Unlock()
		if current {
			s.announce(context.Background(), u, PresenceOffline)
		}
	})
	p.leaves[u.ID] = leave
}

// count adds delta to the connections of the user on this node, and tells
// r when the first one opened or the last one closed. r is called under the
// lock, so that it hears of each user's arrivals and leaves in the order
// they happened.
func (p *presence) count(userID string, delta int, r Roster) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns, p.leaves = map[string]int{}, map[string]*time.Timer{}
	}
	before := p.conns[userID]
	after := before + delta
	if after > 0 {
		p.conns[userID] = after
	} else {
		delete(p.conns, userID)
	}
	switch {
	case before <= 0 && after > 0:
		r.Arrive(userID)
	case before > 0 && after <= 0:
		r.Leave(userID)
	}
}

// Online reports whether the user has a connection open on this node, or
// closed their last one less than the grace period ago; with a Roster,
// whether the Roster counts them online anywhere in the cluster.
func (s *Service) Online(userID string) bool {
	if s.Roster != nil {
		return s.Roster.Online(userID)
	}
	p := &s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	_, leaving := p.leaves[userID]
	return p.conns[userID] > 0 || leaving
}

// Announce pushes a user's presence, online or offline, to everyone who
// shares a workspace with them, the user's own connections included. A
// [Roster] calls it with its decisions; a Service with a Roster announces
// nothing of its own accord. It reads the user first, and logs and gives up
// if that fails. It is safe for concurrent use; calls made one after
// another are pushed in that order.
func (s *Service) Announce(ctx context.Context, userID string, online bool) {
	u, err := s.store.User(ctx, userID)
	if err != nil {
		s.Logger.ErrorContext(ctx, "read user for a presence change", "user_id", userID, "err", err)
		return
	}
	state := PresenceOffline
	if online {
		state = PresenceOnline
	}
	s.announce(ctx, u, state)
}

// announce pushes u's presence to everyone who shares a workspace with
// them, u's own other connections included.
func (s *Service) announce(ctx context.Context, u *parley.User, state string) {
	receivers, err := s.sharingWorkspace(ctx, u.ID)
	if err != nil {
		s.Logger.WarnContext(ctx, "list users for a presence change", "user_id", u.ID, "err", err)
		return
	}
	s.publish(ctx, EventPresenceChange, receivers, &PresenceEvent{User: u.Email, UserID: u.ID, Presence: state})
}

// sharingWorkspace returns the users who share at least one workspace with
// the user, the user included.
func (s *Service) sharingWorkspace(ctx context.Context, userID string) ([]string, error) {
	workspaces, err := s.store.WorkspacesOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	ids := []string{userID}
	for _, ws := range workspaces {
		members, err := s.store.WorkspaceMemberIDs(ctx, ws.ID)
		if err != nil {
			return nil, err
		}
		ids = append(ids, members...)
	}
	return compact(ids), nil
}
