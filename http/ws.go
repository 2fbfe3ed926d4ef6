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

	// The connection runs on goroutines of its own, and this handler
	// returns: the goroutine net/http ran it on would otherwise live as
	// long as the connection, holding its grown stack and the request's
	// buffers, about 20 KiB an idle connection does without. The
	// request's log line therefore times the upgrade, not the connection.
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
		logger:  loggerFrom(r),
	}
	s.conns.Add(1)
	c.sub = s.Hub.Subscribe(u.ID)
	ctx, cancel := context.WithCancel(parley.NewContextWithUser(context.WithoutCancel(r.Context()), u))
	s.Service.Connected(ctx, u)
	stop := func() {
		cancel()
		s.Service.Disconnected(u)
		s.Hub.Unsubscribe(c.sub)
		conn.Close()
		s.conns.Done()
	}
	if !c.hello(ctx) {
		stop()
		return
	}
	go func() {
		defer close(c.wrote)
		c.writeLoop()
	}()
	go func() {
		defer stop()
		c.readLoop(ctx)
		close(c.done)
		<-c.wrote
	}()
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

	// logger is the request's. Connections log rarely, so the connection's
	// own attributes are added per line by log, rather than kept in a
	// logger of their own by every idle connection.
	logger *slog.Logger

	replies chan []byte   // answers to this connection's own frames
	done    chan struct{} // closed when the reader stops
	wrote   chan struct{} // closed when the writer stops
	closing chan struct{} // closed when the server shuts down
}

// log writes one line about the connection.
func (c *wsConn) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	args = append(args, "component", "ws", "conn_id", c.id, "user_id", c.user.ID)
	c.logger.Log(ctx, level, msg, args...)
}

// helloFrame is the first frame of every connection.
type helloFrame struct {
	Type         string       `json:"type"`
	ConnectionID string       `json:"connection_id"`
	User         *parley.User `json:"user"`
	SyncToken    string       `json:"sync_token"`
}

// hello writes the first frame, before the writer starts and any pushed
// frame can overtake it, and reports whether it went out. Its sync token is
// taken after the subscription started, so that GET /sync from it and the
// pushes that follow leave no gap between them; what they both carry the
// client drops by position.
func (c *wsConn) hello(ctx context.Context) bool {
	token, err := c.service.SyncToken(ctx)
	if err != nil {
		// The store failed (it is down, say): the client gets a close
		// code that says so, rather than a connection that just drops.
		c.log(ctx, slog.LevelError, "sync token for hello", "err", err)
		msg := websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "server error: try again")
		c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.config.WriteWait))
		return false
	}
	hello, _ := json.Marshal(helloFrame{Type: "hello", ConnectionID: c.id, User: c.user, SyncToken: token})
	c.conn.SetWriteDeadline(time.Now().Add(c.config.WriteWait))
	return c.conn.WriteMessage(websocket.TextMessage, hello) == nil
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
				c.log(ctx, slog.LevelDebug, "websocket read ended", "err", err)
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

// writeLoop writes replies, pushed events and pings, until the reader
// stops, a write fails, or the subscription ends.
func (c *wsConn) writeLoop() {
	ping := time.NewTicker(c.config.PingInterval)
	defer ping.Stop()

	var frames [][]byte
	for {
		select {
		case <-c.done:
			return
		case frame := <-c.replies:
			if !c.write(frame) {
				return
			}
		case <-c.sub.Ready():
			var open bool
			frames, open = c.sub.Take(frames)
			if c.sub.Slow() || !open {
				c.end()
				return
			}
			for i, frame := range frames {
				frames[i] = nil // the frame may go once written
				if !c.write(frame) {
					return
				}
			}
		case <-ping.C:
			deadline := time.Now().Add(c.config.WriteWait)
			if err := c.conn.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				c.conn.Close()
				return
			}
		}
	}
}

// write writes one frame and reports whether it went out. On failure it
// closes the connection, which ends the reader too.
func (c *wsConn) write(frame []byte) bool {
	c.conn.SetWriteDeadline(time.Now().Add(c.config.WriteWait))
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		// A client that stopped reading altogether fills its socket, and
		// the write times out before the close frame could be sent: it
		// sees the connection drop instead of 1013.
		if c.sub.Slow() {
			c.log(context.Background(), slog.LevelWarn, "websocket dropped: slow consumer stopped reading")
		}
		c.conn.Close()
		return false
	}
	return true
}

// end closes the connection because its subscription ended: with 1013 if it
// could not keep up, or 1001 at shutdown. The reader then gets the client's
// close reply, or gives up after a moment.
func (c *wsConn) end() {
	// A subscription ends as slow when its queue was full, and also when
	// the node may have missed events from others (see natsbus): either
	// way the client must catch up, which is all the reason says.
	code, reason := closeGoingAway, "server shutting down"
	if c.sub.Slow() {
		code, reason = closeTryAgain, "catch up with GET /sync"
		c.log(context.Background(), slog.LevelInfo, "websocket closed: client must catch up")
	}
	msg := websocket.FormatCloseMessage(code, reason)
	c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.config.WriteWait))
	c.conn.SetReadDeadline(time.Now().Add(closeReadWindow))
}
