package web

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/kernelpeer"
)

// TestKernelPeerOff: without -kernel-peer there are no kernel routes and
// the page offers nothing.
func TestKernelPeerOff(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	if rec := get(t, h, "/api/kernel/scenarios/syn-lost/trace"); rec.Code != http.StatusNotFound {
		t.Errorf("kernel route without -kernel-peer: %d, want 404", rec.Code)
	}
	page := get(t, h, "/?peer=kernel").Body.String()
	if strings.Contains(page, `id="kernel-peer"`) || strings.Contains(page, `data-kind="kernel-peer"`) {
		t.Error("the app page offers the kernel without -kernel-peer")
	}
}

// TestKernelPeerRoutes runs scenarios with this machine's kernel as the
// server through the routes, and checks the page's offer and label.
func TestKernelPeerRoutes(t *testing.T) {
	if err := kernelpeer.Available(); err != nil {
		t.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	s := newTestServer(t, Config{KernelPeer: true, MaxKernelRuns: 1})
	h := s.Handler()

	page := get(t, h, "/?scenario=connection-refused").Body.String()
	if !strings.Contains(page, `id="kernel-peer"`) || strings.Contains(page, `data-kind="kernel-peer"`) {
		t.Error("the app page should offer the kernel, unlabelled until it is on")
	}
	page = get(t, h, "/?scenario=connection-refused&peer=kernel&lang=zh").Body.String()
	if !strings.Contains(page, `data-kind="kernel-peer"`) || !strings.Contains(page, `"onKernel":true`) || !strings.Contains(page, "你自己的电脑") {
		t.Error("a page on the kernel should say so, in its language, and tell its script")
	}

	page = get(t, h, "/?scenario=connection-refused&peer=kernel-client").Body.String()
	if !strings.Contains(page, `data-kind="kernel-peer" data-role="client"`) || !strings.Contains(page, `"kernelRole":"client"`) {
		t.Error("a page with the kernel as the client should say so and tell its script")
	}
	page = get(t, h, "/?scenario=connection-refused&peer=kernel-client&lang=zh").Body.String()
	if !strings.Contains(page, "用真实内核作客户端") || !strings.Contains(page, "本次运行中的客户端") {
		t.Error("the zh page with the kernel as the client should say so in Chinese")
	}

	// The kernel as the client: it sends the SYN and the engine's server
	// answers it.
	rec := get(t, h, "/api/kernel/scenarios/client-closes-first/trace?role=client")
	if rec.Code != http.StatusOK {
		t.Fatalf("kernel trace, role=client: %d %s", rec.Code, rec.Body)
	}
	var ctr engine.Trace
	if err := json.Unmarshal(rec.Body.Bytes(), &ctr); err != nil {
		t.Fatal(err)
	}
	var first *engine.Event
	for i, ev := range ctr.Events {
		if ev.Kind == engine.KindSegment {
			first = &ctr.Events[i]
			break
		}
	}
	if first == nil || first.From != engine.Client || first.Reason != engine.ReasonKernel || strings.Join(first.Flags, ",") != "SYN" {
		t.Errorf("with the kernel as the client the first segment is %+v, want the kernel's SYN", first)
	}
	if rec := get(t, h, "/api/kernel/scenarios/connection-refused/trace?role=both"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "the kernel can be") {
		t.Errorf("role=both: %d %s, want 400 saying which roles there are", rec.Code, rec.Body)
	}

	rec = get(t, h, "/api/kernel/scenarios/connection-refused/trace")
	if rec.Code != http.StatusOK {
		t.Fatalf("kernel trace: %d %s", rec.Code, rec.Body)
	}
	var tr engine.Trace
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	// Nobody listens on the kernel's port 80: it answers the SYN with RST,ACK.
	var kernelSegs []string
	for _, ev := range tr.Events {
		if ev.Kind == engine.KindSegment && ev.From == engine.Server {
			kernelSegs = append(kernelSegs, strings.Join(ev.Flags, ",")+" "+string(ev.Reason))
		}
	}
	if strings.Join(kernelSegs, ";") != "ACK,RST "+string(engine.ReasonKernel) {
		t.Errorf("the kernel server sent %q, want one RST,ACK", kernelSegs)
	}

	posted := `{"seed": 2, "steps": [{"at_ms": 0, "endpoint": "server", "call": "listen"},
		{"at_ms": 0, "endpoint": "client", "call": "connect"}], "until_ms": 100}`
	prec := post(t, h, "/api/kernel/run?format=mermaid", []byte(posted))
	if prec.Code != http.StatusOK || !strings.Contains(prec.Body.String(), "sequenceDiagram") {
		t.Errorf("posted run: %d %s", prec.Code, prec.Body)
	}

	if rec := get(t, h, "/api/kernel/scenarios/no-such/trace"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown scenario: %d, want 404", rec.Code)
	}

	// Every slot taken: the next run is refused at once.
	s.kernel.slots <- struct{}{}
	rec = get(t, h, "/api/kernel/scenarios/syn-lost/trace")
	<-s.kernel.slots
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("busy: %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
}

// TestKernelPeerStream reads a live answer (?format=ndjson) line by line as
// it comes: the kernel client's first SYN arrives long before the run is
// over, and its retransmission about when the kernel sent it, a second
// later (syn-lost drops the first SYN; the run covers 5 s).
func TestKernelPeerStream(t *testing.T) {
	if err := kernelpeer.Available(); err != nil {
		t.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	s := newTestServer(t, Config{KernelPeer: true})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	start := time.Now()
	res, err := http.Get(ts.URL + "/api/kernel/scenarios/syn-lost/trace?role=client&format=ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("live answer: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	type line struct {
		Type      string            `json:"type"`
		Scenario  *engine.Scenario  `json:"scenario"`
		Endpoints *engine.Endpoints `json:"endpoints"`
		Events    []engine.Event    `json:"events"`
		Error     string            `json:"error"`
	}
	var (
		types    []string
		syns     []time.Duration // when each kernel SYN's line arrived
		synTimes []engine.Millis // its t_ms
		doneAt   time.Duration
		loadedAt time.Duration
		lastT    engine.Millis
		nEvents  int
		sc       = bufio.NewScanner(res.Body)
	)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		at := time.Since(start)
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		types = append(types, l.Type)
		switch l.Type {
		case "loaded":
			loadedAt = at
			if l.Scenario == nil || l.Scenario.ID != "syn-lost" || l.Endpoints == nil || l.Endpoints.Client.Port == 0 {
				t.Errorf("the first line does not carry the scenario and endpoints: %s", sc.Text())
			}
		case "events":
			for _, ev := range l.Events {
				nEvents++
				if ev.T < lastT {
					t.Errorf("event at %d ms after one at %d ms", ev.T, lastT)
				}
				lastT = ev.T
				if ev.Kind == engine.KindSegment && ev.From == engine.Client && strings.Join(ev.Flags, ",") == "SYN" {
					syns = append(syns, at)
					synTimes = append(synTimes, ev.T)
				}
			}
		case "done":
			doneAt = at
		case "error":
			t.Fatalf("the run failed: %s", l.Error)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(types) < 3 || types[0] != "loaded" || types[len(types)-1] != "done" {
		t.Fatalf("lines %v, want loaded, events…, done", types)
	}
	if len(syns) < 2 {
		t.Fatalf("%d SYNs from the kernel client, want the first and its retransmission", len(syns))
	}
	t.Logf("%d events in %d lines; the run started at %v; first SYN (t=%v ms) arrived at %v, its retransmission (t=%v ms) at %v, the end at %v",
		nEvents, len(types), loadedAt.Round(time.Millisecond), synTimes[0].Ms(), syns[0].Round(time.Millisecond), synTimes[1].Ms(), syns[1].Round(time.Millisecond), doneAt.Round(time.Millisecond))
	// syn-lost runs 3 s in real time: the first SYN is on the wire at its
	// start and arrives here then, not with the rest at the end.
	if syns[0]-loadedAt > 500*time.Millisecond || doneAt-syns[0] < 2*time.Second {
		t.Errorf("the first SYN arrived %v after the run started and %v before its end, want it live (at most 0.5 s after, at least 2 s before)", syns[0]-loadedAt, doneAt-syns[0])
	}
	// The retransmission comes when the kernel sends it, about a second
	// after the first (the kernel's initial RTO): live, not in one burst.
	if gap := syns[1] - syns[0]; gap < 700*time.Millisecond {
		t.Errorf("the retransmitted SYN arrived %v after the first, want about %v ms (real time)", gap, (synTimes[1] - synTimes[0]).Ms())
	}

	// Before the run starts, errors are answered as any other.
	if rec := get(t, s.Handler(), "/api/kernel/scenarios/syn-lost/trace?role=both&format=ndjson"); rec.Code != http.StatusBadRequest {
		t.Errorf("role=both, live: %d, want 400", rec.Code)
	}
	s.kernel.slots <- struct{}{}
	s.kernel.slots <- struct{}{}
	rec := get(t, s.Handler(), "/api/kernel/scenarios/syn-lost/trace?format=ndjson")
	<-s.kernel.slots
	<-s.kernel.slots
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("busy, live: %d, want 503", rec.Code)
	}
}
