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
	}{
		{"app-en.png", "/?scenario=client-closes-first", 1400, 1000, nil, false},
		{"app-zh.png", "/?lang=zh&scenario=client-closes-first", 1400, 1000, nil, false},
		{"app-dark.png", "/?scenario=fin-lost", 1400, 1000, func(p *page) { p.setTheme("dark") }, false},
		{"projector.png", "/?scenario=client-closes-first", 1400, 1000, func(p *page) {
			p.do(chromedp.Click(chromedp.ID("projector")))
			p.waitFor(`document.documentElement.classList.contains('projector')`, stepTimeout, "projector mode")
		}, false},
		{"embed.png", "/embed/client-closes-first", 900, 640, nil, true},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			p := newPage(t, withViewport(c.w, c.h))
			p.open(c.path)
			if c.setup != nil {
				c.setup(p)
			}
			p.playToEnd()
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
