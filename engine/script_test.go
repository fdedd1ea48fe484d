package engine

// This file is a packetdrill-style harness for one endpoint. The engine runs
// one host of a Sim; the test plays the other end by injecting segments,
// makes the application's socket calls, and checks every segment the host
// sends, at the virtual millisecond it sends it. ISNs are fixed: the client
// starts at 1000 and the server at 5000, so scripts read in absolute numbers.
//
// A segment is written as packetdrill writes it:
//
//	S. 5000:5000(0) ack 1001 win 65535 <mss 1460>
//	P. 1001:1006(5) ack 5001 "hello"
//	R 7777:7777(0)
//
// Flags are letters (S SYN, F FIN, R RST, P PSH, U URG, E ECE, W CWR) and a
// dot for ACK; then start:end(len) in sequence space (SYN and FIN excluded
// from len, as packetdrill counts payload bytes), "ack N" (required with the
// dot), "win N", options between angle brackets, and the payload in Go
// quotes. When the payload is omitted, an injected segment carries len 'x'
// bytes. In an expectation win, options and payload are checked only when
// given, and "TS val *" matches any timestamp value.

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/engine/wire"
)

// Fixed numbers every script uses.
const (
	clientISN         = 1000
	serverISN         = 5000
	scriptClientPort  = 40000
	scriptMaxFirings  = 10_000 // timer firings within one advance: a loop is a bug
	scriptSeedDefault = 1
)

// script drives one endpoint of a Sim while the test plays its peer.
type script struct {
	t    *testing.T
	sim  *Sim
	h    *host // the endpoint under test
	peer *host // the host whose address and port the test speaks from
	now  time.Duration
	// next is the index in sim.events of the first event not yet looked at.
	next int
	// sent holds the segments h sent that no expectation has matched yet.
	sent []Event
	// timers replays h's timer events: timer name to due time. After every
	// step it must equal the timers h's socket really has running, which
	// proves that every set, cancel and fire was recorded as an event.
	timers map[TimerName]time.Duration
}

// scriptOption adjusts the scenario a script's Sim is built from.
type scriptOption func(*Scenario)

// withOpts sets profile options, as a scenario's "options" would.
func withOpts(f func(o *Options)) scriptOption {
	return func(sc *Scenario) { f(&sc.Options) }
}

func i64(v int64) *int64 { return &v }
func boolp(v bool) *bool { return &v }

// newScript builds a Sim for the profile and hands the test the endpoint
// named by endpoint. The peer's port is 40000 for a client and 80 for a
// server.
func newScript(t *testing.T, endpoint, profile string, opts ...scriptOption) *script {
	t.Helper()
	// The scripts are written for Ethernet's MTU: MSS 1460, as Wireshark
	// shows it; the linux profile's default is loopback's 65536.
	mtu := int64(1500)
	scen := &Scenario{ID: "script", Seed: scriptSeedDefault, Profile: profile, Options: Options{MTU: &mtu}}
	for _, o := range opts {
		o(scen)
	}
	if err := scen.Validate(); err != nil {
		t.Fatalf("script scenario: %v", err)
	}
	s, err := NewSim(scen)
	if err != nil {
		t.Fatalf("NewSim: %v", err)
	}
	s.fixedISN = map[string]Seq{Client: clientISN, Server: serverISN}
	s.client.port = scriptClientPort
	s.endpoints.Client.Port = scriptClientPort
	sc := &script{t: t, sim: s, h: s.host(endpoint), timers: map[TimerName]time.Duration{}}
	sc.peer = s.peer(sc.h)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("events so far (absolute sequence numbers):\n%s", (&Trace{Events: s.events}).Transcript())
		}
	})
	return sc
}

func msDur(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// advance moves virtual time to ms, firing each timer at its own deadline
// on the way, as the simulator's agenda would.
func (sc *script) advance(ms int64) {
	sc.t.Helper()
	to := msDur(ms)
	if to < sc.now {
		sc.t.Fatalf("script goes back in time: %v after %v", to, sc.now)
	}
	for range scriptMaxFirings {
		d, ok := sc.h.nextDeadline()
		if !ok || d > to {
			sc.now = to
			sc.sim.now = to
			return
		}
		if d < sc.now {
			sc.t.Fatalf("a timer is due at %v, before now (%v)", d, sc.now)
		}
		sc.now = d
		sc.sim.now = d
		sc.h.fireTimers(d)
		sc.collect()
	}
	sc.t.Fatalf("more than %d timer firings before %dms: a timer loop", scriptMaxFirings, ms)
}

// collect takes the events the last step produced: the endpoint's segments
// wait for expectations, and nothing reaches the other host.
func (sc *script) collect() {
	sc.t.Helper()
	s := sc.sim
	for _, ev := range s.events[sc.next:] {
		if time.Duration(ev.T) != sc.now {
			sc.t.Errorf("event at %vms recorded during a step at %v: %+v", ev.T.Ms(), sc.now, ev)
		}
		switch {
		case ev.Kind == KindSegment && ev.From == sc.h.name && !ev.Injected:
			sc.sent = append(sc.sent, ev)
		case ev.Kind == KindTimer && ev.Endpoint == sc.h.name:
			switch ev.Action {
			case "set":
				sc.timers[ev.Timer] = time.Duration(ev.DueMs)
			case "cancel", "fire":
				if _, ok := sc.timers[ev.Timer]; !ok {
					sc.t.Errorf("timer %s: %s event without a set: %+v", ev.Timer, ev.Action, ev)
				}
				delete(sc.timers, ev.Timer)
			default:
				sc.t.Errorf("timer event with action %q", ev.Action)
			}
		}
	}
	sc.next = len(s.events)
	s.net.clear()
	sc.checkTimerEvents()
}

// checkTimerEvents compares the timers the events announced with those the
// socket has running.
func (sc *script) checkTimerEvents() {
	sc.t.Helper()
	running := map[TimerName]time.Duration{}
	if c := sc.h.sock; c != nil && c.traced {
		for t := range numTimers {
			if d, ok := c.deadline(t); ok {
				running[t.name()] = d
			}
		}
	}
	for name, due := range running {
		if ev, ok := sc.timers[name]; !ok || ev != due {
			sc.t.Errorf("at %v timer %s runs until %v, but its events say %v (set: %v)", sc.now, name, due, ev, ok)
		}
	}
	for name, due := range sc.timers {
		if _, ok := running[name]; !ok {
			sc.t.Errorf("at %v timer %s is not running, but its events say it is due at %v", sc.now, name, due)
		}
	}
}

// recv delivers a segment from the peer at ms.
func (sc *script) recv(ms int64, spec string) {
	sc.t.Helper()
	sc.advance(ms)
	sc.inject(sc.segment(spec), sc.peer.addr)
}

// recvTo delivers a segment from the peer to another local port.
func (sc *script) recvTo(ms int64, dstPort uint16, spec string) {
	sc.t.Helper()
	sc.advance(ms)
	seg := sc.segment(spec)
	seg.DstPort = dstPort
	sc.inject(seg, sc.peer.addr)
}

// segment builds the wire segment a spec describes, between the peer's and
// the endpoint's ports.
func (sc *script) segment(spec string) wire.Segment {
	sc.t.Helper()
	p, err := parseSpec(spec)
	if err != nil {
		sc.t.Fatalf("bad segment %q: %v", spec, err)
	}
	seg := wire.Segment{
		SrcPort: sc.peerPort(),
		DstPort: sc.localPort(),
		Seq:     p.seq,
		Ack:     p.ack,
		Flags:   p.flags,
		Window:  65535,
		Options: p.opts,
	}
	if p.hasWin {
		seg.Window = p.win
	}
	if p.hasData {
		seg.Payload = []byte(p.data)
	} else if p.n > 0 {
		seg.Payload = []byte(strings.Repeat("x", int(p.n)))
	}
	return seg
}

func (sc *script) peerPort() uint16 {
	if sc.peer.name == Client {
		return scriptClientPort
	}
	return serverPort
}

func (sc *script) localPort() uint16 {
	if sc.h.name == Client {
		return scriptClientPort
	}
	return serverPort
}

// inject puts seg on the wire from src to the endpoint and delivers it at
// once: numbered and recorded by the simulator like any segment, then handed
// to the host as Sim.Step would.
func (sc *script) inject(seg wire.Segment, src netip.Addr) {
	sc.t.Helper()
	s := sc.sim
	s.send(s.now, sc.peer, src, sc.h.addr, seg, cause{what: "inject"}, "script", false, nil, true)
	if n := len(s.net.inFlight()); n != 1 {
		sc.t.Fatalf("injected segment not in flight alone: %d flights", n)
	}
	f := s.net.arrive()
	sc.h.receive(s.now, f.src, &f.seg, f.id)
	sc.collect()
}

// call makes a socket call at ms and returns its result ("ok", "eof" or an
// RFC 9293 error text).
func (sc *script) call(ms int64, name string, data ...string) callResult {
	sc.t.Helper()
	sc.advance(ms)
	at := len(sc.sim.events)
	sc.sim.doCall(sc.h.name, name, strings.Join(data, ""))
	ev := sc.sim.events[at]
	if ev.Kind != KindCall || ev.Call != name {
		sc.t.Fatalf("call %s recorded as %+v", name, ev)
	}
	sc.collect()
	return callResult{result: ev.Result, data: ev.Data}
}

// ok makes a call that must succeed.
func (sc *script) ok(ms int64, name string, data ...string) {
	sc.t.Helper()
	if r := sc.call(ms, name, data...); r.result != "ok" {
		sc.t.Fatalf("at %dms %s = %q, want ok", ms, name, r.result)
	}
}

// callErr makes a call that must fail with the given RFC 9293 text.
func (sc *script) callErr(ms int64, name, want string) {
	sc.t.Helper()
	if r := sc.call(ms, name); r.result != want {
		sc.t.Fatalf("at %dms %s = %q, want %q", ms, name, r.result, want)
	}
	if ev := sc.lastCall(); ev.Error != strings.TrimPrefix(want, "error: ") {
		sc.t.Errorf("call event error = %q, want %q", ev.Error, strings.TrimPrefix(want, "error: "))
	}
}

func (sc *script) lastCall() Event {
	for i := len(sc.sim.events) - 1; i >= 0; i-- {
		if ev := sc.sim.events[i]; ev.Kind == KindCall {
			return ev
		}
	}
	sc.t.Fatal("no call event")
	return Event{}
}

// expect advances to ms and matches the oldest unmatched segment the endpoint
// sent, which must have been sent at ms.
func (sc *script) expect(ms int64, spec string) Event {
	sc.t.Helper()
	sc.advance(ms)
	p, err := parseSpec(spec)
	if err != nil {
		sc.t.Fatalf("bad segment %q: %v", spec, err)
	}
	if len(sc.sent) == 0 {
		sc.t.Fatalf("at %dms: want %s, but nothing was sent", ms, spec)
	}
	ev := sc.sent[0]
	sc.sent = sc.sent[1:]
	if ev.T.Ms() != float64(ms) {
		sc.t.Errorf("want %s at %dms, it was sent at %vms", spec, ms, ev.T.Ms())
	}
	if diff := p.match(ev); diff != "" {
		sc.t.Fatalf("at %dms: want %s\n              got  %s\n(%s)", ms, spec, formatSegment(ev), diff)
	}
	return ev
}

// expectNothing checks that the endpoint sent nothing not yet matched.
func (sc *script) expectNothing() {
	sc.t.Helper()
	if len(sc.sent) > 0 {
		var b strings.Builder
		for _, ev := range sc.sent {
			fmt.Fprintf(&b, "\n  %vms %s", ev.T.Ms(), formatSegment(ev))
		}
		sc.t.Fatalf("at %v unexpected segments:%s", sc.now, b.String())
	}
}

// quiet advances to ms and checks that nothing was sent on the way: used one
// millisecond before a deadline.
func (sc *script) quiet(ms int64) {
	sc.t.Helper()
	sc.expectNothing()
	sc.advance(ms)
	sc.expectNothing()
}

// state is the state of the application's socket.
func (sc *script) state() State {
	if sc.h.sock == nil {
		return Closed
	}
	return sc.h.sock.state
}

// expectState checks the socket's state and that the last state event of
// the endpoint says the same.
func (sc *script) expectState(want State) {
	sc.t.Helper()
	if got := sc.state(); got != want {
		sc.t.Fatalf("at %v state %v, want %v", sc.now, got, want)
	}
	if ev, ok := sc.lastState(); ok && ev.To != want.String() {
		sc.t.Fatalf("at %v the last state event says %s, the socket is %v", sc.now, ev.To, want)
	}
}

func (sc *script) lastState() (Event, bool) {
	for i := len(sc.sim.events) - 1; i >= 0; i-- {
		if ev := sc.sim.events[i]; ev.Kind == KindState && ev.Endpoint == sc.h.name {
			return ev, true
		}
	}
	return Event{}, false
}

// transitions lists the endpoint's state changes so far, as
// "FROM->TO(reason)".
func (sc *script) transitions() []string {
	var out []string
	for _, ev := range sc.sim.events {
		if ev.Kind == KindState && ev.Endpoint == sc.h.name {
			out = append(out, fmt.Sprintf("%s->%s(%s)", ev.From, ev.To, ev.Reason))
		}
	}
	return out
}

// expectTransitions checks the whole list of state changes so far.
func (sc *script) expectTransitions(want ...string) {
	sc.t.Helper()
	if got := sc.transitions(); !slices.Equal(got, want) {
		sc.t.Fatalf("transitions:\n got %q\nwant %q", got, want)
	}
}

// expectDeadline checks when the endpoint next needs to be called.
func (sc *script) expectDeadline(ms int64) {
	sc.t.Helper()
	d, ok := sc.h.nextDeadline()
	if !ok || d != msDur(ms) {
		sc.t.Fatalf("at %v next deadline = %v (running %t), want %dms", sc.now, d, ok, ms)
	}
}

// expectNoDeadline checks that no timer runs.
func (sc *script) expectNoDeadline() {
	sc.t.Helper()
	if d, ok := sc.h.nextDeadline(); ok {
		sc.t.Fatalf("at %v a timer is due at %v, want none", sc.now, d)
	}
}

// expectTimer checks that a timer runs with the given deadline.
func (sc *script) expectTimer(name TimerName, dueMs int64) {
	sc.t.Helper()
	if due, ok := sc.timers[name]; !ok || due != msDur(dueMs) {
		sc.t.Fatalf("at %v timer %s due %v (running %t), want %dms", sc.now, name, due, ok, dueMs)
	}
}

// expectNoTimer checks that a timer is not running.
func (sc *script) expectNoTimer(name TimerName) {
	sc.t.Helper()
	if due, ok := sc.timers[name]; ok {
		sc.t.Fatalf("at %v timer %s runs until %v, want it stopped", sc.now, name, due)
	}
}

// timerLog lists the endpoint's timer events so far as
// "T action name due".
func (sc *script) timerLog() []string {
	var out []string
	for _, ev := range sc.sim.events {
		if ev.Kind == KindTimer && ev.Endpoint == sc.h.name {
			out = append(out, fmt.Sprintf("%v %s %s %v", ev.T.Ms(), ev.Action, ev.Timer, ev.DueMs.Ms()))
		}
	}
	return out
}

// conn is the socket's TCB, for checks of RTO and sequence variables.
func (sc *script) conn() *conn {
	sc.t.Helper()
	if sc.h.sock == nil {
		sc.t.Fatal("no socket")
	}
	return sc.h.sock
}

// segSpec is a parsed segment spec.
type segSpec struct {
	flags   wire.Flags
	seq     uint32
	end     uint32
	n       uint32
	ack     uint32
	hasAck  bool
	win     uint16
	hasWin  bool
	opts    []wire.Option
	hasOpts bool
	anyTS   bool // "TS val *": the value is not checked
	data    string
	hasData bool
}

var specFlags = map[byte]wire.Flags{
	'S': wire.SYN, 'F': wire.FIN, 'R': wire.RST, 'P': wire.PSH,
	'.': wire.ACK, 'U': wire.URG, 'E': wire.ECE, 'W': wire.CWR,
}

// parseSpec parses the packetdrill-like notation described at the top.
func parseSpec(spec string) (segSpec, error) {
	var p segSpec
	rest := strings.TrimSpace(spec)
	if i := strings.IndexByte(rest, '"'); i >= 0 {
		d, err := strconv.Unquote(strings.TrimSpace(rest[i:]))
		if err != nil {
			return p, fmt.Errorf("payload: %v", err)
		}
		p.data, p.hasData = d, true
		rest = strings.TrimSpace(rest[:i])
	}
	if i := strings.IndexByte(rest, '<'); i >= 0 {
		j := strings.LastIndexByte(rest, '>')
		if j < i {
			return p, fmt.Errorf("options: no closing '>'")
		}
		opts, anyTS, err := parseSpecOptions(rest[i+1 : j])
		if err != nil {
			return p, err
		}
		p.opts, p.anyTS, p.hasOpts = opts, anyTS, true
		rest = strings.TrimSpace(rest[:i] + rest[j+1:])
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return p, fmt.Errorf("want FLAGS SEQ:END(LEN) at least")
	}
	for i := range len(f[0]) {
		fl, ok := specFlags[f[0][i]]
		if !ok || p.flags&fl != 0 {
			return p, fmt.Errorf("flags %q: bad or repeated %q", f[0], f[0][i])
		}
		p.flags |= fl
	}
	if err := p.parseRange(f[1]); err != nil {
		return p, err
	}
	for i := 2; i < len(f); i += 2 {
		if i+1 >= len(f) {
			return p, fmt.Errorf("%q needs a value", f[i])
		}
		v, err := strconv.ParseUint(f[i+1], 10, 32)
		if err != nil {
			return p, fmt.Errorf("%s: %v", f[i], err)
		}
		switch f[i] {
		case "ack":
			p.ack, p.hasAck = uint32(v), true
		case "win":
			if v > 65535 {
				return p, fmt.Errorf("win %d does not fit 16 bits", v)
			}
			p.win, p.hasWin = uint16(v), true
		default:
			return p, fmt.Errorf("unknown field %q", f[i])
		}
	}
	if p.flags&wire.ACK != 0 && !p.hasAck {
		return p, fmt.Errorf("an ACK needs \"ack N\"")
	}
	if p.flags&wire.ACK == 0 && p.hasAck {
		return p, fmt.Errorf("\"ack\" without the ACK flag ('.')")
	}
	if p.hasData && uint32(len(p.data)) != p.n {
		return p, fmt.Errorf("payload of %d bytes, but len is %d", len(p.data), p.n)
	}
	return p, nil
}

// parseRange reads "start:end(len)", or "start" for no payload.
func (p *segSpec) parseRange(s string) error {
	start, tail, found := strings.Cut(s, ":")
	v, err := strconv.ParseUint(start, 10, 32)
	if err != nil {
		return fmt.Errorf("seq %q: %v", s, err)
	}
	p.seq, p.end = uint32(v), uint32(v)
	if !found {
		return nil
	}
	endS, lenS, ok := strings.Cut(strings.TrimSuffix(tail, ")"), "(")
	if !ok || !strings.HasSuffix(tail, ")") {
		return fmt.Errorf("seq %q: want start:end(len)", s)
	}
	e, err1 := strconv.ParseUint(endS, 10, 32)
	n, err2 := strconv.ParseUint(lenS, 10, 32)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("seq %q: want start:end(len)", s)
	}
	if uint32(e)-p.seq != uint32(n) {
		return fmt.Errorf("seq %q: end-start is not len", s)
	}
	p.end, p.n = uint32(e), uint32(n)
	return nil
}

func parseSpecOptions(s string) (opts []wire.Option, anyTS bool, err error) {
	if strings.TrimSpace(s) == "" {
		return []wire.Option{}, false, nil
	}
	for _, item := range strings.Split(s, ",") {
		f := strings.Fields(item)
		if len(f) == 0 {
			return nil, false, fmt.Errorf("empty option in %q", s)
		}
		num := func(i int) (uint32, error) {
			if i >= len(f) {
				return 0, fmt.Errorf("option %q: missing value", item)
			}
			v, err := strconv.ParseUint(f[i], 10, 32)
			return uint32(v), err
		}
		var o wire.Option
		switch f[0] {
		case "nop":
			o.Kind = wire.NOP
		case "eol":
			o.Kind = wire.EOL
		case "sackOK":
			o.Kind = wire.SACKPermitted
		case "mss":
			o.Kind = wire.MSS
			o.Value, err = num(1)
		case "wscale":
			o.Kind = wire.WS
			o.Value, err = num(1)
		case "TS":
			o.Kind = wire.Timestamps
			if len(f) != 5 || f[1] != "val" || f[3] != "ecr" {
				return nil, false, fmt.Errorf("option %q: want TS val N ecr N", item)
			}
			if f[2] == "*" {
				anyTS = true
			} else if o.TSVal, err = num(2); err != nil {
				return nil, false, err
			}
			o.TSEcr, err = num(4)
		default:
			return nil, false, fmt.Errorf("unknown option %q", item)
		}
		if err != nil {
			return nil, false, err
		}
		opts = append(opts, o)
	}
	return opts, anyTS, nil
}

// match compares a sent segment with the spec and says what differs.
func (p *segSpec) match(ev Event) string {
	var diffs []string
	flags, err := wire.ParseFlags(ev.Flags)
	if err != nil {
		return err.Error()
	}
	if flags != p.flags {
		diffs = append(diffs, "flags")
	}
	if ev.Seq != p.seq {
		diffs = append(diffs, "seq")
	}
	if p.flags&wire.ACK != 0 && ev.Ack != p.ack {
		diffs = append(diffs, "ack")
	}
	if uint32(ev.Len) != p.n {
		diffs = append(diffs, "len")
	}
	if p.hasWin && ev.Window != p.win {
		diffs = append(diffs, "win")
	}
	if p.hasData && ev.Data != p.data {
		diffs = append(diffs, "payload")
	}
	if p.hasOpts {
		got := ev.Options
		ok := len(got) == len(p.opts)
		for i := 0; ok && i < len(got); i++ {
			w, g := p.opts[i], got[i]
			if p.anyTS && w.Kind == wire.Timestamps {
				g.TSVal = 0
			}
			ok = w.Kind == g.Kind && w.Value == g.Value && w.TSVal == g.TSVal && w.TSEcr == g.TSEcr
		}
		if !ok {
			diffs = append(diffs, "options")
		}
	}
	return strings.Join(diffs, ", ")
}

// formatSegment writes a segment event in the spec notation.
func formatSegment(ev Event) string {
	var b strings.Builder
	for _, name := range ev.Flags {
		switch name {
		case "ACK":
		case "SYN":
			b.WriteByte('S')
		case "FIN":
			b.WriteByte('F')
		case "RST":
			b.WriteByte('R')
		case "PSH":
			b.WriteByte('P')
		case "URG":
			b.WriteByte('U')
		case "ECE":
			b.WriteByte('E')
		case "CWR":
			b.WriteByte('W')
		}
	}
	hasAck := slices.Contains(ev.Flags, "ACK")
	if hasAck {
		b.WriteByte('.')
	}
	fmt.Fprintf(&b, " %d:%d(%d)", ev.Seq, ev.Seq+uint32(ev.Len), ev.Len)
	if hasAck {
		fmt.Fprintf(&b, " ack %d", ev.Ack)
	}
	fmt.Fprintf(&b, " win %d", ev.Window)
	if len(ev.Options) > 0 {
		var o []string
		for _, opt := range ev.Options {
			switch opt.Kind {
			case wire.NOP:
				o = append(o, "nop")
			case wire.EOL:
				o = append(o, "eol")
			case wire.SACKPermitted:
				o = append(o, "sackOK")
			case wire.MSS:
				o = append(o, fmt.Sprintf("mss %d", opt.Value))
			case wire.WS:
				o = append(o, fmt.Sprintf("wscale %d", opt.Value))
			case wire.Timestamps:
				o = append(o, fmt.Sprintf("TS val %d ecr %d", opt.TSVal, opt.TSEcr))
			default:
				o = append(o, opt.Kind.String())
			}
		}
		fmt.Fprintf(&b, " <%s>", strings.Join(o, ","))
	}
	if ev.Data != "" {
		fmt.Fprintf(&b, " %q", ev.Data)
	}
	return b.String()
}

// The harness's own tests: the notation, and that the harness sees what the
// engine does.

func TestScriptParseSpec(t *testing.T) {
	p, err := parseSpec(`S. 5000:5000(0) ack 1001 win 64240 <mss 1460,sackOK,TS val * ecr 7,nop,wscale 10>`)
	if err != nil {
		t.Fatal(err)
	}
	if p.flags != wire.SYN|wire.ACK || p.seq != 5000 || p.ack != 1001 || p.win != 64240 || !p.anyTS || len(p.opts) != 5 || p.opts[2].TSEcr != 7 {
		t.Fatalf("parsed %+v", p)
	}
	p, err = parseSpec(`P. 1001:1006(5) ack 5001 "hello"`)
	if err != nil || p.data != "hello" || p.n != 5 || p.hasWin {
		t.Fatalf("parsed %+v, %v", p, err)
	}
	for _, bad := range []string{
		"", "S", "Q 1:1(0)", "SS 1:1(0)", ". 1:1(0)", "S 1:1(0) ack 3", "S 1:2(0)",
		"S 1:1(0) win 70000", `P. 1:3(2) ack 1 "abc"`, "S 1:1(0) <bogus>", "S 1:1(0) mss 5",
		"S 1:1(0) <TS 4>",
	} {
		if _, err := parseSpec(bad); err == nil {
			t.Errorf("parseSpec(%q) succeeded", bad)
		}
	}
}

// TestScriptHarness runs the smallest script and checks what the harness
// itself guarantees: outputs are matched once, in order, at their time, and
// the peer host never receives them.
func TestScriptHarness(t *testing.T) {
	sc := newScript(t, Client, ProfileRFC)
	sc.ok(0, CallConnect)
	ev := sc.expect(0, "S 1000:1000(0) win 65535 <mss 1460>")
	if ev.To != Server || ev.Fate != FateDelivered {
		t.Errorf("SYN event %+v", ev)
	}
	sc.expectNothing()
	if len(sc.sim.net.inFlight()) != 0 {
		t.Fatal("the harness left a segment in flight")
	}
	if got := formatSegment(ev); got != "S 1000:1000(0) win 65535 <mss 1460>" {
		t.Errorf("formatSegment = %q", got)
	}
	sc.expectDeadline(1000)
	sc.quiet(999)
	sc.expect(1000, "S 1000:1000(0) win 65535 <mss 1460>")
	if sc.sim.server.sock != nil || len(sc.sim.server.conns) != 0 {
		t.Fatal("the other host saw the script's traffic")
	}
}
