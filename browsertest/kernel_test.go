package browsertest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/synack/synack/kernelpeer"
	"github.com/synack/synack/web"
)

// TestKernelPeer opens the app with the real kernel as the server
// (-kernel-peer, ?peer=kernel) and, in Chinese, as the client
// (?peer=kernel-client): the page says so in words, in its language, the
// kernel's run plays like any other with the kernel's segments on the
// ladder as it happens (live, while the run goes on), the page passes the
// accessibility audit, and the switches turn the
// kernel off and move it to the other end.
func TestKernelPeer(t *testing.T) {
	if err := kernelpeer.Available(); err != nil {
		t.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	srv, err := web.New(web.Config{KernelPeer: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	defer srv.Shutdown()

	words := func(lang string) map[string]string {
		var m map[string]string
		b, err := os.ReadFile("../i18n/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	en, zh := words("en"), words("zh")
	status, _ := json.Marshal(en["kernel.status"])
	running, _ := json.Marshal(en["kernel.running"])

	// A phone: the label and the switch fit (connection-refused runs 1 s).
	p := newPage(t, withViewport(390, 844))
	p.do(chromedp.Navigate(ts.URL + "/?scenario=connection-refused&peer=kernel"))
	p.waitFor(`document.getElementById('status')?.textContent.includes(`+string(status)+`)`, 20*time.Second,
		"the kernel's run to come back")
	p.checkKernelLabel("kernel-peer", en["kernel.note"])
	if !eval[bool](p, `[document.querySelector('[data-kind="kernel-peer"]'), document.getElementById('kernel-peer').parentElement].every((e) => e.getBoundingClientRect().right <= innerWidth)`) {
		t.Error("390x844: the kernel's label or switch is wider than the screen")
	}

	// A laptop: the whole run, the audit, and the switch back.
	p = newPage(t, withViewport(1366, 768))
	p.do(chromedp.Navigate(ts.URL + "/?scenario=client-closes-first&peer=kernel"))
	// Live: the kernel's SYN,ACK is on the ladder while the run (5 s in
	// real time) still goes on.
	p.waitFor(`document.getElementById('status')?.textContent.includes(`+string(running)+`) && document.querySelectorAll('#diagram [data-kind="segment"][data-from="server"]').length > 0`, 20*time.Second,
		"the kernel's first segment to be drawn while its run goes on")
	p.waitFor(`document.getElementById('status')?.textContent.includes(`+string(status)+`)`, 20*time.Second,
		"the kernel's run to come back")
	p.checkKernelLabel("kernel-peer", en["kernel.note"])
	p.playToEnd()
	n := eval[int](p, `document.querySelectorAll('#diagram [data-kind="segment"][data-from="server"]').length`)
	if n < 3 {
		t.Errorf("%d segments from the kernel's server on the ladder, want its SYN,ACK, ACK and FIN at least", n)
	}
	if src, err := os.ReadFile(axePath); err == nil {
		for _, v := range p.axe(string(src)) {
			t.Errorf("%s (%s): %s", v.ID, v.Impact, v.Help)
		}
	}
	// The switch reloads the page without ?peer=kernel.
	p.do(chromedp.Click(chromedp.ID("kernel-peer")), chromedp.WaitNotPresent(chromedp.CSS(`[data-kind="kernel-peer"]`)))
	p.waitReady()
	if loc := eval[string](p, `location.search`); loc != "?scenario=client-closes-first" {
		t.Errorf("after the switch the page is at %q, want ?scenario=client-closes-first", loc)
	}
	// That page has a live session now: leave before the server goes.
	p.do(chromedp.Navigate("about:blank"))

	// Chinese, the kernel as the client: its words, its SYN on the ladder,
	// and its switch moving it to the server's end.
	zhStatus, _ := json.Marshal(zh["kernel.status_client"])
	p = newPage(t, withViewport(1366, 768))
	p.do(chromedp.Navigate(ts.URL + "/?scenario=client-closes-first&peer=kernel-client&lang=zh"))
	p.waitFor(`document.getElementById('status')?.textContent.includes(`+string(zhStatus)+`)`, 20*time.Second,
		"the kernel's run as the client to come back")
	p.checkKernelLabel("kernel-client", zh["kernel.note_client"])
	if eval[bool](p, `document.getElementById('kernel-peer').checked`) {
		t.Error("zh: with the kernel as the client, the server's switch is on too")
	}
	if got := eval[string](p, `document.querySelector('label:has(#kernel-client)').textContent.trim()`); got != zh["kernel.toggle_client"] {
		t.Errorf("zh: the client's switch says %q, want %q", got, zh["kernel.toggle_client"])
	}
	p.playToEnd()
	if f := eval[string](p, `document.querySelector('#diagram [data-kind="segment"]')?.dataset.from + ' ' + document.querySelector('#diagram [data-kind="segment"]')?.dataset.flags`); f != "client SYN" {
		t.Errorf("zh: the first segment on the ladder is %q, want the kernel client's SYN", f)
	}
	if src, err := os.ReadFile(axePath); err == nil {
		for _, v := range p.axe(string(src)) {
			t.Errorf("zh: %s (%s): %s", v.ID, v.Impact, v.Help)
		}
	}
	p.do(chromedp.Click(chromedp.ID("kernel-peer")), chromedp.WaitVisible(chromedp.CSS(`[data-kind="kernel-peer"][data-role="server"]`)))
	if loc := eval[string](p, `location.search`); loc != "?scenario=client-closes-first&peer=kernel&lang=zh" {
		t.Errorf("zh: after the server's switch the page is at %q, want the kernel as the server", loc)
	}
	// Leaving ends the run the page started (its request's context).
	p.do(chromedp.Navigate("about:blank"))
}

// checkKernelLabel fails unless the page says, visibly and in these words,
// that an end is the real kernel, and that end's switch (id) is on.
func (p *page) checkKernelLabel(id, words string) {
	p.t.Helper()
	w, _ := json.Marshal(words)
	if !eval[bool](p, `(() => { const n = document.querySelector('[data-kind="kernel-peer"]'); return !!n && n.offsetParent !== null && n.textContent.trim() === `+string(w)+` && document.getElementById('`+id+`').checked; })()`) {
		p.t.Fatalf("the page does not say %s, with #%s on", words, id)
	}
}
