package web

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/synack/synack/i18n"
	"github.com/synack/synack/scenarios"
	"github.com/synack/synack/templates"
)

// editorConfig reads the editor's start-up data from its page.
func editorConfig(t *testing.T, body string) templates.EditorConfig {
	t.Helper()
	m := regexp.MustCompile(`<script id="synack-editor" type="application/json">([^<]*)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no synack-editor in the page")
	}
	var cfg templates.EditorConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestEditorPage renders the scenario editor in both languages: every
// fixed label in the page's language, the inputs named by the paths the
// server's errors use, the built-ins to start from, and the app's CSP.
func TestEditorPage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	checkLanguage(t, h, "/editor", 200)
	for _, lang := range i18n.Langs() {
		c := i18n.For(lang)
		w := get(t, h, "/editor?lang="+lang)
		body := string(expect(t, w, 200, "text/html; charset=utf-8"))
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("%s: CSP %q", lang, csp)
		}
		for _, key := range []string{"editor.title", "editor.steps", "editor.faults", "editor.preview", "editor.run",
			"editor.title_en", "editor.title_zh", "editor.profile", "editor.add_client", "editor.add_drop", "ep.client", "ep.server"} {
			if !strings.Contains(body, ">"+htmlEscape(c.T(key))+"<") {
				t.Errorf("%s: page lacks %s (%q)", lang, key, c.T(key))
			}
		}
		for _, hook := range []string{`data-field="title.en"`, `data-field="title.zh"`, `data-field="seed"`, `data-field="profile"`,
			`data-field="network.one_way_delay_ms"`, `data-field="until_ms"`, `data-field="options.msl_ms"`,
			`id="ed-steps"`, `id="ed-faults"`, `id="ed-preview"`, `id="ed-error"`, `<label for="ed-title-en"`, `class="skip"`,
			`<script type="module" src="/static/js/editor.`, `href="/static/editor.`, `href="/static/ladder.`} {
			if !strings.Contains(body, hook) {
				t.Errorf("%s: page lacks %s", lang, hook)
			}
		}
		cfg := editorConfig(t, body)
		if cfg.Lang != lang || len(cfg.Scenarios) != len(scenarios.All()) || cfg.Start != "" {
			t.Errorf("%s: config %+v", lang, cfg)
		}
	}
	if cfg := editorConfig(t, get(t, h, "/editor?scenario=syn-lost").Body.String()); cfg.Start != "syn-lost" {
		t.Errorf("start %q, want syn-lost", cfg.Start)
	}
	if cfg := editorConfig(t, get(t, h, "/editor?scenario=%3Cscript%3E").Body.String()); cfg.Start != "" {
		t.Errorf("start %q from an unknown id", cfg.Start)
	}
}

// TestAppLinksToEditor: the app's header links to the editor, in its
// language, and has the share dialog's button.
func TestAppLinksToEditor(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	body := get(t, h, "/?lang=zh").Body.String()
	for _, want := range []string{`href="/editor?lang=zh"`, `id="share-open"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the app lacks %s", want)
		}
	}
}
