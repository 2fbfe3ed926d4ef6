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
	Positions map[string]int64  `json:"positions"`
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
	token = s.MustSyncPages(tb, as, token, limit, func(p *SyncPage) {
		for _, raw := range p.Changes {
			all = append(all, changeOf(raw))
		}
	})
	return all, token
}

// MustSyncPages follows GET /sync from token while it has more, passing
// each page to f, and returns the last token.
func (s *Server) MustSyncPages(tb testing.TB, as *Session, token string, limit int, f func(*SyncPage)) string {
	tb.Helper()
	for range 10_000 {
		p := s.MustSync(tb, as, token, limit)
		f(p)
		token = p.SyncToken
		if !p.HasMore {
			return token
		}
	}
	tb.Fatalf("GET /sync still has more after 10,000 pages")
	return ""
}

// Replica is what a client holds of its streams, kept by the rules the
// README gives clients: the changes it applied, in the order it applied
// them, and the position it stands at in each stream it reads.
type Replica struct {
	mu      sync.Mutex
	at      map[string]int64
	applied []Change
	// Repeats counts changes dropped as seen already; Gaps, pushed changes
	// that came past the next position or in a stream the replica did not
	// know, for which the client syncs.
	Repeats, Gaps int
}

// NewReplica returns a replica that reads no stream yet.
func NewReplica() *Replica {
	return &Replica{at: map[string]int64{}}
}

// ApplySynced applies a page of GET /sync: every change past the position
// of its stream, which must come next, and then the page's positions. It
// returns an error if the page skipped a position.
func (r *Replica) ApplySynced(p *SyncPage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, raw := range p.Changes {
		c := changeOf(raw)
		at, known := r.at[c.Stream]
		if c.Pos <= at {
			r.Repeats++
			continue
		} else if known && c.Pos != at+1 {
			return fmt.Errorf("GET /sync skipped in %s from %d to %d", c.Stream, at, c.Pos)
		}
		r.at[c.Stream] = c.Pos
		r.applied = append(r.applied, c)
	}
	for stream := range r.at {
		if _, ok := p.Positions[stream]; !ok {
			delete(r.at, stream) // no longer read
		}
	}
	for stream, pos := range p.Positions {
		r.at[stream] = max(r.at[stream], pos)
	}
	return nil
}

// ApplyPushed applies a pushed change if it is the next of its stream, and
// reports whether the client must sync: the change skipped ahead, or came
// in a stream the client does not know yet.
func (r *Replica) ApplyPushed(c Change) (mustSync bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, known := r.at[c.Stream]
	switch {
	case !known || c.Pos > at+1:
		r.Gaps++
		return true
	case c.Pos <= at:
		r.Repeats++
		return false
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
