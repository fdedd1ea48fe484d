package engine

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// This file is what a live session needs beyond Run: socket calls and faults
// made while the simulation runs. A session that records each action with
// the Steps count at which it was made can replay the run exactly, which is
// how it steps back.

// KindDrop is an event: a segment in flight was lost because the user
// dropped it. Segment names it; From and To are its endpoints.
const KindDrop = "drop"

// Events returns the events so far. The slice is the Sim's: read it, do not
// change it.
func (s *Sim) Events() []Event { return s.events }

// Steps counts the Step calls that did something: with the actions made
// between them, it fixes the state of a run.
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

// Call makes a socket call now, as a live user does. It counts against the
// run's budget as the scenario's own calls do.
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
	s.doCall(endpoint, call, data)
	return nil
}

// AddFault adds a fault while the run goes on: a drop rule applies to the
// segments sent from now on; an inject or flood due in the past happens now.
// {"drop": {"segment": ID}} loses that segment if it is in flight. Every
// fault counts against the run's budget as the scenario's own do.
func (s *Sim) AddFault(f Fault) error {
	data, err := f.validate("")
	if err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	if err := s.charge(0, 1, data); err != nil {
		return err
	}
	if f.Drop != nil && f.Drop.Segment != 0 {
		if err := s.Lose(f.Drop.Segment); err != nil {
			s.spent.faults-- // nothing was done
			return err
		}
		return nil
	}
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
	s.sc = s.withFault(f)
	s.scenarioBytes += faultSize + int64(data)
	// The agenda puts a new action after everything already due at its
	// time.
	s.planFault(&s.sc.Faults[len(s.sc.Faults)-1])
	return nil
}

// withFault returns a copy of the scenario with one more fault, so the
// trace's scenario says what happened.
func (s *Sim) withFault(f Fault) *Scenario {
	sc := *s.sc
	sc.Faults = append(slices.Clip(sc.Faults), f)
	return &sc
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

// Lose drops a segment that is in flight now.
func (s *Sim) Lose(id int) error {
	i := slices.IndexFunc(s.inFlight, func(f flight) bool { return f.id == id })
	if i < 0 {
		return &NotInFlightError{Segment: id, Reason: s.whyNotInFlight(id)}
	}
	f := s.inFlight[i]
	s.inFlight = slices.Delete(s.inFlight, i, i+1)
	to := f.dst.name
	from := s.peer(f.dst).name
	s.record(Event{
		Kind: KindDrop, T: Millis(s.now), From: from, To: to,
		Cause: "user", CauseSegment: id, Reason: "dropped-in-flight",
	})
	return nil
}

// whyNotInFlight says why segment id is not in flight now.
func (s *Sim) whyNotInFlight(id int) string {
	if id < 1 || id > s.segID {
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
	ids := make([]int, len(s.inFlight))
	for i, f := range s.inFlight {
		ids[i] = f.id
	}
	return ids
}
