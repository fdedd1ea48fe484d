package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageWeightBudget is the budget for a first load: every response
// the page needs (HTML, CSS, scripts, catalogues), as compressed on the wire.
const pageWeightBudget = 100_000

// TestPageWeight loads each page into a fresh profile (nothing cached) and
// adds up the compressed bodies of every response it took, as the browser's
// Resource Timing reports them (encodedBodySize).
func TestPageWeight(t *testing.T) {
	for _, c := range []struct {
		path  string
		ready string
	}{
		{"/?lang=en", `document.querySelector('#diagram .ladder-svg') !== null`},
		{"/?lang=zh", `document.querySelector('#diagram .ladder-svg') !== null`},
		{"/embed/client-closes-first", `document.querySelector('.ladder-svg') !== null`},
		{"/learn/three-way-handshake", `document.querySelector('[data-kind="question"]') !== null`},
	} {
		t.Run(c.path, func(t *testing.T) {
			p := newPage(t)
			p.do(chromedp.Navigate(app.URL + c.path))
			p.waitFor(c.ready, 15*time.Second, "the page to load")
			p.waitFor(`document.readyState === 'complete'`, 15*time.Second, "the load to finish")
			type weight struct {
				Bytes    int `json:"bytes"`
				Requests int `json:"requests"`
			}
			w := eval[weight](p, `(() => {
				const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
				return {bytes: entries.reduce((n, e) => n + e.encodedBodySize, 0), requests: entries.length};
			})()`)
			t.Logf("%s: %d requests, %d bytes compressed (budget %d)", c.path, w.Requests, w.Bytes, pageWeightBudget)
			if w.Requests < 3 || w.Bytes < 10_000 {
				t.Fatalf("%d requests of %d bytes: the page did not load its parts", w.Requests, w.Bytes)
			}
			if w.Bytes > pageWeightBudget {
				t.Errorf("%s weighs %d bytes compressed, over the %d budget", c.path, w.Bytes, pageWeightBudget)
			}
		})
	}
}
