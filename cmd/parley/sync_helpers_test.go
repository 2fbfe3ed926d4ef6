package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// SyncPage is an answer of GET /sync.
type SyncPage struct {
	Changes   []json.RawMessage `json:"changes"`
	SyncToken string            `json:"sync_token"`
	HasMore   bool              `json:"has_more"`
}

// Change is a change frame, pushed or synced, with the fields the sync
// tests compare.
type Change struct {
	Type      string `json:"type"`
	Stream    string `json:"stream"`
	Pos       int64  `json:"pos"`
	MessageID string `json:"message_id"`
	Seq       int64  `json:"seq"`
	Name      string `json:"name"`
	UserID    string `json:"user_id"`
	ChannelID string `json:"channel_id"`
	Deleted   bool   `json:"deleted"`
}

// key names what a change reports, whatever its stream and position: the
// message, or for other changes the channel, and who did what.
func (c Change) key() string {
	about := c.MessageID
	if about == "" {
		about = c.ChannelID
	}
	return fmt.Sprintf("%s %s %s %s", c.Type, about, c.Name, c.UserID)
}

// changeOf decodes a frame as a change; Pos is zero for frames that are
// not changes (hello, ack, typing, presence_change).
func changeOf(raw []byte) Change {
	var c Change
	json.Unmarshal(raw, &c)
	return c
}

// syncReq asks for the changes since token (none: a token for now).
func syncReq(as *Session, token string, limit int) Req {
	q := url.Values{}
	if token != "" {
		q.Set("since", token)
	}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	return Req{Method: "GET", Path: "/sync?" + q.Encode(), Token: as.AccessToken}
}

// MustSync returns one page of the changes since token.
func (s *Server) MustSync(tb testing.TB, as *Session, token string, limit int) *SyncPage {
	tb.Helper()
	var p SyncPage
	s.MustDo(tb, syncReq(as, token, limit), http.StatusOK, &p)
	return &p
}

// MustSyncAll follows GET /sync from token while it has more, and returns
// every change and the last token.
func (s *Server) MustSyncAll(tb testing.TB, as *Session, token string, limit int) ([]Change, string) {
	tb.Helper()
	var all []Change
	for range 10_000 {
		p := s.MustSync(tb, as, token, limit)
		for _, raw := range p.Changes {
			all = append(all, changeOf(raw))
		}
		token = p.SyncToken
		if !p.HasMore {
			return all, token
		}
	}
	tb.Fatalf("GET /sync still has more after 10,000 pages")
	return nil, ""
}

// Replica is what a client holds of its streams: the changes it applied,
// in the order it applied them, and the highest position of each stream.
// It applies a change only at the next position of its stream, as the API
// asks of clients: one at or below is a repeat, one past it means a change
// was missed, and the client syncs.
type Replica struct {
	mu      sync.Mutex
	at      map[string]int64
	applied []Change
	// Repeats counts changes dropped as seen already; Gaps, changes that
	// came past the next position, for which the client syncs.
	Repeats, Gaps int
}

// NewReplica returns a replica that starts each stream at the position
// given, and any other at zero.
func NewReplica(start map[string]int64) *Replica {
	r := &Replica{at: map[string]int64{}}
	for k, v := range start {
		r.at[k] = v
	}
	return r
}

// Apply applies c if it is the next change of its stream, and reports
// whether it had to be dropped because one before it is missing.
func (r *Replica) Apply(c Change) (gap bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch at := r.at[c.Stream]; {
	case c.Pos <= at:
		r.Repeats++
		return false
	case c.Pos > at+1 && at > 0:
		r.Gaps++
		return true
	}
	r.at[c.Stream] = c.Pos
	r.applied = append(r.applied, c)
	return false
}

// Applied returns the changes applied so far.
func (r *Replica) Applied() []Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Change(nil), r.applied...)
}
