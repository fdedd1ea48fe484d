package engine

import (
	"net/netip"
	"slices"
	"time"

	"github.com/synack/synack/engine/wire"
)

// host is one endpoint's TCP: the application's socket, a listener's
// half-open connections, and the replies of a port nobody listens on.
type host struct {
	sim  *Sim
	name string
	addr netip.Addr
	cfg  *Config
	// sock is the application's socket, the one its calls act on; nil
	// before the first listen or connect.
	sock *conn
	// listener is the socket in LISTEN, while there is one.
	listener *conn
	// conns are the host's connections in the order they were made (a
	// handful, or a listener's SYN queue: a slice beats a map here).
	conns []*conn
	// port is the local port of the application's socket.
	port uint16
}

func (h *host) local() netip.AddrPort { return netip.AddrPortFrom(h.addr, h.port) }

// tsNow is the timestamp clock (RFC 7323): milliseconds, like Linux.
func (h *host) tsNow() uint32 { return uint32(h.sim.now / time.Millisecond) }

// newConn makes a TCB for the given remote, registered for demultiplexing.
func (h *host) newConn(now time.Duration, remote netip.AddrPort, traced bool) *conn {
	c := &conn{
		h:        h,
		local:    h.local(),
		remote:   remote,
		traced:   traced,
		rto:      h.cfg.RTOInitial,
		rcvSpace: uint32(h.cfg.RcvBuf),
		peerMSS:  536, // RFC 9293 3.7.1: the default without an MSS option
	}
	c.sentEnds = c.sentBuf[:0]
	if !remote.IsValid() {
		return c // a listener: no peer, no sequence numbers
	}
	iss, tsOffset := h.sim.isns.isn(now, c.local, remote)
	c.ISS = iss
	if isn, ok := h.sim.fixedISN[h.name]; ok {
		c.ISS = isn
	}
	if h.cfg.Timestamps {
		c.tsOffset = tsOffset
	}
	h.conns = append(h.conns, c)
	return c
}

// destroy deletes a closed connection's TCB.
func (c *conn) destroy(now time.Duration) {
	c.cancelAllTimers(now)
	h := c.h
	if i := slices.Index(h.conns, c); i >= 0 {
		h.conns = slices.Delete(h.conns, i, i+1)
	}
	if c.halfOpen {
		c.halfOpen = false
		c.listener.children--
	}
	if h.listener == c {
		h.listener = nil
	}
}

// receive demultiplexes an arriving segment (RFC 9293 3.10.7): to its
// connection, else to the listener, else to the rules for a closed port.
func (h *host) receive(now time.Duration, src netip.Addr, seg *wire.Segment, id int) {
	remote := netip.AddrPortFrom(src, seg.SrcPort)
	why := cause{what: CauseSegment, segment: id}
	if c := h.find(remote); c != nil && seg.DstPort == c.local.Port() {
		c.segmentArrives(now, seg, why)
		return
	}
	if l := h.listener; l != nil && seg.DstPort == l.local.Port() {
		l.listenArrives(now, remote, seg, why)
		return
	}
	h.closedArrives(now, src, seg, why)
}

// closedArrives answers a segment for which no TCB exists (RFC 9293
// 3.10.7.1): a RST for anything but a RST.
func (h *host) closedArrives(now time.Duration, src netip.Addr, seg *wire.Segment, why cause) {
	if seg.Flags&wire.RST != 0 {
		return
	}
	rst := wire.Segment{SrcPort: seg.DstPort, DstPort: seg.SrcPort, Flags: wire.RST}
	if seg.Flags&wire.ACK != 0 {
		rst.Seq = seg.Ack
	} else {
		rst.Flags |= wire.ACK
		rst.Ack = seg.Seq + uint32(seg.Len())
	}
	h.send(now, src, rst, why, ReasonRSTClosedPort, false, nil)
}

// send puts a segment on the wire to dst.
func (h *host) send(now time.Duration, dst netip.Addr, seg wire.Segment, why cause, reason Reason, retransmit bool, tcb *TCB) {
	h.sim.transmit(now, h, dst, seg, why, reason, retransmit, tcb)
}

// nextDeadline is the earliest timer of any of the host's connections.
func (h *host) nextDeadline() (time.Duration, bool) {
	best, found := time.Duration(0), false
	for _, c := range h.conns {
		if d, ok := c.nextDeadline(); ok && (!found || d < best) {
			best, found = d, true
		}
	}
	return best, found
}

// find returns the connection to remote, or nil.
func (h *host) find(remote netip.AddrPort) *conn {
	for _, c := range h.conns {
		if c.remote == remote {
			return c
		}
	}
	return nil
}

// fireTimers runs the due timers of every connection, oldest first. A
// listener's thousand half-open connections can all be due at once: the
// run's budget is checked between them, not only between steps.
func (h *host) fireTimers(now time.Duration) {
	for _, c := range slices.Clone(h.conns) {
		if h.sim.exceeded() {
			return
		}
		c.fireTimers(now)
	}
}
