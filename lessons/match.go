package lessons

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/engine/wire"
)

// Matcher picks one event of a trace: the Nth (from 1) of the events that
// have every field the matcher gives. It is a partial event with the trace's
// own field names, so that it reads like the event it stands for and
// survives changes to fields it does not name, such as times, sequence
// numbers and segment ids:
//
//	{"kind": "segment", "from": "client", "flags": ["SYN"], "nth": 2}
//	{"kind": "state", "endpoint": "server", "to": "ESTABLISHED"}
//
// As in the trace, From and To are endpoints for a segment or drop and
// states for a state event. Flags match as a set: ["ACK", "FIN"] matches a
// FIN,ACK and nothing else, as a scenario's drop rule does.
type Matcher struct {
	Kind       string
	Endpoint   string
	From       string
	To         string
	Flags      []string
	Call       string
	Result     string
	Timer      string
	Action     string
	Reason     string
	Cause      string
	Fate       string
	Data       *string
	Retransmit *bool
	Injected   *bool
	Nth        int

	flags wire.Flags
}

// Values a matcher's fields may take.
var (
	eventKinds = []string{string(engine.KindCall), string(engine.KindState), string(engine.KindSegment), string(engine.KindTimer), string(engine.KindNote), string(engine.KindDrop)}
	endpoints  = []string{engine.Client, engine.Server}
	stateNames = []string{"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
		"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}
	callNames  = []string{"listen", "connect", "send", "receive", "shutdown", "close", "abort"}
	timerNames = engine.TimerNames()
	actions    = []string{"set", "cancel", "fire"}
	fates      = []string{engine.FateDelivered, engine.FateDropped}
)

// matcherFields lists, per event kind, the fields a matcher may give
// besides kind and nth.
var matcherFields = map[string][]string{
	string(engine.KindCall):    {"endpoint", "call", "result", "data"},
	string(engine.KindState):   {"endpoint", "from", "to", "cause", "reason"},
	string(engine.KindSegment): {"from", "to", "flags", "fate", "retransmit", "injected", "cause", "reason", "data"},
	string(engine.KindTimer):   {"endpoint", "timer", "action"},
	string(engine.KindNote):    {"endpoint", "cause", "reason"},
	string(engine.KindDrop):    {"from", "to"},
}

// decodeMatcher reads and checks a matcher object.
func decodeMatcher(raw json.RawMessage, path string) (Matcher, error) {
	var m Matcher
	o, err := decodeObject(raw, path)
	if err != nil {
		return m, err
	}
	if m.Kind, err = o.str("kind", true); err != nil {
		return m, err
	}
	allowed, ok := matcherFields[m.Kind]
	if !ok {
		return m, fieldError(o.field("kind"), "must be one of %s, not %q", strings.Join(eventKinds, ", "), m.Kind)
	}
	for _, key := range o.keys {
		if key != "kind" && key != "nth" && !slices.Contains(allowed, key) && isMatcherField(key) {
			return m, fieldError(o.field(key), "a %s event has no %s (it has: %s)", m.Kind, key, strings.Join(allowed, ", "))
		}
	}
	oneOf := func(key string, into *string, values []string) error {
		v, err := o.str(key, false)
		if err != nil {
			return err
		}
		if o.has(key) && !slices.Contains(values, v) {
			return fieldError(o.field(key), "must be one of %s, not %q", strings.Join(values, ", "), v)
		}
		*into = v
		return nil
	}
	nonEmpty := func(key string, into *string) error {
		v, err := o.str(key, false)
		if err != nil {
			return err
		}
		if o.has(key) && v == "" {
			return fieldError(o.field(key), "must not be empty")
		}
		*into = v
		return nil
	}
	// From and To name endpoints or states, as in the trace.
	fromTo := endpoints
	if m.Kind == string(engine.KindState) {
		fromTo = stateNames
	}
	checks := []error{
		oneOf("endpoint", &m.Endpoint, endpoints),
		oneOf("from", &m.From, fromTo),
		oneOf("to", &m.To, fromTo),
		oneOf("call", &m.Call, callNames),
		oneOf("timer", &m.Timer, timerNames),
		oneOf("action", &m.Action, actions),
		oneOf("fate", &m.Fate, fates),
		nonEmpty("result", &m.Result),
		nonEmpty("reason", &m.Reason),
		nonEmpty("cause", &m.Cause),
	}
	for _, err := range checks {
		if err != nil {
			return m, err
		}
	}
	if o.has("data") {
		d, err := o.str("data", false)
		if err != nil {
			return m, err
		}
		m.Data = &d
	}
	if m.Retransmit, err = o.boolean("retransmit"); err != nil {
		return m, err
	}
	if m.Injected, err = o.boolean("injected"); err != nil {
		return m, err
	}
	if items, ok, err := o.array("flags", false, 8); err != nil {
		return m, err
	} else if ok {
		if len(items) == 0 {
			return m, fieldError(o.field("flags"), "must list at least one flag (SYN, ACK, FIN, RST, PSH, URG, ECE, CWR)")
		}
		for i, item := range items {
			name, err := decodeString(item, fmt.Sprintf("%s[%d]", o.field("flags"), i))
			if err != nil {
				return m, err
			}
			m.Flags = append(m.Flags, name)
		}
		if m.flags, err = wire.ParseFlags(m.Flags); err != nil {
			return m, fieldError(o.field("flags"), "%v", err)
		}
	}
	nth, ok, err := o.integer("nth", false, 1, engine.MaxEvents)
	if err != nil {
		return m, err
	}
	m.Nth = 1
	if ok {
		m.Nth = int(nth)
	}
	return m, o.finish("kind, nth, " + strings.Join(allowed, ", "))
}

// isMatcherField reports whether key is a field of some event kind, so that
// a field of the wrong kind gets a better message than "unknown field".
func isMatcherField(key string) bool {
	for _, fields := range matcherFields {
		if slices.Contains(fields, key) {
			return true
		}
	}
	return false
}

// matches reports whether ev has every field m gives.
func (m *Matcher) matches(ev *engine.Event) bool {
	if string(ev.Kind) != m.Kind {
		return false
	}
	eq := func(want, got string) bool { return want == "" || want == got }
	if !eq(m.Endpoint, ev.Endpoint) || !eq(m.From, ev.From) || !eq(m.To, ev.To) ||
		!eq(m.Reason, string(ev.Reason)) || !eq(m.Cause, string(ev.Cause)) {
		return false
	}
	if m.Data != nil && *m.Data != ev.Data {
		return false
	}
	if m.Call != "" || m.Result != "" {
		if ev.CallInfo == nil || !eq(m.Call, ev.Call) || !eq(m.Result, ev.Result) {
			return false
		}
	}
	if m.Timer != "" || m.Action != "" {
		if ev.TimerInfo == nil || !eq(m.Timer, string(ev.Timer)) || !eq(m.Action, ev.Action) {
			return false
		}
	}
	if m.Flags != nil || m.Fate != "" || m.Retransmit != nil || m.Injected != nil {
		seg := ev.SegmentInfo
		if seg == nil || !eq(m.Fate, seg.Fate) {
			return false
		}
		if m.Retransmit != nil && *m.Retransmit != seg.Retransmit || m.Injected != nil && *m.Injected != seg.Injected {
			return false
		}
		if m.Flags != nil {
			if f, err := wire.ParseFlags(seg.Flags); err != nil || f != m.flags {
				return false
			}
		}
	}
	return true
}

// resolve returns the index of the Nth event at or after from that m
// matches, or an error that says how many there are.
func (m *Matcher) resolve(events []engine.Event, from int, path string) (int, error) {
	seen := 0
	for i := from; i < len(events); i++ {
		if m.matches(&events[i]) {
			seen++
			if seen == m.Nth {
				return i, nil
			}
		}
	}
	where := "in the trace"
	if from > 0 {
		where = "after the drop"
	}
	if seen == 0 {
		return 0, fieldError(path, "no event %s matches %s", where, m)
	}
	return 0, fieldError(path, "nth is %d, but only %d events %s match %s", m.Nth, seen, where, m)
}

// String describes the matcher in the trace's words, for error messages.
func (m Matcher) String() string {
	parts := []string{m.Kind}
	add := func(key, v string) {
		if v != "" {
			parts = append(parts, key+"="+v)
		}
	}
	add("endpoint", m.Endpoint)
	add("from", m.From)
	add("to", m.To)
	if m.Flags != nil {
		add("flags", m.flags.String())
	}
	add("call", m.Call)
	add("result", m.Result)
	add("timer", m.Timer)
	add("action", m.Action)
	add("fate", m.Fate)
	add("cause", m.Cause)
	add("reason", m.Reason)
	if m.Data != nil {
		add("data", fmt.Sprintf("%q", *m.Data))
	}
	if m.Retransmit != nil {
		add("retransmit", fmt.Sprint(*m.Retransmit))
	}
	if m.Injected != nil {
		add("injected", fmt.Sprint(*m.Injected))
	}
	return strings.Join(parts, " ")
}

// clone copies the matcher's slices and pointers.
func (m Matcher) clone() Matcher {
	m.Flags = slices.Clone(m.Flags)
	if m.Data != nil {
		d := *m.Data
		m.Data = &d
	}
	if m.Retransmit != nil {
		b := *m.Retransmit
		m.Retransmit = &b
	}
	if m.Injected != nil {
		b := *m.Injected
		m.Injected = &b
	}
	return m
}
