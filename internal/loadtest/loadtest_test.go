package loadtest

import (
	"context"
	"flag"
	"os"
	"sync"
	"testing"
	"time"
)

// The 1,000-session load test runs only when asked:
//
//	go test ./internal/loadtest -loadtest -v
//	SYNACK_LOADTEST=1 go test ./internal/loadtest -v
//
// and its benchmarks with -bench (see README, "Live sessions").
var loadFlag = flag.Bool("loadtest", false, "run the 1,000-session load test")

func bigLoad() bool { return *loadFlag || os.Getenv("SYNACK_LOADTEST") != "" }

const (
	// bigSessions is the load test's number of concurrent sessions.
	bigSessions = 1000
	// smallSessions is the always-on version's.
	smallSessions = 100
	// idleTarget is the most memory (heap and stacks in use) that an idle
	// loaded session may hold in the server.
	idleTarget = 32 << 10
)

// binary builds the server once for all tests of the package.
var binary = struct {
	once sync.Once
	dir  string
	path string
	err  error
}{}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// startServer builds and starts the server binary, stopped when the test
// ends.
func startServer(tb testing.TB, args ...string) *Server {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds and starts the server binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "synack-loadtest-")
		if binary.err == nil {
			binary.path, binary.err = Build(ctx, binary.dir)
		}
	})
	if binary.err != nil {
		tb.Fatal(binary.err)
	}
	// Every session of a load test comes from one address.
	s, err := Start(ctx, binary.path, append([]string{"-max-sessions-per-client", "2000"}, args...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("server: %v\n%s", err, s.Logs())
		}
	})
	return s
}

func playMax(tb testing.TB, s *Server, n int) PlayReport {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := s.PlayMax(ctx, n)
	if err != nil {
		tb.Fatalf("%v\n%s", err, s.Logs())
	}
	if r.Completed != n || r.Lost != 0 {
		tb.Fatalf("%v\n%v", r, r.Errors)
	}
	return r
}

func idleMemory(tb testing.TB, s *Server, n int) IdleReport {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := s.IdleMemory(ctx, n)
	if err != nil {
		tb.Fatalf("%v\n%s", err, s.Logs())
	}
	return r
}

// TestPlayMax is the always-on version: 100 concurrent sessions at max
// speed, every event delivered in order.
func TestPlayMax(t *testing.T) {
	s := startServer(t)
	t.Log(playMax(t, s, smallSessions))
}

// TestLoad: 1,000 concurrent sessions at max speed lose no event, and an
// idle loaded session holds at most 32 KiB in the server.
func TestLoad(t *testing.T) {
	if !bigLoad() {
		t.Skip("the 1,000-session load test runs with -loadtest or SYNACK_LOADTEST=1")
	}
	s := startServer(t)
	t.Log(playMax(t, s, bigSessions))
	idle := idleMemory(t, s, bigSessions)
	t.Log(idle)
	if idle.PerSession() > idleTarget {
		t.Errorf("%.0f B per idle session, want at most %d", idle.PerSession(), idleTarget)
	}
}

// BenchmarkPlayMax1000 plays 1,000 concurrent sessions at max speed. Run
// it with -benchtime=1x: one iteration takes seconds.
func BenchmarkPlayMax1000(b *testing.B) {
	s := startServer(b)
	var received, lost, runs int
	var wall time.Duration
	for b.Loop() {
		r := playMax(b, s, bigSessions)
		received, lost, wall, runs = received+r.Received, lost+r.Lost, wall+r.Wall, runs+1
	}
	b.ReportMetric(float64(received)/wall.Seconds(), "events/s")
	b.ReportMetric(wall.Seconds()/float64(runs), "s/play")
	b.ReportMetric(float64(lost), "lost")
}

// BenchmarkIdleSessionMemory measures the heap and stack that 1,000 idle
// loaded sessions hold in the server, per session.
func BenchmarkIdleSessionMemory(b *testing.B) {
	s := startServer(b)
	var perSession, goroutines float64
	runs := 0
	for b.Loop() {
		r := idleMemory(b, s, bigSessions)
		b.Log(r)
		perSession += r.PerSession()
		goroutines += float64(r.After.Goroutines-r.Before.Goroutines) / float64(r.Sessions)
		runs++
	}
	b.ReportMetric(perSession/float64(runs), "B/session")
	b.ReportMetric(goroutines/float64(runs), "goroutines/session")
}
