package web

import (
	"slices"
	"testing"
	"time"

	"github.com/synack/synack/engine"
)

// seekTo seeks and returns the events delivered and the cursor rewound to
// (-1 when no rewound came).
func (f *sessionFixture) seekTo(n int) (evs []string, cursor int) {
	f.t.Helper()
	f.ok(f.s.seek(n))
	cursor = -1
	for _, m := range f.drainPlay() {
		switch m.Type {
		case msgEvent:
			if cursor >= 0 {
				f.t.Fatalf("seek %d: an event after rewound", n)
			}
			evs = append(evs, string(m.Event))
		case msgRewound:
			cursor = *m.Cursor
		default:
			f.t.Fatalf("seek %d answered %v", n, m)
		}
	}
	return evs, cursor
}

// drainPlay reads messages until play's timer has nothing more to do.
func (f *sessionFixture) drainPlay() []wireMessage {
	var msgs []wireMessage
	for range 10_000 {
		msgs = append(msgs, f.out.drain()...)
		if f.clock.pending() == 0 {
			return msgs
		}
		f.clock.advance(stallRetry)
	}
	f.t.Fatal("play never settled")
	return nil
}

// TestSessionSeek moves back and forth through a built-in run: each seek
// ends with rewound to its cursor, forward seeks deliver exactly the events
// in between, and stepping on after a seek gives the next event of the run.
func TestSessionSeek(t *testing.T) {
	f := newSessionFixture(t)
	want := f.loadBuiltin("client-closes-first")
	at := 0
	for _, n := range []int{0, 5, 3, 3, len(want), 0, len(want) - 1, 1} {
		evs, cursor := f.seekTo(n)
		if cursor != n {
			t.Fatalf("seek %d from %d: rewound to %d", n, at, cursor)
		}
		wantEvs := []string(nil)
		if n > at {
			wantEvs = want[at:n]
		}
		if !slices.Equal(evs, wantEvs) {
			t.Fatalf("seek %d from %d delivered %d events, want %d:\n%s", n, at, len(evs), len(wantEvs), firstDiff(evs, wantEvs))
		}
		at = n
		if n < len(want) {
			f.ok(f.s.step())
			if evs, _ := events(t, f.out.drain()); len(evs) != 1 || evs[0] != want[n] {
				t.Fatalf("step after seek %d gave %v, want %s", n, evs, want[n])
			}
			at++
		}
	}
}

// TestSessionSeekRefused: a cursor out of range or past the run's end is an
// error, and the session stays where it was.
func TestSessionSeekRefused(t *testing.T) {
	f := newSessionFixture(t)
	if err := f.s.seek(1); err != errNotLoaded {
		t.Fatalf("seek before load: %v", err)
	}
	want := f.loadBuiltin("client-closes-first")
	f.seekTo(4)
	for _, tc := range []struct {
		n    int
		code string
	}{
		{-1, "bad-cursor"},
		{engine.MaxEvents + 1, "bad-cursor"},
		{len(want) + 1, "seek-past-end"},
		{1000, "seek-past-end"},
	} {
		err := f.s.seek(tc.n)
		ue, ok := err.(*userError)
		if !ok || ue.code != tc.code {
			t.Errorf("seek %d: %v, want %s", tc.n, err, tc.code)
			continue
		}
		if tc.code == "seek-past-end" && ue.args["events"] != len(want) {
			t.Errorf("seek %d: args %v, want events %d", tc.n, ue.args, len(want))
		}
		if msgs := f.out.drain(); len(msgs) != 0 {
			t.Errorf("refused seek %d sent %v", tc.n, msgs)
		}
	}
	f.ok(f.s.step())
	if evs, _ := events(t, f.out.drain()); len(evs) != 1 || evs[0] != want[4] {
		t.Fatalf("step after refused seeks gave %v, want %s", evs, want[4])
	}
}

// TestSessionSeekUndoesActions: seeking back before a call undoes it;
// seeking forward again replays the run without it.
func TestSessionSeekUndoesActions(t *testing.T) {
	f := newSessionFixture(t)
	f.load(interactive(t))
	f.ok(f.s.call(engine.Server, engine.CallListen, ""))
	f.ok(f.s.call(engine.Client, engine.CallConnect, ""))
	evs, _ := events(t, f.out.drain())
	if _, cursor := f.seekTo(1); cursor != 1 || len(f.s.sim.Scenario().Live) != 1 {
		t.Fatalf("seek 1 after %d events: rewound %d, %d actions kept", len(evs), cursor, len(f.s.sim.Scenario().Live))
	}
	// listen made 2 events; the connect that followed is gone.
	if err := f.s.seek(3); err == nil {
		t.Fatal("seek past the end of a run whose connect was undone succeeded")
	}
	if evs, cursor := f.seekTo(2); cursor != 2 || len(evs) != 1 {
		t.Fatalf("seek 2: rewound %d with %d events", cursor, len(evs))
	}
}

// TestSessionSeekWaitsForReader: a long forward seek goes no faster than
// the user reads; no message is lost or overflows the queue.
func TestSessionSeekWaitsForReader(t *testing.T) {
	f := newSessionFixture(t)
	f.out.limit = 8
	want := f.loadBuiltin("syn-flood-backlog")
	if len(want) < 40 {
		t.Fatalf("only %d events", len(want))
	}
	n := len(want) - 3
	f.ok(f.s.seek(n))
	var got []string
	var cursor int
	for range 10_000 {
		for _, m := range f.out.drain() {
			switch m.Type {
			case msgEvent:
				got = append(got, string(m.Event))
			case msgRewound:
				cursor = *m.Cursor
			}
		}
		if cursor != 0 {
			break
		}
		f.clock.advance(time.Millisecond)
	}
	if f.out.overflow || cursor != n || !slices.Equal(got, want[:n]) {
		t.Fatalf("overflow %v, rewound %d, %d events: want no overflow, %d and %d events", f.out.overflow, cursor, len(got), n, n)
	}
}
