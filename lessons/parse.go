package lessons

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// Limits bound what one lesson file may ask of the loader.
const (
	MaxLessonBytes = 512 << 10 // a lesson document, inline scenario included
	MaxSteps       = 100       // steps in one lesson
	MaxOptions     = 6         // options of a choice or drop question
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ErrTooLarge is wrapped by Parse when the document exceeds MaxLessonBytes.
var ErrTooLarge = errors.New("lesson too large")

// Parse reads, decodes and checks one lesson document: a teacher's file is
// valid when Parse returns no error. Errors name the field with a path such
// as "steps[2].question.answer" (as an *engine.FieldError), and say what the
// trace shows when an answer disagrees with it.
func Parse(r io.Reader) (*Lesson, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxLessonBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading lesson: %w", err)
	}
	return Decode(data)
}

// Decode is Parse for a document already in memory.
func Decode(data []byte) (*Lesson, error) {
	if len(data) > MaxLessonBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxLessonBytes)
	}
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fieldError("", "invalid JSON at byte %d: %v", syn.Offset, syn)
		}
		return nil, fieldError("", "invalid JSON: %v", err)
	}
	if kind := jsonKind(data); kind != "an object" {
		return nil, fieldError("", "a lesson must be a JSON object, not %s", kind)
	}
	o, err := decodeObject(data, "")
	if err != nil {
		return nil, err
	}
	var l Lesson
	if l.ID, err = o.str("id", true); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(l.ID) {
		return nil, fieldError("id", "must be 1-64 lower-case letters, digits and hyphens, not %q", l.ID)
	}
	if l.Title, err = o.text("title"); err != nil {
		return nil, err
	}
	if l.Summary, err = o.text("summary"); err != nil {
		return nil, err
	}
	raw, _, err := o.take("scenario", true)
	if err != nil {
		return nil, err
	}
	if l.ScenarioID, l.Scenario, err = decodeScenario(raw); err != nil {
		return nil, err
	}
	trace, err := engine.Run(l.Scenario)
	if err != nil {
		return nil, fieldError("scenario", "does not run: %v", err)
	}
	items, _, err := o.array("steps", true, MaxSteps)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fieldError("steps", "a lesson needs at least one step")
	}
	if err := o.finish("id, title, summary, scenario, steps"); err != nil {
		return nil, err
	}
	l.Steps = make([]Step, len(items))
	for i, item := range items {
		path := fmt.Sprintf("steps[%d]", i)
		if err := decodeStep(item, path, &l.Steps[i], l.Scenario, trace); err != nil {
			return nil, err
		}
		if i > 0 && l.Steps[i].Event <= l.Steps[i-1].Event {
			return nil, fieldError(join(path, "event"),
				"resolves to event %d, which does not come after steps[%d]'s event %d: steps follow the trace in order",
				l.Steps[i].Event, i-1, l.Steps[i-1].Event)
		}
	}
	return &l, nil
}

// decodeScenario reads the scenario field: a built-in scenario's id, or a
// scenario object in the contract's format.
func decodeScenario(raw json.RawMessage) (string, *engine.Scenario, error) {
	switch jsonKind(raw) {
	case "a string":
		id, err := decodeString(raw, "scenario")
		if err != nil {
			return "", nil, err
		}
		sc, ok := scenarios.Get(id)
		if !ok {
			return "", nil, fieldError("scenario", "no built-in scenario %q (see scenarios/order.txt)", id)
		}
		return id, sc, nil
	case "an object":
		sc, err := engine.DecodeScenario(raw)
		if err != nil {
			var fe *engine.FieldError
			if errors.As(err, &fe) {
				return "", nil, fieldError(join("scenario", fe.Field), "%s", fe.Msg)
			}
			return "", nil, fieldError("scenario", "%v", err)
		}
		return "", sc, nil
	}
	return "", nil, fieldError("scenario", "must be a built-in scenario id or a scenario object, not %s", jsonKind(raw))
}

func decodeStep(raw json.RawMessage, path string, st *Step, sc *engine.Scenario, trace *engine.Trace) error {
	o, err := decodeObject(raw, path)
	if err != nil {
		return err
	}
	evRaw, _, err := o.take("event", true)
	if err != nil {
		return err
	}
	if st.Match, err = decodeMatcher(evRaw, o.field("event")); err != nil {
		return err
	}
	if st.Event, err = st.Match.resolve(trace.Events, 0, o.field("event")); err != nil {
		return err
	}
	st.TMs = trace.Events[st.Event].T.Ms()
	if st.Narration, err = o.text("narration"); err != nil {
		return err
	}
	if qRaw, ok, err := o.take("question", false); err != nil {
		return err
	} else if ok {
		q, err := decodeQuestion(qRaw, o.field("question"), st.Event, sc, trace)
		if err != nil {
			return err
		}
		st.Question = q
	}
	return o.finish("event, narration, question")
}

// questionFields lists, per kind, the fields besides kind, prompt and
// explanation.
var questionFields = map[string][]string{
	KindChoice: {"options", "answer"},
	KindState:  {"endpoint", "answer"},
	KindNumber: {"field", "answer"},
	KindDrop:   {"segment", "options", "answer", "expect"},
}

var questionKinds = []string{KindChoice, KindState, KindNumber, KindDrop}

func decodeQuestion(raw json.RawMessage, path string, at int, sc *engine.Scenario, trace *engine.Trace) (*Question, error) {
	o, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	q := &Question{}
	if q.Kind, err = o.str("kind", true); err != nil {
		return nil, err
	}
	fields, ok := questionFields[q.Kind]
	if !ok {
		return nil, fieldError(o.field("kind"), "must be one of %s, not %q", strings.Join(questionKinds, ", "), q.Kind)
	}
	if q.Prompt, err = o.text("prompt"); err != nil {
		return nil, err
	}
	switch q.Kind {
	case KindChoice:
		err = q.decodeChoice(o)
	case KindState:
		err = q.decodeState(o, at, trace)
	case KindNumber:
		err = q.decodeNumber(o, at, trace)
	case KindDrop:
		if err = q.decodeChoice(o); err == nil {
			err = q.decodeDrop(o, at, sc, trace)
		}
	}
	if err != nil {
		return nil, err
	}
	if q.Explanation, err = o.text("explanation"); err != nil {
		return nil, err
	}
	return q, o.finish("kind, prompt, " + strings.Join(fields, ", ") + ", explanation")
}

// decodeChoice reads options and the index of the right one.
func (q *Question) decodeChoice(o *object) error {
	items, _, err := o.array("options", true, MaxOptions)
	if err != nil {
		return err
	}
	if len(items) < 2 {
		return fieldError(o.field("options"), "a question needs 2 to %d options, got %d", MaxOptions, len(items))
	}
	q.Options = make([]engine.Text, len(items))
	for i, item := range items {
		if q.Options[i], err = decodeText(item, fmt.Sprintf("%s[%d]", o.field("options"), i)); err != nil {
			return err
		}
	}
	n, _, err := o.integer("answer", true, 0, int64(len(items)-1))
	q.Answer = int(n)
	return err
}

// decodeState reads a state question and checks its answer against the
// trace: the endpoint's state once the step's event has happened.
func (q *Question) decodeState(o *object, at int, trace *engine.Trace) error {
	var err error
	if q.Endpoint, err = o.str("endpoint", true); err != nil {
		return err
	}
	if !slices.Contains(endpoints, q.Endpoint) {
		return fieldError(o.field("endpoint"), "must be %q or %q, not %q", engine.Client, engine.Server, q.Endpoint)
	}
	if q.State, err = o.str("answer", true); err != nil {
		return err
	}
	if !slices.Contains(stateNames, q.State) {
		return fieldError(o.field("answer"), "must be an RFC 9293 state name (%s), not %q", strings.Join(stateNames, ", "), q.State)
	}
	if got := stateAt(trace.Events, at, q.Endpoint); got != q.State {
		return fieldError(o.field("answer"), "the trace has the %s in %s at this step's event (%d), not %s",
			q.Endpoint, got, at, q.State)
	}
	return nil
}

// decodeNumber reads a number question about the step's segment and checks
// its answer against the trace.
func (q *Question) decodeNumber(o *object, at int, trace *engine.Trace) error {
	var err error
	if q.Field, err = o.str("field", true); err != nil {
		return err
	}
	if q.Field != "seq" && q.Field != "ack" {
		return fieldError(o.field("field"), `must be "seq" or "ack", not %q`, q.Field)
	}
	ev := &trace.Events[at]
	if ev.Kind != engine.KindSegment {
		return fieldError(o.field("field"), "a number question needs its step's event to be a segment, not a %s event", ev.Kind)
	}
	if q.Field == "ack" && !slices.Contains(ev.Flags, "ACK") {
		return fieldError(o.field("field"), "the step's segment (%s) has no ACK flag, so its ack field means nothing", strings.Join(ev.Flags, ","))
	}
	if q.Number, _, err = o.integer("answer", true, -1<<31, 1<<32-1); err != nil {
		return err
	}
	seq, ack := relativeNumbers(trace, at)
	want := seq
	if q.Field == "ack" {
		want = ack
	}
	if q.Number != want {
		return fieldError(o.field("answer"), "the step's segment #%d has relative %s %d, not %d", ev.ID, q.Field, want, q.Number)
	}
	return nil
}

// decodeDrop reads the segment to drop and the outcome to expect, and
// checks both by dropping the segment in a fresh run at this step.
func (q *Question) decodeDrop(o *object, at int, sc *engine.Scenario, trace *engine.Trace) error {
	raw, _, err := o.take("segment", true)
	if err != nil {
		return err
	}
	seg, err := decodeMatcher(raw, o.field("segment"))
	if err != nil {
		return err
	}
	if seg.Kind != string(engine.KindSegment) {
		return fieldError(o.field("segment.kind"), `must be "segment": only a segment can be dropped`)
	}
	i, err := seg.resolve(trace.Events, 0, o.field("segment"))
	if err != nil {
		return err
	}
	q.Segment, q.SegmentID = &seg, trace.Events[i].ID
	if raw, _, err = o.take("expect", true); err != nil {
		return err
	}
	expect, err := decodeMatcher(raw, o.field("expect"))
	if err != nil {
		return err
	}
	q.Expect = &expect
	run, dropAt, err := dropAt(sc, at, q.SegmentID)
	if err != nil {
		return fieldError(o.field("segment"), "%v", err)
	}
	if q.ExpectEvent, err = expect.resolve(run.Events, dropAt+1, o.field("expect")); err != nil {
		return err
	}
	return nil
}
