package engine

// Scripts for every transition of RFC 9293 section 3.10, run for both
// profiles. Each script plays the peer by hand; where the profiles differ,
// the numbers come from prof.

import (
	"strconv"
	"testing"
)

// prof is what a script needs to know about a profile: the numbers where
// Linux and the RFC differ.
type prof struct {
	name string
	// synWin is the window of our SYN and of a SYN,ACK to a SYN that offered
	// only an MSS: Linux rounds 65535 down to a multiple of the MSS.
	synWin string
	// synOpts are the options of our SYN.
	synOpts string
	// win is the window of our segments after the handshake.
	win string
	// twoMSL is TIME-WAIT's length in ms.
	twoMSL int64
	// rst is the flags of the RST a connection sends on close or abort:
	// Linux sends RST,ACK, RFC 9293 <SEQ=SND.NXT><CTL=RST>.
	rst string
	// ackDelay is how long the ACK of a FIN waits (0: at once) once data
	// has arrived; noDataAckDelay, on a connection that carried none (Linux:
	// the next timer tick, since its ato is still 0).
	ackDelay       int64
	noDataAckDelay int64
	// finTimeout ends an orphaned FIN-WAIT-2 (0: never).
	finTimeout int64
	// rtoAfter100 is the RTO after one 100 ms RTT sample.
	rtoAfter100 int64
}

var linuxProf = prof{
	name:           ProfileLinux,
	synWin:         "win 64240",
	synOpts:        "<mss 1460,sackOK,TS val * ecr 0,nop,wscale 10>",
	win:            "win 64240",
	twoMSL:         60_000,
	rst:            "R.",
	ackDelay:       40,
	noDataAckDelay: 4,
	finTimeout:     60_000,
	rtoAfter100:    300, // 100 + max(4*50, 200)
}

var rfcProf = prof{
	name:        ProfileRFC,
	synWin:      "win 65535",
	synOpts:     "<mss 1460>",
	win:         "win 65535",
	twoMSL:      240_000,
	rst:         "R",
	ackDelay:    0,
	finTimeout:  0,
	rtoAfter100: 1000, // max(100 + 4*50, 1 s)
}

var bothProfs = []prof{linuxProf, rfcProf}

// scriptCase is one script, run once per profile it lists.
type scriptCase struct {
	name     string
	endpoint string
	profs    []prof
	opts     []scriptOption
	run      func(sc *script, p prof)
}

func runScripts(t *testing.T, cases []scriptCase) {
	for _, c := range cases {
		profs := c.profs
		if profs == nil {
			profs = bothProfs
		}
		for _, p := range profs {
			t.Run(c.name+"/"+p.name, func(t *testing.T) {
				sc := newScript(t, c.endpoint, p.name, c.opts...)
				c.run(sc, p)
				sc.expectNothing()
			})
		}
	}
}

// activeOpen takes the client to ESTABLISHED: SYN at 0, SYN,ACK at 100 (an
// RTT sample of 100 ms), our ACK at 100.
func activeOpen(sc *script, p prof) {
	sc.t.Helper()
	sc.ok(0, CallConnect)
	sc.expect(0, "S 1000:1000(0) "+p.synWin+" "+p.synOpts)
	sc.recv(100, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
	sc.expect(100, ". 1001:1001(0) ack 5001 "+p.win+" <>")
	sc.expectState(Established)
}

// passiveOpen takes the server to ESTABLISHED: SYN at 0, our SYN,ACK, the
// final ACK at 100.
func passiveOpen(sc *script, p prof) {
	sc.t.Helper()
	sc.ok(0, CallListen)
	sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
	sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin+" <mss 1460>")
	sc.recv(100, ". 1001:1001(0) ack 5001 win 65535")
	sc.expectState(Established)
}

// closeToTimeWait takes an established client through the four-segment
// close to TIME-WAIT at 400.
func closeToTimeWait(sc *script, p prof) {
	sc.t.Helper()
	activeOpen(sc, p)
	sc.ok(200, CallClose)
	sc.expect(200, "F. 1001:1001(0) ack 5001")
	sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
	sc.recv(400, "F. 5001:5001(0) ack 1002 win 65535")
	sc.expect(400, ". 1002:1002(0) ack 5002")
	sc.expectState(TimeWait)
}

func TestScriptOpen(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "passive LISTEN>SYN-RECEIVED>ESTABLISHED", endpoint: Server, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.expectState(Listen)
			sc.expectNoDeadline()
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin+" <mss 1460>")
			sc.expectState(SynReceived)
			sc.expectTimer("retransmit", 1000)
			sc.recv(100, ". 1001:1001(0) ack 5001 win 65535")
			sc.expectState(Established)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->LISTEN()", "LISTEN->SYN-RECEIVED(passive-open)",
				"SYN-RECEIVED->ESTABLISHED(handshake-complete)")
			c := sc.conn()
			if c.SndUna != 5001 || c.SndNxt != 5001 || c.RcvNxt != 1001 || c.IRS != 1000 || c.ISS != 5000 || c.SndWnd != 65535 {
				sc.t.Errorf("TCB after the handshake: %+v", c.snapshot())
			}
		}},
		{name: "active CLOSED>SYN-SENT>ESTABLISHED", endpoint: Client, run: func(sc *script, p prof) {
			sc.expectState(Closed)
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin+" "+p.synOpts)
			sc.expectState(SynSent)
			sc.expectTimer("retransmit", 1000)
			sc.recv(100, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(100, ". 1001:1001(0) ack 5001 "+p.win+" <>")
			sc.expectState(Established)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->SYN-SENT(active-open)", "SYN-SENT->ESTABLISHED(syn-ack-received)")
		}},
		{name: "data on a SYN,ACK", endpoint: Client, run: func(sc *script, p prof) {
			if p.name == ProfileRFC {
			}
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin)
			sc.recv(100, `S. 5000:5005(5) ack 1001 win 65535 <mss 1460> "early"`)
			if p.name == ProfileRFC {
				sc.expect(100, ". 1001:1001(0) ack 5006")
				if r := sc.call(150, CallReceive); r.data != "early" {
					sc.t.Errorf("receive = %+v, want the SYN's data", r)
				}
				return
			}
			// Linux (without Fast Open) ACKs the SYN only and frees the
			// segment after its URG check (tcp_rcv_state_process, "Do step6
			// onward by hand"): the peer sends the data again.
			sc.expect(100, ". 1001:1001(0) ack 5001")
			if r := sc.call(150, CallReceive); r.data != "" {
				sc.t.Errorf("receive = %+v, want nothing", r)
			}
		}},
		{name: "simultaneous SYN-SENT>SYN-RECEIVED>ESTABLISHED", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin)
			sc.recv(50, "S 5000:5000(0) win 65535 <mss 1460>")
			sc.expect(50, "S. 1000:1000(0) ack 5001 "+p.synWin+" <mss 1460>")
			sc.expectState(SynReceived)
			sc.expectTimer("retransmit", 1050)
			// The peer's SYN,ACK (Figure 8 of RFC 9293, line 6).
			sc.recv(100, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(100, ". 1001:1001(0) ack 5001")
			sc.expectState(Established)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->SYN-SENT(active-open)", "SYN-SENT->SYN-RECEIVED(simultaneous-open)",
				"SYN-RECEIVED->ESTABLISHED(handshake-complete)")
		}},
		{name: "simultaneous SYN-SENT>SYN-RECEIVED>ESTABLISHED", endpoint: Client, profs: []prof{rfcProf}, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin)
			sc.recv(50, "S 5000:5000(0) win 65535 <mss 1460>")
			sc.expect(50, "S. 1000:1000(0) ack 5001 "+p.synWin+" <mss 1460>")
			sc.expectState(SynReceived)
			// RFC 9293's text (not its Figure 8) finds the peer's SYN,ACK
			// outside the window (SEG.SEQ = RCV.NXT-1): it is answered with
			// an ACK and dropped. That ACK completes the peer's handshake,
			// and the peer's next segment completes ours.
			sc.recv(100, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(100, ". 1001:1001(0) ack 5001")
			sc.expectState(SynReceived)
			sc.recv(150, ". 5001:5001(0) ack 1001 win 65535")
			sc.expectState(Established)
			sc.expectNoDeadline()
		}},
		{name: "connection refused: RST,ACK in SYN-SENT", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin)
			// A RST whose ACK is unacceptable, and one without ACK, are
			// dropped (3.10.7.3, first and second checks).
			sc.recv(10, "R. 0:0(0) ack 1000")
			sc.recv(20, "R 0:0(0)")
			sc.expectState(SynSent)
			sc.recv(30, "R. 0:0(0) ack 1001")
			sc.expectState(Closed)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->SYN-SENT(active-open)", "SYN-SENT->CLOSED(connection-refused)")
			// The application learns why once (defect 4 of issue 9).
			want := errRefused
			if p.name == ProfileRFC {
				want = errReset
			}
			sc.callErr(40, CallSend, want)
			sc.callErr(40, CallSend, errNoConnection)
			// The socket can connect again.
			sc.ok(50, CallConnect)
			sc.expect(50, "S 1000:1000(0) "+p.synWin)
		}},
		{name: "bad ACK in SYN-SENT gets RST <SEQ=SEG.ACK>", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin)
			sc.recv(10, "S. 5000:5000(0) ack 3000 win 65535")
			sc.expect(10, "R 3000:3000(0) win 0 <>")
			sc.recv(20, ". 5000:5000(0) ack 1000 win 65535") // SEG.ACK = ISS
			sc.expect(20, "R 1000:1000(0) win 0 <>")
			sc.recv(30, "R. 5000:5000(0) ack 3000") // a RST is never answered
			sc.recv(40, "F 5000:5000(0)")           // neither SYN nor RST: dropped
			sc.expectState(SynSent)
			sc.expectTimer("retransmit", 1000)
		}},
		{name: "RST in SYN-RECEIVED returns to LISTEN", endpoint: Server, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
			sc.recv(100, "R 1001:1001(0)")
			sc.expectState(Listen)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->LISTEN()", "LISTEN->SYN-RECEIVED(passive-open)",
				"SYN-RECEIVED->LISTEN(rst-in-syn-received)")
			if sc.h.listener == nil || len(sc.h.conns) != 0 {
				sc.t.Fatalf("listener %v, %d connections", sc.h.listener, len(sc.h.conns))
			}
			// The listener takes the next SYN.
			sc.recv(200, "S 2000:2000(0) win 65535 <mss 1460>")
			sc.expect(200, "S. 5000:5000(0) ack 2001 "+p.synWin)
			sc.expectState(SynReceived)
		}},
		{name: "bad ACK in SYN-RECEIVED gets RST", endpoint: Server, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
			sc.recv(100, ". 1001:1001(0) ack 9999 win 65535")
			sc.expect(100, "R 9999:9999(0) win 0 <>")
			sc.expectState(SynReceived)
		}},
		{name: "ACK in LISTEN gets RST", endpoint: Server, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(10, ". 1000:1000(0) ack 7777 win 65535")
			sc.expect(10, "R 7777:7777(0) win 0 <>")
			sc.recv(20, "R 1000:1000(0)")       // a RST in LISTEN is ignored
			sc.recv(30, "F 1000:1000(0)")       // so is anything without SYN
			sc.recv(40, `P 1000:1003(3) "abc"`) // or ACK
			sc.expectState(Listen)
			sc.expectNoDeadline()
		}},
		{name: "segment to a closed port gets RST", endpoint: Server, run: func(sc *script, p prof) {
			// Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "R. 0:0(0) ack 1001 win 0 <>")
			sc.recv(10, `P 1000:1005(5) "hello"`)
			sc.expect(10, "R. 0:0(0) ack 1005 win 0 <>")
			sc.recv(20, "SF 1000:1000(0)")
			sc.expect(20, "R. 0:0(0) ack 1002 win 0 <>")
			// With ACK: <SEQ=SEG.ACK><CTL=RST>.
			sc.recv(30, ". 1000:1000(0) ack 7777 win 65535")
			sc.expect(30, "R 7777:7777(0) win 0 <>")
			sc.recv(40, `P. 1000:1005(5) ack 8888 "hello"`)
			sc.expect(40, "R 8888:8888(0) win 0 <>")
			// A RST is never answered.
			sc.recv(50, "R 1000:1000(0)")
			sc.recv(60, "R. 1000:1000(0) ack 7777")
			sc.expectState(Closed)
			// A listening host answers the same for another port.
			sc.ok(70, CallListen)
			sc.recvTo(80, 81, "S 1000:1000(0) win 65535")
			sc.expect(80, "R. 0:0(0) ack 1001 win 0 <>")
			sc.expectState(Listen)
		}},
	})
}

func TestScriptClose(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "ESTABLISHED>FIN-WAIT-1>FIN-WAIT-2>TIME-WAIT>CLOSED", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001 "+p.win)
			sc.expectState(FinWait1)
			sc.expectTimer("retransmit", 200+p.rtoAfter100)
			sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
			sc.expectState(FinWait2)
			sc.expectNoTimer("retransmit")
			if p.finTimeout > 0 {
				sc.expectTimer("fin-wait-2", 300+p.finTimeout)
			} else {
				sc.expectNoDeadline()
			}
			sc.recv(400, "F. 5001:5001(0) ack 1002 win 65535")
			sc.expect(400, ". 1002:1002(0) ack 5002 "+p.win)
			sc.expectState(TimeWait)
			sc.expectNoTimer("fin-wait-2")
			sc.expectDeadline(400 + p.twoMSL)
			sc.quiet(400 + p.twoMSL - 1)
			sc.expectState(TimeWait)
			sc.advance(400 + p.twoMSL)
			sc.expectState(Closed)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->SYN-SENT(active-open)", "SYN-SENT->ESTABLISHED(syn-ack-received)",
				"ESTABLISHED->FIN-WAIT-1()", "FIN-WAIT-1->FIN-WAIT-2(fin-acked)",
				"FIN-WAIT-2->TIME-WAIT(fin-received)", "TIME-WAIT->CLOSED(time-wait)")
			if len(sc.h.conns) != 0 {
				sc.t.Errorf("%d connections left after TIME-WAIT", len(sc.h.conns))
			}
		}},
		{name: "ESTABLISHED>CLOSE-WAIT>LAST-ACK>CLOSED", endpoint: Server, run: func(sc *script, p prof) {
			passiveOpen(sc, p)
			sc.recv(200, "F. 1001:1001(0) ack 5001 win 65535")
			sc.expectState(CloseWait)
			if p.noDataAckDelay > 0 {
				// Linux: the ACK of a FIN waits for the application's own
				// FIN (pingpong mode); with no data yet, one timer tick.
				sc.expectTimer("delayed-ack", 200+p.noDataAckDelay)
				sc.quiet(200 + p.noDataAckDelay - 1)
			}
			sc.expect(200+p.noDataAckDelay, ". 5001:5001(0) ack 1002 "+p.win)
			if r := sc.call(300, CallReceive); r.result != "eof" {
				sc.t.Errorf("receive after FIN = %+v, want eof", r)
			}
			sc.ok(300, CallClose)
			sc.expect(300, "F. 5001:5001(0) ack 1002")
			sc.expectState(LastAck)
			sc.expectTimer("retransmit", 300+p.rtoAfter100)
			sc.recv(400, ". 1002:1002(0) ack 5002 win 65535")
			sc.expectState(Closed)
			sc.expectNoDeadline()
			sc.expectTransitions("CLOSED->LISTEN()", "LISTEN->SYN-RECEIVED(passive-open)",
				"SYN-RECEIVED->ESTABLISHED(handshake-complete)", "ESTABLISHED->CLOSE-WAIT(fin-received)",
				"CLOSE-WAIT->LAST-ACK()", "LAST-ACK->CLOSED(fin-acked)")
		}},
		{name: "ACK of FIN merged into FIN,ACK", endpoint: Server, run: func(sc *script, p prof) {
			passiveOpen(sc, p)
			// Data first: quick-ACK mode ACKs it at once and sets the
			// delayed-ACK timeout to 40 ms.
			sc.recv(150, "P. 1001:1004(3) ack 5001 win 65535")
			sc.expect(150, ". 5001:5001(0) ack 1004")
			sc.recv(200, "F. 1004:1004(0) ack 5001 win 65535")
			if p.ackDelay == 0 {
				sc.expect(200, ". 5001:5001(0) ack 1005")
			} else {
				sc.expectTimer("delayed-ack", 200+p.ackDelay)
			}
			sc.ok(220, CallReceive)
			sc.ok(220, CallClose) // within the 40 ms
			sc.expect(220, "F. 5001:5001(0) ack 1005")
			sc.expectNoTimer("delayed-ack")
		}},
		{name: "FIN-WAIT-1>CLOSING>TIME-WAIT", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			// The peer's FIN crosses ours: it does not acknowledge it.
			sc.recv(210, "F. 5001:5001(0) ack 1001 win 65535")
			sc.expect(210, ". 1002:1002(0) ack 5002")
			sc.expectState(Closing)
			sc.expectTimer("retransmit", 200+p.rtoAfter100)
			sc.recv(220, ". 5002:5002(0) ack 1002 win 65535")
			sc.expectState(TimeWait)
			sc.expectNoTimer("retransmit")
			sc.expectDeadline(220 + p.twoMSL)
			sc.expectTransitions("CLOSED->SYN-SENT(active-open)", "SYN-SENT->ESTABLISHED(syn-ack-received)",
				"ESTABLISHED->FIN-WAIT-1()", "FIN-WAIT-1->CLOSING(simultaneous-close)",
				"CLOSING->TIME-WAIT(fin-acked)")
		}},
		{name: "FIN-WAIT-1>TIME-WAIT on FIN,ACK", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(210, "F. 5001:5001(0) ack 1002 win 65535")
			sc.expect(210, ". 1002:1002(0) ack 5002")
			sc.expectState(TimeWait)
			sc.expectDeadline(210 + p.twoMSL)
			// One segment, two steps of 3.10.7.4: the ACK check takes
			// FIN-WAIT-1 to FIN-WAIT-2, the FIN check FIN-WAIT-2 to
			// TIME-WAIT; both happen at 210 ms.
			sc.expectTransitions("CLOSED->SYN-SENT(active-open)", "SYN-SENT->ESTABLISHED(syn-ack-received)",
				"ESTABLISHED->FIN-WAIT-1()", "FIN-WAIT-1->FIN-WAIT-2(fin-acked)",
				"FIN-WAIT-2->TIME-WAIT(fin-received)")
		}},
		{name: "retransmitted FIN in TIME-WAIT is ACKed and restarts 2MSL", endpoint: Client, run: func(sc *script, p prof) {
			closeToTimeWait(sc, p)
			sc.expectDeadline(400 + p.twoMSL)
			sc.recv(10_000, "F. 5001:5001(0) ack 1002 win 65535")
			sc.expect(10_000, ". 1002:1002(0) ack 5002")
			sc.expectTimer("time-wait", 10_000+p.twoMSL)
			sc.quiet(10_000 + p.twoMSL - 1)
			sc.expectState(TimeWait)
			sc.advance(10_000 + p.twoMSL)
			sc.expectState(Closed)
		}},
		{name: "RST in TIME-WAIT closes", endpoint: Client, run: func(sc *script, p prof) {
			closeToTimeWait(sc, p)
			sc.recv(1000, "R 5002:5002(0)")
			sc.expectState(Closed)
			sc.expectNoDeadline()
			if ev, _ := sc.lastState(); ev.Reason != "rst-in-time-wait" {
				sc.t.Errorf("reason %q", ev.Reason)
			}
		}},
		{name: "RST in TIME-WAIT ignored with rfc1337", endpoint: Client,
			opts: []scriptOption{withOpts(func(o *Options) { o.RFC1337 = boolp(true) })},
			run: func(sc *script, p prof) {
				closeToTimeWait(sc, p)
				sc.recv(1000, "R 5002:5002(0)")
				sc.expectState(TimeWait)
				sc.expectDeadline(400 + p.twoMSL)
				if ev := sc.sim.events[len(sc.sim.events)-1]; ev.Kind != KindNote || ev.Reason != "rst-ignored-rfc1337" {
					sc.t.Errorf("last event %+v, want the rfc1337 note", ev)
				}
				sc.advance(400 + p.twoMSL)
				sc.expectState(Closed)
			}},
		{name: "close with unread data sends RST", endpoint: Server, run: func(sc *script, p prof) {
			passiveOpen(sc, p)
			sc.recv(200, `P. 1001:1006(5) ack 5001 win 65535 "hello"`)
			sc.expect(200, ". 5001:5001(0) ack 1006") // quick ACK; the RFC ACKs at once
			sc.ok(300, CallClose)
			ackField := ""
			if p.rst == "R." {
				ackField = " ack 1006"
			}
			sc.expect(300, p.rst+" 5001:5001(0)"+ackField)
			sc.expectState(Closed)
			sc.expectNoDeadline()
			if ev, _ := sc.lastState(); ev.Reason != "close-with-unread-data" {
				sc.t.Errorf("reason %q", ev.Reason)
			}
		}},
		{name: "abort sends RST", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallAbort)
			ackField := ""
			if p.rst == "R." {
				ackField = " ack 5001"
			}
			sc.expect(200, p.rst+" 1001:1001(0)"+ackField)
			sc.expectState(Closed)
			sc.expectNoDeadline()
			sc.callErr(300, CallSend, errNoConnection)
		}},
		{name: "abort in SYN-SENT sends nothing", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0) "+p.synWin)
			sc.ok(10, CallAbort)
			sc.expectState(Closed)
			sc.expectNoDeadline()
		}},
		{name: "shutdown half-closes and still receives", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallShutdown)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
			sc.expectState(FinWait2)
			sc.expectNoDeadline() // not orphaned: no FIN-WAIT-2 timeout
			sc.recv(400, `P. 5001:5006(5) ack 1002 win 65535 "later"`)
			sc.expect(400, ". 1002:1002(0) ack 5006")
			if r := sc.call(500, CallReceive); r.data != "later" {
				sc.t.Errorf("receive = %+v", r)
			}
		}},
	})
}

func TestScriptSynchronizedChecks(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "RST validation (RFC 5961 3.2)", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			// Out of the window: ignored, never answered.
			sc.recv(200, "R 900000:900000(0)")
			sc.recv(210, "R 4000:4000(0)")
			sc.expectState(Established)
			// In the window but not RCV.NXT: a challenge ACK.
			sc.recv(220, "R 5100:5100(0)")
			sc.expect(220, ". 1001:1001(0) ack 5001")
			// Challenge ACKs are rate-limited: one per 500 ms.
			sc.recv(230, "R. 5002:5002(0) ack 1001")
			sc.expectNothing()
			sc.recv(719, "R. 5002:5002(0) ack 1001")
			sc.expectNothing()
			sc.recv(720, "R. 5002:5002(0) ack 1001")
			sc.expect(720, ". 1001:1001(0) ack 5001")
			sc.expectState(Established)
			// Exactly RCV.NXT: reset.
			sc.recv(740, "R 5001:5001(0)")
			sc.expectState(Closed)
			sc.expectNoDeadline()
			if ev, _ := sc.lastState(); ev.Reason != "connection-reset" {
				sc.t.Errorf("reason %q", ev.Reason)
			}
		}},
		{name: "RST without challenge ACKs resets anywhere in the window", endpoint: Client,
			opts: []scriptOption{withOpts(func(o *Options) { o.ChallengeAck = boolp(false) })},
			run: func(sc *script, p prof) {
				activeOpen(sc, p)
				sc.recv(200, "R 5100:5100(0)")
				sc.expectState(Closed)
			}},
		{name: "SYN in ESTABLISHED gets a challenge ACK (RFC 5961 4)", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.recv(200, "S 5001:5001(0) win 65535") // in the window
			sc.expect(200, ". 1001:1001(0) ack 5001")
			// Within 500 ms of that challenge ACK, no other (RFC 5961 7).
			sc.recv(210, "S 9000000:9000000(0) win 65535") // out of it
			sc.expectNothing()
			sc.recv(800, "S 9000000:9000000(0) win 65535")
			sc.expect(800, ". 1001:1001(0) ack 5001")
			sc.recv(1400, "S 5000:5000(0) win 65535") // the old SYN again
			sc.expect(1400, ". 1001:1001(0) ack 5001")
			sc.expectState(Established)
		}},
		{name: "SYN in the window resets without challenge ACKs (RFC 793)", endpoint: Client,
			opts: []scriptOption{withOpts(func(o *Options) { o.ChallengeAck = boolp(false) })},
			run: func(sc *script, p prof) {
				activeOpen(sc, p)
				sc.recv(200, "S 5001:5001(0) win 65535")
				sc.expect(200, "R 1001:1001(0)")
				sc.expectState(Closed)
			}},
		{name: "out-of-window data gets an ACK and is dropped", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.recv(200, `P. 900000:900005(5) ack 1001 win 65535 "stale"`)
			sc.expect(200, ". 1001:1001(0) ack 5001")
			sc.recv(210, `P. 4990:4995(5) ack 1001 win 65535 "stale"`) // wholly old
			sc.expect(210, ". 1001:1001(0) ack 5001")
			if sc.conn().RcvNxt != 5001 {
				sc.t.Errorf("RCV.NXT moved to %d", sc.conn().RcvNxt)
			}
			if r := sc.call(300, CallReceive); r.data != "" || r.result != "ok" {
				sc.t.Errorf("receive = %+v, want nothing", r)
			}
		}},
		{name: "ACK of unsent data gets an ACK", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.recv(200, ". 5001:5001(0) ack 9000 win 65535")
			sc.expect(200, ". 1001:1001(0) ack 5001")
			sc.expectState(Established)
			if sc.conn().SndUna != 1001 {
				sc.t.Errorf("SND.UNA moved to %d", sc.conn().SndUna)
			}
		}},
		{name: "data in order is delivered and ACKed", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.recv(200, `P. 5001:5006(5) ack 1001 win 65535 "hello"`)
			sc.expect(200, ". 1001:1001(0) ack 5006")
			sc.ok(250, CallSend, "world")
			sc.expect(250, `P. 1001:1006(5) ack 5006 "world"`)
			sc.recv(300, ". 5006:5006(0) ack 1006 win 65535")
			if r := sc.call(310, CallReceive); r.data != "hello" {
				sc.t.Errorf("receive = %+v", r)
			}
			sc.expectNoDeadline()
		}},
	})
}

func TestScriptCallErrors(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "no connection", endpoint: Client, run: func(sc *script, p prof) {
			for _, call := range []string{CallSend, CallReceive, CallShutdown, CallClose, CallAbort} {
				sc.callErr(0, call, errNoConnection)
			}
		}},
		{name: "connection already exists", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0)")
			sc.callErr(10, CallConnect, errExists)
			sc.callErr(10, CallListen, errExists)
		}},
		{name: "LISTEN: remote socket unspecified", endpoint: Server, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.callErr(10, CallListen, errExists)
			sc.callErr(10, CallSend, errRemoteUnspecified)
			sc.callErr(10, CallShutdown, errNoConnection)
		}},
		{name: "connection closing", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallShutdown)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.callErr(210, CallSend, errClosing)
			sc.callErr(210, CallShutdown, errClosing)
			sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
			sc.callErr(310, CallSend, errClosing)
			sc.recv(400, "F. 5001:5001(0) ack 1002 win 65535")
			sc.expect(400, ". 1002:1002(0) ack 5002")
			sc.expectState(TimeWait)
			sc.callErr(410, CallSend, errClosing)
			if p.name == ProfileRFC {
				// RFC 9293 RECEIVE and CLOSE in TIME-WAIT.
				sc.callErr(420, CallReceive, errClosing)
				sc.callErr(420, CallClose, errClosing)
			} else {
				// Linux reads end of stream; close() of a socket whose
				// connection lingers in TIME-WAIT succeeds.
				if r := sc.call(420, CallReceive); r.result != "eof" {
					sc.t.Errorf("receive in TIME-WAIT = %+v, want eof", r)
				}
				sc.ok(420, CallClose)
			}
		}},
		{name: "close in FIN-WAIT-1", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallShutdown)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			if p.name == ProfileRFC {
				sc.callErr(210, CallClose, errClosing)
			} else {
				sc.ok(210, CallClose) // close() after shutdown() orphans the socket
			}
		}},
		{name: "send in CLOSE-WAIT is allowed", endpoint: Server, run: func(sc *script, p prof) {
			passiveOpen(sc, p)
			sc.recv(200, "F. 1001:1001(0) ack 5001 win 65535")
			if p.noDataAckDelay == 0 {
				sc.expect(200, ". 5001:5001(0) ack 1002")
			} else {
				sc.expect(200+p.noDataAckDelay, ". 5001:5001(0) ack 1002")
			}
			sc.ok(210, CallSend, "bye")
			sc.expect(210, `P. 5001:5004(3) ack 1002 "bye"`)
		}},
		{name: "OPEN on a listening socket", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			if p.name == ProfileRFC {
				// RFC 9293: OPEN in LISTEN with a foreign socket turns the
				// connection active.
				sc.ok(10, CallConnect)
				sc.expect(10, "S 1000:1000(0)")
				sc.expectState(SynSent)
			} else {
				sc.callErr(10, CallConnect, errExists)
			}
		}},
		{name: "queued SEND in SYN-SENT goes after the handshake", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0)")
			sc.ok(10, CallSend, "early")
			sc.expectNothing()
			sc.recv(100, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(100, `P. 1001:1006(5) ack 5001 "early"`)
		}},
	})
}

func TestScriptDelayedAck(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "quick ACKs then 40 ms", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			// min(16, rcv_wnd / (2*MSS)) = 16 segments are ACKed at once.
			seq := uint32(5001)
			at := int64(200)
			for range 16 {
				sc.recv(at, segText(". ", seq, 10, 1001))
				sc.expect(at, ". 1001:1001(0) ack "+itoa(seq+10))
				seq += 10
				at += 10
			}
			sc.recv(at, segText(". ", seq, 10, 1001))
			sc.expectTimer("delayed-ack", at+40)
			sc.quiet(at + 39)
			sc.expect(at+40, ". 1001:1001(0) ack "+itoa(seq+10))
			sc.expectNoTimer("delayed-ack")
		}},
		{name: "a delayed ACK rides on data", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.recv(200, `P. 5001:5006(5) ack 1001 win 65535 "hello"`)
			sc.expect(200, ". 1001:1001(0) ack 5006")
			sc.conn().quickAcks = 0 // past the quick-ACK start
			sc.recv(300, `P. 5006:5011(5) ack 1001 win 65535 "again"`)
			sc.expectTimer("delayed-ack", 340)
			sc.ok(320, CallSend, "reply")
			sc.expect(320, `P. 1001:1006(5) ack 5011 "reply"`)
			sc.expectNoTimer("delayed-ack")
		}},
		{name: "every segment ACKed at once", endpoint: Client, profs: []prof{rfcProf}, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			seq := uint32(5001)
			for i := range int64(20) {
				sc.recv(200+i, segText(". ", seq, 10, 1001))
				sc.expect(200+i, ". 1001:1001(0) ack "+itoa(seq+10))
				seq += 10
			}
			sc.expectNoDeadline()
		}},
	})
}

// segText writes a data segment spec of n bytes.
func segText(flags string, seq, n, ack uint32) string {
	return flags + itoa(seq) + ":" + itoa(seq+n) + "(" + itoa(n) + ") ack " + itoa(ack) + " win 65535"
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
