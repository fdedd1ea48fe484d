package lessons

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// These tests check the embedded course against the engine, by other
// routes than the loader's where they can: a state answer against the
// control blocks the trace carries, a number answer against the segment's
// own ISS and IRS, a drop question by replaying the run.

func TestEmbeddedLessonsLoad(t *testing.T) {
	all := All()
	if len(all) < 12 {
		t.Fatalf("%d lessons, want at least 12", len(all))
	}
	names, err := fs.Glob(content, "content/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(all) {
		t.Errorf("%d lesson files, but All returns %d lessons", len(names), len(all))
	}
	seen := map[string]bool{}
	for _, l := range all {
		if seen[l.ID] {
			t.Errorf("lesson id %s appears twice", l.ID)
		}
		seen[l.ID] = true
		if !slices.Contains(names, path.Join("content", l.ID+".json")) {
			t.Errorf("lesson %s has no file content/%s.json", l.ID, l.ID)
		}
		got, ok := Get(l.ID)
		if !ok || !reflect.DeepEqual(got, l) {
			t.Errorf("Get(%q) differs from All's lesson", l.ID)
		}
	}
	if _, ok := Get("no-such-lesson"); ok {
		t.Error("Get found a lesson that does not exist")
	}
}

func TestCopiesAreIndependent(t *testing.T) {
	a, _ := Get("three-way-handshake")
	a.Title.EN = "changed"
	a.Steps[0].Narration.EN = "changed"
	a.Scenario.Steps[0].Call = "abort"
	if a.Scenario.Options.MSLMs != nil {
		*a.Scenario.Options.MSLMs = 1
	}
	b, _ := Get("three-way-handshake")
	if b.Title.EN == "changed" || b.Steps[0].Narration.EN == "changed" || b.Scenario.Steps[0].Call == "abort" {
		t.Error("changing a lesson from Get changed the catalogue")
	}
}

func TestBuiltinScenarioIsTheCatalogues(t *testing.T) {
	for _, l := range All() {
		if l.ScenarioID == "" {
			continue
		}
		want, ok := scenarios.Get(l.ScenarioID)
		if !ok {
			t.Errorf("%s: built-in scenario %s is gone", l.ID, l.ScenarioID)
			continue
		}
		if !reflect.DeepEqual(l.Scenario, want) {
			t.Errorf("%s: its scenario differs from the built-in %s", l.ID, l.ScenarioID)
		}
	}
}

func TestEveryScenarioRuns(t *testing.T) {
	for _, l := range All() {
		tr, err := engine.Run(l.Scenario)
		if err != nil {
			t.Errorf("%s: engine.Run: %v", l.ID, err)
			continue
		}
		if tr.Truncated {
			t.Errorf("%s: the run was truncated", l.ID)
		}
	}
}

func TestQuestionsPerLesson(t *testing.T) {
	kinds := map[string]int{}
	for _, l := range All() {
		n := 0
		for _, st := range l.Steps {
			if st.Question != nil {
				n++
				kinds[st.Question.Kind]++
			}
		}
		if n < 2 {
			t.Errorf("%s: %d questions, want at least 2", l.ID, n)
		}
	}
	for _, k := range questionKinds {
		if kinds[k] == 0 {
			t.Errorf("no lesson asks a %s question", k)
		}
	}
}

// placeholder matches text left for later.
var placeholder = regexp.MustCompile(`(?i)\b(todo|tbd|fixme|xxx|lorem|ipsum|placeholder)\b|\?\?|待补充|待翻译|待定`)

// texts lists every bilingual text of a lesson with a name for messages.
func texts(l *Lesson) map[string]engine.Text {
	m := map[string]engine.Text{"title": l.Title, "summary": l.Summary}
	if l.ScenarioID == "" {
		m["scenario.title"] = l.Scenario.Title
		m["scenario.summary"] = l.Scenario.Summary
	}
	for i, st := range l.Steps {
		p := "steps[" + strconv.Itoa(i) + "]"
		m[p+".narration"] = st.Narration
		if q := st.Question; q != nil {
			m[p+".question.prompt"] = q.Prompt
			m[p+".question.explanation"] = q.Explanation
			for j, o := range q.Options {
				m[p+".question.options["+strconv.Itoa(j)+"]"] = o
			}
		}
	}
	return m
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

func TestTextsInBothLanguages(t *testing.T) {
	for _, l := range All() {
		for name, tx := range texts(l) {
			where := l.ID + ": " + name
			if strings.TrimSpace(tx.EN) == "" || strings.TrimSpace(tx.ZH) == "" {
				t.Errorf("%s: empty text: %+v", where, tx)
				continue
			}
			for lang, s := range map[string]string{"en": tx.EN, "zh": tx.ZH} {
				if m := placeholder.FindString(s); m != "" {
					t.Errorf("%s.%s: placeholder %q in %q", where, lang, m, s)
				}
			}
			// An option may be the same in both languages when it is only
			// data, such as "\"hello\"".
			neutral := strings.Contains(name, ".options[") && tx.EN == tx.ZH
			if !hasHan(tx.ZH) && !neutral {
				t.Errorf("%s.zh has no Chinese: %q", where, tx.ZH)
			}
			if hasHan(tx.EN) || strings.ContainsAny(tx.EN, "，。：；（）“”") {
				t.Errorf("%s.en has Chinese characters or punctuation: %q", where, tx.EN)
			}
			if tx.EN == tx.ZH && !neutral {
				t.Errorf("%s: the Chinese text is the English one", where)
			}
		}
	}
}

func TestViews(t *testing.T) {
	for _, l := range All() {
		for _, lang := range []string{"en", "zh"} {
			v := l.View(lang)
			if v.Lang != lang || v.ID != l.ID || v.Title == "" || v.Summary == "" || v.Scenario == nil {
				t.Errorf("%s: View(%s) = %+v", l.ID, lang, v)
			}
			if len(v.Steps) != len(l.Steps) {
				t.Fatalf("%s: View(%s) has %d steps, want %d", l.ID, lang, len(v.Steps), len(l.Steps))
			}
			for i, sv := range v.Steps {
				if sv.Narration == "" || sv.Event != l.Steps[i].Event {
					t.Errorf("%s: View(%s).Steps[%d] = %+v", l.ID, lang, i, sv)
				}
				if q := sv.Question; q != nil && (q.Prompt == "" || q.Explanation == "" || q.Answer == nil) {
					t.Errorf("%s: View(%s).Steps[%d].Question = %+v", l.ID, lang, i, q)
				}
			}
			if _, err := json.Marshal(v); err != nil {
				t.Errorf("%s: View(%s) does not marshal: %v", l.ID, lang, err)
			}
		}
		if v := l.View("fr"); v.Lang != "en" || v.Title != l.Title.EN {
			t.Errorf("%s: View(fr) is not English: %q %q", l.ID, v.Lang, v.Title)
		}
		if v := l.View("zh-CN"); v.Lang != "zh" || v.Title != l.Title.ZH {
			t.Errorf("%s: View(zh-CN) is not Chinese: %q %q", l.ID, v.Lang, v.Title)
		}
		if v := l.View("zh"); v.Title != l.Title.ZH {
			t.Errorf("%s: View(zh).Title = %q", l.ID, v.Title)
		}
	}
}

func TestSummariesJSON(t *testing.T) {
	doc, err := json.Marshal(Summaries())
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(doc, &list); err != nil {
		t.Fatalf("the list is not an array of objects: %v", err)
	}
	all := All()
	if len(list) != len(all) {
		t.Fatalf("%d summaries for %d lessons", len(list), len(all))
	}
	for i, item := range list {
		keys := slices.Sorted(maps.Keys(item))
		if !slices.Equal(keys, []string{"id", "summary", "title"}) {
			t.Errorf("summary %d has keys %v, want exactly id, title, summary", i, keys)
		}
		var s struct {
			ID      string
			Title   map[string]string
			Summary map[string]string
		}
		raw, _ := json.Marshal(item)
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		if s.ID != all[i].ID || len(s.Title) != 2 || len(s.Summary) != 2 ||
			s.Title["en"] != all[i].Title.EN || s.Title["zh"] != all[i].Title.ZH ||
			s.Summary["en"] != all[i].Summary.EN || s.Summary["zh"] != all[i].Summary.ZH {
			t.Errorf("summary %d = %s, want lesson %s in teaching order", i, raw, all[i].ID)
		}
	}
}

// TestStepsResolve recounts each matcher's matches up to its event.
func TestStepsResolve(t *testing.T) {
	for _, l := range All() {
		tr, err := engine.Run(l.Scenario)
		if err != nil {
			t.Fatal(err)
		}
		last := -1
		for i, st := range l.Steps {
			if st.Event <= last || st.Event >= len(tr.Events) {
				t.Errorf("%s: steps[%d] is event %d after event %d, of %d", l.ID, i, st.Event, last, len(tr.Events))
				continue
			}
			last = st.Event
			n := 0
			for j := 0; j <= st.Event; j++ {
				if st.Match.matches(&tr.Events[j]) {
					n++
				}
			}
			if !st.Match.matches(&tr.Events[st.Event]) || n != st.Match.Nth {
				t.Errorf("%s: steps[%d] (%s) resolved to event %d, match number %d", l.ID, i, st.Match, st.Event, n)
			}
			if st.TMs != tr.Events[st.Event].T.Ms() {
				t.Errorf("%s: steps[%d] time %v, want %v", l.ID, i, st.TMs, tr.Events[st.Event].T.Ms())
			}
		}
	}
}

// stateFromTCB is an endpoint's state at event at, as the control block
// snapshots the trace carries say.
func stateFromTCB(events []engine.Event, at int, endpoint string) (string, bool) {
	for i := at; i >= 0; i-- {
		ev := &events[i]
		owner := ev.Endpoint
		if ev.Kind == engine.KindSegment {
			owner = ev.From
			if ev.Injected {
				continue
			}
		}
		if owner == endpoint && ev.TCB != nil {
			return ev.TCB.State.String(), true
		}
	}
	return "", false
}

// issOf is the ISS of endpoint's latest control block up to event at: the
// ISN its current connection counts from.
func issOf(events []engine.Event, at int, endpoint string) (uint32, bool) {
	for i := at; i >= 0; i-- {
		ev := &events[i]
		owner := ev.Endpoint
		if ev.Kind == engine.KindSegment {
			owner = ev.From
			if ev.Injected {
				continue
			}
		}
		if owner == endpoint && ev.TCB != nil && ev.TCB.ISS != 0 {
			return ev.TCB.ISS, true
		}
	}
	return 0, false
}

func TestAnswersAgainstTrace(t *testing.T) {
	for _, l := range All() {
		tr, err := engine.Run(l.Scenario)
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range l.Steps {
			q := st.Question
			if q == nil {
				continue
			}
			where := l.ID + ": steps[" + strconv.Itoa(i) + "]"
			ev := &tr.Events[st.Event]
			switch q.Kind {
			case KindChoice:
				if q.Answer < 0 || q.Answer >= len(q.Options) || len(q.Options) < 2 {
					t.Errorf("%s: answer %d of %d options", where, q.Answer, len(q.Options))
				}
			case KindState:
				got, ok := stateFromTCB(tr.Events, st.Event, q.Endpoint)
				if !ok {
					t.Errorf("%s: no control block of the %s up to event %d", where, q.Endpoint, st.Event)
				} else if got != q.State {
					t.Errorf("%s: the %s's control block says %s at event %d, the answer is %s", where, q.Endpoint, got, st.Event, q.State)
				}
			case KindNumber:
				if ev.Kind != engine.KindSegment {
					t.Fatalf("%s: number question on a %s event", where, ev.Kind)
				}
				who, v := ev.From, ev.Seq
				if q.Field == "ack" {
					who, v = ev.To, ev.Ack
				}
				iss, ok := issOf(tr.Events, st.Event, who)
				if !ok {
					t.Fatalf("%s: no control block of the %s up to event %d", where, who, st.Event)
				}
				if want := int64(int32(v - iss)); q.Number != want {
					t.Errorf("%s: segment #%d has %s %d from the %s's ISS, the answer is %d", where, ev.ID, q.Field, want, who, q.Number)
				}
			case KindDrop:
				checkDrop(t, where, l.Scenario, tr, st.Event, q)
			default:
				t.Errorf("%s: question kind %q", where, q.Kind)
			}
		}
	}
}

// checkDrop replays the run the way a live session does, drops the
// question's segment at its step, and checks the expected outcome.
func checkDrop(t *testing.T, where string, sc *engine.Scenario, tr *engine.Trace, at int, q *Question) {
	t.Helper()
	if len(q.Options) < 2 || q.Answer < 0 || q.Answer >= len(q.Options) {
		t.Errorf("%s: answer %d of %d options", where, q.Answer, len(q.Options))
	}
	sent := slices.IndexFunc(tr.Events, func(ev engine.Event) bool {
		return ev.Kind == engine.KindSegment && ev.ID == q.SegmentID
	})
	if sent < 0 || sent >= at || tr.Events[sent].Fate != engine.FateDelivered || !q.Segment.matches(&tr.Events[sent]) {
		t.Errorf("%s: segment #%d is not a delivered segment sent before event %d", where, q.SegmentID, at)
		return
	}
	sim, err := engine.NewSim(sc)
	if err != nil {
		t.Fatal(err)
	}
	for len(sim.Events()) < at {
		if !sim.Step() {
			t.Fatalf("%s: the run ends before event %d", where, at)
		}
	}
	if !slices.Contains(sim.InFlight(), q.SegmentID) {
		t.Errorf("%s: segment #%d is not in flight before event %d (in flight: %v)", where, q.SegmentID, at, sim.InFlight())
		return
	}
	if err := sim.Lose(q.SegmentID); err != nil {
		t.Fatal(err)
	}
	dropped := len(sim.Events()) - 1
	if err := sim.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	events := sim.Events()
	if q.ExpectEvent <= dropped || q.ExpectEvent >= len(events) || !q.Expect.matches(&events[q.ExpectEvent]) {
		t.Errorf("%s: expected event %d (%s) is not in the run after the drop at %d", where, q.ExpectEvent, q.Expect, dropped)
	}
}

// TestDocsExampleParses keeps the complete example of docs/lessons.md
// valid.
func TestDocsExampleParses(t *testing.T) {
	doc, err := os.ReadFile("../docs/lessons.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example -->\\s*```json\\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/lessons.md has no ```json block after <!-- example -->")
	}
	l, err := Decode(m[1])
	if err != nil {
		t.Fatalf("the example in docs/lessons.md does not parse: %v", err)
	}
	kinds := map[string]bool{}
	for _, st := range l.Steps {
		if st.Question != nil {
			kinds[st.Question.Kind] = true
		}
	}
	for _, k := range questionKinds {
		if !kinds[k] {
			t.Errorf("the example in docs/lessons.md has no %s question", k)
		}
	}
}
