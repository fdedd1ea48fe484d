package loadtest

import (
	"context"
	"slices"
	"testing"
	"time"
)

const (
	// roomViewers is the room load test's number of viewers.
	roomViewers = 500
	// smallRoomViewers is the always-on version's.
	smallRoomViewers = 50
	// fanoutTarget is the p99 fan-out time the room load test asks for:
	// from the presenter's step read by the server to the last viewer's
	// copy written to its socket.
	fanoutTarget = 20 * time.Millisecond
	// roomResumes is how often the presenter drops and comes back.
	roomResumes = 2
)

// roomScenarios are what the presenter steps through: 152 messages.
var roomScenarios = []string{"client-closes-first", "syn-lost", "simultaneous-close", "time-wait-expiry"}

func roomFanout(tb testing.TB, s *Server, n int) RoomReport {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := s.RoomFanout(ctx, n, roomScenarios, roomResumes)
	if err != nil {
		tb.Fatalf("%v\n%s", err, s.Logs())
	}
	if r.Complete != n || r.Lost != 0 || r.Dropped != 0 || len(r.Fanout) != r.Messages+2*r.Resumes || r.Resumes != roomResumes {
		tb.Fatalf("%v\n%v", r, r.Errors)
	}
	return r
}

// TestRoomFanout is the always-on version: 50 viewers follow a presenter,
// who drops and comes back twice, and receive every message in order.
func TestRoomFanout(t *testing.T) {
	s := startServer(t)
	t.Log(roomFanout(t, s, smallRoomViewers))
}

// TestRoomFanout500: one presenter and 500 viewers; the presenter drops and
// comes back twice; every viewer receives every message in order, and the
// server fans each out to all of them within 20 ms (p99).
func TestRoomFanout500(t *testing.T) {
	if !bigLoad() {
		t.Skip("the 500-viewer room load test runs with -loadtest or SYNACK_LOADTEST=1")
	}
	s := startServer(t)
	r := roomFanout(t, s, roomViewers)
	t.Log(r)
	if r.P99 > fanoutTarget {
		t.Errorf("fan-out p99 %v, want at most %v", r.P99, fanoutTarget)
	}
}

// BenchmarkRoomFanout500 reports the fan-out times of a room of 500
// viewers. Run it with -benchtime=1x: one iteration takes seconds.
func BenchmarkRoomFanout500(b *testing.B) {
	s := startServer(b)
	var all RoomReport
	for b.Loop() {
		r := roomFanout(b, s, roomViewers)
		b.Log(r)
		all.Fanout = append(all.Fanout, r.Fanout...)
		all.Lost += r.Lost
	}
	reportTimes(b, all.Fanout, all.Lost)
}

// reportTimes reports the p50, p99 and greatest of times, and the messages
// lost, as the benchmark's metrics.
func reportTimes(b *testing.B, times []time.Duration, lost int) {
	sorted := slices.Sorted(slices.Values(times))
	b.ReportMetric(float64(percentile(sorted, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(sorted, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(sorted[len(sorted)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(lost), "lost")
}
