package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/synack/synack/engine"
)

// A live session is one engine run that a user drives: step by step, played
// at a speed, or with socket calls and faults of their own. This file holds
// its state and the meaning of each command; it knows nothing of
// WebSockets (ws.go carries the messages).
//
// The engine is deterministic, so a session keeps no snapshots: the engine
// records each call and fault the user makes into the run's scenario, at
// its step and time, and the session steps back by replaying that scenario
// into a fresh Sim (engine.RunTo).

// Message types, server to browser.
const (
	msgLoaded  = "loaded"
	msgEvent   = "event"
	msgDone    = "done"
	msgError   = "error"
	msgRewound = "rewound"
	// msgRecorded: the engine recorded a call or fault of the user's into
	// the run's scenario.
	msgRecorded = "recorded"
)

// Messages, server to browser. The ws layer encodes them as JSON.
type (
	loadedMessage struct {
		Type      string           `json:"type"`
		Scenario  *engine.Scenario `json:"scenario"`
		Endpoints engine.Endpoints `json:"endpoints"`
	}
	eventMessage struct {
		Type  string        `json:"type"`
		Event *engine.Event `json:"event"`
	}
	// rewoundMessage tells the browser to keep only its first Cursor
	// events: the answer to back.
	rewoundMessage struct {
		Type   string `json:"type"`
		Cursor int    `json:"cursor"`
	}
	// errorMessage is a refusal: Message is the English text; Code names
	// the text in the page's catalogues (error.<code>) and Args fills its
	// {placeholders}.
	errorMessage struct {
		Type    string         `json:"type"`
		Message string         `json:"message"`
		Code    string         `json:"code"`
		Args    map[string]any `json:"args"`
	}
	doneMessage struct {
		Type string `json:"type"`
	}
	// recordedMessage gives the browser the entry the engine added to the
	// scenario's live list for a call or fault; Events is how many events
	// came before it (a seek or back to that many or fewer undoes it).
	recordedMessage struct {
		Type   string       `json:"type"`
		Live   *engine.Live `json:"live"`
		Events int          `json:"events"`
	}
)

// outbox takes a session's messages to its user.
type outbox interface {
	// put queues msg. It reports false when the message could not be queued
	// and the session is being closed.
	put(msg any) bool
	// busy reports that the queue is more than half full: a producer that
	// can wait (play) should wait.
	busy() bool
	// broken says the session failed on the server and cannot go on.
	broken(err error)
}

// clock is the wall clock that paces play; tests use a fake one.
type clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d; the returned function
	// cancels the call if it has not started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Play speeds: virtual milliseconds per real millisecond.
const (
	maxSpeed = 1e6
	// stallRetry is how soon play tries again when the user's queue is
	// more than half full.
	stallRetry = time.Millisecond
	// maxTimerWait bounds one wait of the play timer.
	maxTimerWait = time.Hour
)

// userError is a mistake of the user's, told to them as Error() says; the
// session goes on. Its code names the text in the page's catalogues
// (error.<code>, in i18n/*.json), and args fill that text's {placeholders}.
type userError struct {
	code string
	args errArgs
	msg  string
}

// errArgs are the values an error's text uses, by placeholder name.
type errArgs = map[string]any

func (e *userError) Error() string { return e.msg }

// message is e as the browser gets it.
func (e *userError) message() errorMessage {
	args := e.args
	if args == nil {
		args = errArgs{}
	}
	return errorMessage{Type: msgError, Message: e.msg, Code: e.code, Args: args}
}

// userErrorf makes a userError with the code and args, in English as format
// says. Every code must have error.<code> in both catalogues (ws_test.go
// checks).
func userErrorf(code string, args errArgs, format string, a ...any) *userError {
	return &userError{code: code, args: args, msg: fmt.Sprintf(format, a...)}
}

var errNotLoaded = userErrorf("not-loaded", nil, `Load a scenario first: {"type": "load", "scenario": "client-closes-first"}.`)

// playback is the state of play.
type playback struct {
	on    bool
	max   bool    // as fast as the user reads
	speed float64 // virtual ms per real ms, when not max
	// At wall time wall0 the play clock read virt0.
	wall0 time.Time
	virt0 time.Duration
	// stalled: the user's queue was full; the play clock waits for them.
	stalled bool
	// target is the virtual time the pending timer was set for: when it
	// fires, the play clock has reached it.
	target time.Duration
	// seekTo, when more than 0, makes this play a forward seek: it stops
	// once the user has the first seekTo events, and says rewound.
	seekTo int
}

// session is one live run. Its methods lock it: the reader goroutine calls
// them, and the play timer calls tick.
type session struct {
	mu    sync.Mutex
	out   outbox
	clock clock

	sc        *engine.Scenario // as loaded; nil before the first load
	endpoints engine.Endpoints
	sim       *engine.Sim // nil until the run is first needed: idle sessions stay small
	cursor    int         // events delivered to the user

	// at is the virtual time when the play clock is not running: the time
	// of the last delivered event, or the play time at which play paused.
	// It never runs behind the Sim's clock.
	at   time.Duration
	play playback
	// doneSent: the user has been told that nothing more will happen.
	doneSent bool
	// ahead: a back or seek that undid no action only moved the cursor
	// back, and the Sim is still where it was, at the end of its events.
	// They are delivered again from the Sim's list, so a back costs no more
	// than the step it undoes. What needs the Sim's state at the cursor (a
	// call, a fault, play at a speed) replays it first (catchUp). Once the
	// cursor is back at the end of the Sim's events, it is not ahead.
	ahead bool
	// actEvents holds, for each call and fault of the user's still in the
	// run, how many events the user had when making it.
	actEvents []int

	stopTimer func() bool
	timerGen  int
	closed    bool

	// shared is the room that follows the session, if any (room.go).
	shared sessionFollower

	// replays bounds the replays of back with the runs of /api/run; nil
	// (in tests) leaves them unbounded.
	replays limiter
	// allowance bounds how fast the session makes the engine work
	// (allowance.go); nil (in tests) leaves it unbounded. charged is the
	// Sim's work already taken from it.
	allowance *workAllowance
	charged   int64
}

// limiter gives out a fixed number of slots to run the engine in.
type limiter interface {
	acquire(ctx context.Context) error
	release()
}

func newSession(out outbox, clk clock) *session {
	return &session{out: out, clock: clk}
}

// load starts a fresh run of sc, paused at time 0. endpoints are those of
// the whole run (engine.Run).
func (s *session) load(sc *engine.Scenario, endpoints engine.Endpoints) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sc, s.endpoints = sc, endpoints
	s.restart()
}

// reset goes back to time 0 of the loaded scenario, dropping the user's
// actions.
func (s *session) reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sc == nil {
		return errNotLoaded
	}
	s.restart()
	return nil
}

func (s *session) restart() {
	s.stopPlay()
	s.sim, s.cursor, s.at, s.doneSent = nil, 0, 0, false
	s.charged, s.ahead, s.actEvents = 0, false, nil
	s.send(loadedMessage{Type: msgLoaded, Scenario: s.sc, Endpoints: s.endpoints})
}

// step pauses play and delivers the next event, or says done.
func (s *session) step() error { return s.working(s.stepLocked) }

// stepLocked is step's work, under working.
func (s *session) stepLocked() error {
	s.pauseLocked()
	sim := s.run()
	for s.cursor == len(sim.Events()) {
		if s.exhausted() || !sim.Step() {
			s.send(doneMessage{Type: msgDone})
			return nil
		}
	}
	s.deliverOne()
	s.settleAt()
	return nil
}

// settleAt moves at to the time of the events delivered: the Sim's clock,
// or while the Sim is ahead of the cursor, the last delivered event's time.
func (s *session) settleAt() {
	if s.ahead {
		if s.cursor < len(s.sim.Events()) {
			s.at = s.deliveredAt(s.cursor)
			return
		}
		s.ahead = false
	}
	s.at = max(s.at, s.sim.Now())
}

// deliveredAt is the virtual time after the first n events: that of the
// last of them.
func (s *session) deliveredAt(n int) time.Duration {
	if n == 0 {
		return 0
	}
	return time.Duration(s.sim.Events()[n-1].T)
}

// moveBack steps back to the first n events. When it undoes none of the
// user's calls and faults it only moves the cursor (the Sim stays ahead);
// else it replays.
func (s *session) moveBack(n int) error {
	if k := len(s.actEvents); k > 0 && s.actEvents[k-1] >= n {
		return s.rewind(n)
	}
	s.ahead, s.cursor, s.doneSent = true, n, false
	s.at = s.deliveredAt(n)
	return nil
}

// catchUp replays the run to the cursor when the Sim is ahead of it, for
// what needs the Sim's state at the cursor.
func (s *session) catchUp() error {
	if !s.ahead || s.cursor >= len(s.sim.Events()) {
		s.ahead = false
		return nil
	}
	return s.rewind(s.cursor)
}

// working runs a command that makes the engine work: under the session's
// lock, on a loaded run, while the allowance is not overdrawn, and charged
// to it after.
func (s *session) working(do func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sc == nil {
		return errNotLoaded
	}
	if err := s.afford(); err != nil {
		return err
	}
	defer s.account()
	return do()
}

// playAt starts or re-paces play: at speed virtual ms per real ms, or as
// fast as the user reads.
func (s *session) playAt(speed float64, fastest bool) error {
	return s.working(func() error { return s.playAtLocked(speed, fastest) })
}

// playAtLocked is playAt's work, under working.
func (s *session) playAtLocked(speed float64, fastest bool) error {
	s.pauseLocked()
	s.run()
	if !fastest {
		// Play at a speed paces the events by their times.
		if err := s.catchUp(); err != nil {
			return err
		}
	}
	s.play = playback{on: true, max: fastest, speed: speed, wall0: s.clock.Now(), virt0: s.at}
	s.doneSent = false
	s.tickLocked(0)
	return nil
}

// pause stops play; the play clock stops where it is.
func (s *session) pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sc == nil {
		return errNotLoaded
	}
	s.pauseLocked()
	return nil
}

// pauseLocked first delivers what the play clock has reached, so that
// every event before the paused clock has been delivered and nothing is due
// in between.
func (s *session) pauseLocked() {
	if !s.play.on {
		return
	}
	if !s.play.max && !s.play.stalled {
		now := s.now()
		s.produce(now, false)
		s.at = max(s.at, now)
	}
	s.stopPlay()
}

func (s *session) stopPlay() {
	s.play = playback{}
	s.cancelTimer()
}

// back returns to the state before the last delivered event. User actions
// made at or after the new cursor are undone.
func (s *session) back() error { return s.working(s.backLocked) }

// backLocked is back's work, under working.
func (s *session) backLocked() error {
	s.pauseLocked()
	if s.cursor == 0 {
		return userErrorf("at-start", nil, "This is the start of the run: there is nothing to step back over.")
	}
	if err := s.moveBack(s.cursor - 1); err != nil {
		return err
	}
	s.send(rewoundMessage{Type: msgRewound, Cursor: s.cursor})
	return nil
}

// seek pauses play and moves the run to just after its first n events:
// back by replaying, forward by delivering the events in between. Either
// way the answer ends with rewound to n, as back's does. A cursor past the
// run's end is refused and the session stays where it was.
func (s *session) seek(n int) error {
	return s.working(func() error { return s.seekLocked(n) })
}

// seekLocked is seek's work, under working.
func (s *session) seekLocked(n int) error {
	s.pauseLocked()
	if n < 0 || n > engine.MaxEvents {
		return badCursor(n)
	}
	switch {
	case n < s.cursor:
		if err := s.moveBack(n); err != nil {
			return err
		}
	case n > s.cursor:
		sim := s.run()
		for len(sim.Events()) < n && sim.Step() {
		}
		if have := len(sim.Events()); have < n {
			// Stepping on moved the Sim past the user: replay it to
			// where the user is, keeping every action made so far.
			at := s.at
			if err := s.replayTo(s.cursor, false); err != nil {
				return err
			}
			s.at = max(s.at, at)
			return userErrorf("seek-past-end", errArgs{"cursor": n, "events": have},
				"This run has %d events: seek to a cursor from 0 to %d, not %d.", have, have, n)
		}
		// The events in between go out as play at full speed does, as
		// fast as the user (and the viewers of a shared session) read
		// them; rewound follows the last.
		s.play = playback{on: true, max: true, seekTo: n}
		s.tickLocked(0)
		return nil
	}
	s.send(rewoundMessage{Type: msgRewound, Cursor: s.cursor})
	return nil
}

func badCursor(n int) *userError {
	value := fmt.Sprint(n)
	return userErrorf("bad-cursor", errArgs{"max": engine.MaxEvents, "value": value},
		"cursor: must be a whole number of events from 0 to %d, not %s.", engine.MaxEvents, value)
}

// rewind replays the run as the user changed it into a fresh Sim, up to
// its first n events. User actions made at or after n are undone.
func (s *session) rewind(n int) error { return s.replayTo(n, true) }

// replayTo replays the run as the user changed it into a fresh Sim, up to
// its first n events; forget undoes the user's actions made at or after n.
// The replay waits for a slot of the run limiter; when none comes, the
// session stays where it was.
func (s *session) replayTo(n int, forget bool) error {
	if s.replays != nil {
		if err := s.replays.acquire(context.Background()); err != nil {
			return err
		}
		defer s.replays.release()
	}
	sim, err := engine.RunTo(s.run().Scenario(), n)
	if err != nil {
		// The engine is deterministic; a replay that differs is a bug.
		s.closed = true
		s.out.broken(fmt.Errorf("replaying to event %d: %w", n, err))
		return nil
	}
	if forget {
		sim.ForgetLive()
		for len(s.actEvents) > 0 && s.actEvents[len(s.actEvents)-1] >= n {
			s.actEvents = s.actEvents[:len(s.actEvents)-1]
		}
	}
	s.sim, s.cursor, s.doneSent = sim, n, false
	s.at, s.ahead = sim.Now(), false
	// The replay's work is all new: the caller's account charges it.
	s.charged = 0
	return nil
}

// call makes a socket call at the current virtual time; the events it
// causes then are delivered at once.
func (s *session) call(endpoint, call, data string) error {
	return s.act(func(sim *engine.Sim) error { return sim.Call(endpoint, call, data) })
}

// fault adds a fault now: a drop rule for later segments, an inject or
// flood (now if its time has passed), or the loss of one segment in flight.
func (s *session) fault(f engine.Fault) error {
	return s.act(func(sim *engine.Sim) error { return sim.AddFault(f) })
}

// act makes a call or fault on the Sim at the session's virtual time; the
// engine records it into the run's scenario.
func (s *session) act(do func(*engine.Sim) error) error {
	return s.working(func() error { return s.actLocked(do) })
}

// actLocked is act's work, under working.
func (s *session) actLocked(do func(*engine.Sim) error) error {
	s.run()
	if err := s.catchUp(); err != nil {
		return err
	}
	sim := s.sim
	t := s.now()
	if t >= sim.Until() {
		ms := sim.Until().Milliseconds()
		return userErrorf("run-ended", errArgs{"ms": ms},
			"The run has reached its end at %d ms (until_ms); step back or reset to make more calls.", ms)
	}
	if err := s.settle(t); err != nil {
		return err
	}
	events := len(sim.Events())
	if err := do(sim); err != nil {
		return s.actionError(err)
	}
	s.actEvents = append(s.actEvents, events)
	live := sim.Scenario().Live
	s.send(recordedMessage{Type: msgRecorded, Live: &live[len(live)-1], Events: events})
	s.doneSent = false
	s.deliverAll()
	if s.play.on {
		s.tickLocked(0)
	}
	return nil
}

// settle brings the Sim to virtual time t for an action: everything due
// before t happens (and is delivered), and the Sim's clock reads t. When t
// is the Sim's own time the action goes in right after the last thing done,
// before anything else due at the same instant. Events the Sim has made but
// not delivered yet go out with the action's own.
func (s *session) settle(t time.Duration) error {
	sim := s.sim
	if t > sim.Now() {
		s.produce(t, false)
		sim.AdvanceTo(t)
	}
	if err := sim.Err(); err != nil {
		return budgetError(err)
	}
	return nil
}

// actionError says in the user's words why the engine refused an action.
func (s *session) actionError(err error) error {
	var fe *engine.FieldError
	var notInFlight *engine.NotInFlightError
	switch {
	case errors.Is(err, engine.ErrBudget):
		return budgetError(err)
	case errors.As(err, &notInFlight):
		// The page words each reason in its own language.
		args := errArgs{"segment": notInFlight.Segment}
		switch notInFlight.Reason {
		case engine.NotSentYet:
			return userErrorf("segment-not-sent", args, "%s", err.Error())
		case engine.AlreadyDropped:
			return userErrorf("segment-dropped", args, "%s", err.Error())
		case engine.AlreadyLost:
			return userErrorf("segment-lost", args, "%s", err.Error())
		}
		return userErrorf("segment-arrived", args, "%s", err.Error())
	case errors.As(err, &fe):
		// The engine checks a call or fault as a one-line scenario; its
		// field paths name that line.
		field := fe.Field
		for _, p := range []string{"steps[0].", "faults[0]."} {
			field = strings.TrimPrefix(field, p)
		}
		return fieldError(field, fe)
	}
	return err
}

// fieldError is the engine's complaint fe about a field, named field as
// the user wrote it. detail is the engine's English; check and values are
// its rule's code and arguments, which a page words as field.<check> in its
// own language.
func fieldError(field string, fe *engine.FieldError) *userError {
	detail := clip(fe.Msg)
	args := errArgs{"detail": detail}
	if fe.Code != "" {
		values := make(errArgs, len(fe.Args))
		for k, v := range fe.Args {
			if s, ok := v.(string); ok {
				v = clip(s)
			}
			values[k] = v
		}
		args["check"], args["values"] = fe.Code, values
	}
	if field == "" {
		return userErrorf("bad-input", args, "%s", detail)
	}
	args["field"] = field
	return userErrorf("bad-field", args, "%s", clip((&engine.FieldError{Field: field, Msg: fe.Msg}).Error()))
}

// budgetError says which part of the run's budget (engine.Budget) an
// error reports, each with its own code.
func budgetError(err error) *userError {
	var be *engine.BudgetError
	if !errors.As(err, &be) {
		return userErrorf("server-error", nil, "Something went wrong on the server; the error has been logged.")
	}
	max := be.Limit
	switch be.Resource {
	case engine.BudgetEvents:
		return userErrorf("run-limit", errArgs{"max": max},
			"This run has reached the limit of %d events; step back or reset to go on.", max)
	case engine.BudgetWork:
		return userErrorf("run-work", nil,
			"This run has done all the work one run may do on the server; step back or reset to go on.")
	case engine.BudgetHeld:
		kib := max >> 10
		return userErrorf("run-memory", errArgs{"kib": kib},
			"This run has reached the limit of %d KiB of memory; step back or reset to go on.", kib)
	case engine.BudgetCalls:
		return userErrorf("live-calls", errArgs{"max": max},
			"This run has had %d socket calls, the scenario's and yours, the most one run may have; reset to start again.", max)
	case engine.BudgetFaults:
		return userErrorf("live-faults", errArgs{"max": max},
			"This run has had %d faults, the scenario's and yours, the most one run may have; reset to start again.", max)
	case engine.BudgetData:
		return userErrorf("live-data", errArgs{"max": max},
			"This run has sent %d bytes of data, the scenario's and yours, the most one run may; reset to start again.", max)
	}
	return userErrorf("live-agenda", errArgs{"max": max},
		"This run has %d calls, injects and floods waiting, the most one run may have; let some happen first.", max)
}

// close stops the session for good.
func (s *session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.stopPlay()
}

// run returns the Sim, starting a fresh run of the scenario when there is
// none.
func (s *session) run() *engine.Sim {
	if s.sim == nil {
		sim, err := engine.NewSim(s.sc)
		if err != nil {
			// load ran this scenario to its end already.
			panic(fmt.Sprintf("web: a loaded scenario does not start: %v", err))
		}
		s.sim = sim
	}
	return s.sim
}

// now is the session's virtual time: the play clock when it runs, else at.
func (s *session) now() time.Duration {
	p := &s.play
	if !p.on || p.max || p.stalled {
		return s.at
	}
	until := s.sim.Until()
	elapsed := float64(s.clock.Now().Sub(p.wall0)) * p.speed
	v := until
	if elapsed < float64(until-p.virt0) {
		v = p.virt0 + time.Duration(elapsed)
	}
	return min(max(v, s.at), until)
}

// produceResult says why produce stopped.
type produceResult int

const (
	produceFinished produceResult = iota // nothing more will happen
	produceWaiting                       // the next thing is after the limit
	produceStalled                       // the user's queue is full
	produceSought                        // a seek has delivered its last event
)

// produce delivers events and steps the Sim until the next thing to happen
// is after limit. With room it also stops while the user's queue is more
// than half full.
func (s *session) produce(limit time.Duration, room bool) produceResult {
	sim := s.sim
	for !s.closed {
		if s.play.seekTo > 0 && s.cursor >= s.play.seekTo {
			return produceSought
		}
		if room && s.busy() {
			return produceStalled
		}
		if s.cursor < len(sim.Events()) {
			s.deliverOne()
			continue
		}
		if s.exhausted() {
			return produceFinished
		}
		next, ok := sim.NextDeadline()
		if !ok || next > sim.Until() {
			return produceFinished
		}
		if next > limit {
			return produceWaiting
		}
		sim.Step()
	}
	return produceFinished
}

// exhausted reports that the run has reached the engine's limits, and tells
// the user once.
func (s *session) exhausted() bool {
	err := s.sim.Err()
	if err == nil {
		return false
	}
	if !s.doneSent {
		s.send(budgetError(err).message())
	}
	return true
}

// tickLocked plays: it delivers every event up to the play clock and sets
// the timer for the next one. The play clock has reached at least reached.
func (s *session) tickLocked(reached time.Duration) {
	p := &s.play
	if !p.on || s.closed {
		return
	}
	if p.stalled {
		if s.busy() {
			s.schedule(stallRetry, s.at)
			return
		}
		// The user has caught up: the play clock goes on from where it
		// stopped.
		p.stalled, p.wall0, p.virt0 = false, s.clock.Now(), s.at
	}
	limit := s.sim.Until()
	if !p.max {
		limit = max(s.now(), reached)
	}
	result := s.produce(limit, true)
	s.settleAt()
	switch result {
	case produceSought:
		s.stopPlay()
		s.send(rewoundMessage{Type: msgRewound, Cursor: s.cursor})
	case produceStalled:
		if !p.max {
			// The play clock waits at the last event until the user reads.
			p.stalled = true
		}
		s.schedule(stallRetry, s.at)
	case produceWaiting:
		next, _ := s.sim.NextDeadline()
		// Wall time from wall0 until the play clock reads next, rounded up
		// so that the timer never fires before it; a very slow play
		// wakes up now and then to recompute.
		wall := math.Ceil(float64(next-p.virt0) / p.speed)
		wait := maxTimerWait
		if wall < float64(maxTimerWait) {
			wait = min(time.Duration(wall)-s.clock.Now().Sub(p.wall0), maxTimerWait)
		}
		s.schedule(max(wait, 0), next)
	case produceFinished:
		if !s.doneSent {
			s.send(doneMessage{Type: msgDone})
			s.doneSent = true
		}
		if p.max {
			s.stopPlay()
		}
		// At a speed the play clock keeps running, with no timer, so that
		// a call made later happens later (until until_ms).
	}
}

// schedule sets the one timer of the session to tick after d, when the
// play clock reads target.
func (s *session) schedule(d time.Duration, target time.Duration) {
	s.cancelTimer()
	s.play.target = target
	gen := s.timerGen
	s.stopTimer = s.clock.AfterFunc(d, func() { s.onTimer(gen) })
}

func (s *session) cancelTimer() {
	s.timerGen++
	if s.stopTimer != nil {
		s.stopTimer()
		s.stopTimer = nil
	}
}

func (s *session) onTimer(gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			s.closed = true
			s.out.broken(&panicError{value: v, stack: debug.Stack()})
		}
	}()
	if gen != s.timerGen || s.closed {
		return // cancelled after it fired
	}
	s.stopTimer = nil
	s.tickLocked(s.play.target)
	s.account()
}

// deliverOne sends the next event.
func (s *session) deliverOne() {
	ev := &s.sim.Events()[s.cursor]
	s.cursor++
	s.send(eventMessage{Type: msgEvent, Event: ev})
}

// deliverAll sends every event the Sim has made.
func (s *session) deliverAll() {
	for !s.closed && s.cursor < len(s.sim.Events()) {
		s.deliverOne()
	}
}

func (s *session) send(msg any) {
	if s.closed {
		return
	}
	if !s.out.put(msg) {
		s.closed = true
		s.stopPlay()
		return
	}
	if s.shared != nil {
		s.shared.relay(msg)
	}
}

// busy reports that play should wait: for the user, or for the viewers of
// the room the session is shared with.
func (s *session) busy() bool {
	return s.out.busy() || s.shared != nil && s.shared.behind()
}

// sessionFollower is what a session is shared with: an outbox of its own that
// fans the session's messages out to a room's viewers.
type sessionFollower interface {
	// relay passes on one message the user was sent; the session's lock
	// is held, so relays come in order.
	relay(msg any)
	// behind reports that play should wait for the followers.
	behind() bool
}

// snapshot is what a session shows its user now, for a room that starts
// following it: the loaded message (nil before the first load), the events
// delivered, and whether done was the last word.
type snapshot struct {
	loaded *loadedMessage
	events []engine.Event
	done   bool
}

// share attaches f to the session and calls seed, under the session's lock,
// with a snapshot of it: every message after the snapshot goes to f. When
// seed fails, nothing is attached.
func (s *session) share(f sessionFollower, seed func(snapshot) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap snapshot
	if s.sc != nil {
		snap.loaded = &loadedMessage{Type: msgLoaded, Scenario: s.sc, Endpoints: s.endpoints}
		if s.sim != nil {
			snap.events = s.sim.Events()[:s.cursor:s.cursor]
		}
		snap.done = s.doneSent || s.finished()
	}
	if err := seed(snap); err != nil {
		return err
	}
	s.shared = f
	return nil
}

// resumeState is where a session is, to be taken up by another connection:
// the presenter's after a reload.
type resumeState struct {
	loaded   *loadedMessage   // nil before the first load
	recorded *engine.Scenario // the run as the user changed it
	cursor   int
	at       time.Duration
	done     bool
}

// suspend stops the session's play, where it is (its connection is gone:
// nothing more is delivered), and says where that is.
func (s *session) suspend() resumeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopPlay()
	if s.sc == nil {
		return resumeState{}
	}
	st := resumeState{
		loaded:   &loadedMessage{Type: msgLoaded, Scenario: s.sc, Endpoints: s.endpoints},
		recorded: s.sc, cursor: s.cursor, at: s.at, done: s.doneSent,
	}
	if s.sim != nil {
		st.recorded = s.sim.Scenario()
	}
	return st
}

// resume takes up st in this fresh session: the run replayed to the same
// event, paused at the same time, with the user's actions still in it. The
// user is told nothing: the caller sends what it needs.
func (s *session) resume(st resumeState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.loaded == nil {
		return nil
	}
	if s.replays != nil {
		if err := s.replays.acquire(context.Background()); err != nil {
			return err
		}
		defer s.replays.release()
	}
	sim, err := engine.RunTo(st.recorded, st.cursor)
	if err != nil {
		return fmt.Errorf("resuming at event %d: %w", st.cursor, err)
	}
	s.sc, s.endpoints = st.loaded.Scenario, st.loaded.Endpoints
	s.sim, s.cursor, s.at, s.doneSent = sim, st.cursor, max(st.at, sim.Now()), st.done
	return nil
}

// unshare detaches f, if it is what the session is shared with.
func (s *session) unshare(f sessionFollower) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shared == f {
		s.shared = nil
	}
}
