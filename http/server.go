// Package http serves Parley's HTTP API and its WebSocket endpoint on top of
// an [app.Service]. It decodes requests, authenticates them, calls the
// service and encodes the answer; it decides nothing itself. Routes are
// listed in one place, in routes below.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"sync"
	"time"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// Server is Parley's HTTP server. Set the exported fields, then call Open.
type Server struct {
	Service *app.Service
	Hub     parley.Hub
	Logger  *slog.Logger

	// Addr is the address to listen on; ":0" or "127.0.0.1:0" picks a free
	// port, which URL reports after Open.
	Addr string

	// WS holds the WebSocket timings and limits; zero fields take the
	// defaults of [WSConfig].
	WS WSConfig

	ln      net.Listener
	srv     *http.Server
	metrics *metrics

	// conns tracks open WebSocket connections, which http.Server.Shutdown
	// does not wait for, so that Close can wait for them to end.
	conns sync.WaitGroup
	// closing is closed when Close starts; WebSocket connections stop
	// taking frames then.
	closing chan struct{}
}

// Open starts listening and serving in the background.
func (s *Server) Open() error {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	s.WS.setDefaults()
	s.metrics = newMetrics(s.Service, s.Hub)
	s.closing = make(chan struct{})

	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Addr, err)
	}
	s.ln = ln
	s.srv = &http.Server{
		Handler: s.Handler(),
		// A client must send its headers within 10 s and its whole
		// request within 30 s, so that slow senders cannot hold
		// connections open. WebSocket connections set their own read
		// deadlines once upgraded.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL returns the base URL the server listens on, such as
// "http://127.0.0.1:43211".
func (s *Server) URL() string {
	return "http://" + s.ln.Addr().String()
}

// Close shuts the server down gracefully. At once it stops accepting
// connections and closes every WebSocket connection with code 1001; then it
// waits, until ctx is done, for requests in flight and WebSocket handlers to
// end. Requests still running at the deadline are cut off, which is logged
// but is not an error: the process may exit.
func (s *Server) Close(ctx context.Context) error {
	close(s.closing)
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.srv.Shutdown(ctx) }()
	s.Hub.Close()

	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.Logger.Warn("websocket connections still open at shutdown deadline")
	}

	if err := <-shutdown; err != nil {
		s.Logger.Warn("requests still in flight at shutdown deadline were cut off", "err", err)
		return s.srv.Close()
	}
	return nil
}

// Handler returns the server's routes with their middleware, for tests that
// serve it themselves.
func (s *Server) Handler() http.Handler {
	if s.metrics == nil {
		s.metrics = newMetrics(s.Service, s.Hub)
	}
	// An unknown path, or a known path with another method, answers 404
	// not_found in the API's error shape rather than net/http's plain text.
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		var h http.Handler = r.handler
		if r.auth {
			h = s.authenticate(h)
		}
		mux.Handle(r.pattern, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, parley.Errorf(parley.ENOTFOUND, "no such route"))
	})

	// net/http redirects a path with "//", "." or ".." segments to its
	// clean form with an HTML body; the API has no such paths, so they
	// get the same JSON 404 as any other unknown route.
	clean := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p != "/" && path.Clean(p) != p {
			Error(w, r, parley.Errorf(parley.ENOTFOUND, "no such route"))
			return
		}
		mux.ServeHTTP(w, r)
	})
	return s.observe(clean)
}

// route is one entry of the API: a net/http pattern, whether it needs a
// token, and its handler.
type route struct {
	pattern string
	auth    bool
	handler http.HandlerFunc
}

// Routes lists every pattern the server registers, for the test that keeps
// the OpenAPI document complete.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.routes() {
		out = append(out, r.pattern)
	}
	return out
}

// routes is the whole API in one list. The paths and field names are those
// of the original system, kept so that its clients work unchanged.
func (s *Server) routes() []route {
	return []route{
		{"POST /auth/signup", false, s.handleSignup},
		{"POST /auth/login", false, s.handleLogin},
		{"POST /auth/refresh", false, s.handleRefresh},
		{"POST /auth/logout", true, s.handleLogout},
		{"POST /auth/reset", false, s.handleResetPassword},

		{"POST /user", true, s.handleCreateProfile},
		{"GET /user/me", true, s.handleMe},

		{"POST /workspace", true, s.handleCreateWorkspace},
		{"GET /workspace/{workspace_id}", true, s.handleGetWorkspace},
		{"DELETE /workspace/{workspace_id}", true, s.handleDeleteWorkspace},
		{"GET /workspaces/{user_email}", true, s.handleListWorkspaces},
		{"PATCH /workspace", true, s.handleInviteToWorkspace},
		{"PATCH /workspace/out", true, s.handleLeaveWorkspace},

		{"POST /channel", true, s.handleCreateChannel},
		{"GET /channel/{workspace_id}/{channel_id}", true, s.handleGetChannel},
		{"DELETE /channel/{workspace_id}/{channel_id}", true, s.handleDeleteChannel},
		{"GET /channels/{workspace_id}/{user_email}", true, s.handleListChannels},
		{"PATCH /channel", true, s.handleJoinChannel},
		{"PATCH /channel/out", true, s.handleLeaveChannel},
		{"PATCH /channel/{workspace_id}/{channel_id}", true, s.handleUpdateChannel},

		{"GET /messages/{workspace_id}/{channel_id}", true, s.handleChannelHistory},
		{"POST /messages/{workspace_id}/{channel_id}", true, s.handlePostChannelMessage},
		{"GET /dm/{sender}/{receiver}", true, s.handleDirectHistory},
		{"POST /dm/{sender}/{receiver}", true, s.handlePostDirectMessage},

		{"PATCH /message/{message_id}", true, s.handleEditMessage},
		{"DELETE /message/{message_id}", true, s.handleDeleteMessage},
		{"POST /message/{message_id}/reactions", true, s.handleReact},
		{"DELETE /message/{message_id}/reactions/{name}", true, s.handleUnreact},
		{"POST /message/{message_id}/pin", true, s.handlePin},
		{"DELETE /message/{message_id}/pin", true, s.handleUnpin},
		{"GET /pins/{workspace_id}/{channel_id}", true, s.handlePins},
		{"GET /thread/{message_id}", true, s.handleThread},

		{"POST /read", true, s.handleMarkRead},
		{"GET /unreads", true, s.handleUnreads},
		{"GET /sync", true, s.handleSync},

		{"GET /ws", false, s.handleWebSocket},

		{"GET /healthz", false, s.handleHealthz},
		{"GET /readyz", false, s.handleReadyz},
		{"GET /openapi.json", false, s.handleOpenAPI},
		{"GET /metrics", false, s.handleMetrics},
	}
}

// handleMetrics handles GET /metrics.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler().ServeHTTP(w, r)
}

// handleHealthz answers while the process is alive.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 200 while the store is reachable, 503 otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Service.Store.Ping(ctx); err != nil {
		s.Logger.ErrorContext(ctx, "readiness check failed", "err", err)
		writeJSON(w, r, http.StatusServiceUnavailable, map[string]string{"status": "store unreachable"})
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]string{"status": "ready"})
}
