package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gorilla/websocket"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
	parleyhttp "github.com/parleychat/parley/http"
	"github.com/parleychat/parley/realtime"
	"github.com/parleychat/parley/sqlite"
)

// MustLoadOpenAPI parses the embedded OpenAPI document.
func MustLoadOpenAPI(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(parleyhttp.OpenAPI)
	if err != nil {
		tb.Fatalf("load openapi.json: %v", err)
	}
	return doc
}

func TestOpenAPIValid(t *testing.T) {
	doc := MustLoadOpenAPI(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi=%q, want %q", doc.OpenAPI, "3.0.3")
	}
}

func TestOpenAPICoversRoutes(t *testing.T) {
	doc := MustLoadOpenAPI(t)

	// Handler sets up the metrics that the route list refers to; without
	// it, Routes on a zero Server dereferences a nil pointer.
	srv := &parleyhttp.Server{}
	srv.Handler()

	routes := map[string]bool{}
	for _, pattern := range srv.Routes() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			t.Errorf("route %q has no method", pattern)
			continue
		}
		routes[method+" "+path] = true
		item := doc.Paths.Find(path)
		if item == nil {
			t.Errorf("route %q: path %s is not in the document", pattern, path)
			continue
		}
		if item.GetOperation(method) == nil {
			t.Errorf("route %q: path %s has no %s operation in the document", pattern, path, method)
		}
	}

	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("operation %s %s is in the document, but no route", method, path)
			}
		}
	}
}

// openAPIRouters caches one router per document, since building one
// validates the whole document.
var openAPIRouters sync.Map // *openapi3.T → routers.Router

// openAPIRouter returns the router of doc.
func openAPIRouter(doc *openapi3.T) (routers.Router, error) {
	if r, ok := openAPIRouters.Load(doc); ok {
		return r.(routers.Router), nil
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("build OpenAPI router: %w", err)
	}
	openAPIRouters.Store(doc, r)
	return r, nil
}

// checkResponse reports, with tb.Errorf, every way in which one real exchange
// with the server disagrees with doc: a request that matches no operation, a
// status the operation does not list, or a body that does not match the
// schema given for that status. When the server accepted the request (2xx),
// the request must match the document too, so that the document never
// refuses what the server takes. reqBody and respBody are the bodies as
// sent and received; req.Body and resp.Body are not read.
//
// It is safe to call from any goroutine, such as an http.RoundTripper's.
func checkResponse(tb testing.TB, doc *openapi3.T,
	req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	tb.Helper()
	ctx := context.Background()
	exchange := fmt.Sprintf("%s %s → %d", req.Method, req.URL.RequestURI(), resp.StatusCode)

	router, err := openAPIRouter(doc)
	if err != nil {
		tb.Errorf("%s: %v", exchange, err)
		return
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		tb.Errorf("%s: no operation in the document: %v", exchange, err)
		return
	}

	// The validators read the request body, so give them a copy of their own.
	req = req.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route, Options: opts,
	}

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			tb.Errorf("%s: the server accepted a request the document refuses: %v\nrequest body: %s",
				exchange, err, openAPIClip(reqBody))
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}

	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		tb.Errorf("%s: the answer does not match the document: %v\nbody: %s",
			exchange, err, openAPIClip(respBody))
	}
}

// openAPIClip shortens a body for a failure message.
func openAPIClip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// openAPIFakeTB records the failures reported to it, for tests of
// checkResponse itself.
type openAPIFakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

// Helper implements testing.TB.
func (f *openAPIFakeTB) Helper() {}

// Errorf implements testing.TB: it records the failure instead of failing.
func (f *openAPIFakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestOpenAPIRejectsWrongAnswers(t *testing.T) {
	doc := MustLoadOpenAPI(t)
	user := `{"user_id":"U1","email":"ada@example.com","nickname":"ada","createdAt":"2026-12-03T16:14:30.123Z"}`
	message := `{"message_id":"M1","seq":1,"workspace_id":"W1","channel_id":"C1","sender_id":"U1",` +
		`"sender":"ada@example.com","message":"hi","createdAt":"2026-12-03T16:14:30.123Z"}`
	notFound := `{"code":"not_found","message":"channel not found"}`
	tombstone := strings.Replace(message, `"message":"hi"`, `"message":"","deleted":true`, 1)
	channel := `{"channel_id":"C1","channel_name":"random","workspace_id":"W1","is_private":false,` +
		`"creator":"ada@example.com","users":["ada@example.com"],"topic":"","purpose":"","archived":false,` +
		`"createdAt":"2026-12-03T16:14:30.123Z"}`

	tests := []struct {
		name   string
		method string
		path   string
		status int
		body   string
		ok     bool
	}{
		{"OK", "GET", "/user/me", 200, user, true},
		{"OKExtraField", "GET", "/user/me", 200, strings.Replace(user, `{`, `{"avatar":"x",`, 1), true},
		{"OKMessage", "POST", "/messages/W1/C1", 201, message, true},
		{"OKDirectMessage", "POST", "/dm/ada@example.com/bob@example.com", 201,
			strings.Replace(strings.Replace(message, `"workspace_id":"W1","channel_id":"C1",`, ``, 1),
				`"seq":1,`, `"seq":1,"receiver":"bob@example.com",`, 1), true},
		{"OKError", "GET", "/channel/W1/C1", 404, notFound, true},
		{"ErrWrongFieldName", "GET", "/user/me", 200, strings.Replace(user, "user_id", "userId", 1), false},
		{"ErrWrongType", "POST", "/messages/W1/C1", 201,
			strings.Replace(message, `"seq":1`, `"seq":"1"`, 1), false},
		{"ErrNoMilliseconds", "GET", "/user/me", 200, strings.Replace(user, ".123Z", "Z", 1), false},
		{"ErrNotATime", "GET", "/user/me", 200,
			strings.Replace(user, "2026-12-03T16:14:30.123Z", "yesterday", 1), false},
		{"ErrUndocumentedStatus", "GET", "/user/me", 418, `{"code":"invalid","message":"x"}`, false},
		{"ErrCodeOfAnotherStatus", "GET", "/channel/W1/C1", 404, `{"code":"invalid","message":"x"}`, false},
		{"ErrNotJSON", "GET", "/user/me", 200, `ok`, false},
		{"ErrNoSuchRoute", "GET", "/nowhere", 404, notFound, false},
		{"OKTombstone", "DELETE", "/message/M1", 200, tombstone, true},
		{"ErrTombstoneWithText", "DELETE", "/message/M1", 200,
			strings.Replace(tombstone, `"message":""`, `"message":"hi"`, 1), false},
		{"ErrTombstoneNotDeleted", "DELETE", "/message/M1", 200, message, false},
		{"OKReactions", "GET", "/thread/M1", 200, `{"root":` + strings.Replace(message, `"message":"hi"`,
			`"message":"hi","reply_count":1,"reactions":[{"name":"tada","count":1,"users":["ada@example.com"]}]`, 1) +
			`,"messages":[],"has_more":false}`, true},
		{"ErrReactionWithoutUsers", "GET", "/thread/M1", 200, `{"root":` + strings.Replace(message, `"message":"hi"`,
			`"message":"hi","reactions":[{"name":"tada","count":1}]`, 1) + `,"messages":[],"has_more":false}`, false},
		{"OKChannel", "GET", "/channel/W1/C1", 200, channel, true},
		{"ErrChannelWithoutArchived", "GET", "/channel/W1/C1", 200,
			strings.Replace(channel, `,"archived":false`, ``, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://parley.test"+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp := &http.Response{
				StatusCode: tt.status,
				Header:     http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			}
			// A 2xx also checks the request, so give the POSTs a valid body.
			var reqBody []byte
			if tt.method == "POST" {
				reqBody = []byte(`{"message":"hi"}`)
				req.Header.Set("Content-Type", "application/json")
			}

			f := &openAPIFakeTB{TB: t}
			checkResponse(f, doc, req, reqBody, resp, []byte(tt.body))
			if got := len(f.errors) == 0; got != tt.ok {
				t.Errorf("accepted=%v, want %v; errors: %q", got, tt.ok, f.errors)
			}
		})
	}
}

// openAPISeen records which operations an end-to-end run reached, and with
// which statuses.
type openAPISeen struct {
	mu       sync.Mutex
	statuses map[string][]int // "METHOD /path/{param}" → statuses
}

// add records one exchange.
func (s *openAPISeen) add(op string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statuses == nil {
		s.statuses = map[string][]int{}
	}
	if !slices.Contains(s.statuses[op], status) {
		s.statuses[op] = append(s.statuses[op], status)
	}
}

// openAPITransport sends requests to the server and checks every exchange
// against the document with checkResponse.
type openAPITransport struct {
	tb   testing.TB
	doc  *openapi3.T
	seen *openAPISeen
}

// RoundTrip implements http.RoundTripper.
func (rt *openAPITransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}

	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	if router, err := openAPIRouter(rt.doc); err == nil {
		if route, _, err := router.FindRoute(req); err == nil {
			rt.seen.add(route.Method+" "+route.Path, resp.StatusCode)
		}
	}
	// The metrics are Prometheus' text format, which no schema describes.
	if req.URL.Path != "/metrics" {
		checkResponse(rt.tb, rt.doc, req, reqBody, resp, respBody)
	}
	return resp, nil
}

// openAPIClient calls the server under test through an openAPITransport.
type openAPIClient struct {
	t    *testing.T
	base string
	http *http.Client
}

// openAPIBearer returns the header of a request made with token.
func openAPIBearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// call sends a request and returns the answer's body. body is sent as is if
// it is a []byte or a string, and as JSON otherwise. A status other than
// want fails the test: at once when want is a success, since the steps after
// it need its result, and otherwise at the end, so that one run reports
// every disagreement.
func (c *openAPIClient) call(method, path string, header http.Header, body any, want int) []byte {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if resp.StatusCode != want {
		c.t.Errorf("%s %s: status=%d, want %d; body: %s",
			method, path, resp.StatusCode, want, openAPIClip(got))
		if want < 300 {
			c.t.FailNow()
		}
	}
	return got
}

// openAPIDecode decodes a JSON answer.
func openAPIDecode[T any](tb testing.TB, b []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("decode %T: %v; body: %s", v, err, openAPIClip(b))
	}
	return v
}

// openAPIErrorCode returns the code of an error answer.
func openAPIErrorCode(tb testing.TB, b []byte) string {
	tb.Helper()
	return openAPIDecode[struct {
		Code string `json:"code"`
	}](tb, b).Code
}

// TestOpenAPIMatchesServer runs a real server on a real SQLite store, calls
// every route with answers that succeed and answers that fail, and checks
// each exchange against the document.
func TestOpenAPIMatchesServer(t *testing.T) {
	ctx := context.Background()
	doc := MustLoadOpenAPI(t)

	store, err := sqlite.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hub := realtime.NewHub(0)
	svc := &app.Service{Store: store, Events: hub, PasswordCost: 4}
	if err := svc.Open(ctx); err != nil {
		t.Fatal(err)
	}
	srv := &parleyhttp.Server{Service: svc, Hub: hub, Addr: "127.0.0.1:0"}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	}()

	seen := &openAPISeen{}
	c := &openAPIClient{
		t:    t,
		base: srv.URL(),
		http: &http.Client{
			Transport: &openAPITransport{tb: t, doc: doc, seen: seen},
			Timeout:   10 * time.Second,
		},
	}
	none := http.Header{}

	// Operations.
	c.call("GET", "/healthz", none, nil, 200)
	c.call("GET", "/readyz", none, nil, 200)
	if b := c.call("GET", "/openapi.json", none, nil, 200); !bytes.Equal(b, parleyhttp.OpenAPI) {
		t.Errorf("GET /openapi.json does not serve the embedded document")
	}
	b := c.call("GET", "/metrics", none, nil, 200)
	if !bytes.Contains(b, []byte("parley_http_requests_total")) {
		t.Errorf("GET /metrics lacks parley_http_requests_total")
	}

	// Accounts.
	creds := func(email, password string) map[string]string {
		return map[string]string{"email": email, "password": password}
	}
	refresh := func(token string) map[string]string {
		return map[string]string{"refresh_token": token}
	}
	signup := func(email string) app.Session {
		b := c.call("POST", "/auth/signup", none, map[string]string{
			"email": email, "password": "correct horse", "nickname": strings.ToUpper(email[:1]),
		}, 201)
		return openAPIDecode[app.Session](t, b)
	}
	ada := signup("Ada@Example.com")
	bob := signup("bob@example.com")
	carol := signup("carol@example.com")
	asAda, asBob, asCarol := openAPIBearer(ada.AccessToken), openAPIBearer(bob.AccessToken),
		openAPIBearer(carol.AccessToken)
	if ada.User.Email != "ada@example.com" {
		t.Errorf("signup email=%q, want %q", ada.User.Email, "ada@example.com")
	}
	c.call("POST", "/auth/signup", none, creds("ada@example.com", "another pass"), 409)
	c.call("POST", "/auth/signup", none, creds("not an email", "correct horse"), 400)
	c.call("POST", "/auth/signup", none, creds("dan@example.com", "short"), 400)
	c.call("POST", "/auth/signup", none, map[string]any{"email": 7, "password": "correct horse"}, 400)
	c.call("POST", "/auth/signup", none, "", 400)
	c.call("POST", "/auth/signup", none, `{"email":`, 400)
	pad := strings.Repeat("p", parleyhttp.MaxBodyBytes)
	huge := `{"email":"dan@example.com","password":"` + pad + `"}`
	c.call("POST", "/auth/signup", none, huge, 413)

	c.call("POST", "/auth/login", none, creds("ada@example.com", "correct horse"), 200)
	c.call("POST", "/auth/login", none, creds("ada@example.com", "wrong horse"), 401)
	c.call("POST", "/auth/login", none, creds("nobody@example.com", "x"), 401)
	c.call("POST", "/auth/login", none, map[string]string{"email": "ada@example.com"}, 400)
	c.call("POST", "/auth/login", none, huge, 413)

	b = c.call("POST", "/auth/refresh", none, refresh(ada.RefreshToken), 200)
	renewed := openAPIDecode[app.Session](t, b)
	c.call("POST", "/auth/refresh", none, refresh(ada.RefreshToken), 401)
	c.call("POST", "/auth/refresh", none, map[string]string{}, 400)
	c.call("POST", "/auth/refresh", none, huge, 413)
	code, err := svc.IssueResetCode(ctx, "carol@example.com")
	if err != nil {
		t.Fatal(err)
	}
	reset := func(email, code string) map[string]string {
		return map[string]string{"email": email, "code": code, "password": "new horse battery"}
	}
	c.call("POST", "/auth/reset", none, reset("ada@example.com", code), 401)
	c.call("POST", "/auth/reset", none, map[string]string{"email": "carol@example.com"}, 400)
	c.call("POST", "/auth/reset", none, huge, 413)
	code, err = svc.IssueResetCode(ctx, "carol@example.com")
	if err != nil {
		t.Fatal(err)
	}
	c.call("POST", "/auth/reset", none, reset("carol@example.com", code), 200)

	c.call("POST", "/auth/logout", asAda, refresh(renewed.RefreshToken), 204)
	c.call("POST", "/auth/logout", asAda, refresh(renewed.RefreshToken), 204)
	c.call("POST", "/auth/logout", asAda, map[string]string{}, 400)
	c.call("POST", "/auth/logout", asAda, huge, 413)

	// Users, and the three ways of sending a token.
	c.call("GET", "/user/me", asAda, nil, 200)
	c.call("GET", "/user/me", http.Header{"Authorization": {ada.AccessToken}}, nil, 200)
	c.call("GET", "/user/me", http.Header{"Idtoken": {ada.AccessToken}}, nil, 200)
	c.call("GET", "/user/me", none, nil, 401)
	c.call("GET", "/user/me", openAPIBearer("not.a.token"), nil, 401)
	c.call("POST", "/user", asAda, nil, 200)
	c.call("POST", "/user", asAda, map[string]string{"nickname": "Ada"}, 200)
	c.call("POST", "/user", asAda, map[string]string{"nickname": strings.Repeat("n", 81)}, 400)
	c.call("POST", "/user", asAda, huge, 413)
	c.call("POST", "/user", none, nil, 401)

	// Workspaces.
	b = c.call("POST", "/workspace", asAda, map[string]string{"workspace_name": "Analytical Engines"}, 201)
	ws := openAPIDecode[parley.Workspace](t, b)
	if len(ws.Channels) != 1 || ws.Channels[0].Name != parley.GeneralChannelName {
		t.Fatalf("new workspace channels=%+v, want only general", ws.Channels)
	}
	general := ws.Channels[0].ID
	c.call("POST", "/workspace", asAda, map[string]string{"workspace_name": " "}, 400)
	c.call("POST", "/workspace", asAda, map[string]string{"workspace_name": strings.Repeat("w", 101)}, 400)
	c.call("POST", "/workspace", asAda, huge, 413)
	c.call("POST", "/workspace", none, map[string]string{"workspace_name": "x"}, 401)

	wsPath := "/workspace/" + ws.ID
	c.call("GET", wsPath, asAda, nil, 200)
	c.call("GET", wsPath, asBob, nil, 404)
	c.call("GET", wsPath, none, nil, 401)

	c.call("GET", "/workspaces/ada@example.com", asAda, nil, 200)
	c.call("GET", "/workspaces/ADA@example.com", asAda, nil, 200)
	c.call("GET", "/workspaces/bob@example.com", asAda, nil, 404)
	c.call("GET", "/workspaces/not-an-email", asAda, nil, 400)
	c.call("GET", "/workspaces/ada@example.com", none, nil, 401)

	invite := func(email string) map[string]string {
		return map[string]string{"workspace_id": ws.ID, "user_email": email}
	}
	b = c.call("PATCH", "/workspace", asAda, invite("bob@example.com"), 200)
	if m := openAPIDecode[app.Members](t, b); len(m.Users) != 2 {
		t.Errorf("members after invite=%v, want 2", m.Users)
	}
	c.call("PATCH", "/workspace", asAda, invite("bob@example.com"), 200)
	c.call("PATCH", "/workspace", asAda, invite("nobody@example.com"), 404)
	c.call("PATCH", "/workspace", asCarol, invite("carol@example.com"), 404)
	c.call("PATCH", "/workspace", asAda, map[string]string{"user_email": "bob@example.com"}, 400)
	c.call("PATCH", "/workspace", asAda, huge, 413)
	c.call("PATCH", "/workspace", none, invite("bob@example.com"), 401)

	// Channels.
	createChannel := func(tok, name string, private bool, want int) []byte {
		return c.call("POST", "/channel", openAPIBearer(tok),
			map[string]any{"workspace_id": ws.ID, "channel_name": name, "is_private": private}, want)
	}
	random := openAPIDecode[parley.Channel](t, createChannel(ada.AccessToken, "Random", false, 201))
	secret := openAPIDecode[parley.Channel](t, createChannel(ada.AccessToken, "secret", true, 201))
	news := openAPIDecode[parley.Channel](t, createChannel(ada.AccessToken, "news", false, 201))
	if random.Name != "random" {
		t.Errorf("channel_name=%q, want %q", random.Name, "random")
	}
	createChannel(ada.AccessToken, "random", false, 409)
	createChannel(ada.AccessToken, "has space", false, 400)
	createChannel(ada.AccessToken, strings.Repeat("c", 81), false, 400)
	createChannel(carol.AccessToken, "mine", false, 404)
	c.call("POST", "/channel", asAda,
		map[string]any{"workspace_id": ws.ID, "channel_name": "x", "is_private": "yes"}, 400)
	c.call("POST", "/channel", asAda, huge, 413)
	c.call("POST", "/channel", none, map[string]any{"workspace_id": ws.ID, "channel_name": "x"}, 401)

	chPath := func(id string) string { return "/channel/" + ws.ID + "/" + id }
	c.call("GET", chPath(random.ID), asBob, nil, 200)
	c.call("GET", chPath(secret.ID), asAda, nil, 200)
	c.call("GET", chPath(secret.ID), asBob, nil, 404)
	c.call("GET", chPath("Cnothing"), asAda, nil, 404)
	c.call("GET", chPath(random.ID), none, nil, 401)

	c.call("GET", "/channels/"+ws.ID+"/ada@example.com", asAda, nil, 200)
	c.call("GET", "/channels/"+ws.ID+"/bob@example.com", asAda, nil, 404)
	c.call("GET", "/channels/"+ws.ID+"/carol@example.com", asCarol, nil, 404)
	c.call("GET", "/channels/"+ws.ID+"/bad", asAda, nil, 400)
	c.call("GET", "/channels/"+ws.ID+"/ada@example.com", none, nil, 401)

	membership := func(ch, email string) map[string]string {
		return map[string]string{"workspace_id": ws.ID, "channel_id": ch, "user_email": email}
	}
	b = c.call("PATCH", "/channel", asBob, membership(random.ID, "bob@example.com"), 200)
	if m := openAPIDecode[app.Members](t, b); m.ChannelID != random.ID || len(m.Users) != 2 {
		t.Errorf("members after join=%+v, want 2 in %s", m, random.ID)
	}
	c.call("PATCH", "/channel", asBob, membership(news.ID, "ada@example.com"), 403)
	c.call("PATCH", "/channel", asBob, membership(secret.ID, "bob@example.com"), 404)
	c.call("PATCH", "/channel", asAda, membership(random.ID, "carol@example.com"), 404)
	c.call("PATCH", "/channel", asAda, membership(random.ID, "not-an-email"), 400)
	c.call("PATCH", "/channel", asAda, huge, 413)
	c.call("PATCH", "/channel", none, membership(random.ID, "bob@example.com"), 401)

	// Messages.
	text := func(s string) map[string]string { return map[string]string{"message": s} }
	msgPath := func(ch string) string { return "/messages/" + ws.ID + "/" + ch }
	draft := map[string]string{"message": "  hello, engines  ", "client_msg_id": "c-1"}
	first := openAPIDecode[parley.Message](t, c.call("POST", msgPath(random.ID), asAda, draft, 201))
	again := openAPIDecode[parley.Message](t, c.call("POST", msgPath(random.ID), asAda, draft, 201))
	if again.ID != first.ID || again.Seq != first.Seq {
		t.Errorf("repeat send=%s/%d, want %s/%d", again.ID, again.Seq, first.ID, first.Seq)
	}
	c.call("POST", msgPath(random.ID), asBob, text("hi"), 201)
	c.call("POST", msgPath(random.ID), asAda, text("   "), 400)
	c.call("POST", msgPath(random.ID), asAda, text(strings.Repeat("m", 40001)), 400)
	c.call("POST", msgPath(random.ID), asAda,
		map[string]string{"message": "x", "client_msg_id": strings.Repeat("i", 129)}, 400)
	c.call("POST", msgPath(news.ID), asBob, text("hi"), 403)
	c.call("POST", msgPath(secret.ID), asBob, text("hi"), 404)
	c.call("POST", msgPath(random.ID), asAda, huge, 413)
	c.call("POST", msgPath(random.ID), none, text("hi"), 401)

	b = c.call("GET", msgPath(random.ID), asBob, nil, 200)
	if p := openAPIDecode[parley.MessagePage](t, b); len(p.Messages) != 2 || p.HasMore {
		t.Errorf("history=%d messages, has_more=%v; want 2, false", len(p.Messages), p.HasMore)
	}
	b = c.call("GET", msgPath(random.ID)+"?limit=1&after=0", asBob, nil, 200)
	if p := openAPIDecode[parley.MessagePage](t, b); len(p.Messages) != 1 || !p.HasMore {
		t.Errorf("history after=0 limit=1: %d messages, has_more=%v; want 1, true", len(p.Messages), p.HasMore)
	}
	c.call("GET", msgPath(random.ID)+"?before=2", asBob, nil, 200)
	c.call("GET", msgPath(secret.ID), asAda, nil, 200)
	c.call("GET", msgPath(random.ID)+"?limit=0", asAda, nil, 400)
	c.call("GET", msgPath(random.ID)+"?limit=201", asAda, nil, 400)
	c.call("GET", msgPath(random.ID)+"?before=x", asAda, nil, 400)
	c.call("GET", msgPath(random.ID)+"?before=3&after=1", asAda, nil, 400)
	c.call("GET", msgPath(secret.ID), asBob, nil, 404)
	c.call("GET", msgPath(random.ID), asCarol, nil, 404)
	c.call("GET", msgPath(random.ID), none, nil, 401)

	dm := openAPIDecode[parley.Message](t, c.call("POST", "/dm/ada@example.com/bob@example.com",
		asAda, map[string]string{"message": "psst", "sender": "bob@example.com"}, 201))
	if dm.Sender != "ada@example.com" || dm.Receiver != "bob@example.com" {
		t.Errorf("dm sender=%q receiver=%q, want ada and bob", dm.Sender, dm.Receiver)
	}
	c.call("POST", "/dm/bob@example.com/ada@example.com", asAda, text("x"), 403)
	c.call("POST", "/dm/ada@example.com/carol@example.com", asAda, text("x"), 404)
	c.call("POST", "/dm/ada@example.com/nobody@example.com", asAda, text("x"), 404)
	c.call("POST", "/dm/ada@example.com/bob@example.com", asAda, text(""), 400)
	c.call("POST", "/dm/ada@example.com/bob@example.com", asAda, huge, 413)
	c.call("POST", "/dm/ada@example.com/bob@example.com", none, text("x"), 401)

	c.call("GET", "/dm/ada@example.com/bob@example.com", asBob, nil, 200)
	c.call("GET", "/dm/bob@example.com/ada@example.com?limit=10&after=0", asAda, nil, 200)
	c.call("GET", "/dm/bob@example.com/carol@example.com", asAda, nil, 404)
	// A conversation with an email that has no account is empty, so that
	// the answer does not tell which emails have accounts.
	c.call("GET", "/dm/ada@example.com/nobody@example.com", asAda, nil, 200)
	c.call("GET", "/dm/ada@example.com/not-an-email", asAda, nil, 400)
	c.call("GET", "/dm/ada@example.com/bob@example.com?limit=x", asAda, nil, 400)
	c.call("GET", "/dm/ada@example.com/bob@example.com", none, nil, 401)

	// Threads, edits, deletes, reactions, pins and channel settings.
	depth := testOpenAPIMessagesInDepth(c, ada, bob, carol, ws, general, random, secret, news, dm)

	// The WebSocket endpoint: refused before the upgrade, then the frames.
	if b := c.call("GET", "/ws", none, nil, 401); openAPIErrorCode(t, b) != parley.EUNAUTHORIZED {
		t.Errorf("GET /ws without token: code=%q, want %q", openAPIErrorCode(t, b), parley.EUNAUTHORIZED)
	}
	c.call("GET", "/ws", openAPIBearer("not.a.token"), nil, 401)
	c.call("GET", "/ws", asAda, nil, 400) // a token, but no handshake
	testOpenAPIWebSocket(t, doc, c, ada, bob, ws.ID, random.ID, depth)

	// Leaving and deleting.
	c.call("PATCH", "/channel/out", asAda, membership(general, "ada@example.com"), 409)
	c.call("PATCH", "/channel/out", asBob, membership(news.ID, "ada@example.com"), 403)
	c.call("PATCH", "/channel/out", asBob, membership(random.ID, "bob@example.com"), 200)
	c.call("PATCH", "/channel/out", asAda, membership(random.ID, "bob@example.com"), 404)
	c.call("PATCH", "/channel/out", asAda, membership(random.ID, "bad"), 400)
	c.call("PATCH", "/channel/out", asAda, huge, 413)
	c.call("PATCH", "/channel/out", none, membership(random.ID, "ada@example.com"), 401)

	// Read markers: ada reads general; bob may see ada's new channel but
	// is not in it, so he keeps no marker there.
	b = c.call("POST", "/channel", asAda, map[string]any{"workspace_id": ws.ID, "channel_name": "reading"}, 201)
	reading := openAPIDecode[parley.Channel](t, b)
	read := func(channelID string, seq int64) map[string]any {
		return map[string]any{"workspace_id": ws.ID, "channel_id": channelID, "seq": seq}
	}
	c.call("POST", "/read", asAda, read(general, 1), 200)
	c.call("POST", "/read", asBob, read(reading.ID, 1), 403)
	c.call("POST", "/read", asAda, map[string]any{"receiver": "nobody@example.com", "seq": 1}, 404)
	c.call("POST", "/read", asAda, map[string]any{"seq": 1}, 400)
	c.call("POST", "/read", asAda, read(general, -1), 400)
	c.call("POST", "/read", asAda, huge, 413)
	c.call("POST", "/read", none, read(general, 1), 401)
	b = c.call("GET", "/unreads", asAda, nil, 200)
	if u := openAPIDecode[struct{ Unreads []app.Unread }](t, b); len(u.Unreads) == 0 {
		t.Errorf("ada has no unreads entries, want one per conversation")
	}
	c.call("GET", "/unreads", none, nil, 401)

	// Sync: a token for now, then the changes since an older one (the
	// answer's frames are checked against the change schemas), in pages.
	b = c.call("GET", "/sync", asAda, nil, 200)
	now := openAPIDecode[app.SyncPage](t, b)
	if now.SyncToken == "" || len(now.Changes) != 0 {
		t.Errorf("sync without since: token %q, %d changes; want a token and none", now.SyncToken, len(now.Changes))
	}
	c.call("POST", msgPath(random.ID), asAda, text("one"), 201)
	c.call("POST", msgPath(random.ID), asAda, text("two"), 201)
	b = c.call("GET", "/sync?limit=1&since="+now.SyncToken, asAda, nil, 200)
	if p := openAPIDecode[app.SyncPage](t, b); len(p.Changes) != 1 || !p.HasMore {
		t.Errorf("sync after two messages, limit 1: %d changes, has_more=%v; want 1, true",
			len(p.Changes), p.HasMore)
	}
	c.call("GET", "/sync?since="+now.SyncToken, asBob, nil, 400)
	c.call("GET", "/sync?since=not-a-token", asAda, nil, 400)
	c.call("GET", "/sync?limit=0", asAda, nil, 400)
	c.call("GET", "/sync?limit=x", asAda, nil, 400)
	c.call("GET", "/sync", none, nil, 401)

	c.call("DELETE", chPath(general), asAda, nil, 409)
	c.call("DELETE", chPath(news.ID), asBob, nil, 403)
	c.call("DELETE", chPath(news.ID), asAda, nil, 200)
	c.call("DELETE", chPath(news.ID), asAda, nil, 404)
	c.call("DELETE", chPath(random.ID), none, nil, 401)

	c.call("PATCH", "/workspace/out", asBob, invite("ada@example.com"), 403)
	c.call("PATCH", "/workspace/out", asAda, invite("ada@example.com"), 409)
	c.call("PATCH", "/workspace/out", asAda, invite("bob@example.com"), 200)
	c.call("PATCH", "/workspace/out", asAda, invite("bob@example.com"), 404)
	c.call("PATCH", "/workspace/out", asAda, invite("x"), 400)
	c.call("PATCH", "/workspace/out", asAda, huge, 413)
	c.call("PATCH", "/workspace/out", none, invite("bob@example.com"), 401)

	c.call("PATCH", "/workspace", asAda, invite("bob@example.com"), 200)
	c.call("DELETE", wsPath, asBob, nil, 403)
	c.call("DELETE", wsPath, asAda, nil, 200)
	c.call("DELETE", wsPath, asAda, nil, 404)
	c.call("DELETE", wsPath, none, nil, 401)
	c.call("GET", wsPath, asAda, nil, 404)

	// With the store gone, the server is not ready, and the routes that
	// need it answer 500 with the generic error. The service keeps users,
	// workspaces and channels it has read in memory, and answers from
	// there without the store: the workspace and channel here are ones it
	// has never read, so that it must ask the store.
	store.Close()
	unread := "/WAAAAAAAAAAAAAAAAAAAAAAAAAA/CAAAAAAAAAAAAAAAAAAAAAAAAAA"
	c.call("GET", "/readyz", none, nil, 503)
	for _, r := range []struct{ method, path string }{
		{"PATCH", "/message/" + depth.root.ID}, {"DELETE", "/message/" + depth.root.ID},
		{"POST", "/message/" + depth.root.ID + "/reactions"}, {"DELETE", "/message/" + depth.root.ID + "/reactions/tada"},
		{"POST", "/message/" + depth.root.ID + "/pin"}, {"DELETE", "/message/" + depth.root.ID + "/pin"},
		{"GET", "/pins" + unread}, {"GET", "/thread/" + depth.root.ID},
		{"PATCH", "/channel" + unread},
	} {
		var body any
		if r.method == "PATCH" || r.method == "POST" {
			body = map[string]string{"message": "x", "name": "tada", "topic": "x"}
		}
		if b := c.call(r.method, r.path, asAda, body, 500); openAPIErrorCode(t, b) != parley.EINTERNAL {
			t.Errorf("%s %s without a store: code=%q, want %q", r.method, r.path, openAPIErrorCode(t, b), parley.EINTERNAL)
		}
	}
	c.call("POST", "/read", asAda, map[string]any{"receiver": "bob@example.com", "seq": 1}, 500)
	c.call("GET", "/unreads", asAda, nil, 500)
	c.call("GET", "/sync", asAda, nil, 500)

	// Every operation of the document was reached, and those of messages
	// in depth with every status they document.
	every := []string{
		"PATCH /message/{message_id}", "DELETE /message/{message_id}",
		"POST /message/{message_id}/reactions", "DELETE /message/{message_id}/reactions/{name}",
		"POST /message/{message_id}/pin", "DELETE /message/{message_id}/pin",
		"GET /pins/{workspace_id}/{channel_id}", "GET /thread/{message_id}",
		"PATCH /channel/{workspace_id}/{channel_id}",
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		ops := doc.Paths.Value(path).Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			op := method + " " + path
			statuses := seen.statuses[op]
			if len(statuses) == 0 {
				t.Errorf("%s: never called", op)
				continue
			}
			slices.Sort(statuses)
			t.Logf("%s: %v", op, statuses)
			if !slices.Contains(every, op) {
				continue
			}
			for code := range ops[method].Responses.Map() {
				var status int
				fmt.Sscan(code, &status)
				if !slices.Contains(statuses, status) {
					t.Errorf("%s: documented status %s never answered; answered %v", op, code, statuses)
				}
			}
		}
	}
	for _, op := range every {
		if _, ok := seen.statuses[op]; !ok {
			t.Errorf("%s: not in the document or never called", op)
		}
	}
}

// testOpenAPIWebSocket opens WebSocket connections for ada and bob and
// checks every frame the server sends, and every frame the test sends,
// against the document's frame schemas. Last it makes each change of
// messages in depth through c, so that every event type is pushed and
// checked.
func testOpenAPIWebSocket(t *testing.T, doc *openapi3.T, c *openAPIClient,
	ada, bob app.Session, workspaceID, channelID string, depth openAPIDepth) {
	t.Helper()
	base := c.base
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"

	// checkFrame validates a frame against a schema of the document.
	checkFrame := func(schema string, frame []byte) map[string]any {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal(frame, &v); err != nil {
			t.Fatalf("frame is not a JSON object: %v; frame: %s", err, openAPIClip(frame))
		}
		ref := doc.Components.Schemas[schema]
		if ref == nil {
			t.Fatalf("no schema %s in the document", schema)
		}
		if err := ref.Value.VisitJSON(v); err != nil {
			t.Errorf("frame does not match %s: %v; frame: %s", schema, err, openAPIClip(frame))
		}
		return v
	}
	schemaOf := map[string]string{
		"hello": "WSHello", "message": "WSMessage", "ack": "WSAck", "error": "WSError", "pong": "WSPong",
		"message_changed": "WSMessageChanged", "message_deleted": "WSMessageDeleted",
		"thread_reply": "WSThreadReply", "reaction_added": "WSReactionAdded",
		"reaction_removed": "WSReactionRemoved", "message_pinned": "WSMessagePinned",
		"message_unpinned": "WSMessageUnpinned", "channel_updated": "WSChannelUpdated",
		"presence_change": "WSPresenceChange", "typing": "WSTyping", "read_marker": "WSReadMarker",
		"member_joined_channel": "WSMemberJoinedChannel", "member_left_channel": "WSMemberLeftChannel",
		"channel_created": "WSChannelCreated", "channel_deleted": "WSChannelDeleted",
		"workspace_deleted": "WSWorkspaceDeleted", "member_joined_workspace": "WSMemberJoinedWorkspace",
		"member_left_workspace": "WSMemberLeftWorkspace",
	}
	// read reads the next frame and checks it against the schema of its type.
	read := func(conn *websocket.Conn) map[string]any {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, frame, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read frame: %v", err)
		}
		var head struct {
			Type string `json:"type"`
		}
		json.Unmarshal(frame, &head)
		schema, ok := schemaOf[head.Type]
		if !ok {
			t.Fatalf("frame of undocumented type %q: %s", head.Type, openAPIClip(frame))
		}
		return checkFrame(schema, frame)
	}
	// send writes a frame, checking it first if it is meant to be valid.
	send := func(conn *websocket.Conn, frame string, valid bool) {
		t.Helper()
		if valid {
			checkFrame("WSClientFrame", []byte(frame))
		}
		if err := conn.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
			t.Fatalf("write frame: %v", err)
		}
	}
	// readTypes reads frames until it has one of each type wanted, in any
	// order, and returns them by type.
	readTypes := func(conn *websocket.Conn, types ...string) map[string]map[string]any {
		t.Helper()
		got := map[string]map[string]any{}
		for len(got) < len(types) {
			f := read(conn)
			typ, _ := f["type"].(string)
			if typ == "presence_change" && !slices.Contains(types, typ) {
				continue // others coming and going; checked by read all the same
			}
			if !slices.Contains(types, typ) {
				t.Fatalf("frame type=%q, want one of %v", typ, types)
			}
			got[typ] = f
		}
		return got
	}

	// A bad token is refused before the upgrade, with the error body.
	_, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, openAPIBearer("not.a.token"))
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("dial with a bad token: err=%v, want a 401 answer", err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		req, _ := http.NewRequest("GET", base+"/ws", nil)
		checkResponse(t, doc, req, nil, resp, body)
	}

	dial := func(u string, header http.Header) *websocket.Conn {
		t.Helper()
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, u, header)
		if err != nil {
			t.Fatalf("dial %s: %v", u, err)
		}
		return conn
	}
	adaConn := dial(wsURL, openAPIBearer(ada.AccessToken))
	defer adaConn.Close()
	bobConn := dial(wsURL+"?token="+url.QueryEscape(bob.AccessToken), nil)
	defer bobConn.Close()
	for _, conn := range []*websocket.Conn{adaConn, bobConn} {
		if f := read(conn); f["type"] != "hello" {
			t.Fatalf("first frame type=%v, want hello", f["type"])
		}
	}

	send(adaConn, `{"action":"ping"}`, true)
	readTypes(adaConn, "pong")

	send(adaConn, fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":%q,`+
		`"message":"over the wire","client_msg_id":"ws-1"}`, workspaceID, channelID), true)
	got := readTypes(adaConn, "ack", "message")
	if got["ack"]["client_msg_id"] != "ws-1" || got["message"]["message"] != "over the wire" {
		t.Errorf("channelChat answered %v", got)
	}
	readTypes(bobConn, "message")

	send(adaConn, `{"action":"dm_chat","receiver":"bob@example.com","message":"direct",`+
		`"sender":"bob@example.com"}`, true)
	got = readTypes(adaConn, "ack", "message")
	if got["message"]["receiver"] != "bob@example.com" || got["message"]["sender"] != "ada@example.com" {
		t.Errorf("dm_chat message=%v, want from ada to bob", got["message"])
	}
	readTypes(bobConn, "message")

	send(adaConn, `{"action":"dmChat","receiver":"nobody@example.com","message":"x",`+
		`"client_msg_id":"ws-2"}`, true)
	if f := readTypes(adaConn, "error")["error"]; f["code"] != parley.ENOTFOUND || f["client_msg_id"] != "ws-2" {
		t.Errorf("dmChat to nobody answered %v, want not_found for ws-2", f)
	}
	send(adaConn, `{"action":"dance"}`, false)
	readTypes(adaConn, "error")
	send(adaConn, `not json`, false)
	readTypes(adaConn, "error")
	send(adaConn, `{"action":"channelChat","workspace_id":7}`, false)
	readTypes(adaConn, "error")

	// The connection stays open after errors.
	send(adaConn, `{"action":"ping"}`, true)
	readTypes(adaConn, "pong")

	// A reply over the WebSocket, then each change of messages in depth,
	// each pushed to both as a frame of its own type.
	root := depth.root.ID
	send(adaConn, fmt.Sprintf(`{"action":"channelChat","workspace_id":%q,"channel_id":%q,`+
		`"message":"a reply over the wire","client_msg_id":"ws-3","parent_id":%q,"also_to_channel":true}`,
		workspaceID, channelID, root), true)
	got = readTypes(adaConn, "ack", "message", "thread_reply")
	if got["message"]["parent_id"] != root || got["thread_reply"]["message_id"] != root ||
		got["thread_reply"]["reply_count"] != float64(3) {
		t.Errorf("reply frames=%v, want a reply to %s and its root with 3 replies", got, root)
	}
	readTypes(bobConn, "message", "thread_reply")
	reply, _ := got["message"]["message_id"].(string)

	asAda := openAPIBearer(ada.AccessToken)
	changes := []struct {
		method, path string
		body         any
		typ          string
	}{
		{"PATCH", "/message/" + root, map[string]string{"message": "edited again"}, "message_changed"},
		{"POST", "/message/" + root + "/reactions", map[string]string{"name": "eyes"}, "reaction_added"},
		{"DELETE", "/message/" + root + "/reactions/eyes", nil, "reaction_removed"},
		{"DELETE", "/message/" + root + "/pin", nil, "message_unpinned"},
		{"POST", "/message/" + root + "/pin", nil, "message_pinned"},
		{"PATCH", "/channel/" + workspaceID + "/" + channelID, map[string]string{"topic": "wires"}, "channel_updated"},
		{"DELETE", "/message/" + reply, nil, "message_deleted"},
	}
	for _, ch := range changes {
		c.call(ch.method, ch.path, asAda, ch.body, 200)
		for name, conn := range map[string]*websocket.Conn{"ada": adaConn, "bob": bobConn} {
			f := readTypes(conn, ch.typ)[ch.typ]
			if ch.typ == "message_deleted" && (f["message"] != "" || f["deleted"] != true) {
				t.Errorf("%s got %v, want a tombstone without text", name, f)
			}
		}
	}
}

// openAPIDepth holds what testOpenAPIMessagesInDepth leaves for the later
// steps: a message of ada's in random and a channel to archive.
type openAPIDepth struct {
	root  parley.Message
	depth parley.Channel
}

// testOpenAPIMessagesInDepth calls the routes of threads, edits, deletes,
// reactions, pins and channel settings with answers of every documented
// status but 500, which the caller gets once the store is closed. Ada is
// the workspace's admin; bob is a member of random and general; carol is
// outside the workspace.
func testOpenAPIMessagesInDepth(c *openAPIClient, adaS, bobS, carolS app.Session,
	ws parley.Workspace, general string, random, secret, news parley.Channel, dm parley.Message) openAPIDepth {
	t := c.t
	t.Helper()
	ada, bob, carol := openAPIBearer(adaS.AccessToken), openAPIBearer(bobS.AccessToken),
		openAPIBearer(carolS.AccessToken)
	none := http.Header{}
	huge := `{"message":"` + strings.Repeat("p", parleyhttp.MaxBodyBytes) + `"}`
	msgPath := func(ch string) string { return "/messages/" + ws.ID + "/" + ch }
	reply := func(s, parent string, also bool) map[string]any {
		return map[string]any{"message": s, "parent_id": parent, "also_to_channel": also}
	}
	post := func(h http.Header, ch string, body any) parley.Message {
		t.Helper()
		return openAPIDecode[parley.Message](t, c.call("POST", msgPath(ch), h, body, 201))
	}

	// Threads.
	root := post(ada, random.ID, map[string]string{"message": "a root for <@" + bobS.User.ID + "> and <!channel>"})
	if len(root.Mentions) != 1 || root.Mentions[0] != bobS.User.ID {
		t.Errorf("mentions=%v, want bob's ID only", root.Mentions)
	}
	r1 := post(bob, random.ID, reply("first reply", root.ID, false))
	r2 := post(ada, random.ID, reply("a reply to a reply", r1.ID, true))
	if r1.ParentID != root.ID || r2.ParentID != root.ID || !r2.AlsoToChannel {
		t.Errorf("replies' parent_id=%q,%q also_to_channel=%v; want %s twice, true",
			r1.ParentID, r2.ParentID, r2.AlsoToChannel, root.ID)
	}
	c.call("POST", msgPath(random.ID), bob, reply("x", "Mnothing", false), 400)
	c.call("POST", msgPath(random.ID), ada, reply("x", dm.ID, false), 400)
	c.call("POST", msgPath(random.ID), ada, map[string]any{"message": "x", "parent_id": 7}, 400)
	dmReply := openAPIDecode[parley.Message](t, c.call("POST", "/dm/bob@example.com/ada@example.com",
		bob, reply("a reply in a DM", dm.ID, false), 201))
	if dmReply.ParentID != dm.ID {
		t.Errorf("DM reply parent_id=%q, want %q", dmReply.ParentID, dm.ID)
	}
	c.call("POST", "/dm/bob@example.com/ada@example.com", bob, reply("x", root.ID, false), 400)

	b := c.call("GET", msgPath(random.ID)+"?include_replies=true&limit=200", bob, nil, 200)
	all := openAPIDecode[parley.MessagePage](t, b)
	b = c.call("GET", msgPath(random.ID)+"?include_replies=false&limit=200", bob, nil, 200)
	if p := openAPIDecode[parley.MessagePage](t, b); len(all.Messages) != len(p.Messages)+1 {
		t.Errorf("history holds %d messages with replies, %d without; want one hidden reply",
			len(all.Messages), len(p.Messages))
	}
	c.call("GET", msgPath(random.ID)+"?include_replies=maybe", bob, nil, 400)
	c.call("GET", "/dm/ada@example.com/bob@example.com?include_replies=1", ada, nil, 200)
	c.call("GET", "/dm/ada@example.com/bob@example.com?include_replies=x", ada, nil, 400)

	b = c.call("GET", "/thread/"+root.ID, bob, nil, 200)
	if p := openAPIDecode[app.ThreadPage](t, b); p.Root.ReplyCount != 2 || len(p.Messages) != 2 {
		t.Errorf("thread reply_count=%d, %d replies; want 2, 2", p.Root.ReplyCount, len(p.Messages))
	}
	b = c.call("GET", "/thread/"+r2.ID+"?limit=1&after=0", ada, nil, 200)
	if p := openAPIDecode[app.ThreadPage](t, b); p.Root.ID != root.ID || len(p.Messages) != 1 || !p.HasMore {
		t.Errorf("thread of a reply: root %s, %d replies, has_more=%v; want %s, 1, true",
			p.Root.ID, len(p.Messages), p.HasMore, root.ID)
	}
	c.call("GET", "/thread/"+dm.ID+"?before=100", bob, nil, 200)
	c.call("GET", "/thread/"+root.ID+"?limit=0", bob, nil, 400)
	c.call("GET", "/thread/"+root.ID+"?before=1&after=1", bob, nil, 400)
	c.call("GET", "/thread/Mnothing", bob, nil, 404)
	c.call("GET", "/thread/"+root.ID, carol, nil, 404)
	c.call("GET", "/thread/"+root.ID, none, nil, 401)

	// Edits.
	msg := "/message/" + root.ID
	b = c.call("PATCH", msg, ada, map[string]string{"message": "  the root, edited  "}, 200)
	if m := openAPIDecode[parley.Message](t, b); m.Text != "the root, edited" || m.EditedAt == nil {
		t.Errorf("edited message=%q editedAt=%v, want the new text and a time", m.Text, m.EditedAt)
	}
	c.call("PATCH", "/message/"+dm.ID, ada, map[string]string{"message": "psst, edited"}, 200)
	c.call("PATCH", msg, bob, map[string]string{"message": "not mine"}, 403)
	c.call("PATCH", msg, ada, map[string]string{"message": " "}, 400)
	c.call("PATCH", msg, ada, map[string]any{"message": 5}, 400)
	c.call("PATCH", msg, ada, huge, 413)
	c.call("PATCH", "/message/Mnothing", ada, map[string]string{"message": "x"}, 404)
	c.call("PATCH", msg, carol, map[string]string{"message": "x"}, 404)
	c.call("PATCH", msg, none, map[string]string{"message": "x"}, 401)

	// Reactions.
	react := func(name string) map[string]string { return map[string]string{"name": name} }
	b = c.call("POST", msg+"/reactions", bob, react(":tada:"), 200)
	c.call("POST", msg+"/reactions", bob, react("tada"), 200)
	b = c.call("POST", msg+"/reactions", ada, react("thumbsup::skin-tone-2"), 200)
	m := openAPIDecode[parley.Message](t, b)
	if len(m.Reactions) != 2 || m.Reactions[0].Name != "tada" || m.Reactions[0].Count != 1 ||
		len(m.Reactions[0].Users) != 1 || m.Reactions[0].Users[0] != "bob@example.com" {
		t.Errorf("reactions=%+v, want tada by bob once, then thumbsup", m.Reactions)
	}
	c.call("POST", "/message/"+dm.ID+"/reactions", bob, react("eyes"), 200)
	c.call("POST", msg+"/reactions", bob, react("no way!"), 400)
	c.call("POST", msg+"/reactions", bob, react(""), 400)
	c.call("POST", msg+"/reactions", bob, huge, 413)
	c.call("POST", "/message/Mnothing/reactions", bob, react("tada"), 404)
	c.call("POST", msg+"/reactions", carol, react("tada"), 404)
	c.call("POST", msg+"/reactions", none, react("tada"), 401)

	c.call("DELETE", msg+"/reactions/tada", bob, nil, 200)
	b = c.call("DELETE", msg+"/reactions/"+url.PathEscape(":tada:"), bob, nil, 200)
	if m := openAPIDecode[parley.Message](t, b); len(m.Reactions) != 1 {
		t.Errorf("reactions after removing tada=%+v, want thumbsup only", m.Reactions)
	}
	c.call("DELETE", "/message/"+dm.ID+"/reactions/eyes", bob, nil, 200)
	c.call("DELETE", msg+"/reactions/"+url.PathEscape("no way!"), bob, nil, 400)
	c.call("DELETE", "/message/Mnothing/reactions/tada", bob, nil, 404)
	c.call("DELETE", msg+"/reactions/tada", carol, nil, 404)
	c.call("DELETE", msg+"/reactions/tada", none, nil, 401)

	// Pins. Bob may see news, a public channel, but is not in it.
	inNews := post(ada, news.ID, map[string]string{"message": "news"})
	b = c.call("POST", msg+"/pin", bob, nil, 200)
	if p := openAPIDecode[app.PinnedMessage](t, b); p.Message.ID != root.ID || p.PinnedBy != "bob@example.com" {
		t.Errorf("pin=%s by %q, want %s by bob", p.Message.ID, p.PinnedBy, root.ID)
	}
	c.call("POST", msg+"/pin", ada, nil, 200)
	c.call("POST", "/message/"+inNews.ID+"/pin", ada, nil, 200)
	c.call("POST", "/message/"+inNews.ID+"/pin", bob, nil, 403)
	c.call("POST", "/message/"+dm.ID+"/pin", ada, nil, 400)
	c.call("POST", "/message/Mnothing/pin", ada, nil, 404)
	c.call("POST", msg+"/pin", carol, nil, 404)
	c.call("POST", msg+"/pin", none, nil, 401)

	pins := "/pins/" + ws.ID + "/"
	b = c.call("GET", pins+random.ID, bob, nil, 200)
	if p := openAPIDecode[struct {
		Pins []app.PinnedMessage `json:"pins"`
	}](t, b); len(p.Pins) != 1 || p.Pins[0].Message.ID != root.ID {
		t.Errorf("pins=%+v, want %s only", p.Pins, root.ID)
	}
	c.call("GET", pins+general, bob, nil, 200)
	c.call("GET", pins+news.ID, bob, nil, 403)
	c.call("GET", pins+secret.ID, bob, nil, 404)
	c.call("GET", pins+random.ID, carol, nil, 404)
	c.call("GET", pins+"Cnothing", ada, nil, 404)
	c.call("GET", pins+random.ID, none, nil, 401)

	c.call("DELETE", "/message/"+inNews.ID+"/pin", bob, nil, 403)
	c.call("DELETE", "/message/"+inNews.ID+"/pin", ada, nil, 200)
	c.call("DELETE", "/message/"+inNews.ID+"/pin", ada, nil, 200)
	c.call("DELETE", "/message/"+dm.ID+"/pin", ada, nil, 400)
	c.call("DELETE", "/message/Mnothing/pin", ada, nil, 404)
	c.call("DELETE", msg+"/pin", carol, nil, 404)
	c.call("DELETE", msg+"/pin", none, nil, 401)

	// Deletes: the sender, or the workspace admin; twice answers the same.
	b = c.call("DELETE", "/message/"+r1.ID, bob, nil, 200)
	again := c.call("DELETE", "/message/"+r1.ID, bob, nil, 200)
	if !bytes.Equal(b, again) {
		t.Errorf("second delete answered %s, want %s", again, b)
	}
	c.call("DELETE", "/message/"+r2.ID, bob, nil, 403)
	c.call("DELETE", "/message/"+dmReply.ID, ada, nil, 403)
	c.call("DELETE", "/message/"+inNews.ID, ada, nil, 200)
	c.call("DELETE", "/message/Mnothing", ada, nil, 404)
	c.call("DELETE", "/message/"+r2.ID, carol, nil, 404)
	c.call("DELETE", "/message/"+r2.ID, none, nil, 401)
	c.call("PATCH", "/message/"+r1.ID, bob, map[string]string{"message": "back"}, 409)
	c.call("POST", "/message/"+r1.ID+"/reactions", bob, react("tada"), 409)
	c.call("POST", "/message/"+r1.ID+"/pin", bob, nil, 409)
	c.call("GET", "/thread/"+r1.ID, bob, nil, 200)

	// Channel settings. Ada creates depth; bob joins it.
	b = c.call("POST", "/channel", ada, map[string]any{"workspace_id": ws.ID, "channel_name": "depth"}, 201)
	depth := openAPIDecode[parley.Channel](t, b)
	c.call("PATCH", "/channel", bob, map[string]string{
		"workspace_id": ws.ID, "channel_id": depth.ID, "user_email": "bob@example.com"}, 200)
	inDepth := post(bob, depth.ID, map[string]string{"message": "in depth"})

	chPath := func(id string) string { return "/channel/" + ws.ID + "/" + id }
	b = c.call("PATCH", chPath(depth.ID), ada,
		map[string]string{"topic": " engines ", "purpose": "analysis"}, 200)
	if ch := openAPIDecode[parley.Channel](t, b); ch.Topic != "engines" || ch.Purpose != "analysis" || ch.Archived {
		t.Errorf("channel topic=%q purpose=%q archived=%v, want engines, analysis, false",
			ch.Topic, ch.Purpose, ch.Archived)
	}
	b = c.call("PATCH", chPath(depth.ID), ada, map[string]string{"channel_name": "Deeper"}, 200)
	if ch := openAPIDecode[parley.Channel](t, b); ch.Name != "deeper" {
		t.Errorf("channel_name=%q, want %q", ch.Name, "deeper")
	}
	c.call("PATCH", chPath(general), ada, map[string]string{"topic": "all of us"}, 200)
	c.call("PATCH", chPath(depth.ID), ada, map[string]string{"channel_name": "random"}, 409)
	c.call("PATCH", chPath(general), ada, map[string]string{"channel_name": "everyone"}, 409)
	c.call("PATCH", chPath(general), ada, map[string]bool{"archived": true}, 409)
	c.call("PATCH", chPath(depth.ID), ada, map[string]string{}, 400)
	c.call("PATCH", chPath(depth.ID), ada, map[string]string{"channel_name": "has space"}, 400)
	c.call("PATCH", chPath(depth.ID), ada, map[string]string{"topic": strings.Repeat("t", 251)}, 400)
	c.call("PATCH", chPath(depth.ID), ada, map[string]any{"archived": "yes"}, 400)
	c.call("PATCH", chPath(depth.ID), ada, huge, 413)
	c.call("PATCH", chPath(depth.ID), bob, map[string]string{"topic": "mine now"}, 403)
	c.call("PATCH", chPath(secret.ID), bob, map[string]string{"topic": "x"}, 404)
	c.call("PATCH", chPath(depth.ID), carol, map[string]string{"topic": "x"}, 404)
	c.call("PATCH", chPath("Cnothing"), ada, map[string]string{"topic": "x"}, 404)
	c.call("PATCH", chPath(depth.ID), none, map[string]string{"topic": "x"}, 401)

	// An archived channel reads, and refuses writes with 409.
	c.call("POST", "/message/"+inDepth.ID+"/pin", bob, nil, 200)
	b = c.call("PATCH", chPath(depth.ID), ada, map[string]bool{"archived": true}, 200)
	if ch := openAPIDecode[parley.Channel](t, b); !ch.Archived {
		t.Errorf("archived=%v after archiving, want true", ch.Archived)
	}
	dMsg := "/message/" + inDepth.ID
	c.call("GET", msgPath(depth.ID), bob, nil, 200)
	c.call("GET", "/thread/"+inDepth.ID, bob, nil, 200)
	c.call("GET", pins+depth.ID, bob, nil, 200)
	c.call("POST", msgPath(depth.ID), bob, map[string]string{"message": "x"}, 409)
	c.call("PATCH", dMsg, bob, map[string]string{"message": "x"}, 409)
	c.call("POST", dMsg+"/reactions", bob, react("tada"), 409)
	c.call("DELETE", dMsg+"/reactions/tada", bob, nil, 409)
	c.call("POST", dMsg+"/pin", bob, nil, 409)
	c.call("DELETE", dMsg+"/pin", bob, nil, 409)
	c.call("PATCH", chPath(depth.ID), ada, map[string]bool{"archived": false}, 200)
	c.call("PATCH", dMsg, bob, map[string]string{"message": "in depth, again"}, 200)

	return openAPIDepth{root: root, depth: depth}
}
