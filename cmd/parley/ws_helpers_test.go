package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The WebSocket client of the end-to-end tests.

// Frame is a server frame of any type, with the fields of every type.
// For an error frame, Message is the error's message; for a message
// frame, the message's text.
type Frame struct {
	Type         string `json:"type"`
	ConnectionID string `json:"connection_id"`
	User         *User  `json:"user"`
	Code         string `json:"code"`
	ClientMsgID  string `json:"client_msg_id"`
	MessageID    string `json:"message_id"`
	Seq          int64  `json:"seq"`
	WorkspaceID  string `json:"workspace_id"`
	ChannelID    string `json:"channel_id"`
	Sender       string `json:"sender"`
	Receiver     string `json:"receiver"`
	Message      string `json:"message"`
	CreatedAt    string `json:"createdAt"`

	// Raw is the frame as received, for the fields of event types that
	// Frame does not name.
	Raw []byte `json:"-"`
}

// WSClient is a WebSocket connection whose frames a goroutine reads into a
// list that the test polls.
type WSClient struct {
	Conn *websocket.Conn

	// DropText keeps frames without their text, for tests that receive a
	// great many. Once the client reads, set it only while holding mu.
	DropText bool

	mu      sync.Mutex
	frames  []Frame
	next    int   // the first frame Next has not passed yet
	readErr error // why reading stopped, once it has
	done    chan struct{}
}

// WSURL returns the server's WebSocket URL.
func (s *Server) WSURL() string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
}

// DialWS opens a raw WebSocket connection with the given header and query,
// returning the handshake's response even on failure.
func (s *Server) DialWS(tb testing.TB, header http.Header, query url.Values) (*websocket.Conn, *http.Response, error) {
	tb.Helper()
	u := s.WSURL()
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	d := websocket.Dialer{HandshakeTimeout: timeout}
	return d.Dial(u, header)
}

// MustConnect opens a WebSocket connection as sess, reads its frames in
// the background, and waits for its hello.
func (s *Server) MustConnect(tb testing.TB, sess *Session) *WSClient {
	tb.Helper()
	conn, resp, err := s.DialWS(tb, http.Header{"Authorization": {"Bearer " + sess.AccessToken}}, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial as %s: %v (status %d)", sess.Email(), err, status)
	}
	c := NewWSClient(tb, conn)
	hello := c.Next(tb, "hello", IsType("hello"))
	if hello.User == nil || hello.User.Email != sess.Email() {
		tb.Fatalf("hello user=%+v, want %s", hello.User, sess.Email())
	}
	return c
}

// NewWSClient starts reading conn's frames in the background; the
// connection is closed at the end of the test.
func NewWSClient(tb testing.TB, conn *websocket.Conn) *WSClient {
	c := &WSClient{Conn: conn, done: make(chan struct{})}
	go c.read()
	tb.Cleanup(func() {
		conn.Close()
		<-c.done
	})
	return c
}

// read appends every frame to the list until the connection ends.
func (c *WSClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.Conn.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			return
		}
		// A field that Frame types otherwise, such as the email that
		// reaction and pin events carry as "user", is left zero; the
		// rest of the frame is still read.
		var f Frame
		var wrongType *json.UnmarshalTypeError
		if err := json.Unmarshal(data, &f); err != nil && !errors.As(err, &wrongType) {
			f = Frame{Type: "!undecodable", Message: string(data)}
		}
		c.mu.Lock()
		if c.DropText {
			f.Message = ""
		} else {
			f.Raw = data
		}
		c.frames = append(c.frames, f)
		c.mu.Unlock()
	}
}

// Send writes v as a JSON text frame.
func (c *WSClient) Send(tb testing.TB, v any) {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode frame: %v", err)
	}
	c.SendRaw(tb, websocket.TextMessage, data)
}

// SendRaw writes one frame of the given kind.
func (c *WSClient) SendRaw(tb testing.TB, kind int, data []byte) {
	tb.Helper()
	c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	if err := c.Conn.WriteMessage(kind, data); err != nil {
		tb.Fatalf("write frame: %v", err)
	}
}

// Frames returns a copy of every frame received so far.
func (c *WSClient) Frames() []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Frame(nil), c.frames...)
}

// Has reports whether a frame received so far satisfies match. It looks
// at the newest frames first.
func (c *WSClient) Has(match func(Frame) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.frames) - 1; i >= 0; i-- {
		if match(c.frames[i]) {
			return true
		}
	}
	return false
}

// Err returns why reading stopped, or nil while it goes on.
func (c *WSClient) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.readErr
}

// Next waits for the first frame after the last one Next returned that
// satisfies match, and returns it; the frames before it are passed over.
// It fails the test if the connection ends or the deadline passes first.
func (c *WSClient) Next(tb testing.TB, what string, match func(Frame) bool) Frame {
	tb.Helper()
	return c.await(tb, what, func() (Frame, bool) {
		i := slices.IndexFunc(c.frames[c.next:], match)
		if i < 0 {
			return Frame{}, false
		}
		c.next += i + 1
		return c.frames[c.next-1], true
	})
}

// Find waits for a frame, among all received so far and to come, that
// satisfies match, and returns it. Unlike Next, it does not care about
// order, and it moves nothing: frames pushed by the hub and replies to the
// connection's own frames may come in either order.
func (c *WSClient) Find(tb testing.TB, what string, match func(Frame) bool) Frame {
	tb.Helper()
	return c.await(tb, what, func() (Frame, bool) {
		i := slices.IndexFunc(c.frames, match)
		if i < 0 {
			return Frame{}, false
		}
		return c.frames[i], true
	})
}

// await calls scan, with c.mu held, until it finds a frame, and returns
// that frame. It fails the test if the connection ends or the deadline
// passes first; what says what is awaited.
func (c *WSClient) await(tb testing.TB, what string, scan func() (Frame, bool)) Frame {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		f, found := scan()
		err := c.readErr
		c.mu.Unlock()
		if found {
			return f
		} else if err != nil {
			tb.Fatalf("connection ended waiting for %s: %v", what, err)
		} else if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s; frames %+v", what, c.Frames())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Ping sends a ping action and waits for its pong: proof that the
// connection is still usable and that every frame sent before it has been
// handled.
func (c *WSClient) Ping(tb testing.TB) {
	tb.Helper()
	c.Send(tb, map[string]string{"action": "ping"})
	c.Next(tb, "pong", IsType("pong"))
}

// IsType matches frames of a type.
func IsType(typ string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == typ }
}

// IsMessage matches the message frame of a message ID.
func IsMessage(id string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == "message" && f.MessageID == id }
}

// IsMessageText matches a message frame by its text.
func IsMessageText(text string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == "message" && f.Message == text }
}

// IsAck matches the ack of a client_msg_id.
func IsAck(clientMsgID string) func(Frame) bool {
	return func(f Frame) bool { return f.Type == "ack" && f.ClientMsgID == clientMsgID }
}
