// Package loadtest drives a synack server binary, run as a child process,
// with many concurrent live sessions: the load tests and benchmarks beside
// this file use it (README, "Live sessions").
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// Build compiles the module's ./cmd/server into dir and returns the
// binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(dir, "synack-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/server")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/server: %w\n%s", err, out)
	}
	return bin, nil
}

// Server is a synack server running in a child process, on loopback ports
// of its own choosing.
type Server struct {
	Addr      string // the HTTP server's host:port
	DebugAddr string // expvar and pprof
	cmd       *exec.Cmd
	exited    chan struct{}
	err       error // how the process ended, once exited is closed

	mu   sync.Mutex
	logs []string // the last lines of its log
}

// The log lines that name the addresses the server listens on.
var (
	servingLine = regexp.MustCompile(`msg=serving addr=(\S+)`)
	debugLine   = regexp.MustCompile(`msg="serving debug endpoints" addr=(\S+)`)
)

// Start runs the server binary bin with -debug-addr, both on free loopback
// ports, and args, and waits until it serves.
func Start(ctx context.Context, bin string, args ...string) (*Server, error) {
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-debug-addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &Server{cmd: cmd, exited: make(chan struct{})}
	addrs := make(chan [2]string, 1)
	go s.readLog(stderr, addrs)
	select {
	case a := <-addrs:
		s.Addr, s.DebugAddr = a[0], a[1]
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("the server exited: %v\n%s", s.err, s.Logs())
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("waiting for the server: %w", ctx.Err())
	}
}

// readLog keeps the last lines of the server's log, reports its addresses
// once both are known, and waits for the process when the log ends.
func (s *Server) readLog(r io.Reader, addrs chan<- [2]string) {
	var addr, debug string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		s.mu.Lock()
		s.logs = append(s.logs, line)
		if len(s.logs) > 100 {
			s.logs = s.logs[len(s.logs)-50:]
		}
		s.mu.Unlock()
		if addrs == nil {
			continue
		}
		if m := servingLine.FindStringSubmatch(line); m != nil {
			addr = m[1]
		}
		if m := debugLine.FindStringSubmatch(line); m != nil {
			debug = m[1]
		}
		if addr != "" && debug != "" {
			addrs <- [2]string{addr, debug}
			addrs = nil
		}
	}
	_, _ = io.Copy(io.Discard, r)
	s.err = s.cmd.Wait()
	close(s.exited)
}

// Logs returns the last lines the server logged.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.logs, "\n")
}

// Stop asks the server to shut down (SIGTERM) and kills it if it has not
// within 20 s. It returns how the process ended.
func (s *Server) Stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("the server did not stop within 20 s of SIGTERM")
	}
	return s.err
}

// URL is the server's address for path.
func (s *Server) URL(path string) string { return "http://" + s.Addr + path }

// Expected returns the events /api/run gives for the built-in scenario id,
// as JSON.
func (s *Server) Expected(ctx context.Context, id string) ([]json.RawMessage, error) {
	doc, err := s.get(ctx, s.URL("/api/scenarios/"+id))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL("/api/run"), bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	body, err := do(req)
	if err != nil {
		return nil, err
	}
	var tr struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("/api/run for %s: %w", id, err)
	}
	return tr.Events, nil
}

// Scenarios lists the ids of the built-in scenarios.
func (s *Server) Scenarios(ctx context.Context) ([]string, error) {
	body, err := s.get(ctx, s.URL("/api/scenarios"))
	if err != nil {
		return nil, err
	}
	var list []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, err
	}
	ids := make([]string, len(list))
	for i, sc := range list {
		ids[i] = sc.ID
	}
	return ids, nil
}

func (s *Server) get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return do(req)
}

func do(req *http.Request) ([]byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL, resp.Status, body)
	}
	return body, nil
}

// Memory is what the server's runtime reports about its memory.
type Memory struct {
	HeapInuse  uint64
	StackInuse uint64
	Goroutines int
}

// InUse is the memory that sessions hold: heap spans and goroutine stacks
// in use.
func (m Memory) InUse() uint64 { return m.HeapInuse + m.StackInuse }

var goroutineTotal = regexp.MustCompile(`goroutine profile: total (\d+)`)

// Memory reads the server's memory after a garbage collection: pprof's heap
// profile with gc=1 collects first, then expvar gives runtime.MemStats.
func (s *Server) Memory(ctx context.Context) (Memory, error) {
	if _, err := s.get(ctx, "http://"+s.DebugAddr+"/debug/pprof/heap?gc=1"); err != nil {
		return Memory{}, err
	}
	body, err := s.get(ctx, "http://"+s.DebugAddr+"/debug/vars")
	if err != nil {
		return Memory{}, err
	}
	var vars struct {
		MemStats struct {
			HeapInuse  uint64
			StackInuse uint64
		} `json:"memstats"`
	}
	if err := json.Unmarshal(body, &vars); err != nil {
		return Memory{}, fmt.Errorf("/debug/vars: %w", err)
	}
	body, err = s.get(ctx, "http://"+s.DebugAddr+"/debug/pprof/goroutine?debug=1")
	if err != nil {
		return Memory{}, err
	}
	m := goroutineTotal.FindSubmatch(body)
	if m == nil {
		return Memory{}, errors.New("no goroutine total in the goroutine profile")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return Memory{HeapInuse: vars.MemStats.HeapInuse, StackInuse: vars.MemStats.StackInuse, Goroutines: n}, nil
}

// Session is one live session's client.
type Session struct {
	conn *websocket.Conn
	id   string
}

// message is any message from the server, with the parts a load test reads.
type message struct {
	Type    string          `json:"type"`
	Event   json.RawMessage `json:"event"`
	Message string          `json:"message"`
}

// readTimeout bounds the wait for one message.
const readTimeout = 60 * time.Second

// Open opens a session and loads the built-in scenario id.
func (s *Server) Open(ctx context.Context, id string) (*Session, error) {
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+s.Addr+"/ws", nil)
	if err != nil {
		return nil, fmt.Errorf("opening a session: %w", err)
	}
	ss := &Session{conn: conn, id: id}
	if err := ss.send(`{"type": "load", "scenario": "` + id + `"}`); err != nil {
		conn.Close()
		return nil, err
	}
	m, err := ss.read()
	if err == nil && m.Type != "loaded" {
		err = fmt.Errorf("load %s answered %s %s", id, m.Type, m.Message)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return ss, nil
}

// Close ends the session.
func (ss *Session) Close() error { return ss.conn.Close() }

func (ss *Session) send(cmd string) error {
	_ = ss.conn.SetWriteDeadline(time.Now().Add(readTimeout))
	return ss.conn.WriteMessage(websocket.TextMessage, []byte(cmd))
}

func (ss *Session) read() (message, error) {
	_ = ss.conn.SetReadDeadline(time.Now().Add(readTimeout))
	var m message
	_, b, err := ss.conn.ReadMessage()
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("message %.100s: %w", b, err)
	}
	return m, nil
}

// PlayResult is what one session received when played at max speed.
type PlayResult struct {
	Received int  // events received
	Matched  int  // events equal to the expected ones, in order, from the first
	Done     bool // done came after them
	Err      error
}

// PlayMax plays the session at max speed to done, comparing the events with
// want in order.
func (ss *Session) PlayMax(want []json.RawMessage) PlayResult {
	var r PlayResult
	if r.Err = ss.send(`{"type": "play", "speed": "max"}`); r.Err != nil {
		return r
	}
	inOrder := true
	for {
		m, err := ss.read()
		if err != nil {
			r.Err = err
			return r
		}
		switch m.Type {
		case "event":
			if inOrder && r.Received < len(want) && bytes.Equal(m.Event, want[r.Received]) {
				r.Matched++
			} else {
				inOrder = false
			}
			r.Received++
		case "done":
			r.Done = true
			return r
		default:
			r.Err = fmt.Errorf("%s: unexpected %s message %q", ss.id, m.Type, m.Message)
			return r
		}
	}
}

// PlayReport sums up a run of many sessions at max speed.
type PlayReport struct {
	Sessions  int           // sessions opened
	Completed int           // sessions that received every event, in order, then done
	Expected  int           // events all sessions should have received
	Received  int           // events received
	Lost      int           // expected events not received in order
	Open      time.Duration // to open and load every session
	Wall      time.Duration // from the first play to the last done
	Errors    []error       // the first few
}

// EventsPerSecond is the events received per second of Wall.
func (r PlayReport) EventsPerSecond() float64 { return float64(r.Received) / r.Wall.Seconds() }

func (r PlayReport) String() string {
	return fmt.Sprintf("%d sessions, %d completed; %d events of %d received, %d lost; opened in %v, played in %v (%.0f events/s)",
		r.Sessions, r.Completed, r.Received, r.Expected, r.Lost, r.Open.Round(time.Millisecond),
		r.Wall.Round(time.Millisecond), r.EventsPerSecond())
}

// maxDialing bounds the handshakes in progress at once, so that opening
// many sessions does not overflow the listener's backlog.
const maxDialing = 64

// OpenMany opens n sessions, the ith loading ids[i % len(ids)], at most
// maxDialing at a time. On error it closes those it opened.
func (s *Server) OpenMany(ctx context.Context, n int, ids []string) ([]*Session, error) {
	sessions := make([]*Session, n)
	errs := make([]error, n)
	sem := make(chan struct{}, maxDialing)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sessions[i], errs[i] = s.Open(ctx, ids[i%len(ids)])
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, ss := range sessions {
			if ss != nil {
				ss.Close()
			}
		}
		return nil, err
	}
	return sessions, nil
}

// PlayMax opens n concurrent sessions over the built-in scenarios in turn,
// then plays them all at max speed at once, and checks that each receives
// every event /api/run gives for its scenario, in order, then done.
func (s *Server) PlayMax(ctx context.Context, n int) (PlayReport, error) {
	ids, err := s.Scenarios(ctx)
	if err != nil {
		return PlayReport{}, err
	}
	want := make(map[string][]json.RawMessage, len(ids))
	for _, id := range ids {
		if want[id], err = s.Expected(ctx, id); err != nil {
			return PlayReport{}, err
		}
	}
	r := PlayReport{Sessions: n}
	start := time.Now()
	sessions, err := s.OpenMany(ctx, n, ids)
	if err != nil {
		return r, err
	}
	r.Open = time.Since(start)
	defer func() {
		for _, ss := range sessions {
			ss.Close()
		}
	}()
	results := make([]PlayResult, n)
	var wg sync.WaitGroup
	start = time.Now()
	for i, ss := range sessions {
		wg.Go(func() { results[i] = ss.PlayMax(want[ss.id]) })
	}
	wg.Wait()
	r.Wall = time.Since(start)
	for i, res := range results {
		expected := len(want[sessions[i].id])
		r.Expected += expected
		r.Received += res.Received
		r.Lost += expected - res.Matched
		if res.Matched == expected && res.Received == expected && res.Done && res.Err == nil {
			r.Completed++
		} else if len(r.Errors) < 5 {
			r.Errors = append(r.Errors, fmt.Errorf("session %d (%s): %d of %d events in order, %d received, done %v: %v",
				i, sessions[i].id, res.Matched, expected, res.Received, res.Done, res.Err))
		}
	}
	return r, nil
}

// IdleReport is the memory that idle loaded sessions hold in the server.
type IdleReport struct {
	Sessions      int
	Before, After Memory
}

// PerSession is the heap and stack in use per idle session, in bytes.
func (r IdleReport) PerSession() float64 {
	return (float64(r.After.InUse()) - float64(r.Before.InUse())) / float64(r.Sessions)
}

func (r IdleReport) String() string {
	return fmt.Sprintf("%d idle sessions: heap+stack in use %d → %d B (%.0f B/session: heap %.0f, stack %.0f); goroutines %d → %d",
		r.Sessions, r.Before.InUse(), r.After.InUse(), r.PerSession(),
		(float64(r.After.HeapInuse)-float64(r.Before.HeapInuse))/float64(r.Sessions),
		(float64(r.After.StackInuse)-float64(r.Before.StackInuse))/float64(r.Sessions),
		r.Before.Goroutines, r.After.Goroutines)
}

// IdleMemory measures the server's memory before and after opening n
// sessions that each load a built-in scenario and then wait. Every
// built-in is loaded once first, so that the server's caches of their
// traces count as the server's, not the sessions'.
func (s *Server) IdleMemory(ctx context.Context, n int) (IdleReport, error) {
	ids, err := s.Scenarios(ctx)
	if err != nil {
		return IdleReport{}, err
	}
	warm, err := s.OpenMany(ctx, len(ids), ids)
	if err != nil {
		return IdleReport{}, err
	}
	for _, ss := range warm {
		ss.Close()
	}
	// Let the warm-up sessions end before the first reading.
	before, err := s.settledMemory(ctx)
	if err != nil {
		return IdleReport{}, err
	}
	sessions, err := s.OpenMany(ctx, n, ids)
	if err != nil {
		return IdleReport{}, err
	}
	defer func() {
		for _, ss := range sessions {
			ss.Close()
		}
	}()
	after, err := s.Memory(ctx)
	if err != nil {
		return IdleReport{}, err
	}
	return IdleReport{Sessions: n, Before: before, After: after}, nil
}

// settledMemory reads the memory once the goroutine count stops falling.
func (s *Server) settledMemory(ctx context.Context) (Memory, error) {
	m, err := s.Memory(ctx)
	for range 50 {
		if err != nil {
			return m, err
		}
		time.Sleep(20 * time.Millisecond)
		var next Memory
		next, err = s.Memory(ctx)
		if err == nil && next.Goroutines >= m.Goroutines {
			return next, nil
		}
		m = next
	}
	return m, err
}
