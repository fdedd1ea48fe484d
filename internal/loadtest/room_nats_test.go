package loadtest

import (
	"context"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

const (
	// acrossViewers is the multi-instance room load test's number of
	// viewers, spread over acrossInstances instances.
	acrossViewers      = 1500
	smallAcrossViewers = 60
	acrossInstances    = 3
	// acrossTarget is the p99 it asks for, end to end: from the
	// presenter's command sent to the last viewer's copy read.
	acrossTarget = 50 * time.Millisecond
)

// startAcross starts an embedded NATS server and three server binaries
// connected to it: the first is the presenter's.
func startAcross(tb testing.TB) []*Server {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds and starts the server binary")
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("the NATS server did not start")
	}
	tb.Cleanup(ns.Shutdown)
	servers := make([]*Server, acrossInstances)
	for i := range servers {
		servers[i] = startServer(tb, "-nats-url", ns.ClientURL())
	}
	return servers
}

func roomFanoutAcross(tb testing.TB, servers []*Server, n int) RoomReport {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := servers[0].RoomFanoutAcross(ctx, servers, n, roomScenarios, 0)
	if err != nil {
		tb.Fatalf("%v\n%s", err, servers[0].Logs())
	}
	if r.Complete != n || r.Lost != 0 || r.Dropped != 0 {
		tb.Fatalf("%v\n%v", r, r.Errors)
	}
	return r
}

// TestRoomAcrossInstances is the always-on version: 60 viewers on three
// instances follow a presenter on the first, through NATS, and receive
// every message in order.
func TestRoomAcrossInstances(t *testing.T) {
	t.Log(roomFanoutAcross(t, startAcross(t), smallAcrossViewers))
}

// TestRoomAcrossInstances1500: 1,500 viewers, 500 on each of three
// instances; none loses a message, and the p99 end to end is under 50 ms.
func TestRoomAcrossInstances1500(t *testing.T) {
	if !bigLoad() {
		t.Skip("the 1,500-viewer room load test runs with -loadtest or SYNACK_LOADTEST=1")
	}
	r := roomFanoutAcross(t, startAcross(t), acrossViewers)
	t.Log(r)
	if r.E2EP99 > acrossTarget {
		t.Errorf("end-to-end p99 %v, want at most %v", r.E2EP99, acrossTarget)
	}
}

// BenchmarkRoomAcross1500 reports the times of a room of 1,500 viewers on
// three instances. Run it with -benchtime=1x.
func BenchmarkRoomAcross1500(b *testing.B) {
	servers := startAcross(b)
	var all RoomReport
	for b.Loop() {
		r := roomFanoutAcross(b, servers, acrossViewers)
		b.Log(r)
		all.EndToEnd = append(all.EndToEnd, r.EndToEnd...)
		all.Lost += r.Lost
	}
	reportTimes(b, all.EndToEnd, all.Lost)
}
