package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

func init() { targets["parley"] = newParley }

// parley is the Parley target: it drives Parley's HTTP API and WebSocket
// endpoint as clients do, and implements every scenario interface.
//
// Its options (--opt key=value):
//
//	run         the run ID in the users' emails, bench-<run>-<i>@example.com
//	            (default: random); the same ID reuses the same users
//	password    the users' password (default parley-bench-password)
//	signups     sign-ups at once (default 8)
//	channels    send: channels the sends are spread over (default 1)
//	idle_users  idle: users the connections are shared among (default 100)
//	email       history: read as this existing (seeded) user
//	code        history: a reset code for email, from parley user
//	            reset-password, to set the password with first
//	workspace   history: the workspace, by ID or name (default: the
//	            user's first that has the channel)
//	channel     history: the channel, by ID or name (default history)
//
// Users are created once per run ID and signed in again on later runs.
// Access tokens last 15 minutes, which every scenario's run fits in; the
// target does not refresh them.
type parley struct {
	bases    []string // http://host:port of each node, without a trailing slash
	wsURLs   []string // ws://host:port/ws of each node
	run      string
	password string
	opts     map[string]string
	client   *http.Client
	dialer   *websocket.Dialer

	users       []*benchUser // signed in; user i is bench-<run>-<i>
	workspaceID string       // bench-<run>, with users as members
	channelID   string       // where sends and fanout go: its general
	sendPaths   []string     // POST paths of the channels sends go to

	history   *benchUser // who reads history, and where
	historyWS string
	historyCh string

	publisher *benchUser   // fanout's sender, not among its receivers
	closing   atomic.Bool  // set by Close, so receivers stop quietly
	ended     atomic.Int64 // connections the server ended before Close
	connMu    sync.Mutex   // guards conns
	conns     []*websocket.Conn
}

// Interfaces the Parley target implements.
var (
	_ Sender        = (*parley)(nil)
	_ HistoryReader = (*parley)(nil)
	_ Fanout        = (*parley)(nil)
	_ Idler         = (*parley)(nil)
	_ Connector     = (*parley)(nil)
	_ IdlePreparer  = (*parley)(nil)
)

// node returns the index of the node u talks to: the first for nil.
func (p *parley) node(u *benchUser) int {
	if u == nil || len(p.bases) == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(u.email))
	return int(h.Sum32() % uint32(len(p.bases)))
}

// base returns the HTTP base URL of u's node.
func (p *parley) base(u *benchUser) string { return p.bases[p.node(u)] }

// benchUser is a signed-in user: an email and its Authorization header.
type benchUser struct {
	email string
	auth  string // "Bearer <access token>"
}

// newParley makes the Parley target for cfg. --url may list several nodes
// of a cluster, separated by commas: each user then talks to one of them,
// chosen by their email, over HTTP and WebSocket alike.
func newParley(cfg TargetConfig) (any, error) {
	var bases, wsURLs []string
	for _, raw := range strings.Split(cfg.URL, ",") {
		u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--url %q: want http://host:port, or several separated by commas", cfg.URL)
		}
		ws := *u
		ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		ws.Path += "/ws"
		bases, wsURLs = append(bases, u.String()), append(wsURLs, ws.String())
	}

	p := &parley{
		bases:    bases,
		wsURLs:   wsURLs,
		run:      cfg.Options["run"],
		password: cfg.Options["password"],
		opts:     cfg.Options,
		client:   newHTTPClient(),
		dialer:   newDialer(),
	}
	if p.password == "" {
		p.password = "parley-bench-password"
	}
	if p.run == "" {
		p.run = strings.ToLower(rand.Text()[:6])
	}
	return p, nil
}

// newHTTPClient returns a client that keeps its connections to the server
// alive, so that high send rates reuse them instead of opening a socket per
// request, and opens at most maxConns: calls beyond that wait for a free
// connection, and the wait counts in their latency. Without the bound, a
// moment of slowness makes the client open hundreds of connections at
// once, and the server then spends itself accepting them, which no client
// behind a load balancer's connection pool would make it do.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxConnsPerHost:     maxConns,
			MaxIdleConns:        maxConns,
			MaxIdleConnsPerHost: maxConns,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// maxConns bounds the HTTP connections a target opens to its server.
const maxConns = 256

// intOption returns the option key as a positive number, or def.
func (p *parley) intOption(key string, def int) int {
	if n, err := strconv.Atoi(p.opts[key]); err == nil && n > 0 {
		return n
	}
	return def
}

// call sends one API request with a JSON body (nil for none) as u (nil for
// none), and decodes the answer into out (nil to discard it). An answer
// other than want is an error quoting the server's message.
func (p *parley) call(ctx context.Context, method, path string, u *benchUser, body, out any, want int) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base(u)+path, r)
	if err != nil {
		return err
	}
	if u != nil {
		req.Header.Set("Authorization", u.auth)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode != want {
		return statusError(method, path, resp)
	} else if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// errStatus is wrapped by every error of an unexpected status, so that
// callers can tell the server's refusal from a broken connection.
var errStatus = errors.New("unexpected status")

// statusError describes an unexpected answer, with the start of its body.
func statusError(method, path string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	return fmt.Errorf("%s %s: %w %d: %s", method, path, errStatus, resp.StatusCode, bytes.TrimSpace(body))
}

// isStatus reports whether err is an answer with the given status.
func isStatus(err error, status int) bool {
	return errors.Is(err, errStatus) && strings.Contains(err.Error(), " "+strconv.Itoa(status)+": ")
}

// PrepareSend signs up users and puts them in the run's workspace; they
// send into its general channel. With the option channels=N they spread
// their sends over N channels, general and send-1 … send-N-1, which shows
// what one busy channel costs beside the same load on several.
func (p *parley) PrepareSend(ctx context.Context, users int) error {
	if err := p.signIn(ctx, users); err != nil {
		return err
	} else if err := p.joinWorkspace(ctx, users); err != nil {
		return err
	}
	p.sendPaths = []string{"/messages/" + p.workspaceID + "/" + p.channelID}
	for j := 1; j < p.intOption("channels", 1); j++ {
		ch, err := p.ensureChannel(ctx, "send-"+strconv.Itoa(j), p.users[:users])
		if err != nil {
			return err
		}
		p.sendPaths = append(p.sendPaths, "/messages/"+p.workspaceID+"/"+ch)
	}
	return nil
}

// Send posts one message as user i%users, into channel i%channels, and
// waits for its 201, which Parley answers once the message is committed.
func (p *parley) Send(ctx context.Context, i int) error {
	u := p.users[i%len(p.users)]
	body := fmt.Appendf(nil, `{"message":"bench message %d"}`, i)
	return p.post(ctx, u, p.sendPaths[i%len(p.sendPaths)], body)
}

// post posts a ready JSON body as u and wants 201, discarding the answer.
// It is Send's and Publish's lean path: no encoding, no decoding.
func (p *parley) post(ctx context.Context, u *benchUser, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base(u)+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", u.auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return statusError(http.MethodPost, path, resp)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
