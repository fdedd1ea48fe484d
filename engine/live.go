package engine

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// This file is what a live session needs beyond Run: socket calls and faults
// made while the simulation runs. The Sim records each into its scenario's
// Live list at the step and time it was made, so the scenario of a live
// run's trace reproduces the trace, and RunTo replays it to any event.

// KindDrop is an event: a segment in flight was lost because the user
// dropped it. Segment names it; From and To are its endpoints.
const KindDrop Kind = "drop"

// Events returns the events so far. The slice is the Sim's: read it, do not
// change it.
func (s *Sim) Events() []Event { return s.events }

// Scenario is the scenario as run so far: the one the Sim started with and
// the live actions recorded since. Read it, do not change it.
func (s *Sim) Scenario() *Scenario { return s.sc }

// Steps counts the steps that did something, live actions included: the
// position of a run, finer than its time.
func (s *Sim) Steps() int { return s.steps }

// Until is the virtual time at which the run stops.
func (s *Sim) Until() time.Duration { return s.until }

// Done reports whether nothing is left to happen before until_ms; a live
// call can still add more.
func (s *Sim) Done() bool {
	t, ok := s.NextDeadline()
	return !ok || t > s.until
}

// AdvanceTo makes everything due at or before t happen, then moves the clock
// to t. It never moves the clock back.
func (s *Sim) AdvanceTo(t time.Duration) {
	t = min(t, s.until)
	for {
		next, ok := s.NextDeadline()
		if !ok || next > t || !s.Step() {
			break
		}
	}
	s.now = max(s.now, t)
}

// ShortRunError is RunTo's error when the run ends with fewer events than
// asked for.
type ShortRunError struct {
	Events, Want int
}

func (e *ShortRunError) Error() string {
	return fmt.Sprintf("the run ends with %d events, before event %d", e.Events, e.Want)
}

// RunTo runs sc until it has made at least n events (one step can make
// several) and returns the Sim there, ready to go on: the state a live
// session had when it had shown n events. Live actions recorded later than
// that are still to come; ForgetLive drops them.
func RunTo(sc *Scenario, n int) (*Sim, error) {
	s, err := NewSim(sc)
	if err != nil {
		return nil, err
	}
	for len(s.events) < n {
		if !s.Step() {
			if s.err != nil {
				return nil, s.err
			}
			return nil, &ShortRunError{Events: len(s.events), Want: n}
		}
	}
	return s, nil
}

// ForgetLive drops the recorded live actions that have not been made yet:
// what the user did after this point of the run is undone.
func (s *Sim) ForgetLive() {
	if s.nextLive == len(s.sc.Live) {
		return
	}
	for _, lv := range s.sc.Live[s.nextLive:] {
		s.scenarioBytes -= liveSize(&lv)
	}
	sc := *s.sc
	sc.Live = slices.Clip(sc.Live[:s.nextLive])
	s.sc = &sc
}

// Call makes a socket call now, as a live user does, and records it. It
// counts against the run's budget as the scenario's own calls do.
func (s *Sim) Call(endpoint, call, data string) error {
	st := Step{Endpoint: endpoint, Call: call, Data: data}
	if err := st.validate(""); err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	if err := s.charge(1, 0, len(data)); err != nil {
		return err
	}
	s.recordLive(Live{Endpoint: endpoint, Call: call, Data: data})
	s.doCall(endpoint, call, data)
	return nil
}

// AddFault adds a fault while the run goes on, and records it: a drop rule
// applies to the segments sent from now on; an inject or flood due in the
// past happens now. {"drop": {"segment": ID}} loses that segment if it is
// in flight. Every fault counts against the run's budget as the scenario's
// own do.
func (s *Sim) AddFault(f Fault) error {
	data, err := f.validate("")
	if err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	if f.Drop != nil && f.Drop.Segment != 0 {
		return s.Lose(f.Drop.Segment)
	}
	if err := s.charge(0, 1, data); err != nil {
		return err
	}
	s.recordLive(Live{Fault: &f})
	s.addFault(f)
	return nil
}

// Lose drops a segment that is in flight now, and records it. It counts
// against the run's budget as a fault.
func (s *Sim) Lose(id int) error {
	if !slices.ContainsFunc(s.net.inFlight(), func(f flight) bool { return f.id == id }) {
		return &NotInFlightError{Segment: id, Reason: s.whyNotInFlight(id)}
	}
	if err := s.charge(0, 1, 0); err != nil {
		return err
	}
	s.recordLive(Live{Fault: &Fault{Drop: &Drop{Segment: id}}})
	return s.lose(id)
}

// recordLive adds a live action made now to the scenario, as the step it
// is. Recorded actions not made yet (after RunTo) are forgotten: the user
// has changed the run from here.
func (s *Sim) recordLive(lv Live) {
	s.ForgetLive()
	lv.Step, lv.AtMs = s.steps, Millis(s.now)
	sc := *s.sc
	sc.Live = append(slices.Clip(sc.Live), lv)
	s.sc = &sc
	s.nextLive = len(sc.Live)
	s.scenarioBytes += liveSize(&lv)
	s.steps++
}

// dueLive returns the recorded live action to make now, if its step has
// come.
func (s *Sim) dueLive() (*Live, bool) {
	if s.nextLive < len(s.sc.Live) && s.sc.Live[s.nextLive].Step <= s.steps {
		return &s.sc.Live[s.nextLive], true
	}
	return nil, false
}

// replayLive makes the recorded live action lv, which is due, as the user
// made it: it is this step, and it is charged then as it was then.
func (s *Sim) replayLive(lv *Live) error {
	i := s.nextLive
	s.nextLive++
	s.steps++
	at := time.Duration(lv.AtMs)
	if next, ok := s.nextScheduled(); ok && next < at {
		return fieldErr(fmt.Sprintf("live[%d].at_ms", i), "live-late", map[string]any{"due": Millis(next).Ms(), "step": lv.Step},
			fmt.Sprintf("the run has something due at %v ms before it, at step %d", Millis(next).Ms(), lv.Step))
	}
	s.now = max(s.now, at)
	var err error
	switch {
	case lv.Fault == nil:
		if err = s.charge(1, 0, len(lv.Data)); err == nil {
			s.doCall(lv.Endpoint, lv.Call, lv.Data)
		}
	case lv.Fault.Drop != nil && lv.Fault.Drop.Segment != 0:
		if err = s.charge(0, 1, 0); err == nil {
			err = s.lose(lv.Fault.Drop.Segment)
		}
	default:
		data, _ := lv.Fault.validate("")
		if err = s.charge(0, 1, data); err == nil {
			s.addFault(*lv.Fault)
		}
	}
	if err != nil {
		return fmt.Errorf("live[%d]: %w", i, err)
	}
	return nil
}

// addFault plans a fault from now on; the agenda puts a new action after
// everything already due at its time.
func (s *Sim) addFault(f Fault) {
	nowMs := int64(s.now / time.Millisecond)
	switch {
	case f.Inject != nil:
		in := *f.Inject
		in.AtMs = max(in.AtMs, nowMs)
		f.Inject = &in
	case f.Flood != nil:
		fl := *f.Flood
		fl.AtMs = max(fl.AtMs, nowMs)
		f.Flood = &fl
	}
	s.planFault(&f)
}

// ErrNotInFlight is what Lose's error is when the segment cannot be
// dropped; errors.As gives the *NotInFlightError that says why.
var ErrNotInFlight = errors.New("segment not in flight")

// Why a segment cannot be dropped.
const (
	NotSentYet     = "not-sent"
	AlreadyArrived = "arrived"
	AlreadyDropped = "dropped"
	AlreadyLost    = "lost"
)

// NotInFlightError says why Segment cannot be dropped: Reason is one of
// NotSentYet, AlreadyArrived, AlreadyDropped (by the user) or AlreadyLost
// (by the network).
type NotInFlightError struct {
	Segment int
	Reason  string
}

func (e *NotInFlightError) Error() string {
	const only = "only a segment still in flight can be dropped"
	switch e.Reason {
	case NotSentYet:
		return fmt.Sprintf("There is no segment %d yet; %s.", e.Segment, only)
	case AlreadyDropped:
		return fmt.Sprintf("Segment %d has already been dropped.", e.Segment)
	case AlreadyLost:
		return fmt.Sprintf("Segment %d was lost on the way already.", e.Segment)
	}
	return fmt.Sprintf("Segment %d has already arrived; %s.", e.Segment, only)
}

// Is makes errors.Is(err, ErrNotInFlight) true.
func (e *NotInFlightError) Is(target error) bool { return target == ErrNotInFlight }

// lose drops segment id, in flight now.
func (s *Sim) lose(id int) error {
	f, ok := s.net.remove(id)
	if !ok {
		return &NotInFlightError{Segment: id, Reason: s.whyNotInFlight(id)}
	}
	to := f.dst.name
	from := s.peer(f.dst).name
	s.record(Event{
		Kind: KindDrop, T: Millis(s.now), From: from, To: to,
		Cause: CauseUser, CauseSegment: id, Reason: ReasonDroppedInFlight,
	})
	return nil
}

// whyNotInFlight says why segment id is not in flight now.
func (s *Sim) whyNotInFlight(id int) string {
	if id < 1 || id > s.net.sent() {
		return NotSentYet
	}
	for _, ev := range s.events {
		if ev.Kind == KindDrop && ev.CauseSegment == id {
			return AlreadyDropped
		}
		if ev.Kind == KindSegment && ev.ID == id && ev.Fate == FateDropped {
			return AlreadyLost
		}
	}
	return AlreadyArrived
}

// InFlight lists the ids of the segments on the wire now.
func (s *Sim) InFlight() []int {
	flights := s.net.inFlight()
	ids := make([]int, len(flights))
	for i, f := range flights {
		ids[i] = f.id
	}
	return ids
}
