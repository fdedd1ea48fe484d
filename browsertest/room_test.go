package browsertest

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/lessons"
)

// roomView is what a page of a room shows of the run.
type roomView struct {
	Progress int    `json:"progress"`
	Explain  string `json:"explain"`
	Title    string `json:"title"`
}

func (p *page) roomView() roomView {
	p.t.Helper()
	return eval[roomView](p, `({
		progress: parseInt(document.getElementById('progress').textContent.match(/\d+/)?.[0] ?? '-1', 10),
		explain: document.getElementById('explain')?.textContent ?? '',
		title: document.getElementById('diagram-h')?.textContent ?? '',
	})`)
}

// click clicks the element selector finds, through the page's script.
// openRoom presses "Present to a class" and returns the room's code once
// the panel shows it.
func (p *page) openRoom() string {
	p.t.Helper()
	p.click("#room-open")
	p.waitFor(`document.querySelector('[data-room-code]') !== null`, 10*time.Second, "the room to open")
	return eval[string](p, `document.querySelector('[data-room-code]').dataset.roomCode`)
}

// askFIN has the presenter write and pose the question "Who sends the
// first FIN?", its answer marked when marked is set.
func (p *page) askFIN(marked bool) {
	p.t.Helper()
	p.click("[data-room-compose]")
	eval[chromedp.Void](p, fmt.Sprintf(`(() => {
		const f = document.querySelector('.room-compose');
		f.querySelector('#room-prompt').value = 'Who sends the first FIN?';
		f.querySelector('[name=option0]').value = 'the server';
		f.querySelector('[name=option1]').value = 'the client';
		f.querySelector('#room-correct-1').checked = %t;
		f.requestSubmit();
	})()`, marked))
}

func (p *page) click(selector string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`document.querySelector(%q).click()`, selector))
}

// sameView checks that viewer shows what presenter shows: as many events,
// the same last event explained, and the same diagram (every segment and
// state label, collected over a scroll through it).
func sameView(t *testing.T, name string, presenter, viewer *page) {
	t.Helper()
	want, got := presenter.roomView(), viewer.roomView()
	if got != want {
		t.Errorf("%s shows %+v, the presenter %+v", name, got, want)
	}
	dp, dv := collect(presenter), collect(viewer)
	if !maps.Equal(dv.Segments, dp.Segments) || !maps.Equal(dv.States, dp.States) {
		t.Errorf("%s draws segments %v and states %v; the presenter %v and %v", name, dv.Segments, dv.States, dp.Segments, dp.States)
	}
	if len(dp.Segments) == 0 {
		t.Errorf("the presenter draws no segment")
	}
}

// TestRoom: a presenter shares a session; two viewers in browser contexts
// of their own follow it step by step, a late joiner gets the history, the
// room answers a written question and one of a lesson's (posed with the
// keyboard through the presenter's picker), and the viewers learn when the
// room ends.
func TestRoom(t *testing.T) {
	presenter := newPage(t)
	presenter.open("/?step=event&scenario=client-closes-first&lang=en") // one event a step
	code := presenter.openRoom()
	if len(code) != 6 {
		t.Fatalf("room code %q", code)
	}
	if href := eval[string](presenter, `document.querySelector('[data-room-link]').href`); !strings.HasSuffix(href, "/?room="+code) {
		t.Errorf("room link %q", href)
	}
	presenter.waitFor(`document.querySelector('.room-qr').complete && document.querySelector('.room-qr').naturalWidth > 100`,
		10*time.Second, "the QR code to load")
	presenter.stepTo(3)

	viewers := []*page{newPage(t), newPage(t)}
	for _, v := range viewers {
		v.open("/?room=" + strings.ToLower(code))
		v.waitFor(`document.getElementById('progress').textContent.includes('3')`, 10*time.Second, "the history")
		banner := eval[string](v, `document.querySelector('[data-room-banner]').textContent`)
		if !strings.Contains(banner, "Following room "+code) {
			t.Errorf("viewer's banner %q", banner)
		}
		if eval[bool](v, `document.getElementById('step').offsetParent !== null`) {
			t.Error("a viewer's page shows the Step button")
		}
	}
	presenter.waitFor(`document.querySelector('[data-room-viewers]')?.dataset.roomViewers === '2'`, 10*time.Second,
		"the presenter to count two viewers")

	// The presenter steps; the viewers follow, event by event. A viewer's
	// keys drive nothing.
	viewers[0].keys("j")
	for n := 4; n <= 12; n++ {
		presenter.stepTo(n)
		for _, v := range viewers {
			v.waitFor(fmt.Sprintf(`document.getElementById('progress').textContent.match(/\d+/)?.[0] === '%d'`, n),
				10*time.Second, fmt.Sprintf("event %d on a viewer", n))
		}
	}
	for i, v := range viewers {
		v.waitIdle()
		sameView(t, fmt.Sprintf("viewer %d", i), presenter, v)
	}

	// A late joiner gets the history: the same view at once.
	late := newPage(t)
	late.open("/?room=" + code)
	late.waitFor(`document.getElementById('progress').textContent.match(/\d+/)?.[0] === '12'`, 10*time.Second, "the history")
	late.waitIdle()
	sameView(t, "the late joiner", presenter, late)

	// A question: the presenter writes it, viewers answer, the presenter
	// sees the answers and reveals the right one.
	presenter.askFIN(true)
	for i, v := range append(viewers, late) {
		v.waitFor(`document.querySelectorAll('.room-choice').length === 2`, 10*time.Second, "the question")
		v.click(fmt.Sprintf(`.room-choice[data-choice="%d"]`, min(i, 1)))
	}
	presenter.waitFor(`document.querySelector('[data-room-total]')?.dataset.roomTotal === '3'`, 10*time.Second, "three answers")
	// The room panels pass the accessibility audit, with the question up.
	if src, err := os.ReadFile(axePath); err == nil {
		for name, p := range map[string]*page{"presenter": presenter, "viewer": viewers[0]} {
			for _, v := range p.axe(string(src)) {
				t.Errorf("%s: %s (%s): %s %v", name, v.ID, v.Impact, v.Help, v.Nodes)
			}
		}
	}
	presenter.click("[data-room-reveal]")
	for _, v := range append(viewers, late) {
		v.waitFor(`document.querySelector('.room-options li.is-correct')?.dataset.option === '1'`, 10*time.Second, "the answer")
	}

	// A number question: viewers type a number; a fraction is refused on
	// the page with a clear error; the presenter sees the values with
	// their counts, and the reveal shows everyone the right one.
	presenter.click("[data-room-compose]")
	eval[chromedp.Void](presenter, `(() => {
		const f = document.querySelector('.room-compose');
		f.querySelector('#room-prompt').value = 'What ack does the server send?';
		f.querySelector('[data-room-kind-number]').click();
		f.querySelector('#room-number-answer').value = '1';
		f.requestSubmit();
	})()`)
	for i, v := range append(viewers, late) {
		v.waitFor(`document.querySelector('[data-room-value]') !== null`, 10*time.Second, "the number question")
		if i == 0 {
			eval[chromedp.Void](v, `(() => {
				document.querySelector('[data-room-value]').value = '1.5';
				document.querySelector('[data-room-value-send]').click();
			})()`)
			v.waitFor(`document.querySelector('[data-room-value-error]')?.textContent === 'Type a whole number, such as 1001.'`, 10*time.Second, "the error of a fraction")
			if !eval[bool](v, `document.activeElement?.matches('[data-room-value]') ?? false`) {
				t.Error("the focus is not back on the number input after its error")
			}
		}
		eval[chromedp.Void](v, fmt.Sprintf(`(() => {
			document.querySelector('[data-room-value]').value = '%d';
			document.querySelector('[data-room-value-send]').click();
		})()`, []int{1, 1, 1001}[i]))
		v.waitFor(fmt.Sprintf(`document.querySelector('[data-room-mine]')?.dataset.roomMine === '%d'`, []int{1, 1, 1001}[i]), 10*time.Second, "the answer taken")
	}
	presenter.waitFor(`document.querySelector('[data-room-total]')?.dataset.roomTotal === '3'`, 10*time.Second, "three numbers")
	presenter.click("[data-room-peek]")
	if got := eval[[]string](presenter, `[...document.querySelectorAll('[data-value]')].map((li) => li.dataset.value + ':' + li.dataset.count)`); !slices.Equal(got, []string{"1:2", "1001:1"}) {
		t.Errorf("the presenter sees values %v, want [1:2 1001:1]", got)
	}
	presenter.click("[data-room-reveal]")
	for _, v := range append(viewers, late) {
		v.waitFor(`document.querySelector('[data-room-right]')?.dataset.roomRight === '1' && document.querySelector('li.is-correct')?.dataset.value === '1'`,
			10*time.Second, "the right number")
	}
	if got := eval[[]string](viewers[0], `[...document.querySelectorAll('[data-value]')].map((li) => li.dataset.value + ':' + li.dataset.count)`); !slices.Equal(got, []string{"1:2", "1001:1"}) {
		t.Errorf("a viewer sees values %v at the reveal, want [1:2 1001:1]", got)
	}

	// A lesson's question, posed with the keyboard through the picker: the
	// first lesson, then its state question (eleven states to choose from).
	// The picker offers every question of the lesson, number ones too.
	lesson := lessons.All()[0]
	var steps []int
	for i, st := range lesson.Steps {
		if q := st.Question; q != nil {
			steps = append(steps, i)
		}
	}
	pick := slices.IndexFunc(steps, func(i int) bool { return lesson.Steps[i].Question.Kind == lessons.KindState })
	if pick < 0 {
		t.Fatalf("lesson %s has no state question", lesson.ID)
	}
	q := lesson.Steps[steps[pick]].Question
	answer := stateOption(q.State)
	eval[chromedp.Void](presenter, `document.getElementById('room-lesson').focus()`)
	presenter.keys(kb.ArrowDown)
	presenter.waitFor(`document.querySelectorAll('#room-lesson-step option').length > 0`, 10*time.Second, "the lesson's questions")
	if got := eval[string](presenter, `document.querySelector('#room-lesson').selectedOptions[0].textContent`); got != lesson.Title.EN {
		t.Errorf("lesson picked %q, want %q", got, lesson.Title.EN)
	}
	if got := eval[[]int](presenter, `[...document.querySelectorAll('#room-lesson-step option')].map((o) => Number(o.value))`); !slices.Equal(got, steps) {
		t.Errorf("the picker offers steps %v, want %v", got, steps)
	}
	eval[chromedp.Void](presenter, `document.getElementById('room-lesson-step').focus()`)
	for range pick {
		presenter.keys(kb.ArrowDown)
	}
	presenter.keys(kb.Tab)
	presenter.expectJS(`document.activeElement?.matches('[data-room-lesson-ask]') ?? false`, "Tab to Ask the room")
	presenter.keys(kb.Enter)
	for i, v := range append(viewers, late) {
		v.waitFor(fmt.Sprintf(`document.querySelector('.room-prompt')?.textContent === %q && document.querySelectorAll('.room-choice').length === 11`, q.Prompt.EN),
			10*time.Second, "the lesson's question")
		v.click(fmt.Sprintf(`.room-choice[data-choice="%d"]`, (answer+min(i, 1))%11))
	}
	presenter.waitFor(`document.querySelector('[data-room-total]')?.dataset.roomTotal === '3'`, 10*time.Second, "three answers to the lesson's question")
	if !eval[bool](presenter, `document.activeElement?.matches('[data-room-lesson-ask]') ?? false`) {
		t.Error("the focus left Ask the room as the answers came in")
	}
	presenter.click("[data-room-reveal]")
	for _, v := range append(viewers, late) {
		v.waitFor(fmt.Sprintf(`document.querySelector('.room-options li.is-correct')?.dataset.option === '%d'`, answer),
			10*time.Second, "the lesson question's answer")
	}

	// The presenter ends the room: the viewers are told.
	presenter.click("[data-room-end]")
	for _, v := range append(viewers, late) {
		v.waitFor(`document.getElementById('room').dataset.roomState === 'ended'`, 10*time.Second, "the end of the room")
		if text := eval[string](v, `document.querySelector('[data-room-banner]').textContent`); text != "The presenter ended room "+code+"." {
			t.Errorf("viewer's banner after the end: %q", text)
		}
	}
}

// TestRoomViewerNumbering: a viewer follows the presenter's numbering during
// the room, and its own saved numbering stays as it saved it: back on the app
// outside the room, the page shows the viewer's choice.
func TestRoomViewerNumbering(t *testing.T) {
	presenter := newPage(t)
	presenter.open("/?scenario=client-closes-first&lang=en")
	code := presenter.openRoom()

	// The viewer's own choice: absolute sequence numbers, saved.
	viewer := newPage(t)
	viewer.open("/?lang=zh")
	viewer.click(`input[name="numbering"][value="absolute"]`)
	const saved = `localStorage.getItem('synack.numbering') ?? ''`
	if got := eval[string](viewer, saved); got != "absolute" {
		t.Fatalf("the viewer's choice saved as %q", got)
	}
	viewer.open("/?room=" + code)
	viewer.waitFor(`document.getElementById('room')?.dataset.roomState === 'open'`, 10*time.Second, "the viewer to join")

	// The presenter goes absolute, then relative: the viewer follows.
	for _, n := range []string{"absolute", "relative"} {
		presenter.click(fmt.Sprintf(`input[name="numbering"][value=%q]`, n))
		viewer.waitFor(fmt.Sprintf(`document.querySelector('input[name="numbering"][value=%q]').checked`, n), 10*time.Second, "the presenter's numbering "+n)
	}
	if got := eval[string](viewer, saved); got != "absolute" {
		t.Errorf("following the presenter saved the viewer's numbering as %q, want its own %q", got, "absolute")
	}
	presenter.click("[data-room-end]")
	viewer.waitFor(`document.getElementById('room').dataset.roomState === 'ended'`, 10*time.Second, "the end of the room")
	viewer.open("/?lang=zh")
	if !eval[bool](viewer, `document.querySelector('input[name="numbering"][value="absolute"]').checked`) {
		t.Error("after the room the viewer's page does not show its own numbering")
	}
}

// TestRoomUnknown: a link to a room that does not exist says so.
func TestRoomUnknown(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(app.URL + "/?room=ZZZZZZ"))
	p.waitFor(`document.querySelector('[data-room-banner]')?.textContent.includes('There is no room ZZZZZZ')`,
		10*time.Second, "the page to say there is no such room")
}

// stateOption is the index of state among the options a room offers for a
// lesson's state question: the eleven states, CLOSED to TIME-WAIT.
func stateOption(state string) int {
	for s := engine.Closed; s <= engine.TimeWait; s++ {
		if s.String() == state {
			return int(s - engine.Closed)
		}
	}
	return -1
}
