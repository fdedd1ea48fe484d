package capture

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/engine/wire"
	"github.com/synack/synack/i18n"
)

// modelScenario derives the scenario a capture implies: the socket calls
// that make the endpoints send what they sent, when they sent it, and the
// segments the inference found lost, as drop faults. Run by the engine it
// is the model to compare the capture with; where they differ is where the
// real stack did something the model does not (or the capture is not what
// the inference assumed).
//
//   - A listener (the server of a handshake it answered) listens at 0.
//   - A pure SYN's sender connects when it sent its first SYN.
//   - New data is a send of that data (cut to the engine's limit on data,
//     with bytes the capture did not keep written as "x").
//   - A first FIN is a close, or a shutdown when its sender still takes
//     data afterwards (a half-close); a RST in a synchronized state is an
//     abort.
//   - Before each call of an endpoint that has received data, it receives
//     (reads it), unless it resets, since close() with unread data resets.
func modelScenario(c *conn, tr *Trace, inf *inference) *engine.Scenario {
	en, zh := i18n.For(i18n.EN), i18n.For(i18n.ZH)
	args := []string{
		"n", strconv.Itoa(tr.Capture.Index),
		"client", addrPort(tr.Endpoints.Client), "server", addrPort(tr.Endpoints.Server),
	}
	sc := &engine.Scenario{
		ID:      "capture",
		Title:   engine.Text{EN: en.T("capture.model_title", args...), ZH: zh.T("capture.model_title", args...)},
		Summary: engine.Text{EN: en.T("capture.model_summary"), ZH: zh.T("capture.model_summary")},
		Seed:    1,
		Profile: "linux",
		Network: engine.Network{OneWayDelayMs: modelDelay(tr.Capture.OneWayDelayMs, inf.crossing())},
	}
	ms := func(t engine.Millis) int64 { return int64(math.Round(t.Ms())) }

	var listened [2]bool
	var connected [2]bool
	var closed [2]bool
	var unread [2]bool
	var shut [2]bool // shut down its sending half, not yet closed
	var dataBytes int
	flagCount := map[string]int{}
	idx := func(name string) int { return boolIndex(name == engine.Server) }
	step := func(at int64, who, call, data string) {
		if len(sc.Steps) >= engine.MaxSteps {
			return
		}
		sc.Steps = append(sc.Steps, engine.Step{AtMs: min(at, engine.MaxUntil), Endpoint: who, Call: call, Data: data})
	}
	read := func(at int64, who string) {
		if unread[idx(who)] {
			step(at, who, engine.CallReceive, "")
			unread[idx(who)] = false
		}
	}
	var last int64
	for i := range c.segs {
		s := &c.segs[i]
		ev := &inf.segs[i]
		who := ev.From
		peer := ev.To
		at := ms(ev.T)
		last = at
		me := idx(who)
		key := who + " " + strings.Join(ev.Flags, ",")
		flagCount[key]++
		if inf.dropped[i] && len(sc.Faults) < engine.MaxFaults {
			sc.Faults = append(sc.Faults, engine.Fault{Drop: &engine.Drop{From: who, Flags: ev.Flags, Nth: flagCount[key]}})
		}
		switch {
		case s.flags&wire.RST != 0:
			st := inf.sentFrom[i]
			if !closed[me] && st != engine.Closed && st != engine.Listen && st != engine.TimeWait {
				step(at, who, engine.CallAbort, "")
				closed[me] = true
			}
		case s.flags&(wire.SYN|wire.ACK) == wire.SYN:
			if !connected[me] {
				connected[me] = true
				step(at, who, engine.CallConnect, "")
			}
		case s.flags&wire.SYN != 0:
			if !connected[me] && !listened[me] {
				listened[me] = true
				sc.Steps = append([]engine.Step{{AtMs: 0, Endpoint: who, Call: engine.CallListen}}, sc.Steps...)
			}
		}
		if s.length > 0 && !inf.retransmit[i] && s.flags&wire.RST == 0 && !closed[me] {
			data := make([]byte, min(s.length, engine.MaxDataBytes-dataBytes))
			n := copy(data, s.payload)
			for k := n; k < len(data); k++ {
				data[k] = 'x'
			}
			if len(data) > 0 {
				read(at, who)
				step(at, who, engine.CallSend, textOf(data))
				dataBytes += len(data)
			}
			if !inf.dropped[i] {
				unread[idx(peer)] = true
			}
		}
		if s.flags&wire.FIN != 0 && !inf.retransmit[i] && !closed[me] {
			closed[me] = true
			call := engine.CallClose
			if halfClose(c, who, i) {
				call = engine.CallShutdown
				closed[me], shut[me] = false, true
			}
			read(at, who)
			step(at, who, call, "")
			// A peer that shut down reads to the end of the stream and
			// closes when this FIN reaches it.
			if p := idx(peer); shut[p] && !inf.dropped[i] {
				at := ms(inf.arrive[i])
				unread[p] = true
				read(at, peer)
				step(at, peer, engine.CallClose, "")
				shut[p], closed[p] = false, true
			}
		}
	}
	sc.UntilMs = min(last+1000, engine.MaxUntil)
	if opts := synOptions(c); opts != nil {
		sc.Options = *opts
	}
	if dataBytes >= engine.MaxDataBytes {
		sc.Summary.EN += " " + en.T("capture.model_data_cut", "kib", strconv.Itoa(engine.MaxDataBytes>>10))
		sc.Summary.ZH += " " + zh.T("capture.model_data_cut", "kib", strconv.Itoa(engine.MaxDataBytes>>10))
	}
	return sc
}

// modelDelay is the model's one-way delay. Calls happen at whole
// milliseconds, so a delay below one would put a call before a segment that
// the capture shows it followed: the estimate is rounded to whole
// milliseconds; but segments that crossed in flight need a delay to cross
// in the model too, at least 1 ms.
func modelDelay(estimate float64, crossing bool) float64 {
	d := math.Round(estimate)
	if crossing {
		d = max(d, 1)
	}
	return min(max(d, 0), engine.MaxOneWayDelayMs)
}

func addrPort(e engine.EndpointInfo) string {
	if strings.Contains(e.Addr, ":") {
		return "[" + e.Addr + "]:" + strconv.Itoa(int(e.Port))
	}
	return e.Addr + ":" + strconv.Itoa(int(e.Port))
}

// halfClose says whether the sender of the FIN at index i goes on taking
// new data from its peer afterwards without resetting: it shut down only
// its sending half.
func halfClose(c *conn, who string, i int) bool {
	for k := i + 1; k < len(c.segs); k++ {
		r := &c.segs[k]
		if c.side(r) == who && r.flags&wire.RST != 0 {
			return false
		}
		if c.side(r) != who && r.length > 0 {
			return true
		}
	}
	return false
}

// synOptions sets the model's options from the client's SYN: the MTU its
// MSS implies (MSS + 40, as the engine's MSS is MTU-40) and whether it
// offered timestamps, SACK and window scaling.
func synOptions(c *conn) *engine.Options {
	for i := range c.segs {
		s := &c.segs[i]
		if s.flags&(wire.SYN|wire.ACK) != wire.SYN {
			continue
		}
		var o engine.Options
		ts, sack, ws := false, false, false
		for _, opt := range s.options {
			switch opt.Kind {
			case wire.MSS:
				mtu := min(max(int64(opt.Value)+40, 68), 65536)
				o.MTU = &mtu
			case wire.Timestamps:
				ts = true
			case wire.SACKPermitted:
				sack = true
			case wire.WS:
				ws = true
			}
		}
		o.Timestamps, o.SACK, o.WindowScaling = &ts, &sack, &ws
		return &o
	}
	return nil
}

// textOf makes a payload a send call's text of the same length in bytes:
// valid UTF-8 stays, and each byte that is not (binary data) becomes '.'.
func textOf(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			sb.WriteByte('.')
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}
