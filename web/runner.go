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
	err   error
}

// run runs sc when a slot is free. When ctx ends first, run returns at once
// while the engine finishes in the background, still holding its slot, so
// that abandoned runs count against the limit until they really end.
func (rn *runner) run(ctx context.Context, sc *engine.Scenario) (*engine.Trace, error) {
	if err := rn.acquire(ctx); err != nil {
		return nil, err
	}
	done := make(chan result, 1)
	go func() {
		defer rn.release()
		tr, err := runEngine(sc)
		done <- result{tr, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, res.err
		}
		return res.trace, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("running scenario: %w", ctx.Err())
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
func runEngine(sc *engine.Scenario) (tr *engine.Trace, err error) {
	defer func() {
		if v := recover(); v != nil {
			tr, err = nil, &panicError{value: v, stack: debug.Stack()}
		}
	}()
	tr, err = engine.Run(sc)
	if err != nil {
		return nil, &runError{err: err}
	}
	return tr, nil
}
