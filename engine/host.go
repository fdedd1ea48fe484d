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
	// conns finds a connection by its remote address.
	conns map[netip.AddrPort]*conn
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
	if !remote.IsValid() {
		return c // a listener: no peer, no sequence numbers
	}
	c.ISS = h.sim.isns.isn(now, c.local, remote)
	if h.cfg.Timestamps {
		c.tsOffset = h.sim.isns.hash(remote, c.local)
	}
	h.conns[remote] = c
	return c
}

// destroy deletes a closed connection's TCB.
func (c *conn) destroy(now time.Duration) {
	c.cancelAllTimers(now)
	h := c.h
	if h.conns[c.remote] == c {
		delete(h.conns, c.remote)
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
	why := cause{what: "segment", segment: id}
	if c, ok := h.conns[remote]; ok && seg.DstPort == c.local.Port() {
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
	h.send(now, src, rst, why, "rst-closed-port", false, nil)
}

// send puts a segment on the wire to dst.
func (h *host) send(now time.Duration, dst netip.Addr, seg wire.Segment, why cause, reason string, retransmit bool, tcb *TCB) {
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

// fireTimers runs the due timers of every connection, in a fixed order.
func (h *host) fireTimers(now time.Duration) {
	if h.sock != nil && h.conns[h.sock.remote] == h.sock {
		h.sock.fireTimers(now)
	}
	for _, c := range h.sortedConns() {
		if c != h.sock {
			c.fireTimers(now)
		}
	}
}

// sortedConns lists the connections in a fixed order, for determinism.
func (h *host) sortedConns() []*conn {
	list := make([]*conn, 0, len(h.conns))
	for _, c := range h.conns {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b *conn) int { return a.remote.Compare(b.remote) })
	return list
}
