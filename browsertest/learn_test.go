package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// learnLesson is the part of GET /api/lessons/{id}?lang= the test needs.
type learnLesson struct {
	Steps []struct {
		Event    int `json:"event"`
		Question *struct {
			Kind        string   `json:"kind"`
			Options     []string `json:"options"`
			Segment     int      `json:"segment"`
			Answer      any      `json:"answer"`
			Explanation string   `json:"explanation"`
		} `json:"question"`
	} `json:"steps"`
}

func getLearnLesson(t *testing.T, id, lang string) learnLesson {
	t.Helper()
	resp, err := http.Get(app.URL + "/api/lessons/" + id + "?lang=" + lang)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lesson %s: %s", id, resp.Status)
	}
	var l learnLesson
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatalf("lesson %s: %v", id, err)
	}
	return l
}

// learnReady waits until the lesson page has brought the run to where it
// is and shows it.
func (p *page) learnReady(after string) {
	p.t.Helper()
	p.waitFor(`document.getElementById('main')?.dataset.learnState === 'ready'`, 15*time.Second, after)
	p.waitIdle()
}

// learnNext presses the lesson's Next button.
func (p *page) learnNext() {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.ID("learn-next")))
	p.learnReady("the next step")
}

// learnText is a message of the page's catalogue.
func learnText(p *page, key string) string {
	return eval[string](p, `JSON.parse(document.getElementById('synack-i18n').textContent)[document.documentElement.lang][`+fmt.Sprintf("%q", key)+`]`)
}

// learnDrawn reports whether the diagram draws a state label for state.
func learnDrawn(p *page, state string) bool {
	return eval[bool](p, `document.querySelector('#diagram [data-kind="state"][data-state="`+state+`"]') !== null`)
}

// learnQuestion is what a question shows.
type learnQuestion struct {
	Visible     bool   `json:"visible"`
	Focused     bool   `json:"focused"`
	Answered    string `json:"answered"`
	Verdict     string `json:"verdict"`
	Explanation string `json:"explanation"`
	ExplShown   bool   `json:"explShown"`
	Narration   bool   `json:"narration"`
}

func (p *page) learnQuestion(step int) learnQuestion {
	p.t.Helper()
	return eval[learnQuestion](p, fmt.Sprintf(`(() => {
		const li = document.getElementById('step-%d');
		const s = li.querySelector('[data-kind="question"]');
		const v = s.querySelector('[data-verdict]');
		const e = s.querySelector('[data-explanation]');
		return {visible: !li.hidden && s.checkVisibility(), focused: document.activeElement === s,
			answered: s.dataset.answered ?? '', verdict: v.hidden ? '' : v.textContent,
			explanation: e.textContent.trim(), explShown: e.checkVisibility(),
			narration: li.querySelector('[data-narration]').checkVisibility()};
	})()`, step))
}

// TestLessonAnswers takes the three-way-handshake lesson as a student does:
// a choice answered right, a state answered wrong, a number typed, and the
// SYN,ACK dropped by a click on its arrow, each checked at once with its
// explanation; the progress then shows on /learn and the lesson resumes
// where it was left.
func TestLessonAnswers(t *testing.T) {
	const id = "three-way-handshake"
	lesson := getLearnLesson(t, id, "en")
	p := newPage(t)
	p.do(chromedp.Navigate(app.URL + "/learn/" + id + "?lang=en"))
	p.learnReady("the lesson to load")
	if got := eval[string](p, `document.getElementById('progress').textContent`); got != learnText(p, "learn.intro_h") {
		t.Errorf("a new lesson starts at %q", got)
	}

	// Answers are reported as DOM events (and, embedded, to the course page).
	eval[chromedp.Void](p, `window.answers = []; document.addEventListener('synack:question', (e) => answers.push(e.detail))`)

	// Step 1 (no question), with the keyboard: the server listens.
	eval[chromedp.Void](p, `document.getElementById('lesson-panel').focus()`)
	p.keys(kb.ArrowRight)
	p.learnReady("step 1")
	if !learnDrawn(p, "LISTEN") {
		t.Error("step 1 revealed, but the server's LISTEN is not drawn")
	}
	if !eval[bool](p, `document.activeElement === document.querySelector('#step-0 [data-narration]')`) {
		t.Error("the focus did not move to step 1's narration")
	}
	if !eval[bool](p, `[...document.querySelectorAll('#step-0 a.cite')].some((a) => a.href === 'https://www.rfc-editor.org/rfc/rfc9293#section-3.10.1')`) {
		t.Error("step 1's narration does not link RFC 9293 §3.10.1 to rfc-editor.org")
	}

	// Step 2: a choice, answered right, asked before the client's SYN-SENT.
	p.learnNext()
	q := p.learnQuestion(1)
	if !q.Visible || !q.Focused || q.Answered != "" || q.Narration {
		t.Fatalf("step 2's question is not asked as it should be: %+v", q)
	}
	if learnDrawn(p, "SYN-SENT") {
		t.Error("the client's SYN-SENT is drawn before the question about it is answered")
	}
	if eval[string](p, `document.getElementById('learn-next').getAttribute('aria-disabled')`) != "true" {
		t.Error("Next is not disabled while the question waits")
	}
	right := int(lesson.Steps[1].Question.Answer.(float64))
	p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#step-1 input[type="radio"][value="%d"]`, right))))
	p.do(chromedp.Click(chromedp.CSS(`#step-1 button.check`)))
	p.learnReady("the answer to step 2")
	q = p.learnQuestion(1)
	if q.Answered != "right" || !strings.Contains(q.Verdict, learnText(p, "learn.right")) || !strings.Contains(q.Verdict, "✓") {
		t.Errorf("a right answer shows %+v", q)
	}
	if !q.ExplShown || !strings.Contains(q.Explanation, lesson.Steps[1].Question.Explanation[:40]) {
		t.Errorf("the explanation is not shown: %+v", q)
	}
	if !q.Narration || !learnDrawn(p, "SYN-SENT") {
		t.Error("after the answer, the step's event and narration are not revealed")
	}

	// Step 3 (no question), then step 4: the server's state, answered wrong.
	p.learnNext()
	p.learnNext()
	q = p.learnQuestion(3)
	if !q.Visible || q.Answered != "" || learnDrawn(p, "SYN-RECEIVED") {
		t.Fatalf("step 4's question is not asked before the server's SYN-RECEIVED: %+v", q)
	}
	eval[chromedp.Void](p, `(() => {
		const s = document.querySelector('#step-3 select');
		s.value = 'ESTABLISHED';
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`)
	p.do(chromedp.Click(chromedp.CSS(`#step-3 button.check`)))
	p.learnReady("the answer to step 4")
	q = p.learnQuestion(3)
	if q.Answered != "wrong" || !strings.Contains(q.Verdict, learnText(p, "learn.wrong")) ||
		!strings.Contains(q.Verdict, "✗") || !strings.Contains(q.Verdict, "SYN-RECEIVED") {
		t.Errorf("a wrong answer shows %+v", q)
	}
	if !q.ExplShown || !strings.Contains(q.Explanation, "SYN-RECEIVED") {
		t.Errorf("the explanation is not shown: %+v", q)
	}
	if !learnDrawn(p, "SYN-RECEIVED") {
		t.Error("after the answer, the server's SYN-RECEIVED is not drawn")
	}

	// Back rewinds the run to the step before; forward again, the answered
	// question is shown answered, not asked again.
	p.keys(kb.ArrowLeft)
	p.learnReady("step 3 again")
	if learnDrawn(p, "SYN-RECEIVED") || eval[bool](p, `document.getElementById('step-3').hidden === false`) {
		t.Error("Back did not go to step 3 with the run before the server's SYN-RECEIVED")
	}
	p.learnNext()
	if q := p.learnQuestion(3); q.Answered != "wrong" || !q.Narration || !learnDrawn(p, "SYN-RECEIVED") {
		t.Errorf("step 4 again: %+v", q)
	}

	// Step 5: a number, typed.
	p.learnNext()
	p.do(chromedp.SendKeys(`#step-4 input[name="answer"]`, "1"), chromedp.Click(chromedp.CSS(`#step-4 button.check`)))
	p.learnReady("the answer to step 5")
	if got := p.learnQuestion(4).Answered; got != "right" {
		t.Errorf("ack 1 for the SYN,ACK is %q", got)
	}

	// Step 6: drop the SYN,ACK by a click on its arrow, watch, then answer.
	p.learnNext()
	seg := lesson.Steps[5].Question.Segment
	arrow := fmt.Sprintf(`#diagram [data-kind="segment"][data-id="%d"].seg--droppable`, seg)
	p.waitFor(`document.querySelector('`+arrow+`') !== null`, 5*time.Second, "the SYN,ACK in flight")
	eval[chromedp.Void](p, `document.querySelector('`+arrow+`').scrollIntoView({block: 'center'})`)
	p.waitIdle()
	pt := eval[struct{ X, Y float64 }](p, `(() => {
		const r = document.querySelector('`+arrow+` .seg-hit').getBoundingClientRect();
		return {x: r.x + r.width / 2, y: r.y + r.height / 2};
	})()`)
	p.do(chromedp.MouseClickXY(pt.X, pt.Y))
	p.waitFor(`document.querySelector('#step-5 [data-answer-form]').hidden === false`, 20*time.Second, "the run to play on after the drop")
	if !eval[bool](p, fmt.Sprintf(`document.querySelector('#diagram [data-kind="segment"][data-id="%d"].seg--lost') !== null`, seg)) {
		t.Error("the dropped SYN,ACK is not drawn lost")
	}
	if !eval[bool](p, `document.querySelector('#diagram [data-kind="segment"].seg--retransmit') !== null`) {
		t.Error("the run did not play on to the retransmission")
	}
	answer := int(lesson.Steps[5].Question.Answer.(float64))
	p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#step-5 input[type="radio"][value="%d"]`, answer))))
	p.do(chromedp.Click(chromedp.CSS(`#step-5 button.check`)))
	p.waitFor(`document.querySelector('#step-5 [data-kind="question"]').dataset.answered === 'right'`, 5*time.Second, "the drop question's verdict")
	p.learnNext() // back to the lesson's own run, at the step's event
	if eval[bool](p, `document.querySelector('#diagram .seg--lost') !== null`) {
		t.Error("after the drop question, the lesson's own run still shows the lost segment")
	}
	if !p.learnQuestion(5).Narration {
		t.Error("step 6's narration is not shown")
	}

	reported := eval[[]struct {
		ID      string `json:"id"`
		Correct bool   `json:"correct"`
	}](p, `answers`)
	if want := fmt.Sprintf("[{%[1]s:1 true} {%[1]s:3 false} {%[1]s:4 true} {%[1]s:5 true}]", id); fmt.Sprint(reported) != want {
		t.Errorf("answers reported %v, want %s", reported, want)
	}

	// The course list shows the progress, and the lesson resumes.
	p.do(chromedp.Navigate(app.URL + "/learn?lang=en"))
	p.waitFor(`document.querySelector('[data-progress][data-lesson="`+id+`"]').dataset.status !== 'new'`, 5*time.Second, "the progress in the list")
	status := eval[struct{ Status, Text, Other string }](p, `(() => {
		const el = document.querySelector('[data-progress][data-lesson="`+id+`"]');
		return {status: el.dataset.status, text: el.textContent.trim(),
			other: document.querySelector('[data-progress]:not([data-lesson="`+id+`"])').dataset.status};
	})()`)
	want := strings.NewReplacer("{n}", "6", "{m}", fmt.Sprint(len(lesson.Steps))).Replace(learnText(p, "learn.status_progress"))
	if status.Status != "progress" || !strings.Contains(status.Text, want) || status.Other != "new" {
		t.Errorf("the list shows %+v, want progress %q", status, want)
	}
	href := eval[string](p, `document.querySelector('[data-lesson="`+id+`"] h2 a').getAttribute('href')`)
	p.do(chromedp.Navigate(app.URL + href))
	p.learnReady("the lesson to resume")
	if !eval[bool](p, `!document.getElementById('step-5').hidden`) {
		t.Error("the lesson did not resume at step 6")
	}
	if got := p.learnQuestion(5); got.Answered != "right" || !got.Narration {
		t.Errorf("the resumed step 6 lost its answer: %+v", got)
	}
	if got := eval[string](p, `document.querySelector('#step-3 [data-kind="question"]').dataset.answered`); got != "wrong" {
		t.Errorf("the resumed lesson lost the wrong answer to step 4: %q", got)
	}

	// Start over forgets it all.
	p.do(chromedp.Click(chromedp.ID("learn-restart")))
	p.learnReady("the lesson to start over")
	if got := eval[int](p, `document.querySelectorAll('[data-answered]').length`); got != 0 || learnDrawn(p, "LISTEN") {
		t.Errorf("after Start over, %d questions are still answered (or the run is not back at 0)", got)
	}
	if got := eval[string](p, `localStorage.getItem('synack.learn.`+id+`')`); !strings.Contains(got, `"at":-1`) || strings.Contains(got, "correct") {
		t.Errorf("after Start over, the progress kept is %s", got)
	}
}

// TestLessonAccessibility runs axe-core on a lesson with a question
// answered wrong, and on the course list, in both languages.
func TestLessonAccessibility(t *testing.T) {
	src, err := os.ReadFile(axePath)
	if err != nil {
		t.Skipf("axe-core is not installed (npm ci --prefix tools/axe): %v", err)
	}
	for _, tc := range []struct{ name, lang, theme string }{
		{"en", "en", ""}, {"zh", "zh", ""}, {"dark", "en", "dark"}, {"projector", "zh", "projector"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lang := tc.lang
			p := newPage(t)
			p.do(chromedp.Navigate(app.URL + "/learn/three-way-handshake?lang=" + lang))
			p.learnReady("the lesson to load")
			switch tc.theme {
			case "dark":
				p.setTheme("dark")
			case "projector":
				p.do(chromedp.Click(chromedp.ID("projector")))
				p.waitFor(`document.documentElement.classList.contains('projector')`, 5*time.Second, "projector mode")
			}
			p.learnNext()
			p.learnNext()
			p.do(chromedp.Click(chromedp.CSS(`#step-1 input[type="radio"][value="0"]`)))
			p.do(chromedp.Click(chromedp.CSS(`#step-1 button.check`)))
			p.learnReady("the answer")
			for _, v := range p.axe(string(src)) {
				t.Errorf("lesson: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
			}
			p.do(chromedp.Navigate(app.URL + "/learn?lang=" + lang))
			p.waitFor(`document.querySelector('[data-progress][data-status="progress"]') !== null`, 5*time.Second, "the list")
			for _, v := range p.axe(string(src)) {
				t.Errorf("list: %s (%s): %s %v", v.ID, v.Impact, v.Help, v.Nodes)
			}
		})
	}
}

// TestLessonKeyboard answers a question with the keyboard alone: → moves
// on, the focus lands on the question, Tab reaches its options, the arrows
// choose and Enter checks; the focus is visible at every stop.
func TestLessonKeyboard(t *testing.T) {
	p := newPage(t)
	p.do(chromedp.Navigate(app.URL + "/learn/three-way-handshake?lang=en"))
	p.learnReady("the lesson to load")
	eval[chromedp.Void](p, `document.getElementById('lesson-panel').focus()`)
	p.keys(kb.ArrowRight)
	p.learnReady("step 1")
	p.keys(" ")
	p.learnReady("step 2")
	if f := eval[string](p, `document.activeElement.dataset.questionId ?? ''`); f != "three-way-handshake:1" {
		t.Fatalf("the focus is not on step 2's question but on %q", f)
	}
	p.keys(kb.Tab)
	if f := p.focused(); !strings.Contains(f.Desc, "name=answer value=0") {
		t.Fatalf("Tab from the question went to %s", f.Desc)
	}
	p.keys(kb.ArrowDown) // the second option: "Nothing"
	p.keys(kb.Enter)
	p.learnReady("the answer")
	if got := p.learnQuestion(1); got.Answered != "right" || !got.ExplShown {
		t.Fatalf("answered by keyboard: %+v", got)
	}
	if f := p.focused(); !strings.Contains(f.Desc, "section") {
		t.Errorf("after the answer the focus is on %s, not the question", f.Desc)
	}
	p.keys(kb.ArrowRight)
	p.learnReady("step 3")
	if f := p.focused(); !strings.Contains(f.Desc, "div") || !eval[bool](p, `document.activeElement.matches('#step-2 [data-narration]')`) {
		t.Errorf("step 3's narration does not have the focus: %s", f.Desc)
	}
}

// TestLessonStepBySegment: on a lesson, one Next reveals a segment with the
// events that come with it (pace.js, as on the app's page); ?step=event
// keeps the fine-grained mode, one event. Step 2 of the handshake lesson
// asks about the client's state before its SYN: the answer reveals, by
// segment, the SYN-SENT and the SYN it is sent with.
func TestLessonStepBySegment(t *testing.T) {
	const id = "three-way-handshake"
	count := `[...document.querySelectorAll('#diagram [data-kind="segment"]')].length + ',' + [...document.querySelectorAll('#diagram [data-kind="state"]')].length`
	for _, lang := range []string{"en", "zh"} {
		lesson := getLearnLesson(t, id, lang)
		right := int(lesson.Steps[1].Question.Answer.(float64))
		for _, c := range []struct{ query, before, after string }{
			{"", "0,1", "1,2"},
			{"&step=event", "0,1", "0,2"},
		} {
			t.Run(lang+c.query, func(t *testing.T) {
				p := newPage(t)
				p.do(chromedp.Navigate(app.URL + "/learn/" + id + "?lang=" + lang + c.query))
				p.learnReady("the lesson to load")
				p.learnNext() // step 1: the server listens
				p.learnNext() // step 2: the question, asked
				if got := eval[string](p, count); got != c.before {
					t.Fatalf("asked, the diagram draws segments,states %s, want %s", got, c.before)
				}
				if learnDrawn(p, "SYN-SENT") {
					t.Fatal("the answer (SYN-SENT) shows before the question is answered")
				}
				p.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#step-1 input[type="radio"][value="%d"]`, right))))
				p.do(chromedp.Click(chromedp.CSS(`#step-1 button.check`)))
				p.learnReady("the answer to step 2")
				if got := eval[string](p, count); got != c.after {
					t.Errorf("revealed, the diagram draws segments,states %s, want %s", got, c.after)
				}
			})
		}
	}
}
