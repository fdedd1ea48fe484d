package engine

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// hostileScenarios are valid scenarios that cost the most a scenario can,
// each in its own way. The audit of issue 11 measured the first three
// before the budget: flood-backlog held 15 MiB, late-floods allocated
// 168 MiB at load and held 31 MiB.
func hostileScenarios() map[string]string {
	late := make([]string, MaxFaults)
	for i := range late {
		late[i] = `{"flood":{"at_ms":3600000,"count":1000,"interval_ms":60000}}`
	}
	floods := make([]string, MaxFaults)
	for i := range floods {
		floods[i] = fmt.Sprintf(`{"flood":{"at_ms":%d,"count":1000,"interval_ms":0}}`, i)
	}
	return map[string]string{
		// A flood against a large backlog whose half-open connections
		// retransmit their SYN,ACKs many times: every step looks at a
		// thousand connections.
		"flood-backlog": `{"seed":1,"options":{"backlog":1000,"synack_retries":20},` +
			`"steps":[{"at_ms":0,"endpoint":"server","call":"listen"}],` +
			`"faults":[{"flood":{"at_ms":0,"count":1000,"interval_ms":0}}],"until_ms":3600000}`,
		// A thousand floods due after until_ms.
		"late-floods": `{"seed":1,"steps":[{"at_ms":0,"endpoint":"server","call":"listen"}],` +
			`"faults":[` + strings.Join(late, ",") + `],"until_ms":1000}`,
		// A million SYNs against no listener: cheap steps, many events.
		"syn-storm": `{"seed":1,"steps":[],"faults":[` + strings.Join(floods, ",") + `],"until_ms":3600000}`,
		// All the data a scenario may have, retransmitted until retries2
		// gives up.
		"big-send": `{"seed":1,"options":{"retries2":20},"steps":[` +
			`{"at_ms":0,"endpoint":"server","call":"listen"},{"at_ms":0,"endpoint":"client","call":"connect"},` +
			`{"at_ms":100,"endpoint":"client","call":"send","data":"` + strings.Repeat("x", MaxDataBytes) + `"}],` +
			`"faults":[{"drop":{"from":"server","flags":["ACK"],"nth":2}},{"drop":{"from":"server","flags":["ACK"],"nth":3}}],"until_ms":3600000}`,
	}
}

// heapHeld runs f and reports the live heap its result holds, after a
// collection, and the time f took.
func heapHeld(f func() any) (held int64, took time.Duration) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	v := f()
	took = time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc), took
}

// TestBudgetBoundsHostileScenarios runs each hostile scenario to its end or
// its budget and checks what the run holds, against the heap the Go runtime
// measures.
func TestBudgetBoundsHostileScenarios(t *testing.T) {
	for name, doc := range hostileScenarios() {
		t.Run(name, func(t *testing.T) {
			sc, err := DecodeScenario([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			var sim *Sim
			var runErr error
			held, took := heapHeld(func() any {
				sim, err = NewSim(sc)
				if err != nil {
					t.Fatal(err)
				}
				runErr = sim.RunToEnd()
				return sim
			})
			work, account := sim.Spent()
			t.Logf("%d events, work %d, held %d KiB (account %d KiB), %v, stopped: %v",
				len(sim.Events()), work, held>>10, account>>10, took, runErr)
			if held > 2<<20 {
				t.Errorf("the run holds %d KiB, more than 2 MiB", held>>10)
			}
			// One step can pass the budget by what it makes, and by the
			// growth of the event slice (a quarter of it, past 256).
			if account > MaxHeldBytes+MaxHeldBytes/8 {
				t.Errorf("the account says %d KiB, past the budget by more than a step", account>>10)
			}
			if work > MaxWork+stepWork+2000 {
				t.Errorf("work %d, past the budget by more than a step", work)
			}
			if runErr != nil && !errors.Is(runErr, ErrBudget) {
				t.Errorf("stopped by %v, not the budget", runErr)
			}
		})
	}
}

// BenchmarkBudgetWorst measures the hostile scenarios' runs: their time is
// the CPU time one run may take, the target 50 ms.
func BenchmarkBudgetWorst(b *testing.B) {
	for name, doc := range hostileScenarios() {
		b.Run(name, func(b *testing.B) {
			sc, err := DecodeScenario([]byte(doc))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var sim *Sim
			for b.Loop() {
				sim, _ = NewSim(sc)
				_ = sim.RunToEnd()
			}
			_, held := sim.Spent()
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
			b.ReportMetric(float64(held>>10), "KiB-held")
			b.ReportMetric(float64(len(sim.Events())), "events")
		})
	}
}
