package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/i18n"
)

// stringGroups are the words a page's script fetches when it first needs
// them instead of carrying them in every page's inline catalogue
// (templates.pageOnlyKeys leaves them out): the capture view's, the
// explanation panel's reasons, which only a reader who selects an event
// reads, and a classroom room's, which room.js fetches as it loads.
var stringGroups = map[string][]string{
	"capture": {"capture.", "insp.ip6.", "insp.layer_ip6"},
	"explain": {"why.", "explain."},
	"room":    {"room."},
}

// getStrings answers GET /api/strings/{group}: {"en": {key: text}, "zh":
// {…}}, the group's words in every language.
func getStrings(w http.ResponseWriter, r *http.Request) error {
	group := chi.URLParam(r, "group")
	prefixes, ok := stringGroups[group]
	if !ok {
		return &requestError{status: http.StatusNotFound, msg: "there are no strings named " + group}
	}
	all := map[string]i18n.Catalogue{}
	for _, lang := range i18n.Langs() {
		all[lang] = i18n.For(lang).Only(prefixes...)
	}
	writeJSON(w, http.StatusOK, all)
	return nil
}
