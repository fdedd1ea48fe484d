package browsertest

import (
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/synack/synack/web"
)

// sandboxCourse serves, from an origin of its own, a page that frames src
// in an iframe with sandbox="allow-scripts": the frame's document has an
// opaque origin ("null"), as some LMS and oEmbed hosts give it. The page
// records the messages it receives in window.messages.
func sandboxCourse(t *testing.T, src string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A sandboxing course page</title><link rel="icon" href="data:,"></head>
<body>
<script>
window.messages = [];
addEventListener('message', (e) => window.messages.push({origin: e.origin, data: e.data}));
</script>
<iframe id="synack" sandbox="allow-scripts" src="%s" title="synack" width="900" height="560" style="border: 0"></iframe>
</body></html>`, html.EscapeString(src))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSandboxedEmbed: in an iframe with sandbox="allow-scripts" (an
// opaque origin) the embed's module scripts load (the static files answer
// Access-Control-Allow-Origin: *), /ws refuses the "null" origin, and the
// view plays the recorded run (the trace, read cross-origin) to its end.
func TestSandboxedEmbed(t *testing.T) {
	const id = "client-closes-first"
	tr := getTrace(t, id)
	// The refused WebSocket is reported on the frame's console.
	p := newPage(t, allowConsoleError("WebSocket connection to"))
	course := sandboxCourse(t, app.URL+"/embed/"+id+"?autoplay=1&speed=max")
	p.do(chromedp.Navigate(course.URL))
	// The frame is out of the page's process (a sandboxed frame is a site
	// of its own): the test follows it through the messages it posts to
	// the course page, the origin of the referrer.
	p.waitFor(`window.messages.some((m) => m.data?.type === 'synack:progress' && m.data.done)`, 30*time.Second,
		"the sandboxed embed to post that it is done")
	msgs := eval[[]message](p, `window.messages`)
	var last *message
	for i, m := range msgs {
		if m.Origin != "null" {
			t.Errorf("message %+v from origin %q: the frame is not sandboxed", m.Data, m.Origin)
		}
		if m.Data.Type == "synack:progress" {
			last = &msgs[i]
		}
	}
	if last == nil {
		t.Fatal("no progress message")
	}
	if end := last.Data; !end.Done || end.Step != len(tr.Events) || end.Total == nil || *end.Total != len(tr.Events) {
		t.Errorf("last progress %+v (total %v), want step = total = %d, done", end, deref(end.Total), len(tr.Events))
	}
}

// TestRoomLANHint: a presenter whose page is on localhost, on a server
// without a public URL, is told that students cannot open the link and
// offered the LAN address.
func TestRoomLANHint(t *testing.T) {
	const lan = "http://192.0.2.10:8080"
	srv, err := web.New(web.Config{Proxy: web.ProxyConfig{LANURL: lan}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	local := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Shutdown()
		local.Close()
	})
	p := newPage(t)
	p.do(chromedp.Navigate(local.URL + "/?scenario=client-closes-first&lang=en"))
	p.waitReady()
	p.openRoom()
	type hint struct {
		Text string `json:"text"`
		Href string `json:"href"`
	}
	h := eval[hint](p, `(() => {
		const e = document.querySelector('[data-room-lan]');
		return e ? { text: e.textContent, href: e.querySelector('a').href } : { text: '', href: '' };
	})()`)
	want := catalogue(t, "en")["room.localhost"]
	before, after, _ := strings.Cut(want, "{url}")
	if h.Text != before+lan+after {
		t.Errorf("hint %q, want %q", h.Text, before+lan+after)
	}
	if h.Href != lan+"/?scenario=client-closes-first&lang=en" {
		t.Errorf("the hint links %q", h.Href)
	}

	// On the LAN address itself there is nothing to say.
	q := newPage(t)
	q.open("/?scenario=client-closes-first&lang=en")
	q.openRoom()
	if eval[bool](q, `document.querySelector('[data-room-lan]') !== null`) {
		t.Error("a server without a LAN address gave a hint")
	}
}
