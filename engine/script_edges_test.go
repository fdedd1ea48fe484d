package engine

// Scripts for the edges where a first version of the engine departed from
// what its profile stands for (the RFC's text for "rfc", the Linux source
// for "linux"): data after close, SYN-RECEIVED and TIME-WAIT on Linux, zero
// windows, the RTO after a SYN timeout.

import "testing"

func TestScriptLinuxDataAfterClose(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "FIN-WAIT-1", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(250, `P. 5001:5006(5) ack 1001 win 65535 "late!"`)
			sc.expect(250, "R 1001:1001(0)")
			sc.expectState(Closed)
		}},
		{name: "FIN-WAIT-2", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
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

func TestScriptLinuxSynReceived(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "SYN,FIN in LISTEN", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(10, "SF 1000:1000(0) win 65535 <mss 1460>")
			sc.expectNothing()
			sc.expectState(Listen)
		}},
		{name: "RST in window but not RCV.NXT", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
			sc.recv(100, "R 1100:1100(0)")
			sc.expectState(Listen)
		}},
		{name: "new SYN in the window", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
			sc.recv(100, "S 1100:1100(0) win 65535 <mss 1460>")
			sc.expect(100, "R. 0:0(0) ack 1101")
			sc.expectState(Listen)
		}},
		{name: "retransmitted SYNs do not use up synack_retries", endpoint: Server, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
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

func TestScriptLinuxTimeWait(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "RST in window but not RCV.NXT", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			closeToTimeWait(sc, p)
			sc.recv(1000, "R 5100:5100(0)")
			sc.expectNothing()
			sc.expectState(TimeWait)
		}},
		{name: "bare ACK restarts 2MSL", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			closeToTimeWait(sc, p)
			sc.recv(1000, ". 5002:5002(0) ack 1002 win 65535")
			sc.expectNothing()
			sc.expectTimer("time-wait", 1000+p.twoMSL)
		}},
	})
}

// TestScriptRFCReceiveInCloseWait pins a choice: RFC 9293 3.10.3 answers a
// RECEIVE in CLOSE-WAIT with nothing left "error: connection closing", but
// the project's contract says receive at end of stream reports EOF, which
// is also what every sockets API does (read returns 0). The contract wins.
func TestScriptRFCReceiveInCloseWait(t *testing.T) {
	runScripts(t, []scriptCase{{name: "RECEIVE with nothing left", endpoint: Server, profs: []prof{rfcProf}, run: func(sc *script, p prof) {
		passiveOpen(sc, p)
		sc.recv(200, "F. 1001:1001(0) ack 5001 win 65535")
		sc.expect(200, ". 5001:5001(0) ack 1002")
		if r := sc.call(300, CallReceive); r.result != "eof" {
			sc.t.Errorf("receive = %+v, want eof", r)
		}
	}}})
}

func TestScriptZeroWindow(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "probe a zero window", endpoint: Client, run: func(sc *script, p prof) {
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
