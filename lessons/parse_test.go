package lessons

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/synack/synack/engine"
)

// A small valid lesson on client-closes-first, and pieces to build bad ones
// from it.
const (
	narration = `"narration": {"en": "Narration.", "zh": "旁白。"}`
	synStep   = `{"event": {"kind": "segment", "from": "client", "flags": ["SYN"]}, ` + narration + `}`
	prompt    = `"prompt": {"en": "Prompt?", "zh": "问题？"}, "explanation": {"en": "Because.", "zh": "因为。"}`
	options   = `"options": [{"en": "A", "zh": "甲"}, {"en": "B", "zh": "乙"}, {"en": "C", "zh": "丙"}]`
	// synRcvd is the server's SYN-RECEIVED, event 6 of client-closes-first.
	synRcvd = `{"kind": "state", "endpoint": "server", "to": "SYN-RECEIVED"}`
	synAck  = `{"kind": "segment", "from": "server", "flags": ["SYN", "ACK"]}`
)

func lessonDoc(steps ...string) string {
	return `{"id": "t", "title": {"en": "T", "zh": "标题"}, "summary": {"en": "S", "zh": "摘要"},
		"scenario": "client-closes-first", "steps": [` + strings.Join(steps, ", ") + `]}`
}

// withQuestion is a step at event with a question.
func withQuestion(event, question string) string {
	return `{"event": ` + event + `, ` + narration + `, "question": {` + question + `}}`
}

func TestParseValid(t *testing.T) {
	l, err := Parse(strings.NewReader(lessonDoc(
		synStep,
		withQuestion(synRcvd, `"kind": "state", `+prompt+`, "endpoint": "server", "answer": "SYN-RECEIVED"`),
		withQuestion(synAck, `"kind": "number", `+prompt+`, "field": "ack", "answer": 1`),
		withQuestion(`{"kind": "state", "endpoint": "client", "to": "ESTABLISHED"}`,
			`"kind": "drop", `+prompt+`, `+options+`, "answer": 1, "segment": `+synAck+`,
			"expect": {"kind": "state", "endpoint": "server", "to": "CLOSED"}`),
	)))
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != "t" || l.ScenarioID != "client-closes-first" || len(l.Steps) != 4 {
		t.Fatalf("got %+v", l)
	}
	if got := []int{l.Steps[0].Event, l.Steps[1].Event, l.Steps[2].Event, l.Steps[3].Event}; got[0] != 4 || got[1] != 6 || got[2] != 7 || got[3] != 9 {
		t.Errorf("events %v, want [4 6 7 9]", got)
	}
	if q := l.Steps[3].Question; q.SegmentID != 2 || q.ExpectEvent == 0 {
		t.Errorf("drop question resolved to segment %d, expect event %d", q.SegmentID, q.ExpectEvent)
	}
}

func TestParseErrors(t *testing.T) {
	inline := func(scenario string) string {
		return `{"id": "t", "title": {"en": "T", "zh": "标题"}, "summary": {"en": "S", "zh": "摘要"},
			"scenario": ` + scenario + `, "steps": [` + synStep + `]}`
	}
	cases := []struct {
		name, doc, want string
	}{
		{"not JSON", `{"id": `, "invalid JSON at byte"},
		{"trailing data", lessonDoc(synStep) + ` {}`, "invalid JSON at byte"},
		{"array", `[]`, "a lesson must be a JSON object, not an array"},
		{"null", `null`, "a lesson must be a JSON object, not null"},
		{"empty", ``, "invalid JSON"},
		{"unknown field", strings.Replace(lessonDoc(synStep), `"id"`, `"titel": 1, "id"`, 1), "titel: unknown field"},
		{"field in other case", strings.Replace(lessonDoc(synStep), `"id": "t"`, `"ID": "t"`, 1), "id: is required"},
		{"duplicate field", strings.Replace(lessonDoc(synStep), `"id": "t"`, `"id": "t", "id": "u"`, 1), "id: appears twice"},
		{"id type", strings.Replace(lessonDoc(synStep), `"id": "t"`, `"id": 7`, 1), "id: must be a string, not a number"},
		{"id pattern", strings.Replace(lessonDoc(synStep), `"id": "t"`, `"id": "Bad Id"`, 1), "id: must be 1-64 lower-case"},
		{"title missing zh", strings.Replace(lessonDoc(synStep), `"title": {"en": "T", "zh": "标题"}`, `"title": {"en": "T"}`, 1), "title.zh: is required"},
		{"title empty zh", strings.Replace(lessonDoc(synStep), `"zh": "标题"`, `"zh": " "`, 1), "title.zh: must not be empty"},
		{"title extra language", strings.Replace(lessonDoc(synStep), `"zh": "标题"`, `"zh": "标题", "fr": "Titre"`, 1), "title.fr: unknown field"},
		{"summary string", strings.Replace(lessonDoc(synStep), `"summary": {"en": "S", "zh": "摘要"}`, `"summary": "S"`, 1), "summary: must be an object, not a string"},
		{"no scenario", strings.Replace(lessonDoc(synStep), `"scenario": "client-closes-first", `, ``, 1), "scenario: is required"},
		{"unknown scenario", inline(`"nope"`), `scenario: no built-in scenario "nope"`},
		{"scenario number", inline(`42`), "scenario: must be a built-in scenario id or a scenario object, not a number"},
		{"inline scenario bad call", inline(`{"seed": 1, "steps": [{"at_ms": 0, "endpoint": "client", "call": "dial"}]}`), "scenario.steps[0].call: must be one of"},
		{"inline scenario unknown field", inline(`{"seed": 1, "stepz": []}`), "scenario.stepz: unknown field"},
		{"no steps", strings.Replace(lessonDoc(synStep), synStep, ``, 1), "steps: a lesson needs at least one step"},
		{"steps object", strings.Replace(lessonDoc(), `"steps": []`, `"steps": {}`, 1), "steps: must be an array, not an object"},
		{"step without event", lessonDoc(`{` + narration + `}`), "steps[0].event: is required"},
		{"step without narration", lessonDoc(`{"event": ` + synRcvd + `}`), "steps[0].narration: is required"},
		{"step unknown field", lessonDoc(`{"event": ` + synRcvd + `, ` + narration + `, "hint": "x"}`), "steps[0].hint: unknown field"},
		{"matcher without kind", lessonDoc(`{"event": {"from": "client"}, ` + narration + `}`), "steps[0].event.kind: is required"},
		{"matcher bad kind", lessonDoc(`{"event": {"kind": "packet"}, ` + narration + `}`), `steps[0].event.kind: must be one of call, state, segment, timer, note, drop, not "packet"`},
		{"matcher field of other kind", lessonDoc(`{"event": {"kind": "state", "flags": ["SYN"]}, ` + narration + `}`), "steps[0].event.flags: a state event has no flags"},
		{"matcher unknown field", lessonDoc(`{"event": {"kind": "state", "colour": "red"}, ` + narration + `}`), "steps[0].event.colour: unknown field"},
		{"matcher bad flag", lessonDoc(`{"event": {"kind": "segment", "flags": ["SYNN"]}, ` + narration + `}`), `steps[0].event.flags: unknown flag "SYNN"`},
		{"matcher no flags", lessonDoc(`{"event": {"kind": "segment", "flags": []}, ` + narration + `}`), "steps[0].event.flags: must list at least one flag"},
		{"matcher flag type", lessonDoc(`{"event": {"kind": "segment", "flags": [1]}, ` + narration + `}`), "steps[0].event.flags[0]: must be a string, not a number"},
		{"matcher bad state", lessonDoc(`{"event": {"kind": "state", "to": "ESTABLISHED-ISH"}, ` + narration + `}`), "steps[0].event.to: must be one of CLOSED"},
		{"matcher bad endpoint", lessonDoc(`{"event": {"kind": "segment", "from": "router"}, ` + narration + `}`), `steps[0].event.from: must be one of client, server, not "router"`},
		{"matcher nth zero", lessonDoc(`{"event": {"kind": "segment", "nth": 0}, ` + narration + `}`), "steps[0].event.nth: must be a whole number from 1"},
		{"matcher nth fraction", lessonDoc(`{"event": {"kind": "segment", "nth": 1.5}, ` + narration + `}`), "steps[0].event.nth: must be a whole number from 1"},
		{"matcher retransmit type", lessonDoc(`{"event": {"kind": "segment", "retransmit": "yes"}, ` + narration + `}`), "steps[0].event.retransmit: must be true or false, not a string"},
		{"matcher matches nothing", lessonDoc(`{"event": {"kind": "segment", "from": "client", "flags": ["RST"]}, ` + narration + `}`), "steps[0].event: no event in the trace matches segment from=client flags=RST"},
		{"matcher nth too large", lessonDoc(`{"event": {"kind": "segment", "from": "client", "flags": ["SYN"], "nth": 5}, ` + narration + `}`), "steps[0].event: nth is 5, but only 1 events in the trace match"},
		{"steps out of order", lessonDoc(`{"event": `+synRcvd+`, `+narration+`}`, synStep), "steps[1].event: resolves to event 4, which does not come after steps[0]'s event 6"},
		{"same event twice", lessonDoc(synStep, synStep), "steps[1].event: resolves to event 4"},
		{"question kind", lessonDoc(withQuestion(synRcvd, `"kind": "essay", `+prompt)), `steps[0].question.kind: must be one of choice, state, number, drop, not "essay"`},
		{"question without prompt", lessonDoc(withQuestion(synRcvd, `"kind": "choice", `+options+`, "answer": 0, "explanation": {"en": "E", "zh": "解"}`)), "steps[0].question.prompt: is required"},
		{"question without explanation", lessonDoc(withQuestion(synRcvd, `"kind": "choice", "prompt": {"en": "P", "zh": "问"}, `+options+`, "answer": 0`)), "steps[0].question.explanation: is required"},
		{"choice answer range", lessonDoc(withQuestion(synRcvd, `"kind": "choice", `+prompt+`, `+options+`, "answer": 3`)), "steps[0].question.answer: must be a whole number from 0 to 2, not 3"},
		{"choice answer type", lessonDoc(withQuestion(synRcvd, `"kind": "choice", `+prompt+`, `+options+`, "answer": "B"`)), "steps[0].question.answer: must be a whole number, not a string"},
		{"choice one option", lessonDoc(withQuestion(synRcvd, `"kind": "choice", `+prompt+`, "options": [{"en": "A", "zh": "甲"}], "answer": 0`)), "steps[0].question.options: a question needs 2 to 6 options, got 1"},
		{"choice option missing zh", lessonDoc(withQuestion(synRcvd, `"kind": "choice", `+prompt+`, "options": [{"en": "A", "zh": "甲"}, {"en": "B"}], "answer": 0`)), "steps[0].question.options[1].zh: is required"},
		{"choice with endpoint", lessonDoc(withQuestion(synRcvd, `"kind": "choice", `+prompt+`, `+options+`, "answer": 0, "endpoint": "server"`)), "steps[0].question.endpoint: unknown field (known here: kind, prompt, options, answer, explanation)"},
		{"state wrong answer", lessonDoc(withQuestion(synRcvd, `"kind": "state", `+prompt+`, "endpoint": "server", "answer": "ESTABLISHED"`)), "steps[0].question.answer: the trace has the server in SYN-RECEIVED at this step's event (6), not ESTABLISHED"},
		{"state not a state", lessonDoc(withQuestion(synRcvd, `"kind": "state", `+prompt+`, "endpoint": "server", "answer": "SYN_RCVD"`)), `steps[0].question.answer: must be an RFC 9293 state name`},
		{"state bad endpoint", lessonDoc(withQuestion(synRcvd, `"kind": "state", `+prompt+`, "endpoint": "both", "answer": "LISTEN"`)), `steps[0].question.endpoint: must be "client" or "server", not "both"`},
		{"number wrong answer", lessonDoc(withQuestion(synAck, `"kind": "number", `+prompt+`, "field": "ack", "answer": 0`)), "steps[0].question.answer: the step's segment #2 has relative ack 1, not 0"},
		{"number bad field", lessonDoc(withQuestion(synAck, `"kind": "number", `+prompt+`, "field": "window", "answer": 0`)), `steps[0].question.field: must be "seq" or "ack", not "window"`},
		{"number on a state event", lessonDoc(withQuestion(synRcvd, `"kind": "number", `+prompt+`, "field": "seq", "answer": 0`)), "steps[0].question.field: a number question needs its step's event to be a segment, not a state event"},
		{"number ack without ACK", lessonDoc(withQuestion(`{"kind": "segment", "from": "client", "flags": ["SYN"]}`, `"kind": "number", `+prompt+`, "field": "ack", "answer": 0`)), "steps[0].question.field: the step's segment (SYN) has no ACK flag"},
		{"drop of a state", lessonDoc(withQuestion(`{"kind": "state", "endpoint": "client", "to": "ESTABLISHED"}`, `"kind": "drop", `+prompt+`, `+options+`, "answer": 1, "segment": `+synRcvd+`, "expect": `+synRcvd)), `steps[0].question.segment.kind: must be "segment"`},
		{"drop not in flight", lessonDoc(withQuestion(synRcvd, `"kind": "drop", `+prompt+`, `+options+`, "answer": 1, "segment": `+synAck+`, "expect": `+synRcvd)), "steps[0].question.segment: segment #2 is not in flight when this step's event (6) is about to be shown"},
		{"drop already arrived", lessonDoc(withQuestion(`{"kind": "segment", "from": "client", "flags": ["ACK"]}`, `"kind": "drop", `+prompt+`, `+options+`, "answer": 1, "segment": `+synAck+`, "expect": `+synRcvd)), "steps[0].question.segment: segment #2 is not in flight"},
		{"drop without expect", lessonDoc(withQuestion(`{"kind": "state", "endpoint": "client", "to": "ESTABLISHED"}`, `"kind": "drop", `+prompt+`, `+options+`, "answer": 1, "segment": `+synAck)), "steps[0].question.expect: is required"},
		{"drop expect never happens", lessonDoc(withQuestion(`{"kind": "state", "endpoint": "client", "to": "ESTABLISHED"}`, `"kind": "drop", `+prompt+`, `+options+`, "answer": 1, "segment": `+synAck+`, "expect": {"kind": "segment", "flags": ["URG"]}`)), "steps[0].question.expect: no event after the drop matches segment flags=URG"},
		{"question not an object", lessonDoc(`{"event": ` + synRcvd + `, ` + narration + `, "question": []}`), "steps[0].question: must be an object, not an array"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.doc))
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want one containing %q", err, c.want)
			}
			var fe *engine.FieldError
			if !errors.As(err, &fe) {
				t.Errorf("error %q is a %T, want an *engine.FieldError", err, err)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	big := lessonDoc(synStep) + strings.Repeat(" ", MaxLessonBytes)
	if _, err := Parse(strings.NewReader(big)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("error %v, want ErrTooLarge", err)
	}
}

func TestLoadChecksFilesAndOrder(t *testing.T) {
	good := lessonDoc(synStep)
	cases := []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"ok", fstest.MapFS{"c/t.json": {Data: []byte(good)}, "c/order.txt": {Data: []byte("# order\n\nt\n")}}, ""},
		{"id is not the file name", fstest.MapFS{"c/u.json": {Data: []byte(good)}, "c/order.txt": {Data: []byte("u\n")}}, `c/u.json: id "t" does not match the file name`},
		{"bad file", fstest.MapFS{"c/t.json": {Data: []byte(`{}`)}, "c/order.txt": {Data: []byte("t\n")}}, "c/t.json: id: is required"},
		{"not listed", fstest.MapFS{"c/t.json": {Data: []byte(good)}, "c/order.txt": {Data: []byte("\n")}}, "order.txt: t.json is not listed"},
		{"listed twice", fstest.MapFS{"c/t.json": {Data: []byte(good)}, "c/order.txt": {Data: []byte("t\nt\n")}}, "order.txt: line 2: t listed twice"},
		{"listed without file", fstest.MapFS{"c/t.json": {Data: []byte(good)}, "c/order.txt": {Data: []byte("t\nu\n")}}, "order.txt: line 2: no lesson file u.json"},
		{"no order file", fstest.MapFS{"c/t.json": {Data: []byte(good)}}, "order.txt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cat, err := load(c.files, "c")
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want == "" && (len(cat.ids) != 1 || cat.lessons["t"] == nil):
				t.Errorf("loaded %+v", cat)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	files, err := fs.Glob(content, "content/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		doc, err := fs.ReadFile(content, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	f.Add([]byte(lessonDoc(synStep)))
	f.Add([]byte(`{"id": "t", "scenario": {"seed": 1}, "steps": [{}]}`))
	f.Add([]byte(`{"steps": [{"event": {"kind": "segment", "flags": ["SYN", "SYN"]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(bytes.NewReader(data))
		if err != nil {
			if l != nil {
				t.Fatal("a lesson and an error")
			}
			return
		}
		for i := 1; i < len(l.Steps); i++ {
			if l.Steps[i].Event <= l.Steps[i-1].Event {
				t.Fatalf("steps out of order: %d then %d", l.Steps[i-1].Event, l.Steps[i].Event)
			}
		}
		for _, lang := range []string{"en", "zh"} {
			if v := l.View(lang); len(v.Steps) != len(l.Steps) {
				t.Fatalf("View(%s) has %d steps, want %d", lang, len(v.Steps), len(l.Steps))
			}
		}
	})
}
