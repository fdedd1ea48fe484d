package web

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/templates"
)

// A custom scenario travels in a page's address: /?s=… and /embed/custom?s=…
// carry base64url(deflate-raw(scenario JSON)), as static/files/js/share.js
// writes it. No server keeps it; the server only bounds and checks it, so
// that a bad link is answered with a page that says what is wrong.

// maxShareChars bounds the s parameter: longer links are cut by some mail
// clients, chat programs and proxies. share.js has the same number.
const maxShareChars = 8000

// shareError is an s parameter that does not hold a scenario: key names the
// catalogue message, args fill it in, and detail is the engine's own words
// for an invalid scenario (which name the field).
type shareError struct {
	key    string
	args   []string
	detail string
}

func (e *shareError) Error() string {
	msg := i18n.For(i18n.EN).T(e.key, e.args...)
	if e.detail != "" {
		msg += " " + e.detail
	}
	return msg
}

// decodeShare unpacks and validates the scenario an s parameter carries.
// Every failure is a *shareError.
func decodeShare(s string) (*engine.Scenario, error) {
	s = strings.TrimRight(s, "=")
	switch {
	case s == "":
		return nil, &shareError{key: "export.link_empty"}
	case len(s) > maxShareChars:
		return nil, &shareError{key: "export.link_too_long",
			args: []string{"n", strconv.Itoa(len(s)), "max", strconv.Itoa(maxShareChars)}}
	}
	packed, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, &shareError{key: "export.link_not_base64"}
	}
	r := flate.NewReader(bytes.NewReader(packed))
	defer r.Close()
	doc, err := io.ReadAll(io.LimitReader(r, engine.MaxScenarioBytes+1))
	switch {
	case err != nil:
		return nil, &shareError{key: "export.link_damaged"}
	case len(doc) > engine.MaxScenarioBytes:
		return nil, &shareError{key: "export.link_too_big", args: []string{"max", strconv.Itoa(engine.MaxScenarioBytes >> 10)}}
	}
	var object map[string]json.RawMessage
	if json.Unmarshal(doc, &object) != nil || object == nil {
		return nil, &shareError{key: "export.link_not_json"}
	}
	sc, err := engine.DecodeScenario(doc)
	if err != nil {
		return nil, &shareError{key: "export.link_invalid", detail: clip(err.Error())}
	}
	return sc, nil
}

// sharedApp answers GET /?s=…: the app with the link's scenario, or a page
// that says why the link cannot be opened.
func (s *Server) sharedApp(w http.ResponseWriter, r *http.Request, t i18n.Catalogue, cfg templates.Config) error {
	sc, err := decodeShare(r.URL.Query().Get("s"))
	if err != nil {
		return s.badLink(w, r, t, err)
	}
	s.withCustom(r, &cfg, sc, "")
	return writePage(w, r, http.StatusOK, t.Lang(), templates.App(templates.AppPage{T: t, Assets: s.pageAssets, Config: cfg}))
}

// embedCustom answers GET /embed/custom?s=…: the embeddable view of a
// shared scenario.
func (s *Server) embedCustom(w http.ResponseWriter, r *http.Request) error {
	t := pageLanguage(r)
	q := r.URL.Query()
	sc, err := decodeShare(q.Get("s"))
	if err != nil {
		return s.badLink(w, r, t, err)
	}
	cfg := embedConfig(q, t.Lang())
	s.withCustom(r, &cfg, sc, "/?"+url.Values{"s": {q.Get("s")}}.Encode())
	cfg.OEmbed = s.oembedLink(r)
	return writePage(w, r, http.StatusOK, t.Lang(), templates.Embed(templates.EmbedPage{T: t, Assets: s.pageAssets, Config: cfg}))
}

// embedConfig reads the query parameters every embeddable view takes.
func embedConfig(q url.Values, lang string) templates.Config {
	from, to := parseRange(q.Get("from"), q.Get("to"))
	return templates.Config{
		Mode:         templates.ModeEmbed,
		Lang:         lang,
		Autoplay:     q.Get("autoplay") == "1",
		Speed:        parseEmbedSpeed(q.Get("speed")),
		ParentOrigin: parseOrigin(q.Get("parent")),
		From:         from,
		To:           to,
	}
}

// withCustom makes sc the page's scenario: the config carries the object,
// and the list of scenarios an entry for it, with its title (in both
// languages, a word for "custom scenario" when it has none) and its number
// of events. open is the embed's link to the app ("" to leave the app's own
// address).
func (s *Server) withCustom(r *http.Request, cfg *templates.Config, sc *engine.Scenario, open string) {
	title := text(sc.Title)
	for _, lang := range i18n.Langs() {
		untitled := i18n.For(lang).T("export.custom_title")
		switch lang {
		case i18n.EN:
			title.EN = cmpOr(title.EN, untitled)
		case i18n.ZH:
			title.ZH = cmpOr(title.ZH, title.EN, untitled)
		}
	}
	info := templates.ScenarioInfo{ID: templates.Custom, Title: title, Summary: text(sc.Summary)}
	// The count is for "step n of m" and the embed's messages; a run that
	// fails or is cut short leaves it unknown, and the live session says why.
	progressive := revealProgressive(r.URL.Query())
	if progressive {
		cfg.Reveal = templates.RevealProgressive
	}
	if tr, err := s.runs.run(r.Context(), sc); err == nil && !tr.Truncated {
		info.Events = len(tr.Events)
		if !progressive {
			// Without a plan the page draws the run as it plays.
			cfg.Plan, _ = encodePlan(tr)
		}
	}
	if cfg.Mode == templates.ModeApp {
		cfg.Scenarios = append(cfg.Scenarios, info)
	} else {
		cfg.Scenarios = []templates.ScenarioInfo{info}
	}
	cfg.Scenario = templates.Custom
	cfg.Custom = sc
	cfg.OpenURL = open
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// badLink answers a share link that cannot be opened: 400, with a page that
// says why in the page's language (and the engine's words for an invalid
// scenario, which name the field).
func (s *Server) badLink(w http.ResponseWriter, r *http.Request, t i18n.Catalogue, err error) error {
	var se *shareError
	if !errors.As(err, &se) {
		return err
	}
	s.log.DebugContext(r.Context(), "bad share link", "error", se.Error())
	page := templates.LinkProblem(templates.LinkProblemPage{T: t, Assets: s.pageAssets,
		Title: t.T("export.link_error_title"), Message: t.T(se.key, se.args...), Detail: se.detail})
	return writePage(w, r, http.StatusBadRequest, t.Lang(), page)
}

// parseRange reads an embed's from and to parameters: event numbers from 1
// to the engine's limit, to not before from. Anything else is 0, no bound.
func parseRange(fromParam, toParam string) (from, to int) {
	num := func(v string) int {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > engine.MaxEvents {
			return 0
		}
		return n
	}
	from, to = num(fromParam), num(toParam)
	if to != 0 && to < from {
		to = 0
	}
	return from, to
}
