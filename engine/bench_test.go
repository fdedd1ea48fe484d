package engine

import "testing"

// lifecycle is a whole connection as the issue names it: the handshake, a
// few bytes, the four-segment close and TIME-WAIT's expiry.
func lifecycle() *Scenario {
	return &Scenario{
		ID:      "lifecycle",
		Seed:    1,
		Network: Network{OneWayDelayMs: 10},
		Steps: []Step{
			{AtMs: 0, Endpoint: Server, Call: CallListen},
			{AtMs: 0, Endpoint: Client, Call: CallConnect},
			{AtMs: 100, Endpoint: Client, Call: CallSend, Data: "hello"},
			{AtMs: 200, Endpoint: Server, Call: CallReceive},
			{AtMs: 300, Endpoint: Client, Call: CallClose},
			{AtMs: 500, Endpoint: Server, Call: CallClose},
		},
	}
}

// BenchmarkLifecycle measures full connection lifecycles per second; the
// target is 100,000 a second on one core.
func BenchmarkLifecycle(b *testing.B) {
	sc := lifecycle()
	b.ReportAllocs()
	for b.Loop() {
		tr, err := Run(sc)
		if err != nil {
			b.Fatal(err)
		}
		if last := tr.Events[len(tr.Events)-1]; last.To != TimeWait.String() && last.To != Closed.String() {
			b.Fatalf("run ended in %+v", last)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lifecycles/s")
}
