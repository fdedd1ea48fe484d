package engine

import (
	"net/netip"
	"time"
)

// conn is one connection's transmission control block (RFC 9293 section
// 3.3.1) together with its queues and timers. Field names follow the RFC.
type conn struct {
	h      *host
	local  netip.AddrPort
	remote netip.AddrPort
	state  State
	// traced conns are the application's socket on their endpoint: their
	// state changes and timers are events. The half-open connections of a
	// SYN flood are not.
	traced bool
	// listener is the listening TCB a passive connection came from; RFC 9293
	// sends such a connection back to LISTEN on RST in SYN-RECEIVED.
	listener *conn
	// orphan is set once the application has closed the socket: it makes no
	// more calls, and Linux bounds the FIN-WAIT-2 wait.
	orphan bool
	// children counts a listener's half-open connections (its SYN queue);
	// halfOpen marks a connection counted there.
	children int
	halfOpen bool

	// Send sequence variables.
	ISS    Seq
	SndUna Seq
	SndNxt Seq
	SndWnd uint32
	SndWl1 Seq
	SndWl2 Seq
	// maxSndWnd is the largest window the peer has offered, Max(SND.WND)
	// of RFC 9293 3.8.6.2.1's sender silly-window avoidance.
	maxSndWnd uint32
	// Receive sequence variables.
	IRS    Seq
	RcvNxt Seq

	// Negotiated options.
	peerMSS   int
	sndWscale uint8 // shift applied to the peer's window
	rcvWscale uint8 // shift applied to our window
	wsOK      bool
	tsOK      bool
	sackOK    bool
	tsRecent  uint32
	tsOffset  uint32
	// rcvSpace is the receive window before subtracting unread data;
	// offered is set once a SYN or SYN,ACK has offered it.
	rcvSpace uint32
	offered  bool
	// dsack is a duplicate segment to report in the next ACK's SACK option
	// (RFC 2883), as Linux does when SACK is in use.
	dsack        [2]Seq
	dsackPending bool

	// sendQ holds the bytes from dataStart on: first unacknowledged, then
	// unsent. The SYN and FIN are not in it.
	sendQ     []byte
	dataStart Seq
	// finQueued: the application closed its sending half; the FIN goes
	// after sendQ. finSent: the FIN has been sent (its sequence number is
	// SndNxt-1 once sent, finSeq).
	finQueued bool
	finSent   bool
	finSeq    Seq
	// rcvQ holds received bytes the application has not read.
	rcvQ   []byte
	rcvFIN bool

	// Retransmission (RFC 6298).
	rto       time.Duration
	srtt      time.Duration
	rttvar    time.Duration
	hasRTT    bool
	rttTiming bool
	rttSeq    Seq
	rttStart  time.Duration
	retries   int
	// sentBuf holds the first sentEnds without an allocation.
	sentBuf [4]Seq
	// synTS is the timestamp clock when the SYN or SYN,ACK last went out.
	synTS uint32
	// sentEnds are the end sequence numbers of the data and FIN segments
	// sent and not yet acknowledged, oldest first: Linux's packets_out.
	sentEnds []Seq
	// tlpOut: a loss probe was sent and not yet acknowledged (Linux
	// tlp_high_seq); recovering: an RTO fired and not all it covered is
	// acknowledged yet (TCP_CA_Loss). Neither allows another probe.
	tlpOut     bool
	recovering bool
	synRetried bool
	probes     int // zero-window probes sent since the last ACK

	timers [numTimers]time.Duration // deadlines; 0 means not running

	// lastOOW is when the last ACK answering an unacceptable segment went
	// out (see oowRateLimited).
	lastOOW time.Duration
	oowSent bool
	// userErr is what the application's next call returns once a RST or a
	// timeout ended the connection, such as "error: connection reset".
	userErr string

	// ACK generation.
	ackNow    bool          // an ACK is owed and goes out with the next segment
	quickAcks int           // Linux: segments still to ACK at once
	pingpong  bool          // Linux: interactive mode (see ack.go)
	ato       time.Duration // Linux: the adaptive ACK timeout, 0 before data
	lastData  time.Duration // Linux: when data last arrived
}

// snapshot returns the variables a teacher points at.
func (c *conn) snapshot() *TCB {
	t := c.h.sim.tcbs.new()
	*t = TCB{
		State:  c.state,
		ISS:    uint32(c.ISS),
		IRS:    uint32(c.IRS),
		SndUna: uint32(c.SndUna),
		SndNxt: uint32(c.SndNxt),
		SndWnd: c.SndWnd,
		RcvNxt: uint32(c.RcvNxt),
		RcvWnd: c.rcvWnd(),
		RTOMs:  c.rto.Milliseconds(),
	}
	return t
}

// setSndWnd takes the window the peer offers.
func (c *conn) setSndWnd(w uint32) {
	c.SndWnd = w
	c.maxSndWnd = max(c.maxSndWnd, w)
}

// rcvWnd is RCV.WND: the space left for data the application has not read.
func (c *conn) rcvWnd() uint32 {
	used := uint32(len(c.rcvQ))
	if used >= c.rcvSpace {
		return 0
	}
	return c.rcvSpace - used
}

// setState is the one door through which a connection changes state; it
// records the change with its cause.
func (c *conn) setState(now time.Duration, to State, cause cause) {
	from := c.state
	if from == to {
		return
	}
	c.state = to
	if !c.traced {
		return
	}
	ev := Event{
		Kind:         KindState,
		T:            Millis(now),
		Endpoint:     c.h.name,
		From:         from.String(),
		To:           to.String(),
		Cause:        cause.what,
		CauseSegment: cause.segment,
		Reason:       cause.reason,
		TCB:          c.snapshot(),
	}
	c.h.sim.emit(ev)
}

// cause says why something happened: a call, a segment or a timer.
type cause struct {
	what    Cause  // a call name, "segment" or "timer"
	segment int    // the segment's id when what is "segment"
	reason  Reason // the rule applied
}

func callCause(call string) cause { return cause{what: Cause(call)} }

func timerCause(t timer) cause { return cause{what: CauseTimer, reason: Reason(t.name())} }
