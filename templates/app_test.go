package templates

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/synack/synack/i18n"
)

var testAssets = Assets{
	Stylesheet: "/static/app.0123456789ab.css", LadderStylesheet: "/static/ladder.0123456789ab.css",
	Icon: "/static/favicon.0123456789ab.svg", Boot: "/static/js/boot.0123456789ab.js", App: "/static/js/app.0123456789ab.js",
}

func hostile() []ScenarioInfo {
	return []ScenarioInfo{{
		ID:      "syn-lost",
		Title:   Text{EN: `<script>alert("x")</script>`, ZH: "丢失 & 重传"},
		Summary: Text{EN: "</script><script>alert(1)</script>", ZH: "a & b"},
		Events:  17,
	}}
}

func TestAppEscapesAndLinks(t *testing.T) {
	cfg := Config{Mode: ModeApp, Lang: i18n.ZH, Scenario: "syn-lost", Scenarios: hostile()}
	var buf bytes.Buffer
	if err := App(AppPage{T: i18n.For(i18n.ZH), Assets: testAssets, Config: cfg}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<html lang="zh">`,
		`<script src="/static/js/boot.0123456789ab.js"></script>`,
		`<script type="module" src="/static/js/app.0123456789ab.js" blocking="render"></script>`,
		`href="/static/ladder.0123456789ab.css"`,
		`<option value="syn-lost" selected>丢失 &amp; 重传</option>`,
		`<option value="sandbox" data-i18n="sandbox.title">`,
		`href="/api/scenarios/syn-lost/trace?format=mermaid&amp;lang=zh"`,
		`aria-current="true">中文</a>`,
		`<script id="synack-config" type="application/json">`,
		`<script id="synack-i18n" type="application/json">`,
		`<a class="skip" href="#diagram"`,
		`aria-live="polite"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// One script element each for the boot script, the module and the two
	// JSON blocks: the hostile title and summary did not open another.
	if n := strings.Count(html, "<script"); n != 4 {
		t.Errorf("%d <script> elements, want 4", n)
	}
	if strings.Contains(html, "</script><script>alert") {
		t.Error("summary not escaped in the JSON data")
	}
}

func TestSandboxHasNoDownloads(t *testing.T) {
	cfg := Config{Mode: ModeApp, Lang: i18n.EN, Scenario: Sandbox, Scenarios: hostile()}
	var buf bytes.Buffer
	if err := App(AppPage{T: i18n.For(i18n.EN), Assets: testAssets, Config: cfg}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "/api/scenarios/sandbox") {
		t.Error("the sandbox links to downloads it has not got")
	}
	if !strings.Contains(html, `<details class="downloads" id="downloads" hidden>`) {
		t.Error("downloads shown for the sandbox")
	}
	if !strings.Contains(html, i18n.For(i18n.EN).T("sandbox.summary")) {
		t.Error("no sandbox summary")
	}
}

func TestEmbedAndNotFound(t *testing.T) {
	cfg := Config{Mode: ModeEmbed, Lang: i18n.EN, Scenario: "syn-lost", Scenarios: hostile(), Autoplay: true, Speed: "max"}
	var buf bytes.Buffer
	if err := Embed(EmbedPage{T: i18n.For(i18n.EN), Assets: testAssets, Config: cfg}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<title>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</title>`,
		`href="/?lang=en&amp;scenario=syn-lost"`,
		`id="events-toggle" aria-expanded="false" aria-controls="events-panel"`,
		`"autoplay":true`,
		`"speed":"max"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("embed lacks %s", want)
		}
	}
	buf.Reset()
	if err := NotFound(NotFoundPage{T: i18n.For(i18n.ZH), Assets: testAssets, ID: "<b>x</b>"}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if html := buf.String(); !strings.Contains(html, "&lt;b&gt;x&lt;/b&gt;") || !strings.Contains(html, `href="/scenarios?lang=zh"`) {
		t.Errorf("not-found page:\n%s", html)
	}
}

// TestTemplateKeys checks that every catalogue key a template names exists
// in every language.
func TestTemplateKeys(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil {
		t.Fatal(err)
	}
	keyPattern := regexp.MustCompile(`(?:\.T\(|data-i18n(?:-label|-title)?=)"([a-z][a-z0-9_.\-]*[a-z0-9])"`)
	seen := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyPattern.FindAllStringSubmatch(string(src), -1) {
			seen++
			for _, lang := range i18n.Langs() {
				if !i18n.For(lang).Has(m[1]) {
					t.Errorf("%s: key %q is not in %s.json", f, m[1], lang)
				}
			}
		}
	}
	if seen < 50 {
		t.Errorf("only %d keys found: is the pattern right?", seen)
	}
	for _, s := range shortcuts {
		for _, lang := range i18n.Langs() {
			if !i18n.For(lang).Has(s.key) {
				t.Errorf("shortcut key %q is not in %s.json", s.key, lang)
			}
		}
	}
}

// TestInlineCatalogueCoversMarkup checks that every key the app and embed
// pages mark for rewording (data-i18n…) is in the catalogue they carry and
// in the other languages' that a switch fetches:
// switching the language in place rewords those elements from them, and a
// missing key shows as the raw key.
func TestInlineCatalogueCoversMarkup(t *testing.T) {
	marked := regexp.MustCompile(`data-i18n(?:-label|-title)?="([^"]+)"`)
	inline := regexp.MustCompile(`(?s)<script id="synack-i18n" type="application/json">(.*?)</script>`)
	for _, lang := range i18n.Langs() {
		cfg := Config{Lang: lang, Scenario: "syn-lost", Scenarios: hostile()}
		pages := map[string]templ.Component{
			"app":   App(AppPage{T: i18n.For(lang), Assets: testAssets, Config: cfg}),
			"embed": Embed(EmbedPage{T: i18n.For(lang), Assets: testAssets, Config: cfg}),
		}
		for name, page := range pages {
			var buf bytes.Buffer
			if err := page.Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			m := inline.FindStringSubmatch(buf.String())
			if m == nil {
				t.Fatalf("%s %s: no inline catalogues", name, lang)
			}
			var cats map[string]map[string]string
			if err := json.Unmarshal([]byte(m[1]), &cats); err != nil {
				t.Fatalf("%s %s: %v", name, lang, err)
			}
			keys := marked.FindAllStringSubmatch(buf.String(), -1)
			if len(keys) == 0 {
				t.Fatalf("%s %s: no data-i18n keys found", name, lang)
			}
			if len(cats) != 1 || cats[lang] == nil {
				t.Errorf("%s %s: the page carries catalogues of %d languages, want its own alone", name, lang, len(cats))
			}
			// The page's own catalogue, and the others as a language switch
			// fetches them (CatalogueURL serves PageCatalogue).
			for _, k := range keys {
				for _, other := range i18n.Langs() {
					has := PageCatalogue(other, cfg).Has(k[1])
					if other == lang {
						_, has = cats[lang][k[1]]
					}
					if !has {
						t.Errorf("%s page (%s): %q is marked for rewording but not in its %s catalogue", name, lang, k[1], other)
					}
				}
			}
		}
	}
}
