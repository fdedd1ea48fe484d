package browsertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// inFlight selects the drawn segment with the id that the reader can still
// lose.
func inFlight(id int) string {
	return fmt.Sprintf(`#diagram [data-kind="segment"][data-id="%d"].seg--droppable`, id)
}

// TestLoseInFlight loses a segment while it is on the wire (a click on its
// arrow, or Enter on the focused arrow) and plays on: the page gets a drop
// event, the arrow is marked lost, and a later segment with the same flags
// from the same sender is marked as a retransmission.
func TestLoseInFlight(t *testing.T) {
	t.Run("click in a scenario", func(t *testing.T) {
		// The server's FIN in client-closes-first: lost, the server sends
		// it again when its retransmission timer expires.
		const id = "client-closes-first"
		tr := getTrace(t, id)
		at := slices.IndexFunc(tr.Events, func(e traceEvent) bool {
			return e.Kind == "segment" && e.From == "server" && slices.Contains(e.Flags, "FIN")
		})
		if at < 0 {
			t.Fatalf("%s: the server sends no FIN", id)
		}
		fin := tr.Events[at]
		p := newPage(t)
		p.open("/?step=event&scenario=" + id)
		// Stepped to the FIN's sending, the page is paused while it flies.
		p.stepTo(at + 1)
		if !eval[bool](p, `document.querySelector('`+inFlight(fin.ID)+`') !== null`) {
			t.Fatalf("segment %d is not shown in flight after it was sent", fin.ID)
		}
		// Click the middle of the arrow's hit line, as a reader would.
		pt := eval[struct{ X, Y float64 }](p, `(() => {
			const r = document.querySelector('`+inFlight(fin.ID)+` .seg-hit').getBoundingClientRect();
			return {x: r.x + r.width / 2, y: r.y + r.height / 2};
		})()`)
		hit := eval[string](p, fmt.Sprintf(`document.elementFromPoint(%g, %g)?.closest('[data-kind]')?.dataset.id ?? ''`, pt.X, pt.Y))
		if hit != fmt.Sprint(fin.ID) {
			t.Fatalf("the middle of segment %d's arrow (%g, %g) is covered by %q", fin.ID, pt.X, pt.Y, hit)
		}
		p.do(chromedp.MouseClickXY(pt.X, pt.Y))
		p.checkLost(fin.ID, strings.Join(fin.Flags, ",")+" "+fin.From)
	})

	t.Run("Enter in the sandbox", func(t *testing.T) {
		p := newPage(t)
		p.open("/?scenario=sandbox")
		// 0.01×: a segment's 10 ms on the wire take a second.
		p.setSpeed("0.01")
		p.do(chromedp.Click(chromedp.CSS(`#sandbox button[data-endpoint="server"][data-call="listen"]`)))
		p.waitFor(`document.querySelector('#diagram [data-kind="state"][data-state="LISTEN"]') !== null`, 10*time.Second, "the server to listen")
		p.do(chromedp.Click(chromedp.CSS(`#sandbox button[data-endpoint="client"][data-call="connect"]`)))
		const syn = `#diagram [data-kind="segment"][data-flags="SYN"][data-from="client"].seg--droppable`
		p.waitFor(`document.querySelector('`+syn+`') !== null`, 10*time.Second, "the SYN to leave")
		p.do(chromedp.Click(chromedp.ID("play"))) // now Pause
		p.waitIdle()
		if !eval[bool](p, `document.querySelector('`+syn+`') !== null`) {
			t.Fatal("the SYN arrived before the pause took effect")
		}
		id := atoi(eval[string](p, `document.querySelector('`+syn+`').dataset.id`))
		eval[chromedp.Void](p, `document.querySelector('`+syn+`').focus()`)
		p.do(chromedp.KeyEvent(kb.Enter))
		p.checkLost(id, "SYN client")
	})
}

// checkLost checks that segment id (drawn as "flags from") was lost, plays
// on at the fastest speed, and checks that its sender sent it again.
func (p *page) checkLost(id int, drawnAs string) {
	p.t.Helper()
	p.waitFor(`document.querySelector('#events button.ev-drop') !== null`, 10*time.Second, "a drop event in the event list")
	p.waitFor(fmt.Sprintf(`document.querySelector('#diagram [data-kind="segment"][data-id="%d"].seg--lost') !== null`, id),
		5*time.Second, "the arrow to be marked lost")

	p.setSpeed("max")
	p.do(chromedp.Click(chromedp.ID("play")))
	p.waitDone(30 * time.Second)
	d := collect(p)
	if !slices.Contains(d.Lost, fmt.Sprint(id)) {
		p.t.Errorf("segment %d is not marked lost after play (lost: %v)", id, d.Lost)
	}
	var again []string
	for _, r := range d.Retransmit {
		if d.Segments[r] == drawnAs && atoi(r) > id {
			again = append(again, r)
		}
	}
	if len(again) == 0 {
		p.t.Errorf("no segment after %d drawn as %q is marked as a retransmission; retransmissions %v, segments %v", id, drawnAs, d.Retransmit, d.Segments)
	}
	// The mark is in words too, not only in a dashed line.
	label := d.Labels[first(again)]
	retransmit := eval[string](p, `JSON.parse(document.getElementById('synack-i18n').textContent)[document.documentElement.lang]['ladder.tag.retransmit']`)
	if !strings.Contains(label, retransmit) {
		p.t.Errorf("the retransmission's label %q does not say %q", label, retransmit)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
