package web

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/i18n"
	"github.com/synack/synack/lessons"
	"github.com/synack/synack/static"
	"github.com/synack/synack/templates"
)

// TestLessonsList checks GET /api/lessons: exactly lessons.Summaries(),
// each entry exactly {id, title: {en, zh}, summary: {en, zh}}.
func TestLessonsList(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	body := expect(t, get(t, h, "/api/lessons"), 200, "application/json")
	want, err := marshalJSON(lessons.Summaries())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("GET /api/lessons is not lessons.Summaries():\n got %s\nwant %s", body, want)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) < 12 {
		t.Errorf("%d lessons; the course has at least 12", len(list))
	}
	for _, l := range list {
		if keys := slices.Sorted(maps.Keys(l)); !slices.Equal(keys, []string{"id", "summary", "title"}) {
			t.Errorf("entry has keys %v", keys)
		}
		for _, f := range []string{"title", "summary"} {
			var text map[string]string
			if err := json.Unmarshal(l[f], &text); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if keys := slices.Sorted(maps.Keys(text)); !slices.Equal(keys, []string{"en", "zh"}) || text["en"] == "" || text["zh"] == "" {
				t.Errorf("%s %s is %v", l["id"], f, text)
			}
		}
	}
}

func TestLessonView(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	const id = "three-way-handshake"
	l, ok := lessons.Get(id)
	if !ok {
		t.Fatalf("no lesson %s", id)
	}
	for _, lang := range i18n.Langs() {
		body := expect(t, get(t, h, "/api/lessons/"+id+"?lang="+lang), 200, "application/json")
		want, _ := marshalJSON(l.View(lang))
		if !bytes.Equal(body, want) {
			t.Errorf("?lang=%s is not the lesson's view in %s", lang, lang)
		}
	}
	var both map[string]lessons.LessonView
	if err := json.Unmarshal(expect(t, get(t, h, "/api/lessons/"+id), 200, "application/json"), &both); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(both)); !slices.Equal(keys, i18n.Langs()) {
		t.Fatalf("without ?lang= the view has keys %v", keys)
	}
	if both["zh"].Lang != "zh" || both["zh"].Title != l.Title.ZH || both["en"].Title != l.Title.EN {
		t.Errorf("views: en %q, zh %q (%s)", both["en"].Title, both["zh"].Title, both["zh"].Lang)
	}
	if len(both["en"].Steps) != len(l.Steps) {
		t.Errorf("%d steps, want %d", len(both["en"].Steps), len(l.Steps))
	}

	if msg := expectError(t, get(t, h, "/api/lessons/no-such-lesson"), 404); !strings.Contains(msg, `"no-such-lesson"`) {
		t.Errorf("404 says %q", msg)
	}
	if msg := expectError(t, get(t, h, "/api/lessons/"+id+"?lang=fr"), 400); !strings.Contains(msg, "lang") {
		t.Errorf("400 says %q", msg)
	}
	if w := (request{method: "POST", target: "/api/lessons"}).do(t, h); w.Code != 405 {
		t.Errorf("POST /api/lessons: %d", w.Code)
	}
}

func TestLearnPagesLanguage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	checkLanguage(t, h, "/learn", 200)
	checkLanguage(t, h, "/learn/three-way-handshake", 200)
	checkLanguage(t, h, "/learn/no-such-lesson", 404)
}

// learnConfig reads the data a course page hands learn.js.
func learnConfig(t *testing.T, body string) templates.LearnConfig {
	t.Helper()
	m := regexp.MustCompile(`<script id="synack-learn" type="application/json">([^<]*)</script>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no synack-learn data in the page")
	}
	var cfg templates.LearnConfig
	if err := json.Unmarshal([]byte(m[1]), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestLearnIndex checks /learn: every lesson, in the page's language, with
// its counts, a link to it and a progress line for the script.
func TestLearnIndex(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, lang := range i18n.Langs() {
		w := get(t, h, "/learn?lang="+lang)
		body := string(expect(t, w, 200, "text/html; charset=utf-8"))
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("CSP %q", csp)
		}
		cat := i18n.For(lang)
		for _, l := range lessons.All() {
			title, summary := l.Title.EN, l.Summary.EN
			if lang == i18n.ZH {
				title, summary = l.Title.ZH, l.Summary.ZH
			}
			questions := 0
			for _, st := range l.Steps {
				if st.Question != nil {
					questions++
				}
			}
			for _, want := range []string{
				`<a href="/learn/` + l.ID + `?lang=` + lang + `">` + htmlEscape(title) + `</a>`,
				htmlEscape(summary),
				htmlEscape(cat.T("learn.meta", "steps", strconv.Itoa(len(l.Steps)), "questions", strconv.Itoa(questions))),
				`data-progress data-lesson="` + l.ID + `" data-steps="` + strconv.Itoa(len(l.Steps)) + `" data-questions="` + strconv.Itoa(questions) + `"`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: /learn lacks %s", lang, want)
				}
			}
		}
		if !strings.Contains(body, `<nav class="lang"`) {
			t.Errorf("%s: no language switch", lang)
		}
	}
	followLinks(t, h, "/learn?lang=zh")
}

// TestLessonPage checks /learn/{id} in both languages: the lesson's data
// for the script, every step in the page, each question in a container
// with data-kind="question" and its id, the narration with its RFC
// citations linked, and the controls.
func TestLessonPage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, l := range lessons.All() {
		for _, lang := range i18n.Langs() {
			target := "/learn/" + l.ID + "?lang=" + lang
			w := get(t, h, target)
			body := string(expect(t, w, 200, "text/html; charset=utf-8"))
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
				t.Errorf("%s: CSP %q", target, csp)
			}
			cfg := learnConfig(t, body)
			if cfg.Mode != templates.ModeLearn || cfg.Lang != lang || cfg.Lesson == nil || cfg.Lesson.ID != l.ID || cfg.Lesson.Lang != lang {
				t.Fatalf("%s: config %+v", target, cfg)
			}
			view := l.View(lang)
			if !strings.Contains(body, "<h1 id=\"lesson-title\">"+htmlEscape(view.Title)+"</h1>") {
				t.Errorf("%s: no title %q", target, view.Title)
			}
			var questions int
			for i, st := range view.Steps {
				if !strings.Contains(body, `<li class="step learn-card" id="step-`+strconv.Itoa(i)+`" data-step="`+strconv.Itoa(i)+`" hidden>`) {
					t.Errorf("%s: no step %d", target, i)
				}
				if st.Question == nil {
					continue
				}
				questions++
				hook := `data-kind="question" data-question-id="` + l.ID + `:` + strconv.Itoa(i) + `" data-question-kind="` + st.Question.Kind + `"`
				if !strings.Contains(body, hook) {
					t.Errorf("%s: no question container %s", target, hook)
				}
				if !strings.Contains(body, htmlEscape(st.Question.Prompt)) {
					t.Errorf("%s: step %d's prompt is not in the page", target, i)
				}
			}
			if got := strings.Count(body, `data-kind="question"`); got != questions {
				t.Errorf("%s: %d question containers, want %d", target, got, questions)
			}
			for _, hook := range []string{`id="diagram"`, `id="learn-next"`, `id="learn-back"`, `id="learn-restart"`,
				`aria-keyshortcuts="ArrowRight Space"`, `aria-live="polite"`, `class="skip"`, `<nav class="lang"`,
				`id="events"`, `href="/learn?lang=` + lang + `"`} {
				if !strings.Contains(body, hook) {
					t.Errorf("%s: page lacks %s", target, hook)
				}
			}
		}
	}
	body := string(expect(t, get(t, h, "/learn/three-way-handshake?lang=en"), 200, "text/html; charset=utf-8"))
	for _, want := range []string{
		// A state question offers the eleven states; a number question a field.
		`<option value="SYN-RECEIVED">SYN-RECEIVED</option>`, `<option value="TIME-WAIT">TIME-WAIT</option>`,
		`inputmode="numeric"`, `type="radio" name="answer" value="3"`, `data-drop`,
		// Citations link to the RFC Editor, at the section.
		`<a class="cite" href="https://www.rfc-editor.org/rfc/rfc9293#section-3.10.7.2" target="_blank" rel="noopener">RFC 9293 §3.10.7.2</a>`,
		`<a class="cite" href="https://www.rfc-editor.org/rfc/rfc6298#section-2.1" target="_blank" rel="noopener">RFC 6298 §2.1</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the handshake lesson lacks %s", want)
		}
	}
	followLinks(t, h, "/learn/three-way-handshake?lang=zh")
}

func TestLessonNotFound(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	w := request{target: "/learn/%3Cb%3Enope", header: map[string]string{"Accept-Language": "zh"}}.do(t, h)
	body := string(expect(t, w, 404, "text/html; charset=utf-8"))
	if !strings.Contains(body, "&lt;b&gt;nope") || strings.Contains(body, "<b>nope") {
		t.Errorf("the id is not in the page, escaped:\n%s", body)
	}
	if !strings.Contains(body, i18n.For(i18n.ZH).T("learn.notfound_title")) || !strings.Contains(body, `href="/learn?lang=zh"`) {
		t.Errorf("not in Chinese, or no link to the lessons:\n%s", body)
	}
}

// TestLessonEmbedMode mounts the lesson page under /embed/, as the
// embeddable lesson view is: minimal chrome, links out of the frame, and
// the parent origin for its messages.
func TestLessonEmbedMode(t *testing.T) {
	s := newTestServer(t, Config{})
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	lp := newLearnPages(s, assets)
	r := chi.NewRouter()
	r.Get("/embed/lesson/{id}", s.errorsTo(lp.lesson))
	body := string(expect(t, get(t, r, "/embed/lesson/four-way-close?lang=zh&parent=https://course.example.edu/"), 200, "text/html; charset=utf-8"))
	cfg := learnConfig(t, body)
	if cfg.Mode != templates.ModeEmbed || cfg.ParentOrigin != "https://course.example.edu" || cfg.Lang != "zh" {
		t.Errorf("config %+v", cfg)
	}
	if !strings.Contains(body, `class="learn lesson embedded"`) || strings.Contains(body, `class="top learn-top"`) {
		t.Error("the embedded lesson is not in minimal chrome")
	}
	if !strings.Contains(body, `target="_top"`) {
		t.Error("the embedded lesson's links do not leave the frame")
	}
	if cfg.Next == nil || cfg.Next.ID != "three-segment-close" {
		t.Errorf("next lesson %+v", cfg.Next)
	}
}

// TestLearnKeys checks that every catalogue key the course's template and
// script name exists in every language.
func TestLearnKeys(t *testing.T) {
	keys := map[string]bool{
		// Built from a question's field and endpoint.
		"learn.number_seq": true, "learn.number_ack": true,
		"learn.state_of_client": true, "learn.state_of_server": true,
	}
	pattern := regexp.MustCompile(`["'](learn\.[a-z_]+[a-z])["']`)
	for _, file := range []string{
		filepath.Join("..", "templates", "learn.templ"),
		filepath.Join(jsDir, "learn.js"),
	} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range pattern.FindAllStringSubmatch(string(src), -1) {
			keys[m[1]] = true
		}
	}
	if len(keys) < 50 {
		t.Errorf("only %d keys found: is the pattern right?", len(keys))
	}
	for key := range keys {
		for _, lang := range i18n.Langs() {
			if !i18n.For(lang).Has(key) {
				t.Errorf("key %q is not in %s.json", key, lang)
			}
		}
	}
}
