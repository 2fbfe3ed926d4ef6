package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleychat/parley"
)

// SyncKeyName is the name under which the store keeps the key that signs
// sync tokens, shared by every node like the access-token key.
const SyncKeyName = "sync-token-key"

// Limits of GET /sync.
const (
	DefaultSyncLimit = 500
	MaxSyncLimit     = 1000
	// ChangeRetention is how long changes are kept. A client away longer
	// than this reloads its conversations from history.
	ChangeRetention = 30 * 24 * time.Hour
)

// SyncPage is an answer of GET /sync: changes in the order of their
// positions within each stream, and the token to ask from next time. While
// HasMore is set, the client asks again at once with the new token.
//
// Positions lists every stream the caller reads now, with the position the
// new token stands at in it: a client starts each stream there, so that the
// next pushed change of the stream is the next one it applies. A stream
// missing from it is one the caller no longer reads, whatever the changes
// of the answer, which come in no order across streams, seem to say.
type SyncPage struct {
	Changes   []json.RawMessage `json:"changes"`
	SyncToken string            `json:"sync_token"`
	HasMore   bool              `json:"has_more"`
	Positions map[string]int64  `json:"positions"`
}

// Sync answers every change since the token in every stream the caller
// reads, at most n of them (nil means DefaultSyncLimit), and a token
// for what follows. Without a token it answers a token for now and no
// changes. A token that is malformed, edited, another user's, or older than
// the changes kept is refused with EINVALID.
//
// A stream the caller reads that is not in the token is read from where the
// caller joined it; a stream in the token that the caller no longer reads
// is dropped, since the change that took them out was written to their own
// stream.
func (s *Service) Sync(ctx context.Context, since string, n *int64) (*SyncPage, error) {
	u, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	limit := DefaultSyncLimit
	if n != nil {
		if *n < 1 || *n > MaxSyncLimit {
			return nil, parley.Errorf(parley.EINVALID, "limit must be between 1 and %d", MaxSyncLimit)
		}
		limit = int(*n)
	}
	streams, err := s.store.Streams(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	// Pages of one token fill up in the same order each time.
	slices.SortFunc(streams, func(a, b parley.StreamPosition) int { return strings.Compare(a.Stream, b.Stream) })

	page := &SyncPage{Changes: []json.RawMessage{}, Positions: make(map[string]int64, len(streams))}
	if since == "" {
		for _, st := range streams {
			page.Positions[st.Stream] = st.Latest
		}
		page.SyncToken = s.syncToken(u.ID, streams, page.Positions)
		return page, nil
	}
	from, err := s.readSyncToken(u.ID, since)
	if err != nil {
		return nil, err
	}

	at := make(map[string]int64, len(streams))
	cache := newShown()
	for _, st := range streams {
		pos := max(from[st.Stream], st.Since)
		at[st.Stream] = pos
		if pos >= st.Latest {
			continue
		} else if len(page.Changes) == limit {
			page.HasMore = true
			continue
		}
		changes, err := s.store.Changes(ctx, st.Stream, pos, limit-len(page.Changes))
		if parley.ErrorCode(err) == parley.EINVALID {
			return nil, parley.Errorf(parley.EINVALID, "the token is older than the changes kept: reload from history")
		} else if err != nil {
			return nil, err
		}
		for _, c := range changes {
			payload, err := s.payload(ctx, c, nil, cache)
			if err != nil {
				// Not the client's fault, whatever the code says.
				return nil, fmt.Errorf("show change %s/%d: %v", c.Stream, c.Pos, err)
			}
			e, err := parley.NewChangeEvent(c, nil, payload)
			if err != nil {
				return nil, err
			}
			page.Changes = append(page.Changes, e.Frame)
			at[st.Stream] = c.Pos
		}
		if at[st.Stream] < st.Latest {
			page.HasMore = true
		}
	}
	page.Positions = at
	page.SyncToken = s.syncToken(u.ID, streams, at)
	return page, nil
}

// SyncToken returns a token for now, as GET /sync without one answers: the
// WebSocket hello carries it, so that a client that loses its connection
// asks GET /sync for what it missed since then.
func (s *Service) SyncToken(ctx context.Context) (string, error) {
	p, err := s.Sync(ctx, "", nil)
	if err != nil {
		return "", err
	}
	return p.SyncToken, nil
}

// A sync token is the user's ID and, for each stream where the user stands
// past where they joined it, the stream's ID and that position. It is
// signed with an HMAC, so that a client can neither read another user's
// streams with it nor move a position, and it needs nothing kept on the
// server: any node with the store's key reads it, across restarts. It
// grows with the streams a user has read since joining them, by 30 to 60
// bytes each: about 4 KB for a hundred busy conversations.
//
// The layout is version (1), the user ID, the number of streams, then each
// stream ID and position, strings prefixed with their length as uvarints,
// positions as uvarints; then the first 16 bytes of HMAC-SHA256 over all of
// it, all in unpadded base64url.
const (
	syncTokenVersion = 1
	syncTokenMAC     = 16
)

// syncToken encodes the position in each stream: at[stream] if given,
// the stream's latest otherwise. Streams where the user stands where they
// joined are left out, since a missing stream starts there anyway.
func (s *Service) syncToken(userID string, streams []parley.StreamPosition, at map[string]int64) string {
	b := []byte{syncTokenVersion}
	b = appendString(b, userID)
	var kept []parley.StreamPosition
	for _, st := range streams {
		pos, ok := at[st.Stream]
		if !ok {
			pos = st.Latest
		}
		if pos > st.Since {
			kept = append(kept, parley.StreamPosition{Stream: st.Stream, Latest: pos})
		}
	}
	b = binary.AppendUvarint(b, uint64(len(kept)))
	for _, st := range kept {
		b = appendString(b, st.Stream)
		b = binary.AppendUvarint(b, uint64(st.Latest))
	}
	b = append(b, s.syncMAC(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// readSyncToken returns the positions of a token of the user's.
func (s *Service) readSyncToken(userID, token string) (map[string]int64, error) {
	bad := parley.Errorf(parley.EINVALID, "since is not a sync token of yours")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 1+syncTokenMAC {
		return nil, bad
	}
	body, mac := b[:len(b)-syncTokenMAC], b[len(b)-syncTokenMAC:]
	if !hmac.Equal(mac, s.syncMAC(body)) || body[0] != syncTokenVersion {
		return nil, bad
	}

	r := tokenReader{b: body[1:]}
	if r.string() != userID {
		return nil, bad
	}
	n := r.uvarint()
	pos := make(map[string]int64, min(n, 1024))
	for range n {
		if r.err != nil {
			break
		}
		stream := r.string()
		pos[stream] = int64(r.uvarint())
	}
	if r.err != nil || len(r.b) != 0 {
		// Signed by us but unreadable: a bug of ours, not the client's.
		return nil, fmt.Errorf("read sync token: %v", r.err)
	}
	return pos, nil
}

// syncMAC returns the MAC of a token's body.
func (s *Service) syncMAC(body []byte) []byte {
	h := hmac.New(sha256.New, s.syncKey)
	h.Write(body)
	return h.Sum(nil)[:syncTokenMAC]
}

// loadSyncKey loads the key that signs sync tokens, creating it on the
// first start.
func (s *Service) loadSyncKey(ctx context.Context) error {
	key, err := s.store.Secret(ctx, SyncKeyName, func() ([]byte, error) {
		k := make([]byte, 32)
		_, err := rand.Read(k)
		return k, err
	})
	if err != nil {
		return fmt.Errorf("load sync key: %w", err)
	}
	s.syncKey = key
	return nil
}

// appendString appends str prefixed with its length.
func appendString(b []byte, str string) []byte {
	b = binary.AppendUvarint(b, uint64(len(str)))
	return append(b, str...)
}

// tokenReader reads the fields of a token's body; the first failure
// sticks in err.
type tokenReader struct {
	b   []byte
	err error
}

// uvarint reads a uvarint.
func (r *tokenReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > 1<<62 {
		r.err = errors.New("bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// string reads a length-prefixed string.
func (r *tokenReader) string() string {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = errors.New("short string")
	}
	if r.err != nil {
		return ""
	}
	str := string(r.b[:n])
	r.b = r.b[n:]
	return str
}

// PruneChanges removes the changes older than ChangeRetention, so that the
// streams do not grow without end. serve runs it now and then.
func (s *Service) PruneChanges(ctx context.Context) (int, error) {
	n, err := s.store.PruneChanges(ctx, parley.NewTime(s.Now().Add(-ChangeRetention)))
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.Logger.InfoContext(ctx, "changes pruned", "count", n)
	}
	return n, nil
}

// PruneEvery is how often KeepPruning prunes.
const PruneEvery = time.Hour

// KeepPruning prunes old changes at once and then every PruneEvery, until
// ctx ends. A failure is logged and tried again next time: what it would
// have removed stays a little longer.
func (s *Service) KeepPruning(ctx context.Context) {
	t := time.NewTicker(PruneEvery)
	defer t.Stop()
	for {
		if _, err := s.PruneChanges(ctx); err != nil && ctx.Err() == nil {
			s.Logger.ErrorContext(ctx, "prune changes", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
