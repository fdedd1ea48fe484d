package browsertest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focusInfo describes document.activeElement and how its focus shows.
type focusInfo struct {
	Desc    string `json:"desc"`
	Visible bool   `json:"visible"`
	Style   string `json:"style"`
}

// focusJS describes the focused element. The focus is visible when the
// element has an outline or a box shadow; a segment of the diagram (SVG,
// where outlines are not drawn) shows its focus ring (.seg-ring) instead.
const focusJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) return {desc: 'body', visible: false, style: ''};
	const cs = getComputedStyle(el);
	const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
	const shadow = cs.boxShadow !== 'none';
	const ring = el.querySelector(':scope > .seg-ring');
	const ringShown = ring !== null && getComputedStyle(ring).display !== 'none';
	const svg = el instanceof SVGElement;
	const desc = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
		(el.getAttribute('data-kind') ? '[' + el.getAttribute('data-kind') + ' ' + (el.getAttribute('data-id') ?? '') + ']' : '') +
		(el.name ? '[name=' + el.name + ' value=' + el.value + ']' : '') +
		(el.hreflang ? '[hreflang=' + el.hreflang + ']' : '') +
		(el.dataset?.index && !svg ? '[data-index=' + el.dataset.index + ']' : '') +
		' "' + (el.textContent || '').trim().slice(0, 30) + '"';
	return {desc, visible: svg ? ringShown : (outline || shadow),
		style: 'outline ' + cs.outlineStyle + ' ' + cs.outlineWidth + ', box-shadow ' + cs.boxShadow + (svg ? ', ring ' + ringShown : '')};
})()`

// keys presses keys (see package kb) with no focus check.
func (p *page) keys(keys string, opts ...chromedp.KeyOption) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(keys, opts...))
}

// focused checks that the focus is visible and returns what has it.
func (p *page) focused() focusInfo {
	p.t.Helper()
	f := eval[focusInfo](p, focusJS)
	if !f.Visible {
		p.t.Errorf("the focus on %s is not visible (%s)", f.Desc, f.Style)
	}
	return f
}

// tabTo presses Tab (Shift+Tab when back) until the focused element
// matches selector, checking at each stop that the focus is visible.
func (p *page) tabTo(selector string, back bool) {
	p.t.Helper()
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	var path []string
	for range 60 {
		p.keys(kb.Tab, opts...)
		f := p.focused()
		path = append(path, f.Desc)
		if eval[bool](p, fmt.Sprintf(`document.activeElement?.matches(%q) ?? false`, selector)) {
			p.t.Logf("Tab%s: %s", map[bool]string{true: " back"}[back], strings.Join(path, " → "))
			return
		}
	}
	p.t.Fatalf("Tab never reached %s; it went through:\n%s", selector, strings.Join(path, "\n"))
}

// expectJS waits until expr holds after the keyboard action what.
func (p *page) expectJS(expr, what string) {
	p.t.Helper()
	p.waitFor(expr, 5*time.Second, what)
}

const progressJS = `parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10)`

// TestKeyboard walks the app with the keyboard alone, from a fresh page:
// choose a scenario, play and pause, step forward and back, reset, open
// and close the shortcuts, switch the language and the numbering, focus a
// segment in the diagram and select it. Every stop of the focus must be
// visible, and every action must have its effect.
func TestKeyboard(t *testing.T) {
	p := newPage(t)
	p.open("/?step=event") // the walk counts events one a step
	first := eval[string](p, `document.getElementById('scenario').value`)

	// The first Tab stop is the skip link.
	p.keys(kb.Tab)
	if f := p.focused(); !strings.HasPrefix(f.Desc, "a ") {
		t.Errorf("the first Tab stop is %s, want the skip link", f.Desc)
	}

	// Choose the next scenario in the picker with ↓.
	p.tabTo("#scenario", false)
	p.keys(kb.ArrowDown)
	p.expectJS(`document.getElementById('scenario').value !== '`+first+`' &&
		new URL(location.href).searchParams.get('scenario') === document.getElementById('scenario').value`, "↓ in the picker to load the next scenario")
	chosen := eval[string](p, `document.getElementById('scenario').value`)
	p.waitReady()
	title := eval[string](p, `document.getElementById('diagram-h').textContent`)
	if !strings.Contains(eval[string](p, `document.getElementById('scenario').selectedOptions[0].textContent`), title) {
		t.Errorf("the heading says %q after choosing %s", title, chosen)
	}

	// Play with Enter on the Play button, pause with Space.
	p.tabTo("#play", false)
	p.keys(kb.Enter)
	p.expectJS(`document.getElementById('play').classList.contains('playing')`, "Enter on Play to play")
	p.expectJS(progressJS+` >= 1`, "events to come while playing")
	p.keys(" ")
	p.expectJS(`!document.getElementById('play').classList.contains('playing')`, "Space on Pause to pause")
	p.focused()

	// Step with Enter on Step and with →. Events the server sent before it
	// read the pause may still arrive: count once the count holds still.
	p.tabTo("#step", false)
	n := p.settledProgress()
	p.keys(kb.Enter)
	p.expectJS(fmt.Sprintf(`%s === %d`, progressJS, n+1), "Enter on Step to step")
	p.keys(kb.ArrowRight)
	p.expectJS(fmt.Sprintf(`%s === %d`, progressJS, n+2), "→ to step")

	// Back with Enter on Back and with ←.
	p.tabTo("#back", true)
	p.keys(kb.Enter)
	p.expectJS(fmt.Sprintf(`%s === %d`, progressJS, n+1), "Enter on Back to step back")
	p.keys(kb.ArrowLeft)
	p.expectJS(fmt.Sprintf(`%s === %d`, progressJS, n), "← to step back")

	// Reset with Enter on Reset.
	p.tabTo("#reset", true)
	p.keys(kb.Enter)
	p.expectJS(progressJS+` === 0 && document.querySelectorAll('#diagram [data-kind="segment"]:not(.is-future)').length === 0`, "Enter on Reset to go back to the start")
	p.focused()

	// The shortcuts: ? opens the dialog, Escape closes it and gives the
	// focus back; then the same with its button and the Close button.
	p.keys("?")
	p.expectJS(`document.getElementById('help').open && document.getElementById('help').contains(document.activeElement)`, "? to open the shortcuts with the focus in them")
	p.focused()
	p.keys(kb.Escape)
	p.expectJS(`!document.getElementById('help').open && document.activeElement?.id === 'reset'`, "Escape to close the shortcuts and give the focus back")
	p.tabTo("#help-open", true)
	p.keys(kb.Enter)
	p.expectJS(`document.getElementById('help').open`, "Enter on Shortcuts to open them")
	p.tabTo(`#help form button`, false)
	p.keys(kb.Enter)
	p.expectJS(`!document.getElementById('help').open && document.activeElement?.id === 'help-open'`, "Enter on Close to close the shortcuts")

	// The language: Enter on 中文 in the switch, then L back to English.
	p.tabTo(`nav.lang a[hreflang="zh"]`, true)
	p.keys(kb.Enter)
	p.expectJS(`document.documentElement.lang === 'zh'`, "Enter on 中文 to switch to Chinese")
	checkUI(t, p, "zh", "after Enter on 中文")
	p.focused()
	p.keys("l")
	p.expectJS(`document.documentElement.lang === 'en'`, "L to switch back to English")
	checkUI(t, p, "en", "after L")

	// Some events to look at: → three times.
	for range 3 {
		p.keys(kb.ArrowRight)
	}
	p.expectJS(progressJS+` === 3`, "→ to step")
	// Wait for a segment to be drawn (the third event of every opening
	// scenario is no later than the first SYN).
	p.stepUntil(`document.querySelector('#diagram [data-kind="segment"]:not(.is-future)') !== null`)

	// The numbering: Tab into the radio group (onto the checked one), → to
	// the next, and N to the one after.
	label := func() string {
		return eval[string](p, `document.querySelector('#diagram [data-kind="segment"]:not(.is-future) .seg-label').textContent`)
	}
	relative := label()
	p.tabTo(`input[name="numbering"]:checked`, false)
	p.keys(kb.ArrowRight)
	p.expectJS(`document.querySelector('input[name="numbering"]:checked').value === 'symbolic'`, "→ in the numbering to choose x, y")
	p.waitIdle()
	symbolic := label()
	if symbolic == relative || !strings.Contains(symbolic, "x") {
		t.Errorf("the first segment reads %q with relative numbers and %q with x, y", relative, symbolic)
	}
	p.focused()
	p.keys(kb.Tab) // out of the radio group: N is a shortcut there, not in it
	p.focused()
	p.keys("n")
	p.expectJS(`document.querySelector('input[name="numbering"]:checked').value === 'absolute'`, "N to choose the next numbering")

	// The diagram: D focuses its first segment, ↓ the next one, Enter
	// selects it, and the inspector shows it.
	// (Segment 2 must have arrived: Enter on a segment in flight loses it.)
	p.stepUntil(`document.querySelectorAll('#diagram [data-kind="segment"]:not(.is-future)').length >= 2 &&
		!document.querySelector('#diagram [data-kind="segment"][data-id="2"]').classList.contains('seg--in-flight')`)
	p.keys("d")
	p.expectJS(`document.activeElement?.getAttribute('data-kind') === 'segment'`, "D to focus the diagram's first segment")
	firstSeg := p.focused()
	p.keys(kb.ArrowDown)
	p.expectJS(`document.activeElement?.getAttribute('data-kind') === 'segment' && document.activeElement.dataset.id === '2'`, "↓ to focus the next segment")
	seg := p.focused()
	if seg.Desc == firstSeg.Desc {
		t.Errorf("↓ left the focus on %s", seg.Desc)
	}
	p.keys(kb.Enter)
	p.expectJS(`document.querySelector('#diagram [data-kind="segment"][data-id="2"]').classList.contains('is-selected') &&
		document.querySelector('#inspector .insp-head')?.textContent.includes('#2')`, "Enter on segment 2 to show it in the inspector")
	if got := eval[string](p, `document.activeElement?.dataset.id ?? ''`); got != "2" {
		t.Errorf("after Enter the focus is on %q, want segment 2", got)
	}
	if eval[bool](p, `document.querySelector('#diagram .seg--lost') !== null`) {
		t.Error("selecting an arrived segment lost a segment")
	}
}

// stepUntil presses → until expr holds (at most 20 times).
func (p *page) stepUntil(expr string) {
	p.t.Helper()
	for range 20 {
		p.waitIdle()
		if eval[bool](p, expr) {
			return
		}
		n := p.progressN()
		p.keys(kb.ArrowRight)
		p.expectJS(fmt.Sprintf(`%s === %d`, progressJS, n+1), "→ to step")
	}
	p.t.Fatalf("20 steps and still not %s", short(expr))
}
