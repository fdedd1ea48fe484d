package web

import (
	"net/http"

	"github.com/synack/synack/templates"
)

// editor answers GET /editor: the scenario editor, starting from the
// built-in ?scenario= names, else from a blank scenario (a shared one, ?s=,
// is read by the page's script, so that even a scenario the server would
// refuse can be opened and mended).
func (s *Server) editor(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	cfg := templates.EditorConfig{Lang: t.Lang(), Scenarios: s.scenarioInfos(), PublicURL: s.proxy.cfg.PublicURL}
	if id := r.URL.Query().Get("scenario"); s.isBuiltin(id) {
		cfg.Start = id
	}
	return writePage(w, r, http.StatusOK, t.Lang(), templates.Editor(templates.EditorPage{T: t, Assets: s.pageAssets, Config: cfg}))
}
