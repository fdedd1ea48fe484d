package browsertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// captureDownloads makes the page keep what it downloads: every Blob given
// to URL.createObjectURL is kept by its address, and a click on a link that
// downloads a blob: address records the file's name and Blob instead of
// saving it (a headless browser has nowhere to save it to).
const captureDownloads = `(() => {
	window.__blobs = new Map();
	window.__downloads = [];
	const create = URL.createObjectURL.bind(URL);
	URL.createObjectURL = (b) => { const u = create(b); window.__blobs.set(u, b); return u; };
	const click = HTMLAnchorElement.prototype.click;
	HTMLAnchorElement.prototype.click = function () {
		if (this.download && this.href.startsWith('blob:')) {
			window.__downloads.push({name: this.download, blob: window.__blobs.get(this.href)});
			return;
		}
		return click.call(this);
	};
})()`

// svgCheck is what the page finds in the last downloaded SVG, parsed as
// XML by the browser.
type svgCheck struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	ParseError string   `json:"parseError"`
	Root       string   `json:"root"`
	Title      string   `json:"title"`
	Segments   []string `json:"segments"` // data-id of each data-kind="segment"
	States     int      `json:"states"`
	External   []string `json:"external"` // attributes or styles that point outside the file
	Width      float64  `json:"width"`
	Height     float64  `json:"height"`
}

const lastSVG = `(async () => {
	const d = window.__downloads.at(-1);
	const text = await d.blob.text();
	const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
	const err = doc.querySelector('parsererror');
	const root = doc.documentElement;
	const external = [];
	for (const el of doc.querySelectorAll('*')) {
		for (const a of el.attributes) {
			if (/^xmlns(:|$)/.test(a.name)) continue; // a namespace's name, not an address
			if (/href$/i.test(a.name) || /url\(|https?:|@import/i.test(a.value)) external.push(el.tagName + ' ' + a.name + '=' + a.value);
		}
		if (/^(image|use|script|foreignObject|style|link)$/i.test(el.localName)) external.push(el.localName);
	}
	return {
		name: d.name, type: d.blob.type, parseError: err ? err.textContent : '',
		root: root.namespaceURI + ' ' + root.localName,
		title: root.querySelector(':scope > title')?.textContent ?? '',
		segments: [...doc.querySelectorAll('[data-kind="segment"]')].map((g) => g.getAttribute('data-id')),
		states: doc.querySelectorAll('[data-kind="state"]').length,
		external,
		width: Number(root.getAttribute('width')), height: Number(root.getAttribute('height')),
	};
})()`

// segmentIDs lists the ids of the trace's segments, in order.
func segmentIDs(tr trace) []string {
	var ids []string
	for _, e := range tr.Events {
		if e.Kind == "segment" {
			ids = append(ids, strconv.Itoa(e.ID))
		}
	}
	return ids
}

// openShare opens the app's share dialog and waits until it has worked out
// what the run is.
func (p *page) openShare() {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.ID("share-open")))
	p.waitFor(`document.getElementById('share')?.open === true && document.getElementById('share-link').value !== ''`, stepTimeout, "the share dialog")
}

// download clicks a button of the share dialog and waits for the n-th
// download.
func (p *page) download(selector string, n int) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(selector)))
	p.waitFor(fmt.Sprintf(`window.__downloads.length >= %d`, n), 30*time.Second, "the download of "+selector)
}

// TestExportDiagram downloads the diagram as SVG and PNG from the share
// dialog: the SVG parses as XML, holds one arrow (data-kind="segment") per
// segment of the trace, the scenario's name, and no reference to anything
// outside the file; the PNG is drawn at twice the SVG's size. Before the
// run is played, "the whole run" still draws every segment.
func TestExportDiagram(t *testing.T) {
	const id = "client-closes-first"
	tr := getTrace(t, id)
	want := segmentIDs(tr)

	t.Run("played", func(t *testing.T) {
		p := newPage(t)
		p.open("/?scenario=" + id)
		p.playToEnd()
		eval[chromedp.Void](p, captureDownloads)
		p.openShare()
		p.download(`#share [data-export="svg"]`, 1)
		got := eval[svgCheck](p, lastSVG)
		checkSVG(t, got, want, id+".svg")
		title := eval[string](p, `document.querySelector('[data-scenario-title]').textContent`)
		if !strings.Contains(got.Title, title) {
			t.Errorf("SVG title %q lacks the scenario's name %q", got.Title, title)
		}
		if got.States == 0 {
			t.Error("the SVG has no state labels")
		}

		p.download(`#share [data-export="png"]`, 2)
		png := eval[struct {
			Name          string
			Type          string
			Width, Height int
		}](p, `(async () => {
			const d = window.__downloads.at(-1);
			const img = await createImageBitmap(d.blob);
			return {name: d.name, type: d.blob.type, width: img.width, height: img.height};
		})()`)
		if png.Type != "image/png" || png.Name != id+"@2x.png" {
			t.Errorf("PNG download %q of type %q", png.Name, png.Type)
		}
		if png.Width != int(2*got.Width) || png.Height != int(2*got.Height) {
			t.Errorf("PNG is %d×%d, want twice the SVG's %v×%v", png.Width, png.Height, got.Width, got.Height)
		}
	})

	t.Run("whole run before playing", func(t *testing.T) {
		p := newPage(t)
		p.open("/?scenario=" + id)
		p.do(chromedp.Click(chromedp.ID("step")))
		p.waitFor(`document.querySelectorAll('#diagram [data-kind]').length > 0`, stepTimeout, "the first event")
		eval[chromedp.Void](p, captureDownloads)
		p.openShare()
		if eval[bool](p, `document.querySelector('#share .share-scope').hidden`) {
			t.Fatal("the dialog does not offer to draw the whole run of a run not played to its end")
		}
		p.download(`#share [data-export="svg"]`, 1)
		checkSVG(t, eval[svgCheck](p, lastSVG), want, id+".svg")
	})
}

func checkSVG(t *testing.T, got svgCheck, want []string, name string) {
	t.Helper()
	if got.ParseError != "" {
		t.Fatalf("the SVG does not parse: %s", got.ParseError)
	}
	if got.Root != "http://www.w3.org/2000/svg svg" || got.Type != "image/svg+xml" || got.Name != name {
		t.Errorf("download %q of type %q with root %q", got.Name, got.Type, got.Root)
	}
	if !slices.Equal(got.Segments, want) {
		t.Errorf("SVG segments %v, trace segments %v", got.Segments, want)
	}
	if len(got.External) > 0 {
		t.Errorf("the SVG points outside itself: %v", got.External)
	}
}

// TestEditorFieldError makes a call's time out of range in the editor: the
// server's error, which names steps[2].at_ms, is shown beside that input,
// which is marked invalid, described by the message and focused. The
// message is in the page's language: the input's own label and the rule
// worded from the catalogue ("调用 3：时刻（ms）：必须在 0 到 3600000 之间").
func TestEditorFieldError(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			// The browser logs the server's 400 answer.
			p := newPage(t, allowConsoleError("status of 400 (Bad Request)"))
			p.do(chromedp.Navigate(app.URL + "/editor?lang=" + lang))
			p.waitFor(`document.querySelector('#ed-preview .ladder-svg') !== null`, stepTimeout, "the first preview")
			const input = `[data-field="steps[2].at_ms"]`
			eval[chromedp.Void](p, `(() => {
				const el = document.querySelector('`+input+`');
				el.value = '99999999';
				el.dispatchEvent(new Event('input', {bubbles: true}));
			})()`)
			p.do(chromedp.Click(chromedp.ID("ed-run")))
			p.waitFor(`document.querySelector('`+input+`').getAttribute('aria-invalid') === 'true'`, stepTimeout, "the error")
			got := eval[struct {
				Message, Described, Focused, General string
				SameCell, Visible                    bool
			}](p, `(() => {
				const el = document.querySelector('`+input+`');
				const err = document.getElementById(el.getAttribute('aria-describedby'));
				return {
					message: err.textContent, visible: !err.hidden && err.offsetHeight > 0,
					described: err.id, sameCell: err.parentElement === el.parentElement,
					focused: document.activeElement?.dataset.field ?? '',
					general: document.getElementById('ed-error').textContent,
				};
			})()`)
			cat := catalogue(t, lang)
			label := strings.ReplaceAll(cat["editor.step_time"], "{n}", "3")
			rule := strings.NewReplacer("{min}", "0", "{max}", "3600000").Replace(cat["field.range"])
			if want := strings.NewReplacer("{field}", label, "{detail}", rule).Replace(cat["editor.field_error"]); got.Message != want || !got.Visible || !got.SameCell {
				t.Errorf("error beside the input: %+v, want the message %q", got, want)
			}
			if strings.Contains(got.Message, "must be") && lang == "zh" {
				t.Errorf("English in the Chinese page: %q", got.Message)
			}
			if got.Focused != "steps[2].at_ms" {
				t.Errorf("focus on %q, want the input in error", got.Focused)
			}
			want := catalogue(t, lang)["editor.invalid_field"]
			if want == "" || !strings.Contains(got.General, strings.ReplaceAll(want, "{field}", label)) {
				t.Errorf("summary %q, want %q in the page's language", got.General, want)
			}
			// Mended, the error goes.
			eval[chromedp.Void](p, `(() => {
				const el = document.querySelector('`+input+`');
				el.value = '300';
				el.dispatchEvent(new Event('input', {bubbles: true}));
			})()`)
			p.do(chromedp.Click(chromedp.ID("ed-run")))
			p.waitFor(`!document.querySelector('`+input+`').hasAttribute('aria-invalid') && document.getElementById('ed-link').value !== ''`, stepTimeout, "the error to go")
		})
	}
}

// customScenario is what a shared link's page carries.
type customScenario struct {
	Custom json.RawMessage `json:"custom"`
}

// TestShareLink composes a scenario in the editor (a title and a lost SYN),
// opens its link, and plays it: the app shows the scenario's title and
// draws what POST /api/run gives for it. The same link embedded
// (/embed/custom?s=…) plays it too. A live run in the sandbox is shared as
// the scenario the engine recorded with the reader's calls.
func TestShareLink(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(app.URL + "/editor"))
	p.waitFor(`document.querySelector('#ed-preview .ladder-svg') !== null`, stepTimeout, "the first preview")
	eval[chromedp.Void](p, `(() => {
		const title = document.getElementById('ed-title-en');
		title.value = 'Round trip: the SYN is lost';
		title.dispatchEvent(new Event('input', {bubbles: true}));
	})()`)
	p.do(chromedp.Click(chromedp.CSS(`[data-add-fault="drop"]`)))
	p.do(chromedp.Click(chromedp.ID("ed-run")))
	// The link is the editor's scenario once it carries both changes (an
	// earlier preview's link may still be there).
	link := eval[string](p, `(async () => {
		const { decodeShare } = await import('/static/js/share.js');
		for (let i = 0; i < 200; i++) {
			const link = document.getElementById('ed-link').value;
			if (link) {
				const sc = await decodeShare(new URL(link).searchParams.get('s'));
				if (sc.title?.en === 'Round trip: the SYN is lost' && sc.faults?.length === 1) return link;
			}
			await new Promise((r) => setTimeout(r, 50));
		}
		return '';
	})()`)
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("s") == "" {
		t.Fatalf("link %q", link)
	}

	p.open(u.RequestURI())
	if title := eval[string](p, `document.querySelector('[data-scenario-title]').textContent`); title != "Round trip: the SYN is lost" {
		t.Errorf("the shared scenario's title reads %q", title)
	}
	sc := eval[customScenario](p, `JSON.parse(document.getElementById('synack-config').textContent)`)
	want := runScenario(t, sc.Custom)
	if !slices.ContainsFunc(want.Events, func(e traceEvent) bool { return e.Kind == "segment" && e.Fate == "dropped" }) {
		t.Error("the shared scenario has no lost segment")
	}
	p.playToEnd()
	d := collect(p)
	if len(d.Segments) != len(segmentIDs(want)) || len(d.Lost) != 1 {
		t.Errorf("drew %d segments (%d lost), /api/run gives %d", len(d.Segments), len(d.Lost), len(segmentIDs(want)))
	}

	t.Run("embed", func(t *testing.T) {
		p := newPage(t)
		p.do(chromedp.Navigate(app.URL + "/embed/custom?autoplay=1&speed=max&s=" + url.QueryEscape(u.Query().Get("s"))))
		p.waitFor(`document.getElementById('progress')?.textContent.includes(`+doneText+`)`, 30*time.Second, "the embed to play")
		p.waitIdle()
		if d := collect(p); len(d.Segments) != len(segmentIDs(want)) || len(d.Lost) != 1 {
			t.Errorf("the embed drew %d segments (%d lost), /api/run gives %d", len(d.Segments), len(d.Lost), len(segmentIDs(want)))
		}
		if title := eval[string](p, `document.querySelector('h1[data-scenario-title]').textContent`); title != "Round trip: the SYN is lost" {
			t.Errorf("the embed's title reads %q", title)
		}
	})

	t.Run("live sandbox", func(t *testing.T) {
		p := newPage(t)
		p.open("/?scenario=sandbox")
		p.setSpeed("max")
		for _, call := range []string{`[data-endpoint="server"][data-call="listen"]`, `[data-endpoint="client"][data-call="connect"]`} {
			p.do(chromedp.Click(chromedp.CSS(`#sandbox button` + call)))
			p.waitIdle()
		}
		p.waitFor(`document.querySelectorAll('#diagram [data-kind="state"][data-state="ESTABLISHED"]').length === 2`, stepTimeout, "the connection to open")
		p.openShare()
		same := catalogue(t, "en")["export.check_same"]
		p.waitFor(`document.getElementById('share-note').textContent.includes(`+strconv.Quote(same)+`)`, stepTimeout, "the rebuilt scenario to be checked")
		link := eval[string](p, `document.getElementById('share-link').value`)
		p.open(strings.TrimPrefix(link, app.URL))
		sc := eval[struct {
			Custom struct {
				Live []struct {
					Endpoint, Call string
				} `json:"live"`
			} `json:"custom"`
		}](p, `JSON.parse(document.getElementById('synack-config').textContent)`)
		if len(sc.Custom.Live) != 2 || sc.Custom.Live[0].Call != "listen" || sc.Custom.Live[1].Call != "connect" {
			t.Errorf("the shared sandbox run has live calls %+v, want listen and connect", sc.Custom.Live)
		}
		// Opened, the shared run makes the same calls again.
		p.setSpeed("max")
		p.do(chromedp.Click(chromedp.CSS(`#play`)))
		p.waitFor(`document.querySelectorAll('#diagram [data-kind="state"][data-state="ESTABLISHED"]').length === 2`, stepTimeout, "the shared run to open the connection")
	})
}

// runScenario posts a scenario to /api/run and returns its trace.
func runScenario(t *testing.T, sc []byte) trace {
	t.Helper()
	resp, err := http.Post(app.URL+"/api/run", "application/json", bytes.NewReader(sc))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/run: %s: %s", resp.Status, body)
	}
	var tr trace
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// rangeMessage is what the course page recorded of one of the embed's
// messages.
type rangeMessage struct {
	Origin string `json:"origin"`
	Data   struct {
		Type  string `json:"type"`
		Index *int   `json:"index"`
		Total *int   `json:"total"`
	} `json:"data"`
}

// TestEmbedRange embeds a built-in with a step range in a course page of
// another origin: the view opens with the events before `from` shown, plays
// to event `to` and stops there, and posts synack:step for each event shown
// and synack:finished at the end of the range, to the course page's origin.
func TestEmbedRange(t *testing.T) {
	const id = "client-closes-first"
	const from, to = 5, 12
	total := len(getTrace(t, id).Events)
	embed := func(t *testing.T, query string) *page {
		p := newPage(t)
		course := courseServer(t, func(origin string) string {
			return fmt.Sprintf("%s/embed/%s?from=%d&parent=%s%s", app.URL, id, from, url.QueryEscape(origin), query)
		})
		p.do(chromedp.Navigate(course.URL))
		return p
	}
	steps := func(t *testing.T, p *page) (indexes []int, finished int) {
		for _, m := range eval[[]rangeMessage](p, `window.messages`) {
			if m.Origin != app.URL {
				t.Errorf("message %+v from %q", m.Data, m.Origin)
			}
			switch m.Data.Type {
			case "synack:step":
				if m.Data.Index == nil || m.Data.Total == nil || *m.Data.Total != total {
					t.Errorf("step message %+v, want a total of %d", m.Data, total)
					continue
				}
				indexes = append(indexes, *m.Data.Index)
			case "synack:finished":
				finished++
			}
		}
		return indexes, finished
	}

	t.Run("opens at from", func(t *testing.T) {
		p := embed(t, "")
		p.waitFor(`window.messages.some((m) => m.data?.type === 'synack:step')`, 30*time.Second, "the view to step to its start")
		time.Sleep(300 * time.Millisecond) // let a late message show itself
		if got, _ := steps(t, p); !slices.Equal(got, []int{from - 2}) {
			t.Errorf("step messages %v, want only [%d]: event %d shown last", got, from-2, from-1)
		}
		if n := frameEval[int](p, `parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10)`); n != from-1 {
			t.Errorf("the view opens with %d events shown, want %d", n, from-1)
		}
	})

	t.Run("plays to to", func(t *testing.T) {
		p := embed(t, fmt.Sprintf("&autoplay=1&speed=1&to=%d", to))
		p.waitFor(`window.messages.some((m) => m.data?.type === 'synack:finished')`, 30*time.Second, "the range to end")
		time.Sleep(300 * time.Millisecond)
		got, finished := steps(t, p)
		var want []int
		for i := from - 2; i < to; i++ {
			want = append(want, i)
		}
		if !slices.Equal(got, want) {
			t.Errorf("step messages %v, want one per event: %v", got, want)
		}
		if finished != 1 {
			t.Errorf("%d synack:finished messages, want 1", finished)
		}
		if n := frameEval[int](p, `parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10)`); n != to {
			t.Errorf("the view stopped at event %d, want %d", n, to)
		}
	})
}

// TestExportAccessibility runs axe-core's WCAG 2.2 A and AA rules (as
// TestAccessibility does) on the scenario editor, with and without a
// field in error, and on the app's share dialog.
func TestExportAccessibility(t *testing.T) {
	src, err := os.ReadFile(axePath)
	if err != nil {
		t.Skipf("axe-core is not installed (npm ci --prefix tools/axe): %v", err)
	}
	editorReady := func(p *page) {
		p.waitFor(`document.querySelector('#ed-preview .ladder-svg') !== null`, stepTimeout, "the first preview")
	}
	cases := []struct {
		name, path string
		setup      func(p *page)
	}{
		{"editor", "/editor", editorReady},
		{"editor zh dark", "/editor?lang=zh&scenario=old-duplicate-syn", func(p *page) {
			eval[chromedp.Void](p, `document.documentElement.dataset.theme = 'dark'`)
			editorReady(p)
		}},
		{"editor error", "/editor", func(p *page) {
			editorReady(p)
			eval[chromedp.Void](p, `(() => {
				const el = document.querySelector('[data-field="steps[1].call"]');
				el.value = 'abort';
				el.dispatchEvent(new Event('change', {bubbles: true}));
				const at = document.querySelector('[data-field="steps[0].at_ms"]');
				at.value = 'soon';
				at.dispatchEvent(new Event('input', {bubbles: true}));
			})()`)
			p.do(chromedp.Click(chromedp.ID("ed-run")))
			p.waitFor(`document.querySelector('[aria-invalid="true"]') !== null`, stepTimeout, "the error")
		}},
		{"share dialog", "/?scenario=client-closes-first", func(p *page) {
			p.waitReady()
			p.openShare()
		}},
		{"share dialog sandbox zh", "/?scenario=sandbox&lang=zh", func(p *page) {
			p.waitReady()
			p.do(chromedp.Click(chromedp.CSS(`#sandbox button[data-endpoint="server"][data-call="listen"]`)))
			p.waitFor(`document.querySelector('#diagram [data-kind="state"][data-state="LISTEN"]') !== null`, stepTimeout, "the server to listen")
			p.openShare()
		}},
		{"bad link", "/?s=nonsense", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPage(t, allowConsoleError("status of 400 (Bad Request)"))
			p.do(chromedp.Navigate(app.URL + c.path))
			if c.setup != nil {
				c.setup(p)
			}
			for _, v := range p.axe(string(src)) {
				var b strings.Builder
				fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
				for _, n := range v.Nodes {
					fmt.Fprintf(&b, "\n    %v\n      %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "\n      "))
				}
				t.Error(b.String())
			}
		})
	}
}

// TestExportKeyboard edits the calls with the keyboard alone (a row moved
// down keeps the focus on its button, a new call's time input takes the
// focus), and checks that typing in the share dialog does not reach the
// app's single-key shortcuts.
func TestExportKeyboard(t *testing.T) {
	t.Run("editor", func(t *testing.T) {
		p := newPage(t)
		p.do(chromedp.Navigate(app.URL + "/editor"))
		p.waitFor(`document.querySelector('#ed-preview .ladder-svg') !== null`, stepTimeout, "the first preview")
		p.tabTo(`button[data-kind="step"][data-i="0"][data-act="down"]`, false)
		p.keys(kb.Enter)
		got := eval[struct{ First, Second, Focus string }](p, `({
			first: document.querySelector('[data-field="steps[0].call"]').value,
			second: document.querySelector('[data-field="steps[1].call"]').value,
			focus: document.activeElement.dataset.act + ' ' + document.activeElement.dataset.i,
		})`)
		if got.First != "connect" || got.Second != "listen" || got.Focus != "down 1" {
			t.Errorf("after moving call 1 down: %+v, want connect, listen, focus on call 2's down button", got)
		}
		p.tabTo(`button[data-add-step="client"]`, false)
		p.keys(" ")
		if f := eval[string](p, `document.activeElement.dataset.field ?? ''`); f != "steps[4].at_ms" {
			t.Errorf("focus on %q after adding a call, want the new call's time", f)
		}
	})

	t.Run("share dialog", func(t *testing.T) {
		p := newPage(t)
		p.open("/?scenario=client-closes-first")
		p.openShare()
		p.tabTo(`#share-from`, false)
		p.keys("j3")
		if v := eval[string](p, `document.getElementById('share-from').value`); v != "j3" {
			t.Errorf("typed %q into the from field", v)
		}
		p.waitIdle()
		if n := p.progressN(); n != 0 {
			t.Errorf("typing in the dialog stepped the run to %d", n)
		}
		if !strings.Contains(eval[string](p, `document.getElementById('share-range-err').textContent`), catalogue(t, "en")["export.range_error"]) {
			t.Error("no range error for a from that is not a number")
		}
		p.keys(kb.Escape)
		p.waitFor(`!document.getElementById('share').open && document.activeElement?.id === 'share-open'`, stepTimeout, "the dialog to close, the focus back on its button")
	})
}
