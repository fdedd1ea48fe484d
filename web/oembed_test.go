package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/synack/synack/lessons"
	"github.com/synack/synack/scenarios"
)

// getOEmbed asks srv's /oembed with query, on host.
func getOEmbed(t *testing.T, h http.Handler, host string, query url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/oembed?"+query.Encode(), nil)
	r.Host = host
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestOEmbed(t *testing.T) {
	shared, sc := sharedFixture(t)
	lesson := lessons.All()[0]
	first := scenarios.All()[0]
	zhTitle := func(id string) string {
		s, _ := scenarios.Get(id)
		return s.Title.ZH
	}
	const host = "synack.test:8080"
	base := "http://" + host
	for _, tt := range []struct {
		name, link string
		query      url.Values // more query parameters
		src, title string
		w, h       int
	}{
		{name: "app with a built-in, in Chinese", link: base + "/?scenario=" + exampleID + "&lang=zh",
			src: base + "/embed/" + exampleID + "?lang=zh", title: zhTitle(exampleID) + " · synack", w: oembedWidth, h: oembedHeight},
		{name: "the app's first scenario", link: base + "/",
			src: base + "/embed/" + first.ID, title: first.Title.EN + " · synack", w: oembedWidth, h: oembedHeight},
		{name: "an embed keeps its parameters but parent", link: base + "/embed/" + exampleID + "?autoplay=1&speed=max&parent=https%3A%2F%2Fx.example&from=3&lang=en",
			src: base + "/embed/" + exampleID + "?autoplay=1&from=3&lang=en&speed=max", title: scenarioTitleEN(exampleID) + " · synack", w: oembedWidth, h: oembedHeight},
		{name: "a lesson", link: base + "/learn/" + lesson.ID,
			src: base + "/embed/lesson/" + lesson.ID, title: lesson.Title.EN + " · synack", w: oembedWidth, h: oembedLessonHeight},
		{name: "an embedded lesson", link: base + "/embed/lesson/" + lesson.ID + "?lang=zh",
			src: base + "/embed/lesson/" + lesson.ID + "?lang=zh", title: lesson.Title.ZH + " · synack", w: oembedWidth, h: oembedLessonHeight},
		{name: "a shared scenario", link: base + "/?s=" + shared,
			src: base + "/embed/custom?s=" + shared, title: sc.Title.EN + " · synack", w: oembedWidth, h: oembedHeight},
		{name: "smaller on request", link: base + "/embed/" + exampleID, query: url.Values{"maxwidth": {"300"}, "maxheight": {"200"}, "format": {"json"}},
			src: base + "/embed/" + exampleID, title: scenarioTitleEN(exampleID) + " · synack", w: 300, h: 200},
		{name: "never larger", link: base + "/embed/" + exampleID, query: url.Values{"maxwidth": {"3000"}, "maxheight": {"3000"}},
			src: base + "/embed/" + exampleID, title: scenarioTitleEN(exampleID) + " · synack", w: oembedWidth, h: oembedHeight},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"url": {tt.link}}
			for k, v := range tt.query {
				q[k] = v
			}
			w := getOEmbed(t, newTestServer(t, Config{}).Handler(), host, q)
			body := expect(t, w, http.StatusOK, "application/json")
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q", got)
			}
			var a oembedAnswer
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatal(err)
			}
			if a.Version != "1.0" || a.Type != "rich" || a.ProviderName != "synack" || a.ProviderURL != base+"/" {
				t.Errorf("answer %+v", a)
			}
			if a.Title != tt.title || a.Width != tt.w || a.Height != tt.h {
				t.Errorf("title %q, %d×%d; want %q, %d×%d", a.Title, a.Width, a.Height, tt.title, tt.w, tt.h)
			}
			m := regexp.MustCompile(`^<iframe src="([^"]*)" title="([^"]*)" width="(\d+)" height="(\d+)" style="border: 0" loading="lazy"></iframe>$`).FindStringSubmatch(a.HTML)
			if m == nil {
				t.Fatalf("html %q", a.HTML)
			}
			if src := strings.ReplaceAll(m[1], "&amp;", "&"); src != tt.src {
				t.Errorf("iframe src %q, want %q", src, tt.src)
			}
			if m[3] != itoa(tt.w) || m[4] != itoa(tt.h) {
				t.Errorf("iframe %s×%s, answer %d×%d", m[3], m[4], tt.w, tt.h)
			}
		})
	}
}

func scenarioTitleEN(id string) string {
	s, _ := scenarios.Get(id)
	return s.Title.EN
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestOEmbedErrors(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	const host = "synack.test"
	for _, tt := range []struct {
		query  url.Values
		status int
	}{
		{url.Values{}, 400},
		{url.Values{"url": {"http://synack.test/embed/" + exampleID}, "format": {"xml"}}, 501},
		{url.Values{"url": {"http://synack.test/embed/" + exampleID}, "maxwidth": {"wide"}}, 400},
		{url.Values{"url": {"http://synack.test/embed/" + exampleID}, "maxheight": {"0"}}, 400},
		{url.Values{"url": {"http://other.test/embed/" + exampleID}}, 404},
		{url.Values{"url": {"https://synack.test/embed/" + exampleID}}, 404},
		{url.Values{"url": {"http://synack.test/embed/no-such-scenario"}}, 404},
		{url.Values{"url": {"http://synack.test/?scenario=sandbox"}}, 404},
		{url.Values{"url": {"http://synack.test/?room=ABC234"}}, 404},
		{url.Values{"url": {"http://synack.test/?s=not-a-scenario"}}, 404},
		{url.Values{"url": {"http://synack.test/learn/no-such-lesson"}}, 404},
		{url.Values{"url": {"http://synack.test/editor"}}, 404},
		{url.Values{"url": {"http://synack.test/api/scenarios"}}, 404},
		{url.Values{"url": {"::not a url"}}, 404},
	} {
		w := getOEmbed(t, h, host, tt.query)
		if w.Code != tt.status {
			t.Errorf("%v: status %d, want %d (%s)", tt.query, w.Code, tt.status, w.Body)
		}
	}
}

// TestOEmbedPublicURL: behind a proxy the embed is at the public URL,
// whichever of the public and the request's own address the link names.
func TestOEmbedPublicURL(t *testing.T) {
	const public = "https://synack.example.org"
	h := newTestServer(t, Config{Proxy: ProxyConfig{PublicURL: public}}).Handler()
	for _, link := range []string{public + "/embed/" + exampleID, "http://127.0.0.1:8080/embed/" + exampleID} {
		w := getOEmbed(t, h, "127.0.0.1:8080", url.Values{"url": {link}})
		var a oembedAnswer
		if err := json.Unmarshal(expect(t, w, http.StatusOK, "application/json"), &a); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.HTML, `src="`+public+`/embed/`+exampleID+`"`) || a.ProviderURL != public+"/" {
			t.Errorf("%s: %+v", link, a)
		}
	}
}

// TestOEmbedDiscovery: the app, embed and lesson pages name their oEmbed
// address, which answers for them; the sandbox, a room's page and the
// course list do not.
func TestOEmbedDiscovery(t *testing.T) {
	shared, _ := sharedFixture(t)
	h := newTestServer(t, Config{}).Handler()
	link := regexp.MustCompile(`<link rel="alternate" type="application/json\+oembed" href="([^"]+)" title="([^"]+)">`)
	for target, want := range map[string]bool{
		"/?scenario=" + exampleID + "&lang=zh":       true,
		"/embed/" + exampleID:                        true,
		"/embed/custom?s=" + shared:                  true,
		"/?s=" + shared:                              true,
		"/?scenario=sandbox":                         false,
		"/?room=ABC234":                              false,
		"/learn/" + lessons.All()[0].ID:              true,
		"/learn/" + lessons.All()[0].ID + "?lang=zh": true,
		"/embed/lesson/" + lessons.All()[0].ID:       true,
		"/learn":                                     false,
	} {
		body := get(t, h, target).Body.String()
		m := link.FindStringSubmatch(body)
		if (m != nil) != want {
			t.Errorf("%s: discovery link %v, want %v", target, m != nil, want)
			continue
		}
		if m == nil {
			continue
		}
		u, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil || u.Path != "/oembed" || u.Query().Get("url") != "http://example.com"+target {
			t.Errorf("%s: discovery link %q", target, m[1])
			continue
		}
		if w := get(t, h, u.RequestURI()); w.Code != http.StatusOK {
			t.Errorf("%s: its oEmbed answers %d: %s", target, w.Code, w.Body)
		}
	}
}
