package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/templates"
)

// maxEmbedSpeed bounds the speed query parameter of /embed/{id}: beyond it,
// "max" says the same thing.
const maxEmbedSpeed = 10000

// app answers GET /: the teaching view, with the scenario ?scenario= names
// (a built-in or the sandbox) loaded, else the first built-in.
func (s *Server) app(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	cfg := templates.Config{
		Mode:      templates.ModeApp,
		Lang:      t.Lang(),
		Scenario:  s.firstScenario(),
		Scenarios: s.scenarioInfos(),
		PublicURL: s.proxy.cfg.PublicURL,
		LANURL:    s.proxy.lanHint(r),
	}
	q := r.URL.Query()
	if id := q.Get("scenario"); id == templates.Sandbox || s.isBuiltin(id) {
		cfg.Scenario = id
	}
	if cfg.Scenario != templates.Sandbox && !q.Has("room") {
		cfg.OEmbed = s.oembedLink(r)
	}
	s.kernelPage(&cfg, r)
	if q.Has("s") {
		return s.sharedApp(w, r, t, cfg)
	}
	// A room's viewer shows what the presenter plays, as it is played.
	if !q.Has("room") {
		s.withBuiltinPlan(q, &cfg)
	}
	return writePage(w, r, http.StatusOK, t.Lang(), templates.App(templates.AppPage{T: t, Assets: s.pageAssets, Config: cfg}))
}

// embed answers GET /embed/{id}: one built-in scenario in the view made for
// other sites' iframes, or a page that says there is no such scenario.
func (s *Server) embed(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	id := chi.URLParam(r, "id")
	if !s.isBuiltin(id) {
		page := templates.NotFound(templates.NotFoundPage{T: t, Assets: s.pageAssets, ID: id})
		return writePage(w, r, http.StatusNotFound, t.Lang(), page)
	}
	cfg := embedConfig(r.URL.Query(), t.Lang())
	cfg.Scenario, cfg.Scenarios = id, s.scenarioInfos()
	cfg.OEmbed = s.oembedLink(r)
	s.withBuiltinPlan(r.URL.Query(), &cfg)
	return writePage(w, r, http.StatusOK, t.Lang(), templates.Embed(templates.EmbedPage{T: t, Assets: s.pageAssets, Config: cfg}))
}

// index answers GET /scenarios: every built-in scenario with its links.
func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	page := templates.IndexPage{T: t, Assets: s.pageAssets, Scenarios: localize(s.summaries, t.Lang())}
	return writePage(w, r, http.StatusOK, t.Lang(), templates.Index(page))
}

// pageLanguage is the catalogue of the language a page request asks for.
func pageLanguage(r *http.Request) i18n.Catalogue {
	return i18n.For(i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language")))
}

// parseEmbedSpeed reads the speed query parameter: a pace the page plays at
// by itself ("teaching", the default, or "fast"), "max", or a number of
// virtual ms per real ms. Anything else is nil, which leaves the default.
func parseEmbedSpeed(v string) any {
	switch v {
	case "max", "teaching", "fast":
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0 && f <= maxEmbedSpeed) {
		return nil
	}
	return f
}

// parseOrigin reads the parent query parameter: an http or https origin
// (scheme, host and port), which the embedded page posts its messages to.
// Anything else, a path included, is "".
func parseOrigin(v string) string {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

func (s *Server) isBuiltin(id string) bool {
	_, ok := s.builtins.entries[id]
	return ok
}

func (s *Server) firstScenario() string {
	if len(s.summaries) == 0 {
		return templates.Sandbox
	}
	return s.summaries[0].ID
}

// scenarioInfos lists the built-in scenarios for a page's script, with the
// number of events of each run (the runs are cached after the first page).
func (s *Server) scenarioInfos() []templates.ScenarioInfo {
	out := make([]templates.ScenarioInfo, len(s.summaries))
	for i, sc := range s.summaries {
		out[i] = templates.ScenarioInfo{ID: sc.ID, Title: text(sc.Title), Summary: text(sc.Summary)}
		if tr, err := s.builtins.entries[sc.ID].trace(); err == nil && !tr.Truncated {
			out[i].Events = len(tr.Events)
		}
	}
	return out
}

func text(t engine.Text) templates.Text { return templates.Text{EN: t.EN, ZH: t.ZH} }

// component is what templ generates for a page.
type component interface {
	Render(ctx context.Context, w io.Writer) error
}

// writePage renders a page whole before sending it, so that a failure is
// still an error answer and not half a page.
func writePage(w http.ResponseWriter, r *http.Request, status int, lang string, page component) error {
	var buf bytes.Buffer
	if err := page.Render(r.Context(), &buf); err != nil {
		return fmt.Errorf("rendering %s: %w", r.URL.Path, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // a client that went away is no error of ours
	return nil
}

// localize picks the scenarios' titles and summaries in lang.
func localize(list []scenarioSummary, lang string) []templates.Scenario {
	out := make([]templates.Scenario, len(list))
	for i, sc := range list {
		out[i] = templates.Scenario{ID: sc.ID, Title: text(sc.Title).In(lang), Summary: text(sc.Summary).In(lang)}
	}
	return out
}
