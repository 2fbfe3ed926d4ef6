package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// serveDebug serves the runtime's profiles under /debug/pprof/ on addr, on a
// listener apart from the API's, so that they are never exposed by the
// API's address and load balancer. The profiles show code paths and
// memory, never tokens; still, addr belongs on loopback or a private
// network. It returns the server, which Close stops, and the profiles'
// base URL.
func serveDebug(addr string, logger *slog.Logger) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("--debug-addr (PARLEY_DEBUG_ADDR): %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String() + "/debug/pprof/"
	logger.Info("serving profiles", "url", url)
	return srv, url, nil
}
