package templates

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/synack/synack/i18n"
	"github.com/synack/synack/lessons"
)

func TestCiteParts(t *testing.T) {
	got := citeParts("It enters SYN-RECEIVED (RFC 9293 §3.10.7.2); the RTO is 1 s (RFC 6298 §2.1.). See RFC 6528, or RFC 9293§3.4.")
	want := []textPart{
		{Text: "It enters SYN-RECEIVED ("},
		{Text: "RFC 9293 §3.10.7.2", URL: "https://www.rfc-editor.org/rfc/rfc9293#section-3.10.7.2"},
		{Text: "); the RTO is 1 s ("},
		{Text: "RFC 6298 §2.1", URL: "https://www.rfc-editor.org/rfc/rfc6298#section-2.1"},
		{Text: ".). See "},
		{Text: "RFC 6528", URL: "https://www.rfc-editor.org/rfc/rfc6528"},
		{Text: ", or "},
		{Text: "RFC 9293§3.4", URL: "https://www.rfc-editor.org/rfc/rfc9293#section-3.4"},
		{Text: "."},
	}
	if !slices.Equal(got, want) {
		t.Errorf("citeParts:\n got %q\nwant %q", got, want)
	}
	if got := citeParts("no rule here"); !slices.Equal(got, []textPart{{Text: "no rule here"}}) {
		t.Errorf("plain text: %q", got)
	}
	if got := citeParts("（RFC 9293 §3.10.1）。"); len(got) != 3 || got[1].URL != "https://www.rfc-editor.org/rfc/rfc9293#section-3.10.1" {
		t.Errorf("Chinese punctuation: %q", got)
	}
}

func TestNarrationParts(t *testing.T) {
	tests := []struct{ in, why, notice string }{
		{"It waits. Notice that nothing is sent.", "It waits.", "Notice that nothing is sent."},
		{"Notice this first. Then that.", "Notice this first. Then that.", ""},
		{"Nothing to Notice here.", "Nothing to Notice here.", ""},
		{"服务器等待。注意，此时线路上还什么都没有。", "服务器等待。", "注意，此时线路上还什么都没有。"},
		{"需要注意的是它在等待。", "需要注意的是它在等待。", ""},
	}
	for _, tt := range tests {
		why, notice := narrationParts(tt.in)
		if why != tt.why || notice != tt.notice {
			t.Errorf("narrationParts(%q) = %q, %q; want %q, %q", tt.in, why, notice, tt.why, tt.notice)
		}
	}
	// Every lesson's narration keeps a "why" part.
	for _, l := range lessons.All() {
		for i, st := range l.Steps {
			for _, text := range []string{st.Narration.EN, st.Narration.ZH} {
				if why, _ := narrationParts(text); strings.TrimSpace(why) == "" {
					t.Errorf("%s step %d: nothing left to say why: %q", l.ID, i, text)
				}
			}
		}
	}
}

func TestLessonRenders(t *testing.T) {
	l, ok := lessons.Get("four-way-close")
	if !ok {
		t.Fatal("no lesson four-way-close")
	}
	view := l.View(i18n.ZH)
	var buf bytes.Buffer
	page := LessonPage{T: i18n.For(i18n.ZH), Assets: LearnAssets{Script: "/static/js/learn.0123456789ab.js"},
		Config: LearnConfig{Mode: ModeLearn, Lang: i18n.ZH, Lesson: &view}}
	if err := Lesson(page).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<html lang="zh">`,
		`<script type="module" src="/static/js/learn.0123456789ab.js">`,
		`data-kind="question" data-question-id="four-way-close:1"`,
		`<script id="synack-learn" type="application/json">`,
		// One catalogue, the page's: switching language reloads the page.
		`<script id="synack-i18n" type="application/json">{"zh":`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(html, `data-answered`) {
		t.Error("the page marks questions answered before the script reads the progress")
	}
}
