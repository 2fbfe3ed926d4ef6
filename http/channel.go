package http

import (
	"net/http"

	"github.com/parleychat/parley/app"
)

// handleCreateChannel handles POST /channel.
func (s *Server) handleCreateChannel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		WorkspaceID string `json:"workspace_id"`
		Name        string `json:"channel_name"`
		IsPrivate   bool   `json:"is_private"`
	}
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	ch, err := s.Service.CreateChannel(r.Context(), body.WorkspaceID, body.Name, body.IsPrivate)
	reply(w, r, http.StatusCreated, ch, err)
}

// handleGetChannel handles GET /channel/{workspace_id}/{channel_id}.
func (s *Server) handleGetChannel(w http.ResponseWriter, r *http.Request) {
	ch, err := s.Service.Channel(r.Context(), r.PathValue("workspace_id"), r.PathValue("channel_id"))
	reply(w, r, http.StatusOK, ch, err)
}

// handleDeleteChannel handles DELETE /channel/{workspace_id}/{channel_id}.
func (s *Server) handleDeleteChannel(w http.ResponseWriter, r *http.Request) {
	err := s.Service.DeleteChannel(r.Context(), r.PathValue("workspace_id"), r.PathValue("channel_id"))
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, says("channel deleted"))
}

// handleListChannels handles GET /channels/{workspace_id}/{user_email}.
func (s *Server) handleListChannels(w http.ResponseWriter, r *http.Request) {
	list, err := s.Service.ChannelsOf(r.Context(), r.PathValue("workspace_id"), r.PathValue("user_email"))
	reply(w, r, http.StatusOK, list, err)
}

// handleJoinChannel handles PATCH /channel.
func (s *Server) handleJoinChannel(w http.ResponseWriter, r *http.Request) {
	var body membership
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	members, err := s.Service.JoinChannel(r.Context(), body.WorkspaceID, body.ChannelID, body.UserEmail)
	reply(w, r, http.StatusOK, members, err)
}

// handleLeaveChannel handles PATCH /channel/out.
func (s *Server) handleLeaveChannel(w http.ResponseWriter, r *http.Request) {
	var body membership
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	err := s.Service.LeaveChannel(r.Context(), body.WorkspaceID, body.ChannelID, body.UserEmail)
	if err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, says("left the channel"))
}

// handleUpdateChannel handles PATCH /channel/{workspace_id}/{channel_id}.
func (s *Server) handleUpdateChannel(w http.ResponseWriter, r *http.Request) {
	var body app.ChannelSettings
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	ch, err := s.Service.UpdateChannel(r.Context(), r.PathValue("workspace_id"), r.PathValue("channel_id"), body)
	reply(w, r, http.StatusOK, ch, err)
}
