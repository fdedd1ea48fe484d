package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axePath is axe-core as tools/axe pins it (npm ci --prefix tools/axe).
var axePath = filepath.Join("..", "tools", "axe", "node_modules", "axe-core", "axe.min.js")

// axeTags are the rule sets the pages must pass: WCAG 2.0, 2.1 and 2.2,
// levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axe runs axe-core on the page as it is now and returns its violations.
func (p *page) axe(source string) []axeViolation {
	p.t.Helper()
	if !eval[bool](p, `typeof window.axe === 'object'`) {
		eval[chromedp.Void](p, source+"\n;undefined")
	}
	tags := `['` + strings.Join(axeTags, `','`) + `']`
	return eval[[]axeViolation](p, `(async () => {
		const r = await axe.run(document, {runOnly: {type: 'tag', values: `+tags+`}, resultTypes: ['violations']});
		return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary}))}));
	})()`)
}

// playToEnd plays the loaded scenario at the fastest speed to its end.
func (p *page) playToEnd() {
	p.t.Helper()
	p.setSpeed("max")
	p.do(chromedp.Click(chromedp.ID("play")))
	p.waitDone(30 * time.Second)
}

// setTheme presses the theme button until the page has theme (light or
// dark).
func (p *page) setTheme(theme string) {
	p.t.Helper()
	for range 3 {
		if eval[string](p, `document.documentElement.dataset.theme ?? ''`) == theme {
			p.waitIdle()
			return
		}
		p.do(chromedp.Click(chromedp.ID("theme")))
	}
	p.t.Fatalf("the theme button never chose %s", theme)
}

// TestAccessibility runs axe-core's WCAG 2.2 A and AA rules on every page,
// as loaded and after playing a scenario, in both languages, in the dark
// theme, in projector mode, and with the shortcuts dialog open.
func TestAccessibility(t *testing.T) {
	src, err := os.ReadFile(axePath)
	if err != nil {
		t.Skipf("axe-core is not installed (npm ci --prefix tools/axe): %v", err)
	}
	source := string(src)
	played := func(p *page) { p.playToEnd() }
	cases := []struct {
		name, path string
		setup      func(p *page)
	}{
		{"app loaded", "/", nil},
		{"app stepped by segment zh", "/?lang=zh", func(p *page) {
			p.do(chromedp.Click(chromedp.ID("step")), chromedp.Click(chromedp.ID("step")))
			p.waitFor(`document.querySelectorAll('#diagram [data-kind="segment"]').length >= 2`, 5*time.Second, "two segments")
		}},
		{"app textbook notation, timers hidden", "/?scenario=client-closes-first&numbering=symbolic&flags=bits&timers=0", played},
		{"app played", "/?scenario=client-closes-first", played},
		{"app zh played", "/?lang=zh&scenario=client-closes-first", played},
		{"app segment selected", "/?scenario=fin-lost", func(p *page) {
			p.playToEnd()
			// The lost FIN, clicked in the diagram: the inspector and the
			// explanation show it.
			eval[chromedp.Void](p, `document.querySelector('#diagram [data-kind="segment"].seg--lost').dispatchEvent(new MouseEvent('click', {bubbles: true}))`)
			p.waitFor(`document.querySelector('#inspector table') !== null`, 5*time.Second, "the inspector to show the segment")
		}},
		{"app sandbox", "/?scenario=sandbox", func(p *page) {
			p.do(chromedp.Click(chromedp.CSS(`#sandbox button[data-endpoint="server"][data-call="listen"]`)))
			p.waitFor(`document.querySelector('#diagram [data-kind="state"][data-state="LISTEN"]') !== null`, 10*time.Second, "the server to listen")
		}},
		{"app dark", "/?scenario=syn-lost", func(p *page) {
			p.setTheme("dark")
			p.playToEnd()
		}},
		{"app light", "/?scenario=syn-lost", func(p *page) {
			p.setTheme("light")
			p.playToEnd()
		}},
		{"app projector", "/?scenario=client-closes-first", func(p *page) {
			p.do(chromedp.Click(chromedp.ID("projector")))
			p.waitFor(`document.documentElement.classList.contains('projector')`, 5*time.Second, "projector mode")
			p.playToEnd()
		}},
		{"app projector dark", "/?scenario=client-closes-first", func(p *page) {
			p.do(chromedp.Click(chromedp.ID("projector")))
			p.setTheme("dark")
			p.playToEnd()
		}},
		{"app help", "/", func(p *page) {
			p.do(chromedp.Click(chromedp.ID("help-open")))
			p.waitFor(`document.getElementById('help').open`, 5*time.Second, "the shortcuts dialog")
		}},
		{"embed loaded", "/embed/client-closes-first", nil},
		{"embed played", "/embed/client-closes-first?autoplay=1&speed=max", func(p *page) {
			p.waitDone(30 * time.Second)
			p.do(chromedp.Click(chromedp.ID("events-toggle")))
			p.waitIdle()
		}},
		{"embed zh dark", "/embed/fin-lost?lang=zh&autoplay=1&speed=max", func(p *page) {
			p.waitDone(30 * time.Second)
			eval[chromedp.Void](p, `document.documentElement.dataset.theme = 'dark'`)
			p.waitIdle()
		}},
		{"scenarios", "/scenarios", nil},
		{"scenarios zh", "/scenarios?lang=zh", nil},
		{"embed not found", "/embed/no-such-scenario", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPage(t, allowConsoleError("404 (Not Found)"))
			p.do(chromedp.Navigate(app.URL + c.path))
			if strings.HasPrefix(c.path, "/?") || c.path == "/" || strings.HasPrefix(c.path, "/embed/client") || strings.HasPrefix(c.path, "/embed/fin") {
				p.waitReady()
			}
			if c.setup != nil {
				c.setup(p)
			}
			vs := p.axe(source)
			for _, v := range vs {
				var b strings.Builder
				fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
				for i, n := range v.Nodes {
					if i == 5 {
						fmt.Fprintf(&b, "\n    … and %d more", len(v.Nodes)-5)
						break
					}
					fmt.Fprintf(&b, "\n    %v\n      %s", n.Target, strings.ReplaceAll(n.Summary, "\n", "\n      "))
				}
				t.Error(b.String())
			}
		})
	}
}
