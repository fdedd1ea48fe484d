package engine

import "reflect"

// Behaviours are the rules in which the two profiles differ without an
// option to choose them: each is named after the kernel function that does
// it (on for linux) or the RFC clause that says it (on for rfc), and its
// `cite` tag names that function or clause. docs/profiles.md lists every
// one of them; a test keeps the two in step.
type Behaviours struct {
	// TCPEventDataRecv: Linux's delayed-ACK machinery (tcp_event_data_recv,
	// tcp_event_data_sent, tcp_delack_timer_handler,
	// tcp_enter_quickack_mode): quick-ACK mode at the start and after a
	// silence, the adaptive ACK timeout ato, pingpong mode. Off, an ACK is
	// sent at once or after delayed_ack_ms (RFC 9293 3.8.6.3).
	TCPEventDataRecv bool `cite:"tcp_event_data_recv"`
	// TCPFin: a FIN received in ESTABLISHED enters pingpong mode, so its ACK
	// waits for the application's reply.
	TCPFin bool `cite:"tcp_fin"`
	// TCPSelectInitialWindow: the SYN's window is the receive space rounded
	// down to a multiple of the MSS, and stays the receive space.
	TCPSelectInitialWindow bool `cite:"tcp_select_initial_window"`
	// TCPSendActiveReset: a connection's RST carries ACK, its window and
	// timestamps (RFC 9293 ABORT: <SEQ=SND.NXT><CTL=RST>).
	TCPSendActiveReset bool `cite:"tcp_send_active_reset"`
	// TCPRcvStateProcessListen: a SYN with FIN to a listener is discarded.
	TCPRcvStateProcessListen bool `cite:"tcp_rcv_state_process"`
	// TCPRcvSynsentStateProcess: data and FIN on a SYN,ACK are dropped
	// (without Fast Open); RFC 9293 3.10.7.3 processes them.
	TCPRcvSynsentStateProcess bool `cite:"tcp_rcv_synsent_state_process"`
	// TCPTimewaitStateProcess: in TIME-WAIT a RST not at RCV.NXT is
	// ignored, a bare ACK at RCV.NXT restarts the timer and a SYN past
	// RCV.NXT or with a newer timestamp (TCP_TW_SYN) reopens the
	// connection through the listener.
	TCPTimewaitStateProcess bool `cite:"tcp_timewait_state_process"`
	// TCPCheckReq: a half-open connection answers a retransmitted SYN with
	// its SYN,ACK, is dropped by any in-window RST and answers a new SYN in
	// its window with RST.
	TCPCheckReq bool `cite:"tcp_check_req"`
	// TCPValidateIncoming: in a simultaneous open the peer's SYN,ACK
	// completes the handshake and is ACKed as a duplicate.
	TCPValidateIncoming bool `cite:"tcp_validate_incoming"`
	// TCPSetRTO: RTO = SRTT + max(4*RTTVAR, rto_min), where RFC 6298 2.4
	// floors the whole RTO at its minimum.
	TCPSetRTO bool `cite:"tcp_set_rto"`
	// TCPXmitProbeSkb: a zero-window probe is <SEQ=SND.UNA-1><ACK>, where
	// RFC 9293 3.8.6.1 sends one octet of new data.
	TCPXmitProbeSkb bool `cite:"tcp_xmit_probe_skb"`
	// TCPSendFin: close() pushes data that Nagle's algorithm holds at once,
	// with the FIN on its last segment; RFC 9293 3.10.4 queues the FIN
	// behind the data, which goes when Nagle's algorithm lets it.
	TCPSendFin bool `cite:"tcp_send_fin"`
	// TCPScheduleLossProbe: Tail Loss Probe (RFC 8985 7.2). With SACK in
	// use and data or a FIN unacknowledged, the last segment is sent again
	// after about two RTTs (plus rto_min when only one segment is out),
	// before the RTO; RFC 9293 waits for the RTO.
	TCPScheduleLossProbe bool `cite:"tcp_schedule_loss_probe"`
	// TCPReset: a RST,ACK in SYN-SENT fails connect() with "connection
	// refused" (ECONNREFUSED), where RFC 9293 3.10.7.3 signals "connection
	// reset".
	TCPReset bool `cite:"tcp_reset"`
	// TCPClose: close() succeeds after a reset (its error went to the
	// call before, or is dropped), where RFC 9293 reports the error.
	TCPClose bool `cite:"tcp_close"`
	// InetCskListenStop: close() of a connection still in SYN-RECEIVED
	// (not yet accepted) closes the listener, which drops it silently;
	// RFC 9293 3.10.4 sends a FIN and enters FIN-WAIT-1.
	InetCskListenStop bool `cite:"inet_csk_listen_stop"`
	// TCPRttTsopt: with timestamps, the ACK that completes a handshake
	// whose SYN was retransmitted gives an RTT sample from the echoed
	// timestamp; RFC 6298 5.7 sets the RTO to 3 s instead.
	TCPRttTsopt bool `cite:"tcp_rtt_tsopt_us"`
	// TCPTimeWait: TIME-WAIT is a mini-socket the application no longer
	// holds; abort (SO_LINGER 0) leaves it in place, where RFC 9293's
	// ABORT in TIME-WAIT deletes the TCB.
	TCPTimeWait bool `cite:"tcp_time_wait"`
	// TCPResetCheck: in CLOSE-WAIT, LAST-ACK and CLOSING a RST at
	// RCV.NXT-1 resets; RFC 9293 drops it (outside the window).
	TCPResetCheck bool `cite:"tcp_reset_check"`

	// RFC9293OpenInListen: an active OPEN on a listening socket turns it
	// active (3.10.1); Linux's connect() on a listener fails.
	RFC9293OpenInListen bool `cite:"RFC 9293 3.10.1"`
	// RFC9293ReceiveClosing: RECEIVE in CLOSING, LAST-ACK and TIME-WAIT
	// returns "error: connection closing" (3.10.3); Linux reads end of
	// stream.
	RFC9293ReceiveClosing bool `cite:"RFC 9293 3.10.3"`
	// RFC9293CloseClosing: CLOSE after the FIN was queued returns "error:
	// connection closing" (3.10.4); Linux's close() succeeds.
	RFC9293CloseClosing bool `cite:"RFC 9293 3.10.4"`
}

// linuxBehaviours and rfcBehaviours are the profiles' rules.
func linuxBehaviours() Behaviours {
	return Behaviours{
		TCPEventDataRecv:          true,
		TCPFin:                    true,
		TCPSelectInitialWindow:    true,
		TCPSendActiveReset:        true,
		TCPRcvStateProcessListen:  true,
		TCPRcvSynsentStateProcess: true,
		TCPTimewaitStateProcess:   true,
		TCPCheckReq:               true,
		TCPValidateIncoming:       true,
		TCPSetRTO:                 true,
		TCPXmitProbeSkb:           true,
		TCPSendFin:                true,
		TCPScheduleLossProbe:      true,
		TCPReset:                  true,
		TCPClose:                  true,
		InetCskListenStop:         true,
		TCPRttTsopt:               true,
		TCPTimeWait:               true,
		TCPResetCheck:             true,
	}
}

func rfcBehaviours() Behaviours {
	return Behaviours{
		RFC9293OpenInListen:   true,
		RFC9293ReceiveClosing: true,
		RFC9293CloseClosing:   true,
	}
}

// BehaviourRule is one of the Behaviours as documentation shows it.
type BehaviourRule struct {
	Name  string // the field name
	Cite  string // the kernel function or RFC clause
	Linux bool   // on in the linux profile
	RFC   bool   // on in the rfc profile
}

// BehaviourRules lists every behaviour with its value in each profile, in
// the order of the struct.
func BehaviourRules() []BehaviourRule {
	l, r := reflect.ValueOf(linuxBehaviours()), reflect.ValueOf(rfcBehaviours())
	t := l.Type()
	rules := make([]BehaviourRule, t.NumField())
	for i := range rules {
		f := t.Field(i)
		rules[i] = BehaviourRule{Name: f.Name, Cite: f.Tag.Get("cite"), Linux: l.Field(i).Bool(), RFC: r.Field(i).Bool()}
	}
	return rules
}
