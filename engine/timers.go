package engine

import (
	"time"

	"github.com/synack/synack/engine/wire"
)

// timer names one of a connection's timers.
type timer int

const (
	// timerLossProbe sends a Tail Loss Probe (RFC 8985 7.2, Linux
	// tcp_schedule_loss_probe). It comes first: due with the RTO, it fires
	// instead of it, as the two share one timer in Linux.
	timerLossProbe timer = iota
	// timerRetransmit resends the oldest unacknowledged SYN, data or FIN
	// (RFC 6298).
	timerRetransmit
	// timerDelayedAck sends an ACK that waited for a reply to ride on.
	timerDelayedAck
	// timerTimeWait ends TIME-WAIT after 2*MSL.
	timerTimeWait
	// timerFinWait2 ends an orphaned connection stuck in FIN-WAIT-2 (Linux
	// tcp_fin_timeout).
	timerFinWait2
	// timerPersist probes a zero window (RFC 9293 3.8.6.1).
	timerPersist
	numTimers
)

var timerNames = [numTimers]string{
	timerRetransmit: "retransmit",
	timerDelayedAck: "delayed-ack",
	timerTimeWait:   "time-wait",
	timerFinWait2:   "fin-wait-2",
	timerPersist:    "persist",
	timerLossProbe:  "loss-probe",
}

func (t timer) String() string { return timerNames[t] }

func (t timer) name() TimerName { return TimerName(timerNames[t]) }

// TimerNames lists the timers as the trace names them.
func TimerNames() []string { return timerNames[:] }

// Virtual time 0 is a valid deadline, so deadlines are stored plus one.
func (c *conn) deadline(t timer) (time.Duration, bool) {
	d := c.timers[t]
	return d - 1, d != 0
}

// setTimer (re)starts a timer to fire after d and records it.
func (c *conn) setTimer(now time.Duration, t timer, d time.Duration) {
	due := now + d
	if old, ok := c.deadline(t); ok && old == due {
		return
	}
	c.timers[t] = due + 1
	c.timerEvent(now, t, "set", due)
}

// cancelTimer stops a running timer and records it.
func (c *conn) cancelTimer(now time.Duration, t timer) {
	due, ok := c.deadline(t)
	if !ok {
		return
	}
	c.timers[t] = 0
	c.timerEvent(now, t, "cancel", due)
}

func (c *conn) cancelAllTimers(now time.Duration) {
	for t := range numTimers {
		c.cancelTimer(now, t)
	}
}

func (c *conn) timerEvent(now time.Duration, t timer, action string, due time.Duration) {
	if !c.traced {
		return
	}
	info := c.h.sim.timers.new()
	*info = TimerInfo{Timer: t.name(), Action: action, DueMs: Millis(due)}
	c.h.sim.emit(Event{Kind: KindTimer, T: Millis(now), Endpoint: c.h.name, TimerInfo: info})
}

// nextDeadline returns the earliest running timer.
func (c *conn) nextDeadline() (time.Duration, bool) {
	best, found := time.Duration(0), false
	for t := range numTimers {
		if d, ok := c.deadline(t); ok && (!found || d < best) {
			best, found = d, true
		}
	}
	return best, found
}

// fireTimers runs every timer due at now, in a fixed order.
func (c *conn) fireTimers(now time.Duration) {
	for t := range numTimers {
		d, ok := c.deadline(t)
		if !ok || d > now {
			continue
		}
		c.timers[t] = 0
		c.timerEvent(now, t, "fire", d)
		switch t {
		case timerRetransmit:
			c.onRetransmitTimeout(now)
		case timerDelayedAck:
			c.delayedAckFired()
			c.ackNow = true
			c.output(now, timerCause(timerDelayedAck))
		case timerTimeWait:
			c.setState(now, Closed, timerCause(t))
			c.destroy(now)
		case timerFinWait2:
			c.setState(now, Closed, timerCause(t))
			c.destroy(now)
		case timerPersist:
			c.probeZeroWindow(now)
		case timerLossProbe:
			c.sendLossProbe(now)
		}
		if c.state == Closed {
			return
		}
	}
}

// onRetransmitTimeout is RFC 6298 section 5.4 to 5.7 with Linux's linear SYN
// timeouts, and gives up after the configured number of retries.
func (c *conn) onRetransmitTimeout(now time.Duration) {
	cfg := c.h.cfg
	limit := cfg.Retries2
	if c.orphan {
		limit = cfg.OrphanRetries
	}
	switch c.state {
	case SynSent:
		// Linux adds the linear retries to tcp_syn_retries
		// (tcp_write_timeout); the rfc profile has none.
		limit = cfg.SynRetries + cfg.SynLinearTimeouts
	case SynReceived:
		limit = cfg.SynAckRetries
	}
	if c.retries >= limit {
		c.giveUp(now)
		return
	}
	c.retries++
	c.recovering = true
	c.cancelTimer(now, timerLossProbe)
	if c.state == SynSent || c.state == SynReceived {
		c.synRetried = true
	}
	// Karn's algorithm: a retransmitted segment gives no RTT sample.
	c.rttTiming = false
	if !(c.state == SynSent && c.retries <= cfg.SynLinearTimeouts) {
		c.rto = min(2*c.rto, cfg.RTOMax)
	}
	c.retransmit(now)
	c.setTimer(now, timerRetransmit, c.rto)
}

// giveUp ends a connection whose retransmissions went unanswered. Neither
// Linux nor RFC 9293 sends anything: the peer is presumed gone.
func (c *conn) giveUp(now time.Duration) {
	why := timerCause(timerRetransmit)
	why.reason = ReasonRetriesExhausted
	if c.state == SynReceived && c.listener != nil {
		if !c.traced {
			// A half-open entry of the SYN queue expires: show it, or a
			// flood's backlog would free itself invisibly.
			c.h.sim.note(now, c.h.name, ReasonSynQueueEntryExpired, why)
		}
		c.backToListen(now, why)
		return
	}
	c.userErr = errTimedOut
	c.setState(now, Closed, why)
	c.destroy(now)
}

// startRetransmitTimer runs the timer if data, SYN or FIN is outstanding and
// it is not already running (RFC 6298 5.1).
func (c *conn) startRetransmitTimer(now time.Duration) {
	if _, ok := c.deadline(timerRetransmit); !ok && c.SndNxt != c.SndUna {
		c.setTimer(now, timerRetransmit, c.rto)
	}
}

// sampleRTT updates SRTT, RTTVAR and RTO from one measurement (RFC 6298
// section 2), with the profile's bounds.
func (c *conn) sampleRTT(r time.Duration) {
	if !c.hasRTT {
		c.srtt = r
		c.rttvar = r / 2
		c.hasRTT = true
	} else {
		delta := c.srtt - r
		if delta < 0 {
			delta = -delta
		}
		c.rttvar = (3*c.rttvar + delta) / 4
		c.srtt = (7*c.srtt + r) / 8
	}
	cfg := c.h.cfg
	var rto time.Duration
	if cfg.TCPSetRTO {
		// Linux adds at least tcp_rto_min to SRTT instead of flooring the
		// whole RTO (tcp_set_rto and tcp_rtt_estimator's mdev floor).
		rto = c.srtt + max(4*c.rttvar, cfg.RTOMin)
	} else {
		rto = max(c.srtt+max(4*c.rttvar, time.Millisecond), cfg.RTOMin)
	}
	c.rto = min(rto, cfg.RTOMax)
}

// updatePersist runs the persist timer while queued data waits behind the
// peer's window with nothing in flight, whose ACK would open it: a zero
// window, or one too small for silly-window avoidance to use. Otherwise a
// lost window update would stall the connection for ever (RFC 9293
// 3.8.6.1, MUST-36). The first probe goes after one RTO (SHLD-29).
func (c *conn) updatePersist(now time.Duration) {
	blocked := c.canSendData() && !c.finSent && len(c.unsent()) > 0 && c.SndNxt == c.SndUna
	if !blocked {
		c.probes = 0
		c.cancelTimer(now, timerPersist)
		return
	}
	if _, ok := c.deadline(timerPersist); !ok {
		c.setTimer(now, timerPersist, c.probeTimeout())
	}
}

// probeTimeout is the RTO backed off once per unanswered probe (SHLD-30).
func (c *conn) probeTimeout() time.Duration {
	return min(c.rto<<min(c.probes, 16), c.h.cfg.RTOMax)
}

// probeZeroWindow sends a window probe. Linux sends <SEQ=SND.UNA-1><ACK>, a
// segment the receiver must answer with an ACK that carries its window
// (tcp_xmit_probe_skb); RFC 9293 sends one octet of new data, which the
// retransmission timer then repeats until the window opens.
func (c *conn) probeZeroWindow(now time.Duration) {
	why := timerCause(timerPersist)
	if c.probes >= c.h.cfg.Retries2 {
		c.giveUp(now)
		return
	}
	c.probes++
	if wnd := c.SndUna.Add(c.SndWnd).Sub(c.SndNxt); wnd > 0 {
		// A window too small for silly-window avoidance: the override
		// timeout of RFC 9293 3.8.6.2.1 sends what fits, as Linux's probe
		// timer does (tcp_write_wakeup).
		data := c.unsent()
		n := min(len(data), c.effMSS(), int(wnd))
		seg := c.newSegment(c.SndNxt, wire.ACK)
		if n == len(data) {
			seg.Flags |= wire.PSH
		}
		seg.Payload = data[:n]
		c.startRTT(now, c.SndNxt)
		c.SndNxt = c.SndNxt.Add(uint32(n))
		c.transmit(now, seg, why, ReasonSWSOverride, false)
		c.startRetransmitTimer(now)
		c.segmentSent(now, c.SndNxt)
		c.cancelTimer(now, timerPersist)
		return
	}
	if !c.h.cfg.TCPXmitProbeSkb {
		seg := c.newSegment(c.SndNxt, wire.ACK|wire.PSH)
		seg.Payload = c.unsent()[:1]
		c.SndNxt = c.SndNxt.Add(1)
		c.transmit(now, seg, why, ReasonZeroWindowProbe, false)
		c.startRetransmitTimer(now)
		c.segmentSent(now, c.SndNxt)
		return
	}
	c.sendFlags(now, wire.ACK, c.SndUna-1, why, ReasonZeroWindowProbe)
	c.setTimer(now, timerPersist, c.probeTimeout())
}

// segmentSent counts a new data or FIN segment ending at end as in flight
// and schedules a loss probe behind it.
func (c *conn) segmentSent(now time.Duration, end Seq) {
	c.sentEnds = append(c.sentEnds, end)
	c.scheduleLossProbe(now, false)
}

// segmentsAcked forgets the segments the peer has acknowledged.
func (c *conn) segmentsAcked(ack Seq) {
	n := 0
	for n < len(c.sentEnds) && c.sentEnds[n].LEQ(ack) {
		n++
	}
	if n > 0 {
		c.sentEnds = append(c.sentEnds[:0], c.sentEnds[n:]...)
	}
	if len(c.sentEnds) == 0 {
		c.tlpOut, c.recovering = false, false
	}
}

// tlpMin is Linux's TCP_TIMEOUT_MIN_US, added to two RTTs when more than
// one segment is unacknowledged.
const tlpMin = 2 * time.Millisecond

// scheduleLossProbe is Linux's tcp_schedule_loss_probe (RFC 8985 7.2): with
// SACK in use, a tail of unacknowledged segments gets a probe after two
// smoothed RTTs plus TCP_TIMEOUT_MIN (plus rto_min for a lone segment,
// whose ACK may be delayed), unless the RTO comes first. advancingRTO says
// the RTO was just restarted (on an ACK) rather than left running.
func (c *conn) scheduleLossProbe(now time.Duration, advancingRTO bool) {
	cfg := c.h.cfg
	if !cfg.TCPScheduleLossProbe || !c.sackOK || len(c.sentEnds) == 0 || c.tlpOut || c.recovering {
		return
	}
	timeout := time.Second // TCP_TIMEOUT_INIT, before any RTT sample
	if c.hasRTT {
		extra := tlpMin
		if len(c.sentEnds) == 1 {
			extra = cfg.RTOMin
		}
		// In jiffies, rounded up; the timer wheel runs it on the tick
		// after (the capture nagle-close: 7.3 ms for 2 ms and a tiny RTT).
		timeout = roundUp(2*c.srtt+extra, linuxJiffy) + linuxJiffy
	}
	rtoDelta := c.rto
	if d, ok := c.deadline(timerRetransmit); ok && !advancingRTO {
		rtoDelta = d - now
	}
	if rtoDelta > 0 {
		timeout = min(timeout, rtoDelta)
	}
	c.setTimer(now, timerLossProbe, timeout)
}

func roundUp(d, unit time.Duration) time.Duration { return (d + unit - 1) / unit * unit }

// sendLossProbe is Linux's tcp_send_loss_probe: new data if the window
// allows, else the last segment again; then the RTO starts over.
func (c *conn) sendLossProbe(now time.Duration) {
	why := timerCause(timerLossProbe)
	c.tlpOut = true
	if !c.canSendData() || !c.sendData(now, why) {
		c.retransmitLast(now, why)
	}
	c.tlpOut = true
	c.cancelTimer(now, timerLossProbe)
	c.setTimer(now, timerRetransmit, c.rto)
}
