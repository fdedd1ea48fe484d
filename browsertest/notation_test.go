package browsertest

// Notation (?numbering=, ?flags=, the bits check box), timer bookkeeping
// hidden (?timers=0 and its check box), and the header's links reworded
// when the language is switched in place.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const labelsJS = `[...document.querySelectorAll('#diagram [data-kind="segment"] .seg-label')].map((e) => e.textContent)`

// textbookClose is client-closes-first in the textbook's letters.
var textbookClose = []string{
	"SYN seq=x", "SYN, ACK seq=y ack=x+1", "ACK seq=x+1 ack=y+1", "PSH, ACK seq=x+1 ack=y+1 len=5", "ACK seq=y+1 ack=x+1+5",
	"FIN, ACK seq=u ack=y+1", "ACK seq=v ack=u+1", "FIN, ACK seq=w ack=u+1", "ACK seq=u+1 ack=w+1",
}

// TestNotation opens the app, the embed and a lesson with ?numbering= and
// ?flags=, on every screen and in both languages: the diagram and the
// event list write the segments in the textbook's letters, Wireshark's
// flags and no len=0; the bits check box writes "SYN=1, ACK=1".
func TestNotation(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range []string{"en", "zh"} {
			t.Run(sc.name+" "+lang, func(t *testing.T) {
				p := sc.open(t)
				p.open("/?lang=" + lang + "&scenario=client-closes-first&numbering=symbolic")
				if v := eval[string](p, `document.querySelector('input[name="numbering"]:checked').value`); v != "symbolic" {
					t.Errorf("?numbering=symbolic checks %q", v)
				}
				p.playToEnd()
				p.waitFor(fmt.Sprintf(`%s.length === %d`, labelsJS, len(textbookClose)), stepTimeout, "every segment drawn")
				if got := eval[[]string](p, labelsJS); strings.Join(got, "|") != strings.Join(textbookClose, "|") {
					t.Errorf("the diagram writes\n%q\nwant\n%q", got, textbookClose)
				}
				// The event list (its rows in view) reads as the diagram does.
				rows := eval[[]string](p, `[...document.querySelectorAll('#events button[data-index]')].map((b) => b.textContent)`)
				seen := 0
				for _, row := range rows {
					if !strings.Contains(row, "seq=") {
						continue
					}
					seen++
					if !slices.ContainsFunc(textbookClose, func(l string) bool { return strings.Contains(row, ": "+l) || strings.Contains(row, "："+l) }) {
						t.Errorf("the event list writes %q, which is none of the diagram's labels", row)
					}
					if strings.Contains(row, "len=0") {
						t.Errorf("the event list writes len=0: %q", row)
					}
				}
				if seen == 0 {
					t.Errorf("no segment among the event list's rows %q", rows)
				}
				// The textbook's bits.
				p.useOption("flag-bits", sc.touch)
				p.waitFor(labelsJS+`[1] === 'SYN=1, ACK=1, seq=y, ack=x+1'`, stepTimeout, "the bit style")
			})
		}
	}
	t.Run("embed", func(t *testing.T) {
		for _, lang := range []string{"en", "zh"} {
			p := screens[0].open(t)
			p.do(chromedp.Navigate(app.URL + "/embed/client-closes-first?lang=" + lang + "&numbering=symbolic&flags=bits&autoplay=1&speed=max"))
			p.waitDone(30 * time.Second)
			// The end of the run is in view.
			p.waitFor(labelsJS+`.includes('ACK=1, seq=u+1, ack=w+1')`, stepTimeout, "the last ACK in the textbook's bits")
			// And the start, stepped to from the beginning.
			p.do(chromedp.Click(chromedp.ID("reset")))
			p.waitFor(progressNJS+` === 0`, stepTimeout, "the reset")
			p.do(chromedp.Click(chromedp.ID("step")))
			p.waitFor(labelsJS+`[0] === 'SYN=1, seq=x'`, stepTimeout, "the SYN in the textbook's bits")
		}
	})
	t.Run("lesson", func(t *testing.T) {
		p := screens[0].open(t)
		p.do(chromedp.Navigate(app.URL + "/learn/three-way-handshake?numbering=symbolic"))
		p.learnReady("the lesson to load")
		// On through the lesson, answering its questions (any answer
		// lets it go on), until a segment is drawn.
		for range 12 {
			if eval[bool](p, labelsJS+`.length > 0`) {
				break
			}
			answered := eval[bool](p, `(() => {
				const form = [...document.querySelectorAll('[data-answer-form]')].find((f) => !f.hidden && f.offsetParent !== null && !f.closest('[data-kind="question"]')?.dataset.answered);
				if (!form) return false;
				const choice = form.querySelector('input[type="radio"]');
				if (choice) choice.checked = true;
				const sel = form.querySelector('select');
				if (sel) sel.selectedIndex = 1;
				const num = form.querySelector('input[name="answer"]');
				if (num) num.value = '1';
				form.querySelector('button.check').click();
				return true;
			})()`)
			if answered {
				p.learnReady("the answer")
				continue
			}
			p.learnNext()
		}
		p.waitFor(labelsJS+`.length > 0`, 10*time.Second, "a segment in the lesson")
		if got := eval[string](p, labelsJS+`[0]`); got != "SYN seq=x" {
			t.Errorf("the lesson's first segment reads %q, want SYN seq=x", got)
		}
	})
}

// TestTimersHidden opens a run with a retransmission with ?timers=0: the
// diagram draws no timer and the event list has no timer set or cancelled
// (the expiry that explains the retransmission stays); the check box
// brings them back.
func TestTimersHidden(t *testing.T) {
	for _, sc := range screens {
		for _, lang := range []string{"en", "zh"} {
			t.Run(sc.name+" "+lang, func(t *testing.T) {
				evs := paceTrace(t, "syn-lost")
				bookkeeping := 0
				for _, e := range evs {
					if e.Kind == "timer" && e.Action != "fire" {
						bookkeeping++
					}
				}
				p := sc.open(t)
				p.open("/?lang=" + lang + "&scenario=syn-lost&timers=0")
				if eval[bool](p, `document.getElementById('show-timers').checked`) {
					t.Error("?timers=0 leaves the check box checked")
				}
				p.playToEnd()
				if n := eval[int](p, `document.querySelectorAll('#diagram [data-kind="timer"]').length`); n != 0 {
					t.Errorf("%d timers drawn with ?timers=0", n)
				}
				size := eval[int](p, `+(document.querySelector('#events li[aria-setsize]')?.getAttribute('aria-setsize') ?? -1)`)
				if size != len(evs)-bookkeeping {
					t.Errorf("the event list has %d rows, want %d (%d events less %d timers set or cancelled)", size, len(evs)-bookkeeping, len(evs), bookkeeping)
				}
				p.useOption("show-timers", sc.touch)
				p.waitFor(`document.querySelectorAll('#diagram [data-kind="timer"]').length > 0`, stepTimeout, "the timers to come back")
				p.waitFor(fmt.Sprintf(`+document.querySelector('#events li[aria-setsize]').getAttribute('aria-setsize') === %d`, len(evs)), stepTimeout, "every event in the list")
			})
		}
	}
}

// TestLanguageSwitchRewordsEverything switches the language in place and
// checks every element the page marks for rewording against the
// catalogue: no raw key (editor.link, learn.heading) is left.
func TestLanguageSwitchRewordsEverything(t *testing.T) {
	p := newPage(t)
	p.open("/?lang=en")
	for _, lang := range []string{"zh", "en"} {
		p.do(chromedp.Click(chromedp.CSS(`nav.lang a[hreflang="` + lang + `"]`)))
		p.waitFor(`document.documentElement.lang === '`+lang+`'`, 5*time.Second, "the switch")
		cat := catalogue(t, lang)
		marked := eval[[][2]string](p, `[...document.querySelectorAll('[data-i18n]')].map((e) => [e.dataset.i18n, e.textContent])`)
		if len(marked) < 20 {
			t.Fatalf("only %d elements marked for rewording", len(marked))
		}
		for _, m := range marked {
			if m[1] == m[0] || (cat[m[0]] != "" && m[1] != cat[m[0]] && !strings.Contains(cat[m[0]], "{")) {
				t.Errorf("%s: %s reads %q, want %q", lang, m[0], m[1], cat[m[0]])
			}
		}
		for _, key := range []string{"editor.link", "learn.heading"} {
			if got := eval[string](p, `document.querySelector('header [data-i18n="`+key+`"], [data-i18n="`+key+`"]').textContent`); got != cat[key] {
				t.Errorf("%s: the header's %s reads %q, want %q", lang, key, got, cat[key])
			}
		}
	}
}

// TestNotationPanels: with ?numbering=symbolic, the control-block panel and
// the segment inspector write the close's numbers with the letters the
// diagram gives them (u, w), in both languages, not as distances from the
// ISN ("x+1+6").
func TestNotationPanels(t *testing.T) {
	last := -1
	for i, ev := range getTrace(t, "client-closes-first").Events {
		if ev.Kind == "segment" {
			last = i
		}
	}
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			p := newPage(t, withViewport(1280, 800))
			p.open("/?lang=" + lang + "&scenario=client-closes-first&numbering=symbolic")
			p.playToEnd()
			sel := fmt.Sprintf(`#events button[data-index="%d"]`, last)
			p.waitFor(fmt.Sprintf(`!!document.querySelector('%s')`, sel), stepTimeout, "the last segment in the event list")
			p.do(chromedp.Click(chromedp.CSS(sel)))
			p.waitFor(`/u\+1/.test(document.getElementById('inspector').textContent) && /w\+1/.test(document.getElementById('tcb').textContent)`,
				stepTimeout, "the panels in the textbook's letters")
			for _, id := range []string{"inspector", "tcb"} {
				text := eval[string](p, `document.getElementById('`+id+`').textContent`)
				for _, want := range []string{"u+1", "w+1"} {
					if !strings.Contains(text, want) {
						t.Errorf("#%s lacks %s: %q", id, want, text)
					}
				}
				if strings.Contains(text, "x+1+") || strings.Contains(text, "y+1+") {
					t.Errorf("#%s writes the close from the ISN: %q", id, text)
				}
			}
		})
	}
}

// TestDownloadMermaidNumbering: the app's Download Mermaid writes the
// numbers as the page does: ?numbering=symbolic gives the textbook's
// letters, and choosing absolute on the page changes the link.
func TestDownloadMermaidNumbering(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			p := newPage(t)
			p.open("/?lang=" + lang + "&scenario=client-closes-first&numbering=symbolic")
			const href = `document.querySelector('#downloads a[data-download="mermaid"]').href`
			p.waitFor(href+`.includes('client-closes-first')`, stepTimeout, "the Mermaid link")
			got := eval[string](p, `fetch(`+href+`).then((r) => r.text())`)
			for _, want := range []string{"SYN seq=x len=0", "seq=y ack=x+1", "seq=v ack=u+1", "seq=u+1 ack=w+1"} {
				if !strings.Contains(got, want) {
					t.Errorf("the downloaded Mermaid has no %q:\n%s", want, got)
				}
			}
			eval[chromedp.Void](p, `document.querySelector('input[name="numbering"][value="absolute"]').click()`)
			p.waitFor(href+`.includes('numbering=absolute')`, stepTimeout, "the link to follow the page's numbering")
		})
	}
}

// useOption presses the toolbar's option id as a reader would: on a phone
// the options sit behind the "⋯" button, which is opened first.
func (p *page) useOption(id string, touch bool) {
	p.t.Helper()
	press := func(id string) {
		if touch {
			p.do(chromedp.Tap(chromedp.ID(id)))
		} else {
			p.do(chromedp.Click(chromedp.ID(id)))
		}
	}
	if eval[bool](p, `getComputedStyle(document.getElementById('settings-toggle')).display !== 'none' &&
		document.getElementById('settings-toggle').getAttribute('aria-expanded') !== 'true'`) {
		press("settings-toggle")
		p.waitFor(`document.getElementById('settings-toggle').getAttribute('aria-expanded') === 'true'`, stepTimeout, "the options to open")
	}
	press(id)
}
