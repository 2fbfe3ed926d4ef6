package app

import (
	"bytes"
	"encoding/json"

	"github.com/parleychat/parley"
)

// A Service runs alone or as one node of a cluster. Alone, it pushes events
// to its hub, keeps what it reads in memory until it writes, and counts the
// connections open on it for presence. In a cluster, a bridge between nodes
// (package natsbus) is its Events and its Roster, and calls Remote with the
// events of the other nodes, Forget when some may have been lost, and
// Announce when a user came online or went offline in the cluster.

// Roster keeps who is online across the nodes of a cluster, and decides
// when a user comes online or goes offline in it. A Service with a Roster
// reports to it each user's first connection opening and last connection
// closing on this node, and asks it who is online; the Roster calls
// [Service.Announce] with its decisions. natsbus.Bus is one.
//
// The Service calls Arrive and Leave with a lock held, alternately for each
// user, beginning with Arrive; they must not block. All three methods must
// be safe for concurrent use.
type Roster interface {
	// Arrive records that the user opened their first connection on this
	// node.
	Arrive(userID string)
	// Leave records that the user closed their last connection on this
	// node.
	Leave(userID string)
	// Online reports whether the user counts as online in the cluster:
	// connected to some node, or gone for less than the grace period.
	Online(userID string) bool
}

// Remote handles an event that another node published. It drops what this
// node keeps in memory that the event's change may have made stale, then
// calls deliver, which hands the event to this node's hub, and then lets go
// the pushes here that wait for the event's position in its stream (see
// pushOrder). Dropping comes first, so that a client who acts on the event
// at once, say by posting in a channel it was just added to, finds this
// node agreeing with it.
//
// A bridge between nodes calls it once for each event from elsewhere. It is
// safe for concurrent use.
func (s *Service) Remote(e *parley.Event, deliver func()) {
	if ids, ok := staleAfter(e); ok {
		s.Forget(ids...)
	}
	deliver()
	if stream, pos, ok := position(e.Frame); ok {
		s.order.passed(stream, pos)
	}
}

// CutOff tells the Service whether it is cut off from the other nodes of
// its cluster. While it is, its pushes go out without waiting for the
// positions before them, which other nodes may have stored (see pushOrder).
// A bridge between nodes calls it when its connection goes and comes back.
func (s *Service) CutOff(cut bool) {
	s.order.cutOff.Store(cut)
}

// Forget drops what this node keeps in memory of the given channels and
// workspaces, their records and member lists, or of every one of them if no
// ID is given, so that the next read of each goes to the store. Remote
// calls it for the changes other nodes made; a bridge between nodes calls
// it with no ID when their events may have been lost.
func (s *Service) Forget(ids ...string) {
	s.cache.Forget(ids...)
}

// staleAfter returns the channels and workspaces whose kept records or
// member lists a change made elsewhere may have made stale, as the event
// that reports it tells, and true; nil and true if it may be any of them;
// and false for an event that changes none.
//
// It drops what the store write behind the event drops on the node that
// made it (see cachedStore). A leave of a workspace drops everything, as
// the write does, since the member leaves each of its channels too; an
// event whose IDs cannot be read drops everything, which is always safe.
func staleAfter(e *parley.Event) ([]string, bool) {
	switch e.Type {
	case EventMemberLeftWorkspace, EventWorkspaceDeleted:
		return nil, true
	case EventMemberJoinedWorkspace, EventMemberJoinedChannel, EventMemberLeftChannel,
		EventChannelCreated, EventChannelDeleted, parley.EventChannelUpdated:
	default:
		return nil, false
	}

	// Only the top level is read: a channel in the payload holds IDs of
	// its own, the same ones.
	var f struct {
		WorkspaceID string `json:"workspace_id"`
		ChannelID   string `json:"channel_id"`
		ID          string `json:"id"` // channel_updated of a channel deleted since
	}
	if err := json.Unmarshal(e.Frame, &f); err != nil {
		return nil, true
	}
	var ids []string
	for _, id := range []string{f.ChannelID, f.ID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if e.Type == EventMemberJoinedWorkspace && f.WorkspaceID != "" {
		ids = append(ids, f.WorkspaceID)
	}
	return ids, true
}

// position returns the stream and position that the frame of a change
// carries right after its type (see [parley.NewChangeEvent]), and false for
// any other frame. It reads the first three fields and no further.
func position(frame []byte) (stream string, pos int64, ok bool) {
	d := json.NewDecoder(bytes.NewReader(frame))
	d.UseNumber()
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return "", 0, false
	}
	var head [3]any
	for i, want := range []string{"type", "stream", "pos"} {
		key, err := d.Token()
		if err != nil || key != want {
			return "", 0, false
		}
		if head[i], err = d.Token(); err != nil {
			return "", 0, false
		}
	}
	stream, _ = head[1].(string)
	n, _ := head[2].(json.Number)
	pos, _ = n.Int64()
	return stream, pos, stream != "" && pos > 0
}
