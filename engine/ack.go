package engine

import "time"

// This file decides when to acknowledge. The rfc profile ACKs at once, as
// RFC 9293 3.10.7.4 says ("send an acknowledgment"), unless delayed_ack is
// on: then an ACK waits up to the delayed-ACK time for a reply to ride on
// (3.8.6.3). The linux profile follows the kernel's delayed-ACK machinery
// (net/ipv4/tcp_input.c): quick-ACK mode at the start of a connection and
// after a long silence, an ACK timeout ("ato") that adapts to the arrival
// pattern, and pingpong mode for interactive connections, whose ACKs wait
// for the reply.

// scheduleAck decides how to acknowledge what just arrived: at once, or
// after the delayed-ACK timeout so that it can ride on a reply.
func (c *conn) scheduleAck(now time.Duration, immediate bool) {
	cfg := c.h.cfg
	if immediate || !cfg.DelayedAck {
		c.ackNow = true
		return
	}
	if cfg.TCPEventDataRecv && c.quickAcks > 0 && !c.pingpong {
		c.quickAcks--
		c.ackNow = true
		return
	}
	if _, ok := c.deadline(timerDelayedAck); !ok {
		c.setTimer(now, timerDelayedAck, c.ackTimeout())
	}
}

// ackTimeout is the delayed-ACK time: the profile's, or Linux's adaptive
// ato. Before any data has arrived Linux's ato is still 0 and the delayed
// ACK goes out at the next timer tick (tcp_send_delayed_ack): a FIN on a
// connection that carried no data is ACKed within a jiffy.
func (c *conn) ackTimeout() time.Duration {
	if !c.h.cfg.TCPEventDataRecv {
		return c.h.cfg.DelayedAckTime
	}
	if c.ato == 0 {
		return linuxJiffy
	}
	return c.ato
}

// linuxJiffy is one tick of the kernel's timer wheel on the machine the
// captures in testdata/linux come from (HZ=250).
const linuxJiffy = 4 * time.Millisecond

// dataReceived is Linux's tcp_event_data_recv: the first data starts
// quick-ACK mode; later data adapts ato to the gap since the previous data,
// and a gap longer than the RTO starts quick-ACK mode again.
func (c *conn) dataReceived(now time.Duration) {
	if !c.h.cfg.TCPEventDataRecv {
		return
	}
	atoMin := c.h.cfg.DelayedAckTime
	switch gap := now - c.lastData; {
	case c.ato == 0:
		c.quickAcks = c.quickAckBudget()
		c.ato = atoMin
	case gap <= atoMin/2:
		c.ato = c.ato/2 + atoMin/2
	case gap < c.ato:
		c.ato = min(c.ato/2+gap, c.rto)
	case gap > c.rto:
		c.quickAcks = c.quickAckBudget()
	}
	c.lastData = now
}

// quickAckBudget is how many segments quick-ACK mode ACKs at once:
// rcv_wnd/(2*rcv_mss), at least 2 and at most 16 (tcp_incr_quickack).
func (c *conn) quickAckBudget() int {
	return min(16, max(2, int(c.rcvSpace)/(2*c.effMSS())))
}

// dataSent is Linux's tcp_event_data_sent: data sent within ato of the last
// data received is a reply, and the connection turns interactive
// (pingpong), so the next ACK waits to ride on the next reply.
func (c *conn) dataSent(now time.Duration) {
	if c.h.cfg.TCPEventDataRecv && c.ato > 0 && now-c.lastData < c.ato {
		c.pingpong = true
	}
}

// delayedAckFired is Linux's tcp_delack_timer_handler: the ACK waited in
// vain. In pingpong mode the connection stops assuming replies; otherwise
// ato doubles, up to the RTO.
func (c *conn) delayedAckFired() {
	if !c.h.cfg.TCPEventDataRecv {
		return
	}
	if c.pingpong {
		c.pingpong = false
		c.ato = c.h.cfg.DelayedAckTime
		return
	}
	c.ato = min(2*max(c.ato, c.h.cfg.DelayedAckTime), c.rto)
}

// enterQuickAck is Linux's tcp_enter_quickack_mode, for a duplicate segment:
// the peer is retransmitting, so ACK at once for a while and leave pingpong
// mode.
func (c *conn) enterQuickAck() {
	if !c.h.cfg.TCPEventDataRecv {
		return
	}
	c.quickAcks = c.quickAckBudget()
	c.pingpong = false
	c.ato = c.h.cfg.DelayedAckTime
}
