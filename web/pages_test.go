package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/synack/synack/scenarios"
)

func TestIndexLanguage(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	tests := []struct {
		target, accept, lang string
	}{
		{"/", "", "en"},
		{"/", "zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"/?lang=en", "zh-CN", "en"},
		{"/?lang=zh", "", "zh"},
		{"/?lang=fr", "de, en;q=0.5", "en"},
	}
	for _, tt := range tests {
		w := request{target: tt.target, header: map[string]string{"Accept-Language": tt.accept}}.do(t, h)
		body := string(expect(t, w, 200, "text/html; charset=utf-8"))
		if !strings.Contains(body, `<html lang="`+tt.lang+`">`) {
			t.Errorf("%s with Accept-Language %q: page is not in %s", tt.target, tt.accept, tt.lang)
		}
		if w.Header().Get("Content-Language") != tt.lang {
			t.Errorf("%s: Content-Language %q", tt.target, w.Header().Get("Content-Language"))
		}
		for _, sc := range scenarios.All() {
			title := sc.Title.EN
			if tt.lang == "zh" {
				title = sc.Title.ZH
			}
			if !strings.Contains(body, ">"+htmlEscape(title)+"<") {
				t.Errorf("%s: page lacks title %q", tt.lang, title)
			}
		}
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestIndexLinks follows every link of the index page: each answers 200.
func TestIndexLinks(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	body := string(expect(t, get(t, h, "/?lang=zh"), 200, "text/html; charset=utf-8"))
	links := regexp.MustCompile(`(?:href|src)="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(links) < 4*len(scenarios.All()) {
		t.Fatalf("only %d links", len(links))
	}
	for _, l := range links {
		target := strings.ReplaceAll(l[1], "&amp;", "&")
		if strings.HasPrefix(target, "?") {
			target = "/" + target
		}
		w := get(t, h, target)
		if w.Code != 200 {
			t.Errorf("link %s: status %d", target, w.Code)
		}
		if strings.HasPrefix(target, "/static/") && w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("link %s: Cache-Control %q", target, w.Header().Get("Cache-Control"))
		}
	}
}
