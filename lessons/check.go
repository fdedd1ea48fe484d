package lessons

import (
	"fmt"
	"slices"

	"github.com/synack/synack/engine"
)

// This file computes what the trace says at a step, for checking answers:
// an endpoint's state, a segment's numbers as the diagram shows them, and
// the run that follows when the student drops a segment.

// stateAt is the state endpoint is in once event at has happened: the last
// state change up to it, CLOSED before any.
func stateAt(events []engine.Event, at int, endpoint string) string {
	for i := at; i >= 0; i-- {
		ev := &events[i]
		if ev.Kind == engine.KindState && ev.Endpoint == endpoint {
			return ev.To
		}
	}
	return "CLOSED"
}

// relativeNumbers returns the seq and ack of the segment event at as the
// diagram's default "relative" numbering shows them: seq counted from the
// sender's ISN and ack from the receiver's, as signed 32-bit differences.
// Like the diagram (static/files/js/layout.js), it takes each side's ISN from
// the trace's endpoints and moves it to the seq of each later SYN that side
// really sends (not an injected or spoofed one) with a new number, so that a
// second connection counts from its own ISN. A number whose ISN is unknown
// (0), or on a spoofed segment, stays absolute.
func relativeNumbers(trace *engine.Trace, at int) (seq, ack int64) {
	type ref struct {
		isn   uint32
		known bool
	}
	isn := map[string]*ref{
		engine.Client: {trace.Endpoints.Client.ISN, trace.Endpoints.Client.ISN != 0},
		engine.Server: {trace.Endpoints.Server.ISN, trace.Endpoints.Server.ISN != 0},
	}
	for i := 0; i <= at; i++ {
		ev := &trace.Events[i]
		if ev.Kind != engine.KindSegment || ev.SegmentInfo == nil || !slices.Contains(ev.Flags, "SYN") ||
			ev.Injected || ev.Spoofed || ev.DropReason == "unreachable" {
			continue
		}
		if r := isn[ev.From]; r != nil {
			r.isn, r.known = ev.Seq, true
		}
	}
	ev := &trace.Events[at]
	rel := func(v uint32, who string) int64 {
		r := isn[who]
		if r == nil || !r.known || ev.Spoofed || ev.DropReason == "unreachable" {
			return int64(v)
		}
		return int64(int32(v - r.isn))
	}
	return rel(ev.Seq, ev.From), rel(ev.Ack, ev.To)
}

// dropAt runs sc as a live session does up to the moment before event at
// is shown (engine.RunTo), drops segment id, which must be in flight then,
// and runs on to the end. It returns the new trace, whose scenario records
// the drop, and the index of its drop event.
func dropAt(sc *engine.Scenario, at, id int) (*engine.Trace, int, error) {
	sim, err := engine.RunTo(sc, at)
	if err != nil {
		return nil, 0, err
	}
	if !slices.Contains(sim.InFlight(), id) {
		return nil, 0, fmt.Errorf("segment #%d is not in flight when this step's event (%d) is about to be shown; "+
			"anchor the step at the first event the segment's arrival causes", id, at)
	}
	if err := sim.Lose(id); err != nil {
		return nil, 0, err
	}
	dropped := len(sim.Events()) - 1
	if err := sim.RunToEnd(); err != nil {
		return nil, 0, err
	}
	return sim.Trace(), dropped, nil
}
