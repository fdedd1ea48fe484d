package engine

// A live session drives a Sim with AdvanceTo, Call and AddFault instead of
// Run. These tests check that both ways give the same trace, so a session
// can step back by replaying.

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func eventsJSON(t *testing.T, evs []Event) string {
	t.Helper()
	b, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReplayAdvanceInSlices advances every golden scenario in random slices
// of time: the events must be those of Run.
func TestReplayAdvanceInSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, g := range goldenScenarios(t) {
		want := eventsJSON(t, runScenario(t, g.sc).Events)
		s, err := NewSim(g.sc)
		if err != nil {
			t.Fatal(err)
		}
		for !s.Done() {
			s.AdvanceTo(s.Now() + time.Duration(r.Int64N(int64(2*time.Second))))
		}
		if got := eventsJSON(t, s.Events()); got != want {
			t.Errorf("%s: advancing in slices differs from Run:\n%s", g.name, firstDiff(want, got))
		}
	}
}

// TestReplayLiveCall makes the scenario's calls live, at their times: the
// events are those of Run.
func TestReplayLiveCall(t *testing.T) {
	for _, g := range goScenarios() {
		if len(g.sc.Faults) > 0 {
			continue
		}
		want := eventsJSON(t, runScenario(t, g.sc).Events)
		bare := *g.sc
		bare.Steps = nil
		s, err := NewSim(&bare)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range g.sc.Steps {
			s.AdvanceTo(msDur(st.AtMs))
			if err := s.Call(st.Endpoint, st.Call, st.Data); err != nil {
				t.Fatalf("%s: Call: %v", g.name, err)
			}
		}
		s.AdvanceTo(s.Until())
		if got := eventsJSON(t, s.Events()); got != want {
			t.Errorf("%s: live calls differ from Run:\n%s", g.name, firstDiff(want, got))
		}
	}
}

func TestReplayLiveFaults(t *testing.T) {
	sc := &Scenario{ID: "live", Seed: 2, Network: Network{OneWayDelayMs: 10}, UntilMs: 5000,
		Steps: []Step{{AtMs: 0, Endpoint: Server, Call: CallListen}, {AtMs: 0, Endpoint: Client, Call: CallConnect}}}
	s, err := NewSim(sc)
	if err != nil {
		t.Fatal(err)
	}
	s.AdvanceTo(5 * time.Millisecond) // the SYN is on the wire
	ids := s.InFlight()
	if len(ids) != 1 {
		t.Fatalf("in flight: %v", ids)
	}
	if err := s.Lose(ids[0]); err != nil {
		t.Fatal(err)
	}
	if ev := s.Events()[len(s.Events())-1]; ev.Kind != KindDrop || ev.CauseSegment != ids[0] || ev.From != Client || ev.To != Server {
		t.Errorf("drop event %+v", ev)
	}
	if err := s.Lose(ids[0]); !errors.Is(err, ErrNotInFlight) || !strings.Contains(err.Error(), "already been dropped") {
		t.Errorf("losing it again: %v", err)
	}
	var fe *FieldError
	if err := s.AddFault(Fault{Drop: &Drop{From: "nobody", Flags: []string{"SYN"}, Nth: 1}}); !errors.As(err, &fe) {
		t.Errorf("a bad fault: %v", err)
	}
	if err := s.Call(Client, "dance", ""); !errors.As(err, &fe) {
		t.Errorf("a bad call: %v", err)
	}
	// An inject due in the past happens now.
	if err := s.AddFault(Fault{Inject: &Inject{AtMs: 0, From: Server, Flags: []string{"RST"}, Seq: new(uint32)}}); err != nil {
		t.Fatal(err)
	}
	s.AdvanceTo(5 * time.Millisecond)
	last := s.Events()[len(s.Events())-1]
	if last.Kind != KindSegment || !last.Injected || last.T != Millis(5*time.Millisecond) {
		t.Errorf("the late inject: %+v", last)
	}
	// The SYN was lost: it goes again at 1 s, and the handshake completes.
	s.AdvanceTo(s.Until())
	if st := s.server.sock; st == nil || st.state != Established {
		t.Errorf("server ends in %v", st)
	}
	checkTrace(t, s.Trace().Scenario, s.Trace())
	if n := len(s.Trace().Scenario.Live); n != 2 {
		t.Errorf("the trace's scenario has %d live actions, want the drop and the inject", n)
	}
	if got, want := eventsJSON(t, runScenario(t, s.Scenario()).Events), eventsJSON(t, s.Events()); got != want {
		t.Errorf("the trace's scenario runs differently:\n%s", firstDiff(want, got))
	}
}

// TestSequenceWrap runs every golden scenario again with ISNs just below
// 2^32, so that sequence numbers wrap during the run. Seen relative to the
// ISNs, as the transcript shows them, nothing may change.
func TestSequenceWrap(t *testing.T) {
	for _, g := range goldenScenarios(t) {
		if hasAbsoluteSeq(g.sc) {
			continue
		}
		var transcripts []string
		for _, isn := range []map[string]Seq{
			{Client: 1000, Server: 5000},
			{Client: 0xFFFFFFF0, Server: 0xFFFFFF00},
			{Client: 0x7FFFFFFF, Server: 0},
		} {
			s, err := NewSim(g.sc)
			if err != nil {
				t.Fatal(err)
			}
			s.fixedISN = isn
			if err := s.RunToEnd(); err != nil {
				t.Fatalf("%s: %v", g.name, err)
			}
			tr := s.Trace()
			checkTrace(t, g.sc, tr)
			transcripts = append(transcripts, tr.Transcript())
		}
		for i, tx := range transcripts[1:] {
			if tx != transcripts[0] {
				t.Errorf("%s: ISN pair %d gives another run:\n%s", g.name, i+1, firstDiff(transcripts[0], tx))
			}
		}
	}
}

// hasAbsoluteSeq reports whether a scenario injects absolute sequence
// numbers (or a flood's random ones), which mean something else under other
// ISNs.
func hasAbsoluteSeq(sc *Scenario) bool {
	for _, f := range sc.Faults {
		if f.Flood != nil || f.Inject != nil && (f.Inject.Seq != nil || f.Inject.Ack != nil) {
			return true
		}
	}
	return false
}
