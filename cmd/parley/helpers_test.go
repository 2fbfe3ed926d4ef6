package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// timeout bounds every wait for something asynchronous. It is generous,
// since the tests run under -race on small machines; nothing waits for it
// unless something is wrong.
const timeout = 20 * time.Second

// password is every test user's password. The log check looks for it.
const password = "correct horse battery staple"

// createdAtRE is the time format of every createdAt: RFC 3339 UTC with
// milliseconds.
var createdAtRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// Wire types, as the spec names their fields. They are the test's own, so
// that a renamed field in the server shows up as a zero value here.
type (
	User struct {
		ID        string `json:"user_id"`
		Email     string `json:"email"`
		Nickname  string `json:"nickname"`
		CreatedAt string `json:"createdAt"`
	}
	Session struct {
		User         User   `json:"user"`
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int    `json:"expires_in"`
	}
	Workspace struct {
		ID        string     `json:"workspace_id"`
		Name      string     `json:"workspace_name"`
		Admin     string     `json:"admin"`
		Users     []string   `json:"users"`
		Channels  []*Channel `json:"channels"`
		CreatedAt string     `json:"createdAt"`
	}
	WorkspaceSummary struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Cnt  int    `json:"cnt"`
	}
	Channel struct {
		ID          string   `json:"channel_id"`
		Name        string   `json:"channel_name"`
		WorkspaceID string   `json:"workspace_id"`
		IsPrivate   bool     `json:"is_private"`
		Creator     string   `json:"creator"`
		Users       []string `json:"users"`
		CreatedAt   string   `json:"createdAt"`
	}
	Members struct {
		Users []string `json:"users"`
	}
	Message struct {
		ID          string `json:"message_id"`
		Seq         int64  `json:"seq"`
		WorkspaceID string `json:"workspace_id"`
		ChannelID   string `json:"channel_id"`
		Receiver    string `json:"receiver"`
		Sender      string `json:"sender"`
		Text        string `json:"message"`
		CreatedAt   string `json:"createdAt"`
		ClientMsgID string `json:"client_msg_id"`
	}
	Page struct {
		Messages []*Message `json:"messages"`
		HasMore  bool       `json:"has_more"`
	}
	APIError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)

// logBuffer collects a server's log output. It is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Server is a Parley server running in-process for one test, with the
// secrets its clients sent, which must never reach its log.
type Server struct {
	*Main
	URL  string
	Logs *logBuffer

	mu      sync.Mutex
	secrets []string

	closeOnce sync.Once
	closeErr  error
}

// MustStartServer runs a server on a free port and a fresh database, logging
// at debug level into a buffer. Configure, if given, changes the Main before
// it runs. At the end of the test the server is closed and its log is
// searched for every password and token the test sent.
func MustStartServer(tb testing.TB, configure ...func(*Main)) *Server {
	tb.Helper()
	s := &Server{Main: NewMain(), Logs: &logBuffer{}}
	s.Config.Addr = "127.0.0.1:0"
	s.Config.DB = filepath.Join(tb.TempDir(), "parley.db")
	s.Config.LogLevel = "debug"
	s.PasswordCost = 4
	s.PresenceGrace = 200 * time.Millisecond // <!here> tests wait for offline
	s.LogOutput = s.Logs
	for _, f := range configure {
		f(s.Main)
	}

	// Cleanups run last first: the log is searched after Close, so that
	// what shutdown logs is searched too.
	tb.Cleanup(func() { s.checkLogs(tb) })
	if err := s.Run(context.Background()); err != nil {
		tb.Fatalf("Run: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	s.URL = s.Server.URL()
	return s
}

// Close closes the server once; later calls return the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.Main.Close() })
	return s.closeErr
}

// Secret records a string that the server must never log.
func (s *Server) Secret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, v)
}

// checkLogs fails the test if the log holds a recorded secret.
func (s *Server) checkLogs(tb testing.TB) {
	tb.Helper()
	logs := s.Logs.String()
	if !strings.Contains(logs, "msg=listening") {
		tb.Errorf("log has no listening line; is LogOutput used?")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, secret := range s.secrets {
		if strings.Contains(logs, secret) {
			tb.Errorf("log holds the secret %.12q…, want it never logged", secret)
		}
	}
}

// Response is an HTTP answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode decodes the body into v, failing the test if it is not JSON of
// that shape.
func (r *Response) Decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s into %T: %v", r.Body, v, err)
	}
}

// Req is one HTTP request. Body is sent as it is when it is a string or
// []byte, and encoded as JSON otherwise; nil sends no body.
type Req struct {
	Method, Path string
	Token        string
	Header       http.Header
	Body         any
}

// Do sends r and returns the answer, failing the test only if the request
// cannot be made at all.
func (s *Server) Do(tb testing.TB, r Req) *Response {
	tb.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("encode body: %v", err)
		}
		body = bytes.NewReader(data)
	}

	req, err := http.NewRequest(r.Method, s.URL+r.Path, body)
	if err != nil {
		tb.Fatalf("new request %s %s: %v", r.Method, r.Path, err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", r.Method, r.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// MustDo sends r, fails the test unless the answer has status want, and
// decodes its body into out unless out is nil.
func (s *Server) MustDo(tb testing.TB, r Req, want int, out any) *Response {
	tb.Helper()
	resp := s.Do(tb, r)
	if resp.Status != want {
		tb.Fatalf("%s %s: status=%d, want %d; body %s", r.Method, r.Path, resp.Status, want, resp.Body)
	}
	if out != nil {
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			tb.Fatalf("%s %s: Content-Type=%q, want application/json", r.Method, r.Path, ct)
		}
		resp.Decode(tb, out)
	}
	return resp
}

// MustFail sends r and fails the test unless the answer is an error of the
// given status whose JSON body carries code and a message.
func (s *Server) MustFail(tb testing.TB, r Req, status int, code string) APIError {
	tb.Helper()
	resp := s.Do(tb, r)
	return MustBeError(tb, fmt.Sprintf("%s %s", r.Method, r.Path), resp, status, code)
}

// MustBeError fails the test unless resp is an error answer of the given
// status and code.
func MustBeError(tb testing.TB, what string, resp *Response, status int, code string) APIError {
	tb.Helper()
	var e APIError
	if resp.Status != status {
		tb.Fatalf("%s: status=%d, want %d; body %s", what, resp.Status, status, resp.Body)
	} else if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("%s: Content-Type=%q, want application/json", what, ct)
	} else if err := json.Unmarshal(resp.Body, &e); err != nil {
		tb.Fatalf("%s: error body %q is not JSON: %v", what, resp.Body, err)
	} else if e.Code != code {
		tb.Fatalf("%s: code=%q, want %q; message %q", what, e.Code, code, e.Message)
	} else if e.Message == "" {
		tb.Fatalf("%s: error body %s has no message", what, resp.Body)
	}
	return e
}

// refusal is a request that the server must refuse with an error of the
// given status and code.
type refusal struct {
	name   string
	req    Req
	status int
	code   string
}

// MustRefuseAll runs a subtest, named after the refusal, for each of tests:
// it fails unless the server refuses the request as the refusal says, and
// then calls unchanged, which checks that the request changed nothing.
func (s *Server) MustRefuseAll(t *testing.T, tests []refusal, unchanged func(t *testing.T)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.MustFail(t, tt.req, tt.status, tt.code)
			unchanged(t)
		})
	}
}

// MustSignup creates an account for name@example.com and returns its
// session. Its password and tokens are recorded as secrets.
func (s *Server) MustSignup(tb testing.TB, name string) *Session {
	tb.Helper()
	var sess Session
	s.MustDo(tb, Req{Method: "POST", Path: "/auth/signup", Body: map[string]string{
		"email": name + "@example.com", "password": password, "nickname": name,
	}}, http.StatusCreated, &sess)
	if sess.AccessToken == "" || sess.RefreshToken == "" {
		tb.Fatalf("signup of %s: no tokens in the answer", name)
	}
	s.Secret(password)
	s.Secret(sess.AccessToken)
	s.Secret(sess.RefreshToken)
	return &sess
}

// Email returns the session's user's email.
func (sess *Session) Email() string { return sess.User.Email }

// MustCreateWorkspace creates a workspace as sess.
func (s *Server) MustCreateWorkspace(tb testing.TB, sess *Session, name string) *Workspace {
	tb.Helper()
	var ws Workspace
	s.MustDo(tb, Req{Method: "POST", Path: "/workspace", Token: sess.AccessToken,
		Body: map[string]string{"workspace_name": name}}, http.StatusCreated, &ws)
	return &ws
}

// MustInvite adds each of users to the workspace, as sess.
func (s *Server) MustInvite(tb testing.TB, sess *Session, ws *Workspace, users ...*Session) {
	tb.Helper()
	for _, u := range users {
		s.MustDo(tb, Req{Method: "PATCH", Path: "/workspace", Token: sess.AccessToken,
			Body: map[string]string{"workspace_id": ws.ID, "user_email": u.Email()}}, http.StatusOK, nil)
	}
}

// MustCreateChannel creates a channel as sess.
func (s *Server) MustCreateChannel(tb testing.TB, sess *Session, ws *Workspace, name string, private bool) *Channel {
	tb.Helper()
	var ch Channel
	s.MustDo(tb, Req{Method: "POST", Path: "/channel", Token: sess.AccessToken, Body: map[string]any{
		"workspace_id": ws.ID, "channel_name": name, "is_private": private,
	}}, http.StatusCreated, &ch)
	return &ch
}

// MustJoin adds user to the channel, as sess.
func (s *Server) MustJoin(tb testing.TB, sess *Session, ch *Channel, user *Session) {
	tb.Helper()
	s.MustDo(tb, Req{Method: "PATCH", Path: "/channel", Token: sess.AccessToken, Body: map[string]string{
		"workspace_id": ch.WorkspaceID, "channel_id": ch.ID, "user_email": user.Email(),
	}}, http.StatusOK, nil)
}

// General returns the workspace's general channel.
func General(tb testing.TB, ws *Workspace) *Channel {
	tb.Helper()
	for _, ch := range ws.Channels {
		if ch.Name == "general" {
			return ch
		}
	}
	tb.Fatalf("workspace %s has no general channel among %d", ws.ID, len(ws.Channels))
	return nil
}

// Requests of messages, as a user. A query is the query string without '?'.

func postReq(as *Session, ch *Channel, body any) Req {
	return Req{Method: "POST", Path: "/messages/" + ch.WorkspaceID + "/" + ch.ID, Token: as.AccessToken,
		Body: body}
}

func historyReq(as *Session, ch *Channel, query string) Req {
	return Req{Method: "GET", Path: "/messages/" + ch.WorkspaceID + "/" + ch.ID + "?" + query,
		Token: as.AccessToken}
}

func dmReq(from, to *Session, body any) Req {
	return Req{Method: "POST", Path: "/dm/" + from.Email() + "/" + to.Email(), Token: from.AccessToken,
		Body: body}
}

func dmHistoryReq(as, other *Session, query string) Req {
	return Req{Method: "GET", Path: "/dm/" + as.Email() + "/" + other.Email() + "?" + query,
		Token: as.AccessToken}
}

// MustPost posts a message to a channel as sess.
func (s *Server) MustPost(tb testing.TB, sess *Session, ch *Channel, text string) *Message {
	tb.Helper()
	var m Message
	s.MustDo(tb, postReq(sess, ch, map[string]string{"message": text}), http.StatusCreated, &m)
	return &m
}

// MustHistory returns a page of a channel's history as sess.
func (s *Server) MustHistory(tb testing.TB, sess *Session, ch *Channel, query string) *Page {
	tb.Helper()
	var p Page
	s.MustDo(tb, historyReq(sess, ch, query), http.StatusOK, &p)
	return &p
}

// MustHistoryLen returns the number of messages in a channel, up to 200.
func (s *Server) MustHistoryLen(tb testing.TB, sess *Session, ch *Channel) int {
	tb.Helper()
	return len(s.MustHistory(tb, sess, ch, "limit=200").Messages)
}

// Seqs returns the seq of each message of a page.
func (p *Page) Seqs() []int64 {
	out := make([]int64, len(p.Messages))
	for i, m := range p.Messages {
		out[i] = m.Seq
	}
	return out
}

// WaitFor polls cond until it holds, failing the test if it does not
// before the deadline. what says what is awaited.
func WaitFor(tb testing.TB, what string, deadline time.Time, cond func() bool) {
	tb.Helper()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// MetricValue returns the value of an unlabelled metric from /metrics, and
// whether it is there.
func (s *Server) MetricValue(tb testing.TB, name string) (float64, bool) {
	tb.Helper()
	resp := s.MustDo(tb, Req{Method: "GET", Path: "/metrics"}, http.StatusOK, nil)
	for line := range strings.Lines(string(resp.Body)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), name+" ")
		if !ok {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(rest, &v); err != nil {
			tb.Fatalf("metric line %q: %v", line, err)
		}
		return v, true
	}
	return 0, false
}
