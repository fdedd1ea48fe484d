package web

import (
	"encoding/json"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/synack/synack/i18n"
	"github.com/synack/synack/scenarios"
	"github.com/synack/synack/templates"
)

// pageTests are the language cases every page answers the same way:
// ?lang= wins, then Accept-Language, then English.
var pageTests = []struct {
	target, accept, lang string
}{
	{"", "", "en"},
	{"", "zh-CN,zh;q=0.9,en;q=0.8", "zh"},
	{"?lang=en", "zh-CN", "en"},
	{"?lang=zh", "", "zh"},
	{"?lang=fr", "de, en;q=0.5", "en"},
}

func checkLanguage(t *testing.T, h http.Handler, path string, status int) {
	t.Helper()
	for _, tt := range pageTests {
		target := path + tt.target
		if strings.Contains(path, "?") {
			target = path + strings.Replace(tt.target, "?", "&", 1)
		}
		w := request{target: target, header: map[string]string{"Accept-Language": tt.accept}}.do(t, h)
		body := string(expect(t, w, status, "text/html; charset=utf-8"))
		if !strings.Contains(body, `<html lang="`+tt.lang+`">`) {
			t.Errorf("%s with Accept-Language %q: page is not in %s", target, tt.accept, tt.lang)
		}
		if w.Header().Get("Content-Language") != tt.lang {
			t.Errorf("%s: Content-Language %q", target, w.Header().Get("Content-Language"))
		}
	}
}

func TestPagesLanguage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	checkLanguage(t, h, "/", 200)
	checkLanguage(t, h, "/scenarios", 200)
	checkLanguage(t, h, "/embed/"+exampleID, 200)
	checkLanguage(t, h, "/embed/no-such-scenario", 404)
}

// TestIndexLists checks that the scenario library lists every built-in, in
// the page's language.
func TestIndexLists(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, lang := range i18n.Langs() {
		body := string(expect(t, get(t, h, "/scenarios?lang="+lang), 200, "text/html; charset=utf-8"))
		for _, sc := range scenarios.All() {
			title := sc.Title.EN
			if lang == i18n.ZH {
				title = sc.Title.ZH
			}
			if !strings.Contains(body, ">"+htmlEscape(title)+"<") {
				t.Errorf("%s: page lacks title %q", lang, title)
			}
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

var linkPattern = regexp.MustCompile(`(?:href|src)="([^"]+)"`)

// followLinks requests every local link and script of a page: each answers
// 200, and the static files it names directly have content-hashed URLs
// cached for a year.
func followLinks(t *testing.T, h http.Handler, page string) []string {
	t.Helper()
	body := string(expect(t, get(t, h, page), 200, "text/html; charset=utf-8"))
	var links []string
	for _, l := range linkPattern.FindAllStringSubmatch(body, -1) {
		target := strings.ReplaceAll(l[1], "&amp;", "&")
		if strings.HasPrefix(target, "http") || strings.HasPrefix(target, "#") {
			continue
		}
		if strings.HasPrefix(target, "?") {
			target = strings.SplitN(page, "?", 2)[0] + target
		}
		links = append(links, target)
		w := get(t, h, target)
		if w.Code != 200 {
			t.Errorf("%s: link %s: status %d", page, target, w.Code)
		}
		if strings.HasPrefix(target, "/static/") && w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: link %s: Cache-Control %q", page, target, w.Header().Get("Cache-Control"))
		}
	}
	return links
}

// TestIndexLinks follows every link of the scenario library (which was the
// home page): each answers 200.
func TestIndexLinks(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	links := followLinks(t, h, "/scenarios?lang=zh")
	if len(links) < 6*len(scenarios.All()) {
		t.Fatalf("only %d links", len(links))
	}
}

func TestAppLinks(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, page := range []string{"/?lang=en", "/?lang=zh&scenario=sandbox", "/embed/" + exampleID + "?lang=zh"} {
		links := followLinks(t, h, page)
		var module bool
		for _, l := range links {
			module = module || regexp.MustCompile(`^/static/js/app\.[0-9a-f]{12}\.js$`).MatchString(l)
		}
		if !module {
			t.Errorf("%s: no content-hashed app module among %v", page, links)
		}
		if !slices.Contains(links, "/scenarios") && !strings.HasPrefix(page, "/embed") {
			t.Errorf("%s: no link to the scenario library", page)
		}
	}
}

// TestModulesRevalidate checks what the app module imports by relative
// name: every script under /static/js/ by its plain name, revalidated with
// its ETag; the scripts' unit tests are not served.
func TestModulesRevalidate(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	var n int
	err := fs.WalkDir(staticFiles(t), "js", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		target := "/static/" + name
		w := get(t, h, target)
		if strings.HasSuffix(name, ".test.js") {
			if w.Code != http.StatusNotFound {
				t.Errorf("%s: a test is served (status %d)", target, w.Code)
			}
			return nil
		}
		n++
		if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("ETag") == "" {
			t.Errorf("%s: status %d, Cache-Control %q, ETag %q", target, w.Code, w.Header().Get("Cache-Control"), w.Header().Get("ETag"))
			return nil
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("%s: Content-Type %q", target, ct)
		}
		again := request{target: target, header: map[string]string{"If-None-Match": w.Header().Get("ETag")}}.do(t, h)
		if again.Code != http.StatusNotModified {
			t.Errorf("%s: revalidation answered %d, want 304", target, again.Code)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("only %d modules", n)
	}
}

func staticFiles(t *testing.T) fs.FS {
	t.Helper()
	return os.DirFS(filepath.Join("..", "static", "files"))
}

// pageConfig reads the start-up data a page hands its script.
func pageConfig(t *testing.T, body string) (templates.Config, map[string]map[string]string) {
	t.Helper()
	var cfg templates.Config
	var cats map[string]map[string]string
	for id, v := range map[string]any{"synack-config": &cfg, "synack-i18n": &cats} {
		m := regexp.MustCompile(`<script id="` + id + `" type="application/json">([^<]*)</script>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in the page", id)
		}
		if err := json.Unmarshal([]byte(m[1]), v); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	return cfg, cats
}

func TestAppPage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	first := scenarios.All()[0].ID
	tests := []struct {
		target, scenario string
	}{
		{"/", first},
		{"/?scenario=syn-lost", "syn-lost"},
		{"/?scenario=sandbox", templates.Sandbox},
		{"/?scenario=no-such-thing", first},
		{"/?scenario=%3Cscript%3E", first},
	}
	for _, tt := range tests {
		w := get(t, h, tt.target)
		body := string(expect(t, w, 200, "text/html; charset=utf-8"))
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("%s: CSP %q", tt.target, csp)
		}
		cfg, cats := pageConfig(t, body)
		if cfg.Mode != templates.ModeApp || cfg.Scenario != tt.scenario || cfg.Lang != "en" {
			t.Errorf("%s: config %+v", tt.target, cfg)
		}
		if len(cfg.Scenarios) != len(scenarios.All()) {
			t.Errorf("%s: %d scenarios in the config", tt.target, len(cfg.Scenarios))
		}
		for _, sc := range cfg.Scenarios {
			if sc.Events == 0 || sc.Title.EN == "" || sc.Title.ZH == "" {
				t.Errorf("%s: scenario %+v", tt.target, sc)
			}
		}
		// The page's own language only: another is fetched on a switch.
		if cats["en"]["ctl.play"] != i18n.For("en").T("ctl.play") || len(cats) != 1 {
			t.Errorf("%s: catalogues %v in the page, want en alone", tt.target, slices.Collect(maps.Keys(cats)))
		}
		if len(cfg.Plan) == 0 && tt.scenario != templates.Sandbox {
			t.Errorf("%s: no plan of the run in the page", tt.target)
		}
		for _, hook := range []string{`id="diagram"`, `id="events"`, `id="explain"`, `id="tcb"`, `id="states"`,
			`id="inspector"`, `id="scenario"`, `id="play"`, `aria-live="polite"`, `class="skip"`, `<dialog id="help"`} {
			if !strings.Contains(body, hook) {
				t.Errorf("%s: page lacks %s", tt.target, hook)
			}
		}
	}
}

func TestEmbedPage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	tests := []struct {
		query    string
		autoplay bool
		speed    any
		parent   string
	}{
		{"", false, nil, ""},
		{"?autoplay=1&speed=max", true, "max", ""},
		{"?speed=10&parent=https://course.example.edu", false, 10.0, "https://course.example.edu"},
		{"?speed=0.25&parent=http://localhost:8000/", false, 0.25, "http://localhost:8000"},
		{"?autoplay=yes&speed=-1&parent=javascript:alert(1)", false, nil, ""},
		{"?speed=NaN&parent=https://a.example/lesson/3", false, nil, ""},
		{"?speed=1e9&parent=https://user@a.example", false, nil, ""},
	}
	for _, tt := range tests {
		target := "/embed/" + exampleID + tt.query
		w := get(t, h, target)
		body := string(expect(t, w, 200, "text/html; charset=utf-8"))
		if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors *") {
			t.Errorf("%s: CSP %q", target, csp)
		}
		if xfo := w.Header().Get("X-Frame-Options"); xfo != "" {
			t.Errorf("%s: X-Frame-Options %q forbids framing", target, xfo)
		}
		cfg, _ := pageConfig(t, body)
		if cfg.Mode != templates.ModeEmbed || cfg.Scenario != exampleID || cfg.Autoplay != tt.autoplay ||
			cfg.Speed != tt.speed || cfg.ParentOrigin != tt.parent {
			t.Errorf("%s: config %+v", target, cfg)
		}
		if cfg.Scenarios[0].Events == 0 {
			t.Errorf("%s: no event count for progress messages", target)
		}
		for _, hook := range []string{`id="diagram"`, `id="events-toggle"`, `id="events-panel" hidden`, `id="play"`} {
			if !strings.Contains(body, hook) {
				t.Errorf("%s: page lacks %s", target, hook)
			}
		}
	}
}

func TestEmbedNotFound(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	w := request{target: "/embed/%3Cb%3Enope", header: map[string]string{"Accept-Language": "zh"}}.do(t, h)
	body := string(expect(t, w, 404, "text/html; charset=utf-8"))
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors *") {
		t.Errorf("CSP %q: the course page could not show the message", csp)
	}
	if !strings.Contains(body, "&lt;b&gt;nope") || strings.Contains(body, "<b>nope") {
		t.Errorf("the id is not in the page, escaped:\n%s", body)
	}
	if !strings.Contains(body, i18n.For(i18n.ZH).T("notfound.title")) {
		t.Errorf("not in Chinese:\n%s", body)
	}
}

func TestParseOrigin(t *testing.T) {
	tests := map[string]string{
		"https://course.example.edu":      "https://course.example.edu",
		"https://course.example.edu/":     "https://course.example.edu",
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080",
		"HTTPS://Example.org":             "https://example.org",
		"":                                "",
		"*":                               "",
		"null":                            "",
		"javascript:alert(1)":             "",
		"https://example.org/page":        "",
		"https://example.org?x=1":         "",
		"https://example.org#top":         "",
		"https://me:secret@example.org":   "",
		"ftp://example.org":               "",
		"//example.org":                   "",
		"https://":                        "",
		"https://example.org:8443/":       "https://example.org:8443",
		"https://exa mple.org":            "",
		"https://example.org/\nhttps://x": "",
	}
	for in, want := range tests {
		if got := parseOrigin(in); got != want {
			t.Errorf("parseOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseEmbedSpeed(t *testing.T) {
	tests := map[string]any{
		"max": "max", "teaching": "teaching", "fast": "fast", "1": 1.0, "0.1": 0.1, "10000": 10000.0,
		"": nil, "0": nil, "-2": nil, "10001": nil, "NaN": nil, "Inf": nil, "slow": nil, "MAX": nil, "Teaching": nil,
	}
	for in, want := range tests {
		if got := parseEmbedSpeed(in); got != want {
			t.Errorf("parseEmbedSpeed(%q) = %v, want %v", in, got, want)
		}
	}
}
