package browsertest

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/synack/synack/web"
)

const (
	// pageTimeout bounds one test's work in its tab.
	pageTimeout = 60 * time.Second
	// stepTimeout bounds one step: a click, a key, a navigation.
	stepTimeout = 15 * time.Second
)

var (
	// browser is the context of the one browser all tests share, each in a
	// tab of its own; nil when there is no browser (noBrowser says why).
	browser   context.Context
	noBrowser string
	// app serves synack as cmd/server does (web.New(...).Handler()).
	app *httptest.Server
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	srv, err := web.New(web.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	app = httptest.NewServer(srv.Handler())
	defer app.Close()
	defer srv.Shutdown() // closes the live sessions, which Close does not wait for

	path := ChromiumPath()
	if path == "" {
		noBrowser = "no Chromium found (install Debian's chromium, or set SYNACK_CHROMIUM): browser tests skipped"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "synack-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), AllocatorOptions(path, dir)...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no deadline
		fmt.Fprintf(os.Stderr, "browsertest: starting %s: %v\n", path, err)
		return 1
	}
	browser = ctx
	return m.Run()
}

// page is one tab of the shared browser, with what the page reported on
// its console.
type page struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	// allowed are substrings of console errors that the test expects.
	allowed []string
}

// pageOption sets up a tab before its first page loads.
type pageOption func(*page) chromedp.Action[chromedp.Void]

// withViewport sets the tab's viewport in CSS pixels.
func withViewport(w, h int64) pageOption {
	return func(*page) chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(w, h) }
}

// withAcceptLanguage sends an Accept-Language header with every request.
func withAcceptLanguage(v string) pageOption {
	return func(*page) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": v},
			})
			return err
		})
	}
}

// allowConsoleError tolerates console errors that contain s.
func allowConsoleError(s string) pageOption {
	return func(p *page) chromedp.Action[chromedp.Void] {
		p.allowed = append(p.allowed, s)
		return chromedp.Steps()
	}
}

// newPage opens a tab of the shared browser for t, in a fresh profile
// (no cookies, no localStorage), 1400×1000 unless an
// option says otherwise, and fails t at its end if the page threw an
// exception or logged an error it did not expect. It skips t when there is
// no browser.
func newPage(t *testing.T, opts ...pageOption) *page {
	t.Helper()
	return newPageWithin(t, pageTimeout, opts...)
}

// newPageWithin is newPage for a page that lives longer than pageTimeout:
// one that a long test drives from start to end.
func newPageWithin(t *testing.T, timeout time.Duration, opts ...pageOption) *page {
	t.Helper()
	if browser == nil {
		t.Skip(noBrowser)
	}
	// A browser context of its own: the page keeps preferences (theme,
	// speed, numbering) in localStorage, which tabs would otherwise share.
	tab, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil { // opens the tab, with no deadline
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tab, timeout)
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx}
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, m)
			p.mu.Unlock()
		}
	}()
	steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1400, 1000)}
	for _, o := range opts {
		steps = append(steps, o(p))
	}
	p.do(steps...)
	t.Cleanup(p.checkConsole)
	return p
}

// checkConsole fails the test for an uncaught exception or an unexpected
// console error.
func (p *page) checkConsole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		if !m.IsException() && m.Type != chromedp.ConsoleError {
			continue
		}
		text := m.String()
		if p.isAllowed(text) {
			continue
		}
		p.t.Errorf("page console: %s (%s:%d)", text, m.URL, m.Line+1)
	}
}

func (p *page) isAllowed(text string) bool {
	for _, a := range p.allowed {
		if strings.Contains(text, a) {
			return true
		}
	}
	return false
}

// consoleText is everything the page wrote to its console so far.
func (p *page) consoleText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, m := range p.console {
		fmt.Fprintln(&b, m.String())
	}
	return b.String()
}

// do runs steps in the tab and fails the test at the first error, or
// when they take longer than stepTimeout (a Click waits for its element).
func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", short(expr), err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy, and fails the
// test with what after says when it is not within d.
func (p *page) waitFor(expr string, d time.Duration, after string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting %v for %s (%s): %v", d, after, short(expr), err)
	}
}

// open loads path of the app server and waits until the page's script has
// connected its live session and drawn the loaded scenario.
func (p *page) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(app.URL + path))
	p.waitReady()
}

// waitReady waits for the page's script: the live session open and the
// scenario loaded (the ladder is built, the progress line written).
func (p *page) waitReady() {
	p.t.Helper()
	p.waitFor(`document.querySelector('#diagram .ladder-svg') !== null &&
		document.getElementById('progress')?.textContent !== '' &&
		document.getElementById('status')?.hidden === true`, 15*time.Second, "the page to start")
}

// waitIdle waits two animation frames, so that what the store holds is
// drawn.
func (p *page) waitIdle() {
	p.t.Helper()
	eval[chromedp.Void](p, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))`)
}

// doneText is the page's word for a finished run, in the page's language.
const doneText = `JSON.parse(document.getElementById('synack-i18n').textContent)[document.documentElement.lang]['progress.done']`

// waitDone waits until the progress line says the run is finished.
func (p *page) waitDone(d time.Duration) {
	p.t.Helper()
	p.waitFor(`document.getElementById('progress').textContent.includes(`+doneText+`)`, d, "the run to finish")
	p.waitIdle()
}

// progressN is the number of events the page shows, from its progress line.
func (p *page) progressN() int {
	p.t.Helper()
	return eval[int](p, `parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10)`)
}

// setSpeed picks a speed in the toolbar's drop-down, as a reader does.
// settledProgress waits until the count of events shown has stayed the
// same for 300 ms (what was in flight when the run paused has arrived) and
// returns it.
func (p *page) settledProgress() int {
	p.t.Helper()
	n := p.progressN()
	for range 50 {
		time.Sleep(300 * time.Millisecond)
		m := p.progressN()
		if m == n {
			return n
		}
		n = m
	}
	p.t.Fatalf("the count of events shown never held still (last %d)", n)
	return n
}

func (p *page) setSpeed(v string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(() => {
		const s = document.getElementById('speed');
		s.value = %q;
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, v))
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// traceEvent is the part of a trace event the tests compare with the
// page. From and To are endpoints for a segment, states for a state event.
type traceEvent struct {
	Kind     string   `json:"kind"`
	ID       int      `json:"id"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Flags    []string `json:"flags"`
	Fate     string   `json:"fate"`
	Endpoint string   `json:"endpoint"`
}

// trace is a run's trace (GET /api/scenarios/{id}/trace).
type trace struct {
	Events []traceEvent `json:"events"`
}

// getTrace fetches GET /api/scenarios/{id}/trace.
func getTrace(t *testing.T, id string) trace {
	t.Helper()
	resp, err := http.Get(app.URL + "/api/scenarios/" + id + "/trace")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("trace of %s: %s", id, resp.Status)
	}
	var tr trace
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatalf("trace of %s: %v", id, err)
	}
	return tr
}
