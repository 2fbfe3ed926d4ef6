package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
)

// init registers the Centrifugo target.
func init() { targets["centrifugo"] = newCentrifugo }

// centrifugo is the target for Centrifugo, the peer of the fan-out, idle,
// connect and cold-start scenarios: a real-time messaging server that
// stores nothing, so it shows what delivery alone costs. It is driven over
// its JSON client protocol on /connection/websocket and its HTTP API on
// /api/publish.
//
// The server is expected to have a namespace-less channel that clients may
// subscribe to. With option hmac_secret, every connection authenticates
// with a token of its own (HS256, subject user-N), as Parley's do, and the
// server must be set up with the same client.token.hmac_secret_key;
// compare.sh does so. Without it the server must run with client.insecure,
// and connections carry no token: Centrifugo then does less work than
// Parley, which checks a token and looks up its user.
//
// Options (--opt key=value):
//
//	channel      the channel to subscribe and publish to (default "general")
//	api_key      the HTTP API key, if http_api.insecure is off
//	hmac_secret  sign a connection token for each connection with this key
type centrifugo struct {
	wsURL   string // ws://host/connection/websocket
	apiURL  string // http://host/api/publish
	apiKey  string
	channel string
	secret  []byte // signs connection tokens; nil: connect without one

	http   *http.Client
	dialer *websocket.Dialer

	mu      sync.Mutex
	conns   []*cfConn
	readers sync.WaitGroup // the read loops of conns
	// dropped counts connections the server closed before Close did, and
	// dropErr is the first such error: a receiver that silently stops
	// receiving would otherwise make a fan-out look faster than it is.
	dropped atomic.Int64
	dropErr atomic.Value // error
	closing atomic.Bool
}

var (
	_ Fanout    = (*centrifugo)(nil)
	_ Idler     = (*centrifugo)(nil)
	_ Connector = (*centrifugo)(nil)
)

// newCentrifugo returns the Centrifugo target for cfg.
func newCentrifugo(cfg TargetConfig) (any, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("centrifugo: --url %q: want http://host:port", cfg.URL)
	}
	ws := *u
	ws.Scheme = "ws"
	if u.Scheme == "https" {
		ws.Scheme = "wss"
	}
	ws.Path = strings.TrimSuffix(u.Path, "/") + "/connection/websocket"

	c := &centrifugo{
		wsURL:   ws.String(),
		apiURL:  strings.TrimSuffix(cfg.URL, "/") + "/api/publish",
		apiKey:  cfg.Options["api_key"],
		channel: cfg.Options["channel"],
		secret:  []byte(cfg.Options["hmac_secret"]),
		http:    newPeerHTTPClient(),
		dialer:  newPeerWSDialer(),
	}
	if c.channel == "" {
		c.channel = "general"
	}
	return c, nil
}

// newPeerHTTPClient returns a client that keeps many connections to one host
// alive, as an open-loop load has many requests in flight at once, and
// opens no more than Parley's (see newHTTPClient).
func newPeerHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost = maxConns
	tr.MaxIdleConns = maxConns
	tr.MaxIdleConnsPerHost = maxConns
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// newPeerWSDialer returns a WebSocket dialer for many connections in one
// process: small read buffers, and write buffers lent from a pool only
// while a frame is written, so that thousands of mostly idle clients cost
// the load tool little memory. The messages of these scenarios are all far
// smaller than the buffers.
func newPeerWSDialer() *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   512,
		WriteBufferSize:  512,
		WriteBufferPool:  &sync.Pool{},
	}
}

// cfDialConcurrency is how many connections ConnectReceivers and ConnectIdle
// open at once: enough to keep the server busy, few enough not to overflow
// its listen backlog.
const cfDialConcurrency = 32

// ConnectReceivers opens n connections subscribed to the channel; each
// calls got with the send time of every publication it receives.
func (c *centrifugo) ConnectReceivers(ctx context.Context, n int, got func(sentAt time.Time)) error {
	return c.openMany(ctx, n, got)
}

// ConnectIdle opens n connections subscribed to the channel, which answer
// the server's pings and otherwise stay silent until Close. They subscribe
// as a chat client would, so that each holds what a real one holds.
func (c *centrifugo) ConnectIdle(ctx context.Context, n int) error {
	return c.openMany(ctx, n, nil)
}

// openMany opens n subscribed connections, cfDialConcurrency at a time,
// and starts a read loop on each. It stops at the first that fails.
func (c *centrifugo) openMany(ctx context.Context, n int, got func(time.Time)) error {
	return peerForEach(ctx, n, cfDialConcurrency, func(i int) error {
		cc, err := c.dial(ctx, true, i)
		if err != nil {
			return fmt.Errorf("centrifugo: connection %d of %d: %w", i+1, n, err)
		}
		c.start(cc, got)
		return nil
	})
}

// start keeps cc for Close and runs its read loop.
func (c *centrifugo) start(cc *cfConn, got func(time.Time)) {
	c.mu.Lock()
	c.conns = append(c.conns, cc)
	c.mu.Unlock()
	c.readers.Add(1)
	go func() {
		defer c.readers.Done()
		c.readLoop(cc, got)
	}()
}

// Publish publishes one message carrying sentAt through the HTTP API, and
// returns once Centrifugo has accepted it.
func (c *centrifugo) Publish(ctx context.Context, sentAt time.Time) error {
	body, err := json.Marshal(cfPublish{Channel: c.channel, Data: cfData{SentAt: sentAt.UnixNano()}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.apiURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.apiKey != "" {
		req.Header.Set("X-API-Key", c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("centrifugo: publish: %w", err)
	}
	defer resp.Body.Close()

	// The API answers 200 with an error object for a refused publication,
	// so the body is read either way.
	var out struct {
		Error *cfError `json:"error"`
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("centrifugo: publish: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("centrifugo: publish: %s: %s", resp.Status, bytes.TrimSpace(raw))
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("centrifugo: publish: %w", err)
	}
	if out.Error != nil {
		return fmt.Errorf("centrifugo: publish: %w", out.Error)
	}
	return nil
}

// Close closes every connection and waits for their read loops. It
// reports connections that the server closed before, as those stopped
// receiving in the middle of a run.
func (c *centrifugo) Close() error {
	c.closing.Store(true)
	c.mu.Lock()
	conns := c.conns
	c.conns = nil
	c.mu.Unlock()
	for _, cc := range conns {
		cc.ws.Close()
	}
	c.readers.Wait()

	if n := c.dropped.Load(); n > 0 {
		return fmt.Errorf("centrifugo: %d connections were closed by the server during the run; first: %v",
			n, c.dropErr.Load())
	}
	return nil
}

// PrepareConnect does nothing: Centrifugo keeps no users, and a token
// names any user the signer likes.
func (c *centrifugo) PrepareConnect(ctx context.Context, users int) error { return nil }

// ConnectOnce opens a connection as user i (with hmac_secret), waits for
// the connect reply, and closes it.
func (c *centrifugo) ConnectOnce(ctx context.Context, i int) error {
	cc, err := c.dial(ctx, false, i)
	if err != nil {
		return fmt.Errorf("centrifugo: connect: %w", err)
	}
	cc.close()
	return nil
}

// cfConn is one client connection.
type cfConn struct {
	ws *websocket.Conn
}

// cfHandshakeTimeout bounds the wait for the connect and subscribe replies.
const cfHandshakeTimeout = 30 * time.Second

// dial opens a connection, sends connect and waits for its reply, then,
// if subscribe is set, subscribes to the channel and waits for that reply.
// With a secret, connect carries a token for user-N; it is signed here, in
// the load tool, as an application's back end would sign it beforehand.
func (c *centrifugo) dial(ctx context.Context, subscribe bool, user int) (*cfConn, error) {
	connect := `{"id":1,"connect":{}}`
	if c.secret != nil {
		token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			Subject:   fmt.Sprintf("user-%d", user),
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
		}).SignedString(c.secret)
		if err != nil {
			return nil, err
		}
		connect = fmt.Sprintf(`{"id":1,"connect":{"token":%q}}`, token)
	}

	ws, resp, err := c.dialer.DialContext(ctx, c.wsURL, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial: %w (%s)", err, resp.Status)
		}
		return nil, fmt.Errorf("dial: %w", err)
	}
	cc := &cfConn{ws: ws}
	ws.SetReadDeadline(time.Now().Add(cfHandshakeTimeout))

	if err := cc.call(1, connect); err != nil {
		cc.ws.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	if subscribe {
		cmd := fmt.Sprintf(`{"id":2,"subscribe":{"channel":%q}}`, c.channel)
		if err := cc.call(2, cmd); err != nil {
			cc.ws.Close()
			return nil, fmt.Errorf("subscribe to %s: %w", c.channel, err)
		}
	}
	ws.SetReadDeadline(time.Time{})
	return cc, nil
}

// call sends one command and reads until the reply with its id.
func (cc *cfConn) call(id uint32, cmd string) error {
	if err := cc.ws.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
		return err
	}
	for {
		_, frame, err := cc.ws.ReadMessage()
		if err != nil {
			return err
		}
		for _, r := range cfSplitReplies(frame) {
			if r.ID != id {
				continue
			}
			if r.Error != nil {
				return r.Error
			}
			return nil
		}
	}
}

// readLoop reads until the connection closes: it answers the server's
// pings, and calls got (if not nil) for each publication.
func (c *centrifugo) readLoop(cc *cfConn, got func(time.Time)) {
	for {
		_, frame, err := cc.ws.ReadMessage()
		if err != nil {
			if !c.closing.Load() {
				c.dropped.Add(1)
				c.dropErr.CompareAndSwap(nil, err)
			}
			return
		}
		for _, r := range cfSplitReplies(frame) {
			switch {
			case r.isPing():
				// Protocol v2 pings are empty replies; the connect reply
				// asks for a pong, an empty command, or the server drops
				// the connection after its pong timeout.
				if err := cc.ws.WriteMessage(websocket.TextMessage, []byte("{}")); err != nil {
					cc.ws.Close()
				}
			case r.Push != nil && r.Push.Pub != nil && got != nil:
				got(time.Unix(0, r.Push.Pub.Data.SentAt))
			}
		}
	}
}

// close sends a normal close frame and closes the connection, as a
// well-behaved client does.
func (cc *cfConn) close() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	cc.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	cc.ws.Close()
}

// cfReply is the part of a reply of the JSON protocol that the bench reads.
type cfReply struct {
	ID    uint32   `json:"id"`
	Error *cfError `json:"error"`
	Push  *struct {
		Pub *struct {
			Data cfData `json:"data"`
		} `json:"pub"`
	} `json:"push"`
	// Connect and Subscribe are kept raw only to tell a ping (an empty
	// object) from the other replies.
	Connect   json.RawMessage `json:"connect"`
	Subscribe json.RawMessage `json:"subscribe"`
}

// isPing reports whether r is a server ping: a reply with nothing in it.
func (r *cfReply) isPing() bool {
	return r.ID == 0 && r.Error == nil && r.Push == nil && r.Connect == nil && r.Subscribe == nil
}

// cfSplitReplies decodes the replies of one frame, which the JSON protocol
// separates by newlines. A reply that does not decode is skipped: only
// publications count, and a broken one shows as a missing delivery.
func cfSplitReplies(frame []byte) []cfReply {
	var out []cfReply
	for line := range bytes.SplitSeq(frame, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r cfReply
		if json.Unmarshal(line, &r) == nil {
			out = append(out, r)
		}
	}
	return out
}

// cfPublish is the body of POST /api/publish.
type cfPublish struct {
	Channel string `json:"channel"`
	Data    cfData `json:"data"`
}

// cfData is what every publication carries: its send time in Unix
// nanoseconds, from which a receiver computes the delivery latency.
type cfData struct {
	SentAt int64 `json:"sent_at"`
}

// cfError is an error of the client protocol or the HTTP API.
type cfError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Error returns the error's code and message.
func (e *cfError) Error() string { return fmt.Sprintf("error %d: %s", e.Code, e.Message) }
