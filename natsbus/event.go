package natsbus

import (
	"context"
	"errors"
	"slices"

	"github.com/nats-io/nats.go"

	"github.com/parleychat/parley"
)

// Publish delivers e to the subscriptions on this node at once, through the
// Hub, and sends it to the other nodes, which deliver it to theirs. It does
// not wait for them: NATS takes the message into its buffer and sends it
// shortly after.
//
// An event that cannot be sent, for want of room in the buffer while NATS
// is away or because its frame alone is larger than the server takes, is
// made up for: the other nodes are told to end their connections, whose
// clients catch up with GET /sync, at once or when NATS is back.
func (b *Bus) Publish(ctx context.Context, e *parley.Event) {
	if e == nil || len(e.UserIDs) == 0 {
		return
	}
	b.Hub.Publish(ctx, e)
	if b.nc == nil || b.closed.Load() {
		return
	}

	// An event for more users than one message holds goes out as several,
	// each for some of them and each with the whole frame; a user listed
	// twice must then not land in two.
	fixed := uvarintLen(len(e.Type)) + len(e.Type) + len(e.Frame)
	budget := int(b.nc.MaxPayload()) - headerLen - fixed
	parts, ok := split(e.UserIDs, budget)
	if ok && len(parts) > 1 {
		parts, _ = split(slices.Compact(slices.Sorted(slices.Values(e.UserIDs))), budget)
	}
	if !ok {
		b.lose(e, nats.ErrMaxPayload)
		return
	}

	for _, ids := range parts {
		p := newMessage(kindEvent, b.id, fixed+idsLen(ids))
		*p = appendString(*p, e.Type)
		*p = appendIDs(*p, ids)
		*p = append(*p, e.Frame...)
		err := b.nc.Publish(b.events, *p)
		putMessage(p)
		if err != nil {
			b.lose(e, err)
			return
		}
	}
}

// lose records that e, or part of it, did not go out to the other nodes.
// If the connection is up, they are told at once to make their clients
// catch up; otherwise they are told when it is back (see reconnected).
func (b *Bus) lose(e *parley.Event, err error) {
	if b.closed.Load() || errors.Is(err, nats.ErrConnectionClosed) {
		return
	}
	if b.nc.IsConnected() {
		b.Logger.Error("event not sent to other nodes; their connections end to catch up",
			"type", e.Type, "frame_bytes", len(e.Frame), "users", len(e.UserIDs),
			"max_payload", b.nc.MaxPayload(), "err", err)
		b.roster.publish(kindReset, nil)
		return
	}
	if b.lost.Add(1) == 1 {
		b.Logger.Error("events not sent to other nodes while NATS is away; "+
			"their connections will end to catch up when it is back", "err", err)
	}
}

// receiveEvent handles a message of the events subject.
func (b *Bus) receiveEvent(msg *nats.Msg) {
	m, ok := b.read(msg)
	if !ok {
		return
	}
	switch m.kind {
	case kindEvent:
		e := &parley.Event{Type: m.body.string(), UserIDs: m.body.ids(), Frame: m.body.rest()}
		if m.body.err != nil {
			b.Logger.Error("drop a malformed event", "peer_id", m.from.String(), "err", m.body.err)
			return
		}
		deliver := func() { b.Hub.Publish(context.Background(), e) }
		if b.Service == nil {
			deliver()
			return
		}
		b.Service.Remote(e, deliver)

	case kindReset:
		b.Logger.Warn("another node lost events; connections here end to catch up",
			"peer_id", m.from.String())
		b.catchUp()
	}
}

// read reads the header of a message from NATS, and reports false for one
// to drop: this node's own, which NATS echoes only if the server does not
// honour no-echo, or one of another version, logged once per Bus.
func (b *Bus) read(msg *nats.Msg) (message, bool) {
	m, err := readMessage(msg.Data)
	if errors.Is(err, errVersion) {
		if !b.otherKind.Swap(true) {
			b.Logger.Error("drop messages of another version of this protocol; are nodes of two "+
				"releases sharing the subject?", "subject", msg.Subject, "version", msg.Data[0])
		}
		return m, false
	} else if err != nil {
		b.Logger.Error("drop a malformed message", "subject", msg.Subject, "err", err)
		return m, false
	}
	return m, m.from != b.id
}
