package web

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/i18n"
	"github.com/synack/synack/templates"
)

// catalogueMaxAge is how long a browser may keep a page catalogue: a new
// build may change it, and the app fetches one only when the reader
// switches language.
const catalogueMaxAge = "public, max-age=3600"

// pageCatalogue answers GET /i18n/{lang}.json: the catalogue the app's and
// the embed's scripts use in that language (templates.PageCatalogue). A
// page carries its own language's; switching language in place fetches the
// other from here.
func pageCatalogue(w http.ResponseWriter, r *http.Request) error {
	lang, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".json")
	if !ok || !i18n.Supported(lang) {
		return &requestError{status: http.StatusNotFound, msg: "there is no catalogue " + quoteShort(chi.URLParam(r, "file"))}
	}
	w.Header().Set("Cache-Control", catalogueMaxAge)
	// With the kernel peer's words: a page of a server without it never
	// shows them, and a few more keys cost only the reader who switches.
	writeJSON(w, http.StatusOK, templates.PageCatalogue(lang, templates.Config{KernelPeer: true}))
	return nil
}
