package natsbus

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("U%03d", i) // 5 bytes encoded
		}
		return out
	}
	base := uvarintLen(maxIDsPerMessage)

	tests := []struct {
		name   string
		ids    []string
		budget int
		sizes  []int // of the parts; nil: it does not fit
	}{
		{"None", nil, 10, []int{0}},
		{"One", ids(1), base + 5, []int{1}},
		{"Fits", ids(4), base + 20, []int{4}},
		{"Splits", ids(5), base + 10, []int{2, 2, 1}},
		{"TooSmall", ids(1), base + 4, nil},
		{"Negative", ids(1), -100, nil},
		{"Count", ids(maxIDsPerMessage + 1), 1 << 20, []int{maxIDsPerMessage, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts, ok := split(tt.ids, tt.budget)
			if ok != (tt.sizes != nil) {
				t.Fatalf("ok=%v, want %v", ok, tt.sizes != nil)
			}
			var sizes []int
			var joined []string
			for _, p := range parts {
				sizes = append(sizes, len(p))
				joined = append(joined, p...)
				if n := idsLen(p); n > tt.budget {
					t.Fatalf("a part encodes in %d bytes, want at most %d", n, tt.budget)
				}
			}
			if !slices.Equal(sizes, tt.sizes) {
				t.Fatalf("sizes=%v, want %v", sizes, tt.sizes)
			} else if ok && !slices.Equal(joined, tt.ids) {
				t.Fatalf("parts join to %v, want %v", joined, tt.ids)
			}
		})
	}
}

func TestMessage(t *testing.T) {
	from := nodeID{1, 2, 3, 4, 5, 6, 7, 8}

	t.Run("OK", func(t *testing.T) {
		p := newMessage(kindEvent, from, 0)
		*p = appendString(*p, "message")
		*p = appendIDs(*p, []string{"U1", "", strings.Repeat("x", 300)})
		*p = append(*p, `{"type":"message"}`...)

		m, err := readMessage(*p)
		if err != nil {
			t.Fatal(err)
		} else if m.kind != kindEvent || m.from != from {
			t.Fatalf("kind=%c from=%s, want e from %s", m.kind, m.from, from)
		}
		typ, ids, frame := m.body.string(), m.body.ids(), m.body.rest()
		if m.body.err != nil {
			t.Fatal(m.body.err)
		} else if typ != "message" || len(ids) != 3 || ids[2] != strings.Repeat("x", 300) ||
			string(frame) != `{"type":"message"}` {
			t.Fatalf("read %q %q %q", typ, ids, frame)
		}
	})

	t.Run("ErrVersion", func(t *testing.T) {
		p := newMessage(kindEvent, from, 0)
		(*p)[0] = version + 1
		if _, err := readMessage(*p); err != errVersion {
			t.Fatalf("err=%v, want %v", err, errVersion)
		}
	})

	t.Run("ErrMalformed", func(t *testing.T) {
		valid := newMessage(kindEvent, from, 0)
		*valid = appendString(*valid, "message")
		*valid = appendIDs(*valid, []string{"U1", "U2"})

		for _, data := range [][]byte{
			nil,
			(*valid)[:headerLen-1],
			(*valid)[:len(*valid)-1], // the last ID cut short
			append((*valid)[:headerLen:headerLen], 0x80),   // a varint that never ends
			append((*valid)[:headerLen:headerLen], 0, 100), // more IDs than bytes
		} {
			m, err := readMessage(data)
			if err == nil {
				m.body.string()
				m.body.ids()
				err = m.body.err
			}
			if err != errMalformed {
				t.Fatalf("reading %q: err=%v, want %v", data, err, errMalformed)
			}
		}
	})
}
