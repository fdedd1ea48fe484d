package lessons

import (
	"strings"

	"github.com/synack/synack/engine"
)

// Summary is one lesson in the list GET /api/lessons answers: exactly its
// id, title and summary in both languages.
type Summary struct {
	ID      string      `json:"id"`
	Title   engine.Text `json:"title"`
	Summary engine.Text `json:"summary"`
}

// Summaries lists the embedded lessons in teaching order.
func Summaries() []Summary {
	list := make([]Summary, 0, len(builtins.ids))
	for _, id := range builtins.ids {
		list = append(list, builtins.lessons[id].Summarize())
	}
	return list
}

// Summarize returns the lesson's list entry.
func (l *Lesson) Summarize() Summary {
	return Summary{ID: l.ID, Title: l.Title, Summary: l.Summary}
}

// LessonView is a lesson as the browser gets it (GET /api/lessons/{id}),
// with its texts in one language.
type LessonView struct {
	ID      string `json:"id"`
	Lang    string `json:"lang"`
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// ScenarioID is the built-in scenario to load, when there is one; the
	// page may load Scenario, the same scenario as an object, either way.
	ScenarioID string           `json:"scenario_id,omitempty"`
	Scenario   *engine.Scenario `json:"scenario"`
	Steps      []StepView       `json:"steps"`
}

// StepView is one step: the page steps the run until it has shown Event
// events (indices 0 to Event-1), asks Question if there is one, then shows
// event Event with Narration.
type StepView struct {
	Event     int           `json:"event"`
	TMs       float64       `json:"t_ms"`
	Narration string        `json:"narration"`
	Question  *QuestionView `json:"question,omitempty"`
}

// QuestionView is a question with its answer, which the page checks.
//
// Answer is, by Kind: choice and drop, the index of the right option; state,
// an RFC 9293 state name; number, the relative number. For a drop question
// the page offers segment Segment (in flight at this step) to be dropped,
// plays the changed run until it has shown event Expect (an index in that
// run, whose events after the drop differ from the lesson's trace), asks
// the options, and then goes back to the lesson's own run at this step.
type QuestionView struct {
	Kind        string   `json:"kind"`
	Prompt      string   `json:"prompt"`
	Options     []string `json:"options,omitempty"`
	Endpoint    string   `json:"endpoint,omitempty"`
	Field       string   `json:"field,omitempty"`
	Segment     int      `json:"segment,omitempty"`
	Expect      int      `json:"expect,omitempty"`
	Answer      any      `json:"answer"`
	Explanation string   `json:"explanation"`
}

// View returns the lesson with its texts in lang: Chinese for "zh" (or a
// tag such as "zh-CN"), English for anything else.
func (l *Lesson) View(lang string) LessonView {
	lang = strings.ToLower(lang)
	if lang == "zh" || strings.HasPrefix(lang, "zh-") {
		lang = "zh"
	} else {
		lang = "en"
	}
	pick := func(t engine.Text) string {
		if lang == "zh" {
			return t.ZH
		}
		return t.EN
	}
	v := LessonView{
		ID: l.ID, Lang: lang, Title: pick(l.Title), Summary: pick(l.Summary),
		ScenarioID: l.ScenarioID, Scenario: cloneScenario(l.Scenario),
		Steps: make([]StepView, len(l.Steps)),
	}
	for i, st := range l.Steps {
		sv := StepView{Event: st.Event, TMs: st.TMs, Narration: pick(st.Narration)}
		if q := st.Question; q != nil {
			qv := &QuestionView{Kind: q.Kind, Prompt: pick(q.Prompt), Explanation: pick(q.Explanation)}
			for _, o := range q.Options {
				qv.Options = append(qv.Options, pick(o))
			}
			switch q.Kind {
			case KindChoice:
				qv.Answer = q.Answer
			case KindState:
				qv.Endpoint, qv.Answer = q.Endpoint, q.State
			case KindNumber:
				qv.Field, qv.Answer = q.Field, q.Number
			case KindDrop:
				qv.Segment, qv.Expect, qv.Answer = q.SegmentID, q.ExpectEvent, q.Answer
			}
			sv.Question = qv
		}
		v.Steps[i] = sv
	}
	return v
}
