package engine

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/synack/synack/engine/wire"
)

// Addresses and ports of the two endpoints. The client's port and both ISNs
// come from the seed.
var (
	clientAddr = netip.AddrFrom4([4]byte{10, 0, 0, 1})
	serverAddr = netip.AddrFrom4([4]byte{10, 0, 0, 2})
	// The addresses as every trace names them, made once.
	clientAddrText = clientAddr.String()
	serverAddrText = serverAddr.String()
)

const (
	serverPort    = 80
	ephemeralLow  = 32768 // Linux ip_local_port_range
	ephemeralHigh = 60999
)

// Sim runs a scenario: two hosts, the network between them and an agenda of
// socket calls and faults, all in virtual time. It is deterministic: the
// same scenario always gives the same events.
type Sim struct {
	sc     *Scenario
	cfg    Config
	now    time.Duration
	until  time.Duration
	client *host
	server *host
	isns   isnGenerator
	rng    *rand.Rand

	agenda   agenda
	nextLive int // index in sc.Live of the next live action to make
	net      network

	events    []Event
	eventData int64 // bytes of the events' Data, for HeldBytes
	endpoints Endpoints
	connects  int
	steps     int
	err       error
	budget    Budget
	spent     spent
	// scenarioBytes is the size of the scenario in memory, for HeldBytes.
	scenarioBytes int64
	segInfos      arena[SegmentInfo]
	callInfos     arena[CallInfo]
	timers        arena[TimerInfo]
	tcbs          arena[TCB]
	options       sliceArena[wire.Option]
	times         arena[Millis]

	// fixedISN, when set, replaces the ISN generator for an endpoint's
	// connections: tests read better with ISNs such as 1000.
	fixedISN map[string]Seq
}

type actionKind int32

const (
	actStep actionKind = iota
	actInject
	actFlood
)

type action struct {
	at    time.Duration
	order int32 // among actions due at the same time (agenda.go)
	sent  int32 // SYNs of the flood sent so far
	kind  actionKind
	step  *Step
	inj   *Inject
	flood *Flood
}

// sizeSteps is the most steps NewSim sizes a run's first allocations for.
const sizeSteps = 64

// NewSim prepares a run of a validated scenario under DefaultBudget.
func NewSim(sc *Scenario) (*Sim, error) { return NewSimBudget(sc, DefaultBudget) }

// NewSimBudget prepares a run of a validated scenario under budget b. The
// scenario's own calls, faults and data count against it.
func NewSimBudget(sc *Scenario, b Budget) (*Sim, error) {
	cfg, err := sc.Config()
	if err != nil {
		return nil, err
	}
	until := time.Duration(sc.UntilMs) * time.Millisecond
	if sc.UntilMs == 0 {
		until = DefaultUntil * time.Millisecond
	}
	s := &Sim{
		sc:    sc,
		cfg:   cfg,
		until: until,
		rng:   rand.New(rand.NewPCG(sc.Seed, 0x73796e61636b)),
		// A call leads to about seven events on average (the linux
		// profile's loss-probe timer is set and cancelled behind each
		// data segment and FIN): size for that, up to sizeSteps calls; a
		// longer run grows as it goes.
		events: make([]Event, 0, 8+7*min(len(sc.Steps), sizeSteps)),
		budget: b,
	}
	data := 0
	for _, st := range sc.Steps {
		data += len(st.Data)
	}
	for _, f := range sc.Faults {
		if f.Inject != nil {
			data += len(f.Inject.Data)
		}
	}
	if err := s.charge(len(sc.Steps), len(sc.Faults), data); err != nil {
		return nil, err
	}
	s.scenarioBytes = scenarioSize(sc)
	var key [16]byte
	binary.LittleEndian.PutUint64(key[:8], s.rng.Uint64())
	binary.LittleEndian.PutUint64(key[8:], s.rng.Uint64())
	// The ISN clock starts at a random uptime of up to a day.
	boot := time.Duration(s.rng.Int64N(int64(24 * time.Hour)))
	s.isns = newISNGenerator(key, boot, cfg.ISNTick)
	s.net = newNetwork(time.Duration(sc.Network.OneWayDelayMs*float64(time.Millisecond)), uint16(s.rng.Uint32()))
	s.client = &host{sim: s, name: Client, addr: clientAddr, cfg: &s.cfg}
	s.server = &host{sim: s, name: Server, addr: serverAddr, cfg: &s.cfg, port: serverPort}
	s.client.port = uint16(ephemeralLow + s.rng.IntN(ephemeralHigh-ephemeralLow+1))
	s.endpoints = Endpoints{
		Client: EndpointInfo{Addr: clientAddrText, Port: s.client.port},
		Server: EndpointInfo{Addr: serverAddrText, Port: serverPort},
	}
	// Size the first chunks for the run a scenario of this length makes.
	// A run makes about one segment per step (each with 3 to 6 options),
	// 4 timer events (the linux profile's loss probe is set and cancelled
	// behind each data segment and FIN) and 4 control-block snapshots;
	// chunks grow after that.
	// Sizing stops at sizeSteps: a scenario of a thousand calls that make
	// nothing (sends without a connection) must not hold megabytes.
	n := min(len(sc.Steps), sizeSteps)
	segs := n + 4
	s.segInfos.reserve(segs)
	s.times.reserve(segs)
	s.options.reserve(3*segs + 6)
	s.tcbs.reserve(4*n + 4)
	s.timers.reserve(4 * n)
	s.callInfos.reserve(n)
	s.plan()
	return s, nil
}

// plan builds the agenda from the scenario's steps and timed faults.
func (s *Sim) plan() {
	s.agenda.items = make([]action, 0, len(s.sc.Steps)+len(s.sc.Faults))
	for i := range s.sc.Steps {
		st := &s.sc.Steps[i]
		s.agenda.add(action{at: ms(st.AtMs), kind: actStep, step: st})
	}
	for i := range s.sc.Faults {
		s.planFault(&s.sc.Faults[i])
	}
}

// planFault adds a fault's rule, or its action to the agenda: one entry
// for a whole flood.
func (s *Sim) planFault(f *Fault) {
	switch {
	case f.Drop != nil:
		s.net.addDrop(f.Drop)
	case f.Inject != nil:
		s.agenda.add(action{at: ms(f.Inject.AtMs), kind: actInject, inj: f.Inject})
	case f.Flood != nil:
		s.agenda.add(action{at: ms(f.Flood.AtMs), kind: actFlood, flood: f.Flood})
	}
}

// Run executes a scenario and returns its trace.
func Run(sc *Scenario) (*Trace, error) {
	s, err := NewSim(sc)
	if err != nil {
		return nil, err
	}
	if err := s.RunToEnd(); err != nil {
		return nil, err
	}
	return s.Trace(), nil
}

// RunToEnd advances until nothing is left to do or until_ms is reached.
func (s *Sim) RunToEnd() error {
	for s.Step() {
	}
	return s.err
}

// Err reports why the run stopped early, or must stop before its next
// step: it reached its budget (a *BudgetError). A run that stopped early
// does nothing more.
func (s *Sim) Err() error {
	s.exceeded()
	return s.err
}

// Trace returns the events so far with the scenario and endpoints.
func (s *Sim) Trace() *Trace {
	return &Trace{Scenario: s.sc, Endpoints: s.endpoints, Events: s.events}
}

// Now is the current virtual time.
func (s *Sim) Now() time.Duration { return s.now }

// NextDeadline is when the next thing will happen, if anything will.
func (s *Sim) NextDeadline() (time.Duration, bool) {
	if lv, ok := s.dueLive(); ok {
		return max(s.now, time.Duration(lv.AtMs)), true
	}
	return s.nextScheduled()
}

// nextScheduled is NextDeadline without the recorded live actions.
func (s *Sim) nextScheduled() (time.Duration, bool) {
	best, found := time.Duration(0), false
	consider := func(t time.Duration, ok bool) {
		if ok && (!found || t < best) {
			best, found = t, true
		}
	}
	consider(s.net.nextArrival())
	consider(s.client.nextDeadline())
	consider(s.server.nextDeadline())
	consider(s.agenda.next())
	return best, found
}

// Step does the next thing: a recorded live action when its step has come,
// else a segment arrival, then due timers, then the next socket call or
// fault, in that order at equal times. It reports false
// when nothing is left before until_ms.
func (s *Sim) Step() bool {
	if s.err != nil {
		return false
	}
	if s.exceeded() {
		return false
	}
	t, ok := s.NextDeadline()
	if !ok || t > s.until {
		return false
	}
	if lv, ok := s.dueLive(); ok {
		if err := s.replayLive(lv); err != nil {
			s.err = err
			return false
		}
		return true
	}
	s.steps++
	s.spent.work += stepWork + int64(len(s.client.conns)+len(s.server.conns))
	s.now = max(s.now, t)
	if f := s.net.front(); f != nil && f.arrive == t {
		f := s.net.arrive()
		f.dst.receive(t, f.src, &f.seg, f.id)
		return true
	}
	for _, h := range []*host{s.client, s.server} {
		if d, ok := h.nextDeadline(); ok && d == t {
			h.fireTimers(t)
			return true
		}
	}
	a := s.agenda.pop()
	switch a.kind {
	case actStep:
		s.doCall(a.step.Endpoint, a.step.Call, a.step.Data)
	case actInject:
		s.inject(a.inj)
	case actFlood:
		s.floodSYN()
		if a.sent++; int(a.sent) < a.flood.Count {
			a.at = ms(a.flood.AtMs + int64(a.sent)*a.flood.IntervalMs)
			s.agenda.again(a)
		}
	}
	return true
}

func (s *Sim) host(name string) *host {
	if name == Server {
		return s.server
	}
	return s.client
}

// peer returns the other endpoint.
func (s *Sim) peer(h *host) *host {
	if h == s.client {
		return s.server
	}
	return s.client
}

// doCall performs a socket call and records it, before its effects.
func (s *Sim) doCall(endpoint, call, data string) {
	at := len(s.events)
	s.record(Event{})
	h := s.host(endpoint)
	// The call's control block is the one it found: its effects come in
	// the events after it, each with its own snapshot.
	var before *TCB
	if h.sock != nil && h.sock.traced && h.sock.remote.IsValid() {
		before = h.sock.snapshot()
	}
	res := h.call(s.now, call, data)
	info := s.callInfos.new()
	*info = CallInfo{Call: call, Result: res.result}
	ev := Event{Kind: KindCall, T: Millis(s.now), Endpoint: endpoint, CallInfo: info}
	switch {
	case call == CallSend:
		ev.Data = data
	case res.data != "":
		ev.Data = res.data
	}
	if res.result != "ok" && res.result != "eof" {
		info.Error = strings.TrimPrefix(res.result, "error: ")
	}
	ev.TCB = before
	s.events[at] = ev
	s.eventData += int64(len(ev.Data))
}

// record appends an event to the trace.
func (s *Sim) record(ev Event) {
	s.events = append(s.events, ev)
	s.eventData += int64(len(ev.Data))
}

// listenPort is the port a host listens on: the server's well-known port,
// the client's own.
func (s *Sim) listenPort(h *host) uint16 { return h.port }

// connectPort is the local port of an active open: the client takes a new
// ephemeral port for each connection after its first.
func (s *Sim) connectPort(h *host) uint16 {
	if h == s.client {
		s.connects++
		if s.connects > 1 {
			h.port = uint16(ephemeralLow + s.rng.IntN(ephemeralHigh-ephemeralLow+1))
			s.endpoints.Client.Port = h.port
		}
	}
	return h.port
}

// connectTarget is the port an active open connects to.
func (s *Sim) connectTarget(h *host) uint16 { return s.peer(h).port }

// emit records an event.
func (s *Sim) emit(ev Event) {
	s.record(ev)
	if ev.Kind == KindState && (ev.From == Closed.String() || ev.From == Listen.String() && ev.To == SynReceived.String()) {
		s.recordISN(ev)
	}
}

// recordISN fills in an endpoint's ISN from its first connection.
func (s *Sim) recordISN(ev Event) {
	info := &s.endpoints.Client
	if ev.Endpoint == Server {
		info = &s.endpoints.Server
	}
	if info.ISN == 0 && ev.TCB != nil && ev.TCB.ISS != 0 {
		info.ISN = ev.TCB.ISS
	}
}

// note records something an endpoint did that is neither a call, a state
// change, a segment nor a timer: a SYN dropped for a full backlog, a RST
// ignored, an error reported to the application.
func (s *Sim) note(now time.Duration, endpoint string, reason Reason, why cause) {
	s.record(Event{
		Kind: KindNote, T: Millis(now), Endpoint: endpoint, Reason: reason,
		Cause: why.what, CauseSegment: why.segment,
	})
}

// transmit puts a segment on the wire: it is numbered, encoded, matched
// against the drop rules and, unless lost, scheduled to arrive.
func (s *Sim) transmit(now time.Duration, from *host, dst netip.Addr, seg wire.Segment, why cause, reason Reason, retransmit bool, tcb *TCB) {
	s.send(now, from, from.addr, dst, seg, why, reason, retransmit, tcb, false)
}

func (s *Sim) send(now time.Duration, from *host, src, dst netip.Addr, seg wire.Segment, why cause, reason Reason, retransmit bool, tcb *TCB, injected bool) {
	id, raw := s.net.encode(src, dst, &seg)
	to := s.peer(from)
	var dstHost *host
	switch dst {
	case s.client.addr:
		dstHost = s.client
	case s.server.addr:
		dstHost = s.server
	}
	opts := seg.Options
	if opts == nil {
		opts = []wire.Option{}
	}
	info := s.segInfos.new()
	*info = SegmentInfo{
		ID: id, Flags: flagNames(seg.Flags), Seq: seg.Seq, Ack: seg.Ack,
		Len: len(seg.Payload), Window: seg.Window, Options: opts,
		Injected: injected, Spoofed: src != from.addr, Retransmit: retransmit,
		Bytes: raw,
	}
	ev := Event{
		Kind: KindSegment, T: Millis(now), From: from.name, To: to.name,
		SegmentInfo: info, Data: string(seg.Payload), Reason: reason,
		Cause: why.what, CauseSegment: why.segment, TCB: tcb,
	}
	switch {
	case s.net.dropped(from.name, seg.Flags, id, src != from.addr):
		info.Fate, info.DropReason = FateDropped, DropFault
	case dstHost == nil:
		info.Fate, info.DropReason = FateDropped, DropUnreachable
	default:
		at := s.times.new()
		*at = Millis(s.net.carry(now, id, src, dstHost, seg))
		info.Fate, info.ArriveMs = FateDelivered, at
	}
	s.record(ev)
}

// inject puts a crafted segment on the wire as if its sender had sent it.
func (s *Sim) inject(in *Inject) {
	from := s.host(in.From)
	to := s.peer(from)
	flags, _ := wire.ParseFlags(in.Flags)
	seg := wire.Segment{
		SrcPort: from.port,
		DstPort: to.port,
		Flags:   flags,
		Window:  64240,
		Payload: []byte(in.Data),
	}
	if c := from.sock; c != nil && c.remote.IsValid() {
		seg.SrcPort, seg.DstPort = c.local.Port(), c.remote.Port()
		seg.Window = c.windowField()
	}
	seg.Seq = s.absolute(in.Seq, in.RelSeq, from)
	if in.Ack != nil || in.RelAck != nil {
		seg.Ack = s.absolute(in.Ack, in.RelAck, to)
	}
	if in.Window != nil {
		seg.Window = *in.Window
	}
	s.send(s.now, from, from.addr, to.addr, seg, cause{what: CauseInject}, ReasonInjected, false, nil, true)
}

// absolute resolves a sequence number given absolutely or relative to the
// ISN of h's connection.
func (s *Sim) absolute(abs *uint32, rel *int64, h *host) uint32 {
	if abs != nil {
		return *abs
	}
	base := uint32(0)
	if h.sock != nil {
		base = uint32(h.sock.ISS)
	}
	if rel == nil {
		return base
	}
	return base + uint32(*rel)
}

// floodSYN sends one SYN from a spoofed address to the server's port.
func (s *Sim) floodSYN() {
	src := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + s.rng.IntN(254))})
	seg := wire.Segment{
		SrcPort: uint16(1024 + s.rng.IntN(64511)),
		DstPort: s.server.port,
		Seq:     s.rng.Uint32(),
		Flags:   wire.SYN,
		Window:  64240,
		Options: []wire.Option{{Kind: wire.MSS, Value: 1460}},
	}
	s.send(s.now, s.client, src, s.server.addr, seg, cause{what: CauseInject}, ReasonSynFlood, false, nil, true)
}

// flagNames returns the names of a flag set from a table made once, so that
// segments share them instead of each allocating its own.
func flagNames(f wire.Flags) []string { return flagNameTable[f] }

var flagNameTable = func() (t [256][]string) {
	for f := range t {
		t[f] = wire.Flags(f).Names()
	}
	return t
}()
