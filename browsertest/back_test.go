package browsertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// counts is what the page shows of the events delivered so far.
type counts struct {
	Progress int `json:"progress"`
	Segments int `json:"segments"`
	States   int `json:"states"`
	// SetSize is the event list's aria-setsize (it draws only the rows in
	// view); Last whether the row of the last event is there.
	SetSize int  `json:"setSize"`
	HasRow  bool `json:"hasRow"`
}

func (p *page) counts(lastIndex int) counts {
	p.t.Helper()
	return eval[counts](p, fmt.Sprintf(`({
		progress: parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10),
		segments: document.querySelectorAll('#diagram [data-kind="segment"]:not(.is-future)').length,
		states: document.querySelectorAll('#diagram :not(.is-future) > [data-kind="state"]').length,
		setSize: +(document.querySelector('#events li[aria-setsize]')?.getAttribute('aria-setsize') ?? 0),
		hasRow: document.querySelector('#events button[data-index="%d"]') !== null,
	})`, lastIndex))
}

// stepTo presses Step until the page shows n events.
func (p *page) stepTo(n int) {
	p.t.Helper()
	for have := p.progressN(); have < n; have++ {
		p.do(chromedp.Click(chromedp.ID("step")))
		p.waitFor(fmt.Sprintf(`parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0], 10) === %d`, have+1),
			5*time.Second, fmt.Sprintf("event %d", have+1))
	}
	p.waitIdle()
}

// TestStepBack steps through client-closes-first and steps back over a
// segment (the Back button) and over a state change (the ← key): each time
// one event fewer is shown, and that event's element leaves the diagram and
// the event list.
func TestStepBack(t *testing.T) {
	const id = "client-closes-first"
	tr := getTrace(t, id)
	// The third segment (the handshake's ACK) and the first state change
	// after it.
	seg, state := -1, -1
	for i, segs := 0, 0; i < len(tr.Events); i++ {
		if tr.Events[i].Kind == "segment" {
			if segs++; segs == 3 {
				seg = i
			}
		}
		if seg >= 0 && tr.Events[i].Kind == "state" {
			state = i
			break
		}
	}
	if seg < 0 || state < 0 {
		t.Fatalf("%s has no third segment with a state change after it", id)
	}

	p := newPage(t)
	p.open("/?step=event&scenario=" + id) // one event a step

	back := func(how string, press chromedp.Action[chromedp.Void], last int, kind string) {
		t.Helper()
		p.stepTo(last + 1)
		before := p.counts(last)
		if before.Progress != last+1 || before.SetSize != last+1 || !before.HasRow {
			t.Fatalf("after %d steps: %+v", last+1, before)
		}
		p.do(press)
		p.waitFor(fmt.Sprintf(`parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0], 10) === %d`, last),
			5*time.Second, how)
		p.waitIdle()
		after := p.counts(last)
		wantAfter := before
		wantAfter.Progress, wantAfter.SetSize, wantAfter.HasRow = last, last, false
		switch kind {
		case "segment":
			wantAfter.Segments--
			gone := fmt.Sprintf(`document.querySelector('#diagram [data-kind="segment"][data-id="%d"]:not(.is-future)') === null`, tr.Events[last].ID)
			if !eval[bool](p, gone) {
				t.Errorf("%s: segment %d is still drawn", how, tr.Events[last].ID)
			}
		case "state":
			wantAfter.States--
		}
		if after != wantAfter {
			t.Errorf("%s over event %d (%s):\nbefore %+v\nafter  %+v\nwant   %+v", how, last+1, kind, before, after, wantAfter)
		}
	}
	back("the Back button", chromedp.Click(chromedp.ID("back")), seg, "segment")
	// ← works wherever the focus is but in a text field, a drop-down or a
	// radio group; Back keeps it after the click.
	back("the ← key", chromedp.KeyEvent(kb.ArrowLeft), state, "state")
}
