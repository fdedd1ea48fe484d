package engine

// Scripts for every timer: each is checked one millisecond before its
// deadline (nothing happens) and at it (it fires).

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// synSchedule is when a profile retransmits a SYN or SYN,ACK sent at 0, and
// when it gives up.
type synSchedule struct {
	prof    prof
	retrans []int64
	giveUp  int64
}

func TestScriptSynRetransmission(t *testing.T) {
	for _, c := range []synSchedule{
		// Linux: tcp_syn_linear_timeouts=4 keeps the 1 s RTO for four
		// timeouts, then backs off; tcp_syn_retries=6 counts only the
		// exponential retransmissions, so there are 6+4. ip-sysctl.rst:
		// "67seconds (with tcp_syn_linear_timeouts = 4) till the last
		// retransmission ... the final timeout for an active TCP connection
		// attempt will happen after 131seconds". testdata/linux/syn-timeout
		// (a capture) shows the same ten retransmissions.
		{linuxProf, []int64{1000, 2000, 3000, 4000, 5000, 7000, 11_000, 19_000, 35_000, 67_000}, 131_000},
		// RFC 6298: 1, 2, 4, ... s, capped at 60 s; 7 retries, so the SYN
		// is retried for 3 minutes (RFC 9293 3.8.3, R2 for a SYN).
		{rfcProf, []int64{1000, 3000, 7000, 15_000, 31_000, 63_000, 123_000}, 183_000},
	} {
		t.Run(c.prof.name, func(t *testing.T) {
			sc := newScript(t, Client, c.prof.name)
			sc.ok(0, CallConnect)
			syn := "S 1000:1000(0) " + c.prof.synWin + " " + c.prof.synOpts
			sc.expect(0, syn)
			for _, at := range c.retrans {
				sc.expectDeadline(at)
				sc.quiet(at - 1)
				if ev := sc.expect(at, syn); !ev.Retransmit {
					t.Errorf("SYN at %dms not marked as a retransmission", at)
				}
				sc.expectState(SynSent)
			}
			sc.expectDeadline(c.giveUp)
			sc.quiet(c.giveUp - 1)
			sc.expectState(SynSent)
			sc.advance(c.giveUp)
			sc.expectNothing()
			sc.expectState(Closed)
			sc.expectNoDeadline()
			if ev, _ := sc.lastState(); ev.Reason != "retries-exhausted" || ev.Cause != "timer" {
				t.Errorf("closed by %s/%s", ev.Cause, ev.Reason)
			}
		})
	}
}

func TestScriptSynAckRetransmission(t *testing.T) {
	for _, c := range []synSchedule{
		// Linux: tcp_synack_retries=5, exponential from 1 s (no linear
		// timeouts on the passive side).
		{linuxProf, []int64{1000, 3000, 7000, 15_000, 31_000}, 63_000},
		{rfcProf, []int64{1000, 3000, 7000, 15_000, 31_000, 63_000, 123_000}, 183_000},
	} {
		t.Run(c.prof.name, func(t *testing.T) {
			sc := newScript(t, Server, c.prof.name)
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			synAck := "S. 5000:5000(0) ack 1001 " + c.prof.synWin + " <mss 1460>"
			sc.expect(0, synAck)
			for _, at := range c.retrans {
				sc.expectDeadline(at)
				sc.quiet(at - 1)
				sc.expect(at, synAck)
			}
			sc.expectDeadline(c.giveUp)
			sc.quiet(c.giveUp - 1)
			sc.expectState(SynReceived)
			sc.advance(c.giveUp)
			sc.expectState(Listen)
			sc.expectNoDeadline()
			if sc.h.listener == nil || sc.h.listener.children != 0 {
				t.Fatalf("the listener's SYN queue was not emptied")
			}
		})
	}
}

// TestScriptRetransmittedSynInSynReceived is Linux's answer to a SYN sent
// again: the SYN,ACK was lost, so it goes again at once (tcp_check_req,
// "pure retransmitted SYN"). The RFC's text finds the SYN outside the
// window and answers with a bare ACK.
func TestScriptRetransmittedSynInSynReceived(t *testing.T) {
	runScripts(t, []scriptCase{{name: "dup SYN", endpoint: Server, run: func(sc *script, p prof) {
		sc.ok(0, CallListen)
		sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
		sc.expect(0, "S. 5000:5000(0) ack 1001 "+p.synWin)
		sc.recv(500, "S 1000:1000(0) win 65535 <mss 1460>")
		if p.name == ProfileLinux {
			sc.expect(500, "S. 5000:5000(0) ack 1001 "+p.synWin)
		} else {
			sc.expect(500, ". 5001:5001(0) ack 1001")
		}
		sc.expectState(SynReceived)
		sc.recv(600, ". 1001:1001(0) ack 5001 win 65535")
		sc.expectState(Established)
	}}})
}

// rtoCase is an RTT sample and the RTO it must give.
type rtoCase struct {
	prof    prof
	rttMs   int64
	wantRTO int64
}

// TestScriptRTOFromFirstSample checks RFC 6298 2.2 (SRTT=R, RTTVAR=R/2,
// RTO=SRTT+max(G,4*RTTVAR)) with each profile's floor: the RFC's 1 s on the
// whole RTO, Linux's 200 ms on the variance term.
func TestScriptRTOFromFirstSample(t *testing.T) {
	for _, c := range []rtoCase{
		{linuxProf, 20, 220},   // 20 + max(40, 200)
		{linuxProf, 100, 300},  // 100 + max(200, 200)
		{linuxProf, 500, 1500}, // 500 + 1000
		{rfcProf, 20, 1000},    // max(20+40, 1000)
		{rfcProf, 100, 1000},   // max(100+200, 1000)
		{rfcProf, 500, 1500},   // 500 + 1000
	} {
		t.Run(fmt.Sprintf("%s/rtt=%dms", c.prof.name, c.rttMs), func(t *testing.T) {
			sc := newScript(t, Client, c.prof.name)
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0)")
			sc.recv(c.rttMs, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(c.rttMs, ". 1001:1001(0) ack 5001")
			conn := sc.conn()
			if conn.srtt != msDur(c.rttMs) || conn.rttvar != msDur(c.rttMs)/2 || conn.rto != msDur(c.wantRTO) {
				t.Fatalf("SRTT %v RTTVAR %v RTO %v, want %dms %v %dms", conn.srtt, conn.rttvar, conn.rto,
					c.rttMs, msDur(c.rttMs)/2, c.wantRTO)
			}
			// The data's retransmission timer runs for exactly that RTO,
			// then backs off (RFC 6298 5.5).
			sc.ok(1000, CallSend, "hello")
			sc.expect(1000, `P. 1001:1006(5) ack 5001 "hello"`)
			sc.expectDeadline(1000 + c.wantRTO)
			sc.quiet(1000 + c.wantRTO - 1)
			if ev := sc.expect(1000+c.wantRTO, `P. 1001:1006(5) ack 5001 "hello"`); !ev.Retransmit {
				t.Error("retransmission not marked")
			}
			sc.expectDeadline(1000 + 3*c.wantRTO)
		})
	}
}

// TestScriptRTOSecondSample checks RFC 6298 2.3: RTTVAR is updated with the
// old SRTT, then SRTT. R=400 then R'=800 gives RTTVAR=3/4*200+1/4*400=250,
// SRTT=7/8*400+1/8*800=450, RTO=450+4*250=1450 under both profiles.
func TestScriptRTOSecondSample(t *testing.T) {
	runScripts(t, []scriptCase{{name: "400 then 800", endpoint: Client, run: func(sc *script, p prof) {
		sc.ok(0, CallConnect)
		sc.expect(0, "S 1000:1000(0)")
		sc.recv(400, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
		sc.expect(400, ". 1001:1001(0) ack 5001")
		sc.ok(1000, CallSend, "hello")
		sc.expect(1000, `P. 1001:1006(5) ack 5001 "hello"`)
		sc.recv(1800, ". 5001:5001(0) ack 1006 win 65535")
		c := sc.conn()
		if c.srtt != 450*time.Millisecond || c.rttvar != 250*time.Millisecond || c.rto != 1450*time.Millisecond {
			sc.t.Fatalf("SRTT %v RTTVAR %v RTO %v, want 450ms 250ms 1.45s", c.srtt, c.rttvar, c.rto)
		}
		if ev := sc.sim.events[len(sc.sim.events)-1]; ev.TCB != nil && ev.TCB.RTOMs != 1450 {
			sc.t.Errorf("the TCB snapshot says RTO %dms", ev.TCB.RTOMs)
		}
		sc.ok(2000, CallSend, "again")
		sc.expect(2000, `P. 1006:1011(5) ack 5001 "again"`)
		sc.expectDeadline(3450)
	}}})
}

// TestScriptKarn checks Karn's algorithm: the ACK of a retransmitted segment
// gives no RTT sample, and the backed-off RTO stays until a segment sent
// once is acknowledged.
func TestScriptKarn(t *testing.T) {
	runScripts(t, []scriptCase{{name: "no sample from a retransmission", endpoint: Client, run: func(sc *script, p prof) {
		activeOpen(sc, p) // one 100 ms sample
		rto := p.rtoAfter100
		sc.ok(1000, CallSend, "hello")
		sc.expect(1000, `P. 1001:1006(5) ack 5001 "hello"`)
		sc.quiet(1000 + rto - 1)
		sc.expect(1000+rto, `P. 1001:1006(5) ack 5001 "hello"`)
		// The ACK comes 10 ms after the retransmission: a sample would
		// give R = rto+10 ms, or 10 ms.
		sc.recv(1000+rto+10, ". 5001:5001(0) ack 1006 win 65535")
		c := sc.conn()
		if c.srtt != 100*time.Millisecond || c.rttvar != 50*time.Millisecond {
			sc.t.Fatalf("SRTT %v RTTVAR %v changed by the ACK of a retransmission", c.srtt, c.rttvar)
		}
		if c.rto != msDur(2*rto) {
			sc.t.Fatalf("RTO %v, want the backed-off %dms", c.rto, 2*rto)
		}
		sc.expectNoDeadline()
		// The next segment waits the backed-off RTO; its ACK is a sample.
		sc.ok(10_000, CallSend, "again")
		sc.expect(10_000, `P. 1006:1011(5) ack 5001 "again"`)
		sc.expectDeadline(10_000 + 2*rto)
		sc.recv(10_100, ". 5001:5001(0) ack 1011 win 65535")
		if c.rto != msDur(rto) {
			sc.t.Fatalf("RTO %v after a 100 ms sample, want %dms", c.rto, rto)
		}
	}}})
}

// TestScriptDataRetransmission follows a segment nobody acknowledges:
// exponential backoff capped at the profile's maximum, and giving up after
// Retries2 retransmissions.
func TestScriptDataRetransmission(t *testing.T) {
	for _, c := range []struct {
		prof    prof
		retries int
		rtoMax  int64
	}{{linuxProf, 15, 120_000}, {rfcProf, 6, 60_000}} {
		t.Run(c.prof.name, func(t *testing.T) {
			sc := newScript(t, Client, c.prof.name)
			activeOpen(sc, c.prof)
			sc.ok(1000, CallSend, "hello")
			data := `P. 1001:1006(5) ack 5001 "hello"`
			sc.expect(1000, data)
			at, rto := int64(1000), c.prof.rtoAfter100
			for range c.retries {
				at += rto
				sc.expectDeadline(at)
				sc.quiet(at - 1)
				sc.expect(at, data)
				rto = min(2*rto, c.rtoMax)
			}
			at += rto
			sc.expectDeadline(at)
			sc.quiet(at - 1)
			sc.expectState(Established)
			sc.advance(at)
			sc.expectState(Closed)
			if ev, _ := sc.lastState(); ev.Reason != "retries-exhausted" {
				t.Errorf("reason %q", ev.Reason)
			}
		})
	}
}

// TestScriptRTOAfterSynTimeout is RFC 6298 5.7: when a SYN timed out and no
// RTT sample was taken, data starts with an RTO of 3 s.
func TestScriptRTOAfterSynTimeout(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "SYN retransmitted once", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0)")
			sc.expect(1000, "S 1000:1000(0)")
			sc.recv(1500, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(1500, ". 1001:1001(0) ack 5001")
			if c := sc.conn(); c.hasRTT || c.rto != 3*time.Second {
				sc.t.Fatalf("RTO %v (sampled %t), want 3s and no sample (Karn)", c.rto, c.hasRTT)
			}
			sc.ok(2000, CallSend, "hello")
			sc.expect(2000, `P. 1001:1006(5) ack 5001 "hello"`)
			sc.expectDeadline(5000)
			sc.quiet(4999)
			sc.expect(5000, `P. 1001:1006(5) ack 5001 "hello"`)
		}},
		{name: "SYN,ACK retransmitted once", endpoint: Server, run: func(sc *script, p prof) {
			sc.ok(0, CallListen)
			sc.recv(0, "S 1000:1000(0) win 65535 <mss 1460>")
			sc.expect(0, "S. 5000:5000(0) ack 1001")
			sc.expect(1000, "S. 5000:5000(0) ack 1001")
			sc.recv(1500, ". 1001:1001(0) ack 5001 win 65535")
			sc.expectState(Established)
			if c := sc.conn(); c.rto != 3*time.Second {
				sc.t.Fatalf("RTO %v, want 3s", c.rto)
			}
		}},
		{name: "backed off past 3 s", endpoint: Client, run: func(sc *script, p prof) {
			sc.ok(0, CallConnect)
			sc.expect(0, "S 1000:1000(0)")
			last := int64(3000) // rfc: 1 s, 3 s; RTO now 4 s
			if p.name == ProfileLinux {
				last = 7000 // 1, 2, 3, 4, 5, 7 s; RTO now 4 s
			}
			for sc.now < msDur(last) {
				d, _ := sc.h.nextDeadline()
				sc.expect(int64(d/time.Millisecond), "S 1000:1000(0)")
			}
			sc.recv(last+500, "S. 5000:5000(0) ack 1001 win 65535 <mss 1460>")
			sc.expect(last+500, ". 1001:1001(0) ack 5001")
			if c := sc.conn(); c.rto != 3*time.Second {
				sc.t.Fatalf("RTO %v after the handshake, want 3s", c.rto)
			}
		}},
	})
}

func TestScriptFinRetransmission(t *testing.T) {
	runScripts(t, []scriptCase{{name: "FIN", endpoint: Client, run: func(sc *script, p prof) {
		activeOpen(sc, p)
		sc.ok(200, CallClose)
		fin := "F. 1001:1001(0) ack 5001"
		sc.expect(200, fin)
		rto := p.rtoAfter100
		sc.expectDeadline(200 + rto)
		sc.quiet(200 + rto - 1)
		if ev := sc.expect(200+rto, fin); !ev.Retransmit {
			sc.t.Error("FIN retransmission not marked")
		}
		sc.expectDeadline(200 + 3*rto)
		sc.quiet(200 + 3*rto - 1)
		sc.expect(200+3*rto, fin)
		sc.recv(200+3*rto+50, ". 5001:5001(0) ack 1002 win 65535")
		sc.expectState(FinWait2)
		sc.expectNoTimer("retransmit")
	}}})
}

func TestScriptFinWait2Timeout(t *testing.T) {
	runScripts(t, []scriptCase{
		{name: "orphan", endpoint: Client, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallClose)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
			sc.expectState(FinWait2)
			if p.finTimeout == 0 {
				// RFC 9293 has no such timer: FIN-WAIT-2 waits for the FIN.
				sc.expectNoDeadline()
				sc.advance(1_000_000)
				sc.expectState(FinWait2)
				return
			}
			sc.expectDeadline(300 + p.finTimeout)
			sc.quiet(300 + p.finTimeout - 1)
			sc.expectState(FinWait2)
			sc.advance(300 + p.finTimeout)
			sc.expectState(Closed)
			if ev, _ := sc.lastState(); ev.Reason != "fin-wait-2" || ev.Cause != "timer" {
				sc.t.Errorf("closed by %s/%s", ev.Cause, ev.Reason)
			}
			// The peer's late FIN finds no connection.
			sc.recv(70_000, "F. 5001:5001(0) ack 1002 win 65535")
			sc.expect(70_000, "R 1002:1002(0) win 0 <>")
		}},
		{name: "close after shutdown in FIN-WAIT-2", endpoint: Client, profs: []prof{linuxProf}, run: func(sc *script, p prof) {
			activeOpen(sc, p)
			sc.ok(200, CallShutdown)
			sc.expect(200, "F. 1001:1001(0) ack 5001")
			sc.recv(300, ". 5001:5001(0) ack 1002 win 65535")
			sc.expectNoDeadline() // the application still holds the socket
			sc.ok(1000, CallClose)
			sc.expectDeadline(1000 + p.finTimeout)
			sc.quiet(1000 + p.finTimeout - 1)
			sc.advance(1000 + p.finTimeout)
			sc.expectState(Closed)
		}},
	})
}

// TestScriptTimerEvents checks the whole timer history of a connection's
// life: every set, cancel and fire is an event, with its deadline. (The
// harness also checks after every step that the events account for every
// running timer.)
func TestScriptTimerEvents(t *testing.T) {
	want := map[string][]string{
		ProfileLinux: {
			"0 set retransmit 1000", "100 cancel retransmit 1000",
			"200 set retransmit 500", "300 cancel retransmit 500",
			"300 set fin-wait-2 60300", "400 cancel fin-wait-2 60300",
			"400 set time-wait 60400", "60400 fire time-wait 60400",
		},
		ProfileRFC: {
			"0 set retransmit 1000", "100 cancel retransmit 1000",
			"200 set retransmit 1200", "300 cancel retransmit 1200",
			"400 set time-wait 240400", "240400 fire time-wait 240400",
		},
	}
	runScripts(t, []scriptCase{{name: "lifecycle", endpoint: Client, run: func(sc *script, p prof) {
		closeToTimeWait(sc, p)
		sc.advance(400 + p.twoMSL)
		sc.expectState(Closed)
		if got := sc.timerLog(); !slices.Equal(got, want[p.name]) {
			sc.t.Errorf("timer events:\n got %q\nwant %q", got, want[p.name])
		}
	}}})
}
