package web

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/lessons"
	"github.com/synack/synack/templates"
)

// oEmbed (https://oembed.com): a CMS that is given a link to one of
// synack's pages asks GET /oembed?url=LINK and gets the iframe that embeds
// it, so that pasting the link embeds the view. The pages name the
// endpoint in a discovery <link> (oembedLink).

// Default size of the embed's iframe, in CSS pixels; maxwidth and
// maxheight make it smaller, never larger. The heights hold the whole view
// of a scenario and of a lesson, measured in Chromium at 800 px wide
// (docs/embedding.md).
const (
	oembedWidth        = 800
	oembedHeight       = 600
	oembedLessonHeight = 850
)

// embedParams are the query parameters of a page that its embed keeps.
var embedParams = []string{"lang", "autoplay", "speed", "from", "to", "numbering", "step", "reveal"}

// oembedAnswer is the JSON answer of a rich oEmbed response (oEmbed 1.0,
// sections 2.3.4 and 2.3.4.4).
type oembedAnswer struct {
	Version      string `json:"version"`
	Type         string `json:"type"`
	Title        string `json:"title"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url"`
	CacheAge     int    `json:"cache_age"`
	HTML         string `json:"html"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// oembed answers GET /oembed?url=…[&format=json][&maxwidth=N][&maxheight=N].
// As the spec says: a format other than json is 501, a URL that is not an
// embeddable page of this server 404, a missing URL or a malformed size
// 400.
func (s *Server) oembed(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && f != "json" {
		return &requestError{status: http.StatusNotImplemented,
			msg: "only the json format is offered, not " + quoteShort(f)}
	}
	if q.Get("url") == "" {
		return badRequest("give the address of a synack page as url")
	}
	width, err := oembedSize(q, "maxwidth", oembedWidth)
	if err != nil {
		return err
	}
	src, title, height, err := s.embedFor(r, q.Get("url"))
	if err != nil {
		return err
	}
	if height, err = oembedSize(q, "maxheight", height); err != nil {
		return err
	}
	title += " · synack"
	writeJSON(w, http.StatusOK, oembedAnswer{
		Version:      "1.0",
		Type:         "rich",
		Title:        title,
		ProviderName: "synack",
		ProviderURL:  s.proxy.publicBase(r) + "/",
		CacheAge:     86400,
		HTML: fmt.Sprintf(`<iframe src="%s" title="%s" width="%d" height="%d" style="border: 0" loading="lazy"></iframe>`,
			html.EscapeString(src), html.EscapeString(title), width, height),
		Width:  width,
		Height: height,
	})
	return nil
}

// oembedSize reads maxwidth or maxheight: the default, or less when the
// consumer asks for less.
func oembedSize(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, badRequest("%s must be a positive number of pixels, not %s", name, quoteShort(v))
	}
	return min(n, def), nil
}

// embedFor is the embed's address, at the public base, its title and its
// height, for a link to one of this server's pages: the app with a
// built-in or a shared scenario, a lesson, or an embed itself.
func (s *Server) embedFor(r *http.Request, link string) (src, title string, height int, err error) {
	notOurs := &requestError{status: http.StatusNotFound, msg: clip("there is no embeddable synack page at " + quoteShort(link))}
	u, err := url.Parse(link)
	if err != nil {
		return "", "", 0, notOurs
	}
	origin, ok := normalOrigin(u.Scheme + "://" + u.Host)
	if !ok || (origin != s.proxy.publicBase(r) && origin != s.proxy.requestOrigin(r)) {
		return "", "", 0, notOurs
	}
	q := u.Query()
	lang := q.Get("lang")
	if !i18n.Supported(lang) {
		lang = pageLanguage(r).Lang()
	}
	var path string
	height = oembedHeight
	switch rest, isEmbed := strings.CutPrefix(u.Path, "/embed/"); {
	case u.Path == "/" && q.Has("s"), isEmbed && rest == "custom":
		sc, err := decodeShare(q.Get("s"))
		if err != nil {
			return "", "", 0, notOurs
		}
		path, title = "/embed/custom", textIn(sc.Title, lang)
		if title == "" {
			title = i18n.For(lang).T("export.custom_title")
		}
	case u.Path == "/" && !q.Has("room"):
		id := q.Get("scenario")
		if id == "" {
			id = s.firstScenario()
		}
		if !s.isBuiltin(id) {
			return "", "", 0, notOurs
		}
		path, title = "/embed/"+url.PathEscape(id), s.scenarioTitle(id, lang)
	case strings.HasPrefix(u.Path, "/learn/"), isEmbed && strings.HasPrefix(rest, "lesson/"):
		id := strings.TrimPrefix(strings.TrimPrefix(u.Path, "/learn/"), "/embed/lesson/")
		l, ok := lessons.Get(id)
		if !ok {
			return "", "", 0, notOurs
		}
		path, title, height = "/embed/lesson/"+url.PathEscape(id), textIn(l.Title, lang), oembedLessonHeight
	case isEmbed && s.isBuiltin(rest):
		path, title = "/embed/"+url.PathEscape(rest), s.scenarioTitle(rest, lang)
	default:
		return "", "", 0, notOurs
	}
	keep := url.Values{}
	if path == "/embed/custom" {
		keep.Set("s", q.Get("s"))
	}
	for _, k := range embedParams {
		if v := q.Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	src = s.proxy.publicBase(r) + path
	if len(keep) > 0 {
		src += "?" + keep.Encode()
	}
	return src, title, height, nil
}

func (s *Server) scenarioTitle(id, lang string) string {
	for _, sc := range s.summaries {
		if sc.ID == id {
			return textIn(sc.Title, lang)
		}
	}
	return id
}

func textIn(t engine.Text, lang string) string {
	return templates.Text{EN: t.EN, ZH: t.ZH}.In(lang)
}

// oembedLink is the discovery address of the page r asks for: the oEmbed
// endpoint with the page's public address as url.
func (s *Server) oembedLink(r *http.Request) string {
	base := s.proxy.publicBase(r)
	return base + "/oembed?" + url.Values{"url": {base + r.URL.RequestURI()}, "format": {"json"}}.Encode()
}
