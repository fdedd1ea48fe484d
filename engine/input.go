package engine

import (
	"net/netip"
	"time"

	"github.com/synack/synack/engine/wire"
)

// This file is RFC 9293 section 3.10.7, "SEGMENT ARRIVES", in the RFC's
// order. Section numbers mark where each check starts.

// listenArrives is 3.10.7.2: a segment for a socket in LISTEN.
func (l *conn) listenArrives(now time.Duration, remote netip.AddrPort, seg *wire.Segment, why cause) {
	h := l.h
	// First, check for a RST: ignore it.
	if seg.Flags&wire.RST != 0 {
		return
	}
	// Second, check for an ACK: any acknowledgment is bad here.
	if seg.Flags&wire.ACK != 0 {
		rst := wire.Segment{SrcPort: seg.DstPort, DstPort: seg.SrcPort, Seq: seg.Ack, Flags: wire.RST}
		h.send(now, remote.Addr(), rst, why, ReasonRSTAckInListen, false, nil)
		return
	}
	// Third, check for a SYN. Linux discards a SYN with FIN.
	if seg.Flags&wire.SYN == 0 || h.cfg.TCPRcvStateProcessListen && seg.Flags&wire.FIN != 0 {
		return
	}
	if l.children >= h.cfg.Backlog {
		// The SYN queue is full: Linux (without SYN cookies) and most
		// stacks drop the SYN; the client's retransmission may find room.
		h.sim.note(now, h.name, ReasonSynDroppedBacklog, why)
		return
	}
	l.passiveOpen(now, remote, seg, why, 0, false)
}

// passiveOpen makes the connection a listener's SYN starts and answers it
// with a SYN,ACK; with fixed set, its ISN is isn instead of the generator's
// (a SYN that reopened TIME-WAIT).
func (l *conn) passiveOpen(now time.Duration, remote netip.AddrPort, seg *wire.Segment, why cause, isn Seq, fixed bool) {
	h := l.h
	// The peer's connection is the application's socket (traced); once an
	// earlier one has ended, the next one from the peer is.
	free := h.sock == l || h.sock.state == Closed
	primary := free && remote.Addr() == h.sim.peer(h).addr
	c := h.newConn(now, remote, primary)
	if fixed {
		c.ISS = isn
	}
	c.listener = l
	c.state = Listen
	l.children++
	c.halfOpen = true
	if primary {
		h.sock = c
	}
	c.IRS = Seq(seg.Seq)
	c.RcvNxt = c.IRS.Add(1)
	c.takeSynOptions(seg)
	c.setSndWnd(uint32(seg.Window))
	c.SndUna = c.ISS
	c.SndNxt = c.ISS.Add(1)
	c.dataStart = c.SndNxt
	why.reason = ReasonPassiveOpen
	c.setState(now, SynReceived, why)
	c.sendSYN(now, why, false)
}

// takeSynOptions records what the peer's SYN offered; an option is in use
// only when both ends offer it (RFC 7323, RFC 2018).
func (c *conn) takeSynOptions(seg *wire.Segment) {
	cfg := c.h.cfg
	for _, o := range seg.Options {
		switch o.Kind {
		case wire.MSS:
			c.peerMSS = int(o.Value)
		case wire.WS:
			if cfg.WindowScaling {
				c.wsOK = true
				c.sndWscale = uint8(min(o.Value, 14))
				c.rcvWscale = cfg.WindowScale
			}
		case wire.Timestamps:
			if cfg.Timestamps {
				c.tsOK = true
				c.tsRecent = o.TSVal
			}
		case wire.SACKPermitted:
			c.sackOK = cfg.SACK
		}
	}
	if !c.wsOK {
		c.sndWscale, c.rcvWscale = 0, 0
	}
}

// segmentArrives is 3.10.7.3 and 3.10.7.4: a segment for a connection.
func (c *conn) segmentArrives(now time.Duration, seg *wire.Segment, why cause) {
	// Before the segment's timestamp is taken: the reopening rule
	// compares it with the last one the connection saw.
	if c.state == TimeWait && c.h.cfg.TCPTimewaitStateProcess && c.synReopensTimeWait(now, seg, why) {
		return
	}
	if c.tsOK {
		c.takeTimestamp(seg)
	}
	switch c.state {
	case SynSent:
		c.synSentArrives(now, seg, why)
		return
	case TimeWait:
		if c.timeWaitArrives(now, seg, why) {
			return
		}
	case SynReceived:
		if c.synRetransmitted(now, seg, why) {
			return
		}
	case FinWait2:
		if c.orphan && c.h.cfg.TCPTimewaitStateProcess && c.orphanFinWait2(now, seg, why) {
			return
		}
	}
	simAck := c.simultaneousSynAck(seg)
	if !simAck && !c.sequenceCheck(now, seg, why) {
		return
	}
	if seg.Flags&wire.RST != 0 {
		c.rstArrives(now, seg, why)
		return
	}
	if seg.Flags&wire.SYN != 0 && !simAck {
		c.synInWindow(now, seg, why)
		return
	}
	// Fifth, check the ACK field.
	if seg.Flags&wire.ACK == 0 {
		return
	}
	if !c.ackArrives(now, seg, why) {
		return
	}
	if simAck {
		// Linux treats the SYN,ACK's SYN as an old duplicate and ACKs it.
		c.duplicate(seg)
		c.enterQuickAck()
		c.scheduleAck(now, true)
	}
	// Seventh, process the segment text.
	c.dataArrives(now, seg, why)
	// Eighth, check the FIN bit.
	if seg.Flags&wire.FIN != 0 {
		c.finArrives(now, seg, why)
	}
	c.output(now, why)
}

// synSentArrives is 3.10.7.3.
func (c *conn) synSentArrives(now time.Duration, seg *wire.Segment, why cause) {
	ack := Seq(seg.Ack)
	// First, check the ACK bit.
	hasAck := seg.Flags&wire.ACK != 0
	if hasAck && (ack.LEQ(c.ISS) || ack.GT(c.SndNxt)) {
		if seg.Flags&wire.RST == 0 {
			rst := wire.Segment{SrcPort: c.local.Port(), DstPort: c.remote.Port(), Seq: seg.Ack, Flags: wire.RST}
			why.reason = ReasonRSTBadAckInSynSent
			c.h.send(now, c.remote.Addr(), rst, why, why.reason, false, nil)
		}
		return
	}
	// Second, check the RST bit.
	if seg.Flags&wire.RST != 0 {
		if hasAck {
			// RFC 9293: "signal to the user 'error: connection reset'";
			// Linux's connect() fails with ECONNREFUSED (tcp_reset).
			why.reason = ReasonConnectionRefused
			c.userErr = errReset
			if c.h.cfg.TCPReset {
				c.userErr = errRefused
			}
			c.setState(now, Closed, why)
			c.destroy(now)
		}
		return
	}
	// Fourth, check the SYN bit.
	if seg.Flags&wire.SYN == 0 {
		return
	}
	c.IRS = Seq(seg.Seq)
	c.RcvNxt = c.IRS.Add(1)
	c.takeSynOptions(seg)
	if hasAck {
		c.SndUna = ack
		c.ackedRTT(now, ack)
	}
	c.setSndWnd(uint32(seg.Window)) // never scaled on a SYN
	c.SndWl1, c.SndWl2 = Seq(seg.Seq), ack
	if c.SndUna.GT(c.ISS) {
		why.reason = ReasonSynAckReceived
		c.established(now, why)
		c.ackNow = true
		if !c.h.cfg.TCPRcvSynsentStateProcess && (len(seg.Payload) > 0 || seg.Flags&wire.FIN != 0) {
			// RFC 9293: "If there are other controls or text in the
			// segment, then continue processing at the sixth step". Linux
			// (without Fast Open) drops them; the peer sends them again.
			rest := *seg
			rest.Seq++
			rest.Flags &^= wire.SYN
			c.dataArrives(now, &rest, why)
			if rest.Flags&wire.FIN != 0 {
				c.finArrives(now, &rest, why)
			}
		}
		c.output(now, why)
		return
	}
	// A SYN without ACK: simultaneous open.
	why.reason = ReasonSimultaneousOpen
	c.setState(now, SynReceived, why)
	c.cancelTimer(now, timerRetransmit)
	c.sendSYN(now, why, false)
}

// established enters ESTABLISHED and starts the data phase.
func (c *conn) established(now time.Duration, why cause) {
	c.retries = 0
	if c.synRetried && !c.hasRTT {
		if c.tsOK && c.h.cfg.TCPRttTsopt {
			// Linux measures the handshake's RTT from the timestamp the
			// answer echoes, that of the last SYN sent, in whole
			// milliseconds and at least one (tcp_rtt_tsopt_us): Karn's
			// rule does not apply, and no fallback is needed.
			c.sampleRTT(max(time.Duration(c.h.tsNow()-c.synTS)*time.Millisecond, time.Millisecond))
		} else {
			// RFC 6298 5.7: a SYN that timed out leaves RTO at 3 s.
			c.rto = 3 * time.Second
		}
	}
	if c.halfOpen {
		c.halfOpen = false
		c.listener.children--
	}
	c.setState(now, Established, why)
	if c.SndUna == c.SndNxt {
		c.cancelTimer(now, timerRetransmit)
	}
}

// timeWaitArrives handles what TIME-WAIT sees. RFC 9293 says the only thing
// that can arrive is a retransmission of the remote FIN: acknowledge it and
// restart the 2*MSL timeout. It reports whether the segment was consumed.
func (c *conn) timeWaitArrives(now time.Duration, seg *wire.Segment, why cause) bool {
	if c.h.cfg.TCPTimewaitStateProcess && c.linuxTimeWait(now, seg, why) {
		return true
	}
	if seg.Flags&(wire.RST|wire.SYN) != 0 || seg.Flags&wire.FIN == 0 {
		return false
	}
	if Seq(seg.Seq).Add(uint32(seg.Len())) != c.RcvNxt {
		return false
	}
	why.reason = ReasonFinRetransmittedInTW
	c.sendFlags(now, wire.ACK, c.SndNxt, why, ReasonAckFinInTimeWait)
	c.setTimer(now, timerTimeWait, 2*c.h.cfg.MSL)
	return true
}

// linuxTimeWait is what tcp_timewait_state_process does beyond RFC 9293: a
// RST not exactly at RCV.NXT is dropped without a challenge ACK, and a bare
// ACK at RCV.NXT restarts the TIME-WAIT timer. It reports whether the
// segment was consumed.
func (c *conn) linuxTimeWait(now time.Duration, seg *wire.Segment, why cause) bool {
	exact := Seq(seg.Seq) == c.RcvNxt
	switch {
	case seg.Flags&wire.RST != 0 && !exact:
		return true
	case exact && seg.Len() == 0 && seg.Flags&(wire.RST|wire.SYN|wire.FIN) == 0:
		c.setTimer(now, timerTimeWait, 2*c.h.cfg.MSL)
		return true
	case len(seg.Payload) > 0 && seg.Flags&(wire.RST|wire.SYN|wire.FIN) == 0:
		// Data is "out of window" for the timewait socket, even at
		// RCV.NXT: an ACK restarts the timer, and every such segment is
		// ACKed, at most once per 500 ms (tcp_timewait_check_oow_rate_limit).
		if seg.Flags&wire.ACK != 0 {
			c.setTimer(now, timerTimeWait, 2*c.h.cfg.MSL)
		}
		why.reason = ReasonDataInTimeWait
		if !c.oowRateLimited(now) {
			c.sendFlags(now, wire.ACK, c.SndNxt, why, ReasonAckOutOfWindow)
		}
		return true
	}
	return false
}

// synReopensTimeWait is tcp_timewait_state_process's TCP_TW_SYN: a SYN
// (no RST, no ACK) that passes PAWS and starts past the old sequence space
// (above RCV.NXT) or carries a newer timestamp than the last one seen ends
// TIME-WAIT and is handed to the listener, which answers with an ISN of
// the old SND.NXT + 65537, past anything of the old connection. It reports
// whether the segment was consumed.
func (c *conn) synReopensTimeWait(now time.Duration, seg *wire.Segment, why cause) bool {
	if seg.Flags&(wire.SYN|wire.RST|wire.ACK) != wire.SYN {
		return false
	}
	l := c.h.listener
	if l == nil || l.state != Listen || seg.DstPort != l.local.Port() {
		return false
	}
	newer := false
	if c.tsOK {
		for _, o := range seg.Options {
			if o.Kind != wire.Timestamps {
				continue
			}
			if int32(o.TSVal-c.tsRecent) < 0 {
				return false // PAWS rejects it (tcp_paws_reject)
			}
			newer = int32(c.tsRecent-o.TSVal) < 0
		}
	}
	if !Seq(seg.Seq).GT(c.RcvNxt) && !newer {
		return false
	}
	isn := c.SndNxt.Add(65535 + 2)
	if isn == 0 {
		isn = 1
	}
	why.reason = ReasonSynReopensTimeWait
	c.setState(now, Closed, why)
	c.destroy(now)
	l.passiveOpen(now, c.remote, seg, why, isn, true)
	return true
}

// orphanFinWait2 is Linux's FIN-WAIT-2 after close(): a timewait
// mini-socket (tcp_timewait_state_process, TCP_FIN_WAIT2 substate). An
// in-window RST kills it without a word, exact or not, and an in-window SYN
// at or above RCV.NXT is answered with a RST and kills it too. It reports
// whether the segment was consumed; the rest goes the usual way.
func (c *conn) orphanFinWait2(now time.Duration, seg *wire.Segment, why cause) bool {
	if !c.sequenceCheck(now, seg, why) {
		return true
	}
	switch {
	case seg.Flags&wire.RST != 0:
		why.reason = ReasonRSTInOrphanFinWait2
	case seg.Flags&wire.SYN != 0 && !Seq(seg.Seq).LT(c.RcvNxt):
		why.reason = ReasonSynInOrphanFinWait2
		c.h.closedArrives(now, c.remote.Addr(), seg, why)
	default:
		return false
	}
	c.setState(now, Closed, why)
	c.destroy(now)
	return true
}

// synRetransmitted answers the peer's retransmitted SYN in SYN-RECEIVED the
// Linux way: the SYN,ACK must have been lost, so send it again and re-arm
// its timer (tcp_check_req, "pure retransmitted SYN"). RFC 9293 has no such
// rule: the SYN fails the sequence check and gets a bare ACK.
func (c *conn) synRetransmitted(now time.Duration, seg *wire.Segment, why cause) bool {
	if !c.h.cfg.TCPCheckReq || c.listener == nil || seg.Flags != wire.SYN || Seq(seg.Seq) != c.IRS {
		return false
	}
	why.reason = ReasonSynRetransmitted
	// Linux counts these in num_retrans but gives up on num_timeout: they
	// do not bring the end of the half-open connection nearer.
	c.synRetried = true
	c.rttTiming = false
	c.sendSYN(now, why, true)
	c.setTimer(now, timerRetransmit, c.rto)
	return true
}

// sequenceCheck is the first check of 3.10.7.4: is the segment in the
// receive window? An unacceptable segment is answered with an ACK (unless it
// is a RST) and dropped.
func (c *conn) sequenceCheck(now time.Duration, seg *wire.Segment, why cause) bool {
	if c.acceptable(seg) || c.resetCheck(seg) {
		return true
	}
	c.duplicate(seg)
	if seg.Flags&wire.RST != 0 {
		return false
	}
	why.reason = ReasonOutOfWindow
	// Data without SYN is unlikely to be part of an ACK loop: not limited.
	if (len(seg.Payload) == 0 || seg.Flags&wire.SYN != 0) && c.oowRateLimited(now) {
		return false
	}
	c.sendFlags(now, wire.ACK, c.SndNxt, why, ReasonAckOutOfWindow)
	return false
}

// acceptable is the table of 3.10.7.4.
func (c *conn) acceptable(seg *wire.Segment) bool {
	seq, n, wnd := Seq(seg.Seq), uint32(seg.Len()), c.rcvWnd()
	switch {
	case n == 0 && wnd == 0:
		return seq == c.RcvNxt
	case n == 0:
		return seq.InWindow(c.RcvNxt, wnd)
	case wnd == 0:
		// RFC 9293: "special allowance should be made to accept valid
		// ACKs" at a zero window; the text itself is dropped later.
		return seq == c.RcvNxt
	}
	return seq.InWindow(c.RcvNxt, wnd) || seq.Add(n-1).InWindow(c.RcvNxt, wnd)
}

// rstArrives is the second check of 3.10.7.4, with RFC 5961 section 3.2's
// validation: only a RST at exactly RCV.NXT resets; any other in the window
// gets a challenge ACK.
func (c *conn) rstArrives(now time.Duration, seg *wire.Segment, why cause) {
	cfg := c.h.cfg
	linuxHalfOpen := cfg.TCPCheckReq && c.state == SynReceived && c.listener != nil
	if cfg.ChallengeAck && Seq(seg.Seq) != c.RcvNxt && !linuxHalfOpen && !c.resetCheck(seg) {
		// Linux drops a half-open connection on any in-window RST
		// (tcp_check_req); everyone else challenges an inexact one.
		why.reason = ReasonChallengeAck
		c.challengeAck(now, why)
		return
	}
	switch c.state {
	case SynReceived:
		if c.listener != nil {
			why.reason = ReasonRSTInSynReceived
			c.backToListen(now, why)
			return
		}
		why.reason = ReasonConnectionRefused
		c.userErr = errRefused
	case TimeWait:
		if cfg.RFC1337 {
			// RFC 1337: TIME-WAIT assassination hazards; ignore the RST.
			c.h.sim.note(now, c.h.name, ReasonRSTIgnoredRFC1337, why)
			return
		}
		why.reason = ReasonRSTInTimeWait
	case Closing, LastAck:
		why.reason = ReasonRSTWhileClosing
	default:
		why.reason = ReasonConnectionReset
		c.userErr = errReset
	}
	c.setState(now, Closed, why)
	c.destroy(now)
}

// resetCheck is Linux's tcp_reset_check: once the peer's FIN is in, a RST
// at RCV.NXT-1 (the FIN's own number, as a peer that has not seen our ACK
// of it would send) resets in CLOSE-WAIT, LAST-ACK and CLOSING, though it
// is outside the window.
func (c *conn) resetCheck(seg *wire.Segment) bool {
	if !c.h.cfg.TCPResetCheck || seg.Flags&wire.RST == 0 || !c.rcvFIN || Seq(seg.Seq) != c.RcvNxt-1 {
		return false
	}
	return c.state == CloseWait || c.state == LastAck || c.state == Closing
}

// backToListen returns a passive connection in SYN-RECEIVED to the listener
// it came from (3.10.7.4, second check).
func (c *conn) backToListen(now time.Duration, why cause) {
	h := c.h
	l := c.listener
	c.setState(now, Listen, why)
	c.destroy(now)
	c.state = Closed
	if h.sock == c && l != nil && h.listener == l {
		h.sock = l
	}
}

// simultaneousSynAck reports Linux's exception to the SYN check: in a
// simultaneous open the peer's SYN,ACK acknowledges our SYN,ACK and
// completes the handshake (tcp_validate_incoming).
func (c *conn) simultaneousSynAck(seg *wire.Segment) bool {
	return c.h.cfg.TCPValidateIncoming && c.state == SynReceived && c.listener == nil &&
		seg.Flags&wire.ACK != 0 && Seq(seg.Seq).Add(1) == c.RcvNxt &&
		Seq(seg.Ack) == c.SndNxt
}

// synInWindow is the fourth check of 3.10.7.4: a SYN in a synchronized
// state gets a challenge ACK (RFC 5961 section 4); RFC 793 reset instead.
func (c *conn) synInWindow(now time.Duration, seg *wire.Segment, why cause) {
	if c.state == SynReceived && c.listener != nil {
		why.reason = ReasonSynInSynReceived
		if c.h.cfg.TCPCheckReq {
			// tcp_check_req: a new SYN in the window resets the
			// half-open connection and is answered with a RST.
			c.h.closedArrives(now, c.remote.Addr(), seg, why)
		}
		c.backToListen(now, why)
		return
	}
	if c.h.cfg.ChallengeAck {
		why.reason = ReasonChallengeAckSyn
		c.challengeAck(now, why)
		return
	}
	why.reason = ReasonSynInWindow
	c.sendFlags(now, wire.RST, c.SndNxt, why, ReasonRSTSynInWindow)
	c.setState(now, Closed, why)
	c.destroy(now)
}

// challengeAck sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961),
// rate-limited like every reply to an unacceptable segment.
func (c *conn) challengeAck(now time.Duration, why cause) {
	if !c.oowRateLimited(now) {
		c.sendFlags(now, wire.ACK, c.SndNxt, why, ReasonChallengeAck)
	}
}

// oowRateLimit spaces the ACKs a connection sends in answer to unacceptable
// segments: two stacks that disagree about the window would otherwise ACK
// each other's ACKs for ever. RFC 5961 section 7 asks for such a limit;
// Linux allows one such ACK per 500 ms per connection
// (tcp_invalid_ratelimit).
const oowRateLimit = 500 * time.Millisecond

// oowRateLimited reports whether such an ACK must be skipped now, and
// counts it when not.
func (c *conn) oowRateLimited(now time.Duration) bool {
	if c.oowSent && now-c.lastOOW < oowRateLimit {
		return true
	}
	c.oowSent, c.lastOOW = true, now
	return false
}

// ackArrives is the fifth check of 3.10.7.4. It reports whether processing
// goes on.
func (c *conn) ackArrives(now time.Duration, seg *wire.Segment, why cause) bool {
	ack := Seq(seg.Ack)
	if c.state == SynReceived {
		if !(c.SndUna.LT(ack) && ack.LEQ(c.SndNxt)) {
			rst := wire.Segment{SrcPort: c.local.Port(), DstPort: c.remote.Port(), Seq: seg.Ack, Flags: wire.RST}
			why.reason = ReasonRSTBadAckInSynRcvd
			c.h.send(now, c.remote.Addr(), rst, why, why.reason, false, nil)
			return false
		}
		c.setSndWnd(uint32(seg.Window) << c.sndWscale)
		c.SndWl1, c.SndWl2 = Seq(seg.Seq), ack
		c.SndUna = ack
		c.ackedRTT(now, ack)
		why.reason = ReasonHandshakeComplete
		c.established(now, why)
	}
	switch {
	case c.h.cfg.ChallengeAck && ack.LT(c.SndUna-Seq(c.maxSndWnd)):
		// RFC 5961 section 5.2 (blind data injection): an ACK more than a
		// window below SND.UNA cannot come from the peer. Drop the segment,
		// its data too, and send a challenge ACK (Linux tcp_ack).
		why.reason = ReasonChallengeAckOldAck
		c.challengeAck(now, why)
		return false
	case ack.GT(c.SndNxt):
		// It acknowledges something not yet sent.
		why.reason = ReasonAckOfUnsent
		if !c.oowRateLimited(now) {
			c.sendFlags(now, wire.ACK, c.SndNxt, why, ReasonAckOfUnsent)
		}
		return false
	case c.SndUna.LT(ack):
		c.ackedRTT(now, ack)
		c.SndUna = ack
		c.trimSendQ()
		c.segmentsAcked(ack)
		c.retries = 0
		if c.SndUna == c.SndNxt {
			c.cancelTimer(now, timerRetransmit)
			c.cancelTimer(now, timerLossProbe)
		} else {
			c.setTimer(now, timerRetransmit, c.rto)
			c.cancelTimer(now, timerLossProbe)
			c.scheduleLossProbe(now, true)
		}
	}
	// Any acceptable ACK shows the peer is there: window probes start over,
	// and a zero-window answer to a retransmitted probe is no failure.
	c.probes = 0
	if seg.Window == 0 {
		c.retries = 0
	}
	// Window update (SND.WL1 and SND.WL2 guard against old segments).
	if c.SndWl1.LT(Seq(seg.Seq)) || (c.SndWl1 == Seq(seg.Seq) && c.SndWl2.LEQ(ack)) {
		c.setSndWnd(uint32(seg.Window) << c.sndWscale)
		c.SndWl1, c.SndWl2 = Seq(seg.Seq), ack
	}
	finAcked := c.finSent && c.SndUna == c.SndNxt
	switch c.state {
	case FinWait1:
		if finAcked {
			why.reason = ReasonFinAcked
			c.setState(now, FinWait2, why)
			if c.orphan && c.h.cfg.FinTimeout > 0 {
				c.setTimer(now, timerFinWait2, c.h.cfg.FinTimeout)
			}
		}
	case Closing:
		if finAcked {
			why.reason = ReasonFinAcked
			c.enterTimeWait(now, why)
		}
		return false
	case LastAck:
		if finAcked {
			why.reason = ReasonFinAcked
			c.setState(now, Closed, why)
			c.destroy(now)
		} else {
			// Data queued in front of the FIN may go now.
			c.output(now, why)
		}
		return false
	}
	return true
}

// ackedRTT takes an RTT sample when the timed sequence number is acked.
func (c *conn) ackedRTT(now time.Duration, ack Seq) {
	if c.rttTiming && c.rttSeq.LT(ack) {
		c.rttTiming = false
		c.sampleRTT(now - c.rttStart)
	}
}

// trimSendQ drops acknowledged bytes from the send queue.
func (c *conn) trimSendQ() {
	n := int(c.SndUna.Sub(c.dataStart))
	if n <= 0 {
		return
	}
	n = min(n, len(c.sendQ))
	c.sendQ = c.sendQ[n:]
	c.dataStart = c.dataStart.Add(uint32(n))
}

// dataArrives is the seventh check: in-order text goes to the receive queue.
// Out-of-order text is dropped and answered with a duplicate ACK, as a
// receiver without a reassembly queue does.
func (c *conn) dataArrives(now time.Duration, seg *wire.Segment, why cause) {
	if len(seg.Payload) == 0 {
		return
	}
	switch c.state {
	case Established, FinWait1, FinWait2:
	default:
		return // the peer's FIN came already: ignore text
	}
	seq := Seq(seg.Seq)
	payload := seg.Payload
	if c.orphan && seq.Add(uint32(len(payload))).GT(c.RcvNxt) && (c.state == FinWait1 || c.state == FinWait2) {
		// New data after close(): nobody will read it. RFC 9293 3.6
		// (SHLD-2) and Linux (tcp_rcv_state_process) answer with a RST.
		why.reason = ReasonDataAfterClose
		c.h.closedArrives(now, c.remote.Addr(), seg, why)
		c.setState(now, Closed, why)
		c.destroy(now)
		return
	}
	if skip := c.RcvNxt.Sub(seq); skip > 0 {
		// Already received in part: keep only what is new.
		if int(skip) >= len(payload) {
			c.duplicate(seg)
			c.enterQuickAck()
			c.scheduleAck(now, true)
			return
		}
		payload = payload[skip:]
		seq = c.RcvNxt
	}
	if seq != c.RcvNxt {
		c.scheduleAck(now, true)
		return
	}
	if wnd := int(c.rcvWnd()); len(payload) > wnd {
		// Beyond the window: keep what fits, tell the sender at once.
		payload = payload[:wnd]
		c.ackNow = true
	}
	if len(payload) == 0 {
		return
	}
	c.rcvQ = append(c.rcvQ, payload...)
	c.RcvNxt = c.RcvNxt.Add(uint32(len(payload)))
	c.dataReceived(now)
	c.scheduleAck(now, false)
}

// duplicate notes a segment that carried only sequence space already
// received, for a D-SACK block in the ACK that answers it (RFC 2883; Linux
// tcp_dsack_set).
func (c *conn) duplicate(seg *wire.Segment) {
	start, end := Seq(seg.Seq), Seq(seg.Seq).Add(uint32(seg.Len()))
	if !c.sackOK || start == end || !start.LT(c.RcvNxt) {
		return
	}
	if end.GT(c.RcvNxt) {
		end = c.RcvNxt
	}
	c.dsack, c.dsackPending = [2]Seq{start, end}, true
}

// finArrives is the eighth check.
func (c *conn) finArrives(now time.Duration, seg *wire.Segment, why cause) {
	fin := Seq(seg.Seq).Add(uint32(len(seg.Payload)))
	if fin != c.RcvNxt {
		return // data before the FIN is missing
	}
	c.RcvNxt = c.RcvNxt.Add(1)
	c.rcvFIN = true
	why.reason = ReasonFinReceived
	switch c.state {
	case SynReceived, Established:
		c.setState(now, CloseWait, why)
		if c.h.cfg.TCPFin {
			// tcp_fin enters pingpong mode: the ACK of a FIN waits for the
			// application's reply, often its own FIN.
			c.pingpong = true
		}
		c.scheduleAck(now, false)
	case FinWait1:
		c.scheduleAck(now, true)
		if c.finSent && c.SndUna == c.SndNxt {
			c.enterTimeWait(now, why)
		} else {
			why.reason = ReasonSimultaneousClose
			c.setState(now, Closing, why)
		}
	case FinWait2:
		c.scheduleAck(now, true)
		c.enterTimeWait(now, why)
	case TimeWait:
		c.scheduleAck(now, true)
		c.setTimer(now, timerTimeWait, 2*c.h.cfg.MSL)
	default:
		c.scheduleAck(now, true)
	}
}

// enterTimeWait starts the 2*MSL wait; every other timer stops.
func (c *conn) enterTimeWait(now time.Duration, why cause) {
	c.setState(now, TimeWait, why)
	c.cancelTimer(now, timerRetransmit)
	c.cancelTimer(now, timerLossProbe)
	c.cancelTimer(now, timerFinWait2)
	c.setTimer(now, timerTimeWait, 2*c.h.cfg.MSL)
}

// takeTimestamp records the peer's timestamp for echoing (RFC 7323 4.3,
// simplified: the latest in-order value).
func (c *conn) takeTimestamp(seg *wire.Segment) {
	for _, o := range seg.Options {
		if o.Kind == wire.Timestamps && Seq(seg.Seq).LEQ(c.RcvNxt) {
			c.tsRecent = o.TSVal
		}
	}
}
