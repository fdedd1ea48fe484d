package browsertest

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// uploadCapture clicks "Open a capture…" (or, in the capture view, "Open
// another capture…") and gives its file input the
// capture at path (relative to the module root).
func (p *page) uploadCapture(path string) {
	p.t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", path))
	if err != nil {
		p.t.Fatal(err)
	}
	button := "capture-open"
	if eval[bool](p, `document.getElementById('capture-view')?.hidden === false`) {
		button = "capture-another" // the view is open: "Open another capture…"
	}
	p.do(chromedp.Click(chromedp.ID(button)))
	p.waitFor(`document.getElementById('capture-file') !== null`, stepTimeout, "the capture module")
	p.do(chromedp.SetUploadFiles(chromedp.ID("capture-file"), []string{abs}))
}

// dropCapture drops a file with body (a JavaScript expression giving a
// Blob or an ArrayBuffer, awaited) on the page, as a reader dragging it
// from their desktop would.
func (p *page) dropCapture(name, body string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(async () => {
		const dt = new DataTransfer();
		dt.items.add(new File([await (%s)], %q));
		document.getElementById('diagram').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`, body, name))
}

// captureDrawn waits until the capture view shows n segments (at least).
func (p *page) captureDrawn(n int) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`!document.getElementById('capture-view')?.hidden &&
		document.querySelectorAll('#capture-ladder [data-kind="segment"]').length >= %d`, n), stepTimeout, "the capture's ladder")
}

// TestCapture opens Linux captures in the app, by the file picker and by
// dropping a file, in English at 1366×768 and in Chinese at 390×844: the
// ladder with inferred states, the connection picker, the inspector (IPv4
// and IPv6), "Compare with the model" when the model matches and when it
// does not, and a file that is no capture.
func TestCapture(t *testing.T) {
	cases := []struct {
		lang          string
		width, height int64
	}{
		{"en", 1366, 768},
		{"zh", 390, 844},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %dx%d", c.lang, c.width, c.height), func(t *testing.T) {
			cat := catalogue(t, c.lang)
			p := newPage(t, withViewport(c.width, c.height), allowConsoleError("status of 400"))
			p.open("/?scenario=client-closes-first&lang=" + c.lang)
			if got := eval[string](p, `document.getElementById('capture-open').textContent`); got != cat["capture.open"] {
				t.Errorf("button %q, want %q", got, cat["capture.open"])
			}

			// Two connections over Ethernet: the picker, the states.
			p.uploadCapture("capture/testdata/ethernet-ipv4.pcap")
			p.captureDrawn(11)
			if !eval[bool](p, `document.getElementById('main').hidden`) {
				t.Error("the app's diagram is still shown beside the capture")
			}
			if n := eval[int](p, `document.querySelectorAll('#capture-conn option').length`); n != 2 {
				t.Errorf("the picker offers %d connections, want 2", n)
			}
			states := eval[string](p, `[...document.querySelectorAll('#capture-ladder [data-kind="state"]')].map((e) => e.dataset.endpoint + ' ' + e.dataset.state).join(',')`)
			for _, want := range []string{"server LISTEN", "client SYN-SENT", "client ESTABLISHED", "server CLOSE-WAIT"} {
				if !strings.Contains(states, want) {
					t.Errorf("states %s: no %s", states, want)
				}
			}
			// A segment selected fills the inspector.
			p.do(chromedp.Click(chromedp.CSS(`#capture-ladder [data-kind="segment"][data-id="1"]`)))
			p.waitFor(`document.querySelector('#capture-inspector table.fields') !== null`, stepTimeout, "the inspector")
			if got := eval[string](p, `document.querySelector('#capture-inspector th.layer').textContent`); got != cat["insp.layer_ip"] {
				t.Errorf("inspector layer %q, want %q", got, cat["insp.layer_ip"])
			}
			// The model sends the same segments.
			p.do(chromedp.Click(chromedp.ID("capture-compare")))
			p.waitFor(`document.getElementById('capture-view').dataset.compared !== undefined`, stepTimeout, "the comparison")
			if got := eval[string](p, `document.getElementById('capture-view').dataset.compared`); got != "same" {
				t.Errorf("comparison %q, want same: %s", got, eval[string](p, `document.querySelector('.capture-diff').textContent`))
			}
			p.waitFor(`document.querySelectorAll('#capture-model-ladder [data-kind="segment"]').length >= 11`, stepTimeout, "the model's ladder")
			// The second connection: refused.
			eval[chromedp.Void](p, `(() => { const s = document.getElementById('capture-conn'); s.value = '1'; s.dispatchEvent(new Event('change')); })()`)
			p.waitFor(`document.querySelectorAll('#capture-ladder [data-kind="segment"]').length === 2`, stepTimeout, "the second connection")
			if !eval[bool](p, `document.querySelector('#capture-ladder [data-kind="segment"][data-flags="ACK,RST"]') !== null`) {
				t.Error("the refused connection has no RST")
			}

			// A simultaneous open: the model sends the same segments in
			// another order; the differences are marked.
			p.uploadCapture("testdata/linux/simultaneous-open.pcap")
			p.waitFor(`document.querySelectorAll('#capture-conn option').length === 1 && document.querySelectorAll('#capture-ladder [data-kind="segment"]').length === 10`, stepTimeout, "the simultaneous open")
			if !eval[bool](p, `document.getElementById('capture-conn').closest('p').hidden`) {
				t.Error("the picker is shown for one connection")
			}
			p.do(chromedp.Click(chromedp.ID("capture-compare")))
			p.waitFor(`document.getElementById('capture-view').dataset.compared === 'differs'`, stepTimeout, "the differences")
			p.waitFor(`document.querySelector('#capture-ladder [data-differs="true"]') !== null && document.querySelector('#capture-model-ladder [data-differs="true"]') !== null`, stepTimeout, "the marks")
			if got := eval[string](p, `document.querySelector('#capture-ladder [data-differs="true"] .seg-label').textContent`); !strings.Contains(got, cat["capture.diff.tag"]) {
				t.Errorf("a differing segment's label %q does not say %q", got, cat["capture.diff.tag"])
			}
			items := eval[int](p, `document.querySelectorAll('.capture-diffs li').length`)
			if items == 0 {
				t.Error("no difference is listed")
			}
			p.do(chromedp.Click(chromedp.CSS(`.capture-diffs li button[data-which="model"]`)))
			p.waitFor(`document.querySelector('#capture-inspector table.fields') !== null`, stepTimeout, "the model's segment in the inspector")

			// IPv6 over Ethernet, pcapng, dropped on the page.
			p.dropCapture("empty.pcap", `new Blob([])`)
			p.waitFor(`document.querySelector('.capture-status.is-error') !== null`, stepTimeout, "an empty file refused")
			ipv6, err := os.ReadFile(filepath.Join("..", "capture", "testdata", "ethernet-ipv6.pcapng"))
			if err != nil {
				t.Fatal(err)
			}
			p.dropCapture("ethernet-ipv6.pcapng", fmt.Sprintf(`Uint8Array.from(atob(%q), (c) => c.charCodeAt(0))`, b64(ipv6)))
			p.captureDrawn(11)
			if got := eval[string](p, `document.getElementById('capture-h').textContent`); !strings.Contains(got, "ethernet-ipv6.pcapng") {
				t.Errorf("title %q does not name the file", got)
			}
			p.do(chromedp.Click(chromedp.CSS(`#capture-ladder [data-kind="segment"][data-id="4"]`)))
			p.waitFor(`document.querySelector('#capture-inspector th.layer') !== null`, stepTimeout, "the inspector")
			if got := eval[string](p, `document.querySelector('#capture-inspector th.layer').textContent`); got != cat["insp.layer_ip6"] {
				t.Errorf("inspector layer %q, want %q", got, cat["insp.layer_ip6"])
			}
			// synack's own pcapng export, dropped back.
			p.dropCapture("syn-lost.pcapng", `fetch('/api/scenarios/syn-lost/trace?format=pcapng').then((r) => r.blob())`)
			p.waitFor(`document.getElementById('capture-h').textContent.includes('syn-lost.pcapng') && document.querySelector('#capture-ladder [data-kind="segment"]') !== null`, stepTimeout, "the export")

			// Not a capture: the reason, in the page's language.
			p.dropCapture("notes.txt", `new Blob(['these are my notes, not a capture'])`)
			p.waitFor(`document.querySelector('.capture-status.is-error') !== null`, stepTimeout, "the error")
			if got := eval[string](p, `document.querySelector('.capture-status').textContent`); !strings.Contains(got, cat["capture.error.unreadable"]) {
				t.Errorf("error %q does not say %q", got, cat["capture.error.unreadable"])
			}

			// The view, compared, passes the accessibility audit.
			if src, err := os.ReadFile(axePath); err == nil {
				for _, v := range p.axe(string(src)) {
					t.Errorf("axe: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
				}
			}
			if w := eval[int](p, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
				t.Errorf("the page is %d px wider than the %d px window", w, c.width)
			}
			// Closing it brings the app back.
			p.do(chromedp.Click(chromedp.ID("capture-close")))
			p.waitFor(`!document.getElementById('main').hidden && document.getElementById('capture-view').hidden`, stepTimeout, "the app")
		})
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
