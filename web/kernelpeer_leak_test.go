package web

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/kernelpeer"
)

// kernelHoldings counts what a run against the kernel holds while it goes
// on: the process's open descriptors, those of them that are network
// namespaces or TUN devices, and the process's threads that are in a
// network namespace other than the process's own.
type kernelHoldings struct {
	fds, netns, tuns, threadsAway int
}

func holdings(t *testing.T) kernelHoldings {
	t.Helper()
	var h kernelHoldings
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		h.fds++
		to, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		switch {
		case strings.HasPrefix(to, "net:["):
			h.netns++
		case to == "/dev/net/tun":
			h.tuns++
		}
	}
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		ns, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/net")
		if err == nil && ns != own {
			h.threadsAway++
		}
	}
	return h
}

// TestKernelPeerAbruptClose runs waves of runs against the kernel through
// a real HTTP server (both roles, built-in and posted scenarios, whole and
// live answers) and has
// each client go away mid-run: its request cancelled, or its TCP
// connection dropped without a word. Afterwards no namespace, TUN device,
// descriptor, thread in a namespace or goroutine is left behind, and the
// slots are free.
func TestKernelPeerAbruptClose(t *testing.T) {
	if err := kernelpeer.Available(); err != nil {
		t.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	s := newTestServer(t, Config{KernelPeer: true})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	runtime.GC()
	before, goroutines := holdings(t), runtime.NumGoroutine()

	posted := `{"seed": 3, "steps": [{"at_ms": 0, "endpoint": "server", "call": "listen"},
		{"at_ms": 0, "endpoint": "client", "call": "connect"}, {"at_ms": 900, "endpoint": "client", "call": "close"}]}`
	targets := []struct{ method, path, body string }{
		{"GET", "/api/kernel/scenarios/client-closes-first/trace", ""},
		{"GET", "/api/kernel/scenarios/syn-lost/trace?role=client&format=ndjson", ""},
		{"POST", "/api/kernel/run?role=client", posted},
		{"POST", "/api/kernel/run?format=ndjson", posted},
		{"GET", "/api/kernel/scenarios/synack-lost/trace?role=client", ""},
		{"GET", "/api/kernel/scenarios/simultaneous-close/trace", ""},
	}
	const waves = 4
	var ran int
	for wave := range waves {
		// Two at once: the server's limit. Each goes away at a different
		// point of its run, setup included.
		done := make(chan error, 2)
		for i := range 2 {
			tg := targets[(2*wave+i)%len(targets)]
			after := time.Duration(30+170*(2*wave+i)) * time.Millisecond
			if (wave+i)%2 == 0 {
				go func() { done <- cancelledRequest(client, ts.URL, tg.method, tg.path, tg.body, after) }()
			} else {
				go func() { done <- droppedConnection(ts.Listener.Addr().String(), tg.method, tg.path, tg.body, after) }()
			}
		}
		for range 2 {
			if err := <-done; err != nil {
				t.Error(err)
			}
			ran++
		}
		// The server lets each run go once it sees its client gone.
		waitUntil(t, 5*time.Second, "the kernel's slots to be free", func() bool { return len(s.kernel.slots) == 0 })
	}

	var after kernelHoldings
	var left int
	waitUntil(t, 5*time.Second, "the runs' descriptors, threads and goroutines to go", func() bool {
		client.CloseIdleConnections()
		after, left = holdings(t), runtime.NumGoroutine()
		return after == before && left <= goroutines
	})
	t.Logf("%d runs abandoned mid-run; before: %+v, %d goroutines; after: %+v, %d goroutines", ran, before, goroutines, after, left)
	if after.netns != 0 || after.tuns != 0 || after.threadsAway != 0 {
		t.Errorf("after the runs: %d namespace descriptors, %d TUN devices, %d threads in another namespace, want none", after.netns, after.tuns, after.threadsAway)
	}
	if after.fds != before.fds {
		t.Errorf("%d descriptors open after the runs, %d before", after.fds, before.fds)
	}
	if left > goroutines {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after the runs, %d before:\n%s", left, goroutines, buf[:runtime.Stack(buf, true)])
	}
}

// cancelledRequest makes a request and cancels it after d: the client goes
// away as a closed browser tab does. A live answer (?format=ndjson) is
// read as it comes until then; an answer that ends before d is an error.
func cancelledRequest(c *http.Client, base, method, path, body string, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return nil
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil && ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("%s %s answered %d, all of it, before it was cancelled after %v", method, path, res.StatusCode, d)
}

// droppedConnection writes a request on a TCP connection of its own and
// closes the connection after d without reading the answer.
func droppedConnection(addr, method, path, body string, d time.Duration) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", method, path, addr, len(body), body)
	if _, err := conn.Write([]byte(req)); err != nil {
		conn.Close()
		return err
	}
	time.Sleep(d)
	// RST instead of FIN where the kernel lets us: nothing is said.
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	return conn.Close()
}

// waitUntil polls cond until it holds or d has passed.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("waited %v for %s", d, what)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
