package browsertest

import (
	"fmt"
	"testing"
	"time"
)

// TestRoomQRFits: the full-screen QR code is whole on a projector and a
// laptop, in both languages: its square (the finder patterns students'
// phones look for) lies inside the window, and nothing scrolls it away.
func TestRoomQRFits(t *testing.T) {
	for _, size := range [][2]int{{1366, 768}, {1920, 1080}, {1280, 800}} {
		for _, lang := range []string{"en", "zh"} {
			t.Run(fmt.Sprintf("%dx%d-%s", size[0], size[1], lang), func(t *testing.T) {
				p := newPageWithin(t, classroomTimeout, withViewport(int64(size[0]), int64(size[1])))
				p.open("/?scenario=client-closes-first&lang=" + lang)
				p.openRoom()
				p.click("[data-room-qr-open]")
				p.waitFor(`document.querySelector('dialog[data-room-qr-full][open] img')?.naturalWidth > 100`, 10*time.Second, "the full-screen QR code")
				// The square drawn: object-fit contain centres it in the image's box.
				q := eval[rect](p, `(() => { const i = document.querySelector('dialog[data-room-qr-full] img').getBoundingClientRect();
					const s = Math.min(i.width, i.height);
					return {top: i.top + (i.height - s) / 2, bottom: i.top + (i.height + s) / 2, left: i.left + (i.width - s) / 2, right: i.left + (i.width + s) / 2, width: s, height: s}; })()`)
				h, w := eval[float64](p, `innerHeight`), eval[float64](p, `innerWidth`)
				if q.Top < 0 || q.Bottom > h || q.Left < 0 || q.Right > w {
					t.Errorf("the QR square is at %+v in a %vx%v window", q, w, h)
				}
				if min := h / 2; q.Height < min {
					t.Errorf("the QR square is %v px, want at least half the window's height (%v)", q.Height, min)
				}
				for _, sel := range []string{"dialog[data-room-qr-full] .room-code", "[data-room-qr-close]"} {
					if r := p.rect(sel); r.Top < 0 || r.Bottom > h {
						t.Errorf("%s is at %+v in a window %v high", sel, r, h)
					}
				}
			})
		}
	}
}

// TestRoomSheetLeavesHeader: the presenter's open room sheet starts below
// the page's header and playback controls, so the language, theme and
// projector buttons and the notation stay within reach while the room is
// open.
func TestRoomSheetLeavesHeader(t *testing.T) {
	for _, size := range [][2]int{{1366, 768}, {1280, 800}, {1920, 1080}} {
		for _, lang := range []string{"en", "zh"} {
			t.Run(fmt.Sprintf("%dx%d-%s", size[0], size[1], lang), func(t *testing.T) {
				p := newPageWithin(t, classroomTimeout, withViewport(int64(size[0]), int64(size[1])))
				p.open("/?scenario=client-closes-first&lang=" + lang)
				p.openRoom()
				p.waitIdle()
				covered := eval[[]string](p, `(() => {
					const s = document.getElementById('room').getBoundingClientRect();
					return [...document.querySelectorAll(':is(header.top, .toolbar) :is(a, button, select, input, label)')].filter((e) => {
						const r = e.getBoundingClientRect();
						return r.width > 0 && r.left < s.right && r.right > s.left && r.top < s.bottom && r.bottom > s.top;
					}).map((e) => e.id || e.textContent.trim() || e.outerHTML.slice(0, 60));
				})()`)
				if len(covered) > 0 {
					t.Errorf("the room sheet covers the header's or the controls' %q", covered)
				}
			})
		}
	}
}
