package web

import (
	"errors"
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
	return startInstanceWith(t, natsURL, RoomConfig{MaxViewers: 2000, ViewerQueue: 256})
}

func startInstanceWith(t testing.TB, natsURL string, rooms RoomConfig) *instance {
	t.Helper()
	s, err := New(Config{NATSURL: natsURL, Live: LiveConfig{CommandRate: 1e6, CommandBurst: 1e6,
		Rooms: rooms}}, slog.New(slog.DiscardHandler))
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

	// A number question: the value of a vote from B counts on A, once; a
	// bad value from C is refused on C's instance, a choice on A's.
	p.send(`{"type": "ask", "question": {"kind": "number", "prompt": {"en": "Which ack?"}, "answer": 1}}`)
	q = next(p, msgQuestion)
	next(vb, msgQuestion)
	next(vc, msgQuestion)
	vb.send(`{"type": "answer", "value": 1}`)
	if m := next(vb, msgAnswered); m.ID != q.ID || m.Value == nil || *m.Value != 1 {
		t.Fatalf("B: %v, want answered value 1", m)
	}
	vb.send(`{"type": "answer", "value": 2}`)
	nextError(vb, "already")
	vc.send(`{"type": "answer", "value": "one"}`)
	nextError(vc, "value: must be a whole number")
	vc.send(`{"type": "answer", "choice": 0}`)
	nextError(vc, "asks for a number")
	vc.send(`{"type": "answer", "value": 2}`)
	next(vc, msgAnswered)
	wantValues := []valueCount{{1, 1}, {2, 1}}
	got = until(p, "the values", func(m roomWire) bool { return m.Type == msgAnswers && m.ID == q.ID && m.Total == 2 })
	if !slices.Equal(got.Values, wantValues) {
		t.Fatalf("A: answers %v, want values %v", got, wantValues)
	}
	p.send(`{"type": "reveal"}`)
	next(p, msgReveal)
	if m := next(vb, msgReveal); m.Value == nil || *m.Value != 1 || !slices.Equal(m.Values, wantValues) {
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

// TestRoomCodeRivals: two instances that both found a fresh code free and
// open a room under it at the same moment do not both keep it; one that
// opens a code another holds is told it is taken.
func TestRoomCodeRivals(t *testing.T) {
	url := startNATS(t)
	log := slog.New(slog.DiscardHandler)
	dial := func() *natsBus {
		b, err := dialNATS(url, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.close)
		return b
	}
	a, b := dial(), dial()
	for i := range 20 {
		code := newRoomCode()
		la, lb := a.carry(&room{}), b.carry(&room{})
		for _, bus := range []*natsBus{a, b} {
			if free, err := bus.claim(code); err != nil || !free {
				t.Fatalf("round %d: claim %s = %v, %v before anyone holds it", i, code, free, err)
			}
		}
		errs := make(chan error, 2)
		for _, l := range []roomLink{la, lb} {
			go func() { errs <- l.open(code) }()
		}
		kept := 0
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				kept++
			case !errors.Is(err, errCodeTaken):
				t.Fatalf("round %d: open: %v", i, err)
			}
		}
		if kept > 1 {
			t.Fatalf("round %d: both instances kept room code %s", i, code)
		}
		la.release()
		lb.release()
	}

	// A code held already is taken, at claim or, if the claim raced, at open.
	code := newRoomCode()
	la := a.carry(&room{})
	if err := la.open(code); err != nil {
		t.Fatal(err)
	}
	defer la.release()
	if free, err := b.claim(code); err != nil || free {
		t.Errorf("claim of a held code = %v, %v; want taken", free, err)
	}
	if err := b.carry(&room{}).open(code); !errors.Is(err, errCodeTaken) {
		t.Errorf("open of a held code: %v, want errCodeTaken", err)
	}
}

// TestRoomMaxViewersAcross: MaxViewers counts the viewers of every
// instance: with 3 allowed, one on each instance fills the room, and a
// fourth, wherever it joins, is told the room is full.
func TestRoomMaxViewersAcross(t *testing.T) {
	url := startNATS(t)
	cfg := RoomConfig{MaxViewers: 3, ViewerQueue: 256}
	a, b, c := startInstanceWith(t, url, cfg), startInstanceWith(t, url, cfg), startInstanceWith(t, url, cfg)

	p := dialLive(t, a.ws, nil)
	p.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	next(p, msgLoaded)
	p.send(`{"type": "share"}`)
	code := next(p, msgShared).Room
	for _, in := range []*instance{a, b, c} {
		v := dialLive(t, in.ws+"?room="+code, nil)
		if m := next(v, msgRoom); m.State != roomJoined {
			t.Fatalf("viewer: %v, want joined", m)
		}
	}
	// The presenter's count includes the other instances' viewers.
	until(p, "3 viewers", func(m roomWire) bool { return m.Type == msgRoom && m.Viewers == 3 })
	for _, in := range []*instance{b, a} {
		v := dialLive(t, in.ws+"?room="+code, nil)
		nextError(v, "is full")
	}
}
