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
// (-kernel-peer, ?peer=kernel): the page says so in words, the kernel's run
// plays like any other with the kernel's segments on the ladder, the page
// passes the accessibility audit, and the switch turns the kernel off.
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

	var en map[string]string
	b, err := os.ReadFile("../i18n/en.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &en); err != nil {
		t.Fatal(err)
	}
	status, _ := json.Marshal(en["kernel.status"])

	// A phone: the label and the switch fit (connection-refused runs 1 s).
	p := newPage(t, withViewport(390, 844))
	p.do(chromedp.Navigate(ts.URL + "/?scenario=connection-refused&peer=kernel"))
	p.waitFor(`document.getElementById('status')?.textContent.includes(`+string(status)+`)`, 20*time.Second,
		"the kernel's run to come back")
	p.checkKernelLabel()
	if !eval[bool](p, `[document.querySelector('[data-kind="kernel-peer"]'), document.getElementById('kernel-peer').parentElement].every((e) => e.getBoundingClientRect().right <= innerWidth)`) {
		t.Error("390x844: the kernel's label or switch is wider than the screen")
	}

	// A laptop: the whole run, the audit, and the switch back.
	p = newPage(t, withViewport(1366, 768))
	p.do(chromedp.Navigate(ts.URL + "/?scenario=client-closes-first&peer=kernel"))
	p.waitFor(`document.getElementById('status')?.textContent.includes(`+string(status)+`)`, 20*time.Second,
		"the kernel's run to come back")
	p.checkKernelLabel()
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
}

// checkKernelLabel fails unless the page says, visibly, that the server is
// the real kernel, and its switch is on.
func (p *page) checkKernelLabel() {
	p.t.Helper()
	if !eval[bool](p, `(() => { const n = document.querySelector('[data-kind="kernel-peer"]'); return !!n && n.offsetParent !== null && document.getElementById('kernel-peer').checked; })()`) {
		p.t.Fatal("the page does not say that the server is the real kernel")
	}
}
