package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/lessons"
)

// Questions put to a classroom room: a written question or a lesson's, the
// viewers' answers (one per viewer and question) and the reveal. A question
// is a choice (answered with the index of an option) or, with kind
// "number", a number question (answered with a whole number).

// roomQuestion is a question put to a room.
type roomQuestion struct {
	id          int
	msg         *sharedFrame // the question as viewers receive it
	number      bool         // answered with a value, not a choice
	answer      *int         // a choice's right option
	value       *int64       // a number question's right value
	explanation *engine.Text
	counts      []int         // a choice's answers per option
	values      map[int64]int // a number question's answers per value
	total       int
	revealed    *sharedFrame // the reveal message, once revealed
}

// questionSpec is the question of an ask command: written out, or a
// question of a lesson. Kind is "choice" (the default) or "number"; a
// number question has no options and its answer is the right value.
type questionSpec struct {
	Kind        string          `json:"kind"`
	Prompt      *engine.Text    `json:"prompt"`
	Options     []engine.Text   `json:"options"`
	Answer      json.RawMessage `json:"answer"`
	Explanation *engine.Text    `json:"explanation"`
	Lesson      string          `json:"lesson"`
	Step        *int            `json:"step"`
}

// Question kinds, as the question message and the ask command name them.
const (
	kindChoice = "choice"
	kindNumber = "number"
)

// The values a number question's answer may take: those of the lessons'
// number questions (a relative or absolute sequence number).
const (
	minAnswerValue = -1 << 31
	maxAnswerValue = 1<<32 - 1
)

// valueCount is how many viewers answered a number question with Value.
type valueCount struct {
	Value int64 `json:"value"`
	Count int   `json:"count"`
}

// parseValue reads a number answer: a whole number in the answer range
// (1001, 1e3 and 1001.0 alike). field names it in the error.
func parseValue(field string, raw json.RawMessage) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	var f float64
	if s == "" || s == "null" || json.Unmarshal(raw, &f) != nil || f != math.Trunc(f) {
		return 0, userErrorf("bad-value", errArgs{"field": field, "value": clip(s)}, "%s: must be a whole number, such as 1001, not %s.", field, clip(s))
	}
	outside := func() error {
		return userErrorf("value-range", errArgs{"field": field, "min": minAnswerValue, "max": int64(maxAnswerValue), "value": clip(s)},
			"%s: must be %d to %d, not %s.", field, minAnswerValue, int64(maxAnswerValue), clip(s))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil { // 1e3, 1001.0, or beyond int64
		if f < minAnswerValue || f > maxAnswerValue {
			return 0, outside()
		}
		n = int64(f)
	}
	if n < minAnswerValue || n > maxAnswerValue {
		return 0, outside()
	}
	return n, nil
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
		if spec.Kind != "" || spec.Prompt != nil || spec.Options != nil || spec.Answer != nil || spec.Explanation != nil {
			return nil, none, userErrorf("question-both", nil, "question: give either a lesson and a step, or a prompt and options, not both.")
		}
		var err error
		if spec, err = lessonQuestion(spec.Lesson, spec.Step); err != nil {
			return nil, none, err
		}
	}
	if spec.Kind != "" && spec.Kind != kindChoice && spec.Kind != kindNumber {
		return nil, none, userErrorf("question-kind", errArgs{"value": quoteShort(spec.Kind)},
			`question.kind: must be "choice" or "number", not %s.`, quoteShort(spec.Kind))
	}
	if spec.Prompt == nil {
		return nil, none, userErrorf("question-prompt", nil, "question.prompt: give the question's text, {\"en\": \"…\", \"zh\": \"…\"}.")
	}
	prompt, err := checkText("question.prompt", *spec.Prompt, maxPromptRunes)
	if err != nil {
		return nil, none, err
	}
	q := &roomQuestion{}
	msg := questionMessage{Type: msgQuestion, Prompt: prompt, Options: []engine.Text{}}
	if spec.Kind == kindNumber {
		if spec.Options != nil {
			return nil, none, userErrorf("number-options", nil, "question.options: a number question has no options; its answer is a number.")
		}
		q.number, q.values, msg.Kind = true, map[int64]int{}, kindNumber
		if len(spec.Answer) > 0 && string(bytes.TrimSpace(spec.Answer)) != "null" {
			v, err := parseValue("question.answer", spec.Answer)
			if err != nil {
				return nil, none, err
			}
			q.value = &v
		}
	} else {
		if len(spec.Options) < 2 || len(spec.Options) > maxQuestionOptions {
			return nil, none, userErrorf("question-options", errArgs{"max": maxQuestionOptions, "count": len(spec.Options)},
				"question.options: give 2 to %d options, not %d.", maxQuestionOptions, len(spec.Options))
		}
		msg.Options = make([]engine.Text, len(spec.Options))
		for i, o := range spec.Options {
			if msg.Options[i], err = checkText(fmt.Sprintf("question.options[%d]", i), o, maxOptionRunes); err != nil {
				return nil, none, err
			}
		}
		if len(spec.Answer) > 0 && string(bytes.TrimSpace(spec.Answer)) != "null" {
			var a int
			if json.Unmarshal(spec.Answer, &a) != nil || a < 0 || a >= len(msg.Options) {
				v := clip(string(bytes.TrimSpace(spec.Answer)))
				return nil, none, userErrorf("question-answer", errArgs{"max": len(msg.Options) - 1, "value": v},
					"question.answer: must be the index of an option, 0 to %d, not %s.", len(msg.Options)-1, v)
			}
			q.answer = &a
		}
		q.counts = make([]int, len(msg.Options))
	}
	if spec.Explanation != nil {
		ex, err := checkText("question.explanation", *spec.Explanation, maxExplainRunes)
		if err != nil {
			return nil, none, err
		}
		q.explanation = &ex
	}
	return q, msg, nil
}

// lessonQuestion is the question of step of a built-in lesson: a choice
// (a state question's options are the eleven states) or a number question.
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
		spec.Options, spec.Answer = q.Options, jsonNumber(int64(q.Answer))
	case lessons.KindState:
		for s := engine.Closed; s <= engine.TimeWait; s++ {
			name := s.String()
			if name == q.State {
				spec.Answer = jsonNumber(int64(len(spec.Options)))
			}
			spec.Options = append(spec.Options, engine.Text{EN: name, ZH: name})
		}
	case lessons.KindNumber:
		spec.Kind, spec.Answer = kindNumber, jsonNumber(q.Number)
	default:
		return spec, userErrorf("step-kind", errArgs{"step": *step, "lesson": id, "kind": q.Kind},
			"question.step: step %d of lesson %s asks a %s question, which a room cannot answer.", *step, id, q.Kind)
	}
	return spec, nil
}

// jsonNumber is n as a JSON number.
func jsonNumber(n int64) json.RawMessage {
	return strconv.AppendInt(nil, n, 10)
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
	q.revealed = r.tellAll(revealMessage{Type: msgReveal, ID: q.id, Answer: q.answer, Value: q.value, Explanation: q.explanation,
		Counts: slices.Clone(q.counts), Values: q.distribution(), Total: q.total})
	return nil
}

// answersMessage is the answers so far, for the presenter.
func (q *roomQuestion) answersMessage() answersMessage {
	return answersMessage{Type: msgAnswers, ID: q.id, Counts: slices.Clone(q.counts), Values: q.distribution(), Total: q.total}
}

// distribution is a number question's answers: the values given, the most
// given first (the smaller value first among equals); nil for a choice.
func (q *roomQuestion) distribution() []valueCount {
	if !q.number {
		return nil
	}
	d := make([]valueCount, 0, len(q.values))
	for v, n := range q.values {
		d = append(d, valueCount{Value: v, Count: n})
	}
	slices.SortFunc(d, func(a, b valueCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return d
}

// givenAnswer is a viewer's answer as its command gave it: a choice or a
// value, read but not yet checked against the question.
type givenAnswer struct {
	Choice *int   `json:"choice,omitempty"`
	Value  *int64 `json:"value,omitempty"`
}

// parseAnswer reads an answer command's choice or value.
func parseAnswer(choice, value json.RawMessage) (givenAnswer, error) {
	var a givenAnswer
	switch {
	case len(choice) > 0 && len(value) > 0:
		return a, userErrorf("answer-both", nil, "answer: give a choice or a value, not both.")
	case len(value) > 0:
		v, err := parseValue("value", value)
		if err != nil {
			return a, err
		}
		a.Value = &v
	case len(choice) > 0:
		var c int
		if err := json.Unmarshal(choice, &c); err != nil {
			return a, userErrorf("bad-choice", errArgs{"value": clip(string(choice))}, "choice: must be the index of an option (0, 1, …), not %s.", clip(string(choice)))
		}
		a.Choice = &c
	default:
		return a, userErrorf("answer-needed", nil, `answer: give a choice, {"type": "answer", "choice": 0}, or for a number question a value, {"type": "answer", "value": 1001}.`)
	}
	return a, nil
}

// check says why q cannot take answer a, if it cannot: the question's kind,
// the option's range. Who answered and when is the caller's to check.
func (q *roomQuestion) check(a givenAnswer) error {
	switch {
	case q.number && a.Value == nil:
		return userErrorf("value-needed", nil, `This question asks for a number: answer with {"type": "answer", "value": 1001}.`)
	case !q.number && a.Choice == nil:
		return userErrorf("choice-needed", nil, `This question asks for a choice: answer with {"type": "answer", "choice": 0}.`)
	case !q.number && (*a.Choice < 0 || *a.Choice >= len(q.counts)):
		return userErrorf("choice-range", errArgs{"max": len(q.counts) - 1, "value": *a.Choice}, "choice: must be 0 to %d for this question, not %d.", len(q.counts)-1, *a.Choice)
	}
	return nil
}

// take counts answer a, which check has accepted.
func (q *roomQuestion) take(a givenAnswer) {
	if q.number {
		q.values[*a.Value]++
	} else {
		q.counts[*a.Choice]++
	}
	q.total++
}

// answer counts viewer c's answer to the open question: one per viewer per
// question.
func (r *room) answer(c *wsConn, choice, value json.RawMessage) error {
	a, err := parseAnswer(choice, value)
	if err != nil {
		return err
	}
	if r.follows != nil {
		return r.answerRemote(c, a) // the presenter's instance counts it
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
	}
	if err := q.check(a); err != nil {
		return err
	}
	r.votes[v.id] = q.id
	q.take(a)
	c.tell(answeredMessage{Type: msgAnswered, ID: q.id, Choice: a.Choice, Value: a.Value})
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
