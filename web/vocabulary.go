package web

import (
	"net/http"

	"github.com/synack/synack/engine"
)

// getVocabulary answers GET /api/vocabulary: every value a trace's kind,
// cause, reason, timer and drop_reason can take, with its RFC or kernel
// citations and its catalogue keys (engine.Vocabulary). The explanation
// panel cites from it.
func getVocabulary(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, engine.Vocabulary())
}
