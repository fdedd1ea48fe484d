package web

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/synack/synack/scenarios"
)

// countingLimiter counts the replays a session makes.
type countingLimiter struct{ n int }

func (l *countingLimiter) acquire(context.Context) error { l.n++; return nil }
func (l *countingLimiter) release()                      {}

// TestSessionBackCostsTheStep: a back that undoes no call or fault only
// moves the cursor, so stepping back and forth replays nothing; a call
// after it replays once, and acts on the run as it was at the cursor.
func TestSessionBackCostsTheStep(t *testing.T) {
	for _, sc := range scenarios.All() {
		t.Run(sc.ID, func(t *testing.T) {
			f := newSessionFixture(t)
			want := f.load(sc)
			replays := &countingLimiter{}
			f.s.replays = replays
			if got := f.stepAll(); !slices.Equal(got, want) {
				t.Fatalf("stepped:\n%s", firstDiff(got, want))
			}
			n := len(want)
			back := min(3, n)
			for range back {
				f.ok(f.s.back())
			}
			f.out.drain()
			var again []string
			for range back {
				f.ok(f.s.step())
				evs, _ := events(t, f.out.drain())
				again = append(again, evs...)
			}
			if !slices.Equal(again, want[n-back:]) {
				t.Fatalf("after %d backs, stepped:\n%s", back, firstDiff(again, want[n-back:]))
			}
			if replays.n != 0 {
				t.Errorf("%d backs and steps replayed the run %d times", back, replays.n)
			}

			// A call after a back acts where the cursor is: as a session
			// that stepped only that far does.
			cursor := n / 2
			f.ok(f.s.seek(cursor))
			f.out.drain()
			f.ok(f.s.call("client", "abort", ""))
			lazy, _ := events(t, f.out.drain())
			if replays.n != 1 {
				t.Errorf("a call after the seek back replayed %d times, want 1", replays.n)
			}
			g := newSessionFixture(t)
			g.load(sc)
			for range cursor {
				f.ok(g.s.step())
			}
			g.out.drain()
			g.ok(g.s.call("client", "abort", ""))
			direct, _ := events(t, g.out.drain())
			if !slices.Equal(lazy, direct) {
				t.Fatalf("the call after the seek back:\n%s", firstDiff(lazy, direct))
			}
		})
	}
}

// TestSessionAllowance: a session that has made the engine work more than
// its allowance is refused engine commands until it refills.
func TestSessionAllowance(t *testing.T) {
	f := newSessionFixture(t)
	f.loadBuiltin("client-closes-first")
	f.s.allowance = newWorkAllowance(f.clock.Now())
	f.s.allowance.spend(f.clock.Now(), allowanceBurst+1)
	for name, cmd := range map[string]func() error{
		"step": f.s.step,
		"play": func() error { return f.s.playAt(1, false) },
		"call": func() error { return f.s.call("client", "connect", "") },
	} {
		var ue *userError
		if err := cmd(); !errors.As(err, &ue) || ue.code != "session-busy" {
			t.Errorf("%s while overdrawn: %v, want session-busy", name, err)
		}
	}
	f.clock.advance(time.Second)
	f.ok(f.s.step())
	if work, _ := f.s.sim.Spent(); work == 0 || f.s.charged != work {
		t.Errorf("the step's work %d, charged %d", work, f.s.charged)
	}
}
