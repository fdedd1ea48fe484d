package export

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/engine/wire"
	"github.com/synack/synack/i18n"
)

// Segment reasons the engine gives injected segments (engine/sim.go).
const (
	reasonInjected = "injected"
	reasonSYNFlood = "syn-flood"
)

// fateCause is the fault behind one segment's fate: the index of the
// scenario's fault that dropped or injected it, or -1 when no fault of the
// scenario did (a segment delivered, or one lost in a live session by a rule
// the scenario does not hold).
type fateCause struct {
	fault int
	drop  *engine.Drop
}

// faultCauses finds, for each dropped or injected segment, the fault of the
// scenario that caused it, the way the engine applied them: a drop rule
// counts the segments its sender sent with exactly its flags (spoofed ones
// do not count) and loses the nth; injections and flood SYNs are put on the
// wire in order of time, faults at the same time in the order the scenario
// lists them, one segment each. The result is keyed by segment id.
func faultCauses(tr *engine.Trace) map[int]fateCause {
	causes := map[int]fateCause{}
	if tr.Scenario == nil {
		return causes
	}
	type dropRule struct {
		fault int
		drop  *engine.Drop
		flags wire.Flags
		seen  int
	}
	type action struct {
		atMs  int64
		fault int
	}
	var drops []dropRule
	var actions []action
	for i, f := range tr.Scenario.Faults {
		switch {
		case f.Drop != nil:
			flags, _ := wire.ParseFlags(f.Drop.Flags)
			drops = append(drops, dropRule{fault: i, drop: f.Drop, flags: flags})
		case f.Inject != nil:
			actions = append(actions, action{atMs: f.Inject.AtMs, fault: i})
		case f.Flood != nil:
			for n := range f.Flood.Count {
				actions = append(actions, action{atMs: f.Flood.AtMs + int64(n)*f.Flood.IntervalMs, fault: i})
			}
		}
	}
	slices.SortStableFunc(actions, func(a, b action) int { return cmp.Compare(a.atMs, b.atMs) })

	for i := range tr.Events {
		ev := &tr.Events[i]
		if ev.Kind != engine.KindSegment || ev.SegmentInfo == nil {
			continue
		}
		if ev.Injected && len(actions) > 0 {
			causes[ev.ID] = fateCause{fault: actions[0].fault}
			actions = actions[1:]
		}
		flags, _ := wire.ParseFlags(ev.Flags)
		for j := range drops {
			r := &drops[j]
			if r.drop.Segment != 0 {
				if r.drop.Segment == ev.ID && ev.Fate == engine.FateDropped {
					causes[ev.ID] = fateCause{fault: r.fault, drop: r.drop}
				}
				continue
			}
			if ev.Spoofed || ev.From != r.drop.From || flags != r.flags {
				continue
			}
			r.seen++
			if r.seen == r.drop.Nth && ev.Fate == engine.FateDropped {
				if _, injected := causes[ev.ID]; !injected {
					causes[ev.ID] = fateCause{fault: r.fault, drop: r.drop}
				} else {
					c := causes[ev.ID]
					c.drop = r.drop
					causes[ev.ID] = c
				}
			}
		}
	}
	return causes
}

// fateComments words what became of a segment, in cat's language: how it
// got on the wire (sent, injected, a flood's spoofed SYN), whether it was
// delivered or lost and to which fault, and whether it is a retransmission.
// Wireshark shows them as packet comments (frame.comment).
func fateComments(cat i18n.Catalogue, ev *engine.Event, cause fateCause, known bool) []string {
	var out []string
	fault := func() string { return "faults[" + strconv.Itoa(cause.fault) + "]" }
	if ev.Injected {
		key := "pcapng.injected"
		if ev.Reason == reasonSYNFlood {
			key = "pcapng.flood"
		}
		if !known {
			key += "_unknown"
		}
		out = append(out, cat.T(key, "fault", fault(), "from", cat.T("pcapng."+ev.From), "t", formatMs(ev.T)))
	}
	switch ev.Fate {
	case engine.FateDelivered:
		arrive := ev.T
		if ev.ArriveMs != nil {
			arrive = *ev.ArriveMs
		}
		out = append(out, cat.T("pcapng.delivered", "to", cat.T("pcapng."+ev.To), "t", formatMs(arrive)))
	case engine.FateDropped:
		switch {
		case ev.DropReason == dropUnreachable:
			out = append(out, cat.T("pcapng.dropped_unreachable"))
		case cause.drop != nil && cause.drop.Segment != 0:
			out = append(out, cat.T("pcapng.dropped_segment", "fault", fault()))
		case cause.drop != nil:
			out = append(out, cat.T("pcapng.dropped_rule", "fault", fault(),
				"nth", strconv.Itoa(cause.drop.Nth), "flags", strings.Join(ev.Flags, ","),
				"from", cat.T("pcapng."+cause.drop.From)))
		default:
			out = append(out, cat.T("pcapng.dropped_live"))
		}
	}
	if ev.Retransmit {
		out = append(out, cat.T("mermaid.retransmission"))
	}
	return out
}
