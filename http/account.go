package http

import (
	"net/http"
)

// credentials is the body of signup and login.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Nickname string `json:"nickname"`
}

// refreshBody is the body of refresh and logout.
type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

// handleSignup handles POST /auth/signup.
func (s *Server) handleSignup(w http.ResponseWriter, r *http.Request) {
	var body credentials
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	sess, err := s.Service.Signup(r.Context(), body.Email, body.Password, body.Nickname)
	reply(w, r, http.StatusCreated, sess, err)
}

// handleLogin handles POST /auth/login.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var body credentials
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	sess, err := s.Service.Login(r.Context(), body.Email, body.Password)
	reply(w, r, http.StatusOK, sess, err)
}

// handleRefresh handles POST /auth/refresh.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	var body refreshBody
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	sess, err := s.Service.Refresh(r.Context(), body.RefreshToken)
	reply(w, r, http.StatusOK, sess, err)
}

// handleLogout handles POST /auth/logout.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	var body refreshBody
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	if err := s.Service.Logout(r.Context(), body.RefreshToken); err != nil {
		Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleResetPassword handles POST /auth/reset.
func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string `json:"email"`
		Code     string `json:"code"`
		Password string `json:"password"`
	}
	if err := decode(r, w, &body); err != nil {
		Error(w, r, err)
		return
	}
	sess, err := s.Service.ResetPassword(r.Context(), body.Email, body.Code, body.Password)
	reply(w, r, http.StatusOK, sess, err)
}
