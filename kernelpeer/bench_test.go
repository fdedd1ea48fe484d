package kernelpeer

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/engine/wire"
	"github.com/synack/synack/scenarios"
)

// BenchmarkRunSetup is what a run costs beyond its virtual time: a
// namespace, a TUN device that carries packets, the sock_diag socket, and
// their removal (connection-refused cut at 1 ms).
func BenchmarkRunSetup(b *testing.B) {
	if err := Available(); err != nil {
		b.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	sc, _ := scenarios.Get("connection-refused")
	for b.Loop() {
		if _, err := Run(context.Background(), sc, engine.Server, Options{Horizon: time.Millisecond}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKernelAnswer writes a SYN to a listening kernel through the TUN
// device and reads its SYN,ACK back: the time per answer, and how often the
// answer is there as soon as the write returns (immediate-%), which is what
// lets a run stamp the kernel's immediate answers with their cause's time.
func BenchmarkKernelAnswer(b *testing.B) {
	if err := Available(); err != nil {
		b.Skipf("the Linux kernel cannot be a peer on this machine: %v", err)
	}
	ns, err := newNetns()
	if err != nil {
		b.Fatal(err)
	}
	defer ns.close()
	server := netip.MustParseAddrPort("10.0.0.2:80")
	client := netip.MustParseAddr("10.0.0.1")
	t, err := newTUN(ns, server.Addr(), 1500)
	if err != nil {
		b.Fatal(err)
	}
	defer t.close()
	if err := t.waitReady(ns, client); err != nil {
		b.Fatal(err)
	}
	a := newApp(ns, server, netip.AddrPortFrom(client, 40000), 4096)
	defer a.close()
	if res, _ := a.call(engine.Step{Call: engine.CallListen}); res != "ok" {
		b.Fatal(res)
	}
	immediate, port := 0, uint16(1024)
	for b.Loop() {
		port++
		if port == 0 {
			port = 1025
		}
		syn := wire.Packet{Src: client, Dst: server.Addr(), TTL: 64, TCP: wire.Segment{
			SrcPort: port, DstPort: server.Port(), Seq: 1000, Flags: wire.SYN, Window: 65535,
			Options: []wire.Option{{Kind: wire.MSS, Value: 1460}},
		}}
		pkt, err := syn.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		if err := t.write(pkt); err != nil {
			b.Fatal(err)
		}
		got, err := t.read()
		if err != nil {
			b.Fatal(err)
		}
		if got != nil {
			immediate++
		}
		for got == nil {
			if _, err := t.wait(time.Second); err != nil {
				b.Fatal(err)
			}
			if got, err = t.read(); err != nil {
				b.Fatal(err)
			}
		}
		// Reset the half-open connection so the SYN queue stays short.
		rst := wire.Packet{Src: client, Dst: server.Addr(), TTL: 64, TCP: wire.Segment{
			SrcPort: port, DstPort: server.Port(), Seq: 1001, Flags: wire.RST,
		}}
		if pkt, err = rst.Marshal(); err == nil {
			err = t.write(pkt)
		}
		if err != nil && err != unix.EAGAIN {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*float64(immediate)/float64(b.N), "immediate-%")
}
