package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/lessons"
)

// Questions put to a classroom room: a written question or a lesson's, the
// viewers' answers (one per viewer and question) and the reveal.

// roomQuestion is a question put to a room.
type roomQuestion struct {
	id          int
	msg         *sharedFrame // the question as viewers receive it
	answer      *int
	explanation *engine.Text
	counts      []int
	total       int
	revealed    *sharedFrame // the reveal message, once revealed
}

// questionSpec is the question of an ask command: written out, or a
// question of a lesson.
type questionSpec struct {
	Prompt      *engine.Text  `json:"prompt"`
	Options     []engine.Text `json:"options"`
	Answer      *int          `json:"answer"`
	Explanation *engine.Text  `json:"explanation"`
	Lesson      string        `json:"lesson"`
	Step        *int          `json:"step"`
}

// parseQuestion reads and checks an ask command's question.
func parseQuestion(raw json.RawMessage) (*roomQuestion, questionMessage, error) {
	var none questionMessage
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, none, userErrorf("question-needed", nil, `question: give a question, such as {"prompt": {"en": "…", "zh": "…"}, "options": [{"en": "…", "zh": "…"}, …], "answer": 0}, or a lesson's, such as {"lesson": "time-wait", "step": 2}.`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var spec questionSpec
	if err := dec.Decode(&spec); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			msg = fmt.Sprintf("%s must not be %s", typeErr.Field, typeErr.Value)
		}
		return nil, none, userErrorf("bad-question", errArgs{"detail": clip(msg)}, "question: %s.", clip(msg))
	}
	if spec.Lesson != "" {
		if spec.Prompt != nil || spec.Options != nil || spec.Answer != nil || spec.Explanation != nil {
			return nil, none, userErrorf("question-both", nil, "question: give either a lesson and a step, or a prompt and options, not both.")
		}
		var err error
		if spec, err = lessonQuestion(spec.Lesson, spec.Step); err != nil {
			return nil, none, err
		}
	}
	if spec.Prompt == nil {
		return nil, none, userErrorf("question-prompt", nil, "question.prompt: give the question's text, {\"en\": \"…\", \"zh\": \"…\"}.")
	}
	prompt, err := checkText("question.prompt", *spec.Prompt, maxPromptRunes)
	if err != nil {
		return nil, none, err
	}
	if len(spec.Options) < 2 || len(spec.Options) > maxQuestionOptions {
		return nil, none, userErrorf("question-options", errArgs{"max": maxQuestionOptions, "count": len(spec.Options)},
			"question.options: give 2 to %d options, not %d.", maxQuestionOptions, len(spec.Options))
	}
	options := make([]engine.Text, len(spec.Options))
	for i, o := range spec.Options {
		if options[i], err = checkText(fmt.Sprintf("question.options[%d]", i), o, maxOptionRunes); err != nil {
			return nil, none, err
		}
	}
	if a := spec.Answer; a != nil && (*a < 0 || *a >= len(options)) {
		return nil, none, userErrorf("question-answer", errArgs{"max": len(options) - 1, "value": *a},
			"question.answer: must be the index of an option, 0 to %d, not %d.", len(options)-1, *a)
	}
	q := &roomQuestion{answer: spec.Answer, counts: make([]int, len(options))}
	if spec.Explanation != nil {
		ex, err := checkText("question.explanation", *spec.Explanation, maxExplainRunes)
		if err != nil {
			return nil, none, err
		}
		q.explanation = &ex
	}
	return q, questionMessage{Type: msgQuestion, Prompt: prompt, Options: options}, nil
}

// lessonQuestion is the question of step of a built-in lesson, as a choice.
// A state question's options are the eleven states; a number question
// cannot be asked in a room.
func lessonQuestion(id string, step *int) (questionSpec, error) {
	var spec questionSpec
	l, ok := lessons.Get(id)
	if !ok {
		return spec, userErrorf("no-lesson", errArgs{"lesson": quoteShort(id)}, "question.lesson: there is no lesson %s.", quoteShort(id))
	}
	if step == nil || *step < 0 || *step >= len(l.Steps) {
		return spec, userErrorf("lesson-steps", errArgs{"lesson": id, "max": len(l.Steps) - 1}, "question.step: lesson %s has steps 0 to %d.", id, len(l.Steps)-1)
	}
	q := l.Steps[*step].Question
	if q == nil {
		return spec, userErrorf("step-no-question", errArgs{"step": *step, "lesson": id}, "question.step: step %d of lesson %s asks no question.", *step, id)
	}
	spec.Prompt, spec.Explanation = &q.Prompt, &q.Explanation
	switch q.Kind {
	case lessons.KindChoice, lessons.KindDrop:
		spec.Options, spec.Answer = q.Options, &q.Answer
	case lessons.KindState:
		for s := engine.Closed; s <= engine.TimeWait; s++ {
			name := s.String()
			if name == q.State {
				spec.Answer = new(len(spec.Options))
			}
			spec.Options = append(spec.Options, engine.Text{EN: name, ZH: name})
		}
	default:
		return spec, userErrorf("step-number", errArgs{"step": *step, "lesson": id},
			"question.step: step %d of lesson %s asks for a number, which a room cannot answer with a choice.", *step, id)
	}
	return spec, nil
}

// checkText checks a text in both languages; a missing Chinese text falls
// back to the English one.
func checkText(field string, t engine.Text, maxRunes int) (engine.Text, error) {
	t.EN, t.ZH = strings.TrimSpace(t.EN), strings.TrimSpace(t.ZH)
	if t.EN == "" {
		return t, userErrorf("text-empty", errArgs{"field": field + ".en"}, "%s.en: must not be empty.", field)
	}
	if t.ZH == "" {
		t.ZH = t.EN
	}
	for lang, s := range map[string]string{"en": t.EN, "zh": t.ZH} {
		if n := utf8.RuneCountInString(s); n > maxRunes {
			return t, userErrorf("text-too-long", errArgs{"field": field + "." + lang, "max": maxRunes, "count": n},
				"%s.%s: at most %d characters, not %d.", field, lang, maxRunes, n)
		}
	}
	return t, nil
}

// ask puts a question to the room; it replaces the last one.
func (r *room) ask(raw json.RawMessage) error {
	q, msg, err := parseQuestion(raw)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return userErrorf("room-ended", nil, "The room has ended.")
	}
	r.questions++
	q.id, msg.ID = r.questions, r.questions
	r.question, r.answersDirty = q, false
	clear(r.votes) // the votes on earlier questions count no more
	q.msg = r.tellAll(msg)
	return nil
}

// reveal shows everyone the answer to the last question, with the counts.
func (r *room) reveal() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.question
	if q == nil {
		return userErrorf("ask-first", nil, `Ask a question first: {"type": "ask", "question": {…}}.`)
	}
	r.answersDirty = false
	q.revealed = r.tellAll(revealMessage{Type: msgReveal, ID: q.id, Answer: q.answer, Explanation: q.explanation,
		Counts: slices.Clone(q.counts), Total: q.total})
	return nil
}

// answer counts viewer c's answer to the open question: one per viewer per
// question.
func (r *room) answer(c *wsConn, raw json.RawMessage) error {
	if r.follows != nil {
		return r.answerRemote(c, raw) // the presenter's instance counts it
	}
	var choice int
	if err := json.Unmarshal(raw, &choice); err != nil {
		return userErrorf("bad-choice", errArgs{"value": clip(string(raw))}, "choice: must be the index of an option (0, 1, …), not %s.", clip(string(raw)))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	q, v := r.question, r.viewers[c]
	switch {
	case q == nil || v == nil:
		return userErrorf("no-question", nil, "There is no question to answer right now.")
	case q.revealed != nil:
		return userErrorf("revealed", nil, "The answer has been shown: this question takes no more answers.")
	case r.votes[v.id] == q.id:
		return userErrorf("answered", nil, "You have answered this question already: one answer each.")
	case choice < 0 || choice >= len(q.counts):
		return userErrorf("choice-range", errArgs{"max": len(q.counts) - 1, "value": choice}, "choice: must be 0 to %d for this question, not %d.", len(q.counts)-1, choice)
	}
	r.votes[v.id] = q.id
	q.counts[choice]++
	q.total++
	c.tell(answeredMessage{Type: msgAnswered, ID: q.id, Choice: choice})
	r.answersDirty = true
	r.changed()
	return nil
}

// Question limits.
const (
	maxQuestionOptions = 12 // a lesson's state question offers the 11 states
	maxPromptRunes     = 500
	maxOptionRunes     = 200
	maxExplainRunes    = 2000
)
