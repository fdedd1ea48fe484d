package web

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/i18n"
	"github.com/synack/synack/lessons"
	"github.com/synack/synack/static"
	"github.com/synack/synack/templates"
)

// The self-paced course (docs/lessons.md): the lesson list at /learn, one
// lesson at /learn/{id}, and their data at /api/lessons. The pages run
// learn.js, which drives the lesson's scenario over /ws, asks each step's
// question before the event it is about, checks the answer in the browser
// and keeps the student's progress in localStorage.

// learnPages serves the course pages. The list and the lesson count are
// made once: lessons are embedded in the binary.
type learnPages struct {
	s       *Server
	assets  templates.LearnAssets
	lessons []templates.LessonItem // in teaching order
}

func newLearnPages(s *Server, assets *static.Assets) *learnPages {
	lp := &learnPages{s: s, assets: templates.LearnAssets{
		Assets:     s.pageAssets,
		Script:     assets.URL("js/learn.js"),
		Stylesheet: assets.URL("learn.css"),
	}}
	for _, l := range lessons.All() {
		item := templates.LessonItem{ID: l.ID, Title: text(l.Title), Summary: text(l.Summary), Steps: len(l.Steps)}
		for _, st := range l.Steps {
			if st.Question != nil {
				item.Questions++
			}
		}
		lp.lessons = append(lp.lessons, item)
	}
	return lp
}

// listLessons answers GET /api/lessons: every lesson's id, title and
// summary in both languages, in teaching order.
func listLessons(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, lessons.Summaries())
}

// getLesson answers GET /api/lessons/{id}: the lesson as the page gets it,
// in the language ?lang= names, or in every language keyed by its code.
func getLesson(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	l, ok := lessons.Get(id)
	if !ok {
		return &requestError{status: http.StatusNotFound, msg: "there is no lesson " + quoteShort(id)}
	}
	lang := r.URL.Query().Get("lang")
	switch {
	case lang == "":
		views := make(map[string]lessons.LessonView, len(i18n.Langs()))
		for _, lang := range i18n.Langs() {
			views[lang] = l.View(lang)
		}
		writeJSON(w, http.StatusOK, views)
	case i18n.Supported(lang):
		writeJSON(w, http.StatusOK, l.View(lang))
	default:
		return badRequest("unknown lang %s: use %s", quoteShort(lang), strings.Join(i18n.Langs(), " or "))
	}
	return nil
}

// index answers GET /learn: the lessons, each with its counts; the script
// adds the student's progress.
func (lp *learnPages) index(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	page := templates.LearnIndexPage{T: t, Assets: lp.assets, Lessons: lp.lessons}
	return writePage(w, r, http.StatusOK, t.Lang(), templates.LearnIndex(page))
}

// lesson answers GET /learn/{id}: one lesson, or a page that says there is
// no such lesson. Mounted under /embed/ (with a CSP that lets other sites
// frame it) it is the same lesson with minimal chrome, telling the page
// around it its height and each answer (learn.js).
func (lp *learnPages) lesson(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	id := chi.URLParam(r, "id")
	l, ok := lessons.Get(id)
	if !ok {
		page := templates.LessonNotFound(templates.LessonNotFoundPage{T: t, Assets: lp.assets.Assets, ID: id})
		return writePage(w, r, http.StatusNotFound, t.Lang(), page)
	}
	view := l.View(t.Lang())
	cfg := templates.LearnConfig{Mode: templates.ModeLearn, Lang: t.Lang(), Lesson: &view}
	if strings.HasPrefix(r.URL.Path, "/embed/") {
		cfg.Mode = templates.ModeEmbed
		cfg.ParentOrigin = parseOrigin(r.URL.Query().Get("parent"))
	}
	for i, item := range lp.lessons {
		if item.ID == id && i+1 < len(lp.lessons) {
			next := lp.lessons[i+1]
			cfg.Next = &templates.LessonLink{ID: next.ID, Title: next.Title.In(t.Lang())}
		}
	}
	page := templates.LessonPage{T: t, Assets: lp.assets, Config: cfg, OEmbed: lp.s.oembedLink(r)}
	return writePage(w, r, http.StatusOK, t.Lang(), templates.Lesson(page))
}
