package engine

// Scripts where the engine departs from what its profile stands for: the
// RFC's text for "rfc", the Linux source for "linux". Each is skipped with
// the reasoning unless -bugs is given; once the engine is fixed, the skip
// goes and the script stays.

import "testing"

func TestScriptBugLinuxDataAfterClose(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "FIN-WAIT-1", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux tcp_rcv_state_process step 7: in FIN-WAIT-1/2 with RCV_SHUTDOWN (close(), "+
				"not shutdown(SHUT_WR)) new data aborts: tcp_reset + return, and tcp_v4_do_rcv sends a RST "+
				"<SEQ=SEG.ACK> (RFC 1122 4.2.2.13: \"if new data is received after CLOSE is called, its TCP "+
				"SHOULD send a RST\"); the engine queues the data of an orphaned socket and ACKs it")
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(250, `P. 5001:5006(5) ack 1001 win 65535 "late!"`)
			sc.expect(250, "R 1001:1001(0)")
			sc.expectState(Closed)
		}},
		{name: "FIN-WAIT-2", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux: data for an orphaned socket whose FIN is acknowledged aborts it "+
				"(tcp_rcv_state_process, TCP_FIN_WAIT1 ACK case, \"Receive out of order FIN after close()\" "+
				"and step 7) with a RST <SEQ=SEG.ACK>; the engine queues it")
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
			sc.expectState(FinWait2)
			sc.recv(400, `P. 5001:5006(5) ack 1002 win 65535 "late!"`)
			sc.expect(400, "R 1002:1002(0)")
			sc.expectState(Closed)
		}},
	})
}

func TestScriptBugLinuxSynReceived(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "SYN,FIN in LISTEN", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux tcp_rcv_state_process, TCP_LISTEN: \"if (th->syn) { if (th->fin) goto discard;\" - "+
				"a SYN,FIN is dropped without a reply; listenArrives answers it with a SYN,ACK")
			sc.ok(0, CallListen)
			sc.recv(10, "SF 1000:1000(0) win 65535 <mss 1460>")
			sc.expectNothing()
			sc.expectState(Listen)
		}},
		{name: "RST in window but not RCV.NXT", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux tcp_check_req: any RST that passes tcp_in_window goes to embryonic_reset "+
				"and drops the request silently (no RFC 5961 challenge ACK for request sockets); "+
				"the engine sends a challenge ACK and stays in SYN-RECEIVED")
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
			sc.recv(100, "R 1100:1100(0)")
			sc.expectState(Listen)
		}},
		{name: "new SYN in the window", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux tcp_check_req: a SYN in the window that is not the retransmitted one "+
				"(seq != rcv_isn) goes to embryonic_reset, which sends a RST for it "+
				"(<SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>) and drops the request; the engine returns to "+
				"LISTEN silently (RFC 9293's rule, right for the rfc profile)")
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
			sc.recv(100, "S 1100:1100(0) win 65535 <mss 1460>")
			sc.expect(100, "R. 0:0(0) ack 1101")
			sc.expectState(Listen)
		}},
		{name: "retransmitted SYNs do not use up synack_retries", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux counts SYN,ACKs sent for retransmitted SYNs in req->num_retrans, but "+
				"reqsk_timer_handler gives up on req->num_timeout >= tcp_synack_retries (syn_ack_recalc); "+
				"synRetransmitted increments c.retries, the timer's count, so six duplicate SYNs make the "+
				"next timeout drop the connection")
			synAck := "S. 5000:5000(0) ack 1001 " + p.synWin
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, synAck)
			// Six duplicates, 600 ms apart (beyond Linux's 500 ms rate limit
			// for out-of-window replies), each re-arming the 1 s timer.
			for i := range int64(6) {
				at := 600 * (i + 1)
				sc.recv(at, "S 1000:1000(0) win 65535 <mss 1460>")
				sc.expect(at, synAck)
			}
			// The first timeout: num_timeout is 0, so Linux sends again.
			sc.expect(4600, synAck)
			sc.expectState(SynReceived)
		}},
	})
}

func TestScriptBugLinuxTimeWait(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "RST in window but not RCV.NXT", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux tcp_timewait_state_process: only a RST at tw_rcv_nxt kills TIME-WAIT; any "+
				"other RST falls to the out-of-window path, which answers everything but a RST "+
				"(\"if (!th->rst) ... return TCP_TW_ACK\") and drops it silently; the engine sends a "+
				"challenge ACK")
			closeToTimeWait(sc, p)
			sc.recv(1000, "R 5100:5100(0)")
			sc.expectNothing()
			sc.expectState(TimeWait)
		}},
		{name: "bare ACK restarts 2MSL", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			knownBug(sc.t, "Linux tcp_timewait_state_process: an in-window bare ACK (seq == tw_rcv_nxt) "+
				"reschedules the TIME-WAIT timer (inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN)); the engine "+
				"leaves it")
			closeToTimeWait(sc, p)
			sc.recv(1000, ". 5002:5002(0) ack 1002 win 65535")
			sc.expectNothing()
			sc.expectTimer("time-wait", 1000+p.twoMSL)
		}},
	})
}

func TestScriptBugRFCReceiveInCloseWait(t *testing.T) {
	runScripts(t, []scriptCase{{name: "RECEIVE with nothing left", endpoint: Server, profs: []prof{rfcProf}, run: func(sc *script, p prof) {
		knownBug(sc.t, "RFC 9293 3.10.3 RECEIVE, CLOSE-WAIT: \"If no text is awaiting delivery, the RECEIVE "+
			"will get an 'error: connection closing' response\"; the rfc profile answers \"eof\" (it does "+
			"use the RFC's text in CLOSING, LAST-ACK and TIME-WAIT)")
		passiveOpen(sc, p)
		sc.recv(200, "F. 1001:1001(0) ack 5001 win 65535")
		sc.expect(200, ". 5001:5001(0) ack 1002")
		sc.callErr(300, CallReceive, errClosing)
	}}})
}

func TestScriptBugZeroWindow(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "probe a zero window", endpoint: Client, run: func(sc *script, p prof) {
			knownBug(sc.t, "RFC 9293 3.8.6.1: \"Probing of zero (offered) windows MUST be supported (MUST-36)\"; "+
				"the first probe SHOULD go after an RTO (SHLD-29), then back off (SHLD-30). Linux arms ICSK_TIME_PROBE0 "+
				"(tcp_check_probe_timer) and sends tcp_xmit_probe_skb, <SEQ=SND.UNA-1><CTL=ACK>. The engine has no "+
				"persist timer: with data queued behind a zero window nothing runs, and a lost window update stalls "+
				"the connection for ever")
			activeOpen(sc, p) // RTO = p.rtoAfter100
			sc.recv(150, ". 5001:5001(0) ack 1001 win 0")
			sc.ok(200, CallSend, "hello")
			sc.expectNothing()
			sc.expectDeadline(200 + p.rtoAfter100)
			sc.quiet(200 + p.rtoAfter100 - 1)
			if p.name == ProfileLinux {
				sc.expect(200+p.rtoAfter100, ". 1000:1000(0) ack 5001")
			} else {
				sc.expect(200+p.rtoAfter100, `P. 1001:1002(1) ack 5001 "h"`)
			}
		}},
		{name: "ACK on data at a zero receive window", endpoint: Client,
			opts: []scriptOption{withOpts(func(o *Options) { o.RcvBuf = i64(10) })},
			run: func(sc *script, p prof) {
				knownBug(sc.t, "RFC 9293 3.10.7.4: \"If the RCV.WND is zero, no segments will be acceptable, but "+
					"special allowance should be made to accept valid ACKs, URGs, and RSTs\"; Linux's tcp_sequence "+
					"accepts seq == RCV.NXT at a zero window, tcp_ack processes the ACK and tcp_data_queue drops the "+
					"data. The engine drops the whole segment, so the ACK of our data is lost and the data is "+
					"retransmitted for nothing")
				sc.ok(0, CallConnect)
				sc.expect(0, "S 1000:1000(0)")
				sc.recv(100, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
				sc.expect(100, ". 1001:1001(0) ack 5001 win 10")
				sc.recv(200, ". 5001:5011(10) ack 1001 win 65535") // fills the window
				sc.expect(200, ". 1001:1001(0) ack 5011 win 0")
				sc.ok(300, CallSend, "hello")
				sc.expect(300, `P. 1001:1006(5) ack 5011 "hello"`)
				sc.recv(350, ". 5011:5016(5) ack 1006 win 65535") // data it cannot take, and an ACK it can
				sc.expect(350, ". 1006:1006(0) ack 5011 win 0")
				if c := sc.conn(); c.SndUna != 1006 {
					sc.t.Fatalf("SND.UNA %d, want 1006: the ACK was not processed", c.SndUna)
				}
				sc.expectNoTimer("retransmit")
			}},
	})
}
