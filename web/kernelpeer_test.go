package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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
