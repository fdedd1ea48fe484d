package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// request is one HTTP request to a handler under test.
type request struct {
	method, target string
	body           io.Reader
	header         map[string]string
}

func (rq request) do(t testing.TB, h http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodGet
	}
	r := httptest.NewRequest(method, rq.target, rq.body)
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func get(t testing.TB, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	return request{target: target}.do(t, h)
}

func post(t testing.TB, h http.Handler, target string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return request{method: http.MethodPost, target: target, body: bytes.NewReader(body),
		header: map[string]string{"Content-Type": "application/json"}}.do(t, h)
}

// expect checks an answer's status and content type and returns its body.
func expect(t testing.TB, w *httptest.ResponseRecorder, status int, contentType string) []byte {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	if got := w.Header().Get("Content-Type"); got != contentType {
		t.Fatalf("Content-Type %q, want %q", got, contentType)
	}
	return w.Body.Bytes()
}

// expectError checks a JSON error answer and returns its message.
func expectError(t testing.TB, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	body := expect(t, w, status, "application/json")
	var e struct {
		Error string         `json:"error"`
		Code  string         `json:"code"`
		Args  map[string]any `json:"args"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error == "" {
		t.Fatalf("error body %s is not {\"error\": \"…\", \"code\": …, \"args\": …}: %v", body, err)
	}
	checkErrorCode(t, wireMessage{Type: msgError, Message: e.Error, Code: e.Code, Args: e.Args})
	return e.Error
}

func builtinDoc(t testing.TB, id string) []byte {
	t.Helper()
	doc, err := os.ReadFile("../scenarios/" + id + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

const exampleID = "client-closes-first"

func TestHealthz(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	if body := expect(t, get(t, h, "/healthz"), 200, "text/plain; charset=utf-8"); string(body) != "ok\n" {
		t.Errorf("body %q", body)
	}
}

func TestListScenarios(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	body := expect(t, get(t, h, "/api/scenarios"), 200, "application/json")
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	all := scenarios.All()
	if len(list) != len(all) {
		t.Fatalf("%d scenarios, want %d", len(list), len(all))
	}
	for i, entry := range list {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range entry {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(keys, []string{"id", "summary", "title"}) {
			t.Errorf("entry %d has keys %v, want id, summary, title", i, keys)
		}
		var title engine.Text
		if err := json.Unmarshal(entry["title"], &title); err != nil || title != all[i].Title {
			t.Errorf("entry %d: title %s, want %v (%v)", i, entry["title"], all[i].Title, err)
		}
	}
}

func TestGetScenario(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	body := expect(t, get(t, h, "/api/scenarios/"+exampleID), 200, "application/json")
	sc, err := engine.DecodeScenario(body)
	if err != nil || sc.ID != exampleID {
		t.Fatalf("answer is not the scenario: %v, %v", sc, err)
	}
	msg := expectError(t, get(t, h, "/api/scenarios/no-such-thing"), 404)
	if !strings.Contains(msg, "no-such-thing") {
		t.Errorf("404 message %q does not name the scenario", msg)
	}
	expectError(t, get(t, h, "/api/scenarios/no-such-thing/trace"), 404)
	expectError(t, get(t, h, "/api/scenarios/no-such-thing/trace?format=pcap"), 404)
}

func TestTraceFormats(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	base := "/api/scenarios/" + exampleID + "/trace"

	body := expect(t, get(t, h, base), 200, "application/json")
	var tr engine.Trace
	if err := json.Unmarshal(body, &tr); err != nil || len(tr.Events) == 0 || tr.Scenario.ID != exampleID {
		t.Fatalf("trace JSON: %v (%d events)", err, len(tr.Events))
	}
	if again := expect(t, get(t, h, base+"?format=json"), 200, "application/json"); !bytes.Equal(again, body) {
		t.Error("format=json differs from the default")
	}

	w := get(t, h, base+"?format=pcap")
	pcap := expect(t, w, 200, "application/vnd.tcpdump.pcap")
	if got, want := w.Header().Get("Content-Disposition"), "attachment; filename="+exampleID+".pcap"; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	if !bytes.HasPrefix(pcap, []byte{0xd4, 0xc3, 0xb2, 0xa1}) {
		t.Errorf("capture starts % x, want the pcap magic", pcap[:min(4, len(pcap))])
	}

	w = get(t, h, base+"?format=pcapng")
	ng := expect(t, w, 200, "application/x-pcapng")
	if got, want := w.Header().Get("Content-Disposition"), "attachment; filename="+exampleID+".pcapng"; got != want {
		t.Errorf("Content-Disposition %q, want %q", got, want)
	}
	// A section header block, then the byte-order magic, little-endian.
	if !bytes.HasPrefix(ng, []byte{0x0a, 0x0d, 0x0d, 0x0a}) || !bytes.Equal(ng[8:12], []byte{0x4d, 0x3c, 0x2b, 0x1a}) {
		t.Errorf("pcapng starts % x, want a section header block", ng[:min(12, len(ng))])
	}
	if !bytes.Contains(ng, []byte("delivered to the server")) {
		t.Error("pcapng has no English fate comment")
	}
	if ngZH := expect(t, get(t, h, base+"?format=pcapng&lang=zh"), 200, "application/x-pcapng"); !bytes.Contains(ngZH, []byte("送达服务器")) {
		t.Error("pcapng with lang=zh has no Chinese fate comment")
	}

	en := expect(t, get(t, h, base+"?format=mermaid"), 200, "text/plain; charset=utf-8")
	zh := expect(t, get(t, h, base+"?format=mermaid&lang=zh"), 200, "text/plain; charset=utf-8")
	if !bytes.HasPrefix(en, []byte("sequenceDiagram\n")) || !bytes.Contains(en, []byte("as Client ")) {
		t.Errorf("English diagram:\n%s", en)
	}
	if !bytes.Contains(zh, []byte("as 客户端 ")) {
		t.Errorf("Chinese diagram:\n%s", zh)
	}

	// ?numbering= writes the numbers as the page does; relative is the default.
	if sym := expect(t, get(t, h, base+"?format=mermaid&numbering=symbolic"), 200, "text/plain; charset=utf-8"); !bytes.Contains(sym, []byte("SYN seq=x len=0")) {
		t.Errorf("symbolic diagram:\n%s", sym)
	}
	if rel := expect(t, get(t, h, base+"?format=mermaid&numbering=relative"), 200, "text/plain; charset=utf-8"); !bytes.Equal(rel, en) {
		t.Error("numbering=relative differs from the default diagram")
	}
	if abs := expect(t, get(t, h, base+"?format=mermaid&numbering=absolute"), 200, "text/plain; charset=utf-8"); bytes.Equal(abs, en) || bytes.Contains(abs, []byte("SYN seq=0 ")) {
		t.Errorf("absolute diagram:\n%s", abs)
	}

	for target, word := range map[string]string{
		base + "?format=xml":                           `"xml"`,
		base + "?format=mermaid&numbering=roman":       `"roman"`,
		base + "?format=mermaid&lang=fr":               `"fr"`,
		base + "?format=pcapng&lang=de":                `"de"`,
		"/api/run?format=" + strings.Repeat("x", 1000): "use json, pcap, pcapng or mermaid",
	} {
		method := http.MethodGet
		if strings.HasPrefix(target, "/api/run") {
			method = http.MethodPost
		}
		msg := expectError(t, request{method: method, target: target}.do(t, h), 400)
		if !strings.Contains(msg, word) || len(msg) > 200 {
			t.Errorf("%s: message %q does not name %s briefly", target, msg, word)
		}
	}
}

func TestRun(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	doc := builtinDoc(t, exampleID)
	ran := expect(t, post(t, h, "/api/run", doc), 200, "application/json")
	cached := expect(t, get(t, h, "/api/scenarios/"+exampleID+"/trace"), 200, "application/json")
	if !bytes.Equal(ran, cached) {
		t.Error("POST /api/run of a built-in differs from its cached trace")
	}
	w := post(t, h, "/api/run?format=pcap", doc)
	expect(t, w, 200, "application/vnd.tcpdump.pcap")
	if got := w.Header().Get("Content-Disposition"); got != "attachment; filename="+exampleID+".pcap" {
		t.Errorf("Content-Disposition %q", got)
	}
	noID := bytes.Replace(doc, []byte(`"id": "`+exampleID+`",`), nil, 1)
	w = post(t, h, "/api/run?format=pcap", noID)
	expect(t, w, 200, "application/vnd.tcpdump.pcap")
	if got := w.Header().Get("Content-Disposition"); got != "attachment; filename=trace.pcap" {
		t.Errorf("Content-Disposition without id %q", got)
	}
	w = post(t, h, "/api/run?format=pcapng", noID)
	expect(t, w, 200, "application/x-pcapng")
	if got := w.Header().Get("Content-Disposition"); got != "attachment; filename=trace.pcapng" {
		t.Errorf("pcapng Content-Disposition without id %q", got)
	}
	expect(t, post(t, h, "/api/run?format=mermaid&lang=zh", doc), 200, "text/plain; charset=utf-8")
	if sym := expect(t, post(t, h, "/api/run?format=mermaid&numbering=symbolic", doc), 200, "text/plain; charset=utf-8"); !bytes.Contains(sym, []byte("seq=y ack=x+1")) {
		t.Errorf("POST /api/run symbolic diagram:\n%s", sym)
	}
}

func TestRunContentType(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	doc := builtinDoc(t, exampleID)
	for ct, status := range map[string]int{
		"":                                  200,
		"application/json":                  200,
		"application/json; charset=utf-8":   200,
		"application/scenario+json":         200,
		"text/json":                         200,
		"text/plain":                        415,
		"application/x-www-form-urlencoded": 415,
		"multipart/form-data; boundary=x":   415,
		"bogus/;;;":                         415,
	} {
		w := request{method: http.MethodPost, target: "/api/run", body: bytes.NewReader(doc),
			header: map[string]string{"Content-Type": ct}}.do(t, h)
		if status != 200 {
			expectError(t, w, status)
		} else if w.Code != 200 {
			t.Errorf("Content-Type %q: status %d, want 200", ct, w.Code)
		}
	}
}

// TestRunBadScenarios posts scenarios with one mistake each: the answer is
// a 400 (413 for size) whose message names the field.
func TestRunBadScenarios(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	tooMany := map[string]any{"steps": slices.Repeat([]map[string]any{{"at_ms": 0, "endpoint": "client", "call": "receive"}}, engine.MaxSteps+1)}
	tooManyDoc, err := json.Marshal(tooMany)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		status     int
		mention    string
	}{
		{"empty body", ``, 400, "empty"},
		{"not an object", `[1,2]`, 400, "scenario"},
		{"syntax", `{"steps": [`, 400, "JSON"},
		{"trailing data", `{"steps": []} {}`, 400, "after"},
		{"unknown field", `{"stpes": []}`, 400, "stpes"},
		{"unknown nested field", `{"steps": [{"at_ms": 0, "endpoint": "client", "call": "listen", "when": 1}]}`, 400, "when"},
		{"wrong type", `{"seed": "seven"}`, 400, "seed"},
		{"wrong nested type", `{"steps": [{"at_ms": "soon", "endpoint": "client", "call": "listen"}]}`, 400, "at_ms"},
		{"negative time", `{"steps": [{"at_ms": -5, "endpoint": "client", "call": "listen"}]}`, 400, "steps[0].at_ms"},
		{"time past the limit", `{"steps": [{"at_ms": 0, "endpoint": "client", "call": "listen"}, {"at_ms": 99999999, "endpoint": "client", "call": "close"}]}`, 400, "steps[1].at_ms"},
		{"until_ms out of range", `{"until_ms": 999999999999}`, 400, "until_ms"},
		{"delay out of range", `{"network": {"one_way_delay_ms": -1}}`, 400, "one_way_delay_ms"},
		{"bad endpoint", `{"steps": [{"at_ms": 0, "endpoint": "router", "call": "listen"}]}`, 400, "steps[0].endpoint"},
		{"bad call", `{"steps": [{"at_ms": 0, "endpoint": "client", "call": "accept"}]}`, 400, "steps[0].call"},
		{"send without data", `{"steps": [{"at_ms": 0, "endpoint": "client", "call": "send"}]}`, 400, "steps[0].data"},
		{"bad profile", `{"profile": "windows"}`, 400, "profile"},
		{"bad id", `{"id": "../etc/passwd"}`, 400, "id"},
		{"bad fault", `{"faults": [{"drop": {"from": "client", "flags": ["SYN"], "nth": 0}}]}`, 400, "faults[0].drop.nth"},
		{"bad flag", `{"faults": [{"drop": {"from": "client", "flags": ["SYNACK"], "nth": 1}}]}`, 400, "faults[0].drop.flags"},
		{"huge number", `{"seed": 1e400}`, 400, "seed"},
		{"huge integer", `{"steps": [{"at_ms": 123456789012345678901234567890, "endpoint": "client", "call": "listen"}]}`, 400, "at_ms"},
		{"too many steps", string(tooManyDoc), 400, "steps"},
		{"too large", `{"id": "` + strings.Repeat("a", engine.MaxScenarioBytes) + `"}`, 413, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := expectError(t, post(t, h, "/api/run", []byte(tt.body)), tt.status)
			if !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not mention %q", msg, tt.mention)
			}
		})
	}
}

// TestHostileInputs checks that inputs meant to be slow are answered fast
// with a client error.
func TestHostileInputs(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	tests := []struct {
		name   string
		body   []byte
		status int
	}{
		{"deeply nested arrays", []byte(`{"steps": ` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`), 400},
		{"deeply nested objects", []byte(`{"network": ` + strings.Repeat(`{"a":`, 40_000) + "1" + strings.Repeat("}", 40_001)), 400},
		{"1 MB of spaces", bytes.Repeat([]byte(" "), 1<<20), 413},
		{"1 MB string", []byte(`{"id": "` + strings.Repeat("x", 1<<20) + `"}`), 413},
		{"1 MB of zeros", make([]byte, 1<<20), 413},
		{"long number", []byte(`{"seed": ` + strings.Repeat("9", 200_000) + `}`), 400},
		{"many faults", []byte(`{"faults": [` + strings.Repeat(`{"drop":{"from":"client","flags":["SYN"],"nth":1}},`, 1000) + `{"drop":{"from":"client","flags":["SYN"],"nth":1}}]}`), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			msg := expectError(t, post(t, h, "/api/run", tt.body), tt.status)
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if len(msg) > 400 {
				t.Errorf("message of %d bytes", len(msg))
			}
		})
	}
}

func TestRunBusy(t *testing.T) {
	s := newTestServer(t, Config{MaxRuns: 2, RunQueueWait: 10 * time.Millisecond})
	for range cap(s.runs.slots) {
		s.runs.slots <- struct{}{}
	}
	w := post(t, s.Handler(), "/api/run", builtinDoc(t, exampleID))
	msg := expectError(t, w, 503)
	if w.Header().Get("Retry-After") == "" || !strings.Contains(msg, "busy") {
		t.Errorf("busy answer: Retry-After %q, message %q", w.Header().Get("Retry-After"), msg)
	}
	s.runs.release()
	expect(t, post(t, s.Handler(), "/api/run", builtinDoc(t, exampleID)), 200, "application/json")
}

func TestRunTimeout(t *testing.T) {
	s := newTestServer(t, Config{APITimeout: time.Nanosecond})
	msg := expectError(t, post(t, s.Handler(), "/api/run", builtinDoc(t, exampleID)), 503)
	if !strings.Contains(msg, "too long") {
		t.Errorf("message %q", msg)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	expectError(t, get(t, h, "/api/nothing"), 404)
	expectError(t, get(t, h, "/nothing"), 404)
	w := get(t, h, "/api/run")
	expectError(t, w, 405)
	if got := w.Header().Values("Allow"); !slices.Equal(got, []string{"POST"}) {
		t.Errorf("Allow %v, want [POST]", got)
	}
	w = request{method: http.MethodDelete, target: "/api/scenarios/" + exampleID}.do(t, h)
	expectError(t, w, 405)
	if got := w.Header().Values("Allow"); !slices.Equal(got, []string{"GET", "HEAD"}) {
		t.Errorf("Allow %v, want [GET HEAD]", got)
	}
	for _, target := range []string{"/healthz", "/api/scenarios", "/"} {
		if w := (request{method: http.MethodHead, target: target}).do(t, h); w.Code != 200 {
			t.Errorf("HEAD %s: status %d", target, w.Code)
		}
	}
}

func TestHeaders(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, target := range []string{"/healthz", "/api/scenarios", "/", "/nothing"} {
		w := get(t, h, target)
		if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") == "" {
			t.Errorf("%s: missing security headers: %v", target, w.Header())
		}
		if w.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", target)
		}
	}
	if csp := get(t, h, "/api/scenarios").Header().Get("Content-Security-Policy"); csp != strictCSP {
		t.Errorf("API CSP %q", csp)
	}
	if csp := get(t, h, "/").Header().Get("Content-Security-Policy"); csp != pageCSP {
		t.Errorf("page CSP %q", csp)
	}
	w := request{target: "/api/scenarios", header: map[string]string{"Accept-Encoding": "gzip"}}.do(t, h)
	if w.Header().Get("Content-Encoding") != "gzip" {
		t.Errorf("JSON not compressed: %v", w.Header())
	}
}

func TestRecoverPanics(t *testing.T) {
	s := newTestServer(t, Config{})
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	msg := expectError(t, get(t, h, "/"), 500)
	if strings.Contains(msg, "boom") {
		t.Errorf("500 message %q leaks the panic", msg)
	}
}

func TestShutdownHooks(t *testing.T) {
	s := newTestServer(t, Config{})
	var calls []int
	s.OnShutdown(func() { calls = append(calls, 1) })
	s.OnShutdown(func() { calls = append(calls, 2) })
	s.Shutdown()
	s.Shutdown()
	if !slices.Equal(calls, []int{1, 2}) {
		t.Errorf("hooks ran %v, want [1 2]", calls)
	}
}

// TestConcurrentTraces asks for the same built-in traces at once, from a
// cold cache: every answer is the same.
func TestConcurrentTraces(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	targets := []string{
		"/api/scenarios/" + exampleID + "/trace",
		"/api/scenarios/" + exampleID + "/trace?format=pcap",
		"/api/scenarios/syn-lost/trace?format=mermaid&lang=zh",
	}
	var wg sync.WaitGroup
	bodies := make([][]byte, 8*len(targets))
	for i := range bodies {
		wg.Go(func() { bodies[i] = get(t, h, targets[i%len(targets)]).Body.Bytes() })
	}
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[i%len(targets)]) {
			t.Errorf("answer %d differs", i)
		}
	}
}
