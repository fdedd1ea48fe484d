package browsertest

import (
	"os"
	"testing"
	"time"
)

// phoneScreen is a 390x844 phone: mobile, portrait, touch.
var phoneScreen = ladderScreen{"390x844 phone", 390, 844, true, false}

// checkPhoneSheet: on a phone the room's question is a bottom sheet fixed
// to the bottom, at most 45% of the viewport high, that leaves the ladder's
// lifeline labels and its current segment in view above it.
func checkPhoneSheet(t *testing.T, phone *page) {
	t.Helper()
	h := eval[float64](phone, `innerHeight`)
	if pos := eval[string](phone, `getComputedStyle(document.querySelector('.room-question')).position`); pos != "fixed" {
		t.Errorf("the phone's question is position %s, want a fixed bottom sheet", pos)
	}
	// The page scrolls the ladder into the part above the sheet; wait for it.
	phone.waitFor(`(() => {
		const top = document.querySelector('.room-question').getBoundingClientRect().top;
		const cur = document.querySelector('#diagram .is-current')?.getBoundingClientRect();
		return cur && cur.bottom <= top + 1 && cur.top >= 0;
	})()`, 5*time.Second, "the current segment above the question sheet")
	sheet := phone.rect(".room-question")
	t.Logf("phone: sheet %+v, ladder %+v, current segment %+v", sheet, phone.rect("#diagram"), phone.rect("#diagram .is-current"))
	if sheet.Bottom > h+1 || sheet.Bottom < h-1 || sheet.Height > h*0.45+1 {
		t.Errorf("phone: the question sheet at %+v in a viewport %v high, want at the bottom and at most 45%% of it", sheet, h)
	}
	// Nothing else (the sticky toolbar) covers what is meant to show.
	for _, sel := range []string{"#diagram .head-name", "#diagram .is-current"} {
		if got := eval[string](phone, coverScript(sel)); got != "" {
			t.Errorf("phone: %s hidden: %s", sel, got)
		}
	}
	// The handle collapses the sheet to its bar and opens it again.
	toggle := `.room-question [data-room-sheet-toggle]`
	if got := eval[string](phone, `document.querySelector('`+toggle+`')?.getAttribute('aria-expanded') ?? 'none'`); got != "true" {
		t.Errorf("the sheet's handle is aria-expanded=%s, want true", got)
	}
	phone.click(toggle)
	phone.waitFor(`document.querySelector('`+toggle+`')?.getAttribute('aria-expanded') === 'false'`, 5*time.Second, "the sheet to collapse")
	if r := phone.rect(".room-question"); r.Height > h*0.15 || r.Bottom < h-1 {
		t.Errorf("phone: the collapsed sheet at %+v, want a bar at the bottom", r)
	}
	if eval[bool](phone, `document.querySelector('.room-choice')?.checkVisibility() ?? false`) {
		t.Error("phone: the collapsed sheet still shows its choices")
	}
	phone.click(toggle)
	phone.waitFor(`document.querySelector('`+toggle+`')?.getAttribute('aria-expanded') === 'true' && document.querySelector('.room-choice')?.checkVisibility()`, 5*time.Second, "the sheet to open again")
}

// coverScript lists the elements matching sel that are not in view above
// the question sheet, or under something other than the diagram.
func coverScript(sel string) string {
	return `(() => {
		const sheet = document.querySelector('.room-question').getBoundingClientRect();
		const out = [];
		const all = document.querySelectorAll(` + "`" + sel + "`" + `);
		if (all.length === 0) return 'none found';
		for (const e of all) {
			const r = e.getBoundingClientRect();
			const where = e.textContent + ' at ' + Math.round(r.top) + '..' + Math.round(r.bottom) + ', sheet from ' + Math.round(sheet.top);
			if (r.top < 0 || r.bottom > sheet.top + 1) { out.push(where); continue; }
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			if (!hit || !hit.closest('#diagram')) out.push(where + ' under ' + (hit?.tagName ?? 'nothing') + '.' + (hit?.className?.baseVal ?? hit?.className ?? ''));
		}
		return out.join('; ');
	})()`
}

// TestPhoneQuestionSheet: a viewer on a phone (touch) answers a question as
// a bottom sheet with the ladder still in view, in English and Chinese.
func TestPhoneQuestionSheet(t *testing.T) {
	axe, _ := os.ReadFile(axePath)
	for _, lang := range []string{"en", "zh"} {
		t.Run(lang, func(t *testing.T) {
			presenter := newPageWithin(t, classroomTimeout, withViewport(1366, 768))
			presenter.open("/?scenario=client-closes-first&lang=" + lang + "&step=event")
			code := presenter.openRoom()
			presenter.stepTo(6)
			phone := newPageWithin(t, classroomTimeout, withScreen(phoneScreen))
			phone.open("/?room=" + code + "&lang=" + lang)
			phone.progressIs(6, "the history")
			presenter.askFIN(false)
			phone.waitFor(`document.querySelectorAll('.room-choice').length === 2`, 10*time.Second, "the question")
			checkPhoneSheet(t, phone)
			if len(axe) > 0 {
				for _, v := range phone.axe(string(axe)) {
					t.Errorf("%s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
				}
			}
			phone.click(`.room-choice[data-choice="1"]`)
			presenter.waitFor(`document.querySelector('[data-room-total]')?.dataset.roomTotal === '1'`, 10*time.Second, "the phone's answer")
		})
	}
}
