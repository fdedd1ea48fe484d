package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/templates"
)

// index answers GET /, in the language the request asks for.
func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	t := i18n.For(i18n.Negotiate(r.URL.Query().Get("lang"), r.Header.Get("Accept-Language")))
	page := templates.IndexPage{T: t, Assets: s.pageAssets, Scenarios: localize(s.summaries, t.Lang())}
	return writePage(w, r, t.Lang(), templates.Index(page))
}

// component is what templ generates for a page.
type component interface {
	Render(ctx context.Context, w io.Writer) error
}

// writePage renders a page whole before sending it, so that a failure is
// still an error answer and not half a page.
func writePage(w http.ResponseWriter, r *http.Request, lang string, page component) error {
	var buf bytes.Buffer
	if err := page.Render(r.Context(), &buf); err != nil {
		return fmt.Errorf("rendering %s: %w", r.URL.Path, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", lang)
	h.Add("Vary", "Accept-Language")
	_, _ = buf.WriteTo(w) // a client that went away is no error of ours
	return nil
}

// localize picks the scenarios' titles and summaries in lang.
func localize(list []scenarioSummary, lang string) []templates.Scenario {
	out := make([]templates.Scenario, len(list))
	for i, sc := range list {
		out[i] = templates.Scenario{ID: sc.ID, Title: inLang(sc.Title, lang), Summary: inLang(sc.Summary, lang)}
	}
	return out
}

func inLang(t engine.Text, lang string) string {
	if lang == i18n.ZH {
		return t.ZH
	}
	return t.EN
}
