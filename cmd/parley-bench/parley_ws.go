package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// newDialer returns a WebSocket dialer that keeps each connection small:
// a small read buffer, and write buffers from a pool, held only while a
// frame is written. Ten thousand idle connections then cost the tool little
// besides their reader goroutines.
func newDialer() *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   512,
		WriteBufferSize:  512,
		WriteBufferPool:  &sync.Pool{},
	}
}

// helloWait bounds the wait for Parley's hello after the upgrade.
const helloWait = 10 * time.Second

// dial opens a WebSocket as u and reads Parley's first frame, hello.
func (p *parley) dial(ctx context.Context, u *benchUser) (*websocket.Conn, error) {
	h := http.Header{"Authorization": {u.auth}}
	wsURL := p.wsURLs[p.node(u)]
	conn, resp, err := p.dialer.DialContext(ctx, wsURL, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (status %d)", wsURL, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", wsURL, err)
	}

	conn.SetReadDeadline(time.Now().Add(helloWait))
	_, frame, err := conn.ReadMessage()
	var hello struct {
		Type string `json:"type"`
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("read hello: %w", err)
	} else if json.Unmarshal(frame, &hello); hello.Type != "hello" {
		conn.Close()
		return nil, fmt.Errorf("first frame is not hello: %.80s", frame)
	}
	conn.SetReadDeadline(time.Time{})
	return conn, nil
}

// keep records conn, for Close.
func (p *parley) keep(conn *websocket.Conn) {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	p.conns = append(p.conns, conn)
}

// Close closes every connection the target holds, and says how many the
// server had ended before.
func (p *parley) Close() error {
	if !p.closing.Swap(true) && p.ended.Load() > 0 {
		log.Printf("parley: the server ended %d connections before the run was over", p.ended.Load())
	}
	p.connMu.Lock()
	defer p.connMu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	return nil
}

// ConnectReceivers signs in n+1 users of the run and puts them in its
// workspace; the first n connect, one connection each, and the last
// publishes. It returns once every receiver has its hello and the burst
// of presence events that n connections cause has died down, so that
// publishing is measured alone.
func (p *parley) ConnectReceivers(ctx context.Context, n int, got func(sentAt time.Time)) error {
	if err := p.signIn(ctx, n+1); err != nil {
		return err
	} else if err := p.joinWorkspace(ctx, n+1); err != nil {
		return err
	}
	p.publisher = p.users[n]

	var last atomic.Int64 // unix nanos of the last frame any receiver read
	err := p.parallel(ctx, "connected", n, 50, func(ctx context.Context, i int) error {
		conn, err := p.dial(ctx, p.users[i])
		if err != nil {
			return err
		}
		p.keep(conn)
		go p.receive(conn, i, &last, got)
		return nil
	})
	if err != nil {
		return err
	}
	waitQuiet(ctx, &last, time.Second, time.Minute)
	return nil
}

// waitQuiet waits until no frame has arrived for quiet, or for at most
// limit.
func waitQuiet(ctx context.Context, last *atomic.Int64, quiet, limit time.Duration) {
	start := time.Now()
	for time.Since(start) < limit {
		idle := time.Since(time.Unix(0, last.Load()))
		if idle >= quiet || ctx.Err() != nil {
			return
		}
		time.Sleep(quiet - idle)
	}
	log.Printf("parley: receivers still busy after %s; measuring anyway", limit)
}

// messagePrefix starts every frame of a new message.
var messagePrefix = []byte(`{"type":"message",`)

// receive reads receiver i's frames until its connection ends, and calls
// got with the send time of each message frame. Other frames (presence,
// joins) are only noted in last. A connection the server ends is counted
// in p.ended, and the first few are logged: their later messages will be
// missing.
func (p *parley) receive(conn *websocket.Conn, i int, last *atomic.Int64, got func(time.Time)) {
	for {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			if !p.closing.Load() && p.ended.Add(1) <= 5 {
				log.Printf("parley: connection %d ended: %v", i, err)
			}
			return
		}
		last.Store(time.Now().UnixNano())
		if bytes.HasPrefix(frame, messagePrefix) {
			if sentAt, ok := sentAtOf(frame); ok {
				got(sentAt)
			}
		}
	}
}

// textPrefix is where a message frame's text starts when Publish wrote it:
// "message":"t=<unix nanoseconds>".
var textPrefix = []byte(`"message":"t=`)

// sentAtOf finds the send time in a frame of a message Publish sent,
// without decoding the whole frame: at a thousand receivers, decoding each
// frame in full would cost the tool more than the server.
func sentAtOf(frame []byte) (time.Time, bool) {
	i := bytes.Index(frame, textPrefix)
	if i < 0 {
		return time.Time{}, false
	}
	rest := frame[i+len(textPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(rest[:end]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// Publish posts a message carrying sentAt into the general channel, as the
// user who is not a receiver.
func (p *parley) Publish(ctx context.Context, sentAt time.Time) error {
	body := fmt.Appendf(nil, `{"message":"t=%d"}`, sentAt.UnixNano())
	return p.post(ctx, p.publisher, "/messages/"+p.workspaceID+"/"+p.channelID, body)
}

// PrepareIdle signs in the users that ConnectIdle(n) shares its
// connections among: option idle_users, 100 by default.
func (p *parley) PrepareIdle(ctx context.Context, n int) error {
	return p.signIn(ctx, min(n, p.intOption("idle_users", 100)))
}

// ConnectIdle opens n connections shared among the users of PrepareIdle,
// which it calls if the scenario has not, each waiting for its hello, and
// keeps them open until Close. Each has a reader, which answers the
// server's pings.
func (p *parley) ConnectIdle(ctx context.Context, n int) error {
	if err := p.PrepareIdle(ctx, n); err != nil {
		return err
	}
	users := min(n, p.intOption("idle_users", 100))
	var last atomic.Int64
	return p.parallel(ctx, "connected", n, 100, func(ctx context.Context, i int) error {
		conn, err := p.dial(ctx, p.users[i%users])
		if err != nil {
			return err
		}
		p.keep(conn)
		go p.receive(conn, i, &last, func(time.Time) {})
		return nil
	})
}

// PrepareConnect signs up the users who connect.
func (p *parley) PrepareConnect(ctx context.Context, users int) error {
	return p.signIn(ctx, users)
}

// closeWait bounds the wait for the server's answer to a close frame.
const closeWait = time.Second

// ConnectOnce connects as user i%users, waits for hello and closes
// cleanly: a close frame, then the server's answer. The server closes the
// socket first, so the wait after it (TIME_WAIT) is the server's, and the
// tool does not run out of local ports at thousands of connections a
// second.
func (p *parley) ConnectOnce(ctx context.Context, i int) error {
	conn, err := p.dial(ctx, p.users[i%len(p.users)])
	if err != nil {
		return err
	}
	defer conn.Close()

	bye := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	deadline := time.Now().Add(closeWait)
	if err := conn.WriteControl(websocket.CloseMessage, bye, deadline); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	conn.SetReadDeadline(deadline)
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				return nil
			}
			return fmt.Errorf("close: %w", err)
		}
	}
}
