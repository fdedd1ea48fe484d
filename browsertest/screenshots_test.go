package browsertest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

var screenshots = flag.Bool("screenshots", false, "write the README's screenshots to docs/screenshots (also SYNACK_SCREENSHOTS=1)")

// TestScreenshots writes the README's screenshots to docs/screenshots, at
// 1× so that each stays small. It runs only when asked:
//
//	go test ./browsertest/ -run TestScreenshots -screenshots
//	SYNACK_SCREENSHOTS=1 go test ./browsertest/ -run TestScreenshots
func TestScreenshots(t *testing.T) {
	if !*screenshots && os.Getenv("SYNACK_SCREENSHOTS") != "1" {
		t.Skip("screenshots are written only with -screenshots or SYNACK_SCREENSHOTS=1")
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file, path string
		w, h       int64
		setup      func(p *page)
		// fit crops the height to the page's (the embed is as high as
		// its content; a course page sizes its frame so).
		fit bool
		// glance leaves the run unplayed: the whole ladder as it first
		// paints; phone emulates a mobile device with touch.
		glance, phone bool
	}{
		{"app-en.png", "/?scenario=client-closes-first", 1400, 1000, nil, false, false, false},
		{"app-zh.png", "/?lang=zh&scenario=client-closes-first", 1400, 1000, nil, false, false, false},
		{"app-dark.png", "/?scenario=fin-lost", 1400, 1000, func(p *page) { p.setTheme("dark") }, false, false, false},
		{"projector.png", "/?scenario=client-closes-first", 1400, 1000, func(p *page) {
			p.do(chromedp.Click(chromedp.ID("projector")))
			p.waitFor(`document.documentElement.classList.contains('projector')`, stepTimeout, "projector mode")
		}, false, false, false},
		{"embed.png", "/embed/client-closes-first", 900, 640, nil, true, false, false},
		// The whole ladder at a glance, on the three ladderScreens of issue 7.
		{"glance-1280x800-en.png", "/embed/client-closes-first", 1280, 800, nil, false, true, false},
		{"glance-1280x800-zh.png", "/embed/client-closes-first?lang=zh", 1280, 800, nil, false, true, false},
		{"glance-1920x1080-en.png", "/?scenario=client-closes-first", 1920, 1080, func(p *page) { p.projectorOn() }, false, true, false},
		{"glance-1920x1080-zh.png", "/?scenario=client-closes-first&lang=zh", 1920, 1080, func(p *page) { p.projectorOn() }, false, true, false},
		{"glance-390x844-en.png", "/embed/client-closes-first", 390, 844, nil, false, true, true},
		{"glance-390x844-zh.png", "/?scenario=client-closes-first&lang=zh", 390, 844, nil, false, true, true},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := newPage(t, withScreen(ladderScreen{w: c.w, h: c.h, phone: c.phone}))
			p.open(c.path)
			if c.setup != nil {
				c.setup(p)
			}
			if !c.glance {
				p.playToEnd()
			}
			// The reader's eye is on the end of the run: no focus ring, the
			// pointer away.
			eval[chromedp.Void](p, `document.activeElement?.blur()`)
			p.waitIdle()
			if c.fit {
				h := eval[int64](p, `Math.ceil(document.documentElement.getBoundingClientRect().height)`)
				p.do(chromedp.EmulateViewport(c.w, h))
				p.waitIdle()
			}
			png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, c.file)
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d KB", file, len(png)/1024)
			if len(png) > 400<<10 {
				t.Errorf("%s is %d KB, more than 400 KB", file, len(png)>>10)
			}
		})
	}
}
