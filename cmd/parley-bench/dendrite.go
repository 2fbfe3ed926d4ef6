package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// init registers the Dendrite target.
func init() { targets["dendrite"] = newDendrite }

// dendrite is the target for Dendrite, the peer of the send and history
// scenarios: a Matrix homeserver in Go that, like Parley, stores every
// message before it answers. It is driven over the Matrix client-server
// API (v3).
//
// The target registers its own users through /register with the dummy
// flow, so the server must allow open registration (registration_disabled:
// false and --really-enable-open-registration), with no captcha and no
// shared secret. A user that exists already is logged in instead, so that
// a target can run again on the same database. Rate limiting should be
// off: the load comes from a handful of users.
//
// Options (--opt key=value):
//
//	password       the users' password (default "bench-password-1")
//	prefix         the users' and rooms' name prefix (default "bench")
//	history_users  how many users read history, in turn (default 4)
//	seed_workers   how many messages PrepareHistory sends at once (default 32)
type dendrite struct {
	api         string // http://host/_matrix/client/v3
	password    string
	prefix      string
	histUsers   int
	seedWorkers int
	http        *http.Client

	// txn numbers the sends. Matrix scopes a transaction ID to the access
	// token, and every run logs in afresh, so a counter is unique enough;
	// a repeated ID would be answered from a cache without storing.
	txn atomic.Uint64

	send mxRoom // PrepareSend's users and room
	hist mxRoom // PrepareHistory's users and room
	// histSize is how many messages the history room holds, and next picks
	// the user of the next read.
	histSize int
	next     atomic.Uint64
}

var (
	_ Sender        = (*dendrite)(nil)
	_ HistoryReader = (*dendrite)(nil)
)

// mxRoom is a room and the access tokens of the users in it.
type mxRoom struct {
	id     string
	tokens []string
}

// newDendrite returns the Dendrite target for cfg.
func newDendrite(cfg TargetConfig) (any, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("dendrite: --url %q: want http://host:port", cfg.URL)
	}
	d := &dendrite{
		api:         strings.TrimSuffix(cfg.URL, "/") + "/_matrix/client/v3",
		password:    peerOpt(cfg.Options, "password", "bench-password-1"),
		prefix:      peerOpt(cfg.Options, "prefix", "bench"),
		http:        newPeerHTTPClient(),
		histUsers:   4,
		seedWorkers: 32,
	}
	for name, p := range map[string]*int{"history_users": &d.histUsers, "seed_workers": &d.seedWorkers} {
		if v, ok := cfg.Options[name]; ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("dendrite: --opt %s=%q: want a positive number", name, v)
			}
			*p = n
		}
	}
	return d, nil
}

// peerOpt returns the option, or def when it is not set.
func peerOpt(opts map[string]string, key, def string) string {
	if v, ok := opts[key]; ok && v != "" {
		return v
	}
	return def
}

// PrepareSend registers (or logs in) users and puts them all in one room.
func (d *dendrite) PrepareSend(ctx context.Context, users int) error {
	room, err := d.prepareRoom(ctx, "send", users)
	if err != nil {
		return err
	}
	d.send = room
	return nil
}

// Send sends one text message as user i%users, and returns once Dendrite
// has answered with the event's ID, which it does once the event is stored.
func (d *dendrite) Send(ctx context.Context, i int) error {
	token := d.send.tokens[i%len(d.send.tokens)]
	_, err := d.sendText(ctx, d.send.id, token, fmt.Sprintf("bench message %d", i))
	return err
}

// mxSeedState is the type of the state event in which PrepareHistory keeps
// how many messages it has sent into the room, so that a later run on the
// same database knows without counting them.
const mxSeedState = "org.parleychat.bench.seeded"

// PrepareHistory makes sure the history room holds at least n messages,
// sending the missing ones seedWorkers at a time, and waits until
// Dendrite's sync API, which serves /messages, has caught up with them.
func (d *dendrite) PrepareHistory(ctx context.Context, n int) (int, error) {
	room, err := d.prepareRoom(ctx, "history", d.histUsers)
	if err != nil {
		return 0, err
	}
	d.hist = room

	var seeded struct {
		Count int `json:"count"`
	}
	path := "/rooms/" + url.PathEscape(room.id) + "/state/" + mxSeedState + "/"
	err = d.do(ctx, "GET", path, room.tokens[0], nil, &seeded)
	if err != nil && !isMatrixError(err, "M_NOT_FOUND") {
		return 0, fmt.Errorf("dendrite: read the seed count: %w", err)
	}
	if missing := n - seeded.Count; missing > 0 {
		if err := d.seed(ctx, room, seeded.Count, missing); err != nil {
			return 0, err
		}
		seeded.Count = n
	}

	// The count goes in last, so that its event is the newest of the
	// room: once /messages returns it, the sync API has everything.
	var put mxEventID
	if err := d.do(ctx, "PUT", path, room.tokens[0], seeded, &put); err != nil {
		return 0, fmt.Errorf("dendrite: write the seed count: %w", err)
	}
	if err := d.waitNewest(ctx, room, put.EventID); err != nil {
		return 0, err
	}
	d.histSize = seeded.Count
	return seeded.Count, nil
}

// seed sends missing messages into room, numbered from first on, with
// seedWorkers in flight, and logs its progress: a large room takes minutes.
func (d *dendrite) seed(ctx context.Context, room mxRoom, first, missing int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for w := range d.seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token := room.tokens[w%len(room.tokens)]
			for i := next.Add(1) - 1; i < int64(missing) && ctx.Err() == nil; i = next.Add(1) - 1 {
				body := fmt.Sprintf("history message %d", first+int(i))
				if _, err := d.sendText(ctx, room.id, token, body); err != nil {
					cancel(fmt.Errorf("dendrite: seed message %d: %w", first+int(i), err))
					return
				}
				done.Add(1)
			}
		}()
	}

	start := time.Now()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			log.Printf("dendrite: seeded %d messages in %s", missing, time.Since(start).Round(time.Second))
			return context.Cause(ctx)
		case <-tick.C:
			n := done.Load()
			log.Printf("dendrite: seeded %d of %d messages (%.0f/s)",
				n, missing, float64(n)/time.Since(start).Seconds())
		}
	}
}

// waitNewest waits until the newest event /messages returns is eventID.
func (d *dendrite) waitNewest(ctx context.Context, room mxRoom, eventID string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		page, err := d.newest(ctx, room, room.tokens[0], 1)
		if err != nil {
			return err
		}
		if len(page.Chunk) > 0 && page.Chunk[0].EventID == eventID {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dendrite: /messages has not caught up with the seeded room after 5 minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ReadNewest reads the newest 50 events of the history room, as its users
// in turn, and checks that a full page came back.
func (d *dendrite) ReadNewest(ctx context.Context) error {
	token := d.hist.tokens[d.next.Add(1)%uint64(len(d.hist.tokens))]
	page, err := d.newest(ctx, d.hist, token, 50)
	if err != nil {
		return err
	}
	if want := min(50, d.histSize); len(page.Chunk) < want {
		return fmt.Errorf("dendrite: /messages returned %d events, want %d", len(page.Chunk), want)
	}
	return nil
}

// mxPage is a page of /messages.
type mxPage struct {
	Chunk []struct {
		EventID string          `json:"event_id"`
		Type    string          `json:"type"`
		Sender  string          `json:"sender"`
		Content json.RawMessage `json:"content"`
	} `json:"chunk"`
	End string `json:"end"`
}

// newest reads the newest limit events of room, as a client opening it
// does: backwards from the end, with no from token.
func (d *dendrite) newest(ctx context.Context, room mxRoom, token string, limit int) (*mxPage, error) {
	path := fmt.Sprintf("/rooms/%s/messages?dir=b&limit=%d", url.PathEscape(room.id), limit)
	var page mxPage
	if err := d.do(ctx, "GET", path, token, nil, &page); err != nil {
		return nil, fmt.Errorf("dendrite: messages: %w", err)
	}
	return &page, nil
}

// mxEventID is the answer to a send: the ID of the stored event.
type mxEventID struct {
	EventID string `json:"event_id"`
}

// sendText sends one m.text message into room and returns its event ID.
func (d *dendrite) sendText(ctx context.Context, roomID, token, body string) (string, error) {
	txn := "bench-" + strconv.FormatUint(d.txn.Add(1), 10)
	path := "/rooms/" + url.PathEscape(roomID) + "/send/m.room.message/" + txn
	var out mxEventID
	msg := map[string]string{"msgtype": "m.text", "body": body}
	if err := d.do(ctx, "PUT", path, token, msg, &out); err != nil {
		return "", fmt.Errorf("dendrite: send: %w", err)
	}
	if out.EventID == "" {
		return "", errors.New("dendrite: send: the answer has no event_id")
	}
	return out.EventID, nil
}

// mxSetupWorkers is how many users are registered or joined at once.
// Registration costs a bcrypt hash, so more would only queue on the
// server's cores.
const mxSetupWorkers = 8

// prepareRoom registers (or logs in) n users named PREFIX-KIND-I, has the
// first create the room #PREFIX-KIND (or find it), and has the others join
// it.
func (d *dendrite) prepareRoom(ctx context.Context, kind string, n int) (mxRoom, error) {
	if n < 1 {
		return mxRoom{}, fmt.Errorf("dendrite: %d users: want at least 1", n)
	}
	room := mxRoom{tokens: make([]string, n)}
	err := peerForEach(ctx, n, mxSetupWorkers, func(i int) error {
		token, err := d.account(ctx, fmt.Sprintf("%s-%s-%d", d.prefix, kind, i))
		room.tokens[i] = token
		return err
	})
	if err != nil {
		return mxRoom{}, err
	}

	alias := d.prefix + "-" + kind
	if room.id, err = d.createRoom(ctx, room.tokens[0], alias); err != nil {
		return mxRoom{}, err
	}
	err = peerForEach(ctx, n-1, mxSetupWorkers, func(i int) error {
		path := "/join/" + url.PathEscape(room.id)
		if err := d.do(ctx, "POST", path, room.tokens[i+1], struct{}{}, nil); err != nil {
			return fmt.Errorf("dendrite: join %s: %w", alias, err)
		}
		return nil
	})
	return room, err
}

// account registers the user localpart with the dummy flow, or logs in if
// the name is taken, and returns an access token.
func (d *dendrite) account(ctx context.Context, localpart string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	reg := map[string]any{
		"username": localpart, "password": d.password,
		"auth": map[string]string{"type": "m.login.dummy"},
	}
	err := d.do(ctx, "POST", "/register", "", reg, &out)
	if isMatrixError(err, "M_USER_IN_USE") {
		login := map[string]any{
			"type":       "m.login.password",
			"identifier": map[string]string{"type": "m.id.user", "user": localpart},
			"password":   d.password,
		}
		err = d.do(ctx, "POST", "/login", "", login, &out)
	}
	if err != nil {
		return "", fmt.Errorf("dendrite: account %s: %w", localpart, err)
	}
	return out.AccessToken, nil
}

// createRoom creates a public room with the alias, or finds the room that
// has it already, and returns the room's ID.
func (d *dendrite) createRoom(ctx context.Context, token, alias string) (string, error) {
	var out struct {
		RoomID string `json:"room_id"`
	}
	create := map[string]string{"preset": "public_chat", "name": alias, "room_alias_name": alias}
	err := d.do(ctx, "POST", "/createRoom", token, create, &out)
	if isMatrixError(err, "M_ROOM_IN_USE") {
		// The alias's server part is the server's name, which the token's
		// user ID carries; asking whoami avoids an option for it.
		var me struct {
			UserID string `json:"user_id"`
		}
		if err = d.do(ctx, "GET", "/account/whoami", token, nil, &me); err == nil {
			_, server, _ := strings.Cut(me.UserID, ":")
			path := "/directory/room/" + url.PathEscape("#"+alias+":"+server)
			err = d.do(ctx, "GET", path, token, nil, &out)
		}
	}
	if err != nil {
		return "", fmt.Errorf("dendrite: room %s: %w", alias, err)
	}
	return out.RoomID, nil
}

// do sends one request of the client-server API, with token if it is not
// empty, and decodes a 200 answer into out (if not nil). Any other status
// is returned as an *mxError.
func (d *dendrite) do(ctx context.Context, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.api+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		e := &mxError{Status: resp.StatusCode}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(raw, e) != nil {
			e.Message = string(bytes.TrimSpace(raw))
		}
		return e
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// mxError is an error answer of the Matrix API.
type mxError struct {
	Status  int    `json:"-"`
	Code    string `json:"errcode"`
	Message string `json:"error"`
}

// Error returns the status, the Matrix error code and its message.
func (e *mxError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// isMatrixError reports whether err is a Matrix error with the code.
func isMatrixError(err error, code string) bool {
	var e *mxError
	return errors.As(err, &e) && e.Code == code
}

// peerForEach calls f(i) for i in [0, n), with at most workers calls at once,
// and returns the first error; after one, calls not yet started are
// skipped.
func peerForEach(ctx context.Context, n, workers int, f func(i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := 0; i < n && ctx.Err() == nil; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return context.Cause(ctx)
}
