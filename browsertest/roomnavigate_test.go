package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPresenterOpensAnotherScenario: a presenter whose tab holds a room and
// goes to another scenario's address shows that scenario's ladder, not the
// room's old run under the new title, and the room's viewer follows; a
// reload keeps the room where it was.
func TestPresenterOpensAnotherScenario(t *testing.T) {
	presenter := newPageWithin(t, classroomTimeout, withViewport(1366, 768))
	presenter.open("/?scenario=syn-lost&lang=en")
	code := presenter.openRoom()
	viewer := newPageWithin(t, classroomTimeout, withViewport(1366, 768))
	viewer.do(chromedp.Navigate(app.URL + "/?room=" + code + "&lang=en"))
	viewer.waitFor(`document.querySelector('#diagram .ladder-svg') !== null`, 15*time.Second, "the viewer's ladder")

	presenter.open("/?scenario=client-closes-first&lang=en")
	presenter.waitFor(`document.querySelector('[data-room-code]')?.dataset.roomCode === '`+code+`'`, 15*time.Second, "the room to be taken back")
	isCCF := `document.querySelector('#diagram [data-kind="segment"][data-flags="ACK,FIN"]') !== null`
	presenter.waitFor(isCCF, 15*time.Second, "client-closes-first's ladder on the presenter's page")
	// The viewer's ladder grows as the presenter plays (room viewers reveal
	// progressively): played to the end, it is client-closes-first's.
	presenter.playToEnd()
	viewer.waitFor(isCCF, 15*time.Second, "client-closes-first's ladder on the viewer's page")

	presenter.do(chromedp.Reload())
	presenter.waitFor(`document.querySelector('[data-room-code]')?.dataset.roomCode === '`+code+`'`, 15*time.Second, "the room after a reload")
	presenter.waitFor(isCCF, 15*time.Second, "client-closes-first's ladder after the reload")
}
