package kernelpeer

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

func needKernel(t *testing.T) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// TestRunCleansUp: a run leaves no descriptor behind (namespace, device,
// sockets, sock_diag), whether it ends at its horizon or is cancelled.
func TestRunCleansUp(t *testing.T) {
	needKernel(t)
	sc, _ := scenarios.Get("client-closes-first")
	before := openFDs(t)

	var batches, events int
	rep, err := Run(context.Background(), sc, engine.Server, Options{
		Horizon:  300 * time.Millisecond,
		OnEvents: func(evs []engine.Event) { batches++; events += len(evs) },
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Trace
	if events != len(tr.Events) || batches == 0 {
		t.Errorf("OnEvents got %d events in %d batches, the trace has %d", events, batches, len(tr.Events))
	}
	if last := tr.Events[len(tr.Events)-1].T; last.Ms() > 300 {
		t.Errorf("last event at %v ms, past the 300 ms horizon", last.Ms())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Run(ctx, sc, engine.Client, Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled run: err = %v, want the context's", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled run took %v to return", d)
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after the runs, %d before", after, before)
	}
}
