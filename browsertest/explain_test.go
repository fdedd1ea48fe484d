package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestExplainCites checks that the explanation panel cites from the
// engine's vocabulary (GET /api/vocabulary): a challenge ACK cites RFC 5961
// section 3.2, a loss probe Linux's tcp_send_loss_probe.
func TestExplainCites(t *testing.T) {
	for _, tc := range []struct {
		scenario, reason, href string
	}{
		{"challenge-ack-rst", "challenge-ack", "https://www.rfc-editor.org/rfc/rfc5961#section-3.2"},
		{"fin-lost", "loss-probe", "https://elixir.bootlin.com/linux/v6.18/A/ident/tcp_send_loss_probe"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			resp, err := http.Get(app.URL + "/api/scenarios/" + tc.scenario + "/trace")
			if err != nil {
				t.Fatal(err)
			}
			var tr struct {
				Events []struct {
					Reason string `json:"reason"`
				} `json:"events"`
			}
			err = json.NewDecoder(resp.Body).Decode(&tr)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(tr.Events, func(e struct {
				Reason string `json:"reason"`
			}) bool {
				return e.Reason == tc.reason
			})
			if i < 0 {
				t.Fatalf("%s has no event with reason %s", tc.scenario, tc.reason)
			}
			p := newPage(t)
			p.open("/?scenario=" + tc.scenario)
			p.setSpeed("max")
			p.do(chromedp.Click(chromedp.ID("play")))
			p.waitDone(30 * time.Second)
			sel := fmt.Sprintf(`#events button[data-index="%d"]`, i)
			// The list draws only the rows in view: scroll to the row.
			eval[chromedp.Void](p, fmt.Sprintf(`(() => {
				const sc = document.querySelector('#events .ev-scroll');
				const h = document.querySelector('#events .ev-probe li').getBoundingClientRect().height || 32;
				sc.scrollTop = %d * h;
				sc.dispatchEvent(new Event('scroll'));
			})()`, i))
			p.waitFor(fmt.Sprintf(`document.querySelector(%q) !== null`, sel), 10*time.Second, "event "+fmt.Sprint(i+1)+" in the list")
			eval[chromedp.Void](p, fmt.Sprintf(`document.querySelector(%q).click()`, sel))
			p.waitFor(fmt.Sprintf(`[...document.querySelectorAll('#explain a')].some((a) => a.href === %q)`, tc.href),
				10*time.Second, "the explanation to cite "+tc.href)
		})
	}
}
