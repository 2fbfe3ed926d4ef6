package app_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// Sends that the store commits together must still be pushed in seq order,
// or a client catching up with after=<highest seq seen> could skip one.
func TestPushesInSeqOrder(t *testing.T) {
	svc, rec := MustOpenService(t)
	annCtx, _ := MustSignup(t, svc, "ann@example.com")
	ws := MustCreateWorkspace(t, svc, annCtx, "Acme")
	general := ws.Channels[0]
	// The first push of a conversation starts its order (see pushOrder):
	// the test checks what follows.
	if _, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, app.Draft{Text: "first"}); err != nil {
		t.Fatal(err)
	}
	before := rec.count()

	const senders, each = 16, 20
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := svc.PostChannelMessage(annCtx, ws.ID, general.ID, app.Draft{Text: "hi"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var last int64
	pushed := 0
	for _, e := range rec.events[before:] {
		if e.Type != parley.EventMessage {
			continue
		}
		var m struct{ Seq int64 }
		if err := json.Unmarshal(e.Frame, &m); err != nil {
			t.Fatal(err)
		}
		if m.Seq <= last {
			t.Fatalf("seq %d pushed after seq %d, want ascending", m.Seq, last)
		}
		last = m.Seq
		pushed++
	}
	if pushed != senders*each {
		t.Fatalf("%d messages pushed, want %d", pushed, senders*each)
	}
}
