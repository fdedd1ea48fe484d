package web

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/synack/synack/engine"
)

// runner runs users' scenarios, at most a fixed number at once. A run that
// cannot start within the wait gives up with errBusy.
type runner struct {
	slots   chan struct{}
	wait    time.Duration
	refused atomic.Int64 // runs that found no slot in time
}

func newRunner(maxRuns int, wait time.Duration) *runner {
	return &runner{slots: make(chan struct{}, maxRuns), wait: wait}
}

// result is what one engine run returned.
type result struct {
	trace *engine.Trace
	work  int64
	err   error
}

// run runs sc when a slot is free. When ctx ends first, run returns at once
// while the engine finishes in the background, still holding its slot, so
// that abandoned runs count against the limit until they really end.
func (rn *runner) run(ctx context.Context, sc *engine.Scenario) (*engine.Trace, error) {
	tr, _, err := rn.runWork(ctx, sc)
	return tr, err
}

// runWork is run, reporting also the engine's work (engine.Sim.Spent's
// units), whether the run succeeded or not.
func (rn *runner) runWork(ctx context.Context, sc *engine.Scenario) (*engine.Trace, int64, error) {
	if err := rn.acquire(ctx); err != nil {
		return nil, 0, err
	}
	done := make(chan result, 1)
	go func() {
		defer rn.release()
		tr, work, err := runEngineWork(sc)
		done <- result{tr, work, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, res.work, res.err
		}
		return res.trace, res.work, nil
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("running scenario: %w", ctx.Err())
	}
}

func (rn *runner) acquire(ctx context.Context) error {
	wait := time.NewTimer(rn.wait)
	defer wait.Stop()
	select {
	case rn.slots <- struct{}{}:
		return nil
	case <-wait.C:
		rn.refused.Add(1)
		return errBusy
	case <-ctx.Done():
		return fmt.Errorf("waiting to run: %w", ctx.Err())
	}
}

func (rn *runner) release() { <-rn.slots }

// runEngine calls engine.Run, turning its errors into runErrors and a panic
// into a panicError, so that no scenario can take the server down.
func runEngine(sc *engine.Scenario) (*engine.Trace, error) {
	tr, _, err := runEngineWork(sc)
	return tr, err
}

// runEngineWork is runEngine, reporting also the engine's work.
func runEngineWork(sc *engine.Scenario) (tr *engine.Trace, work int64, err error) {
	defer func() {
		if v := recover(); v != nil {
			tr, err = nil, &panicError{value: v, stack: debug.Stack()}
		}
	}()
	sim, err := engine.NewSim(sc)
	if err != nil {
		return nil, 0, &runError{err: err}
	}
	err = sim.RunToEnd()
	work, _ = sim.Spent()
	if err != nil {
		return nil, work, &runError{err: err}
	}
	return sim.Trace(), work, nil
}
