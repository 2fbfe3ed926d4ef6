package http

import (
	"net/http"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// handleMarkRead handles POST /read.
func (s *Server) handleMarkRead(w http.ResponseWriter, r *http.Request) {
	var body app.ReadRequest
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	state, err := s.Service.MarkRead(r.Context(), body)
	reply(w, r, http.StatusOK, state, err)
}

// handleUnreads handles GET /unreads.
func (s *Server) handleUnreads(w http.ResponseWriter, r *http.Request) {
	states, err := s.Service.Unreads(r.Context())
	reply(w, r, http.StatusOK, map[string]any{"unreads": states}, err)
}

// handleSync handles GET /sync.
func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit")
	if err != nil {
		Error(w, r, err)
		return
	}
	since := r.URL.Query().Get("since")
	if since == "" && r.URL.Query().Has("since") {
		// An empty token is a client's bug, not a request for a new one.
		Error(w, r, parley.Errorf(parley.EINVALID, "since is empty: leave it out to get a token for now"))
		return
	}
	page, err := s.Service.Sync(r.Context(), since, limit)
	reply(w, r, http.StatusOK, page, err)
}
