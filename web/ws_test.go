package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/scenarios"
)

// liveTest is a live session hub served by an httptest server.
type liveTest struct {
	t   *testing.T
	srv *Server
	hub *liveHub
	url string
}

func newLiveTest(t *testing.T, cfg LiveConfig) *liveTest {
	t.Helper()
	srv := newTestServer(t, Config{})
	hub := newLiveHub(srv, cfg)
	ts := httptest.NewServer(hub)
	t.Cleanup(func() {
		srv.Shutdown()
		ts.Close()
	})
	return &liveTest{t: t, srv: srv, hub: hub, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
}

func (lt *liveTest) dial() *liveClient {
	lt.t.Helper()
	return dialLive(lt.t, lt.url, nil)
}

// readWait is how long a test waits for one message before it fails: long,
// so that a loaded machine (CI's parallel packages, -race) does not fail a
// test that waits on a message, not on a time.
const readWait = 30 * time.Second

func dialLive(t testing.TB, url string, header http.Header) *liveClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", url, err, resp)
	}
	c := &liveClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	return c
}

// liveClient is a test's side of a session.
type liveClient struct {
	t    testing.TB
	conn *websocket.Conn
}

func (c *liveClient) send(cmd string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
		c.t.Fatalf("send %s: %v", cmd, err)
	}
}

func (c *liveClient) sendJSON(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(string(b))
}

// read reads one message, or fails with the connection's error.
func (c *liveClient) read() (wireMessage, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(readWait))
	kind, b, err := c.conn.ReadMessage()
	if err != nil {
		return wireMessage{}, err
	}
	var m wireMessage
	if kind != websocket.TextMessage {
		return m, fmt.Errorf("message of kind %d", kind)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("message %s: %w", b, err)
	}
	return m, nil
}

func (c *liveClient) recv() wireMessage {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// expect reads one message of type typ.
func (c *liveClient) expect(typ string) wireMessage {
	c.t.Helper()
	m := c.recv()
	if m.Type != typ {
		c.t.Fatalf("got %v, want a %s message", m, typ)
	}
	return m
}

// expectError reads an error message that contains want.
func (c *liveClient) expectError(want string) {
	c.t.Helper()
	m := c.expect(msgError)
	if !strings.Contains(m.Message, want) {
		c.t.Fatalf("error %q, want one with %q", m.Message, want)
	}
	checkErrorCode(c.t, m)
}

var placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// checkErrorCode checks that error message m has a code whose text both
// catalogues hold, and args for every placeholder of that text.
func checkErrorCode(t testing.TB, m wireMessage) {
	t.Helper()
	if m.Code == "" {
		t.Fatalf("error %s has no code", m)
	}
	for _, lang := range i18n.Langs() {
		key := "error." + m.Code
		if !i18n.For(lang).Has(key) {
			t.Fatalf("%s.json has no %q (for %s)", lang, key, m)
		}
		for _, p := range placeholderRE.FindAllStringSubmatch(i18n.For(lang).T(key), -1) {
			if _, ok := m.Args[p[1]]; !ok {
				t.Errorf("error %s: %s.json's %q uses {%s}, which args lack", m, lang, key, p[1])
			}
		}
	}
	if m.Code == "bad-field" || m.Code == "bad-input" {
		checkFieldCheck(t, m)
	}
}

// checkFieldCheck checks the engine's rule a field error carries: a check
// (field.<check> in both catalogues) and the values its text uses.
func checkFieldCheck(t testing.TB, m wireMessage) {
	t.Helper()
	check, _ := m.Args["check"].(string)
	values, _ := m.Args["values"].(map[string]any)
	if check == "" || values == nil {
		t.Fatalf("field error %s has no check and values", m)
	}
	for _, lang := range i18n.Langs() {
		key := "field." + check
		if !i18n.For(lang).Has(key) {
			t.Fatalf("%s.json has no %q (for %s)", lang, key, m)
		}
		for _, p := range placeholderRE.FindAllStringSubmatch(i18n.For(lang).T(key), -1) {
			if _, ok := values[p[1]]; !ok {
				t.Errorf("error %s: %s.json's %q uses {%s}, which values lack", m, lang, key, p[1])
			}
		}
	}
}

// TestFieldErrorCodesInCatalogues keeps every rule the engine's field
// errors name in both catalogues, as field.<code>, so that the editor and
// the live page word them in the reader's language.
func TestFieldErrorCodesInCatalogues(t *testing.T) {
	for _, code := range engine.FieldErrorCodes() {
		for _, lang := range i18n.Langs() {
			if !i18n.For(lang).Has("field." + code) {
				t.Errorf("%s.json has no %q", lang, "field."+code)
			}
		}
	}
}

// userErrorCode finds the codes in the web package's userErrorf calls.
var userErrorCode = regexp.MustCompile(`userErrorf\(\s*"([^"]*)"`)

// TestErrorCodesInCatalogues keeps every code the server can send in both
// catalogues, as error.<code>.
func TestErrorCodesInCatalogues(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n, m := strings.Count(string(src), "userErrorf("), len(userErrorCode.FindAllIndex(src, -1)); n != m+strings.Count(string(src), "func userErrorf(") {
			t.Errorf("%s: %d calls of userErrorf, %d with a literal code", f, n, m)
		}
		for _, m := range userErrorCode.FindAllSubmatch(src, -1) {
			codes[string(m[1])] = true
		}
	}
	if len(codes) < 40 {
		t.Fatalf("found only %d codes: %v", len(codes), codes)
	}
	for code := range codes {
		if !regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`).MatchString(code) {
			t.Errorf("code %q is not lower-case words joined by hyphens", code)
		}
		for _, lang := range i18n.Langs() {
			if !i18n.For(lang).Has("error." + code) {
				t.Errorf("%s.json has no %q", lang, "error."+code)
			}
		}
	}
}

// TestLiveErrorCodes checks the code and args of a few errors, beside their
// English text.
func TestLiveErrorCodes(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	c := lt.dial()
	c.send(`{"type": "step"}`)
	m := c.expect(msgError)
	if m.Code != "not-loaded" || len(m.Args) != 0 || !strings.HasPrefix(m.Message, "Load a scenario first") {
		t.Fatalf("step before load: %s", m)
	}
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	c.expect(msgLoaded)
	for _, tc := range []struct {
		cmd, code string
		args      map[string]any
	}{
		{`{"type": "jump"}`, "unknown-type", map[string]any{"type": `"jump"`, "types": commandTypes}},
		{`{"type": "fault", "drop": {"segment": 99}}`, "segment-not-sent", map[string]any{"segment": 99.0}},
		{`{"type": "call", "endpoint": "client", "call": "jump"}`, "bad-field",
			map[string]any{"field": "call", "detail": "must be one of listen, connect", "check": "one-of",
				"values": map[string]any{"value": `"jump"`, "values": "listen, connect, send, receive, shutdown, close, abort"}}},
		{`{"type": "play", "speed": 0}`, "bad-speed", map[string]any{"max": float64(maxSpeed), "value": "0"}},
		{`{"type": "seek"}`, "cursor-needed", map[string]any{"max": float64(engine.MaxEvents)}},
		{`{"type": "seek", "cursor": 1.5}`, "bad-cursor", map[string]any{"max": float64(engine.MaxEvents), "value": "1.5"}},
		{`{"type": "seek", "cursor": -2}`, "bad-cursor", map[string]any{"max": float64(engine.MaxEvents), "value": "-2"}},
		{`{"type": "answer", "choice": 0}`, "not-viewer", map[string]any{}},
	} {
		c.send(tc.cmd)
		m := c.expect(msgError)
		if m.Code != tc.code {
			t.Errorf("%s: code %q, want %q (%s)", tc.cmd, m.Code, tc.code, m)
			continue
		}
		checkErrorCode(t, m)
		if tc.code == "bad-field" {
			// The engine's detail may go on; its start is enough.
			if d, _ := m.Args["detail"].(string); strings.HasPrefix(d, tc.args["detail"].(string)) {
				m.Args["detail"] = tc.args["detail"]
			}
		}
		if !reflect.DeepEqual(m.Args, tc.args) {
			t.Errorf("%s: args %v, want %v", tc.cmd, m.Args, tc.args)
		}
	}
}

const syncMarker = "test-sync-marker"

// sync returns every message the server sent before it answered a marker
// command (an unknown type, refused with an error): commands run in order,
// so these are all the answers to earlier commands, plus what play sent
// meanwhile.
func (c *liveClient) sync() []wireMessage {
	c.t.Helper()
	c.send(`{"type": "` + syncMarker + `"}`)
	var msgs []wireMessage
	for {
		m := c.recv()
		if m.Type == msgError && strings.Contains(m.Message, syncMarker) {
			return msgs
		}
		msgs = append(msgs, m)
	}
}

// untilDone reads events until done.
func (c *liveClient) untilDone() []string {
	c.t.Helper()
	var evs []string
	for {
		m := c.recv()
		switch m.Type {
		case msgEvent:
			evs = append(evs, string(m.Event))
		case msgDone:
			return evs
		default:
			c.t.Fatalf("got %v while waiting for done", m)
		}
	}
}

// expectClose reads until the connection closes and checks the close code.
func (c *liveClient) expectClose(code int) {
	c.t.Helper()
	for {
		_, err := c.read()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			c.t.Fatalf("connection ended with %v, want close code %d", err, code)
		}
		return
	}
}

// apiRunEvents posts doc to /api/run and returns the trace's events as
// their JSON text.
func apiRunEvents(t testing.TB, srv *Server, doc []byte) []string {
	t.Helper()
	body := expect(t, post(t, srv.Handler(), "/api/run", doc), http.StatusOK, "application/json")
	var tr struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(tr.Events))
	for i, e := range tr.Events {
		out[i] = string(e)
	}
	return out
}

// TestLiveMatchesAPIRun steps, plays at a speed and plays at max through
// every built-in scenario over /ws, mounted on the real router: the events
// streamed are exactly /api/run's for the same scenario.
func TestLiveMatchesAPIRun(t *testing.T) {
	// Stepping as fast as the test can is over the default command rate.
	srv := newTestServer(t, Config{Live: LiveConfig{CommandRate: 1e6, CommandBurst: 1e6}})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Shutdown()
		ts.Close()
	})
	c := dialLive(t, "ws"+strings.TrimPrefix(ts.URL, "http")+"/ws", nil)
	for _, sc := range scenarios.All() {
		t.Run(sc.ID, func(t *testing.T) {
			c.t = t
			want := apiRunEvents(t, srv, builtinDoc(t, sc.ID))
			c.send(`{"type": "load", "scenario": "` + sc.ID + `"}`)
			c.expect(msgLoaded)
			var stepped []string
			for {
				c.send(`{"type": "step"}`)
				m := c.recv()
				if m.Type == msgDone {
					break
				}
				stepped = append(stepped, string(m.Event))
			}
			if !slices.Equal(stepped, want) {
				t.Fatalf("stepped:\n%s", firstDiff(stepped, want))
			}
			for _, speed := range []string{`"max"`, "1000000"} {
				c.send(`{"type": "reset"}`)
				c.expect(msgLoaded)
				c.send(`{"type": "play", "speed": ` + speed + `}`)
				if played := c.untilDone(); !slices.Equal(played, want) {
					t.Fatalf("played at %s:\n%s", speed, firstDiff(played, want))
				}
			}
		})
	}
}

func TestLiveLoad(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	c := lt.dial()
	tr, err := engine.Run(mustBuiltin(t, exampleID))
	if err != nil {
		t.Fatal(err)
	}
	wantEndpoints, _ := json.Marshal(tr.Endpoints)
	doc := builtinDoc(t, exampleID)
	for name, cmd := range map[string]string{
		"by id":     `{"type": "load", "scenario": "` + exampleID + `"}`,
		"by object": `{"type": "load", "scenario": ` + string(doc) + `}`,
	} {
		c.send(cmd)
		m := c.expect(msgLoaded)
		if !jsonEqual(t, m.Scenario, doc) {
			t.Errorf("%s: loaded scenario %s, want %s", name, m.Scenario, doc)
		}
		if !jsonEqual(t, m.Endpoints, wantEndpoints) {
			t.Errorf("%s: endpoints %s, want %s", name, m.Endpoints, wantEndpoints)
		}
		c.send(`{"type": "step"}`)
		c.expect(msgEvent)
	}
}

func mustBuiltin(t testing.TB, id string) *engine.Scenario {
	t.Helper()
	sc, ok := scenarios.Get(id)
	if !ok {
		t.Fatalf("no built-in %s", id)
	}
	return sc
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// TestLivePlayPaced plays client-closes-first (60.6 s of virtual time) at
// 200 virtual ms per real ms: all events, paced, in about 0.3 s.
func TestLivePlayPaced(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	want := mustRunEvents(t, exampleID)
	c := lt.dial()
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	c.expect(msgLoaded)
	start := time.Now()
	c.send(`{"type": "play", "speed": 200}`)
	got := c.untilDone()
	elapsed := time.Since(start)
	if !slices.Equal(got, want) {
		t.Fatalf("played:\n%s", firstDiff(got, want))
	}
	if min := 60610 * time.Millisecond / 200; elapsed < min {
		t.Errorf("played in %v, want at least %v", elapsed, min)
	}
}

func mustRunEvents(t testing.TB, id string) []string {
	t.Helper()
	tr, err := engine.Run(mustBuiltin(t, id))
	if err != nil {
		t.Fatal(err)
	}
	return eventJSON(t, tr.Events)
}

func TestLivePauseAndBack(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	want := mustRunEvents(t, exampleID)
	c := lt.dial()
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	c.expect(msgLoaded)
	// At speed 1 the first events come at once, the next at 10 ms; the
	// close at 400 ms. Pause before it.
	c.send(`{"type": "play", "speed": 1}`)
	time.Sleep(100 * time.Millisecond)
	c.send(`{"type": "pause"}`)
	played, _ := events(t, c.sync())
	time.Sleep(400 * time.Millisecond)
	if msgs := c.sync(); len(msgs) != 0 {
		t.Fatalf("paused, the session sent %v", msgs)
	}
	if len(played) == 0 || !slices.Equal(played, want[:len(played)]) {
		t.Fatalf("played before the pause:\n%s", firstDiff(played, want))
	}
	n := len(played)
	c.send(`{"type": "step"}`)
	if m := c.expect(msgEvent); string(m.Event) != want[n] {
		t.Fatalf("step after pause: %s, want %s", m.Event, want[n])
	}
	c.send(`{"type": "back"}`)
	if m := c.expect(msgRewound); m.Cursor == nil || *m.Cursor != n {
		t.Fatalf("back: %v, want cursor %d", m, n)
	}
	c.send(`{"type": "step"}`)
	if m := c.expect(msgEvent); string(m.Event) != want[n] {
		t.Fatalf("step after back: %s, want %s again", m.Event, want[n])
	}
}

const interactiveDoc = `{"id": "interactive", "seed": 3, "network": {"one_way_delay_ms": 10}, "steps": []}`

func TestLiveInteractive(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	c := lt.dial()
	c.send(`{"type": "load", "scenario": ` + interactiveDoc + `}`)
	c.expect(msgLoaded)
	c.send(`{"type": "call", "endpoint": "server", "call": "listen"}`)
	c.send(`{"type": "call", "endpoint": "client", "call": "connect"}`)
	first, _ := events(t, c.sync())
	evs := parseEvents(t, first)
	syn := slices.IndexFunc(evs, func(e event) bool {
		return e.Kind == engine.KindSegment && slices.Equal(e.Flags, []string{"SYN"})
	})
	if syn < 0 || evs[0].Call != engine.CallListen {
		t.Fatalf("listen and connect gave %v", evs)
	}
	// Lose the SYN in flight: the client retransmits it.
	c.send(fmt.Sprintf(`{"type": "fault", "drop": {"segment": %d}}`, evs[syn].ID))
	if m := c.expect(msgRecorded); !strings.Contains(string(m.Live), fmt.Sprintf(`"fault":{"drop":{"segment":%d}}`, evs[syn].ID)) {
		t.Fatalf("the drop was recorded as %s", m.Live)
	}
	if m := parseEvents(t, []string{string(c.expect(msgEvent).Event)}); m[0].Kind != engine.KindDrop {
		t.Fatalf("drop gave %v", m)
	}
	c.send(fmt.Sprintf(`{"type": "fault", "fault": {"drop": {"segment": %d}}}`, evs[syn].ID))
	c.expectError("already been dropped")
	var rest []string
	for {
		c.send(`{"type": "step"}`)
		m := c.recv()
		if m.Type == msgDone {
			break
		}
		rest = append(rest, string(m.Event))
	}
	later := parseEvents(t, rest)
	if !slices.ContainsFunc(later, func(e event) bool {
		return e.Kind == engine.KindSegment && e.Retransmit && slices.Equal(e.Flags, []string{"SYN"})
	}) {
		t.Fatalf("no SYN retransmission: %v", later)
	}
	var states []string
	for _, e := range append(evs, later...) {
		if e.Kind == engine.KindState {
			states = append(states, e.Endpoint+":"+e.To)
		}
	}
	want := []string{"server:LISTEN", "client:SYN-SENT", "server:SYN-RECEIVED", "client:ESTABLISHED", "server:ESTABLISHED"}
	if !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	// A segment that has arrived cannot be dropped.
	c.send(fmt.Sprintf(`{"type": "fault", "drop": {"segment": %d}}`, evs[syn].ID+1))
	c.expectError("already arrived; only a segment still in flight can be dropped")
}

// TestLiveErrors sends mistakes: each is answered with an error message in
// words, and the session goes on.
func TestLiveErrors(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	c := lt.dial()
	c.send(`{"type": "step"}`)
	c.expectError("Load a scenario first")
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	c.expect(msgLoaded)
	for _, tc := range []struct{ cmd, want string }{
		{`{"type": "step"`, "not valid JSON"},
		{`not json`, "not valid JSON"},
		{`[1, 2]`, "A command is a JSON object"},
		{`{"type": "jump"}`, `Unknown command type "jump": use one of load, step, play`},
		{`{"speed": 2}`, `A command needs a "type"`},
		{`{"type": "play", "sped": 2}`, `Unknown field "sped"`},
		{`{"type": 7}`, "type must be a string"},
		{`{"type": "play", "speed": 0}`, "speed: must be a number"},
		{`{"type": "play", "speed": "fast"}`, "speed: must be a number"},
		{`{"type": "play", "speed": 2000000}`, "at most 1000000"},
		{`{"type": "call", "endpoint": "client", "call": "jump"}`, "call: must be one of listen, connect"},
		{`{"type": "call", "endpoint": "router", "call": "close"}`, `endpoint: must be "client" or "server"`},
		{`{"type": "fault", "drop": {"from": "client", "nth": 1}}`, "drop.flags: must list at least one flag"},
		{`{"type": "fault"}`, "fault: must hold exactly one of drop, inject, flood"},
		{`{"type": "fault", "drop": {"segment": 1}, "fault": {"drop": {"segment": 1}}}`, "not both"},
		{`{"type": "fault", "drop": {"segment": 99}}`, "There is no segment 99 yet"},
		{`{"type": "load", "scenario": "no-such-scenario"}`, `There is no built-in scenario "no-such-scenario"`},
		{`{"type": "load", "scenario": {"seed": 1, "steps": [{"at_ms": -1, "endpoint": "client", "call": "connect"}]}}`, "steps[0].at_ms: must be between 0"},
		{`{"type": "load", "scenario": {"seed": 1, "stepz": []}}`, "stepz: unknown field"},
		{`{"type": "load"}`, "scenario: give a built-in id"},
		{`{"type": "back"}`, "nothing to step back over"},
	} {
		c.send(tc.cmd)
		c.expectError(tc.want)
	}
	if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte(`{"type": "step"}`)); err != nil {
		t.Fatal(err)
	}
	c.expectError("JSON text messages")
	// The session goes on where it was: the failed load left the loaded
	// scenario in place.
	want := mustRunEvents(t, exampleID)
	c.send(`{"type": "step"}`)
	if m := c.expect(msgEvent); string(m.Event) != want[0] {
		t.Fatalf("step after errors: %s, want %s", m.Event, want[0])
	}
}

func TestLiveOrigin(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	host := strings.TrimPrefix(lt.url, "ws://")
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"HTTP://" + strings.ToUpper(host), true},
		{"https://" + host, false}, // exact: scheme, host and port
		{"http://" + strings.Split(host, ":")[0], false},
		{"http://evil.example", false},
		{"http://" + host + ".evil.example", false},
		{"null", false},
	} {
		header := http.Header{}
		if tc.origin != "" {
			header.Set("Origin", tc.origin)
		}
		conn, resp, err := websocket.DefaultDialer.Dial(lt.url, header)
		if tc.ok {
			if err != nil {
				t.Errorf("origin %q refused: %v", tc.origin, err)
				continue
			}
			conn.Close()
			continue
		}
		if err == nil {
			conn.Close()
			t.Errorf("origin %q accepted", tc.origin)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"error":"this WebSocket accepts only pages of this server`) {
			t.Errorf("origin %q: %s %s", tc.origin, resp.Status, body)
		}
	}
}

func TestLiveNotAWebSocket(t *testing.T) {
	srv := newTestServer(t, Config{})
	msg := expectError(t, get(t, srv.Handler(), "/ws"), http.StatusBadRequest)
	if !strings.Contains(msg, "open it with a WebSocket client") {
		t.Errorf("plain GET /ws: %q", msg)
	}
	w := post(t, srv.Handler(), "/ws", nil)
	expectError(t, w, http.StatusMethodNotAllowed)
}

func TestLiveReadLimit(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	c := lt.dial()
	big := `{"type": "load", "scenario": {"id": "` + strings.Repeat("x", maxMessageSize) + `"}}`
	c.send(big)
	c.expectClose(websocket.CloseMessageTooBig)
	waitFor(t, "the session to end", func() bool { return lt.hub.count() == 0 })
}

func TestLiveRateLimit(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{CommandRate: 0.001, CommandBurst: 5})
	c := lt.dial()
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	c.expect(msgLoaded)
	for range 4 {
		c.send(`{"type": "step"}`)
		c.expect(msgEvent)
	}
	// Over the limit: refused with an error, the session goes on...
	for range 5 {
		c.send(`{"type": "step"}`)
		c.expectError("Too many commands")
	}
	// ...until the refusals go on too long.
	c.send(`{"type": "step"}`)
	c.expectClose(websocket.ClosePolicyViolation)
}

// TestLiveSendQueueOverflow: a client that sends commands and never reads
// fills its socket, then the send queue: the server closes with 1008
// instead of blocking or growing.
func TestLiveSendQueueOverflow(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{SendQueue: 4, CommandRate: 1e6, CommandBurst: 1e6})
	c := lt.dial()
	// Each reset answers with the whole scenario (about 100 KB): a few
	// hundred fill the sockets' buffers, then the queue.
	c.sendJSON(map[string]any{"type": "load", "scenario": bigScenario(t)})
	for i := 0; i < 2000 && !lt.closing(); i++ {
		c.send(`{"type": "reset"}`)
	}
	waitFor(t, "the queue to overflow", lt.closing)
	c.expectClose(websocket.ClosePolicyViolation)
	waitFor(t, "the session to end", func() bool { return lt.hub.count() == 0 })
}

// closing reports whether some session is closing.
func (lt *liveTest) closing() bool {
	lt.hub.mu.Lock()
	defer lt.hub.mu.Unlock()
	for c := range lt.hub.conns {
		if c.closing() {
			return true
		}
	}
	return false
}

// bigScenario is a valid scenario of about 100 KB.
func bigScenario(t testing.TB) json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"seed": 1, "steps": [{"at_ms": 0, "endpoint": "server", "call": "listen"}`)
	for i := range 999 {
		fmt.Fprintf(&b, `, {"at_ms": %d, "endpoint": "client", "call": "send", "data": "%s"}`, i, strings.Repeat("d", 60))
	}
	b.WriteString(`]}`)
	if _, err := engine.DecodeScenario([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(b.String())
}

// floodScenario makes 5,202 events, close to what engine.DefaultBudget
// lets a run hold.
const floodScenario = `{"seed": 1, "options": {"backlog": 0},
	"steps": [{"at_ms": 0, "endpoint": "server", "call": "listen"}],
	"faults": [{"flood": {"at_ms": 0, "count": 1000, "interval_ms": 1}},
	           {"flood": {"at_ms": 70000, "count": 1000, "interval_ms": 1}},
	           {"flood": {"at_ms": 140000, "count": 600, "interval_ms": 1}}]}`

// TestLivePlayMaxLarge plays a run of 5,000 events at max speed with the
// default queue: backpressure, not overflow.
func TestLivePlayMaxLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("a 5,000-event run")
	}
	lt := newLiveTest(t, LiveConfig{})
	sc, err := engine.DecodeScenario([]byte(floodScenario))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := engine.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	want := eventJSON(t, tr.Events)
	if len(want) < 5000 {
		t.Fatalf("the flood makes only %d events", len(want))
	}
	c := lt.dial()
	c.send(`{"type": "load", "scenario": ` + floodScenario + `}`)
	c.expect(msgLoaded)
	c.send(`{"type": "play", "speed": "max"}`)
	got := c.untilDone()
	if !slices.Equal(got, want) {
		t.Fatalf("played:\n%s", firstDiff(got, want))
	}
}

// TestLiveConcurrentSessions runs sessions of the same built-in at once:
// they share its scenario and cached trace, and must not race (-race).
func TestLiveConcurrentSessions(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	want := mustRunEvents(t, "syn-lost")
	var wg sync.WaitGroup
	for range 8 {
		c := lt.dial()
		wg.Go(func() {
			c.t = &nonFatal{T: t}
			for _, cmd := range []string{
				`{"type": "load", "scenario": "syn-lost"}`,
				`{"type": "play", "speed": "max"}`,
				`{"type": "reset"}`,
				`{"type": "fault", "drop": {"from": "server", "flags": ["SYN", "ACK"], "nth": 1}}`,
				`{"type": "play", "speed": 100000}`,
			} {
				c.send(cmd)
			}
			msgs := c.sync()
			if len(msgs) < 2 || msgs[0].Type != msgLoaded {
				t.Errorf("answers %v", msgs)
				return
			}
			got, _ := events(c.t, msgs[1:1+len(want)+1])
			if !slices.Equal(got, want) {
				t.Errorf("first play:\n%s", firstDiff(got, want))
			}
		})
	}
	wg.Wait()
}

// nonFatal is a testing.TB for goroutines other than the test's: it
// reports failures with Errorf and ends the goroutine.
type nonFatal struct{ *testing.T }

func (n *nonFatal) Fatal(args ...any) {
	n.T.Error(args...)
	runtime.Goexit()
}

func (n *nonFatal) Fatalf(format string, args ...any) {
	n.T.Errorf(format, args...)
	runtime.Goexit()
}

func TestLiveSessionLimit(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{MaxSessions: 2, MaxSessionsPerClient: 2})
	a := lt.dial()
	lt.dial()
	waitFor(t, "both sessions to register", func() bool { return lt.hub.count() == 2 })
	_, resp, err := websocket.DefaultDialer.Dial(lt.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third session: %v, %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "too many live sessions") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("503 answer: %v %s", resp.Header, body)
	}
	a.conn.Close()
	waitFor(t, "a slot to free", func() bool { return lt.hub.count() == 1 })
	lt.dial()
}

// TestLiveShutdown: shutdown closes every session with 1001, quickly when
// the users answer, and refuses new ones.
func TestLiveShutdown(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	before := runtime.NumGoroutine()
	var clients []*liveClient
	for i := range 5 {
		c := lt.dial()
		c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
		c.expect(msgLoaded)
		if i%2 == 0 {
			c.send(`{"type": "play", "speed": 1}`)
		}
		clients = append(clients, c)
	}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			for {
				_, err := c.read()
				if err == nil {
					continue
				}
				var ce *websocket.CloseError
				if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
					t.Errorf("session ended with %v, want 1001", err)
				}
				return
			}
		})
	}
	start := time.Now()
	lt.srv.Shutdown()
	if took := time.Since(start); took > time.Second {
		t.Errorf("shutdown took %v", took)
	}
	wg.Wait()
	if n := lt.hub.count(); n != 0 {
		t.Errorf("%d sessions left", n)
	}
	if _, resp, err := websocket.DefaultDialer.Dial(lt.url, nil); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after shutdown: %v %v", err, resp)
	}
	for _, c := range clients {
		c.conn.Close()
	}
	waitGoroutines(t, before)
}

// TestLiveShutdownStuckClient: a user who neither reads nor answers does
// not hold shutdown up for more than ShutdownWait.
func TestLiveShutdownStuckClient(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{ShutdownWait: 200 * time.Millisecond})
	c := lt.dial()
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	start := time.Now()
	lt.srv.Shutdown()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if n := lt.hub.count(); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

// TestLiveNoGoroutineLeak opens sessions, uses them and ends them every
// way a user can: afterwards the server runs as many goroutines as before.
func TestLiveNoGoroutineLeak(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	before := runtime.NumGoroutine()
	for i := range 12 {
		c := lt.dial()
		c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
		c.expect(msgLoaded)
		switch i % 4 {
		case 0: // plays at max to the end, then leaves politely
			c.send(`{"type": "play", "speed": "max"}`)
			c.untilDone()
			_ = c.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			c.expectClose(websocket.CloseNormalClosure)
		case 1: // leaves in the middle of a slow play
			c.send(`{"type": "play", "speed": 0.001}`)
			c.sync()
		case 2: // leaves while stepping
			c.send(`{"type": "step"}`)
		case 3: // a big read, then the connection just drops
			c.send(`{"type": "back"}`)
		}
		c.conn.Close()
	}
	waitFor(t, "sessions to end", func() bool { return lt.hub.count() == 0 })
	waitGoroutines(t, before)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGoroutines waits until no more goroutines run than before; the
// httptest server's own may take a moment to go.
func waitGoroutines(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
