// Package lessons holds synack's self-paced course: lessons that walk a
// student through one scenario's trace, step by step, with narration and
// questions in English and Chinese.
//
// A lesson is a content file, not code: one JSON file in content/, named
// after the lesson's id, in the format docs/lessons.md describes. Each step
// is anchored to a trace event by a matcher (a partial event such as
// {"kind": "segment", "from": "client", "flags": ["SYN"]}), resolved to an
// event index when the lesson is loaded by running the scenario on the
// engine. Loading also checks every answer that the trace can check: a state
// question's answer is the endpoint's state at its event, a number
// question's is the number on the anchored segment, and a drop question's
// segment is in flight at its step and its expected outcome happens when it
// is dropped. A lesson whose facts disagree with the engine does not load.
//
// The teaching order is content/order.txt, one id per line, as for the
// built-in scenarios. The package provides data only; the web layer serves
// it (Summaries for GET /api/lessons, View for GET /api/lessons/{id}).
package lessons

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/internal/contentorder"
)

//go:embed content/*.json content/order.txt
var content embed.FS

// builtins is loaded once at init from the embedded files and only read
// afterwards. Embedded content that does not load is a bug the tests catch,
// so it panics.
var builtins = mustLoad(content, "content")

// Lesson is one parsed and checked lesson. Lessons from All and Get are
// copies: a caller may change them without affecting anyone else.
type Lesson struct {
	ID      string
	Title   engine.Text
	Summary engine.Text
	// ScenarioID is the built-in scenario the lesson runs, or "" for an
	// inline scenario.
	ScenarioID string
	// Scenario is the resolved scenario, built-in or inline.
	Scenario *engine.Scenario
	Steps    []Step
}

// Step is one stop in the trace: the page plays up to the event before
// Event, asks the question if there is one, then reveals Event with the
// narration.
type Step struct {
	// Match is the matcher as written; Event is the index in the trace's
	// events that it resolved to.
	Match     Matcher
	Event     int
	TMs       float64 // the virtual time of Event
	Narration engine.Text
	Question  *Question
}

// Question kinds.
const (
	KindChoice = "choice"
	KindState  = "state"
	KindNumber = "number"
	KindDrop   = "drop"
)

// Question is asked before its step's event is revealed. Which fields are
// set depends on Kind.
type Question struct {
	Kind   string
	Prompt engine.Text
	// Options and Answer (an index into Options): choice and drop.
	Options []engine.Text
	Answer  int
	// Endpoint and State: a state question, "which state is Endpoint in
	// once the step's event has happened?".
	Endpoint string
	State    string
	// Field ("seq" or "ack") and Number: a number question about the
	// step's segment, in the diagram's relative numbering.
	Field  string
	Number int64
	// Segment, SegmentID, Expect and ExpectEvent: a drop question. The
	// student drops segment SegmentID (what Segment resolved to) while it
	// is in flight; in the run that follows, Expect resolves to event
	// ExpectEvent, which is what the page plays up to before asking.
	Segment     *Matcher
	SegmentID   int
	Expect      *Matcher
	ExpectEvent int
	Explanation engine.Text
}

// All returns every embedded lesson in teaching order.
func All() []*Lesson {
	all := make([]*Lesson, 0, len(builtins.ids))
	for _, id := range builtins.ids {
		all = append(all, builtins.lessons[id].clone())
	}
	return all
}

// Get returns the embedded lesson id.
func Get(id string) (*Lesson, bool) {
	l, ok := builtins.lessons[id]
	if !ok {
		return nil, false
	}
	return l.clone(), true
}

// clone copies a lesson deeply enough that no change to the copy reaches
// the original.
func (l *Lesson) clone() *Lesson {
	c := *l
	c.Scenario = cloneScenario(l.Scenario)
	c.Steps = slices.Clone(l.Steps)
	for i := range c.Steps {
		st := &c.Steps[i]
		st.Match = st.Match.clone()
		if st.Question != nil {
			q := *st.Question
			q.Options = slices.Clone(q.Options)
			if q.Segment != nil {
				m := q.Segment.clone()
				q.Segment = &m
			}
			if q.Expect != nil {
				m := q.Expect.clone()
				q.Expect = &m
			}
			st.Question = &q
		}
	}
	return &c
}

// cloneScenario copies a scenario through its JSON form, which is what
// defines it; its options are pointers that a shallow copy would share.
func cloneScenario(sc *engine.Scenario) *engine.Scenario {
	doc, err := json.Marshal(sc)
	if err == nil {
		sc, err = engine.DecodeScenario(doc)
	}
	if err != nil {
		// The scenario was decoded and validated when the lesson loaded.
		panic(fmt.Sprintf("lessons: copying a loaded scenario: %v", err))
	}
	return sc
}

// catalogue is the parsed embedded lessons.
type catalogue struct {
	ids     []string // in teaching order
	lessons map[string]*Lesson
}

func mustLoad(fsys fs.FS, dir string) catalogue {
	c, err := load(fsys, dir)
	if err != nil {
		panic(err)
	}
	return c
}

// load parses every lesson file in dir and the order file beside them.
func load(fsys fs.FS, dir string) (catalogue, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return catalogue{}, fmt.Errorf("lessons: %w", err)
	}
	c := catalogue{lessons: make(map[string]*Lesson, len(names))}
	for _, name := range names {
		id := strings.TrimSuffix(path.Base(name), ".json")
		doc, err := fs.ReadFile(fsys, name)
		if err != nil {
			return catalogue{}, fmt.Errorf("lessons: %w", err)
		}
		l, err := Decode(doc)
		if err != nil {
			return catalogue{}, fmt.Errorf("lessons: %s: %w", name, err)
		}
		if l.ID != id {
			return catalogue{}, fmt.Errorf("lessons: %s: id %q does not match the file name", name, l.ID)
		}
		c.lessons[id] = l
	}
	order, err := fs.ReadFile(fsys, path.Join(dir, "order.txt"))
	if err != nil {
		return catalogue{}, fmt.Errorf("lessons: %w", err)
	}
	if c.ids, err = contentorder.Parse(order, slices.Collect(maps.Keys(c.lessons)), "lesson"); err != nil {
		return catalogue{}, fmt.Errorf("lessons: order.txt: %w", err)
	}
	return c, nil
}
