package engine

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeFault(t *testing.T) {
	for _, c := range []struct {
		in, field, msg string
	}{
		{in: `{"drop":{"segment":3}}`},
		{in: `{"drop":{"from":"client","flags":["SYN"],"nth":2}}`},
		{in: `{"inject":{"at_ms":5,"from":"server","flags":["RST"],"rel_seq":1}}`},
		{in: `{"drop":{"from":"client","flags":["SYN"],"nth":0}}`, field: "drop.nth", msg: "between 1"},
		{in: `{"drop":{"from":"client","flags":["SYN"],"nth":1,"x":1}}`, field: "drop.x", msg: "unknown field"},
		{in: `{"explode":{}}`, field: "explode", msg: "unknown fault kind"},
		{in: `{}`, msg: "exactly one of drop, inject, flood"},
		{in: `{"inject":{"at_ms":"soon"}}`, field: "inject.at_ms", msg: "a number"},
	} {
		f, err := DecodeFault([]byte(c.in))
		if c.msg == "" {
			if err != nil {
				t.Errorf("%s: %v", c.in, err)
			} else if f.Drop == nil && f.Inject == nil {
				t.Errorf("%s: decoded to nothing", c.in)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
			t.Errorf("%s: error %v, want field %q saying %q", c.in, err, c.field, c.msg)
		}
	}
}

func TestLoseSaysWhy(t *testing.T) {
	s, err := NewSim(&Scenario{Seed: 1, Network: Network{OneWayDelayMs: 10}, Steps: []Step{
		{Endpoint: Server, Call: CallListen}, {Endpoint: Client, Call: CallConnect},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.AdvanceTo(0)
	if err := s.Lose(9); !errors.Is(err, ErrNotInFlight) || !strings.Contains(err.Error(), "no segment 9 yet") {
		t.Errorf("unknown segment: %v", err)
	}
	s.AdvanceTo(15 * time.Millisecond) // the SYN arrived at 10
	if err := s.Lose(1); !errors.Is(err, ErrNotInFlight) || !strings.Contains(err.Error(), "already arrived") {
		t.Errorf("delivered segment: %v", err)
	}
	if err := s.Lose(2); err != nil { // the SYN,ACK, sent at 10, arrives at 20
		t.Errorf("in-flight SYN,ACK: %v", err)
	}
}

func TestCallErrorsNameTheField(t *testing.T) {
	s, err := NewSim(&Scenario{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var fe *FieldError
	if err := s.Call("router", CallConnect, ""); !errors.As(err, &fe) || fe.Field != "endpoint" {
		t.Errorf("bad endpoint: %v", err)
	}
	if err := s.Call(Client, CallSend, ""); !errors.As(err, &fe) || fe.Field != "data" {
		t.Errorf("send without data: %v", err)
	}
}

// TestListenerServesTheNextConnection: after the accepted connection is
// reset, the listening socket is still there: the client's next connection
// becomes the server's traced socket, and the server's calls reach it.
func TestListenerServesTheNextConnection(t *testing.T) {
	tr, err := Run(&Scenario{Seed: 3, Network: Network{OneWayDelayMs: 10}, Steps: []Step{
		{AtMs: 0, Endpoint: Server, Call: CallListen},
		{AtMs: 0, Endpoint: Client, Call: CallConnect},
		{AtMs: 100, Endpoint: Client, Call: CallAbort},
		{AtMs: 200, Endpoint: Client, Call: CallConnect},
		{AtMs: 300, Endpoint: Client, Call: CallSend, Data: "again"},
		{AtMs: 400, Endpoint: Server, Call: CallReceive},
		{AtMs: 400, Endpoint: Server, Call: CallListen},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var server []string
	var results []string
	for _, ev := range tr.Events {
		if ev.Kind == KindState && ev.Endpoint == Server {
			server = append(server, ev.From+">"+ev.To)
		}
		if ev.Kind == KindCall && ev.Endpoint == Server {
			results = append(results, ev.Call+":"+ev.Result+":"+ev.Data)
		}
	}
	want := []string{"CLOSED>LISTEN", "LISTEN>SYN-RECEIVED", "SYN-RECEIVED>ESTABLISHED", "ESTABLISHED>CLOSED",
		"LISTEN>SYN-RECEIVED", "SYN-RECEIVED>ESTABLISHED"}
	if strings.Join(server, " ") != strings.Join(want, " ") {
		t.Errorf("server states %v, want %v", server, want)
	}
	wantCalls := []string{"listen:ok:", "receive:ok:again", "listen:error: connection already exists:"}
	if strings.Join(results, " ") != strings.Join(wantCalls, " ") {
		t.Errorf("server calls %v, want %v", results, wantCalls)
	}
}
