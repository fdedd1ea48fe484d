package engine

import (
	"time"

	"github.com/synack/synack/engine/wire"
)

// This file builds the segments a connection sends: SYN and SYN,ACK with
// their options, data within the peer's window, FIN, ACK and RST.

// output sends whatever the connection owes: a SYN or SYN,ACK not yet sent is
// the caller's business; this sends new data, the FIN and an owed ACK.
func (c *conn) output(now time.Duration, why cause) {
	switch c.state {
	case Established, CloseWait, FinWait1, FinWait2, Closing, LastAck, TimeWait, SynReceived:
	default:
		return
	}
	sent := false
	if c.canSendData() {
		sent = c.sendData(now, why)
	}
	if c.canSendFIN() {
		c.sendFIN(now, why)
		sent = true
	}
	if c.ackNow && !sent {
		c.sendFlags(now, wire.ACK, c.SndNxt, why, ReasonAck)
	}
	c.updatePersist(now)
}

// canSendData reports whether new data may go out: the sending half is
// open, or closed with data still queued in front of the FIN (RFC 9293
// 3.10.4: the FIN is queued behind the data), once the SYN is acknowledged.
func (c *conn) canSendData() bool {
	switch c.state {
	case Established, CloseWait:
		return true
	case FinWait1, LastAck:
		return !c.finSent && c.SndUna.GT(c.ISS)
	}
	return false
}

// unsent returns the queued bytes not sent yet.
func (c *conn) unsent() []byte {
	off := int(c.SndNxt.Sub(c.dataStart))
	if off < 0 || off > len(c.sendQ) {
		return nil
	}
	return c.sendQ[off:]
}

// sendData sends new data as the peer's window and Nagle's algorithm allow
// (RFC 9293 3.8.6.2.2; RFC 896). It reports whether it sent anything.
func (c *conn) sendData(now time.Duration, why cause) bool {
	sent := false
	for {
		data := c.unsent()
		if len(data) == 0 {
			return sent
		}
		wnd := int64(c.SndUna.Add(c.SndWnd).Sub(c.SndNxt))
		if wnd <= 0 {
			return sent
		}
		mss := c.effMSS()
		n := min(len(data), mss, int(wnd))
		inFlight := c.SndNxt != c.SndUna
		// Nagle's algorithm (RFC 9293 3.7.4): a small segment waits while
		// data is unacknowledged. Linux's close() pushes with Nagle off
		// (tcp_send_fin).
		nagle := inFlight && !(c.finQueued && c.h.cfg.TCPSendFin)
		if n < mss && n < len(data) && (nagle || uint32(n) < c.maxSndWnd/2) {
			// The window cuts the segment short. Sender silly-window
			// avoidance (RFC 9293 3.8.6.2.1) sends it anyway when nothing
			// waits to be acknowledged and it fills at least half the
			// largest window the peer has offered: a peer whose whole
			// window is smaller than a segment still gets data.
			return sent
		}
		if nagle && n < mss {
			return sent
		}
		flags := wire.ACK
		if n == len(data) {
			flags |= wire.PSH
		}
		last := n == len(data)
		if last && c.finQueued && !c.finSent {
			// The FIN rides on the last data segment.
			flags |= wire.FIN
		}
		seg := c.newSegment(c.SndNxt, flags)
		seg.Payload = data[:n]
		seq := c.SndNxt
		c.SndNxt = c.SndNxt.Add(uint32(n))
		if flags&wire.FIN != 0 {
			c.finSent = true
			c.finSeq = c.SndNxt
			c.SndNxt = c.SndNxt.Add(1)
		}
		c.startRTT(now, seq)
		c.dataSent(now)
		c.transmit(now, seg, why, ReasonData, false)
		c.startRetransmitTimer(now)
		c.segmentSent(now, c.SndNxt)
		sent = true
	}
}

func (c *conn) canSendFIN() bool {
	return c.finQueued && !c.finSent && len(c.unsent()) == 0 &&
		(c.state == FinWait1 || c.state == LastAck || c.state == Closing)
}

func (c *conn) sendFIN(now time.Duration, why cause) {
	seg := c.newSegment(c.SndNxt, wire.FIN|wire.ACK)
	c.finSent = true
	c.finSeq = c.SndNxt
	c.SndNxt = c.SndNxt.Add(1)
	c.startRTT(now, c.finSeq)
	c.transmit(now, seg, why, ReasonFin, false)
	c.startRetransmitTimer(now)
	c.segmentSent(now, c.SndNxt)
}

// sendSYN sends the SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED) at ISS.
func (c *conn) sendSYN(now time.Duration, why cause, retransmit bool) {
	flags := wire.SYN
	reason := ReasonSyn
	if c.state != SynSent {
		// SYN-RECEIVED, or a FIN-WAIT-1 or LAST-ACK entered from it by a
		// close() before the handshake's ACK came (RFC 9293 3.10.4).
		flags |= wire.ACK
		reason = ReasonSynAck
	}
	seg := c.newSegment(c.ISS, flags)
	c.synTS = c.h.tsNow()
	if !retransmit {
		c.startRTT(now, c.ISS)
		if c.h.cfg.TCPSelectInitialWindow && !c.offered {
			// Linux keeps the window it offered on the SYN, rounded to
			// the MSS, as its receive window (tcp_select_initial_window).
			c.rcvSpace = uint32(seg.Window)
		}
		c.offered = true
	}
	c.transmit(now, seg, why, reason, retransmit)
	c.startRetransmitTimer(now)
}

// sendFlags sends a segment without data at seq: an ACK, or a RST from a
// connection.
func (c *conn) sendFlags(now time.Duration, flags wire.Flags, seq Seq, why cause, reason Reason) {
	c.transmit(now, c.newSegment(seq, flags), why, reason, false)
}

// retransmit resends the oldest unacknowledged segment (RFC 6298 5.4).
func (c *conn) retransmit(now time.Duration) {
	why := timerCause(timerRetransmit)
	if c.SndUna == c.ISS {
		// The SYN is the oldest unacknowledged segment, even when a
		// close() has queued a FIN behind it (RFC 9293 3.10.8).
		c.sendSYN(now, why, true)
		return
	}
	flags := wire.ACK
	seg := c.newSegment(c.SndUna, flags)
	off := int(c.SndUna.Sub(c.dataStart))
	if off >= 0 && off < len(c.sendQ) {
		sentEnd := int(c.SndNxt.Sub(c.dataStart))
		if c.finSent {
			sentEnd--
		}
		n := min(sentEnd-off, c.effMSS())
		seg.Payload = c.sendQ[off : off+n]
		if off+n == len(c.sendQ) {
			seg.Flags |= wire.PSH
			if c.finSent {
				seg.Flags |= wire.FIN
			}
		}
	} else if c.finSent {
		seg.Flags |= wire.FIN
	} else {
		return
	}
	c.transmit(now, seg, why, ReasonRetransmit, true)
}

// retransmitLast resends the newest unacknowledged segment, a loss probe's
// fallback when no new data can go (RFC 8985 7.3).
func (c *conn) retransmitLast(now time.Duration, why cause) {
	if len(c.sentEnds) == 0 {
		return
	}
	start := c.SndUna
	if n := len(c.sentEnds); n > 1 {
		start = c.sentEnds[n-2]
	}
	end := c.sentEnds[len(c.sentEnds)-1]
	seg := c.newSegment(start, wire.ACK)
	dataEnd := end
	if c.finSent && end == c.SndNxt {
		seg.Flags |= wire.FIN
		dataEnd = c.finSeq
	}
	from, to := int(start.Sub(c.dataStart)), int(dataEnd.Sub(c.dataStart))
	if from >= 0 && from < to && to <= len(c.sendQ) {
		seg.Payload = c.sendQ[from:to]
		if to == len(c.sendQ) {
			seg.Flags |= wire.PSH
		}
	}
	c.transmit(now, seg, why, ReasonLossProbe, true)
}

// newSegment fills in the header fields every segment of this connection
// carries: ports, the ACK field, the window and the options.
func (c *conn) newSegment(seq Seq, flags wire.Flags) wire.Segment {
	seg := wire.Segment{
		SrcPort: c.local.Port(),
		DstPort: c.remote.Port(),
		Seq:     uint32(seq),
		Flags:   flags,
	}
	if flags&wire.ACK != 0 {
		seg.Ack = uint32(c.RcvNxt)
	}
	if flags&wire.SYN != 0 {
		seg.Window = c.synWindow()
		seg.Options = c.synOptions(flags&wire.ACK != 0)
	} else if flags&wire.RST == 0 || flags&wire.ACK != 0 {
		// A connection's RST,ACK carries the window and timestamps like
		// any other of its segments (Linux tcp_send_active_reset); a RST
		// for a segment without a connection has neither.
		seg.Window = c.windowField()
		if c.tsOK {
			seg.Options = append(c.h.sim.options.make(3), wire.Option{Kind: wire.NOP}, wire.Option{Kind: wire.NOP}, c.tsOption())
		}
		if c.dsackPending && c.sackOK && flags&wire.ACK != 0 && flags&wire.RST == 0 {
			c.dsackPending = false
			block := [][2]uint32{{uint32(c.dsack[0]), uint32(c.dsack[1])}}
			seg.Options = append(seg.Options, wire.Option{Kind: wire.NOP}, wire.Option{Kind: wire.NOP},
				wire.Option{Kind: wire.SACK, Blocks: block})
		}
	}
	return seg
}

func (c *conn) tsOption() wire.Option {
	return wire.Option{Kind: wire.Timestamps, TSVal: c.h.tsNow() + c.tsOffset, TSEcr: c.tsRecent}
}

// synOptions are the options of a SYN, in Linux's order and packing: MSS,
// SACK permitted with timestamps (or NOP,NOP before it), NOP and window
// scale. A SYN,ACK answers with the options the SYN offered.
func (c *conn) synOptions(synAck bool) []wire.Option {
	cfg := c.h.cfg
	opts := append(c.h.sim.options.make(6), wire.Option{Kind: wire.MSS, Value: uint32(cfg.MSS())})
	ts := cfg.Timestamps && (!synAck || c.tsOK)
	sack := cfg.SACK && (!synAck || c.sackOK)
	ws := cfg.WindowScaling && (!synAck || c.wsOK)
	switch {
	case ts && sack:
		opts = append(opts, wire.Option{Kind: wire.SACKPermitted}, c.tsOption())
	case ts:
		opts = append(opts, wire.Option{Kind: wire.NOP}, wire.Option{Kind: wire.NOP}, c.tsOption())
	case sack:
		opts = append(opts, wire.Option{Kind: wire.NOP}, wire.Option{Kind: wire.NOP}, wire.Option{Kind: wire.SACKPermitted})
	}
	if ws {
		opts = append(opts, wire.Option{Kind: wire.NOP}, wire.Option{Kind: wire.WS, Value: uint32(cfg.WindowScale)})
	}
	return opts
}

// synWindow is the unscaled window of a SYN or SYN,ACK. Linux rounds the
// space down to a multiple of the MSS it expects to receive (less the
// timestamp option once that is agreed).
func (c *conn) synWindow() uint16 {
	w := min(c.rcvSpace, 65535)
	if c.h.cfg.TCPSelectInitialWindow && !c.offered {
		mss := uint32(c.h.cfg.MSS())
		if c.tsOK {
			mss -= 12
		}
		if w > mss {
			w -= w % mss
		}
	}
	return uint16(w)
}

// windowField is the window as the header carries it: scaled, and on Linux
// rounded up to the scale's granularity (__tcp_select_window).
func (c *conn) windowField() uint16 {
	w := c.rcvWnd()
	shift := c.rcvWscale
	if shift > 0 {
		w = (w + (1 << shift) - 1) >> shift
	}
	return uint16(min(w, 65535))
}

// effMSS is the payload that fits one segment to the peer.
func (c *conn) effMSS() int {
	mss := c.peerMSS
	if c.tsOK {
		mss -= 12
	}
	return max(mss, 1)
}

// startRTT times seq for an RTT sample, one at a time (RFC 6298 section 3).
func (c *conn) startRTT(now time.Duration, seq Seq) {
	if c.rttTiming {
		return
	}
	c.rttTiming, c.rttSeq, c.rttStart = true, seq, now
}

// transmit hands a segment to the network and records that the owed ACK, if
// any, went with it.
func (c *conn) transmit(now time.Duration, seg wire.Segment, why cause, reason Reason, retransmit bool) {
	if seg.Flags&wire.ACK != 0 {
		c.ackNow = false
		c.cancelTimer(now, timerDelayedAck)
	}
	var tcb *TCB
	if c.traced {
		tcb = c.snapshot()
	}
	c.h.send(now, c.remote.Addr(), seg, why, reason, retransmit, tcb)
}
