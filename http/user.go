package http

import (
	"errors"
	"net/http"
)

// handleCreateProfile handles POST /user. Its body is optional.
func (s *Server) handleCreateProfile(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Nickname string `json:"nickname"`
	}
	if err := decode(r, w, &body); err != nil && !errors.Is(err, errEmptyBody) {
		Error(w, r, err)
		return
	}
	u, created, err := s.Service.EnsureProfile(r.Context(), body.Nickname)
	if err != nil {
		Error(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, r, status, u)
}

// handleMe handles GET /user/me.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	u, err := s.Service.Me(r.Context())
	reply(w, r, http.StatusOK, u, err)
}
