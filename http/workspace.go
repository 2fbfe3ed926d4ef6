package http

import (
	"net/http"
)

// membership is the body of the PATCH routes that add or remove a member.
type membership struct {
	WorkspaceID string `json:"workspace_id"`
	ChannelID   string `json:"channel_id"`
	UserEmail   string `json:"user_email"`
}

// handleCreateWorkspace handles POST /workspace.
func (s *Server) handleCreateWorkspace(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"workspace_name"`
	}
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	ws, err := s.Service.CreateWorkspace(r.Context(), body.Name)
	reply(w, r, http.StatusCreated, ws, err)
}

// handleGetWorkspace handles GET /workspace/{workspace_id}.
func (s *Server) handleGetWorkspace(w http.ResponseWriter, r *http.Request) {
	ws, err := s.Service.Workspace(r.Context(), r.PathValue("workspace_id"))
	reply(w, r, http.StatusOK, ws, err)
}

// handleDeleteWorkspace handles DELETE /workspace/{workspace_id}.
func (s *Server) handleDeleteWorkspace(w http.ResponseWriter, r *http.Request) {
	if err := s.Service.DeleteWorkspace(r.Context(), r.PathValue("workspace_id")); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, says("workspace deleted"))
}

// handleListWorkspaces handles GET /workspaces/{user_email}.
func (s *Server) handleListWorkspaces(w http.ResponseWriter, r *http.Request) {
	list, err := s.Service.WorkspacesOf(r.Context(), r.PathValue("user_email"))
	reply(w, r, http.StatusOK, list, err)
}

// handleInviteToWorkspace handles PATCH /workspace.
func (s *Server) handleInviteToWorkspace(w http.ResponseWriter, r *http.Request) {
	var body membership
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	members, err := s.Service.InviteToWorkspace(r.Context(), body.WorkspaceID, body.UserEmail)
	reply(w, r, http.StatusOK, members, err)
}

// handleLeaveWorkspace handles PATCH /workspace/out.
func (s *Server) handleLeaveWorkspace(w http.ResponseWriter, r *http.Request) {
	var body membership
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Service.LeaveWorkspace(r.Context(), body.WorkspaceID, body.UserEmail); err != nil {
		Error(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, says("left the workspace"))
}
