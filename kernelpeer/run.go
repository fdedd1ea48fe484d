package kernelpeer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/synack/synack/engine"
)

// pollEvery bounds how long the run waits without reading the kernel's
// socket states: a timer in the kernel (TIME-WAIT's end, say) changes a
// state without sending anything.
const pollEvery = 50 * time.Millisecond

// settleWithin is how long after handing the kernel a segment or a call
// what it sends counts as its immediate answer.
const settleWithin = 2 * time.Millisecond

// Options shape a run against the kernel.
type Options struct {
	// Horizon, when not zero, ends the run at this virtual time even if the
	// scenario's until_ms is later: the kernel's timers run in real time,
	// so a 60 s TIME-WAIT takes 60 s.
	Horizon time.Duration
	// OnEvents, when set, is given each batch of new events as the run
	// records them, on the run's goroutine. The events are the trace's and
	// do not change afterwards.
	OnEvents func([]engine.Event)
	// OnStart, when set, is given the scenario (cut to Horizon) and the
	// endpoints' addresses once the namespace and the device are ready,
	// just before the run's clock starts and before the first OnEvents, on
	// the run's goroutine. A run that fails to set up never calls it.
	OnStart func(sc *engine.Scenario, endpoints engine.Endpoints)
}

// Report is a run's trace and how closely the run kept to real time.
type Report struct {
	Trace *engine.Trace
	// Late is the most the run fell behind real time: a segment or a call
	// handed to the kernel that long after its virtual time, or a wait that
	// overran by that much. A busy machine makes it large; the kernel's
	// answers are then late too, and a run that should match the engine's
	// may not.
	Late time.Duration
}

// Run runs a validated scenario with the engine as one endpoint and this
// machine's kernel as the other, kernel (engine.Client or engine.Server),
// and returns the trace. It takes as long in real time as the run does in
// virtual time (up to Options.Horizon): virtual time is the real time since
// the run started. It fails with an error wrapping ErrUnavailable where the
// machine cannot make a namespace and a TUN device.
func Run(ctx context.Context, sc *engine.Scenario, kernel string, o Options) (*Report, error) {
	sc = bounded(sc, o.Horizon)
	x, err := engine.NewExternal(sc, kernel)
	if err != nil {
		return nil, err
	}
	cfg, err := sc.Config()
	if err != nil {
		return nil, err
	}
	ns, err := newNetns()
	if err != nil {
		return nil, err
	}
	defer ns.close()
	for _, s := range kernelSettings(sc.Options) {
		if err := ns.sysctl(s.name, s.value); err != nil {
			return nil, err
		}
	}
	local := x.Addr(kernel)
	t, err := newTUN(ns, local.Addr(), cfg.MTU)
	if err != nil {
		return nil, err
	}
	if err := t.waitReady(ns, x.Addr(x.Inside()).Addr()); err != nil {
		t.close()
		return nil, err
	}
	d, err := newDiag(ns)
	if err != nil {
		t.close()
		return nil, err
	}
	defer d.close()
	r := &runner{
		x:   x,
		tun: t,
		app: newApp(ns, local, x.Addr(x.Inside()), cfg.Backlog),
		d:   d,
		o:   o,
	}
	defer t.close()
	defer r.app.close()
	if o.OnStart != nil {
		tr := x.Sim().Trace()
		o.OnStart(tr.Scenario, tr.Endpoints)
	}
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	return &Report{Trace: x.Sim().Trace(), Late: r.late}, nil
}

// bounded returns the scenario with until_ms cut to horizon.
func bounded(sc *engine.Scenario, horizon time.Duration) *engine.Scenario {
	until := sc.UntilMs
	if until == 0 {
		until = engine.DefaultUntil
	}
	if h := horizon.Milliseconds(); h > 0 && h < until {
		c := *sc
		c.UntilMs = h
		return &c
	}
	return sc
}

// runner is one run's moving parts.
type runner struct {
	x    *engine.External
	tun  *tun
	app  *app
	d    *diag
	o    Options
	sent int // events already given to OnEvents

	start      time.Time
	late       time.Duration
	state      engine.State
	hadConn    bool
	confirming bool
}

func (r *runner) loop(ctx context.Context) error {
	r.start = time.Now()
	until := r.x.Sim().Until()
	var failed error
	perform := func(a engine.PeerAction) {
		if failed != nil {
			return
		}
		r.late = max(r.late, r.vnow()-a.At)
		switch a.Kind {
		case engine.PeerSegment:
			if err := r.tun.write(a.Packet); err != nil {
				failed = fmt.Errorf("writing segment %d to the kernel: %w", a.Segment, err)
				return
			}
		case engine.PeerCall:
			result, data := r.app.call(a.Step)
			r.x.CallDone(a.At, a.Step, result, data)
		}
		failed = r.settle(a.At)
		r.observe(a.At)
	}
	for {
		// What the kernel sent before now happened before now: record it
		// at its time before the engine moves on.
		if err := r.receive(perform); err != nil {
			return err
		}
		now := r.vnow()
		r.x.AdvanceTo(now, perform)
		r.observe(r.x.Sim().Now())
		r.flush()
		if failed != nil {
			return failed
		}
		if err := r.x.Sim().Err(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if now >= until {
			return nil
		}
		wait := until - now
		if next, ok := r.x.NextDeadline(); ok {
			wait = min(wait, next-r.vnow())
		}
		wait = max(min(wait, pollEvery), 0)
		before := time.Now()
		woke, err := r.tun.wait(wait)
		if err != nil {
			return err
		}
		if !woke {
			r.late = max(r.late, time.Since(before)-wait)
		}
	}
}

// vnow is the virtual time now: the real time since the run started.
func (r *runner) vnow() time.Duration { return time.Since(r.start) }

// receive records each packet the kernel has sent, at the time it is read,
// after everything the engine had to do before then.
func (r *runner) receive(perform func(engine.PeerAction)) error {
	for {
		b, err := r.tun.read()
		if err != nil || b == nil {
			return err
		}
		at := r.vnow()
		r.x.AdvanceTo(at, perform)
		if err := r.x.Received(at, b); err != nil {
			return err
		}
		r.observe(r.x.Sim().Now())
	}
}

// settle takes what the kernel sends within settleWithin of being handed a
// segment or making a call, and stamps it with the virtual time of that
// moment: the kernel's immediate answer (a SYN,ACK to a SYN, the FIN of a
// close) comes at once, as the engine's does. The kernel makes such an
// answer before the write or the call returns (the softirq that handles a
// packet written to a TUN device runs before the write returns), so the
// window only covers a machine too busy to run the softirq at once.
func (r *runner) settle(at time.Duration) error {
	deadline := time.Now().Add(settleWithin)
	for {
		for {
			b, err := r.tun.read()
			if err != nil {
				return err
			}
			if b == nil {
				break
			}
			if err := r.x.Received(at, b); err != nil {
				return err
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		if _, err := r.tun.wait(left); err != nil {
			return err
		}
	}
}

// observe reads the kernel endpoint's state and records a change. The
// endpoint's state is its connection's, found by the two endpoints'
// addresses; before there is one, LISTEN while it listens; once the
// connection is gone (closed, reset, out of TIME-WAIT), CLOSED.
func (r *runner) observe(now time.Duration) {
	r.app.accept()
	socks, err := r.d.sockets()
	if err != nil {
		return // the next poll tries again
	}
	local, remote := r.x.Addr(r.x.Peer()), r.x.Addr(r.x.Inside())
	st, found := engine.Closed, false
	for _, s := range socks {
		// A socket in CLOSE is as good as gone: the application's socket
		// once its connection has become a TIME-WAIT mini-socket, say.
		if s.local == local && s.remote == remote && s.state != engine.Closed {
			st, found = s.state, true
			break
		}
	}
	// Without a connection: LISTEN while there is a listener, before the
	// first connection and after a half-open one was dropped (RFC 9293
	// 3.10.7.4: a reset in SYN-RECEIVED returns a passive open to LISTEN).
	if !found && r.state == engine.SynReceived {
		r.hadConn = false
	}
	if !found && !r.hadConn {
		for _, s := range socks {
			if s.state == engine.Listen && s.local.Port() == local.Port() {
				st = engine.Listen
			}
		}
	}
	if !found && r.hadConn && r.state != engine.Closed && !r.confirming {
		// A connection moving to TIME-WAIT is a full socket replaced by
		// a mini-socket: a dump can fall between the two. Look again.
		r.confirming = true
		time.Sleep(time.Millisecond)
		r.observe(now)
		r.confirming = false
		return
	}
	r.hadConn = r.hadConn || found
	if st != r.state {
		r.x.PeerState(now, r.state, st)
		r.state = st
	}
}

// flush gives new events to OnEvents.
func (r *runner) flush() {
	evs := r.x.Sim().Events()
	if r.o.OnEvents != nil && len(evs) > r.sent {
		r.o.OnEvents(evs[r.sent:len(evs):len(evs)])
	}
	r.sent = len(evs)
}

// setting is one sysctl of the namespace under /proc/sys/net/ipv4.
type setting struct{ name, value string }

// kernelSettings are the sysctls that give the kernel a scenario's options
// where Linux has a per-namespace setting for them. The others (delayed
// ACK time, MSL, RTO bounds, rcv_buf, challenge_ack, delayed_ack) have no
// such setting and apply to the engine's endpoint only; mtu becomes the
// TUN device's MTU and backlog the listen() backlog.
func kernelSettings(o engine.Options) []setting {
	var out []setting
	num := func(name string, v *int64, scale int64) {
		if v != nil {
			out = append(out, setting{name, strconv.FormatInt(*v/scale, 10)})
		}
	}
	flag := func(name string, v *bool) {
		if v != nil {
			s := "0"
			if *v {
				s = "1"
			}
			out = append(out, setting{name, s})
		}
	}
	num("tcp_syn_retries", o.SynRetries, 1)
	num("tcp_synack_retries", o.SynAckRetries, 1)
	num("tcp_retries2", o.Retries2, 1)
	num("tcp_orphan_retries", o.OrphanRetries, 1)
	num("tcp_syn_linear_timeouts", o.SynLinearTimeouts, 1)
	num("tcp_fin_timeout", o.FinTimeoutMs, 1000)
	flag("tcp_rfc1337", o.RFC1337)
	flag("tcp_timestamps", o.Timestamps)
	flag("tcp_sack", o.SACK)
	flag("tcp_window_scaling", o.WindowScaling)
	return out
}
