package http

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// WSConfig holds the WebSocket endpoint's timings and limits.
type WSConfig struct {
	// PingInterval is how often the server pings a connection; zero means
	// 30 seconds.
	PingInterval time.Duration
	// PongWait is how long a connection may stay silent (no frame, no
	// pong) before it is dropped as dead; zero means 2 × PingInterval.
	PongWait time.Duration
	// WriteWait bounds each write to a connection; zero means 10 seconds.
	WriteWait time.Duration
	// MaxFrame is the largest client frame handled; zero means 256 KiB.
	// Frames up to four times larger get an error frame; larger ones close
	// the connection with 1009, since reading them at all costs memory.
	MaxFrame int64
}

// setDefaults fills in zero fields.
func (c *WSConfig) setDefaults() {
	if c.PingInterval == 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.PongWait == 0 {
		c.PongWait = 2 * c.PingInterval
	}
	if c.WriteWait == 0 {
		c.WriteWait = 10 * time.Second
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = 256 << 10
	}
}

// Close codes the server sends.
const (
	closeGoingAway  = websocket.CloseGoingAway // 1001: the server is shutting down
	closeTryAgain   = websocket.CloseTryAgainLater
	closeReadWindow = time.Second // how long to wait for the client's close reply
)

// upgrader upgrades WebSocket requests. Idle connections hold no write
// buffer: buffers come from a pool only while a frame is being written.
//
// Any origin is accepted: the endpoint authenticates with a token that the
// client sends explicitly, never with a cookie, so a page on another origin
// cannot act as a user it holds no token for.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// handleWebSocket handles GET /ws. The token is checked before the upgrade,
// so a bad one gets a plain 401.
func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	u, err := s.Service.Authenticate(r.Context(), requestToken(r, true))
	if err != nil {
		Error(w, r, err)
		return
	} else if !websocket.IsWebSocketUpgrade(r) {
		Error(w, r, parley.Errorf(parley.EINVALID, "this endpoint speaks WebSocket only"))
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the client
	}

	ctx, cancel := context.WithCancel(parley.NewContextWithUser(context.WithoutCancel(r.Context()), u))
	defer cancel()
	c := &wsConn{
		closing: s.closing,
		id:      rand.Text()[:16],
		user:    u,
		conn:    conn,
		config:  s.WS,
		service: s.Service,
		replies: make(chan []byte, 16),
		done:    make(chan struct{}),
		wrote:   make(chan struct{}),
	}
	c.logger = loggerFrom(r).With("component", "ws", "conn_id", c.id, "user_id", u.ID)

	s.conns.Add(1)
	defer s.conns.Done()
	c.sub = s.Hub.Subscribe(u.ID)
	defer s.Hub.Unsubscribe(c.sub)
	s.Service.Connected(ctx, u)
	defer s.Service.Disconnected(u)
	c.serve(ctx)
}

// wsConn is one open WebSocket connection. Its reader goroutine handles
// client frames one at a time; its writer goroutine alone writes, so that
// publishing never waits on the socket.
type wsConn struct {
	id      string
	user    *parley.User
	conn    *websocket.Conn
	sub     parley.Subscription
	config  WSConfig
	service *app.Service
	logger  *slog.Logger

	replies chan []byte   // answers to this connection's own frames
	done    chan struct{} // closed when the reader stops
	wrote   chan struct{} // closed when the writer stops
	closing chan struct{} // closed when the server shuts down
}

// serve runs the connection until either side ends it.
func (c *wsConn) serve(ctx context.Context) {
	// hello goes first, before the writer starts and any pushed frame
	// can overtake it.
	// Its sync token is taken after the subscription started, so that
	// GET /sync from it and the pushes that follow leave no gap between
	// them; what they both carry the client drops by position.
	token, err := c.service.SyncToken(ctx)
	if err != nil {
		c.logger.ErrorContext(ctx, "sync token for hello", "err", err)
		c.conn.Close()
		return
	}
	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "connection_id": c.id, "user": c.user, "sync_token": token,
	})
	c.conn.SetWriteDeadline(time.Now().Add(c.config.WriteWait))
	if err := c.conn.WriteMessage(websocket.TextMessage, hello); err != nil {
		c.conn.Close()
		return
	}

	go func() {
		defer close(c.wrote)
		c.writeLoop()
	}()
	c.readLoop(ctx)
	close(c.done)
	<-c.wrote
	c.conn.Close()
}

// readLoop reads client frames until the connection fails or closes. Any
// frame, and any pong, proves the peer alive and moves the deadline on.
func (c *wsConn) readLoop(ctx context.Context) {
	c.conn.SetReadLimit(4 * c.config.MaxFrame)
	alive := func() { c.conn.SetReadDeadline(time.Now().Add(c.config.PongWait)) }
	alive()
	c.conn.SetPongHandler(func(string) error { alive(); return nil })

	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			if !isWebSocketClose(err) && !errors.Is(err, websocket.ErrCloseSent) {
				c.logger.Debug("websocket read ended", "err", err)
			}
			return
		}
		alive()
		select {
		case <-c.closing:
			return // shutting down: take no more frames
		default:
		}

		// A writer that stopped (its socket failed) takes no more
		// replies; the reader must not wait for it.
		reply := c.handle(ctx, kind, data)
		if reply == nil {
			continue
		}
		select {
		case c.replies <- reply:
		case <-c.wrote:
			return
		}
	}
}

// writeLoop writes hello, replies, pushed events and pings, until the reader
// stops, a write fails, or the subscription ends.
func (c *wsConn) writeLoop() {
	ping := time.NewTicker(c.config.PingInterval)
	defer ping.Stop()

	for {
		var frame []byte
		select {
		case <-c.done:
			return
		case frame = <-c.replies:
		case f, ok := <-c.sub.Frames():
			if !ok || c.sub.Slow() {
				c.end()
				return
			}
			frame = f
		case <-ping.C:
			deadline := time.Now().Add(c.config.WriteWait)
			if err := c.conn.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				c.conn.Close()
				return
			}
			continue
		}

		c.conn.SetWriteDeadline(time.Now().Add(c.config.WriteWait))
		if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			// A client that stopped reading altogether fills its socket,
			// and the write times out before the close frame could be
			// sent: it sees the connection drop instead of 1013.
			if c.sub.Slow() {
				c.logger.Warn("websocket dropped: slow consumer stopped reading")
			}
			c.conn.Close()
			return
		}
	}
}

// end closes the connection because its subscription ended: with 1013 if it
// could not keep up, or 1001 at shutdown. The reader then gets the client's
// close reply, or gives up after a moment.
func (c *wsConn) end() {
	code, reason := closeGoingAway, "server shutting down"
	if c.sub.Slow() {
		code, reason = closeTryAgain, "too slow: catch up with GET /sync"
		c.logger.Warn("websocket closed: slow consumer")
	}
	msg := websocket.FormatCloseMessage(code, reason)
	c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.config.WriteWait))
	c.conn.SetReadDeadline(time.Now().Add(closeReadWindow))
}
