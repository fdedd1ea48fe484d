package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// classroomTimeout bounds the classroom test's pages, which live through
// the whole class: four tabs, a reload of two of them.
const classroomTimeout = 3 * time.Minute

// rect is an element's box in the viewport.
type rect struct{ Top, Bottom, Left, Right, Width, Height float64 }

func (p *page) rect(selector string) rect {
	p.t.Helper()
	return eval[rect](p, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
		return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height}; })()`, selector))
}

// progressIs waits until the page shows n events.
func (p *page) progressIs(n int, what string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`document.getElementById('progress').textContent.match(/\d+/)?.[0] === '%d'`, n), 15*time.Second, what)
}

// TestClassroom: a presenter and three viewers, one of them on a phone, in
// browser contexts of their own. The presenter's room is a side sheet that
// does not move the ladder, collapses to its code and shows its QR code
// full screen; the answer bars stay off the projected screen until the
// presenter peeks; the phone's question is a bottom sheet with the ladder
// still in view; a viewer who reloads is the same viewer and its second vote
// is refused; the presenter reloads, the viewers stay, and the run goes on
// from the same event.
func TestClassroom(t *testing.T) {
	presenter := newPageWithin(t, classroomTimeout, withViewport(1366, 768))
	presenter.open("/?scenario=client-closes-first&lang=en&step=event")
	before := presenter.rect("#diagram")
	code := presenter.openRoom()
	if after := presenter.rect("#diagram"); after.Top != before.Top || after.Left != before.Left || after.Width != before.Width {
		t.Errorf("the room panel moved the ladder: %+v, was %+v", after, before)
	}

	// The QR code full screen, closed with Escape.
	presenter.click("[data-room-qr-open]")
	presenter.waitFor(`document.querySelector('dialog[data-room-qr-full][open] img')?.naturalWidth > 100`, 10*time.Second, "the full-screen QR code")
	if r, w := presenter.rect("dialog[data-room-qr-full]"), eval[float64](presenter, `innerWidth`); r.Width < w-1 {
		t.Errorf("the QR view is %v wide in a %v viewport", r.Width, w)
	}
	presenter.keys(kb.Escape)
	presenter.waitFor(`document.querySelector('dialog[data-room-qr-full]') === null`, 5*time.Second, "the QR view to close")

	// Collapsed, the panel shows the code; expanded, everything again.
	presenter.click("[data-room-collapse]")
	presenter.waitFor(`document.getElementById('room').classList.contains('room--collapsed')`, 5*time.Second, "the panel to collapse")
	if got := eval[string](presenter, `document.querySelector('[data-room-mini]').textContent`); got != code {
		t.Errorf("the collapsed panel shows %q, want %q", got, code)
	}
	if eval[bool](presenter, `document.querySelector('[data-room-end]') !== null`) {
		t.Error("the collapsed panel still shows its buttons")
	}
	presenter.click("[data-room-collapse]")
	presenter.waitFor(`document.querySelector('[data-room-end]') !== null`, 5*time.Second, "the panel to expand")
	presenter.stepTo(6)

	desks := []*page{newPageWithin(t, classroomTimeout, withViewport(1366, 768)), newPageWithin(t, classroomTimeout, withViewport(1920, 1080))}
	phone := newPageWithin(t, classroomTimeout, withScreen(phoneScreen))
	viewers := append(desks, phone)
	for _, v := range viewers {
		v.open("/?room=" + code)
		v.progressIs(6, "the history")
	}
	presenter.waitFor(`document.querySelector('[data-room-viewers]')?.dataset.roomViewers === '3'`, 10*time.Second, "three viewers")

	// A question: the bars stay hidden from the projected screen.
	presenter.askFIN(true)
	for _, v := range viewers {
		v.waitFor(`document.querySelectorAll('.room-choice').length === 2`, 10*time.Second, "the question")
	}
	// On the phone the question is a bottom sheet, the ladder in view above.
	checkPhoneSheet(t, phone)
	phone.click(`.room-choice[data-choice="1"]`)
	desks[0].click(`.room-choice[data-choice="0"]`)
	presenter.waitFor(`document.querySelector('[data-room-total]')?.dataset.roomTotal === '2'`, 10*time.Second, "two answers")
	if eval[bool](presenter, `document.querySelector('.room-bar') !== null`) {
		t.Error("the presenter's screen shows the bars before the reveal")
	}
	presenter.click("[data-room-peek]")
	presenter.waitFor(`document.querySelectorAll('.room-bar').length === 2`, 5*time.Second, "the bars on demand")

	// The viewer that answered reloads: the same viewer, its second vote refused.
	desks[0].do(chromedp.Reload())
	desks[0].waitReady()
	desks[0].waitFor(`document.querySelectorAll('.room-choice').length === 2`, 10*time.Second, "the question after the reload")
	desks[0].click(`.room-choice[data-choice="1"]`)
	desks[0].waitFor(`document.body.textContent.includes('You have answered this question already')`, 10*time.Second, "the second vote to be refused")
	if total := eval[string](presenter, `document.querySelector('[data-room-total]').dataset.roomTotal`); total != "2" {
		t.Errorf("after a second vote the presenter counts %s answers, want 2", total)
	}

	// The presenter reloads: the viewers are told it is away, not that the
	// room ended; it comes back to the same room at the same event.
	for _, v := range viewers {
		eval[chromedp.Void](v, `window.sawAway = false; new MutationObserver(() => {
			if (document.querySelector('[data-room-away]')) window.sawAway = true;
		}).observe(document.getElementById('room'), {subtree: true, childList: true})`)
	}
	presenter.do(chromedp.Reload())
	presenter.waitReady()
	presenter.waitFor(fmt.Sprintf(`document.querySelector('[data-room-code]')?.dataset.roomCode === %q`, code), 15*time.Second, "the room back")
	presenter.progressIs(6, "the same event after the reload")
	if total := eval[string](presenter, `document.querySelector('[data-room-total]')?.dataset.roomTotal ?? ''`); total != "2" {
		t.Errorf("after the reload the presenter sees %q answers, want 2", total)
	}
	for i, v := range viewers {
		v.waitFor(`window.sawAway && document.querySelector('[data-room-away]') === null`, 15*time.Second, "presenter-away, then back")
		if state := eval[string](v, `document.getElementById('room').dataset.roomState`); state != "open" {
			t.Errorf("viewer %d: room %s after the presenter came back", i, state)
		}
	}
	presenter.stepTo(8)
	for _, v := range viewers {
		v.progressIs(8, "the run going on")
	}
	// The viewers follow the presenter's numbering and selected event,
	// each in its own language.
	presenter.click(`input[name="numbering"][value="absolute"]`)
	eval[chromedp.Void](presenter, `document.querySelector('#diagram [data-kind="state"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
	presenter.waitIdle()
	// The explanation's head: the event's number, and its segment in the
	// numbering shown (what follows may differ: the presenter's page offers
	// to drop a segment in flight).
	const head = `document.getElementById('explain').textContent.slice(0, 60)`
	explained := eval[string](presenter, head)
	for i, v := range desks {
		v.waitFor(`document.querySelector('input[name="numbering"][value="absolute"]').checked`, 10*time.Second, "the presenter's numbering")
		v.waitFor(fmt.Sprintf(`%s === %q`, head, explained), 10*time.Second, fmt.Sprintf("viewer %d: the presenter's selection", i))
	}
	if !strings.HasPrefix(eval[string](presenter, `sessionStorage.getItem('synack.room') ?? ''`), `{"room":"`+code) {
		t.Error("the presenter's tab does not keep its room")
	}
	presenter.click("[data-room-end]")
	for _, v := range viewers {
		v.waitFor(`document.getElementById('room').dataset.roomState === 'ended'`, 10*time.Second, "the end of the room")
	}
}
