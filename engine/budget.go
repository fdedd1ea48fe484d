package engine

import (
	"errors"
	"fmt"
	"unsafe"
)

// Budget bounds what one run may cost, whichever way it came in: a posted
// scenario, a share link, a lesson, a live session and the replays of one.
// The scenario's limits (scenario.go) bound what a document may ask; the
// budget bounds what the run does with it, as it runs, live actions
// included. A run that reaches Events, Work or HeldBytes stops with a
// *BudgetError; a live call or fault past Calls, Faults, DataBytes or
// Agenda is refused with one and the run goes on.
type Budget struct {
	// Events bounds the events of the trace.
	Events int
	// Work bounds the engine's work, its CPU time: stepWork units for
	// each step (a segment arriving, timers firing, a call, an inject, one
	// SYN of a flood) and one for each connection that step had to look
	// at, so that a listener with a thousand half-open connections costs
	// what it costs.
	Work int64
	// HeldBytes bounds the memory the run holds: its events and their
	// parts, the segments' bytes and data, the connections, the agenda and
	// the segments in flight.
	HeldBytes int64
	// Calls bounds the socket calls, the scenario's steps and a live
	// user's calls together.
	Calls int
	// Faults bounds the faults, the scenario's and a live user's together.
	Faults int
	// DataBytes bounds the data of every send call and injected segment,
	// the scenario's and a live user's together.
	DataBytes int
	// Agenda bounds the calls, injects and floods waiting to happen.
	Agenda int
}

// DefaultBudget is every run's budget. Work and HeldBytes are set so that
// the costliest run takes about 50 ms of one core of the development
// machine (engine BenchmarkBudgetWorst) and holds at most 2 MiB.
var DefaultBudget = Budget{
	Events:    MaxEvents,
	Work:      MaxWork,
	HeldBytes: MaxHeldBytes,
	Calls:     MaxSteps,
	Faults:    MaxFaults,
	DataBytes: MaxDataBytes,
	Agenda:    MaxSteps + MaxFaults,
}

// stepWork is a step's work apart from the connections it looks at: a
// step costs about what looking at 16 connections does (about 1 µs).
const stepWork = 16

// The limits of DefaultBudget that the scenario's own limits do not give.
const (
	MaxWork      = 800_000
	MaxHeldBytes = 1536 << 10 // 1.5 MiB: with what the account leaves out and a session, under 2 MiB
)

// ErrBudget is what errors.Is finds in the error of a run that reached its
// budget; errors.As gives the *BudgetError that says which part.
var ErrBudget = errors.New("run over budget")

// Budget resources, as BudgetError.Resource names them.
const (
	BudgetEvents = "events"
	BudgetWork   = "work"
	BudgetHeld   = "memory"
	BudgetCalls  = "calls"
	BudgetFaults = "faults"
	BudgetData   = "data"
	BudgetAgenda = "agenda"
)

// BudgetError says which part of its Budget a run has reached.
type BudgetError struct {
	Resource string // one of the Budget* constants
	Limit    int64
}

func (e *BudgetError) Error() string {
	switch e.Resource {
	case BudgetEvents:
		return fmt.Sprintf("the run reached the limit of %d events", e.Limit)
	case BudgetWork:
		return fmt.Sprintf("the run reached the limit of work one run may do (%d units: 16 a step, 1 a connection looked at)", e.Limit)
	case BudgetHeld:
		return fmt.Sprintf("the run reached the limit of %d KiB of memory one run may hold", e.Limit>>10)
	case BudgetCalls:
		return fmt.Sprintf("the run has had the %d socket calls one run may have, the scenario's and yours", e.Limit)
	case BudgetFaults:
		return fmt.Sprintf("the run has had the %d faults one run may have, the scenario's and yours", e.Limit)
	case BudgetData:
		return fmt.Sprintf("the run has sent or injected the %d bytes of data one run may have, the scenario's and yours", e.Limit)
	}
	return fmt.Sprintf("the run has %d calls, injects and floods waiting, the most one run may have", e.Limit)
}

// Is makes errors.Is(err, ErrBudget) true.
func (e *BudgetError) Is(target error) bool { return target == ErrBudget }

// spent is what a run has used of its budget so far, apart from what the
// Sim counts anyway (events, the agenda).
type spent struct {
	work   int64
	calls  int
	faults int
	data   int
}

// charge adds the cost of a live call or fault, or refuses it when it would
// go past the budget.
func (s *Sim) charge(calls, faults, data int) error {
	b := &s.budget
	switch {
	case s.spent.calls+calls > b.Calls:
		return &BudgetError{Resource: BudgetCalls, Limit: int64(b.Calls)}
	case s.spent.faults+faults > b.Faults:
		return &BudgetError{Resource: BudgetFaults, Limit: int64(b.Faults)}
	case s.spent.data+data > b.DataBytes:
		return &BudgetError{Resource: BudgetData, Limit: int64(b.DataBytes)}
	case s.agenda.len()+faults > b.Agenda:
		return &BudgetError{Resource: BudgetAgenda, Limit: int64(b.Agenda)}
	}
	s.spent.calls += calls
	s.spent.faults += faults
	s.spent.data += data
	return nil
}

// exceeded reports that the run has used up its budget, and stops it
// there: checked before every step, and within a step that may do much.
func (s *Sim) exceeded() bool {
	if s.err == nil {
		s.err = s.overBudget()
	}
	return s.err != nil
}

// overBudget says which part of the budget the run has used up, if any.
func (s *Sim) overBudget() error {
	b := &s.budget
	switch {
	case len(s.events) > b.Events:
		return &BudgetError{Resource: BudgetEvents, Limit: int64(b.Events)}
	case s.spent.work > b.Work:
		return &BudgetError{Resource: BudgetWork, Limit: b.Work}
	case s.HeldBytes() > b.HeldBytes:
		return &BudgetError{Resource: BudgetHeld, Limit: b.HeldBytes}
	}
	return nil
}

// Sizes of what a run holds, for HeldBytes.
const (
	eventSize  = int64(unsafe.Sizeof(Event{}))
	actionSize = int64(unsafe.Sizeof(action{}))
	flightSize = int64(unsafe.Sizeof(flight{}))
	connSize   = int64(unsafe.Sizeof(conn{}))
	stepSize   = int64(unsafe.Sizeof(Step{}))
	// faultSize is a fault and the largest of its kinds.
	faultSize = int64(unsafe.Sizeof(Fault{}) + unsafe.Sizeof(Inject{}))
)

// HeldBytes is an account of the memory the run holds: the events, their
// parts and data, the segments' bytes, the connections, the agenda and the
// segments in flight. It counts what was allocated for them, not the
// Sim's few fixed fields.
func (s *Sim) HeldBytes() int64 {
	n := int64(cap(s.events))*eventSize + s.eventData
	n += s.segInfos.bytes + s.callInfos.bytes + s.timers.bytes + s.tcbs.bytes +
		s.options.bytes + s.times.bytes + s.net.heldBytes()
	n += int64(cap(s.agenda.items)) * actionSize
	n += int64(len(s.client.conns)+len(s.server.conns)) * connSize
	return n + s.scenarioBytes
}

// scenarioSize is about what sc takes in memory: its steps, faults and
// data. A live session's faults are counted as they are added.
func scenarioSize(sc *Scenario) int64 {
	n := int64(unsafe.Sizeof(*sc)) + int64(len(sc.Steps))*stepSize + int64(len(sc.Faults))*faultSize
	for _, st := range sc.Steps {
		n += int64(len(st.Data))
	}
	for _, f := range sc.Faults {
		if f.Inject != nil {
			n += int64(len(f.Inject.Data))
		}
	}
	for i := range sc.Live {
		n += liveSize(&sc.Live[i])
	}
	return n
}

// liveSize is about what one recorded live action takes in memory.
func liveSize(lv *Live) int64 {
	n := int64(unsafe.Sizeof(*lv)) + int64(len(lv.Data))
	if lv.Fault != nil {
		n += faultSize
		if lv.Fault.Inject != nil {
			n += int64(len(lv.Fault.Inject.Data))
		}
	}
	return n
}

// Spent reports the work done and the memory held so far.
func (s *Sim) Spent() (work, heldBytes int64) { return s.spent.work, s.HeldBytes() }
