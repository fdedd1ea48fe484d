package web

import (
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// startNATS runs an embedded NATS server on a random port of 127.0.0.1
// and returns its client URL.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("NATS server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the NATS server did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// instance is one synack server connected to NATS.
type instance struct {
	srv *Server
	ts  *httptest.Server
	ws  string
}

func startInstance(t testing.TB, natsURL string) *instance {
	t.Helper()
	s, err := New(Config{NATSURL: natsURL, Live: LiveConfig{CommandRate: 1e6, CommandBurst: 1e6,
		Rooms: RoomConfig{MaxViewers: 2000, ViewerQueue: 256}}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	in := &instance{srv: s, ts: ts, ws: "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws"}
	t.Cleanup(in.stop)
	return in
}

func (in *instance) stop() {
	in.srv.Shutdown()
	in.ts.Close()
}

// TestRoomAcrossInstances: the presenter on A, viewers on B and C, all
// through one NATS server.
func TestRoomAcrossInstances(t *testing.T) {
	url := startNATS(t)
	a, b, c := startInstance(t, url), startInstance(t, url), startInstance(t, url)

	p := dialLive(t, a.ws, nil)
	p.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	next(p, msgLoaded)
	p.send(`{"type": "share"}`)
	code := next(p, msgShared).Room
	first := stepN(p, 3)

	// A viewer on B gets the history, then what follows, in order.
	vb := dialLive(t, b.ws+"?room="+strings.ToLower(code), nil)
	if m := next(vb, msgRoom); m.State != roomJoined || m.Room != code {
		t.Fatalf("B: first message %v, want joined %s", m, code)
	}
	next(vb, msgLoaded)
	for i, want := range first {
		if got := string(next(vb, msgEvent).Event); got != want {
			t.Fatalf("B: history event %d = %s, want %s", i, got, want)
		}
	}
	second := stepN(p, 2)
	for i, want := range second {
		if got := string(next(vb, msgEvent).Event); got != want {
			t.Fatalf("B: event %d = %s, want %s", 3+i, got, want)
		}
	}

	// A late joiner on C gets the five events as history.
	vc := dialLive(t, c.ws+"?room="+code, nil)
	next(vc, msgRoom)
	next(vc, msgLoaded)
	for i, want := range slices.Concat(first, second) {
		if got := string(next(vc, msgEvent).Event); got != want {
			t.Fatalf("C: history event %d = %s, want %s", i, got, want)
		}
	}
	// The presenter counts the viewers of every instance.
	until(p, "2 viewers", func(m roomWire) bool { return m.Type == msgRoom && m.State == roomOpen && m.Viewers == 2 })

	// A question: a vote from B counts on A, once.
	p.send(askJSON)
	q := next(p, msgQuestion)
	if m := next(vb, msgQuestion); m.ID != q.ID {
		t.Fatalf("B: question %d, want %d", m.ID, q.ID)
	}
	next(vc, msgQuestion)
	vb.send(`{"type": "answer", "choice": 1}`)
	if m := next(vb, msgAnswered); m.ID != q.ID || m.Choice == nil || *m.Choice != 1 {
		t.Fatalf("B: %v, want answered 1", m)
	}
	vb.send(`{"type": "answer", "choice": 0}`)
	nextError(vb, "already")
	vc.send(`{"type": "answer", "choice": 7}`)
	nextError(vc, "must be 0 to 2")
	got := until(p, "the answers", func(m roomWire) bool { return m.Type == msgAnswers })
	if !slices.Equal(got.Counts, []int{0, 1, 0}) || got.Total != 1 {
		t.Fatalf("A: answers %v, want counts [0 1 0] of 1", got)
	}
	p.send(`{"type": "reveal"}`)
	next(p, msgReveal)
	if m := next(vb, msgReveal); !slices.Equal(m.Counts, []int{0, 1, 0}) {
		t.Fatalf("B: reveal %v", m)
	}
	next(vc, msgReveal)

	// The rest of the run reaches both viewers in the presenter's order.
	rest := stepAll(p)
	for name, v := range map[string]*liveClient{"B": vb, "C": vc} {
		f, err := follow(v)
		if err != nil || !f.done {
			t.Fatalf("%s: %v, done %v", name, err, f.done)
		}
		if !slices.Equal(f.events, rest) {
			t.Fatalf("%s: %d events after the reveal, want %d", name, len(f.events), len(rest))
		}
	}

	// The code is taken on every instance; an unknown one is found nowhere.
	if free, err := c.srv.live.rooms.bus.claim(code); err != nil || free {
		t.Errorf("claim of a held code on C: free %v, err %v", free, err)
	}
	unknown := dialLive(t, b.ws+"?room=ZZZZZZ", nil)
	nextError(unknown, "There is no room ZZZZZZ")

	// The presenter ends the room: viewers everywhere are told and closed.
	p.send(`{"type": "end"}`)
	for _, v := range []*liveClient{vb, vc} {
		until(v, "ended", func(m roomWire) bool { return m.Type == msgRoom && m.State == roomEnded })
		expectRoomClose(v, 1000)
	}
	if free, err := c.srv.live.rooms.bus.claim(code); err != nil || !free {
		t.Errorf("claim of an ended room's code: free %v, err %v", free, err)
	}
}
