package natsbus

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
)

// version is the first byte of every message. A node drops messages of
// another version, so that a rolling upgrade that changes the format
// degrades to nodes not hearing each other, never to misreading.
const version = 1

// Kinds of message, the second byte.
const (
	kindEvent     = 'e' // an event: type, user IDs, frame
	kindReset     = 'r' // the sender lost events: every node's clients catch up
	kindHeartbeat = 'h' // the sender is alive: its start, flags, when it may lead, its users
	kindArrive    = 'a' // users who opened their first connection on the sender
	kindLeave     = 'l' // users who closed their last connection on the sender
	kindOnline    = 'o' // users the sender announced online
	kindOffline   = 'f' // users the sender announced offline
	kindGoodbye   = 'g' // the sender is shutting down
)

// flagHello, in a heartbeat, asks the others to answer with theirs at once:
// the sender just connected and knows nobody.
const flagHello = 1

// headerLen is the size of what every message starts with: the version,
// the kind and the sender's node ID.
const headerLen = 2 + len(nodeID{})

// maxIDsPerMessage bounds the user IDs in one message, so that a large
// heartbeat goes out as several messages of a few hundred KiB rather than
// one that holds up everything behind it on the connection.
const maxIDsPerMessage = 10_000

// nodeID identifies one Bus, for as long as it is open. It is random, so a
// restarted node is a new node.
type nodeID [8]byte

// String returns the ID in hexadecimal, as logs show it.
func (id nodeID) String() string {
	return hex.EncodeToString(id[:])
}

// errMalformed is what decoding a message that is cut short or inconsistent
// returns.
var errMalformed = errors.New("natsbus: malformed message")

// buffers holds message buffers between uses: nats.Conn.Publish copies the
// message before it returns, so a buffer can serve the next one at once.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

// newMessage returns a pooled buffer holding the header of a message of the
// given kind from the node, with room for size more bytes. Give it back
// with putMessage.
func newMessage(kind byte, from nodeID, size int) *[]byte {
	p := buffers.Get().(*[]byte)
	b := slices.Grow((*p)[:0], headerLen+size)
	b = append(b, version, kind)
	*p = append(b, from[:]...)
	return p
}

// putMessage returns a buffer to the pool, unless it grew very large.
func putMessage(p *[]byte) {
	if cap(*p) <= 1<<20 {
		buffers.Put(p)
	}
}

// appendString appends s with its length before it.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendIDs appends a list of IDs: its length, then each ID.
func appendIDs(b []byte, ids []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = appendString(b, id)
	}
	return b
}

// idsLen returns the encoded size of a list of IDs.
func idsLen(ids []string) int {
	n := uvarintLen(len(ids))
	for _, id := range ids {
		n += uvarintLen(len(id)) + len(id)
	}
	return n
}

// uvarintLen returns the encoded size of n.
func uvarintLen(n int) int {
	size := 1
	for ; n >= 0x80; n >>= 7 {
		size++
	}
	return size
}

// split cuts ids into runs that each encode, with appendIDs, in at most
// budget bytes and hold at most maxIDsPerMessage IDs. It reports false if
// some ID alone does not fit. No IDs make one empty run.
func split(ids []string, budget int) ([][]string, bool) {
	base := uvarintLen(maxIDsPerMessage)
	var parts [][]string
	start, size := 0, base
	for i, id := range ids {
		n := uvarintLen(len(id)) + len(id)
		if i > start && (size+n > budget || i-start == maxIDsPerMessage) {
			parts = append(parts, ids[start:i])
			start, size = i, base
		}
		if size += n; size > budget {
			return nil, false
		}
	}
	return append(parts, ids[start:]), base <= budget
}

// message is a message read from the wire.
type message struct {
	kind byte
	from nodeID
	body reader
}

// readMessage reads the header of data. The body's slices alias data.
func readMessage(data []byte) (message, error) {
	if len(data) < headerLen {
		return message{}, errMalformed
	} else if data[0] != version {
		return message{}, errVersion
	}
	m := message{kind: data[1], body: reader{b: data[headerLen:]}}
	copy(m.from[:], data[2:headerLen])
	return m, nil
}

// errVersion is what readMessage returns for a message of another version.
var errVersion = errors.New("natsbus: message of another version")

// reader reads the fields of a message body in turn. The first failure
// sticks: later reads return zero values, and err reports it.
type reader struct {
	b   []byte
	err error
}

// uvarint reads an unsigned varint.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errMalformed
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes reads n bytes, aliasing the message.
func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	} else if n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// string reads a string written by appendString.
func (r *reader) string() string {
	return string(r.bytes(r.uvarint()))
}

// ids reads a list written by appendIDs.
func (r *reader) ids() []string {
	n := r.uvarint()
	// Each ID takes at least its length byte: a count beyond what is left
	// is malformed, and checking it here bounds the allocation.
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errMalformed
		return nil
	}
	ids := make([]string, 0, n)
	for range n {
		ids = append(ids, r.string())
	}
	if r.err != nil {
		return nil
	}
	return ids
}

// rest returns what is left of the body, aliasing the message.
func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	v := r.b
	r.b = nil
	return v
}
