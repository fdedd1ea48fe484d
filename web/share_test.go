package web

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/lessons"
	"github.com/synack/synack/scenarios"
	"github.com/synack/synack/templates"
)

// sharedFixture is a link packed by static/files/js/share.js (the browser's
// CompressionStream), which share.test.js unpacks too.
func sharedFixture(t *testing.T) (s string, want *engine.Scenario) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testDir, "testdata", "share.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		S        string          `json:"s"`
		Scenario json.RawMessage `json:"scenario"`
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	want, err = engine.DecodeScenario(fx.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	return fx.S, want
}

// pack packs any bytes as a link does.
func pack(t *testing.T, doc []byte) string {
	t.Helper()
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(doc)
	w.Close()
	return base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func TestDecodeShare(t *testing.T) {
	s, want := sharedFixture(t)
	got, err := decodeShare(s)
	if err != nil {
		t.Fatalf("the browser's link: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the browser's link unpacks to\n%+v\nwant\n%+v", got, want)
	}
	for _, sc := range scenarios.All() {
		doc, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		packed := pack(t, doc)
		got, err := decodeShare(packed)
		if err != nil || !reflect.DeepEqual(got, sc) {
			t.Errorf("%s does not survive packing: %v", sc.ID, err)
		}
		if len(packed) > maxShareChars {
			t.Errorf("%s packs to %d characters, more than a link may carry", sc.ID, len(packed))
		}
	}
}

// badLinks are s parameters that do not hold a valid scenario, with the
// catalogue key of the words that say so.
func badLinks(t *testing.T) map[string]string {
	bomb := pack(t, []byte(`{"title": {"en": "`+strings.Repeat("x", 1<<20)+`"}}`))
	if len(bomb) > maxShareChars {
		t.Fatalf("the bomb is %d characters", len(bomb))
	}
	return map[string]string{
		"":                                   "export.link_empty",
		strings.Repeat("A", maxShareChars+1): "export.link_too_long",
		"not base64!":                        "export.link_not_base64",
		"SGVsbG8gd29ybGQ":                    "export.link_damaged",
		pack(t, []byte("hello")):             "export.link_not_json",
		pack(t, []byte(`[1, 2]`)):            "export.link_not_json",
		bomb:                                 "export.link_too_big",
		pack(t, []byte(`{"steps": [{"at_ms": -5, "endpoint": "client", "call": "connect"}]}`)): "export.link_invalid",
		pack(t, []byte(`{"steps": [], "colour": "red"}`)):                                      "export.link_invalid",
	}
}

func TestDecodeShareErrors(t *testing.T) {
	for s, key := range badLinks(t) {
		_, err := decodeShare(s)
		se, ok := err.(*shareError)
		if !ok || se.key != key {
			t.Errorf("decodeShare(%.40q) = %v, want %s", s, err, key)
		}
	}
	_, err := decodeShare(pack(t, []byte(`{"steps": [{"at_ms": -5, "endpoint": "client", "call": "connect"}]}`)))
	if !strings.Contains(err.Error(), "steps[0].at_ms: must be between 0 and") {
		t.Errorf("an invalid scenario's error does not name the field: %v", err)
	}
}

// TestSharedApp opens the app with a shared scenario: the page carries it
// for the script to load, with its title, and its number of events.
func TestSharedApp(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	s, want := sharedFixture(t)
	checkLanguage(t, h, "/?s="+s, 200)
	body := string(expect(t, get(t, h, "/?s="+s), 200, "text/html; charset=utf-8"))
	cfg, _ := pageConfig(t, body)
	if cfg.Scenario != templates.Custom || cfg.Custom == nil {
		t.Fatalf("config %+v", cfg)
	}
	info := cfg.Scenarios[len(cfg.Scenarios)-1]
	if info.ID != templates.Custom || info.Title.EN != want.Title.EN || info.Events == 0 {
		t.Errorf("custom entry %+v", info)
	}
	if len(cfg.Scenarios) != len(scenarios.All())+1 {
		t.Errorf("%d scenarios in the picker", len(cfg.Scenarios))
	}
	// The title (with quotes, & and <friends>) is in the page, escaped.
	if !strings.Contains(body, htmlEscape(want.Title.EN)) || strings.Contains(body, "<friends>") {
		t.Error("the shared title is not in the page, escaped")
	}
	if strings.Contains(body, `/api/scenarios/custom`) {
		t.Error("downloads link to a built-in called custom")
	}
}

// TestBadShareLinks checks that a link whose scenario cannot be opened is
// answered 400 with a page that says why, in the reader's language, in the
// app and in the embed (which another site may frame).
func TestBadShareLinks(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for s, key := range badLinks(t) {
		for _, path := range []string{"/?s=", "/embed/custom?s="} {
			for _, lang := range i18n.Langs() {
				target := path + url.QueryEscape(s) + "&lang=" + lang
				w := get(t, h, target)
				body := string(expect(t, w, 400, "text/html; charset=utf-8"))
				c := i18n.For(lang)
				if !strings.Contains(body, htmlEscape(c.T("export.link_error_title"))) {
					t.Errorf("%.60s: no title in %s", target, lang)
				}
				msg, _, _ := strings.Cut(c.T(key), "{")
				if !strings.Contains(body, htmlEscape(msg)) {
					t.Errorf("%.60s: page lacks %q", target, msg)
				}
				csp := w.Header().Get("Content-Security-Policy")
				if strings.HasPrefix(path, "/embed") != strings.HasSuffix(csp, "frame-ancestors *") {
					t.Errorf("%.60s: CSP %q", target, csp)
				}
			}
		}
	}
	// The engine's words name the field of an invalid scenario.
	body := get(t, h, "/?s="+pack(t, []byte(`{"steps": [{"at_ms": 0, "endpoint": "client", "call": "dance"}]}`))).Body.String()
	if !strings.Contains(body, "steps[0].call: must be one of") {
		t.Error("the invalid field is not named")
	}
	// Without s, the embed of a custom scenario says so.
	expect(t, get(t, h, "/embed/custom"), 400, "text/html; charset=utf-8")
}

func TestEmbedCustom(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	s, want := sharedFixture(t)
	target := "/embed/custom?autoplay=1&speed=max&from=3&to=9&parent=https://course.example.edu&s=" + s
	w := get(t, h, target)
	body := string(expect(t, w, 200, "text/html; charset=utf-8"))
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors *") {
		t.Errorf("CSP %q", csp)
	}
	cfg, _ := pageConfig(t, body)
	if cfg.Mode != templates.ModeEmbed || cfg.Scenario != templates.Custom || cfg.Custom == nil || !cfg.Autoplay ||
		cfg.Speed != "max" || cfg.From != 3 || cfg.To != 9 || cfg.ParentOrigin != "https://course.example.edu" {
		t.Errorf("config %+v", cfg)
	}
	if len(cfg.Scenarios) != 1 || cfg.Scenarios[0].Title.ZH != want.Title.ZH || cfg.Scenarios[0].Events == 0 {
		t.Errorf("scenarios %+v", cfg.Scenarios)
	}
	if cfg.OpenURL != "/?s="+s || !strings.Contains(body, `href="/?s=`+s+`&amp;lang=en"`) {
		t.Errorf("open link %q", cfg.OpenURL)
	}
	checkLanguage(t, h, "/embed/custom?s="+s, 200)
}

// TestEmbedLesson: /embed/lesson/{id} is the lesson itself (narration and
// questions) with minimal chrome, framable by any course page.
func TestEmbedLesson(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	all := lessons.All()
	if len(all) == 0 {
		t.Fatal("no lessons")
	}
	for _, l := range all {
		target := "/embed/lesson/" + l.ID + "?lang=zh&parent=https://course.example.edu"
		w := get(t, h, target)
		body := string(expect(t, w, 200, "text/html; charset=utf-8"))
		if !strings.Contains(body, htmlEscape(l.Title.ZH)) {
			t.Errorf("%s: the lesson's title is not on the page", target)
		}
		if !strings.Contains(body, `data-kind="question"`) {
			t.Errorf("%s: no question containers", target)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors *") {
			t.Errorf("%s: CSP %q does not let course pages frame it", target, csp)
		}
	}
	w := request{target: "/embed/lesson/%3Cb%3Eno", header: map[string]string{"Accept-Language": "zh"}}.do(t, h)
	expect(t, w, 404, "text/html; charset=utf-8")
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors *") {
		t.Errorf("CSP %q: the course page could not show the message", csp)
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		from, to         string
		wantFrom, wantTo int
	}{
		{"", "", 0, 0},
		{"3", "9", 3, 9},
		{"9", "3", 9, 0},
		{"5", "5", 5, 5},
		{"0", "-2", 0, 0},
		{"x", "7", 0, 7},
		{"1e3", "20001", 0, 0},
		{"99999999999999999999", "", 0, 0},
	}
	for _, tt := range tests {
		from, to := parseRange(tt.from, tt.to)
		if from != tt.wantFrom || to != tt.wantTo {
			t.Errorf("parseRange(%q, %q) = %d, %d; want %d, %d", tt.from, tt.to, from, to, tt.wantFrom, tt.wantTo)
		}
	}
	// A built-in's embed takes the range too.
	h := newTestServer(t, Config{}).Handler()
	cfg, _ := pageConfig(t, get(t, h, "/embed/"+exampleID+"?from=2&to=6").Body.String())
	if cfg.From != 2 || cfg.To != 6 {
		t.Errorf("built-in embed range %d..%d", cfg.From, cfg.To)
	}
}

func FuzzDecodeShare(f *testing.F) {
	f.Add("")
	f.Add("SGVsbG8")
	f.Add("q1YqySzJSVWyUrJSqi1WUjBUslJKzs8rSc0rUbIyqlUCAA")
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := decodeShare(s)
		if err == nil {
			if verr := sc.Validate(); verr != nil {
				t.Fatalf("decodeShare accepted an invalid scenario: %v", verr)
			}
			return
		}
		if _, ok := err.(*shareError); !ok {
			t.Fatalf("error %T %v is not a shareError", err, err)
		}
	})
}
