package engine

// Property tests: random valid scenarios, from a fixed seed, must run to
// their end without a panic, within the limits, and give traces that keep
// every promise checkTrace checks.

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomScenarios is how many scenarios TestRandomScenarios runs (fewer with
// -short).
const randomScenarios = 400

// randomCount overrides randomScenarios, for a longer search.
var randomCount = flag.Int("random", randomScenarios, "random scenarios for TestRandomScenarios")

// randomScenario builds a valid scenario: a few socket calls at random times
// on either side, random options, and sometimes drops, injected segments
// and a small SYN flood.
func randomScenario(r *rand.Rand, n int) *Scenario {
	sc := &Scenario{
		ID:      fmt.Sprintf("random-%d", n),
		Seed:    r.Uint64(),
		Profile: []string{"", ProfileLinux, ProfileRFC}[r.IntN(3)],
		Network: Network{OneWayDelayMs: []float64{0, 0.5, 1, 10, 40, 250}[r.IntN(6)]},
		UntilMs: []int64{0, 1000, 5000, 60_000, 400_000}[r.IntN(5)],
	}
	o := &sc.Options
	pick := func(p int) bool { return r.IntN(100) < p }
	if pick(30) {
		o.DelayedAckMs = i64(1 + r.Int64N(500))
	}
	if pick(30) {
		o.MSLMs = i64(1 + r.Int64N(5000))
	}
	if pick(20) {
		o.MTU = i64(68 + r.Int64N(9000))
	}
	if pick(20) {
		o.RcvBuf = i64(1 + r.Int64N(100_000))
	}
	if pick(20) {
		o.RTOInitialMs = i64(1 + r.Int64N(3000))
	}
	if pick(20) {
		o.RTOMinMs = i64(1 + r.Int64N(500))
	}
	if pick(20) {
		o.RTOMaxMs = i64(1000 + r.Int64N(60_000)) // never below a profile's RTO floor
	}
	if pick(20) {
		o.SynRetries = i64(r.Int64N(8))
	}
	if pick(20) {
		o.SynAckRetries = i64(r.Int64N(8))
	}
	if pick(20) {
		o.Retries2 = i64(r.Int64N(8))
	}
	if pick(10) {
		o.SynLinearTimeouts = i64(r.Int64N(6))
	}
	if pick(20) {
		o.FinTimeoutMs = i64(r.Int64N(5000))
	}
	if pick(15) {
		o.Backlog = i64(r.Int64N(5))
	}
	for _, b := range []**bool{&o.RFC1337, &o.Timestamps, &o.SACK, &o.WindowScaling, &o.ChallengeAck, &o.DelayedAck} {
		if pick(20) {
			*b = boolp(pick(50))
		}
	}
	// The usual start, most of the time; anything may follow.
	if pick(80) {
		sc.Steps = append(sc.Steps, Step{AtMs: 0, Endpoint: Server, Call: CallListen})
		sc.Steps = append(sc.Steps, Step{AtMs: r.Int64N(50), Endpoint: Client, Call: CallConnect})
	}
	endpoints := []string{Client, Server}
	for range r.IntN(15) {
		st := Step{AtMs: r.Int64N(3000), Endpoint: endpoints[r.IntN(2)], Call: validCalls[r.IntN(len(validCalls))]}
		if st.Call == CallSend {
			st.Data = strings.Repeat("ab", 1+r.IntN(1500))
		}
		sc.Steps = append(sc.Steps, st)
	}
	flagSets := [][]string{{"SYN"}, {"ACK"}, {"SYN", "ACK"}, {"FIN", "ACK"}, {"RST"}, {"RST", "ACK"}, {"ACK", "PSH"}, {"FIN"}, {"none"}}
	for range r.IntN(4) {
		switch r.IntN(4) {
		case 0, 1:
			sc.Faults = append(sc.Faults, Fault{Drop: &Drop{
				From: endpoints[r.IntN(2)], Flags: flagSets[r.IntN(len(flagSets))], Nth: 1 + r.IntN(4),
			}})
		case 2:
			in := &Inject{AtMs: r.Int64N(3000), From: endpoints[r.IntN(2)], Flags: flagSets[r.IntN(len(flagSets))]}
			switch r.IntN(3) {
			case 0:
				in.RelSeq = i64(r.Int64N(20_000) - 10_000)
			case 1:
				v := r.Uint32()
				in.Seq = &v
			}
			if pick(50) {
				in.RelAck = i64(r.Int64N(4000) - 2000)
			}
			if pick(30) {
				w := uint16(r.IntN(65536))
				in.Window = &w
			}
			if pick(30) {
				in.Data = strings.Repeat("x", 1+r.IntN(100))
			}
			sc.Faults = append(sc.Faults, Fault{Inject: in})
		case 3:
			sc.Faults = append(sc.Faults, Fault{Flood: &Flood{AtMs: r.Int64N(1000), Count: 1 + r.IntN(20), IntervalMs: r.Int64N(50)}})
		}
	}
	return sc
}

func TestRandomScenarios(t *testing.T) {
	n := *randomCount
	if testing.Short() {
		n = 50
	}
	r := rand.New(rand.NewPCG(20251124, 1))
	tooMany := 0
	for i := range n {
		sc := randomScenario(r, i)
		if err := sc.Validate(); err != nil {
			t.Fatalf("scenario %d is invalid: %v\n%s", i, err, scenarioJSON(sc))
		}
		tr, err := runNoPanic(sc)
		if err != nil {
			if !errTooMany(err) {
				t.Fatalf("scenario %d: %v\n%s", i, err, scenarioJSON(sc))
			}
			tooMany++
			continue
		}
		checkTrace(t, sc, tr)
		if t.Failed() {
			t.Fatalf("scenario %d:\n%s", i, scenarioJSON(sc))
		}
	}
	t.Logf("%d scenarios, %d stopped at MaxEvents", n, tooMany)
	// A run may hit MaxEvents (an ACK war between two confused ends can),
	// but it must be rare among ordinary scenarios.
	if tooMany > n/20 {
		t.Errorf("%d of %d random scenarios exceeded MaxEvents", tooMany, n)
	}
}

// runNoPanic runs a scenario and turns a panic into an error that shows it.
func runNoPanic(sc *Scenario) (tr *Trace, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return Run(sc)
}

func scenarioJSON(sc *Scenario) string {
	b, _ := json.MarshalIndent(sc, "", "  ")
	return string(b)
}

// TestRandomScenariosDeterministic runs a few random scenarios twice.
func TestRandomScenariosDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 30 {
		sc := randomScenario(r, i)
		a, errA := runNoPanic(sc)
		b, errB := runNoPanic(sc)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("scenario %d: errors %v and %v", i, errA, errB)
		}
		if errA != nil {
			continue
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("scenario %d: two runs differ:\n%s", i, firstDiff(string(ja), string(jb)))
		}
	}
}

// TestRunLimits pushes each limit to its bound: the run must end, with at
// most MaxEvents events or ErrBudget.
func TestRunLimits(t *testing.T) {
	big := &Scenario{ID: "limits", Seed: 3, UntilMs: MaxUntil, Network: Network{OneWayDelayMs: MaxOneWayDelayMs}}
	for i := range MaxSteps {
		call := []string{CallListen, CallConnect, CallSend, CallReceive, CallClose, CallAbort}[i%6]
		st := Step{AtMs: int64(i) * 3, Endpoint: []string{Client, Server}[i%2], Call: call}
		if call == CallSend {
			st.Data = "z"
		}
		big.Steps = append(big.Steps, st)
	}
	flood := &Scenario{ID: "flood", Seed: 4, UntilMs: MaxUntil,
		Steps:  []Step{{AtMs: 0, Endpoint: Server, Call: CallListen}},
		Faults: []Fault{{Flood: &Flood{AtMs: 0, Count: 1000, IntervalMs: 0}}, {Flood: &Flood{AtMs: 1, Count: 1000, IntervalMs: 60_000}}},
	}
	for _, sc := range []*Scenario{big, flood} {
		t.Run(sc.ID, func(t *testing.T) {
			if err := sc.Validate(); err != nil {
				t.Fatal(err)
			}
			tr, err := runNoPanic(sc)
			if err != nil {
				if !errTooMany(err) {
					t.Fatal(err)
				}
				return
			}
			checkTrace(t, sc, tr)
		})
	}
}

// TestBugAckStorm desynchronizes a connection: an injected byte the client
// never sent is accepted by the server, whose ACK now acknowledges data the
// client has not sent; the client answers it with an ACK (3.10.7.4, ACK of
// something not yet sent), which the server finds below its window and
// answers with an ACK, and so on. The RFC 5961 rate limit (one such ACK per
// 500 ms per connection, as Linux's tcp_invalid_ratelimit) ends the storm.
func TestNoAckStorm(t *testing.T) {
	for _, delay := range []float64{0, 10} {
		sc := &Scenario{
			ID: "ack-storm", Seed: 1, Profile: ProfileLinux, Network: Network{OneWayDelayMs: delay},
			Steps: []Step{
				{AtMs: 0, Endpoint: Server, Call: CallListen},
				{AtMs: 0, Endpoint: Client, Call: CallConnect},
			},
			Faults: []Fault{{Inject: &Inject{AtMs: 100, From: Client, Flags: []string{"ACK", "PSH"},
				RelSeq: i64(1), RelAck: i64(1), Data: "x"}}},
			UntilMs: 5000,
		}
		tr, err := runNoPanic(sc)
		if err != nil {
			t.Errorf("delay %vms: Run: %v", delay, err)
			continue
		}
		segs := 0
		for _, ev := range tr.Events {
			if ev.Kind == KindSegment && ev.T >= Millis(msDur(100)) && ev.T < Millis(msDur(1100)) {
				segs++
			}
		}
		if segs > 10 {
			t.Errorf("delay %vms: %d segments in the second after the injection", delay, segs)
		}
	}
}
