package capture

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/engine/wire"
)

// Reasons of inferred events: keys the page explains (capture.reason.* in
// the catalogues).
const (
	reasonListenAssumed      = engine.ReasonCaptureListenAssumed
	reasonEstablishedAssumed = engine.ReasonCaptureEstablishedAssumed
	reasonSynSentAssumed     = engine.ReasonCaptureSynSentAssumed
	reasonDropInferred       = engine.DropInferred
)

// side is what the inference knows of one endpoint.
type side struct {
	name    string
	state   engine.State
	passive bool // it came through LISTEN

	iss      uint32
	issKnown bool
	// sndMax is one past the highest sequence number it sent.
	sndMax      uint32
	sndMaxKnown bool
	finSent     bool
	finSeq      uint32 // the sequence number its FIN takes

	// rcvNxt is the next sequence number it expects from its peer: what
	// delivered segments have filled in without a gap.
	rcvNxt      uint32
	rcvNxtKnown bool
	ooo         [][2]uint32 // delivered ranges beyond a gap
	peerFin     bool        // a FIN of its peer was delivered
	peerFinSeq  uint32
	finReceived bool // ... and taken in order
}

// inference follows both endpoints through a connection's segments with
// RFC 9293's rules (section 3.10, "Event Processing"), as if every segment
// reached its receiver at the capture's time plus the one-way delay, except
// those it finds were lost.
type inference struct {
	c    *conn
	segs []Event
	ep   [2]*side // client, server
	// dropped and retransmit are per segment, in capture order.
	dropped    []bool
	retransmit []bool
	// sentFrom is the state each segment's sender was in when it sent it.
	sentFrom []engine.State
	// arrive is when each delivered segment is taken to have arrived.
	arrive []engine.Millis
	delay  engine.Millis
	out    []Event
}

func newInference(c *conn, segs []Event) *inference {
	inf := &inference{
		c:    c,
		segs: segs,
		ep: [2]*side{
			{name: engine.Client, state: engine.Closed},
			{name: engine.Server, state: engine.Closed},
		},
		dropped:    make([]bool, len(segs)),
		retransmit: make([]bool, len(segs)),
		sentFrom:   make([]engine.State, len(segs)),
		arrive:     make([]engine.Millis, len(segs)),
	}
	inf.delay = engine.Millis(inf.oneWayDelayMs() * float64(time.Millisecond))
	return inf
}

func (inf *inference) sideOf(name string) (from, to *side) {
	if name == engine.Client {
		return inf.ep[0], inf.ep[1]
	}
	return inf.ep[1], inf.ep[0]
}

// seqLen is SEG.LEN: the payload plus one for SYN and one for FIN.
func seqLen(s *segment) uint32 {
	n := uint32(s.length)
	if s.flags&wire.SYN != 0 {
		n++
	}
	if s.flags&wire.FIN != 0 {
		n++
	}
	return n
}

func seqLT(a, b uint32) bool  { return int32(a-b) < 0 }
func seqLEQ(a, b uint32) bool { return int32(a-b) <= 0 }

// oneWayDelayMs estimates the one-way delay from the handshake: the round
// trip from the client's last SYN to its ACK of the SYN,ACK, halved. It is
// 0 without a handshake.
func (inf *inference) oneWayDelayMs() float64 {
	segs := inf.c.segs
	var syn, synack *segment
	for i := range segs {
		s := &segs[i]
		from := inf.c.side(s)
		switch {
		case s.flags&(wire.SYN|wire.ACK) == wire.SYN && from == engine.Client && synack == nil:
			syn = s
		case s.flags&(wire.SYN|wire.ACK) == wire.SYN|wire.ACK && from == engine.Server && syn != nil && synack == nil:
			synack = s
		case s.flags&(wire.SYN|wire.ACK|wire.RST) == wire.ACK && from == engine.Client && synack != nil:
			rtt := s.at.Sub(syn.at)
			if rtt < 0 {
				return 0
			}
			ms := float64(rtt) / float64(time.Millisecond) / 2
			return math.Round(ms*1000) / 1000
		}
	}
	return 0
}

// findLosses marks retransmissions, and the segments the capture shows were
// lost: one that its sender sent again before its receiver acknowledged it
// (the receiver never got it), and an ACK after which its sender still
// retransmitted what the ACK acknowledged (the sender never got the ACK).
// Both are inferences: a capture shows what passed its point, not what
// arrived.
func (inf *inference) findLosses() {
	segs := inf.c.segs
	var sndMax [2]uint32
	var known [2]bool
	var synFlags [2]wire.Flags // the flags of the last SYN each side sent
	for i := range segs {
		s := &segs[i]
		d := boolIndex(inf.c.side(s) == engine.Server)
		end := s.seq + seqLen(s)
		if seqLen(s) > 0 && known[d] && seqLEQ(end, sndMax[d]) {
			// A SYN,ACK after a SYN (simultaneous open) sends the SYN
			// again, but as an answer, not because the SYN was lost.
			inf.retransmit[i] = s.flags&wire.SYN == 0 || synFlags[d] == s.flags&(wire.SYN|wire.ACK)
		}
		if s.flags&wire.SYN != 0 {
			synFlags[d] = s.flags & (wire.SYN | wire.ACK)
		}
		if seqLen(s) > 0 && (!known[d] || seqLT(sndMax[d], end)) {
			sndMax[d], known[d] = end, true
		}
	}
	for i := range segs {
		s := &segs[i]
		if seqLen(s) == 0 || s.flags&wire.RST != 0 {
			continue
		}
		from := inf.c.side(s)
		// The next time its sender sends the same sequence number again.
		j := -1
		for k := i + 1; k < len(segs); k++ {
			r := &segs[k]
			if inf.c.side(r) == from && inf.retransmit[k] && r.seq == s.seq &&
				r.flags&(wire.SYN|wire.ACK|wire.FIN) == s.flags&(wire.SYN|wire.ACK|wire.FIN) {
				j = k
				break
			}
		}
		if j < 0 {
			// A last SYN that nothing ever answers was lost too (the
			// sender gives up on it).
			if s.flags&(wire.SYN|wire.ACK) == wire.SYN && inf.retransmit[i] && !inf.peerSendsAfter(from, i) {
				inf.dropped[i] = true
			}
			continue
		}
		acked := -1
		for k := i + 1; k < j; k++ {
			r := &segs[k]
			if inf.c.side(r) != from && r.flags&wire.ACK != 0 && seqLT(s.seq, r.ack) {
				acked = k
			}
			if inf.c.side(r) != from && r.flags&wire.RST != 0 {
				acked = -2
				break
			}
		}
		switch {
		case acked == -1:
			inf.dropped[i] = true
		case acked >= 0:
			if r := &segs[acked]; seqLen(r) == 0 && r.flags&wire.RST == 0 {
				inf.dropped[acked] = true
			}
		}
	}
}

// peerSendsAfter says whether the peer of from sends anything after index i.
func (inf *inference) peerSendsAfter(from string, i int) bool {
	for k := i + 1; k < len(inf.c.segs); k++ {
		if inf.c.side(&inf.c.segs[k]) != from {
			return true
		}
	}
	return false
}

// run infers the states and returns every event in time order. Sending a
// segment happens at its capture time, receiving it one delay later; both
// are applied in that order of time, so that what an endpoint sends is
// judged by what it had received by then (two FINs that cross are a
// simultaneous close).
func (inf *inference) run() []Event {
	inf.findLosses()
	inf.start()
	type action struct {
		t    engine.Millis
		i    int
		recv bool
	}
	acts := make([]action, 0, 2*len(inf.segs))
	for i := range inf.segs {
		ev := &inf.segs[i]
		ev.Retransmit = inf.retransmit[i]
		if inf.dropped[i] {
			ev.Fate, ev.DropReason, ev.Inferred = engine.FateDropped, reasonDropInferred, InferredSegment
		}
		acts = append(acts, action{t: ev.T, i: i})
		if !inf.dropped[i] {
			inf.arrive[i] = inf.arrival(i)
			acts = append(acts, action{t: inf.arrive[i], i: i, recv: true})
		}
	}
	slices.SortStableFunc(acts, func(a, b action) int { return cmp.Compare(a.t, b.t) })
	for _, a := range acts {
		ev := &inf.segs[a.i]
		s := &inf.c.segs[a.i]
		from, to := inf.sideOf(ev.From)
		if a.recv {
			inf.received(to, from, s, a.i, ev)
			continue
		}
		inf.sentFrom[a.i] = from.state
		inf.sent(from, s, ev)
		inf.out = append(inf.out, *ev)
	}
	slices.SortStableFunc(inf.out, func(a, b Event) int { return cmp.Compare(a.T, b.T) })
	return inf.out
}

// arrival is when segment i is taken to have reached its receiver: one
// delay after it was captured, but no later than the receiver's first
// segment that shows it had it (one that acknowledges it; for a segment
// that takes no sequence space, the receiver's next segment): the delay is
// an average, the capture's order a fact.
func (inf *inference) arrival(i int) engine.Millis {
	ev := &inf.segs[i]
	s := &inf.c.segs[i]
	t := ev.T + inf.delay
	end := s.seq + seqLen(s)
	for k := i + 1; k < len(inf.segs); k++ {
		r := &inf.c.segs[k]
		if inf.segs[k].From != ev.To {
			continue
		}
		if seqLen(s) == 0 || r.flags&wire.ACK != 0 && seqLEQ(end, r.ack) {
			return min(t, max(inf.segs[k].T, ev.T))
		}
	}
	return t
}

// crossing says whether segments crossed in flight: an endpoint sent a
// segment whose acknowledgment (or, for a SYN, whose very being) shows it
// had not yet received one its peer had sent before, such as the two SYNs
// of a simultaneous open or the two FINs of a simultaneous close.
func (inf *inference) crossing() bool {
	segs := inf.c.segs
	for j := range segs {
		r := &segs[j]
		for i := range j {
			s := &segs[i]
			if inf.c.side(s) == inf.c.side(r) || inf.dropped[i] || seqLen(s) == 0 {
				continue
			}
			switch {
			case r.flags&(wire.SYN|wire.ACK) == wire.SYN && s.flags&wire.SYN != 0:
				return true
			case r.flags&wire.ACK != 0 && r.flags&wire.SYN == 0 && s.flags&wire.SYN == 0 &&
				seqLT(r.ack, s.seq+seqLen(s)) && seqLEQ(s.seq, r.ack):
				return true
			}
		}
	}
	return false
}

// start sets the states before the first segment when the capture begins
// after the connection did: with a SYN,ACK, the client was in SYN-SENT and
// the server listening; with anything else, both were ESTABLISHED.
func (inf *inference) start() {
	first := &inf.c.segs[0]
	switch {
	case first.flags&(wire.SYN|wire.ACK) == wire.SYN:
		// The normal case: the capture shows the connection from its start.
	case first.flags&(wire.SYN|wire.ACK) == wire.SYN|wire.ACK:
		inf.assume(inf.ep[0], engine.SynSent, reasonSynSentAssumed)
		inf.assume(inf.ep[1], engine.Listen, reasonListenAssumed)
		inf.ep[1].passive = true
	default:
		if first.flags&wire.RST != 0 {
			return
		}
		inf.assume(inf.ep[0], engine.Established, reasonEstablishedAssumed)
		inf.assume(inf.ep[1], engine.Established, reasonEstablishedAssumed)
	}
}

func (inf *inference) assume(e *side, to engine.State, reason engine.Reason) {
	inf.out = append(inf.out, Event{
		Event: engine.Event{
			Kind: engine.KindState, Endpoint: e.name,
			From: e.state.String(), To: to.String(), Cause: engine.CauseCapture, Reason: engine.Reason(reason),
		},
		Inferred: InferredAssumed,
	})
	e.state = to
}

// move records a state change that segment ev shows.
func (inf *inference) move(e *side, to engine.State, t engine.Millis, ev *Event) {
	if e.state == to {
		return
	}
	inf.out = append(inf.out, Event{
		Event: engine.Event{
			Kind: engine.KindState, T: t, Endpoint: e.name,
			From: e.state.String(), To: to.String(), Cause: "segment", CauseSegment: ev.ID,
		},
		Inferred: InferredSegment,
	})
	e.state = to
}

// sent applies what sending s tells of its sender.
func (inf *inference) sent(e *side, s *segment, ev *Event) {
	end := s.seq + seqLen(s)
	if seqLen(s) > 0 && (!e.sndMaxKnown || seqLT(e.sndMax, end)) {
		e.sndMax, e.sndMaxKnown = end, true
	}
	t := ev.T
	switch {
	case s.flags&wire.RST != 0:
		if e.state != engine.Closed && e.state != engine.Listen {
			inf.move(e, engine.Closed, t, ev)
		}
		return
	case s.flags&(wire.SYN|wire.ACK) == wire.SYN:
		if !e.issKnown {
			e.iss, e.issKnown = s.seq, true
		}
		if e.state == engine.Closed {
			inf.move(e, engine.SynSent, t, ev)
		}
	case s.flags&wire.SYN != 0: // SYN,ACK
		if !e.issKnown {
			e.iss, e.issKnown = s.seq, true
		}
		if e.state == engine.Closed {
			// Its SYN was not captured: it was listening.
			e.passive = true
			inf.assume(e, engine.Listen, reasonListenAssumed)
			inf.move(e, engine.SynReceived, t, ev)
		}
	case s.flags&wire.ACK != 0 && (e.state == engine.SynSent || e.state == engine.SynReceived):
		// It acknowledges the peer's SYN without one of its own: the
		// SYN,ACK that made it ESTABLISHED was not captured.
		inf.move(e, engine.Established, t, ev)
	}
	if s.flags&wire.FIN != 0 && !e.finSent {
		e.finSent, e.finSeq = true, s.seq+uint32(s.length)
		switch e.state {
		case engine.Established, engine.SynReceived:
			inf.move(e, engine.FinWait1, t, ev)
		case engine.CloseWait:
			inf.move(e, engine.LastAck, t, ev)
		}
	}
}

// received applies RFC 9293's segment arrival rules (3.10.7) to the
// receiver e of segment i, sent by peer.
func (inf *inference) received(e, peer *side, s *segment, i int, ev *Event) {
	t := inf.arrive[i]
	switch {
	case s.flags&wire.RST != 0:
		inf.receivedRST(e, s, t, ev)
		return
	case s.flags&(wire.SYN|wire.ACK) == wire.SYN:
		switch e.state {
		case engine.Closed:
			if !inf.answersSYN(e.name, i) {
				return // a closed port (it answers RST), or no answer
			}
			e.passive = true
			inf.assumeFirst(e, engine.Listen)
			e.rcvNxt, e.rcvNxtKnown = s.seq+1, true
			inf.move(e, engine.SynReceived, t, ev)
		case engine.Listen:
			e.rcvNxt, e.rcvNxtKnown = s.seq+1, true
			inf.move(e, engine.SynReceived, t, ev)
		case engine.SynSent: // simultaneous open
			e.rcvNxt, e.rcvNxtKnown = s.seq+1, true
			inf.move(e, engine.SynReceived, t, ev)
		}
		return
	case s.flags&wire.SYN != 0: // SYN,ACK
		switch e.state {
		case engine.SynSent:
			if e.issKnown && s.ack == e.iss+1 {
				e.rcvNxt, e.rcvNxtKnown = s.seq+1, true
				inf.move(e, engine.Established, t, ev)
			}
		case engine.SynReceived: // simultaneous open
			e.rcvNxt, e.rcvNxtKnown = s.seq+1, true
			inf.move(e, engine.Established, t, ev)
		}
		return
	}
	if !e.rcvNxtKnown {
		e.rcvNxt, e.rcvNxtKnown = s.seq, true
	}
	// The ACK field first (3.10.7.4, fifth check).
	if s.flags&wire.ACK != 0 {
		acksFIN := e.finSent && seqLT(e.finSeq, s.ack)
		switch e.state {
		case engine.SynReceived:
			if e.issKnown && seqLT(e.iss, s.ack) {
				inf.move(e, engine.Established, t, ev)
			}
		case engine.FinWait1:
			if acksFIN {
				inf.move(e, engine.FinWait2, t, ev)
			}
		case engine.Closing:
			if acksFIN {
				inf.move(e, engine.TimeWait, t, ev)
			}
		case engine.LastAck:
			if acksFIN {
				inf.move(e, engine.Closed, t, ev)
			}
		}
	}
	// The data and the FIN, in sequence order (3.10.7.4, seventh and eighth
	// checks): a FIN beyond a gap waits for the gap to fill.
	end := s.seq + seqLen(s)
	if s.flags&wire.FIN != 0 && !e.peerFin {
		e.peerFin, e.peerFinSeq = true, end-1
	}
	if seqLen(s) > 0 {
		e.deliver(s.seq, end)
	}
	if e.peerFin && !e.finReceived && seqLT(e.peerFinSeq, e.rcvNxt) {
		e.finReceived = true
		switch e.state {
		case engine.SynReceived, engine.Established:
			inf.move(e, engine.CloseWait, t, ev)
		case engine.FinWait1:
			inf.move(e, engine.Closing, t, ev)
		case engine.FinWait2:
			inf.move(e, engine.TimeWait, t, ev)
		}
	}
}

// deliver advances rcvNxt over [seq, end) and any range it joins up with.
func (e *side) deliver(seq, end uint32) {
	if seqLT(e.rcvNxt, seq) {
		if len(e.ooo) < 1024 {
			e.ooo = append(e.ooo, [2]uint32{seq, end})
		}
		return
	}
	if seqLT(e.rcvNxt, end) {
		e.rcvNxt = end
	}
	for moved := true; moved; {
		moved = false
		for k := 0; k < len(e.ooo); k++ {
			r := e.ooo[k]
			if seqLEQ(r[0], e.rcvNxt) {
				if seqLT(e.rcvNxt, r[1]) {
					e.rcvNxt = r[1]
				}
				e.ooo = slices.Delete(e.ooo, k, k+1)
				k--
				moved = true
			}
		}
	}
}

// receivedRST applies a RST: in SYN-SENT it is acceptable if it
// acknowledges the SYN; elsewhere, if its sequence number is exactly the
// next one expected (RFC 9293 3.10.7.4 with RFC 5961: any other RST in the
// window gets a challenge ACK instead).
func (inf *inference) receivedRST(e *side, s *segment, t engine.Millis, ev *Event) {
	switch e.state {
	case engine.Closed, engine.Listen:
		return
	case engine.SynSent:
		if s.flags&wire.ACK != 0 && e.issKnown && s.ack == e.iss+1 {
			inf.move(e, engine.Closed, t, ev)
		}
		return
	}
	if e.rcvNxtKnown && s.seq != e.rcvNxt {
		return
	}
	to := engine.Closed
	if e.state == engine.SynReceived && e.passive {
		to = engine.Listen
	}
	inf.move(e, to, t, ev)
}

// answersSYN says whether the endpoint named name answers the SYN at index
// i with a SYN,ACK (it was listening) rather than a RST or nothing.
func (inf *inference) answersSYN(name string, i int) bool {
	for k := i + 1; k < len(inf.c.segs); k++ {
		r := &inf.c.segs[k]
		if inf.c.side(r) != name {
			continue
		}
		return r.flags&wire.SYN != 0 && r.flags&wire.ACK != 0
	}
	return false
}

// assumeFirst records that e was in state to since the capture began.
func (inf *inference) assumeFirst(e *side, to engine.State) {
	ev := Event{
		Event: engine.Event{
			Kind: engine.KindState, Endpoint: e.name,
			From: e.state.String(), To: to.String(), Cause: engine.CauseCapture, Reason: reasonListenAssumed,
		},
		Inferred: InferredAssumed,
	}
	inf.out = slices.Insert(inf.out, 0, ev)
	e.state = to
}
