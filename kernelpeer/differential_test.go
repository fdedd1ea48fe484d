package kernelpeer

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/differential.txt from this run")
	show   = flag.String("show", "", "log both traces of one run, named scenario/kernel (e.g. half-close/client)")
)

// horizon bounds each run against the kernel: the kernel's timers run in
// real time. 1.5 s holds every built-in scenario's calls but one
// (fin-wait-2-timeout's close at 61 s), the first SYN and SYN,ACK
// retransmissions (1 s) and every injected segment; TIME-WAIT's 60 s, the
// later retransmissions and the FIN-WAIT-2 timeout are past it.
const horizon = 1500 * time.Millisecond

// parallelRuns is how many runs against the kernel go at once.
const parallelRuns = 8

// tries is how many times a run that should match is run before it is
// judged; maxLate is how far a run may fall behind real time and still
// count.
const (
	tries   = 3
	maxLate = 10 * time.Millisecond
)

// notRun are the scenarios that cannot be run against the kernel, with why.
// Every other built-in scenario runs twice, with the kernel as the server
// and as the client. (Today every built-in scenario runs.)
var notRun = map[string]string{}

// differences explains the runs that differ, or may, between the engine and
// the kernel, by scenario and the kernel's side. Every other run must
// match.
var differences = map[string]string{
	"syn-flood-backlog/server": "Linux answers a SYN that finds the SYN queue full with a SYN cookie " +
		"(net.ipv4.tcp_syncookies=1, its default), so the client connects at once; the engine drops the SYN, " +
		"as Linux does with tcp_syncookies=0",
	"synack-lost/client": "timing: Linux's 1 s SYN retransmission timer fires up to 64 ms late (the timer " +
		"wheel's granularity at that range), after the server's retransmitted SYN,ACK has arrived (1020 ms): " +
		"the kernel's client does not resend its SYN",
	"synack-lost/server": "timing: the engine's retransmitted SYN reaches the kernel at 1010 ms, when the " +
		"kernel's SYN,ACK timer is due; when the timer fires first, the SYN gets a second SYN,ACK and the " +
		"client acknowledges both",
	"three-segment-close/server": "timing: receive() and close() are due when the FIN arrives (610 ms); on a " +
		"busy machine the kernel's delayed ACK (40 ms) can fire before the calls reach it, and the FIN is " +
		"acknowledged alone",
}

// TestDifferential runs every built-in scenario with the kernel as one
// endpoint and compares the segments (sender, flags, sequence and
// acknowledgment numbers relative to the ISNs, length) and each endpoint's
// states with the same scenario run by the engine on both sides, within
// the horizon. The table of results is testdata/differential.txt.
func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the differential test runs 1.5 s of real time per scenario")
	}
	if err := Available(); err != nil {
		t.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	type job struct {
		sc     *engine.Scenario
		kernel string
		row    row
	}
	var jobs []*job
	for _, sc := range scenarios.All() {
		for _, k := range []string{engine.Server, engine.Client} {
			jobs = append(jobs, &job{sc: sc, kernel: k})
		}
	}
	// Runs are mostly waiting for real time: run several at once, each in
	// its own namespace, but not so many that a busy machine answers late.
	var wg sync.WaitGroup
	slots := make(chan struct{}, parallelRuns)
	for _, j := range jobs {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			j.row = differential(t, j.sc, j.kernel)
		})
	}
	wg.Wait()

	var b strings.Builder
	fmt.Fprintf(&b, "# engine vs Linux %s, first %v of each scenario; go test ./kernelpeer -run Differential -update rewrites it\n", kernelRelease(), horizon)
	fmt.Fprintf(&b, "%-26s %-7s %-9s %s\n", "scenario", "kernel", "result", "detail")
	counts := map[string]int{}
	for _, j := range jobs {
		counts[j.row.result]++
		fmt.Fprintf(&b, "%-26s %-7s %-9s %s\n", j.sc.ID, j.kernel, j.row.result, j.row.detail)
	}
	fmt.Fprintf(&b, "# %d runs: %d matched, %d differ, %d not conclusive (late), %d not run\n",
		len(jobs), counts["matched"], counts["differ"], counts["late"], counts["not-run"])
	t.Log("\n" + b.String())
	golden := filepath.Join("testdata", "differential.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range jobs {
		key := j.sc.ID + "/" + j.kernel
		switch {
		case j.row.err != nil:
			t.Errorf("%s: %v", key, j.row.err)
		case j.row.result == "differ" && differences[key] == "":
			t.Errorf("%s: the kernel and the engine differ: %s", key, j.row.detail)
		}
	}
}

type row struct {
	result string // matched, differ, late (differs, but the run fell behind real time), not-run
	detail string
	err    error
}

func differential(t *testing.T, sc *engine.Scenario, kernel string) row {
	if why, ok := notRun[sc.ID]; ok {
		return row{result: "not-run", detail: why}
	}
	want, err := engine.Run(bounded(sc, horizon))
	if err != nil {
		return row{result: "error", err: err}
	}
	key := sc.ID + "/" + kernel
	var last row
	// A busy machine delays the kernel's answers: a run that differs where
	// it should not gets more tries, and the table says so. A run that
	// differs and fell behind real time by more than maxLate proves
	// nothing either way.
	for try := 1; try <= tries; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), horizon+10*time.Second)
		rep, err := Run(ctx, sc, kernel, Options{Horizon: horizon})
		cancel()
		if err != nil {
			return row{result: "error", err: err}
		}
		if *show == key {
			t.Logf("%s, engine on both sides:\n%s", key, transcript(want))
			t.Logf("%s, the kernel as the %s (try %d, %v late):\n%s", key, kernel, try, rep.Late, transcript(rep.Trace))
		}
		r := compare(want, rep.Trace, kernel, differences[key])
		switch {
		case r.result == "matched" && try > 1:
			r.detail += fmt.Sprintf("; on try %d (the one before: %s)", try, last.detail)
			fallthrough
		case r.result == "matched" || differences[key] != "":
			r.detail += cut(sc)
			return r
		case rep.Late > maxLate:
			r.result = "late"
			r.detail += fmt.Sprintf("; the run fell %v behind real time (a busy machine): not conclusive", rep.Late.Round(time.Millisecond))
		}
		last = r
	}
	last.detail += cut(sc)
	return last
}

// cut says what of the scenario the horizon leaves out.
func cut(sc *engine.Scenario) string {
	until := sc.UntilMs
	if until == 0 {
		until = engine.DefaultUntil
	}
	if until <= horizon.Milliseconds() {
		return ""
	}
	late := 0
	for _, st := range sc.Steps {
		if st.AtMs > horizon.Milliseconds() {
			late++
		}
	}
	s := fmt.Sprintf("; first %v of %v", horizon, time.Duration(until)*time.Millisecond)
	if late > 0 {
		s += fmt.Sprintf(", %d call(s) after it not made", late)
	}
	return s
}

// transcript words a trace's calls, states and segments, one a line.
func transcript(tr *engine.Trace) string {
	var b strings.Builder
	for _, ev := range tr.Events {
		fmt.Fprintf(&b, "%8.1f ", ev.T.Ms())
		switch ev.Kind {
		case engine.KindSegment:
			fmt.Fprintf(&b, "%s>%s %s seq=%d ack=%d len=%d %s %s", ev.From, ev.To, strings.Join(ev.Flags, ","), ev.Seq, ev.Ack, ev.Len, ev.Fate, ev.Reason)
		case engine.KindState:
			fmt.Fprintf(&b, "%s %s -> %s", ev.Endpoint, ev.From, ev.To)
		case engine.KindCall:
			fmt.Fprintf(&b, "%s %s() = %s %q", ev.Endpoint, ev.Call, ev.Result, ev.Data)
		case engine.KindTimer:
			fmt.Fprintf(&b, "%s timer %s %s", ev.Endpoint, ev.Timer, ev.Action)
		default:
			fmt.Fprintf(&b, "%s %s %s", ev.Kind, ev.Endpoint, ev.Reason)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// compare says whether the kernel's run got the engine's segments and
// states. Times are not compared (the kernel's are real); the kernel's
// states are sampled, so a state it passed through between two samples may
// be missing from its list: its list must be the engine's, or the engine's
// with some left out.
func compare(want, got *engine.Trace, kernel, known string) row {
	n := 0
	for _, ep := range []string{engine.Client, engine.Server} {
		ws, gs := segments(want, ep), segments(got, ep)
		n += len(ws)
		for i := range max(len(ws), len(gs)) {
			w, g := "(none)", "(none)"
			if i < len(ws) {
				w = ws[i]
			}
			if i < len(gs) {
				g = gs[i]
			}
			if w != g {
				d := fmt.Sprintf("%s's segment %d: engine %s, kernel run %s", ep, i+1, w, g)
				if known != "" {
					d += "; " + known
				}
				return row{result: "differ", detail: d}
			}
		}
	}
	for _, ep := range []string{engine.Client, engine.Server} {
		w, g := states(want, ep), states(got, ep)
		if ep == kernel && !subsequence(g, w) || ep != kernel && !slices.Equal(g, w) {
			d := fmt.Sprintf("%s states: engine %s, kernel run %s", ep, strings.Join(w, " "), strings.Join(g, " "))
			if known != "" {
				d += "; " + known
			}
			return row{result: "differ", detail: d}
		}
	}
	return row{result: "matched", detail: fmt.Sprintf("%d segments", n)}
}

// segments words each segment an endpoint sent as its flags, sequence
// number relative to the sender's ISN, acknowledgment number relative to
// the receiver's, length and fate. Each side's segments are compared in
// order; how the two sides' interleave is a matter of timing. A SYN flood's
// spoofed SYNs and the answers to them are left out.
func segments(tr *engine.Trace, from string) []string {
	isn := map[string]uint32{}
	var out []string
	for _, ev := range tr.Events {
		if ev.Kind != engine.KindSegment || ev.Spoofed || ev.DropReason == "unreachable" {
			continue
		}
		if slices.Contains(ev.Flags, "SYN") && !ev.Injected {
			// Each connection counts from its own ISN, as Wireshark does.
			isn[ev.From] = ev.Seq
		}
		if ev.From != from {
			continue
		}
		flags := slices.Clone(ev.Flags)
		slices.Sort(flags)
		s := fmt.Sprintf("%s seq=%d", strings.Join(flags, ","), int32(ev.Seq-isn[ev.From]))
		if slices.Contains(ev.Flags, "ACK") {
			s += fmt.Sprintf(" ack=%d", int32(ev.Ack-isn[ev.To]))
		}
		s += fmt.Sprintf(" len=%d %s", ev.Len, ev.Fate)
		out = append(out, s)
	}
	return out
}

// states lists the states an endpoint went to, in order.
func states(tr *engine.Trace, ep string) []string {
	var out []string
	for _, ev := range tr.Events {
		if ev.Kind == engine.KindState && ev.Endpoint == ep {
			out = append(out, ev.To)
		}
	}
	return out
}

// subsequence reports whether sub is seq with some elements left out.
func subsequence(sub, seq []string) bool {
	i := 0
	for _, s := range seq {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "(unknown release)"
	}
	return strings.TrimSpace(string(b))
}
