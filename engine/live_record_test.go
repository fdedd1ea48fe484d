package engine

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// liveUser makes random live actions on a Sim: calls of every kind, drops
// of segments in flight, drop rules and injects, at random moments, some of
// them between two things due at the same instant.
func liveUser(t *testing.T, r *rand.Rand, s *Sim, actions int) {
	t.Helper()
	ends := []string{Client, Server}
	for range actions {
		switch r.IntN(3) {
		case 0:
			s.Step()
		case 1:
			s.AdvanceTo(s.Now() + time.Duration(r.Int64N(int64(1500*time.Millisecond))))
		}
		if s.Done() && r.IntN(2) == 0 {
			continue
		}
		var err error
		switch r.IntN(5) {
		case 0, 1:
			call := validCalls[r.IntN(len(validCalls))]
			data := ""
			if call == CallSend {
				data = "hi"
			}
			err = s.Call(ends[r.IntN(2)], call, data)
		case 2:
			if ids := s.InFlight(); len(ids) > 0 {
				err = s.Lose(ids[r.IntN(len(ids))])
			}
		case 3:
			err = s.AddFault(Fault{Drop: &Drop{From: ends[r.IntN(2)], Flags: []string{"ACK"}, Nth: 1 + r.IntN(2)}})
		case 4:
			err = s.AddFault(Fault{Inject: &Inject{AtMs: int64(s.Now()/time.Millisecond) + r.Int64N(50), From: ends[r.IntN(2)],
				Flags: []string{"RST"}, RelSeq: new(int64), RelAck: new(int64)}})
		}
		if err != nil {
			t.Fatalf("live action: %v", err)
		}
	}
}

// TestLiveScenarioReproduces drives every golden scenario with random live
// actions: the scenario the Sim recorded, run whole (also after a JSON round
// trip, as a downloaded trace's scenario is), gives exactly the live run's
// events, and RunTo replays it to any event.
func TestLiveScenarioReproduces(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, g := range goldenScenarios(t) {
		for round := range 3 {
			sc := *g.sc
			if round == 2 {
				sc.Network.OneWayDelayMs = 0.7 // times between two milliseconds
			}
			s, err := NewSim(&sc)
			if err != nil {
				t.Fatal(err)
			}
			liveUser(t, r, s, 12)
			if err := s.RunToEnd(); err != nil {
				t.Fatalf("%s: %v", g.name, err)
			}
			want := eventsJSON(t, s.Events())
			rec := s.Scenario()
			if len(rec.Live) == 0 {
				continue
			}
			if err := rec.Validate(); err != nil {
				t.Fatalf("%s: the recorded scenario is not valid: %v", g.name, err)
			}
			if got := eventsJSON(t, runScenario(t, rec).Events); got != want {
				t.Fatalf("%s round %d: the recorded scenario runs differently:\n%s", g.name, round, firstDiff(want, got))
			}
			doc, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			back, err := DecodeScenario(doc)
			if err != nil {
				t.Fatalf("%s: the recorded scenario does not decode: %v\n%s", g.name, err, doc)
			}
			if got := eventsJSON(t, runScenario(t, back).Events); got != want {
				t.Fatalf("%s round %d: after JSON the recorded scenario runs differently:\n%s", g.name, round, firstDiff(want, got))
			}
			n := r.IntN(len(s.Events()) + 1)
			to, err := RunTo(rec, n)
			if err != nil {
				t.Fatalf("%s: RunTo %d: %v", g.name, n, err)
			}
			if got := to.Events(); len(got) < n || eventsJSON(t, got[:n]) != eventsJSON(t, s.Events()[:n]) {
				t.Fatalf("%s: RunTo %d gives other events", g.name, n)
			}
		}
	}
}

// TestRunToForgetLive: after RunTo and ForgetLive the actions recorded
// after the point reached are gone, and a new action replaces them.
func TestRunToForgetLive(t *testing.T) {
	sc := &Scenario{Seed: 4, Network: Network{OneWayDelayMs: 10}}
	s, err := NewSim(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Step{{Endpoint: Server, Call: CallListen}, {Endpoint: Client, Call: CallConnect}} {
		if err := s.Call(c.Endpoint, c.Call, c.Data); err != nil {
			t.Fatal(err)
		}
	}
	s.AdvanceTo(100 * time.Millisecond)
	if err := s.Call(Client, CallClose, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	all := len(s.Events())
	// The listen makes 2 events; stop there.
	to, err := RunTo(s.Scenario(), 2)
	if err != nil {
		t.Fatal(err)
	}
	to.ForgetLive()
	if n := len(to.Scenario().Live); n != 1 {
		t.Fatalf("%d live actions kept, want the listen", n)
	}
	if n := len(s.Scenario().Live); n != 3 {
		t.Fatalf("ForgetLive changed the scenario it came from: %d actions", n)
	}
	if err := to.RunToEnd(); err != nil || len(to.Events()) != 2 {
		t.Fatalf("without the connect: %d events, %v", len(to.Events()), err)
	}
	var short *ShortRunError
	if _, err := RunTo(s.Scenario(), all+1); !errors.As(err, &short) || short.Events != all {
		t.Fatalf("RunTo past the end: %v", err)
	}
}

// TestLiveValidate: a hand-written live list is checked like the rest.
func TestLiveValidate(t *testing.T) {
	for _, c := range []struct{ doc, field string }{
		{`{"steps":[],"live":[{"step":0,"at_ms":0,"endpoint":"client","call":"dance"}]}`, "live[0].call"},
		{`{"steps":[],"live":[{"step":1,"at_ms":0,"endpoint":"server","call":"listen"},{"step":1,"at_ms":0,"endpoint":"client","call":"connect"}]}`, "live[1].step"},
		{`{"steps":[],"live":[{"step":0,"at_ms":5,"endpoint":"server","call":"listen"},{"step":1,"at_ms":1,"endpoint":"client","call":"connect"}]}`, "live[1].at_ms"},
		{`{"steps":[],"live":[{"step":0,"at_ms":0,"endpoint":"client","call":"connect","fault":{"drop":{"segment":1}}}]}`, "live[0].fault"},
		{`{"steps":[],"live":[{"step":0,"at_ms":0,"fault":{"drop":{"segment":1}},"x":1}]}`, "live[0].x"},
	} {
		_, err := DecodeScenario([]byte(c.doc))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v, want an error about %s", c.doc, err, c.field)
		}
	}
	// A drop of a segment that is not in flight at its step stops the run.
	sc, err := DecodeScenario([]byte(`{"steps":[],"live":[{"step":0,"at_ms":0,"fault":{"drop":{"segment":1}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(sc); !errors.Is(err, ErrNotInFlight) {
		t.Errorf("Run: %v, want not in flight", err)
	}
}
