package http

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the API's OpenAPI 3 document. Tests keep it true: every route
// must be in it, and the end-to-end test's answers must match it.
//
//go:embed openapi.json
var OpenAPI []byte

// handleOpenAPI handles GET /openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(OpenAPI)
}
