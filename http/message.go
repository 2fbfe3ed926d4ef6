package http

import (
	"net/http"
	"strconv"

	"github.com/parleychat/parley"
	"github.com/parleychat/parley/app"
)

// pageRequest reads the paging parameters limit, before and after.
func pageRequest(r *http.Request) (app.PageRequest, error) {
	var p app.PageRequest
	var err error
	if p.Limit, err = queryInt(r, "limit"); err != nil {
		return p, err
	}
	if p.Before, err = queryInt(r, "before"); err != nil {
		return p, err
	}
	if p.After, err = queryInt(r, "after"); err != nil {
		return p, err
	}
	if v := r.URL.Query().Get("include_replies"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return p, parley.Errorf(parley.EINVALID, "include_replies must be a boolean (true or false)")
		}
		p.IncludeReplies = b
	}
	return p, nil
}

// handleChannelHistory handles GET /messages/{workspace_id}/{channel_id}.
func (s *Server) handleChannelHistory(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	page, err := s.Service.ChannelHistory(r.Context(), r.PathValue("workspace_id"), r.PathValue("channel_id"), p)
	reply(w, r, http.StatusOK, page, err)
}

// handlePostChannelMessage handles POST /messages/{workspace_id}/{channel_id}.
func (s *Server) handlePostChannelMessage(w http.ResponseWriter, r *http.Request) {
	var d app.Draft
	if err := decode(r, w, &d); err != nil {
		Error(w, r, err)
		return
	}
	m, err := s.Service.PostChannelMessage(r.Context(), r.PathValue("workspace_id"), r.PathValue("channel_id"), d)
	reply(w, r, http.StatusCreated, m, err)
}

// handleDirectHistory handles GET /dm/{sender}/{receiver}.
func (s *Server) handleDirectHistory(w http.ResponseWriter, r *http.Request) {
	p, err := pageRequest(r)
	if err != nil {
		Error(w, r, err)
		return
	}
	page, err := s.Service.DirectHistory(r.Context(), r.PathValue("sender"), r.PathValue("receiver"), p)
	reply(w, r, http.StatusOK, page, err)
}

// handlePostDirectMessage handles POST /dm/{sender}/{receiver}.
func (s *Server) handlePostDirectMessage(w http.ResponseWriter, r *http.Request) {
	var d app.Draft
	if err := decode(r, w, &d); err != nil {
		Error(w, r, err)
		return
	}
	m, err := s.Service.PostDirectMessage(r.Context(), r.PathValue("sender"), r.PathValue("receiver"), d)
	reply(w, r, http.StatusCreated, m, err)
}
