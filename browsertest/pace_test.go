package browsertest

// Pace: one Step moves by one segment (with the events that belong to it),
// ?step=event by one event, and Play at the default teaching pace gives a
// segment's flight about 1.5 s with a pause on each state change. On the
// three screens the issue names, in both languages, with touch on the
// phone.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screen is a viewport the pages must work at.
type screen struct {
	name  string
	w, h  int64
	touch bool
}

var screens = []screen{
	{"laptop 1280x800", 1280, 800, false},
	{"projector 1920x1080", 1920, 1080, false},
	{"phone 390x844", 390, 844, true},
}

// open opens a tab at the screen's size; the phone is a mobile device with
// touch.
func (sc screen) open(t *testing.T, opts ...pageOption) *page {
	t.Helper()
	size := func(*page) chromedp.Action[chromedp.Void] {
		if sc.touch {
			return chromedp.EmulateViewport(sc.w, sc.h, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		return chromedp.EmulateViewport(sc.w, sc.h)
	}
	return newPage(t, append(opts, size)...)
}

// press presses a button as the screen's user does: a tap on the phone, a
// click elsewhere.
func (sc screen) press(p *page, id string) {
	p.t.Helper()
	if sc.touch {
		p.do(chromedp.Tap(chromedp.ID(id)))
		return
	}
	p.do(chromedp.Click(chromedp.ID(id)))
}

// paceEvent is what the stops are computed from.
type paceEvent struct {
	Kind     string   `json:"kind"`
	ID       int      `json:"id"`
	TMs      float64  `json:"t_ms"`
	ArriveMs *float64 `json:"arrive_ms"`
	Fate     string   `json:"fate"`
	Endpoint string   `json:"endpoint"`
	To       string   `json:"to"`
	Action   string   `json:"action"`
}

func paceTrace(t *testing.T, id string) []paceEvent {
	t.Helper()
	resp, err := http.Get(app.URL + "/api/scenarios/" + id + "/trace")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		Events []paceEvent `json:"events"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return tr.Events
}

// wantStops is where Step by segment stops, by the rule pace.js documents:
// after a segment, the events up to its arrival, but never past the next
// segment; what comes after the last segment is one more step. (The rule
// is written again here so that the page is checked against it, not
// against itself.)
func wantStops(evs []paceEvent) []int {
	var segs []int
	for i, e := range evs {
		if e.Kind == "segment" {
			segs = append(segs, i)
		}
	}
	var stops []int
	for k, at := range segs {
		next := len(evs)
		if k+1 < len(segs) {
			next = segs[k+1]
		}
		arrive := evs[at].TMs + 10
		if evs[at].Fate == "delivered" && evs[at].ArriveMs != nil {
			arrive = *evs[at].ArriveMs
		}
		end := at + 1
		for end < next && evs[end].TMs <= arrive {
			end++
		}
		stops = append(stops, end)
	}
	if len(stops) == 0 || stops[len(stops)-1] < len(evs) {
		stops = append(stops, len(evs))
	}
	return stops
}

// segmentsJS counts the segments shown so far (the whole run is drawn from
// the start, what is still to come as .is-future).
const segmentsJS = `document.querySelectorAll('#diagram [data-kind="segment"]:not(.is-future)').length`

// TestStepBySegment presses Step through the default scenario, the plain
// three-way handshake: each press shows one more segment and the events
// that belong to it, Back takes them away again, and ?step=event goes one
// event at a time.
func TestStepBySegment(t *testing.T) {
	evs := paceTrace(t, "three-way-handshake")
	stops := wantStops(evs)
	if len(stops) != 3 {
		t.Fatalf("the handshake has stops %v, want 3", stops)
	}
	for _, sc := range screens {
		for _, lang := range []string{"en", "zh"} {
			t.Run(sc.name+" "+lang, func(t *testing.T) {
				p := sc.open(t)
				p.open("/?lang=" + lang)
				// The handshake is the first scenario and the default.
				if got := eval[string](p, `document.getElementById('scenario').value + ' ' + document.querySelector('#scenario option:not([value="sandbox"])').value`); got != "three-way-handshake three-way-handshake" {
					t.Fatalf("scenario picker: %q, want the handshake chosen and first", got)
				}
				title := catalogueTitle(t, "three-way-handshake", lang)
				if got := eval[string](p, `document.querySelector('#scenario option[value="three-way-handshake"]').textContent`); got != title {
					t.Errorf("the handshake is called %q, want %q", got, title)
				}
				for k, stop := range stops {
					sc.press(p, "step")
					p.waitFor(fmt.Sprintf(`%s === %d && %s === %d`, progressNJS, stop, segmentsJS, k+1), stepTimeout,
						fmt.Sprintf("step %d to show %d events and %d segments", k+1, stop, k+1))
				}
				// Both sides ESTABLISHED: the last ACK came with its arrival.
				p.waitFor(`document.querySelectorAll('#diagram [data-kind="state"][data-state="ESTABLISHED"]').length === 2`, stepTimeout,
					"both sides ESTABLISHED after three steps")
				sc.press(p, "back")
				p.waitFor(fmt.Sprintf(`%s === %d && %s === 2`, progressNJS, stops[1], segmentsJS), stepTimeout, "Back to take the last segment away")
			})
		}
	}
	t.Run("one event a step", func(t *testing.T) {
		p := newPage(t)
		p.open("/?step=event")
		for n := 1; n <= 4; n++ {
			p.do(chromedp.Click(chromedp.ID("step")))
			p.waitFor(fmt.Sprintf(`%s === %d`, progressNJS, n), stepTimeout, fmt.Sprintf("event %d", n))
		}
		p.do(chromedp.Click(chromedp.ID("back")))
		p.waitFor(progressNJS+` === 3`, stepTimeout, "Back over one event")
	})
}

const progressNJS = `parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10)`

// catalogueTitle is a built-in scenario's title in lang.
func catalogueTitle(t *testing.T, id, lang string) string {
	t.Helper()
	resp, err := http.Get(app.URL + "/api/scenarios")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []struct {
		ID    string            `json:"id"`
		Title map[string]string `json:"title"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.ID == id {
			return s.Title[lang]
		}
	}
	t.Fatalf("no scenario %s", id)
	return ""
}

// TestTeachingPace plays the handshake at the default speed and times it
// in the page: the SYN takes about 1.5 s to cross, the clock holds on the
// state change its arrival makes, and the speed control offers the
// teaching pace, fast and fastest in the page's language.
func TestTeachingPace(t *testing.T) {
	evs := paceTrace(t, "three-way-handshake")
	index := func(pred func(paceEvent) bool) int {
		for i, e := range evs {
			if pred(e) {
				return i
			}
		}
		t.Fatal("no such event")
		return -1
	}
	syn := index(func(e paceEvent) bool { return e.Kind == "segment" && e.ID == 1 })
	synRcvd := index(func(e paceEvent) bool { return e.Kind == "state" && e.To == "SYN-RECEIVED" })
	synack := index(func(e paceEvent) bool { return e.Kind == "segment" && e.ID == 2 })
	for _, c := range []struct {
		sc   screen
		lang string
	}{{screens[0], "en"}, {screens[2], "zh"}} {
		t.Run(c.sc.name+" "+c.lang, func(t *testing.T) {
			p := c.sc.open(t)
			p.open("/?lang=" + c.lang)
			cat := catalogue(t, c.lang)
			got := eval[[]string](p, `[...document.getElementById('speed').options].map((o) => o.value + '=' + o.textContent)`)
			want := []string{"teaching=" + cat["ctl.speed_teaching"], "fast=" + cat["ctl.speed_fast"], "max=" + cat["ctl.speed_max"]}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("speeds %q, want %q", got, want)
			}
			if v := eval[string](p, `document.getElementById('speed').value`); v != "teaching" {
				t.Errorf("default speed %q, want teaching", v)
			}
			// Note when the page asks for n events (its seeks), for each n:
			// the page's own pace, apart from how long a loaded server takes
			// to answer.
			eval[chromedp.Void](p, `(() => {
				window.shownAt = {};
				const send = WebSocket.prototype.send;
				WebSocket.prototype.send = function (m) {
					const msg = JSON.parse(m);
					if (msg.type === 'seek' && !(msg.cursor in window.shownAt)) window.shownAt[msg.cursor] = performance.now();
					return send.call(this, m);
				};
			})()`)
			c.sc.press(p, "play")
			p.waitFor(fmt.Sprintf(`Object.keys(window.shownAt).some((n) => +n >= %d)`, len(evs)), 30*time.Second, "the handshake to be played")
			p.waitFor(fmt.Sprintf(`%s === %d`, progressNJS, len(evs)), 30*time.Second, "every event shown")
			at := eval[map[string]float64](p, `window.shownAt`)
			first := func(n int) float64 {
				best := -1.0
				for k, v := range at {
					var m int
					fmt.Sscan(k, &m)
					if m >= n && (best < 0 || v < best) {
						best = v
					}
				}
				return best
			}
			flight := first(synRcvd+1) - first(syn+1)
			// The clock itself is exact (pace.test.js checks 1.5 s to a
			// tick); in a browser on a loaded 2-core machine its 40 ms
			// ticks may come hundreds of ms late, so the bounds here only
			// tell the teaching pace from the old speeds (a 10 ms flight
			// at 0.1×: 100 ms).
			if flight < 700 || flight > 4000 {
				t.Errorf("the SYN took %.0f ms to cross, want about 1500", flight)
			}
			pause := first(synack+1) - first(synRcvd+1)
			if pause < 300 {
				t.Errorf("the SYN,ACK left %.0f ms after SYN-RECEIVED, want a pause of about 700", pause)
			}
			if total := first(len(evs)) - first(1); total < 4000 || total > 20000 {
				t.Errorf("the handshake took %.0f ms at the teaching pace", total)
			}
			p.waitDone(10 * time.Second)
		})
	}
}
