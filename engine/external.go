package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/synack/synack/engine/wire"
)

// This file lets one endpoint of a run be outside the engine: a real TCP
// stack, such as the Linux kernel behind a TUN device. The engine still does
// everything in virtual time and touches no I/O. The outside endpoint's
// socket calls and the segments that reach it are handed to the caller as
// PeerActions; the segments the outside endpoint sends, its calls' results
// and its states come back through Received, CallDone and PeerState, and go
// into the trace like the engine's own.

// CauseKernel is the cause of the events an outside endpoint reports: its
// segments, its states and its calls' results.
const CauseKernel Cause = "kernel"

// ReasonKernel is the reason of a segment the outside endpoint sent.
const ReasonKernel Reason = "kernel-peer"

// PeerActionKind says what a PeerAction asks of the caller.
type PeerActionKind int

const (
	// PeerSegment: deliver Packet to the outside endpoint now.
	PeerSegment PeerActionKind = iota + 1
	// PeerCall: make the socket call Step on the outside endpoint now, then
	// report it with CallDone.
	PeerCall
)

// PeerAction is something due now at the outside endpoint.
type PeerAction struct {
	Kind PeerActionKind
	At   time.Duration
	// Packet is the whole IPv4 packet of a PeerSegment, as it was put on the
	// wire (the same bytes as its segment event); Segment is its id.
	Packet  []byte
	Segment int
	// Step is the call of a PeerCall.
	Step Step
}

// External is a run whose endpoint Peer is outside the engine.
type External struct {
	s    *Sim
	peer *host
	// isn is the outside endpoint's ISN for its current connection, from
	// its SYN; relative injected numbers count from it.
	isn    uint32
	hasISN bool
	// sndMax is one past the highest sequence number the outside endpoint
	// has sent: a segment below it is a retransmission.
	sndMax uint32
}

// NewExternal prepares a run of a validated scenario in which endpoint
// (Client or Server) is outside the engine.
func NewExternal(sc *Scenario, endpoint string) (*External, error) {
	if endpoint != Client && endpoint != Server {
		return nil, fmt.Errorf("outside endpoint %q: must be %s or %s", endpoint, Client, Server)
	}
	s, err := NewSim(sc)
	if err != nil {
		return nil, err
	}
	return &External{s: s, peer: s.host(endpoint)}, nil
}

// Sim is the run: its events, trace, clock and deadlines.
func (x *External) Sim() *Sim { return x.s }

// Peer names the outside endpoint.
func (x *External) Peer() string { return x.peer.name }

// Inside names the engine's endpoint.
func (x *External) Inside() string { return x.s.peer(x.peer).name }

// Addr is an endpoint's IPv4 address and port in this run: the outside
// endpoint must use these so that its segments reach the engine.
func (x *External) Addr(endpoint string) netip.AddrPort {
	h := x.s.host(endpoint)
	return netip.AddrPortFrom(h.addr, h.port)
}

// NextDeadline is when the next thing will happen on the engine's side or
// be due at the outside endpoint.
func (x *External) NextDeadline() (time.Duration, bool) { return x.s.NextDeadline() }

// AdvanceTo does everything due at or before t, in the engine's order,
// and calls do for each thing due at the outside endpoint meanwhile, at the
// moment it is due: what do reports (a call's result, a segment the peer
// sent at once) comes before the engine's next step. The clock then stands
// at t.
func (x *External) AdvanceTo(t time.Duration, do func(PeerAction)) {
	t = min(t, x.s.until)
	for {
		next, ok := x.s.NextDeadline()
		if !ok || next > t || x.s.err != nil {
			break
		}
		if a, ok := x.step(); ok {
			do(a)
		}
	}
	x.s.now = max(x.s.now, t)
}

// step does the next thing as Sim.Step does, except what concerns the
// outside endpoint: a segment arriving there or one of its calls becomes a
// PeerAction, and injected segments count relative numbers from the ISN it
// was seen to use.
func (x *External) step() (PeerAction, bool) {
	s := x.s
	if s.err != nil || s.exceeded() {
		return PeerAction{}, false
	}
	t, ok := s.NextDeadline()
	if !ok || t > s.until {
		return PeerAction{}, false
	}
	if f := s.net.front(); f != nil && f.arrive == t {
		if f.dst != x.peer {
			s.Step()
			return PeerAction{}, false
		}
		x.tick(t)
		f := s.net.arrive()
		return PeerAction{Kind: PeerSegment, At: t, Packet: x.packet(f.id), Segment: f.id}, true
	}
	if d, ok := s.peer(x.peer).nextDeadline(); ok && d == t {
		s.Step()
		return PeerAction{}, false
	}
	a := &s.agenda.items[0] // the earliest action: the agenda is a heap
	switch {
	case a.kind == actStep && a.step.Endpoint == x.peer.name:
		x.tick(t)
		st := *s.agenda.pop().step
		return PeerAction{Kind: PeerCall, At: t, Step: st}, true
	case a.kind == actInject:
		x.tick(t)
		x.inject(s.agenda.pop().inj)
		return PeerAction{}, false
	}
	s.Step()
	return PeerAction{}, false
}

// tick counts a step the outside endpoint's part took, as Sim.Step counts
// its own, and moves the clock to t.
func (x *External) tick(t time.Duration) {
	s := x.s
	s.steps++
	s.spent.work += int64(1 + len(s.client.conns) + len(s.server.conns))
	s.now = max(s.now, t)
}

// packet returns the bytes of segment id as they were put on the wire.
func (x *External) packet(id int) []byte {
	for i := len(x.s.events) - 1; i >= 0; i-- {
		ev := &x.s.events[i]
		if ev.Kind == KindSegment && ev.SegmentInfo.ID == id {
			return ev.SegmentInfo.Bytes
		}
	}
	// Every segment in flight was recorded when it was sent.
	panic(fmt.Sprintf("engine: segment %d in flight has no event", id))
}

// inject is Sim.inject with the outside endpoint's numbers taken from the
// segments it sent, since it has no control block here.
func (x *External) inject(in *Inject) {
	s := x.s
	from := s.host(in.From)
	to := s.peer(from)
	flags, _ := wire.ParseFlags(in.Flags)
	seg := wire.Segment{SrcPort: from.port, DstPort: to.port, Flags: flags, Window: 64240, Payload: []byte(in.Data)}
	inside := from
	if inside == x.peer {
		inside = to
	}
	if c := inside.sock; c != nil && c.remote.IsValid() {
		if inside == from {
			seg.SrcPort, seg.DstPort = c.local.Port(), c.remote.Port()
			seg.Window = c.windowField()
		} else {
			seg.SrcPort, seg.DstPort = c.remote.Port(), c.local.Port()
		}
	}
	seg.Seq = x.absolute(in.Seq, in.RelSeq, from)
	if in.Ack != nil || in.RelAck != nil {
		seg.Ack = x.absolute(in.Ack, in.RelAck, to)
	}
	if in.Window != nil {
		seg.Window = *in.Window
	}
	s.send(s.now, from, from.addr, to.addr, seg, cause{what: CauseInject}, ReasonInjected, false, nil, true)
}

func (x *External) absolute(abs *uint32, rel *int64, h *host) uint32 {
	if h != x.peer || abs != nil {
		return x.s.absolute(abs, rel, h)
	}
	base := x.isn
	if rel == nil {
		return base
	}
	return base + uint32(*rel)
}

// Received records a packet the outside endpoint sent at now: a segment
// event from it, in flight to the engine's endpoint (drop rules and the
// network's delay apply as to any segment). A packet that is not TCP over
// IPv4 from the outside endpoint's address is refused with an error and not
// recorded.
func (x *External) Received(now time.Duration, pkt []byte) error {
	p, err := wire.ParsePacket(pkt)
	if err != nil {
		return fmt.Errorf("packet from the %s: %w", x.peer.name, err)
	}
	if p.Src != x.peer.addr {
		return fmt.Errorf("packet from the %s: source %s is not its address %s", x.peer.name, p.Src, x.peer.addr)
	}
	s := x.s
	s.now = max(s.now, now)
	seg := p.TCP
	seq := seg.Seq
	if seg.Flags&wire.SYN != 0 {
		if !x.hasISN || seq != x.isn {
			x.isn, x.hasISN, x.sndMax = seq, true, seq
			info := &s.endpoints.Client
			if x.peer.name == Server {
				info = &s.endpoints.Server
			}
			info.ISN = seq
		}
	}
	end := seq + uint32(seg.Len())
	retransmit := false
	if seg.Len() > 0 && x.hasISN {
		if Seq(end).LEQ(Seq(x.sndMax)) && !(seg.Flags&wire.SYN != 0 && x.sndMax == seq) {
			retransmit = true
		} else {
			x.sndMax = end
		}
	}
	s.send(s.now, x.peer, p.Src, p.Dst, seg, cause{what: CauseKernel}, ReasonKernel, retransmit, nil, false)
	return nil
}

// CallDone records a socket call the outside endpoint made at now: result
// is "ok", "eof" or an error text, data what a receive read.
func (x *External) CallDone(now time.Duration, st Step, result, data string) {
	s := x.s
	s.now = max(s.now, now)
	info := s.callInfos.new()
	*info = CallInfo{Call: st.Call, Result: result}
	if result != "ok" && result != "eof" {
		info.Error = result
	}
	ev := Event{Kind: KindCall, T: Millis(s.now), Endpoint: x.peer.name, CallInfo: info, Cause: CauseKernel}
	switch {
	case st.Call == CallSend:
		ev.Data = st.Data
	case data != "":
		ev.Data = data
	}
	s.record(ev)
}

// PeerState records that the outside endpoint was seen in state to at now.
func (x *External) PeerState(now time.Duration, from, to State) {
	if from == to {
		return
	}
	s := x.s
	s.now = max(s.now, now)
	s.record(Event{
		Kind: KindState, T: Millis(s.now), Endpoint: x.peer.name,
		From: from.String(), To: to.String(), Cause: CauseKernel,
	})
}

// PeerSteps lists the outside endpoint's calls in the scenario, in order.
func (x *External) PeerSteps() []Step {
	return slices.DeleteFunc(slices.Clone(x.s.sc.Steps), func(st Step) bool { return st.Endpoint != x.peer.name })
}
