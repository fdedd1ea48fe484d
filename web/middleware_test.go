package web

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestBodyRefusedFromContentLength: a body declared too large is refused
// before a byte of it is sent: the client asked with Expect: 100-continue
// and gets the 413 instead of the 100.
func TestBodyRefusedFromContentLength(t *testing.T) {
	srv := newTestServer(t, Config{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /api/run HTTP/1.1\r\nHost: synack\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", 1<<30)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	defer resp.Body.Close()
	var body errorBody
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body.Error, "256 KiB") {
		t.Errorf("%s %q, want 413 naming the limit", resp.Status, body.Error)
	}

	// A body that does not declare its length is cut at the limit.
	big := `{"id": "` + strings.Repeat("x", 300<<10) + `"}`
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/run", struct{ *strings.Reader }{strings.NewReader(big)})
	req.ContentLength = -1
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: %s", resp.Status)
	}
}

// TestCrossOrigin: the static files and the read-only API may be read by
// any page (the embed in a sandboxed iframe has an opaque origin); pages,
// POST /api/run and errors of other routes are not opened up.
func TestCrossOrigin(t *testing.T) {
	srv := newTestServer(t, Config{})
	h := srv.Handler()
	origin := map[string]string{"Origin": "null"}
	for _, tt := range []struct {
		method, target string
		want           string
	}{
		{"GET", srv.pageAssets.App, "*"},
		{"GET", srv.pageAssets.Stylesheet, "*"},
		{"GET", "/static/nothing.js", "*"},
		{"GET", "/api/scenarios", "*"},
		{"GET", "/api/scenarios/" + exampleID, "*"},
		{"GET", "/api/scenarios/" + exampleID + "/trace", "*"},
		{"GET", "/api/scenarios/" + exampleID + "/trace?format=pcap", "*"},
		{"GET", "/api/lessons", "*"},
		{"GET", "/i18n/zh.json", "*"},
		{"GET", "/oembed?url=http://example.com/", "*"},
		{"HEAD", "/api/scenarios", "*"},
		{"POST", "/api/run", ""},
		{"GET", "/", ""},
		{"GET", "/embed/" + exampleID, ""},
		{"GET", "/healthz", ""},
	} {
		w := request{method: tt.method, target: tt.target, header: origin, body: strings.NewReader("{}")}.do(t, h)
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != tt.want {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", tt.method, tt.target, got, tt.want)
		}
	}
}

// syncBuffer is a log destination for a server's goroutines and a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRequestLog: an upgraded WebSocket request is logged as 101, a
// refused one with its status, a plain request with its own.
func TestRequestLog(t *testing.T) {
	var logs syncBuffer
	srv, err := New(Config{}, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer func() {
		srv.Shutdown()
		ts.Close()
	}()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	c := dialLive(t, wsURL, nil)
	c.conn.Close()
	if _, _, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"https://evil.example"}}); err == nil {
		t.Fatal("foreign origin accepted")
	}
	if resp, err := http.Get(ts.URL + "/api/scenarios"); err == nil {
		resp.Body.Close()
	}
	want := map[string]int{"/ws 101": 0, "/ws 403": 0, "/api/scenarios 200": 0}
	deadline := time.Now().Add(2 * time.Second)
	for {
		for k := range want {
			want[k] = 0
		}
		for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
			var rec struct {
				Msg    string `json:"msg"`
				Path   string `json:"path"`
				Status int    `json:"status"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" {
				want[fmt.Sprintf("%s %d", rec.Path, rec.Status)]++
			}
		}
		if want["/ws 101"] == 1 && want["/ws 403"] == 1 && want["/api/scenarios 200"] == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for k, n := range want {
		if n != 1 {
			t.Errorf("%d request lines %q, want 1; logs:\n%s", n, k, logs.String())
		}
	}
}

// TestCounters: the counters follow sessions, rooms and viewers, and count
// refused runs, sessions and joins.
func TestCounters(t *testing.T) {
	srv := newTestServer(t, Config{MaxRuns: 1, RunQueueWait: time.Millisecond,
		Live: LiveConfig{MaxSessions: 3, MaxSessionsPerClient: 3, CommandRate: 1e6, CommandBurst: 1e6}})
	ts := httptest.NewServer(srv.Handler())
	defer func() {
		srv.Shutdown()
		ts.Close()
	}()
	wsURL := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"
	p := dialLive(t, wsURL, nil)
	p.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	next(p, msgLoaded)
	p.send(`{"type": "share"}`)
	code := next(p, msgShared).Room
	v := dialLive(t, wsURL+"?room="+code, nil)
	next(v, msgRoom)
	lost := dialLive(t, wsURL+"?room=ZZZZZZ", nil)
	next(lost, msgError)
	lost.conn.Close()
	// Two open, one closing: the next may find the limit full; wait.
	waitFor(t, "two sessions", func() bool { return srv.Counters().Sessions == 2 })
	third := dialLive(t, wsURL, nil)
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL, nil); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a fourth session at a limit of 3: %v", err)
	}
	srv.runs.slots <- struct{}{}
	expectError(t, post(t, srv.Handler(), "/api/run", builtinDoc(t, exampleID)), http.StatusServiceUnavailable)
	srv.runs.release()

	want := Counters{Sessions: 3, Rooms: 1, Viewers: 1, RefusedRuns: 1, RefusedSessions: 1, RefusedJoins: 1}
	if got := srv.Counters(); got != want {
		t.Errorf("counters %+v, want %+v", got, want)
	}
	third.conn.Close()
	v.conn.Close()
	waitFor(t, "the viewer gone", func() bool { c := srv.Counters(); return c.Sessions == 1 && c.Viewers == 0 })
}
