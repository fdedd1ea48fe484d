package browsertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// drawn is what the diagram holds, collected over a scroll through it: the
// ladder keeps only the rows near the viewport in the DOM.
type drawn struct {
	// Segments are the drawn segments by data-id, as "flags from".
	Segments map[string]string `json:"segments"`
	// Dup lists segment ids drawn more than once at one scroll position.
	Dup []string `json:"dup"`
	// States are the state labels by their event's index, as "endpoint
	// state".
	States map[string]string `json:"states"`
	// Lost and Retransmit list the ids of segments marked so.
	Lost       []string `json:"lost"`
	Retransmit []string `json:"retransmit"`
	// Labels are the segments' aria-labels by data-id.
	Labels map[string]string `json:"labels"`
	// Positions is how many scroll positions were looked at; FirstView how
	// many segments were in the DOM at the first.
	Positions int `json:"positions"`
	FirstView int `json:"firstView"`
}

// collectJS scrolls the ladder from top to bottom by half a view at a
// time, waiting two animation frames at each position for the ladder to
// draw, and collects what is in the DOM at each.
const collectJS = `(async () => {
	const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
	const sc = document.querySelector('#diagram .ladder-scroll');
	const out = {segments: {}, labels: {}, dup: [], states: {}, lost: [], retransmit: [], positions: 0, firstView: -1};
	const lost = new Set(), re = new Set();
	sc.scrollTop = 0;
	await frames();
	for (;;) {
		const seen = new Set();
		const segs = document.querySelectorAll('#diagram [data-kind="segment"]:not(.is-future)');
		if (out.firstView < 0) out.firstView = segs.length;
		for (const g of segs) {
			const id = g.dataset.id;
			if (seen.has(id)) out.dup.push(id);
			seen.add(id);
			out.segments[id] = g.dataset.flags + ' ' + g.dataset.from;
			out.labels[id] = g.getAttribute('aria-label');
			if (g.classList.contains('seg--lost')) lost.add(id);
			if (g.classList.contains('seg--retransmit')) re.add(id);
		}
		for (const s of document.querySelectorAll('#diagram :not(.is-future) > [data-kind="state"]')) {
			out.states[s.closest('[data-index]').dataset.index] = s.dataset.endpoint + ' ' + s.dataset.state;
		}
		out.positions++;
		const top = sc.scrollTop;
		if (top + sc.clientHeight >= sc.scrollHeight - 1) break;
		sc.scrollTop = top + Math.max(50, sc.clientHeight / 2);
		await frames();
		if (sc.scrollTop === top) break;
	}
	out.lost = [...lost];
	out.retransmit = [...re];
	return out;
})()`

func collect(p *page) drawn {
	p.t.Helper()
	return eval[drawn](p, collectJS)
}

// TestPlayScenario plays built-in scenarios at the fastest speed and
// checks the diagram against GET /api/scenarios/{id}/trace: one drawn
// segment per segment event (id, flags, sender), and per endpoint the state
// labels in the order of the trace's state events. syn-flood-backlog is
// long enough that the ladder keeps only part of it in the DOM.
func TestPlayScenario(t *testing.T) {
	for _, id := range []string{"client-closes-first", "syn-flood-backlog"} {
		t.Run(id, func(t *testing.T) {
			tr := getTrace(t, id)
			p := newPage(t)
			p.open("/?scenario=" + id)
			p.setSpeed("max")
			p.do(chromedp.Click(chromedp.ID("play")))
			p.waitDone(30 * time.Second)
			if n := p.progressN(); n != len(tr.Events) {
				t.Errorf("progress shows %d events, the trace has %d", n, len(tr.Events))
			}

			d := collect(p)
			t.Logf("%d segments, %d in the first view, %d scroll positions", len(d.Segments), d.FirstView, d.Positions)
			if len(d.Dup) > 0 {
				t.Errorf("segments drawn twice: %v", d.Dup)
			}
			want := map[string]string{}
			wantStates := map[string][]string{}
			for _, e := range tr.Events {
				switch e.Kind {
				case "segment":
					want[fmt.Sprint(e.ID)] = strings.Join(e.Flags, ",") + " " + e.From
				case "state":
					wantStates[e.Endpoint] = append(wantStates[e.Endpoint], e.To)
				}
			}
			for id, w := range want {
				if got, ok := d.Segments[id]; !ok {
					t.Errorf("segment %s (%s) is not drawn", id, w)
				} else if got != w {
					t.Errorf("segment %s drawn as %q, the trace says %q", id, got, w)
				}
			}
			for id, got := range d.Segments {
				if _, ok := want[id]; !ok {
					t.Errorf("segment %s (%s) is drawn but not in the trace", id, got)
				}
			}

			gotStates := map[string][]string{}
			indexes := make([]int, 0, len(d.States))
			for i := range d.States {
				var n int
				fmt.Sscan(i, &n)
				indexes = append(indexes, n)
			}
			slices.Sort(indexes)
			for _, i := range indexes {
				ep, state, _ := strings.Cut(d.States[fmt.Sprint(i)], " ")
				gotStates[ep] = append(gotStates[ep], state)
			}
			for _, ep := range []string{"client", "server"} {
				if !slices.Equal(gotStates[ep], wantStates[ep]) {
					t.Errorf("%s states drawn: %v\nthe trace: %v", ep, gotStates[ep], wantStates[ep])
				}
			}
		})
	}
}
