package engine

import (
	"net/netip"
	"time"

	"github.com/synack/synack/engine/wire"
)

// This file is RFC 9293 section 3.10's user calls (OPEN, SEND, RECEIVE,
// CLOSE, ABORT) as the contract names them, plus shutdown(SHUT_WR). A call
// a state does not allow returns the RFC's error text.

// The RFC 9293 error texts.
const (
	errNoConnection      = "error: connection does not exist"
	errExists            = "error: connection already exists"
	errClosing           = "error: connection closing"
	errRemoteUnspecified = "error: remote socket unspecified"
	errReset             = "error: connection reset"
	errRefused           = "error: connection refused"
	errTimedOut          = "error: connection aborted due to user timeout"
)

// callResult is what a call returns to the application.
type callResult struct {
	result string // "ok", "eof" or an error text
	data   string // bytes read by receive
}

func ok() callResult { return callResult{result: "ok"} }

func fail(text string) callResult { return callResult{result: text} }

// call performs one socket call of the application on this host.
func (h *host) call(now time.Duration, name, data string) callResult {
	why := callCause(name)
	switch name {
	case CallListen:
		return h.listen(now, why)
	case CallConnect:
		return h.connect(now, why)
	}
	c := h.sock
	if c != nil && c.state == Closed && c.userErr != "" {
		// The application learns once why its connection ended; Linux's
		// close() succeeds all the same (tcp_close reports no error).
		text := c.userErr
		c.userErr = ""
		if (name == CallClose || name == CallAbort) && h.cfg.TCPClose {
			return ok()
		}
		return fail(text)
	}
	if c != nil && c.state == Closed && h.listener != nil {
		// The accepted connection is gone, the listening socket is not:
		// calls reach it again, as they would on a real server.
		c = h.listener
		h.sock = c
	}
	if c == nil || c.state == Closed {
		return fail(errNoConnection)
	}
	switch name {
	case CallSend:
		return c.send(now, []byte(data), why)
	case CallReceive:
		return c.receive(now, why)
	case CallShutdown:
		return c.shutdown(now, why)
	case CallClose:
		return c.close(now, why)
	case CallAbort:
		return c.abort(now, why)
	}
	return fail("error: unknown call " + name)
}

// listen is a passive OPEN.
func (h *host) listen(now time.Duration, why cause) callResult {
	if h.listener != nil || h.sock != nil && h.sock.state != Closed {
		return fail(errExists)
	}
	h.port = h.sim.listenPort(h)
	l := h.newConn(now, netip.AddrPort{}, true)
	h.sock, h.listener = l, l
	l.setState(now, Listen, why)
	return ok()
}

// connect is an active OPEN: choose an ISS, send a SYN, enter SYN-SENT.
func (h *host) connect(now time.Duration, why cause) callResult {
	if h.sock != nil && h.sock.state != Closed {
		if h.sock.state != Listen || !h.cfg.RFC9293OpenInListen {
			return fail(errExists)
		}
		// RFC 9293: an active OPEN on a listening socket turns it active.
		h.listener = nil
	}
	peer := h.sim.peer(h)
	h.port = h.sim.connectPort(h)
	remote := netip.AddrPortFrom(peer.addr, h.sim.connectTarget(h))
	c := h.newConn(now, remote, true)
	h.sock = c
	c.SndUna = c.ISS
	c.SndNxt = c.ISS.Add(1)
	c.dataStart = c.SndNxt
	why.reason = ReasonActiveOpen
	c.setState(now, SynSent, why)
	c.sendSYN(now, why, false)
	return ok()
}

// send queues data; it goes out as the state and window allow.
func (c *conn) send(now time.Duration, data []byte, why cause) callResult {
	switch c.state {
	case Listen:
		return fail(errRemoteUnspecified)
	case SynSent, SynReceived, Established, CloseWait:
		if c.finQueued {
			return fail(errClosing)
		}
	default:
		return fail(errClosing)
	}
	c.sendQ = append(c.sendQ, data...)
	c.output(now, why)
	return ok()
}

// receive reads everything available; at end of stream it reports EOF.
func (c *conn) receive(now time.Duration, why cause) callResult {
	switch c.state {
	case Closing, LastAck, TimeWait:
		// RFC 9293 answers an error; Linux reads end of stream.
		if len(c.rcvQ) == 0 && c.h.cfg.RFC9293ReceiveClosing {
			return fail(errClosing)
		}
	}
	if len(c.rcvQ) == 0 {
		if c.rcvFIN {
			return callResult{result: "eof"}
		}
		return ok()
	}
	data := string(c.rcvQ)
	before := c.rcvWnd()
	c.rcvQ = c.rcvQ[:0]
	if 2*before <= c.rcvSpace && c.rcvWnd() >= 2*before && c.state.synchronized() && !c.rcvFIN {
		// Reading at least doubled a window that had shrunk to half or
		// less: tell the peer (Linux tcp_cleanup_rbuf).
		why.reason = ReasonWindowUpdate
		c.ackNow = true
		c.output(now, why)
	}
	return callResult{result: "ok", data: data}
}

// shutdown closes the sending half only: the FIN goes after queued data and
// the connection still receives.
func (c *conn) shutdown(now time.Duration, why cause) callResult {
	switch c.state {
	case Listen:
		return fail(errNoConnection)
	case SynSent:
		c.setState(now, Closed, why)
		c.destroy(now)
		return ok()
	case SynReceived, Established:
		c.finQueued = true
		c.setState(now, FinWait1, why)
	case CloseWait:
		c.finQueued = true
		c.setState(now, LastAck, why)
	default:
		return fail(errClosing)
	}
	c.output(now, why)
	return ok()
}

// close is CLOSE. Unread received data turns it into a reset, as RFC 1122
// 4.2.2.13 and Linux do.
func (c *conn) close(now time.Duration, why cause) callResult {
	if len(c.rcvQ) > 0 && c.state.synchronized() && c.state != TimeWait {
		why.reason = ReasonCloseWithUnreadData
		c.reset(now, why)
		return ok()
	}
	switch c.state {
	case Listen, SynSent:
		c.setState(now, Closed, why)
		c.destroy(now)
		return ok()
	case SynReceived:
		if c.listener != nil && c.h.cfg.InetCskListenStop {
			// Linux: a connection not yet accepted is not the
			// application's to close; its close() closes the listener,
			// which drops its half-open connections without a word
			// (inet_csk_listen_stop). The peer's next segment finds no
			// socket and is answered with RST.
			l := c.listener
			why.reason = ReasonListenerClosed
			c.setState(now, Closed, why)
			c.destroy(now)
			if l.state == Listen {
				l.setState(now, Closed, why)
				l.destroy(now)
			}
			return ok()
		}
	case FinWait1, FinWait2:
		if c.h.cfg.RFC9293CloseClosing {
			return fail(errClosing)
		}
		c.orphan = true
		if c.state == FinWait2 && c.h.cfg.FinTimeout > 0 {
			c.setTimer(now, timerFinWait2, c.h.cfg.FinTimeout)
		}
		return ok()
	case Closing, LastAck, TimeWait:
		if c.h.cfg.RFC9293CloseClosing {
			return fail(errClosing)
		}
		c.orphan = true
		return ok()
	}
	res := c.shutdown(now, why)
	c.orphan = true
	return res
}

// abort is ABORT (close with SO_LINGER 0): a RST where the peer has state.
func (c *conn) abort(now time.Duration, why cause) callResult {
	if c.state == TimeWait && c.h.cfg.TCPTimeWait {
		// Linux: a connection in TIME-WAIT is a timewait mini-socket the
		// application no longer holds (tcp_time_wait): SO_LINGER 0 and
		// close() leave it, and its timer, in place.
		c.orphan = true
		return ok()
	}
	switch c.state {
	case Listen, SynSent, Closing, LastAck, TimeWait:
		c.setState(now, Closed, why)
		c.destroy(now)
		return ok()
	}
	why.reason = ReasonAbort
	c.reset(now, why)
	return ok()
}

// reset sends RST,ACK at SND.NXT and deletes the TCB (Linux
// tcp_send_active_reset; RFC 9293 ABORT sends <SEQ=SND.NXT><CTL=RST>).
func (c *conn) reset(now time.Duration, why cause) {
	flags := wire.RST
	if c.h.cfg.TCPSendActiveReset {
		flags |= wire.ACK
	}
	c.sendFlags(now, flags, c.SndNxt, why, why.reason)
	c.setState(now, Closed, why)
	c.destroy(now)
}
