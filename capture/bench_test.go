package capture

import (
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// bigCapture is a raw-IP pcap of conns connections, each a handshake,
// 2×data segments of 100 bytes (data and its ACK) and a four-way close.
func bigCapture(tb testing.TB, conns, data int) []byte {
	tb.Helper()
	var pkts [][]byte
	ser := func(sport, dport uint16, fromClient bool, seq, ack uint32, syn, fin bool, payload []byte) {
		src, dst := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
		if !fromClient {
			src, dst = dst, src
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Ack: ack,
			SYN: syn, FIN: fin, ACK: !(syn && fromClient && ack == 0), Window: 64240}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		_ = gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ip, tcp, gopacket.Payload(payload))
		pkts = append(pkts, buf.Bytes())
	}
	payload := make([]byte, 100)
	for c := range conns {
		cp, sp := uint16(20000+c), uint16(80)
		ci, si := uint32(1000), uint32(9000)
		ser(cp, sp, true, ci, 0, true, false, nil)
		ser(sp, cp, false, si, ci+1, true, false, nil)
		ser(cp, sp, true, ci+1, si+1, false, false, nil)
		seq := ci + 1
		for range data {
			ser(cp, sp, true, seq, si+1, false, false, payload)
			seq += 100
			ser(sp, cp, false, si+1, seq, false, false, nil)
		}
		ser(cp, sp, true, seq, si+1, false, true, nil)
		ser(sp, cp, false, si+1, seq+1, false, false, nil)
		ser(sp, cp, false, si+1, seq+1, false, true, nil)
		ser(cp, sp, true, seq+1, si+2, false, false, nil)
	}
	return pcapFile(tb, layers.LinkTypeRaw, pkts...)
}

// BenchmarkRead reads a raw-IP capture of 96 connections of 207 segments
// each: 19,872 segments, just under MaxSegments, and 2.1 MB.
func BenchmarkRead(b *testing.B) {
	file := bigCapture(b, 96, 100)
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Read(file)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Connections) != 96 {
			b.Fatalf("%d connections", len(res.Connections))
		}
	}
}
