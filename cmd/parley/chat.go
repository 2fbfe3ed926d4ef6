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
}

// runChat parses the flags of parley chat and runs it until stdin ends or
// the server closes the connection.
func runChat(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &chatClient{stdin: stdin, stdout: stdout, stderr: stderr}
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
	if c.token == "" {
		return errors.New("chat: --token or PARLEY_TOKEN is required")
	} else if c.dm == "" && (c.workspace == "" || c.channel == "") {
		return errors.New("chat: give --workspace and --channel, or --dm EMAIL")
	}
	return c.run(ctx)
}

// run connects and relays between the terminal and the server.
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
			return fmt.Errorf("chat: connect: %s", resp.Status)
		}
		return fmt.Errorf("chat: connect: %w", err)
	}
	defer conn.Close()

	go c.send(conn)
	for {
		_, frame, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				fmt.Fprintf(c.stderr, "closed by server: %d %s\n", ce.Code, ce.Text)
				return nil
			}
			return nil
		}
		fmt.Fprintln(c.stdout, describe(frame))
	}
}

// send writes each line of stdin as a message, and closes the connection
// when stdin ends.
func (c *chatClient) send(conn *websocket.Conn) {
	lines := bufio.NewScanner(c.stdin)
	for lines.Scan() {
		f := map[string]string{"action": "channelChat", "workspace_id": c.workspace,
			"channel_id": c.channel, "message": lines.Text()}
		if c.dm != "" {
			f = map[string]string{"action": "dmChat", "receiver": c.dm, "message": lines.Text()}
		}
		if err := conn.WriteJSON(f); err != nil {
			return
		}
	}
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	conn.WriteMessage(websocket.CloseMessage, msg)
}

// describe renders a server frame as one readable line.
func describe(frame []byte) string {
	var f struct {
		Type    string `json:"type"`
		Sender  string `json:"sender"`
		Message string `json:"message"`
		Seq     int64  `json:"seq"`
		Code    string `json:"code"`
	}
	if json.Unmarshal(frame, &f) != nil {
		return string(frame)
	}
	switch f.Type {
	case "message":
		return fmt.Sprintf("#%d %s: %s", f.Seq, f.Sender, f.Message)
	case "ack":
		return fmt.Sprintf("  (stored as #%d)", f.Seq)
	case "error":
		return fmt.Sprintf("  error %s: %s", f.Code, f.Message)
	}
	return string(frame)
}
