package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// chatClient is parley chat: a minimal terminal client for trying the
// server out. Each line typed is sent to one channel or one user; every
// frame the server pushes is printed as it arrives.
type chatClient struct {
	url, token         string
	workspace, channel string
	dm                 string
	stdin              io.Reader
	stdout, stderr     io.Writer

	// names maps channel IDs to names, read from the workspace at the
	// start, so that every line can say where it happened.
	names map[string]string

	mu       sync.Mutex
	pending  int  // sends not yet answered with an ack or an error
	failed   bool // a send was refused
	quitting bool // the client is closing the connection itself
	settled  chan struct{}
}

// chatAnswerWait bounds how long parley chat waits, after its input ends,
// for the answers to what it sent.
const chatAnswerWait = 5 * time.Second

// runChat parses the flags of parley chat and runs it until stdin ends or
// the server closes the connection.
func runChat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &chatClient{stdin: stdin, stdout: stdout, stderr: stderr, settled: make(chan struct{}, 1)}
	fs := flag.NewFlagSet("parley chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "server URL")
	fs.StringVar(&c.token, "token", getenv("PARLEY_TOKEN"), "access token (env PARLEY_TOKEN)")
	fs.StringVar(&c.workspace, "workspace", "", "workspace ID of the channel to write to")
	fs.StringVar(&c.channel, "channel", "", "channel ID to write to")
	fs.StringVar(&c.dm, "dm", "", "email of a user to write to directly, instead of a channel")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case c.token == "":
		return errors.New("chat: --token or PARLEY_TOKEN is required")
	case c.dm != "" && (c.workspace != "" || c.channel != ""):
		return errors.New("chat: give --workspace and --channel, or --dm EMAIL, not both")
	case c.dm == "" && (c.workspace == "" || c.channel == ""):
		return errors.New("chat: give --workspace and --channel, or --dm EMAIL")
	}
	return c.run(ctx)
}

// run connects and relays between the terminal and the server. It fails if
// the server refused anything that was sent.
func (c *chatClient) run(ctx context.Context) error {
	u, err := url.Parse(c.url)
	if err != nil {
		return fmt.Errorf("chat: --url: %w", err)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/ws"

	header := http.Header{"Authorization": {"Bearer " + c.token}}
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, u.String(), header)
	if err != nil {
		if resp != nil {
			var body struct{ Message string }
			json.NewDecoder(resp.Body).Decode(&body)
			return fmt.Errorf("chat: connect: %s: %s", resp.Status, body.Message)
		}
		return fmt.Errorf("chat: connect: %w", err)
	}
	defer conn.Close()
	c.names = c.channelNames(ctx)

	go c.send(conn)
	for {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			c.mu.Lock()
			quitting, failed := c.quitting, c.failed
			c.mu.Unlock()
			if errors.As(err, &ce) && !quitting {
				fmt.Fprintf(c.stderr, "closed by the server: %d %s\n", ce.Code, ce.Text)
			}
			if failed {
				return errors.New("chat: the server refused a message")
			}
			return nil
		}
		fmt.Fprintln(c.stdout, c.describe(frame))
	}
}

// send writes each line of stdin as a message. When stdin ends, it waits a
// moment for the answers to what it sent, then closes the connection.
func (c *chatClient) send(conn *websocket.Conn) {
	lines := bufio.NewScanner(c.stdin)
	for lines.Scan() {
		if strings.TrimSpace(lines.Text()) == "" {
			continue
		}
		f := map[string]string{"action": "channelChat", "workspace_id": c.workspace,
			"channel_id": c.channel, "message": lines.Text()}
		if c.dm != "" {
			f = map[string]string{"action": "dmChat", "receiver": c.dm, "message": lines.Text()}
		}
		c.mu.Lock()
		c.pending++
		c.mu.Unlock()
		if err := conn.WriteJSON(f); err != nil {
			return
		}
	}

	deadline := time.NewTimer(chatAnswerWait)
	defer deadline.Stop()
wait:
	for c.waiting() {
		select {
		case <-c.settled:
		case <-deadline.C:
			fmt.Fprintln(c.stderr, "no answer from the server for some messages")
			c.mu.Lock()
			c.failed = true
			c.mu.Unlock()
			break wait
		}
	}
	c.mu.Lock()
	c.quitting = true
	c.mu.Unlock()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	conn.WriteMessage(websocket.CloseMessage, msg)
}

// waiting reports whether sends are still unanswered.
func (c *chatClient) waiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending > 0
}

// answered notes the answer to one send.
func (c *chatClient) answered(refused bool) {
	c.mu.Lock()
	c.pending--
	c.failed = c.failed || refused
	c.mu.Unlock()
	select {
	case c.settled <- struct{}{}:
	default:
	}
}

// channelNames reads the names of the workspace's channels, if the client
// writes to one. Without them, lines name channels by ID.
func (c *chatClient) channelNames(ctx context.Context) map[string]string {
	names := map[string]string{}
	if c.workspace == "" {
		return names
	}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(c.url, "/")+"/workspace/"+url.PathEscape(c.workspace), nil)
	if err != nil {
		return names
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return names
	}
	defer resp.Body.Close()
	var ws struct {
		Channels []struct {
			ID   string `json:"channel_id"`
			Name string `json:"channel_name"`
		} `json:"channels"`
	}
	if json.NewDecoder(resp.Body).Decode(&ws) == nil {
		for _, ch := range ws.Channels {
			names[ch.ID] = ch.Name
		}
	}
	return names
}

// chatEvent is the union of the fields parley chat reads from frames.
type chatEvent struct {
	Type      string `json:"type"`
	ChannelID string `json:"channel_id"`
	Sender    string `json:"sender"`
	Receiver  string `json:"receiver"`
	Message   string `json:"message"`
	ParentID  string `json:"parent_id"`
	Seq       int64  `json:"seq"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Channel   string `json:"channel_name"`
	Topic     string `json:"topic"`
	Purpose   string `json:"purpose"`
	Archived  bool   `json:"archived"`
	Replies   int    `json:"reply_count"`
	Presence  string `json:"presence"`
	// NewChannel is the channel a member_joined_channel or channel_created
	// event carries.
	NewChannel *struct {
		Name string `json:"channel_name"`
	} `json:"channel"`
	Unread   int   `json:"unread_count"`
	LastRead int64 `json:"last_read_seq"`
	// User is the whole user in hello, and an email in other events.
	User json.RawMessage `json:"user"`
}

// where names the conversation of a frame: "#design", or "dm ann@…".
func (c *chatClient) where(f *chatEvent) string {
	switch {
	case f.ChannelID != "" && c.names[f.ChannelID] != "":
		return "#" + c.names[f.ChannelID]
	case f.ChannelID != "":
		return "#" + f.ChannelID
	case f.Receiver != "":
		return "dm " + f.Sender + " → " + f.Receiver
	}
	return "dm"
}

// describe renders a server frame as one readable line, and notes the
// answers to this client's sends.
func (c *chatClient) describe(frame []byte) string {
	var f chatEvent
	if json.Unmarshal(frame, &f) != nil {
		return string(frame)
	}
	var user string
	json.Unmarshal(f.User, &user)
	if f.NewChannel != nil && f.ChannelID != "" {
		c.names[f.ChannelID] = f.NewChannel.Name
	}

	switch f.Type {
	case "hello":
		var u struct{ Email, Nickname string }
		json.Unmarshal(f.User, &u)
		return fmt.Sprintf("connected as %s (%s); type a line and press Enter to send it", u.Email, u.Nickname)
	case "message":
		thread := ""
		if f.ParentID != "" {
			thread = " (in a thread)"
		}
		return fmt.Sprintf("[%s] #%d %s%s: %s", c.where(&f), f.Seq, f.Sender, thread, f.Message)
	case "message_changed":
		return fmt.Sprintf("[%s] #%d edited by %s: %s", c.where(&f), f.Seq, f.Sender, f.Message)
	case "message_deleted":
		return fmt.Sprintf("[%s] #%d was deleted", c.where(&f), f.Seq)
	case "thread_reply":
		return fmt.Sprintf("[%s] #%d has %d replies in its thread", c.where(&f), f.Seq, f.Replies)
	case "reaction_added":
		return fmt.Sprintf("[%s] %s reacted to #%d with :%s:", c.where(&f), user, f.Seq, f.Name)
	case "reaction_removed":
		return fmt.Sprintf("[%s] %s took back :%s: from #%d", c.where(&f), user, f.Name, f.Seq)
	case "message_pinned":
		return fmt.Sprintf("[%s] %s pinned #%d", c.where(&f), user, f.Seq)
	case "message_unpinned":
		return fmt.Sprintf("[%s] %s unpinned #%d", c.where(&f), user, f.Seq)
	case "channel_updated":
		c.names[f.ChannelID] = f.Channel
		state := "open"
		if f.Archived {
			state = "archived"
		}
		return fmt.Sprintf("[#%s] channel settings: %s; topic %q; purpose %q", f.Channel, state, f.Topic, f.Purpose)
	case "presence_change":
		return fmt.Sprintf("  %s is %s", user, f.Presence)
	case "typing":
		return fmt.Sprintf("[%s] %s is typing…", c.where(&f), user)
	case "read_marker":
		return fmt.Sprintf("[%s] read up to #%d elsewhere; %d unread", c.where(&f), f.LastRead, f.Unread)
	case "member_joined_channel", "member_left_channel":
		verb := map[string]string{"member_joined_channel": "joined", "member_left_channel": "left"}[f.Type]
		return fmt.Sprintf("[%s] %s %s", c.where(&f), user, verb)
	case "channel_created", "channel_deleted":
		verb := map[string]string{"channel_created": "created", "channel_deleted": "deleted"}[f.Type]
		return fmt.Sprintf("[%s] %s by %s", c.where(&f), verb, user)
	case "member_joined_workspace", "member_left_workspace":
		verb := map[string]string{"member_joined_workspace": "joined", "member_left_workspace": "left"}[f.Type]
		return fmt.Sprintf("  %s %s the workspace", user, verb)
	case "workspace_deleted":
		return "  the workspace was deleted"
	case "ack":
		c.answered(false)
		return fmt.Sprintf("  (stored as #%d)", f.Seq)
	case "error":
		c.answered(true)
		return fmt.Sprintf("  refused, %s: %s", f.Code, f.Message)
	}
	return string(frame)
}
