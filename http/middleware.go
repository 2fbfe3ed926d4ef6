package http

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/parleychat/parley"
)

// observe wraps every request: it gives the request a logger with a request
// ID, recovers a panic into a 500, counts the request in the metrics and
// logs one line when it ends.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = rand.Text()[:12]
		}
		rec.Header().Set("X-Request-Id", id)
		logger := s.Logger.With("request_id", id)
		r = r.WithContext(context.WithValue(r.Context(), loggerKey{}, logger))

		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				if !rec.wrote {
					Error(rec, r, errors.New("panic"))
				}
			}

			route := r.Pattern
			if route == "" || route == "/" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.observe(route, rec.status, d)
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			} else if rec.status >= 400 {
				level = slog.LevelWarn
			}
			logger.Log(r.Context(), level, "request",
				"method", r.Method, "route", route, "status", rec.status,
				"duration_ms", float64(d.Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}

// authenticate lets a request through only with a valid access token, and
// puts the token's user into its context. Identity comes only from here.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.Service.Authenticate(r.Context(), requestToken(r, false))
		if err != nil {
			Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(parley.NewContextWithUser(r.Context(), u)))
	})
}

// requestToken finds the access token of a request: "Authorization: Bearer
// T", a bare token in Authorization or an IDToken header (as clients of the
// original system send it), or, where allowQuery is set, a token query
// parameter, since browsers cannot set headers on a WebSocket.
func requestToken(r *http.Request, allowQuery bool) string {
	if h := strings.TrimSpace(r.Header.Get("Authorization")); h != "" {
		if scheme, token, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
		return h
	}
	if h := strings.TrimSpace(r.Header.Get("IDToken")); h != "" {
		return h
	}
	if allowQuery {
		return r.URL.Query().Get("token")
	}
	return ""
}

// recorder remembers the status written through it. It passes Hijack on, so
// that the WebSocket upgrade works through it.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// WriteHeader implements http.ResponseWriter.
func (rec *recorder) WriteHeader(status int) {
	if !rec.wrote {
		rec.status, rec.wrote = status, true
	}
	rec.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (rec *recorder) Write(b []byte) (int, error) {
	rec.wrote = true
	return rec.ResponseWriter.Write(b)
}

// Hijack implements http.Hijacker for the WebSocket upgrade.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := rec.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot hijack")
	}
	rec.status, rec.wrote = http.StatusSwitchingProtocols, true
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *recorder) Unwrap() http.ResponseWriter {
	return rec.ResponseWriter
}
