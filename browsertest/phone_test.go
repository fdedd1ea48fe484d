package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneFitPaths are the pages a student opens on a phone: the app and the
// embed, for the run whose labels crowd most at 390 px (both ends send
// SYN, ACK at once) and for the default close.
var phoneFitPaths = []string{
	"/embed/simultaneous-open",
	"/?scenario=simultaneous-open",
	"/embed/client-closes-first",
	"/?scenario=client-closes-first",
}

// TestPhoneFit: on a 390x844 phone, in both languages, nothing scrolls
// sideways (neither the page nor the row of controls), no control is cut by
// the window's sides, the controls take one row above the ladder, and every
// segment's label is shown, at 11 px or more, inside the window, none on top
// of another. The "⋯" button opens the secondary options (speed; on the app
// page numbering and timers) inside the window, and Escape closes them.
// With SYNACK_PHONE_SHOTS=dir it leaves a screenshot of each page there.
func TestPhoneFit(t *testing.T) {
	shots := os.Getenv("SYNACK_PHONE_SHOTS")
	for _, lang := range []string{"en", "zh"} {
		for _, path := range phoneFitPaths {
			t.Run(lang+" "+path, func(t *testing.T) {
				p := newPage(t, withScreen(ladderScreens[2]))
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				p.open(path + sep + "lang=" + lang)
				p.waitIdle()
				v := p.ladderView()
				if v.Segments == 0 {
					t.Fatal("no segments drawn")
				}
				if v.OverflowX > 0 || len(v.TextOutside) > 0 {
					t.Errorf("the page is %.0f px too wide; text cut at the sides: %q", v.OverflowX, v.TextOutside)
				}
				if v.ToolbarWide > 0 || len(v.CutControls) > 0 {
					t.Errorf("the controls need %.0f px more than the row has; cut at the sides: %q", v.ToolbarWide, v.CutControls)
				}
				if v.ToolbarRows != 1 || v.ToolbarOver {
					t.Errorf("the controls take %d rows (over the ladder: %v)", v.ToolbarRows, v.ToolbarOver)
				}
				if len(v.LabelsGone) > 0 {
					t.Errorf("segments %q show no label", v.LabelsGone)
				}
				if len(v.Overlaps) > 0 {
					t.Errorf("texts on top of each other: %q", v.Overlaps)
				}
				if v.MinFont < 11 {
					t.Errorf("text of %.1f px", v.MinFont)
				}
				if v.Lifelines != 2 {
					t.Errorf("%d lifelines in the window", v.Lifelines)
				}
				// The first segment starts below the controls.
				if over := eval[bool](p, `(() => {
					const tb = document.querySelector('.toolbar').getBoundingClientRect();
					const s = document.querySelector('#diagram [data-kind="segment"] .seg-hit').getBoundingClientRect();
					return tb.bottom > s.top + 1;
				})()`); over {
					t.Error("the controls cover the ladder's first segment")
				}
				if shots != "" {
					p.shot(filepath.Join(shots, fmt.Sprintf("phone-%s-%s.png", lang, strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(path))))
				}

				// While a segment is in flight the app's Drop button joins the row.
				if strings.HasPrefix(path, "/?") {
					p.do(chromedp.Click(chromedp.ID("play")))
					p.waitFor(`!document.getElementById('drop').hidden`, stepTimeout, "a segment in flight")
					w := p.ladderView()
					p.do(chromedp.Click(chromedp.ID("play")))
					if w.ToolbarWide > 0 || len(w.CutControls) > 0 || w.ToolbarRows != 1 {
						t.Errorf("with Drop shown the controls take %d rows, need %.0f px more than the row has; cut: %q", w.ToolbarRows, w.ToolbarWide, w.CutControls)
					}
				}

				// The secondary options, behind "⋯".
				if eval[bool](p, `getComputedStyle(document.getElementById('speed')).display !== 'none' && document.getElementById('speed').getBoundingClientRect().width > 0`) {
					t.Error("the speed control takes room in the phone's row of controls")
				}
				p.do(chromedp.Click(chromedp.ID("settings-toggle")))
				p.waitFor(`document.getElementById('speed').getBoundingClientRect().width > 0`, stepTimeout, "the speed control behind ⋯")
				cut := eval[[]string](p, `(() => {
					const vw = document.documentElement.clientWidth;
					return [...document.querySelectorAll('#settings select, #settings input, #settings label, #settings legend')]
						.filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < -0.5 || r.right > vw + 0.5 || r.bottom > innerHeight); })
						.map((e) => e.id || e.textContent.trim());
				})()`)
				if len(cut) > 0 {
					t.Errorf("settings cut by the window: %q", cut)
				}
				if w := eval[float64](p, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
					t.Errorf("with the settings open the page is %.0f px too wide", w)
				}
				if shots != "" {
					p.shot(filepath.Join(shots, fmt.Sprintf("phone-%s-%s-settings.png", lang, strings.NewReplacer("/", "_", "?", "_", "=", "_").Replace(path))))
				}
				p.do(chromedp.KeyEvent("\x1b"))
				p.waitFor(`document.getElementById('settings-toggle').getAttribute('aria-expanded') === 'false' &&
					document.getElementById('speed').getBoundingClientRect().width === 0`, stepTimeout, "Escape to close the settings")
			})
		}
	}
}

// shot writes a screenshot of the window to file.
func (p *page) shot(file string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// TestPhoneLesson: a lesson on a 390x844 phone, in both languages, does not
// scroll sideways and cuts no text at the window's sides.
func TestPhoneLesson(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			p := newPage(t, withScreen(ladderScreens[2]))
			p.open("/learn/three-way-handshake?lang=" + lang)
			p.waitIdle()
			type fit struct {
				OverflowX float64  `json:"overflowX"`
				Cut       []string `json:"cut"`
			}
			f := eval[fit](p, `(() => {
				const vw = document.documentElement.clientWidth;
				const cut = [...document.querySelectorAll('body *')].filter((e) => {
					if (e.children.length > 0 && e.tagName !== 'text') return false;
					const r = e.getBoundingClientRect();
					if (r.width === 0 || r.height === 0 || !e.textContent.trim()) return false;
					if (e.closest('.visually-hidden, .skip, [hidden]')) return false;
					return r.left < -0.5 || r.right > vw + 0.5;
				}).map((e) => e.tagName + ':' + e.textContent.trim().slice(0, 30));
				return { overflowX: document.documentElement.scrollWidth - vw, cut };
			})()`)
			if f.OverflowX > 0 || len(f.Cut) > 0 {
				t.Errorf("the lesson is %.0f px too wide; text cut at the sides: %q", f.OverflowX, f.Cut)
			}
		})
	}
}

// TestPhoneLadderInFirstScreen: on a 390x844 phone the app page's compact
// header leaves the ladder's first segment inside the first screen, before
// any scrolling, in both languages (the full header put it below 844 px in
// English).
func TestPhoneLadderInFirstScreen(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			p := newPage(t, withScreen(ladderScreens[2]))
			p.open("/?scenario=three-way-handshake&lang=" + lang)
			p.waitIdle()
			top := eval[float64](p, `document.querySelector('.ladder-svg').getBoundingClientRect().top`)
			first := p.rect(`#diagram [data-kind="segment"]`)
			h := eval[float64](p, `innerHeight`)
			t.Logf("%s: ladder at %.0f px, first segment %.0f-%.0f px, window %.0f px", lang, top, first.Top, first.Bottom, h)
			if first.Bottom > h {
				t.Errorf("the first segment ends at %.0f px, below the first screen (%.0f px)", first.Bottom, h)
			}
		})
	}
}
