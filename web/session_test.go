package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// recorder is an outbox that keeps every message, encoded as the ws layer
// encodes it. With a limit it behaves as a bounded queue that the test
// drains by calling drain.
type recorder struct {
	mu       sync.Mutex
	msgs     [][]byte
	limit    int // 0: unbounded
	read     int // messages the user has read
	overflow bool
	maxQueue int
	err      error
}

func (r *recorder) put(msg any) bool {
	b, err := json.Marshal(msg)
	if err != nil {
		panic(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.limit > 0 && len(r.msgs)-r.read >= r.limit {
		r.overflow = true
		return false
	}
	r.msgs = append(r.msgs, b)
	r.maxQueue = max(r.maxQueue, len(r.msgs)-r.read)
	return true
}

func (r *recorder) busy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.limit > 0 && len(r.msgs)-r.read > r.limit/2
}

func (r *recorder) broken(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// drain reads every queued message and returns the new ones.
func (r *recorder) drain() []wireMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := decodeAll(r.msgs[r.read:])
	r.read = len(r.msgs)
	return out
}

// wireMessage is any server message, decoded.
type wireMessage struct {
	Type      string          `json:"type"`
	Event     json.RawMessage `json:"event,omitempty"`
	Cursor    *int            `json:"cursor,omitempty"`
	Live      json.RawMessage `json:"live,omitempty"`
	Events    *int            `json:"events,omitempty"`
	Message   string          `json:"message,omitempty"`
	Code      string          `json:"code,omitempty"`
	Args      map[string]any  `json:"args,omitempty"`
	Scenario  json.RawMessage `json:"scenario,omitempty"`
	Endpoints json.RawMessage `json:"endpoints,omitempty"`
}

func (m wireMessage) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeAll(raw [][]byte) []wireMessage {
	out := make([]wireMessage, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &out[i]); err != nil {
			panic(err)
		}
	}
	return out
}

// fakeClock is a wall clock that moves only when the test says; timers fire
// in the test's goroutine.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// advance moves the clock by d, firing the timers due on the way in order.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t.stopped })
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.at.After(end) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		next.stopped = true
		if next.at.After(c.now) {
			c.now = next.at
		}
		c.mu.Unlock()
		next.f()
	}
}

func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.stopped {
			n++
		}
	}
	return n
}

type sessionFixture struct {
	t     *testing.T
	s     *session
	out   *recorder
	clock *fakeClock
}

func newSessionFixture(t *testing.T) *sessionFixture {
	f := &sessionFixture{t: t, out: &recorder{}, clock: newFakeClock()}
	f.s = newSession(f.out, f.clock)
	t.Cleanup(f.s.close)
	return f
}

// load loads sc and returns its whole run's events as JSON.
func (f *sessionFixture) load(sc *engine.Scenario) []string {
	f.t.Helper()
	tr, err := engine.Run(sc)
	if err != nil {
		f.t.Fatal(err)
	}
	f.s.load(sc, tr.Endpoints)
	got := f.out.drain()
	if len(got) != 1 || got[0].Type != msgLoaded {
		f.t.Fatalf("load answered %v", got)
	}
	return eventJSON(f.t, tr.Events)
}

func (f *sessionFixture) loadBuiltin(id string) []string {
	f.t.Helper()
	sc, ok := scenarios.Get(id)
	if !ok {
		f.t.Fatalf("no built-in %s", id)
	}
	return f.load(sc)
}

func eventJSON(t testing.TB, events []engine.Event) []string {
	t.Helper()
	out := make([]string, len(events))
	for i := range events {
		b, err := json.Marshal(&events[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// ok fails the test on a command's error.
func (f *sessionFixture) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("command failed: %v", err)
	}
}

// stepAll steps until done and returns the events delivered.
func (f *sessionFixture) stepAll() []string {
	f.t.Helper()
	var events []string
	for range 100_000 {
		f.ok(f.s.step())
		msgs := f.out.drain()
		if len(msgs) != 1 {
			f.t.Fatalf("step answered %d messages: %v", len(msgs), msgs)
		}
		switch msgs[0].Type {
		case msgDone:
			return events
		case msgEvent:
			events = append(events, string(msgs[0].Event))
		default:
			f.t.Fatalf("step answered %v", msgs[0])
		}
	}
	f.t.Fatal("no done after 100000 steps")
	return nil
}

// events returns the events among msgs, and whether the last message is
// done. (Played at a speed, a run can be done, then go on after a call.)
func events(t testing.TB, msgs []wireMessage) (evs []string, done bool) {
	t.Helper()
	for _, m := range msgs {
		switch m.Type {
		case msgEvent:
			evs = append(evs, string(m.Event))
		case msgDone, msgRecorded:
		default:
			t.Fatalf("unexpected %v", m)
		}
	}
	return evs, len(msgs) > 0 && msgs[len(msgs)-1].Type == msgDone
}

func eventTime(t testing.TB, ev string) float64 {
	var v struct {
		T float64 `json:"t_ms"`
	}
	if err := json.Unmarshal([]byte(ev), &v); err != nil {
		t.Fatal(err)
	}
	return v.T
}

func TestSessionStepMatchesRun(t *testing.T) {
	for _, sc := range scenarios.All() {
		t.Run(sc.ID, func(t *testing.T) {
			f := newSessionFixture(t)
			want := f.load(sc)
			if got := f.stepAll(); !slices.Equal(got, want) {
				t.Fatalf("stepped events differ from engine.Run's:\n%s", firstDiff(got, want))
			}
			// done again, and nothing else, when stepped past the end.
			f.ok(f.s.step())
			if msgs := f.out.drain(); len(msgs) != 1 || msgs[0].Type != msgDone {
				t.Fatalf("step after done: %v", msgs)
			}
		})
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("event %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("%d events, want %d", len(got), len(want))
}

// TestSessionPlayPacing plays at speeds and checks after each wall clock
// move that exactly the events due by the play clock have been delivered.
func TestSessionPlayPacing(t *testing.T) {
	for _, speed := range []float64{1, 7.5, 1000} {
		t.Run(fmt.Sprint(speed), func(t *testing.T) {
			f := newSessionFixture(t)
			want := f.loadBuiltin("client-closes-first")
			f.ok(f.s.playAt(speed, false))
			var got []string
			wall := time.Duration(0)
			check := func() bool {
				evs, done := events(t, f.out.drain())
				got = append(got, evs...)
				virtual := float64(wall) * speed / float64(time.Millisecond)
				for _, ev := range got[max(0, len(got)-len(evs)):] {
					if eventTime(t, ev) > virtual+1e-6 {
						t.Fatalf("event at %v ms delivered at play time %v ms", eventTime(t, ev), virtual)
					}
				}
				if len(got) < len(want) && eventTime(t, want[len(got)]) <= virtual-1e-6 {
					t.Fatalf("event %d at %v ms not delivered by play time %v ms", len(got), eventTime(t, want[len(got)]), virtual)
				}
				return done
			}
			check()
			// Move the wall clock to just before and to each event's
			// time: nothing early, nothing late.
			for i := 0; i < len(want) && !check(); {
				at := time.Duration(eventTime(t, want[len(got)]) * float64(time.Millisecond) / speed)
				if step := at - wall - time.Microsecond; step > 0 {
					f.clock.advance(step)
					wall += step
					check()
				}
				f.clock.advance(at - wall + time.Microsecond)
				wall = at + time.Microsecond
				i++
			}
			if !slices.Equal(got, want) {
				t.Fatalf("played events differ:\n%s", firstDiff(got, want))
			}
			// TIME-WAIT took real (fake) time: the last event is at
			// 60.61 s of virtual time.
			if min := time.Duration(60.6 / speed * float64(time.Second)); wall < min {
				t.Errorf("played in %v of wall time, want at least %v", wall, min)
			}
		})
	}
}

// TestSessionPlayMax plays as fast as a slow reader drains a small queue:
// all events in order, then done, and the queue never overflows.
func TestSessionPlayMax(t *testing.T) {
	f := newSessionFixture(t)
	f.out.limit = 8
	want := f.loadBuiltin("syn-flood-backlog")
	f.ok(f.s.playAt(0, true))
	var got []string
	done := false
	for range 100_000 {
		evs, d := events(t, f.out.drain())
		got = append(got, evs...)
		if done = d; done {
			break
		}
		f.clock.advance(stallRetry)
	}
	if !done || f.out.overflow || f.out.err != nil {
		t.Fatalf("done %v, overflow %v, err %v", done, f.out.overflow, f.out.err)
	}
	if f.out.maxQueue > f.out.limit/2+1 {
		t.Errorf("queue reached %d of %d", f.out.maxQueue, f.out.limit)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("played events differ:\n%s", firstDiff(got, want))
	}
	if f.clock.pending() != 0 {
		t.Errorf("%d timers left after max play ended", f.clock.pending())
	}
}

func TestSessionPause(t *testing.T) {
	f := newSessionFixture(t)
	want := f.loadBuiltin("client-closes-first")
	f.ok(f.s.playAt(1, false))
	f.clock.advance(15 * time.Millisecond)
	played, _ := events(t, f.out.drain())
	f.ok(f.s.pause())
	f.clock.advance(time.Hour)
	if msgs := f.out.drain(); len(msgs) != 0 || f.clock.pending() != 0 {
		t.Fatalf("paused session sent %v, %d timers", msgs, f.clock.pending())
	}
	f.ok(f.s.step())
	next, _ := events(t, f.out.drain())
	got := append(played, next...)
	if !slices.Equal(got, want[:len(got)]) {
		t.Fatalf("events differ:\n%s", firstDiff(got, want))
	}
}

func TestSessionBack(t *testing.T) {
	f := newSessionFixture(t)
	want := f.loadBuiltin("client-closes-first")
	if err := f.s.back(); err == nil {
		t.Fatal("back at the start succeeded")
	}
	for range 5 {
		f.ok(f.s.step())
	}
	f.out.drain()
	for n := 4; n >= 0; n-- {
		f.ok(f.s.back())
		msgs := f.out.drain()
		if len(msgs) != 1 || msgs[0].Type != msgRewound || *msgs[0].Cursor != n {
			t.Fatalf("back answered %v, want rewound to %d", msgs, n)
		}
		f.ok(f.s.step())
		evs, _ := events(t, f.out.drain())
		if len(evs) != 1 || evs[0] != want[n] {
			t.Fatalf("after back to %d, step gave %v, want %s", n, evs, want[n])
		}
		f.ok(f.s.back())
		f.out.drain()
	}
	// From the start again, the whole run is the same.
	if got := f.stepAll(); !slices.Equal(got, want) {
		t.Fatalf("events after back differ:\n%s", firstDiff(got, want))
	}
}

// interactive is a scenario with no steps: the user makes every call.
func interactive(t testing.TB) *engine.Scenario {
	sc, err := engine.DecodeScenario([]byte(`{"id": "interactive", "seed": 3, "network": {"one_way_delay_ms": 10}, "steps": []}`))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// event is the part of an event the tests look at.
type event struct {
	Kind         engine.Kind `json:"kind"`
	T            float64     `json:"t_ms"`
	Endpoint     string      `json:"endpoint"`
	From         string      `json:"from"`
	To           string      `json:"to"`
	Call         string      `json:"call"`
	Result       string      `json:"result"`
	ID           int         `json:"id"`
	Flags        []string    `json:"flags"`
	Fate         string      `json:"fate"`
	Retransmit   bool        `json:"retransmit"`
	CauseSegment int         `json:"cause_segment"`
}

func parseEvents(t testing.TB, raw []string) []event {
	t.Helper()
	out := make([]event, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal([]byte(r), &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func (e event) String() string {
	switch e.Kind {
	case engine.KindCall:
		return fmt.Sprintf("%v %s call %s %s", e.T, e.Endpoint, e.Call, e.Result)
	case engine.KindState:
		return fmt.Sprintf("%v %s %s>%s", e.T, e.Endpoint, e.From, e.To)
	case engine.KindSegment:
		re := ""
		if e.Retransmit {
			re = " retransmit"
		}
		return fmt.Sprintf("%v %s>%s #%d %s %s%s", e.T, e.From, e.To, e.ID, strings.Join(e.Flags, ","), e.Fate, re)
	case engine.KindDrop:
		return fmt.Sprintf("%v drop #%d", e.T, e.CauseSegment)
	}
	return fmt.Sprintf("%v %s", e.T, e.Kind)
}

func TestSessionInteractiveHandshake(t *testing.T) {
	f := newSessionFixture(t)
	f.load(interactive(t))
	f.ok(f.s.step())
	if msgs := f.out.drain(); len(msgs) != 1 || msgs[0].Type != msgDone {
		t.Fatalf("an empty scenario stepped to %v", msgs)
	}
	f.ok(f.s.call(engine.Server, engine.CallListen, ""))
	f.ok(f.s.call(engine.Client, engine.CallConnect, ""))
	evs, _ := events(t, f.out.drain())
	delivered := parseEvents(t, evs)
	if !slices.ContainsFunc(delivered, func(e event) bool {
		return e.Kind == engine.KindSegment && slices.Equal(e.Flags, []string{"SYN"})
	}) {
		t.Fatalf("connect sent no SYN at once: %v", delivered)
	}
	for _, e := range delivered {
		if e.T != 0 {
			t.Errorf("paused at the start, a call happened at %v ms: %v", e.T, e)
		}
	}
	rest := parseEvents(t, f.stepAll())
	var states []string
	for _, e := range append(delivered, rest...) {
		if e.Kind == engine.KindState {
			states = append(states, e.Endpoint+":"+e.To)
		}
	}
	want := []string{"server:LISTEN", "client:SYN-SENT", "server:SYN-RECEIVED", "client:ESTABLISHED", "server:ESTABLISHED"}
	if !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
}

// TestSessionCallAtPlayTime: a call made while playing happens at the play
// clock, not at the last event.
func TestSessionCallAtPlayTime(t *testing.T) {
	f := newSessionFixture(t)
	f.load(interactive(t))
	f.ok(f.s.playAt(2, false))
	if _, done := events(t, f.out.drain()); !done {
		t.Fatal("no done for an empty scenario")
	}
	f.clock.advance(250 * time.Millisecond)
	f.ok(f.s.call(engine.Server, engine.CallListen, ""))
	evs, _ := events(t, f.out.drain())
	if got := parseEvents(t, evs); len(got) == 0 || got[0].T != 500 {
		t.Fatalf("call at play time 500 ms gave %v", got)
	}
	// Paused, the clock stops where it is.
	f.clock.advance(100 * time.Millisecond)
	f.ok(f.s.pause())
	f.clock.advance(time.Second)
	f.ok(f.s.call(engine.Client, engine.CallConnect, ""))
	evs, _ = events(t, f.out.drain())
	if got := parseEvents(t, evs); len(got) == 0 || got[0].T != 700 {
		t.Fatalf("call after pausing at 700 ms gave %v", got)
	}
	// Playing again, the handshake goes on at the new speed.
	f.ok(f.s.playAt(1, false))
	f.clock.advance(10 * time.Millisecond)
	evs, _ = events(t, f.out.drain())
	if got := parseEvents(t, evs); len(got) == 0 || got[0].T != 710 {
		t.Fatalf("SYN did not arrive at 710 ms: %v", got)
	}
}

// TestSessionCallBetweenSteps: paused between two things due at the same
// time, a call goes in between them.
func TestSessionCallBetweenSteps(t *testing.T) {
	f := newSessionFixture(t)
	f.loadBuiltin("client-closes-first") // server listen, client connect at 0
	f.ok(f.s.step())
	f.out.drain()
	f.ok(f.s.call(engine.Server, engine.CallReceive, ""))
	evs, _ := events(t, f.out.drain())
	got := parseEvents(t, evs)
	if len(got) == 0 || got[len(got)-1].Kind != engine.KindCall || got[len(got)-1].Call != engine.CallReceive {
		t.Fatalf("receive gave %v", got)
	}
	f.ok(f.s.step())
	evs, _ = events(t, f.out.drain())
	if next := parseEvents(t, evs); len(next) != 1 || next[0].Call != engine.CallConnect {
		t.Fatalf("after the user's call, step gave %v, want the scenario's connect", next)
	}
}

func TestSessionBackUndoesCall(t *testing.T) {
	f := newSessionFixture(t)
	f.load(interactive(t))
	f.ok(f.s.call(engine.Server, engine.CallListen, ""))
	evs, _ := events(t, f.out.drain())
	for range evs {
		f.ok(f.s.back())
	}
	if last := f.out.drain(); *last[len(last)-1].Cursor != 0 {
		t.Fatalf("back did not reach 0: %v", last)
	}
	if n := len(f.s.sim.Scenario().Live); n != 0 {
		t.Errorf("%d actions kept", n)
	}
	f.ok(f.s.step())
	if msgs := f.out.drain(); len(msgs) != 1 || msgs[0].Type != msgDone {
		t.Fatalf("the undone listen came back: %v", msgs)
	}
}

func TestSessionDropInFlight(t *testing.T) {
	f := newSessionFixture(t)
	f.load(interactive(t))
	f.ok(f.s.call(engine.Server, engine.CallListen, ""))
	f.ok(f.s.call(engine.Client, engine.CallConnect, ""))
	f.out.drain()
	f.ok(f.s.fault(engine.Fault{Drop: &engine.Drop{Segment: 1}}))
	evs, _ := events(t, f.out.drain())
	if got := parseEvents(t, evs); len(got) != 1 || got[0].Kind != engine.KindDrop || got[0].CauseSegment != 1 {
		t.Fatalf("drop gave %v", got)
	}
	err := f.s.fault(engine.Fault{Drop: &engine.Drop{Segment: 1}})
	if err == nil || !strings.Contains(err.Error(), "already been dropped") {
		t.Errorf("dropping it again: %v", err)
	}
	rest := parseEvents(t, f.stepAll())
	i := slices.IndexFunc(rest, func(e event) bool { return e.Kind == engine.KindSegment && e.Retransmit })
	if i < 0 || !slices.Equal(rest[i].Flags, []string{"SYN"}) {
		t.Fatalf("no SYN retransmission after the drop: %v", rest)
	}
	if !slices.ContainsFunc(rest, func(e event) bool { return e.Kind == engine.KindState && e.To == "ESTABLISHED" }) {
		t.Errorf("the retransmitted SYN did not open the connection: %v", rest)
	}
}

func TestSessionErrors(t *testing.T) {
	f := newSessionFixture(t)
	if err := f.s.step(); err != errNotLoaded {
		t.Errorf("step before load: %v", err)
	}
	want := f.loadBuiltin("client-closes-first")
	for range 8 {
		f.ok(f.s.step())
	}
	f.out.drain()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"bad call", f.s.call(engine.Client, "dance", ""), `call: must be one of listen, connect`},
		{"bad endpoint", f.s.call("router", engine.CallClose, ""), `endpoint: must be "client" or "server", not "router"`},
		{"send without data", f.s.call(engine.Client, engine.CallSend, ""), "data: send needs data"},
		{"arrived segment", f.s.fault(engine.Fault{Drop: &engine.Drop{Segment: 1}}),
			"Segment 1 has already arrived; only a segment still in flight can be dropped."},
		{"no such segment", f.s.fault(engine.Fault{Drop: &engine.Drop{Segment: 99}}), "There is no segment 99 yet"},
		{"bad fault", f.s.fault(engine.Fault{Drop: &engine.Drop{From: "client", Nth: 1}}), "drop.flags: must list at least one flag"},
	} {
		var ue *userError
		if !errors.As(tc.err, &ue) || !strings.Contains(ue.msg, tc.want) {
			t.Errorf("%s: %v, want a user error with %q", tc.name, tc.err, tc.want)
		}
	}
	if msgs := f.out.drain(); len(msgs) != 0 {
		t.Errorf("refused commands sent %v", msgs)
	}
	// The session goes on as if nothing had happened.
	rest := f.stepAll()
	if !slices.Equal(rest, want[8:]) {
		t.Fatalf("events after errors differ:\n%s", firstDiff(rest, want[8:]))
	}
	// At until_ms the run is over: no more calls.
	f.ok(f.s.playAt(1000, false))
	f.clock.advance(time.Hour)
	if err := f.s.call(engine.Client, engine.CallConnect, ""); err == nil || !strings.Contains(err.Error(), "until_ms") {
		t.Errorf("call at until_ms: %v", err)
	}
}

// TestSessionReplay makes a run with calls and faults, then steps back over
// every event: each rewound run must hold exactly the events before the
// cursor, and stepping on from there must give the events that the user's
// kept actions lead to.
func TestSessionReplay(t *testing.T) {
	f := newSessionFixture(t)
	f.load(interactive(t))
	f.ok(f.s.call(engine.Server, engine.CallListen, ""))
	f.ok(f.s.fault(engine.Fault{Drop: &engine.Drop{From: engine.Server, Flags: []string{"SYN", "ACK"}, Nth: 1}}))
	f.ok(f.s.call(engine.Client, engine.CallConnect, ""))
	for range 6 {
		f.ok(f.s.step())
	}
	f.ok(f.s.playAt(3, false))
	f.clock.advance(time.Second)
	f.ok(f.s.call(engine.Client, engine.CallSend, "hello"))
	f.clock.advance(100 * time.Millisecond)
	f.ok(f.s.call(engine.Server, engine.CallReceive, ""))
	f.ok(f.s.call(engine.Client, engine.CallClose, ""))
	f.clock.advance(300 * time.Millisecond)
	f.ok(f.s.pause())
	msgs := f.out.drain()
	all, _ := events(t, msgs)
	var recorded []int // events before each action
	for _, m := range msgs {
		if m.Type == msgRecorded {
			recorded = append(recorded, *m.Events)
		}
	}
	if len(recorded) != 6 {
		t.Fatalf("%d actions recorded, want 6", len(recorded))
	}
	if len(all) < 20 {
		t.Fatalf("only %d events", len(all))
	}
	for n := len(all) - 1; n >= 0; n-- {
		f.ok(f.s.back())
		f.out.drain()
		if got := eventJSON(t, f.s.sim.Events()[:n]); !slices.Equal(got, all[:n]) {
			t.Fatalf("back to %d: replayed events differ:\n%s", n, firstDiff(got, all[:n]))
		}
		kept := 0
		for _, e := range recorded {
			if e < n {
				kept++
			}
		}
		if got := len(f.s.sim.Scenario().Live); got != kept {
			t.Fatalf("back to %d kept %d actions, want the %d made before it", n, got, kept)
		}
	}
}
