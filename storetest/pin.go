package storetest

import (
	"testing"

	"github.com/parleychat/parley"
)

var pinCases = []testCase{
	{"PinMessage/OK", testPinMessageOK},
	{"PinMessage/Twice", testPinMessageTwice},
	{"PinMessage/ErrNotFound", testPinMessageErrNotFound},
	{"PinMessage/ErrChannelNotFound", testPinMessageErrChannelNotFound},
	{"UnpinMessage/OK", testUnpinMessageOK},
	{"UnpinMessage/NotPinned", testUnpinMessageNotPinned},
	{"Pins/NewestFirst", testPinsNewestFirst},
	{"Pins/PerChannel", testPinsPerChannel},
	{"Pins/None", testPinsNone},
}

func testPinMessageOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "the plan"))

	p := &parley.Pin{ChannelID: ch.ID, MessageID: m.ID, PinnedByID: ann.ID, PinnedAt: minute(10)}
	pinned, err := s.PinMessage(t.Context(), p)
	checkOK(t, "PinMessage", err)
	checkBool(t, "PinMessage", pinned, true)

	checkPins(t, s, ch.ID, p)
	checkStoredMessage(t, s, m)
}

// A message pinned again, by anyone, stays pinned as it was first.
func testPinMessageTwice(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	bob := MustCreateUser(t, s, "Bob")
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "the plan"))
	first := mustPinMessage(t, s, m, ann, 10)

	again := &parley.Pin{ChannelID: ch.ID, MessageID: m.ID, PinnedByID: bob.ID, PinnedAt: minute(20)}
	pinned, err := s.PinMessage(t.Context(), again)
	checkOK(t, "PinMessage", err)
	checkBool(t, "PinMessage again", pinned, false)

	checkPins(t, s, ch.ID, first)
}

func testPinMessageErrNotFound(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	MustAppendMessage(t, s, NewChannelMessage(ch, ann, "hello"))

	p := &parley.Pin{ChannelID: ch.ID, MessageID: NewID("msg"), PinnedByID: ann.ID, PinnedAt: minute(10)}
	_, err := s.PinMessage(t.Context(), p)
	checkCode(t, err, parley.ENOTFOUND)
	checkPins(t, s, ch.ID)
}

// A pin to a channel that does not exist is a reference to a missing
// channel.
func testPinMessageErrChannelNotFound(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "hello"))

	p := &parley.Pin{ChannelID: NewID("ch"), MessageID: m.ID, PinnedByID: ann.ID, PinnedAt: minute(10)}
	_, err := s.PinMessage(t.Context(), p)
	checkCode(t, err, parley.ENOTFOUND)
	checkPins(t, s, p.ChannelID)
	mustPinMessage(t, s, m, ann, 11)
}

// A message unpinned may be pinned again, and comes back as a new pin.
func testUnpinMessageOK(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "the plan"))
	other := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "another plan"))
	mustPinMessage(t, s, m, ann, 10)
	otherPin := mustPinMessage(t, s, other, ann, 11)

	unpinned, err := s.UnpinMessage(t.Context(), m.ID)
	checkOK(t, "UnpinMessage", err)
	checkBool(t, "UnpinMessage", unpinned, true)
	checkPins(t, s, ch.ID, otherPin)

	again := mustPinMessage(t, s, m, ann, 12)
	checkPins(t, s, ch.ID, again, otherPin)
}

func testUnpinMessageNotPinned(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	m := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "never pinned"))
	pinned := MustAppendMessage(t, s, NewChannelMessage(ch, ann, "pinned"))
	p := mustPinMessage(t, s, pinned, ann, 10)

	for _, id := range []string{m.ID, NewID("msg")} {
		unpinned, err := s.UnpinMessage(t.Context(), id)
		checkOK(t, "UnpinMessage", err)
		checkBool(t, "UnpinMessage", unpinned, false)
	}
	checkPins(t, s, ch.ID, p)
}

// Pins come by PinnedAt, the newest first, not in the order they were
// stored nor in the messages' order.
func testPinsNewestFirst(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	var msgs []*parley.Message
	for range 4 {
		msgs = append(msgs, MustAppendMessage(t, s, NewChannelMessage(ch, ann, "pin me")))
	}
	oldest := mustPinMessage(t, s, msgs[2], ann, 10)
	newest := mustPinMessage(t, s, msgs[0], ann, 40)
	middle := mustPinMessage(t, s, msgs[3], ann, 20)
	newer := mustPinMessage(t, s, msgs[1], ann, 30)

	checkPins(t, s, ch.ID, newest, newer, middle, oldest)
}

func testPinsPerChannel(t *testing.T, s parley.Store) {
	ann := MustCreateUser(t, s, "Ann")
	ws, general := MustCreateWorkspace(t, s, ann, "Acme")
	random := MustCreateChannel(t, s, ws, ann, "random", false)
	inGeneral := mustPinMessage(t, s, MustAppendMessage(t, s, NewChannelMessage(general, ann, "g")),
		ann, 10)
	inRandom := mustPinMessage(t, s, MustAppendMessage(t, s, NewChannelMessage(random, ann, "r")),
		ann, 20)

	checkPins(t, s, general.ID, inGeneral)
	checkPins(t, s, random.ID, inRandom)
}

// A channel with no pins, or no channel at all, has an empty list.
func testPinsNone(t *testing.T, s parley.Store) {
	ann, ch := newChat(t, s)
	MustAppendMessage(t, s, NewChannelMessage(ch, ann, "not pinned"))

	checkPins(t, s, ch.ID)
	checkPins(t, s, NewID("ch"))
}

// mustPinMessage pins m to its channel as u did at baseTime moved by the
// given minutes, and fails t if it cannot or if m was pinned already.
func mustPinMessage(t testing.TB, s parley.Store, m *parley.Message, u *parley.User,
	minutes int) *parley.Pin {
	t.Helper()
	p := &parley.Pin{
		ChannelID:  m.ChannelID,
		MessageID:  m.ID,
		PinnedByID: u.ID,
		PinnedAt:   minute(minutes),
	}
	if pinned, err := s.PinMessage(t.Context(), p); err != nil {
		t.Fatalf("PinMessage: %v", err)
	} else if !pinned {
		t.Fatalf("PinMessage(%q)=false, want true", m.ID)
	}
	return p
}

// checkPins fails t unless the channel's pins are exactly want, in order.
func checkPins(t testing.TB, s parley.Store, channelID string, want ...*parley.Pin) {
	t.Helper()
	got, err := s.Pins(t.Context(), channelID)
	checkOK(t, "Pins", err)
	if len(got) != len(want) {
		t.Fatalf("%s has %d pins, want %d", channelID, len(got), len(want))
	}
	for i, p := range got {
		if p.ChannelID != want[i].ChannelID || p.MessageID != want[i].MessageID ||
			p.PinnedByID != want[i].PinnedByID || !p.PinnedAt.Equal(want[i].PinnedAt.Time) {
			t.Fatalf("Pins[%d]=%+v, want %+v", i, p, want[i])
		}
	}
}
