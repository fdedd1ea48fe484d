package engine

// Golden transcripts: whole runs kept as files. A change in the engine that
// changes a run shows up as a diff of testdata/golden; when the change is
// meant, go test ./engine/ -run Golden -update rewrites the files, and the
// diff is reviewed like code.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synack/synack/engine/wire"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenScenario is a run worth keeping whole.
type goldenScenario struct {
	name string
	sc   *Scenario
}

// goScenarios are the golden runs built here: the rfc profile, which the
// JSON library (written for Linux) hardly uses, and longer data transfers.
func goScenarios() []goldenScenario {
	lifecycle := func(profile string) *Scenario {
		return &Scenario{
			ID: "go-lifecycle-" + profile, Seed: 7, Profile: profile,
			Network: Network{OneWayDelayMs: 10},
			Steps: []Step{
				{AtMs: 0, Endpoint: Server, Call: CallListen},
				{AtMs: 0, Endpoint: Client, Call: CallConnect},
				{AtMs: 100, Endpoint: Client, Call: CallSend, Data: "hello"},
				{AtMs: 200, Endpoint: Server, Call: CallReceive},
				{AtMs: 200, Endpoint: Server, Call: CallSend, Data: "world"},
				{AtMs: 300, Endpoint: Client, Call: CallReceive},
				{AtMs: 300, Endpoint: Client, Call: CallClose},
				{AtMs: 500, Endpoint: Server, Call: CallReceive},
				{AtMs: 500, Endpoint: Server, Call: CallClose},
			},
			UntilMs: 300_000,
		}
	}
	bulk := func(profile string) *Scenario {
		return &Scenario{
			ID: "go-bulk-loss-" + profile, Seed: 8, Profile: profile,
			Network: Network{OneWayDelayMs: 25},
			Steps: []Step{
				{AtMs: 0, Endpoint: Server, Call: CallListen},
				{AtMs: 0, Endpoint: Client, Call: CallConnect},
				{AtMs: 100, Endpoint: Client, Call: CallSend, Data: strings.Repeat("0123456789", 500)},
				{AtMs: 3000, Endpoint: Server, Call: CallReceive},
				{AtMs: 9000, Endpoint: Server, Call: CallReceive},
				{AtMs: 9000, Endpoint: Client, Call: CallClose},
				{AtMs: 9100, Endpoint: Server, Call: CallClose},
			},
			Faults: []Fault{
				{Drop: &Drop{From: Client, Flags: []string{"ACK"}, Nth: 2}},
				{Drop: &Drop{From: Server, Flags: []string{"ACK"}, Nth: 3}},
			},
			UntilMs: 20_000,
		}
	}
	return []goldenScenario{
		{"go-lifecycle-linux", lifecycle(ProfileLinux)},
		{"go-lifecycle-rfc", lifecycle(ProfileRFC)},
		{"go-bulk-loss-linux", bulk(ProfileLinux)},
		{"go-bulk-loss-rfc", bulk(ProfileRFC)},
		{"go-simultaneous-open-rfc", &Scenario{
			ID: "go-simultaneous-open-rfc", Seed: 9, Profile: ProfileRFC,
			Network: Network{OneWayDelayMs: 10},
			Steps: []Step{
				{AtMs: 0, Endpoint: Server, Call: CallConnect},
				{AtMs: 0, Endpoint: Client, Call: CallConnect},
				{AtMs: 5000, Endpoint: Client, Call: CallClose},
				{AtMs: 5000, Endpoint: Server, Call: CallClose},
			},
			UntilMs: 30_000,
		}},
		{"go-syn-retries-rfc", &Scenario{
			ID: "go-syn-retries-rfc", Seed: 10, Profile: ProfileRFC,
			Steps:   []Step{{AtMs: 0, Endpoint: Client, Call: CallConnect}},
			Faults:  []Fault{{Drop: &Drop{From: Client, Flags: []string{"SYN"}, Nth: 1}}},
			UntilMs: 300_000,
		}},
	}
}

// goldenScenarios lists the built-in scenarios (../scenarios), then the
// Go ones.
func goldenScenarios(t testing.TB) []goldenScenario {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "scenarios", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no scenarios in ../scenarios")
	}
	var out []goldenScenario
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ParseScenario(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, goldenScenario{strings.TrimSuffix(filepath.Base(p), ".json"), sc})
	}
	return append(out, goScenarios()...)
}

func runScenario(t testing.TB, sc *Scenario) *Trace {
	t.Helper()
	if err := sc.Validate(); err != nil {
		t.Fatalf("scenario %s: %v", sc.ID, err)
	}
	tr, err := Run(sc)
	if err != nil {
		t.Fatalf("Run(%s): %v", sc.ID, err)
	}
	return tr
}

func TestGolden(t *testing.T) {
	for _, g := range goldenScenarios(t) {
		t.Run(g.name, func(t *testing.T) {
			tr := runScenario(t, g.sc)
			js, err := json.MarshalIndent(tr, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "golden", g.name+".txt"), []byte(tr.Transcript()))
			checkGolden(t, filepath.Join("testdata", "golden", g.name+".json"), append(js, '\n'))
		})
	}
}

// checkGolden compares got with the file, or rewrites the file with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if the change is meant):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %s\n got %s", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// TestGoldenFilesHaveScenarios keeps testdata/golden free of files no
// scenario writes any more.
func TestGoldenFilesHaveScenarios(t *testing.T) {
	names := map[string]bool{}
	for _, g := range goldenScenarios(t) {
		if names[g.name] {
			t.Errorf("two golden scenarios named %s", g.name)
		}
		names[g.name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".txt"), ".json")
		if !names[name] {
			t.Errorf("%s belongs to no scenario", f)
		}
	}
}

// TestDeterminism runs every golden scenario twice: the JSON must be the
// same byte for byte, and must read back into the same trace.
func TestDeterminism(t *testing.T) {
	for _, g := range goldenScenarios(t) {
		a, err := json.Marshal(runScenario(t, g.sc))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(runScenario(t, g.sc))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs differ:\n%s", g.name, firstDiff(string(a), string(b)))
		}
		var back Trace
		if err := json.Unmarshal(a, &back); err != nil {
			t.Fatalf("%s: the trace JSON does not read back: %v", g.name, err)
		}
		c, err := json.Marshal(&back)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, c) {
			t.Errorf("%s: JSON round trip differs:\n%s", g.name, firstDiff(string(a), string(c)))
		}
	}
}

// TestTraceInvariants checks every golden run against what any trace
// promises.
func TestTraceInvariants(t *testing.T) {
	for _, g := range goldenScenarios(t) {
		t.Run(g.name, func(t *testing.T) {
			checkTrace(t, g.sc, runScenario(t, g.sc))
		})
	}
}

var stateNameSet = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range stateNames {
		m[n] = true
	}
	return m
}()

// checkTrace checks what holds for every trace: events in time order, none
// after until_ms, state changes that change something, timers that are set
// before they are cancelled or fired, and segments whose bytes parse back
// to what the event says.
func checkTrace(t testing.TB, sc *Scenario, tr *Trace) {
	t.Helper()
	until := Millis(msDur(sc.UntilMs))
	if sc.UntilMs == 0 {
		until = Millis(msDur(DefaultUntil))
	}
	if len(tr.Events) > MaxEvents+100 {
		t.Errorf("%d events, the limit is %d", len(tr.Events), MaxEvents)
	}
	ids := map[int]bool{}
	timers := map[string]Millis{} // endpoint/timer -> due
	states := map[string]string{Client: "CLOSED", Server: "CLOSED"}
	for i, ev := range tr.Events {
		if i > 0 && ev.T < tr.Events[i-1].T {
			t.Fatalf("event %d at %vms comes after one at %vms", i, ev.T.Ms(), tr.Events[i-1].T.Ms())
		}
		if ev.T > until || ev.T < 0 {
			t.Fatalf("event %d at %vms, outside [0, until_ms=%vms]", i, ev.T.Ms(), until.Ms())
		}
		switch ev.Kind {
		case KindCall:
			if ev.CallInfo == nil || ev.Result == "" {
				t.Fatalf("event %d: call without result: %+v", i, ev)
			}
			if ev.Result != "ok" && ev.Result != "eof" && "error: "+ev.Error != ev.Result {
				t.Errorf("event %d: result %q, error %q", i, ev.Result, ev.Error)
			}
		case KindState:
			if ev.From == ev.To || !stateNameSet[ev.From] || !stateNameSet[ev.To] {
				t.Fatalf("event %d: state change %s -> %s", i, ev.From, ev.To)
			}
			if states[ev.Endpoint] != ev.From && ev.From != "CLOSED" && ev.From != "LISTEN" {
				// A new connection starts from CLOSED, a passive one from
				// LISTEN; otherwise a change starts where the last ended.
				t.Errorf("event %d: %s goes %s -> %s, but was %s", i, ev.Endpoint, ev.From, ev.To, states[ev.Endpoint])
			}
			states[ev.Endpoint] = ev.To
		case KindTimer:
			key := ev.Endpoint + "/" + string(ev.Timer)
			switch ev.Action {
			case "set":
				if ev.DueMs < ev.T {
					t.Errorf("event %d: timer %s set in the past", i, key)
				}
				timers[key] = ev.DueMs
			case "cancel", "fire":
				due, ok := timers[key]
				if !ok || due != ev.DueMs {
					t.Errorf("event %d: %s %s due %vms, but it was set for %vms (running %t)", i, ev.Action, key, ev.DueMs.Ms(), due.Ms(), ok)
				}
				if ev.Action == "fire" && ev.T != ev.DueMs {
					t.Errorf("event %d: %s fired at %vms, due %vms", i, key, ev.T.Ms(), ev.DueMs.Ms())
				}
				delete(timers, key)
			default:
				t.Errorf("event %d: timer action %q", i, ev.Action)
			}
		case KindSegment:
			if ids[ev.ID] {
				t.Errorf("event %d: segment id %d twice", i, ev.ID)
			}
			ids[ev.ID] = true
			checkSegmentBytes(t, i, ev)
		case KindNote, KindDrop:
		default:
			t.Errorf("event %d: kind %q", i, ev.Kind)
		}
	}
}

// checkSegmentBytes parses a segment event's packet and compares it with the
// event's fields.
func checkSegmentBytes(t testing.TB, i int, ev Event) {
	t.Helper()
	pkt, err := wire.ParsePacket(ev.Bytes)
	if err != nil {
		t.Fatalf("event %d (segment #%d): bytes do not parse: %v", i, ev.ID, err)
	}
	seg := pkt.TCP
	flags, err := wire.ParseFlags(ev.Flags)
	if err != nil {
		t.Fatalf("event %d: flags %v: %v", i, ev.Flags, err)
	}
	if seg.Flags != flags || seg.Seq != ev.Seq || seg.Ack != ev.Ack || len(seg.Payload) != ev.Len ||
		seg.Window != ev.Window || string(seg.Payload) != ev.Data {
		t.Fatalf("event %d (segment #%d): bytes say %v seq=%d ack=%d len=%d win=%d, the event %v seq=%d ack=%d len=%d win=%d",
			i, ev.ID, seg.Flags, seg.Seq, seg.Ack, len(seg.Payload), seg.Window, ev.Flags, ev.Seq, ev.Ack, ev.Len, ev.Window)
	}
	if !slices.EqualFunc(seg.Options, ev.Options, func(a, b wire.Option) bool {
		return a.Kind == b.Kind && a.Value == b.Value && a.TSVal == b.TSVal && a.TSEcr == b.TSEcr
	}) {
		t.Fatalf("event %d (segment #%d): options %v on the wire, %v in the event", i, ev.ID, seg.Options, ev.Options)
	}
	addr := map[string]string{Client: clientAddr.String(), Server: serverAddr.String()}
	// A spoofed segment comes from elsewhere, and the answer to it goes
	// there: nobody receives it.
	srcOK := ev.Spoofed || pkt.Src.String() == addr[ev.From]
	toNobody := pkt.Dst.String() != addr[Client] && pkt.Dst.String() != addr[Server]
	dstOK := pkt.Dst.String() == addr[ev.To] || toNobody && ev.Fate == FateDropped
	if !srcOK || !dstOK {
		t.Errorf("event %d (segment #%d): %v > %v for %s > %s", i, ev.ID, pkt.Src, pkt.Dst, ev.From, ev.To)
	}
	if ev.Fate != FateDelivered && ev.Fate != FateDropped {
		t.Errorf("event %d (segment #%d): fate %q", i, ev.ID, ev.Fate)
	}
}

// errTooMany reports whether err is the one error a valid scenario may end
// with.
func errTooMany(err error) bool { return errors.Is(err, ErrBudget) }
