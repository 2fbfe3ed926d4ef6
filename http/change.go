package http

import (
	"net/http"
)

// handleEditMessage handles PATCH /message/{message_id}.
func (s *Server) handleEditMessage(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text string `json:"message"`
	}
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	m, err := s.Service.EditMessage(r.Context(), r.PathValue("message_id"), body.Text)
	reply(w, r, http.StatusOK, m, err)
}

// handleDeleteMessage handles DELETE /message/{message_id}.
func (s *Server) handleDeleteMessage(w http.ResponseWriter, r *http.Request) {
	m, err := s.Service.DeleteMessage(r.Context(), r.PathValue("message_id"))
	reply(w, r, http.StatusOK, m, err)
}

// handleReact handles POST /message/{message_id}/reactions.
func (s *Server) handleReact(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	m, err := s.Service.React(r.Context(), r.PathValue("message_id"), body.Name)
	reply(w, r, http.StatusOK, m, err)
}

// handleUnreact handles DELETE /message/{message_id}/reactions/{name}.
func (s *Server) handleUnreact(w http.ResponseWriter, r *http.Request) {
	m, err := s.Service.Unreact(r.Context(), r.PathValue("message_id"), r.PathValue("name"))
	reply(w, r, http.StatusOK, m, err)
}

// handlePin handles POST /message/{message_id}/pin.
func (s *Server) handlePin(w http.ResponseWriter, r *http.Request) {
	p, err := s.Service.Pin(r.Context(), r.PathValue("message_id"))
	reply(w, r, http.StatusOK, p, err)
}

// handleUnpin handles DELETE /message/{message_id}/pin.
func (s *Server) handleUnpin(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.Unpin(r.Context(), r.PathValue("message_id")); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, says("unpinned"))
}

// handlePins handles GET /pins/{workspace_id}/{channel_id}.
func (s *Server) handlePins(w http.ResponseWriter, r *http.Request) {
	pins, err := s.Service.Pins(r.Context(), r.PathValue("workspace_id"), r.PathValue("channel_id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, map[string]any{"pins": pins})
}

// handleThread handles GET /thread/{message_id}.
func (s *Server) handleThread(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	page, err := s.Service.Thread(r.Context(), r.PathValue("message_id"), p)
	reply(w, r, http.StatusOK, page, err)
}
