package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests run the real server in-process, on a real port and
// a real SQLite file, and speak to it only over HTTP and WebSocket, as a
// client would. Each top-level test has a server of its own.

// badBody is one malformed or ill-typed request body and the status and
// code it must get.
type badBody struct {
	name   string
	body   any
	status int
	code   string
}

// malformedBodies are bodies that no JSON endpoint accepts.
var malformedBodies = []badBody{
	{"ErrMalformedJSON", `{"a":`, 400, "invalid"},
	{"ErrNotJSON", `hello`, 400, "invalid"},
	{"ErrEmptyBody", ``, 400, "invalid"},
	{"ErrArray", `[]`, 400, "invalid"},
	{"ErrTwoValues", `{} {}`, 400, "invalid"},
}

func TestOperations(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)

	t.Run("Healthz", func(t *testing.T) {
		s.MustDo(t, Req{Method: "GET", Path: "/healthz"}, http.StatusOK, nil)
	})
	t.Run("Readyz", func(t *testing.T) {
		s.MustDo(t, Req{Method: "GET", Path: "/readyz"}, http.StatusOK, nil)
	})
	t.Run("OpenAPI", func(t *testing.T) {
		var doc map[string]any
		s.MustDo(t, Req{Method: "GET", Path: "/openapi.json"}, http.StatusOK, &doc)
		if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
			t.Fatalf("openapi=%q, want 3.x", v)
		}
	})
	t.Run("Metrics", func(t *testing.T) {
		ann := s.MustSignup(t, "ann")
		ws := s.MustCreateWorkspace(t, ann, "acme")
		s.MustPost(t, ann, General(t, ws), "one")
		s.MustPost(t, ann, General(t, ws), "two")
		c := s.MustConnect(t, ann)

		resp := s.MustDo(t, Req{Method: "GET", Path: "/metrics"}, http.StatusOK, nil)
		for _, name := range []string{
			"parley_http_requests_total", "parley_websocket_connections", "parley_messages_stored_total",
			"parley_deliveries_total", "parley_slow_consumers_total",
		} {
			if !strings.Contains(string(resp.Body), "\n"+name) {
				t.Fatalf("/metrics has no %s", name)
			}
		}
		if v, _ := s.MetricValue(t, "parley_messages_stored_total"); v != 2 {
			t.Fatalf("parley_messages_stored_total=%v, want 2", v)
		} else if v, _ := s.MetricValue(t, "parley_websocket_connections"); v != 1 {
			t.Fatalf("parley_websocket_connections=%v, want 1", v)
		} else if v, _ := s.MetricValue(t, "parley_slow_consumers_total"); v != 0 {
			t.Fatalf("parley_slow_consumers_total=%v, want 0", v)
		}

		// Unknown paths are counted under one label, so that a client
		// cannot grow the metrics without bound, and no path reaches them.
		odd := "/no-such-route/" + rand.Text()
		s.MustFail(t, Req{Method: "GET", Path: odd}, 404, "not_found")
		s.MustFail(t, Req{Method: "GET", Path: "/user/me?token=" + ann.AccessToken}, 401, "unauthorized")
		resp = s.MustDo(t, Req{Method: "GET", Path: "/metrics"}, http.StatusOK, nil)
		if strings.Contains(string(resp.Body), odd) || strings.Contains(string(resp.Body), ann.AccessToken) {
			t.Fatal("/metrics holds a request path, want route patterns only")
		}

		c.Conn.Close()
		WaitFor(t, "the connection gauge to fall", time.Now().Add(timeout), func() bool {
			v, _ := s.MetricValue(t, "parley_websocket_connections")
			return v == 0
		})
	})
}

// postRaw posts body and returns the message_id of a 200 or 201 answer. It
// is safe to call from any goroutine.
func postRaw(base, token, path, body string) (string, error) {
	status, data, err := doRaw(base, "POST", path, token, body)
	if err != nil {
		return "", err
	} else if status != http.StatusCreated && status != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", status, data)
	}
	var m Message
	if err := json.Unmarshal(data, &m); err != nil {
		return "", err
	}
	return m.ID, nil
}

// doRaw sends one request and returns its status and body. Unlike
// Server.Do it never fails the test, so it is safe to call from any
// goroutine.
func doRaw(base, method, path, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// postAuthRaw posts body to an /auth endpoint with doRaw, and records the
// tokens of a session it answers with as secrets. It is safe to call from
// any goroutine.
func (s *Server) postAuthRaw(path, body string) (int, []byte, error) {
	status, data, err := doRaw(s.URL, "POST", path, "", body)
	var sess Session
	if json.Unmarshal(data, &sess) == nil && sess.AccessToken != "" {
		s.Secret(sess.AccessToken)
		s.Secret(sess.RefreshToken)
	}
	return status, data, err
}

// concurrently runs f(i) for i in [0, n) at once, and returns the statuses
// f returns, failing the test on any error.
func concurrently(tb testing.TB, n int, f func(i int) (int, []byte, error)) []int {
	tb.Helper()
	statuses := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i], _, errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatal(err)
	}
	return statuses
}

// count returns how many of statuses are status.
func count(statuses []int, status int) int {
	n := 0
	for _, s := range statuses {
		if s == status {
			n++
		}
	}
	return n
}

func TestConcurrency(t *testing.T) {
	t.Parallel()
	s := MustStartServer(t)
	ann, bob := s.MustSignup(t, "ann"), s.MustSignup(t, "bob")
	ws := s.MustCreateWorkspace(t, ann, "acme")
	s.MustInvite(t, ann, ws, bob)
	const n = 8

	t.Run("SignupSameEmail", func(t *testing.T) {
		body := fmt.Sprintf(`{"email":"twin@example.com","password":%q}`, password)
		statuses := concurrently(t, n, func(int) (int, []byte, error) {
			return s.postAuthRaw("/auth/signup", body)
		})
		if count(statuses, 201) != 1 || count(statuses, 409) != n-1 {
			t.Fatalf("statuses=%v, want one 201 and %d 409", statuses, n-1)
		}
	})

	t.Run("CreateChannelSameName", func(t *testing.T) {
		body := fmt.Sprintf(`{"workspace_id":%q,"channel_name":"dup"}`, ws.ID)
		statuses := concurrently(t, n, func(i int) (int, []byte, error) {
			token := []string{ann.AccessToken, bob.AccessToken}[i%2]
			return doRaw(s.URL, "POST", "/channel", token, body)
		})
		if count(statuses, 201) != 1 || count(statuses, 409) != n-1 {
			t.Fatalf("statuses=%v, want one 201 and %d 409", statuses, n-1)
		}
	})

	t.Run("RefreshSameToken", func(t *testing.T) {
		sess := s.MustSignup(t, "rex")
		body := fmt.Sprintf(`{"refresh_token":%q}`, sess.RefreshToken)
		statuses := concurrently(t, n, func(int) (int, []byte, error) {
			return s.postAuthRaw("/auth/refresh", body)
		})
		if count(statuses, 200) != 1 || count(statuses, 401) != n-1 {
			t.Fatalf("statuses=%v, want one 200 and %d 401: a refresh token works once", statuses, n-1)
		}
	})

	t.Run("PostSeqs", func(t *testing.T) {
		// Concurrent posts, HTTP and WebSocket, get distinct seqs with no
		// gap, and history lists each once in order.
		ch := s.MustCreateChannel(t, ann, ws, "busy", false)
		s.MustJoin(t, ann, ch, bob)
		const each = 10
		statuses := concurrently(t, 2*each, func(i int) (int, []byte, error) {
			token := []string{ann.AccessToken, bob.AccessToken}[i%2]
			return doRaw(s.URL, "POST", "/messages/"+ws.ID+"/"+ch.ID, token, fmt.Sprintf(`{"message":"m%d"}`, i))
		})
		if count(statuses, 201) != 2*each {
			t.Fatalf("statuses=%v, want all 201", statuses)
		}
		c := s.MustConnect(t, ann)
		for i := range each {
			c.Send(t, map[string]string{"action": "channelChat", "workspace_id": ws.ID, "channel_id": ch.ID,
				"message": "ws", "client_msg_id": fmt.Sprint(i)})
		}
		for i := range each {
			c.Next(t, "ack", IsAck(fmt.Sprint(i)))
		}
		p := s.MustHistory(t, ann, ch, "limit=200")
		for i, m := range p.Messages {
			if m.Seq != int64(i+1) {
				t.Fatalf("history seqs=%v, want 1 to %d", p.Seqs(), 3*each)
			}
		}
		if len(p.Messages) != 3*each {
			t.Fatalf("history holds %d messages, want %d", len(p.Messages), 3*each)
		}
	})
}
