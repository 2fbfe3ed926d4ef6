//go:build unix

package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	parleyhttp "github.com/parleychat/parley/http"
)

// TestSlowConsumer opens a connection that never reads, among connections
// that do, and floods their channel. The readers must get every message;
// the one that never reads must, once it does, find its queue cut off with
// close code 1013 so that it catches up from history.
func TestSlowConsumer(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t, func(m *Main) {
		// The writer to the slow connection blocks on a full socket until
		// the test reads it; a long write deadline keeps that write from
		// failing first, which would end the connection without a close
		// frame.
		m.WS = parleyhttp.WSConfig{WriteWait: time.Minute}
	})
	ann, bob, carl, dave := s.MustSignup(t, "ann"), s.MustSignup(t, "bob"), s.MustSignup(t, "carl"), s.MustSignup(t, "dave")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob, carl, dave)
	general := General(t, ws)

	// Bob's slow connection takes little into its socket buffer, so that
	// the server's queue fills sooner. The size is set before connecting:
	// shrinking the buffer of a connected socket makes the kernel drop
	// data it had already allowed for, and the sender then waits out ever
	// longer retransmission timeouts.
	netDialer := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		})
		return err
	}}
	dialer := websocket.Dialer{HandshakeTimeout: timeout, NetDial: netDialer.Dial}
	slow, resp, err := dialer.Dial(s.WSURL(), http.Header{"Authorization": {"Bearer " + bob.AccessToken}})
	if err != nil {
		t.Fatalf("dial: %v (response %v)", err, resp)
	}
	defer slow.Close()

	// The readers: the sender's own connection, bob's other one, and two
	// more users.
	sender := s.MustConnect(t, ann)
	readers := map[string]*WSClient{
		"ann": sender, "bob": s.MustConnect(t, bob), "carl": s.MustConnect(t, carl), "dave": s.MustConnect(t, dave),
	}
	for _, c := range readers {
		c.mu.Lock() // the reader goroutine runs already
		c.DropText = true
		c.mu.Unlock()
	}
	hasSeq := func(c *WSClient, seq int64) bool {
		return c.Has(func(f Frame) bool { return f.Type == "message" && f.Seq == seq })
	}

	// Send until the hub gives up on the slow connection. The sender keeps
	// at most a window of messages ahead of the slowest reader, so that the
	// readers' own queues never fill.
	const window, most = 64, 5000
	text := strings.Repeat("z", 32<<10)
	deadline := time.Now().Add(4 * timeout)
	sent := 0
	for sent < most {
		if sent%32 == 0 {
			if v, _ := s.MetricValue(t, "parley_slow_consumers_total"); v >= 1 {
				break
			}
		}
		if sent >= window {
			for name, c := range readers {
				WaitFor(t, name+" to keep up", deadline, func() bool { return hasSeq(c, int64(sent-window+1)) })
			}
		}
		sent++
		sender.Send(t, map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": general.ID,
			"message": text, "client_msg_id": fmt.Sprint(sent)})
	}
	if sent == most {
		t.Fatalf("no slow consumer after %d messages of %d bytes", most, len(text))
	}
	t.Logf("the slow connection was cut after at most %d messages", sent)

	// Every reader gets every message, in order of seq.
	for name, c := range readers {
		WaitFor(t, fmt.Sprintf("%s to get all %d messages", name, sent), deadline, func() bool { return hasSeq(c, int64(sent)) })
		var last int64
		for _, f := range c.Frames() {
			if f.Type == "message" {
				if f.Seq != last+1 {
					t.Fatalf("%s got seq %d after %d, want %d", name, f.Seq, last, last+1)
				}
				last = f.Seq
			}
		}
		if last != int64(sent) {
			t.Fatalf("%s got up to seq %d, want %d", name, last, sent)
		}
	}
	for i := 1; i <= sent; i++ {
		sender.Next(t, "ack", IsAck(fmt.Sprint(i)))
	}

	// The slow connection, read at last, holds what fitted and then a
	// close frame with 1013.
	slow.SetReadDeadline(time.Now().Add(timeout))
	frames := 0
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			frames++
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseTryAgainLater {
			t.Fatalf("slow connection ended with %v after %d frames, want close code 1013", err, frames)
		}
		break
	}
	if frames < 2 || frames > sent+1 {
		t.Fatalf("slow connection got %d frames, want hello and some of the %d messages", frames, sent)
	}

	if v, _ := s.MetricValue(t, "parley_slow_consumers_total"); v < 1 {
		t.Fatalf("parley_slow_consumers_total=%v, want at least 1", v)
	}
	// The readers are still connected and served.
	last := s.MustPost(t, ann, general, "still there?")
	for name, c := range readers {
		c.Find(t, name+"'s last message", IsMessage(last.ID))
	}
}
