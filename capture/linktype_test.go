package capture

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/synack/synack/engine"
)

// handshake is a three-way handshake between 192.0.2.1:50000 and
// 192.0.2.2:80 (or 2001:db8::1 and 2001:db8::2), as raw IP packets.
func handshake(t *testing.T, v6 bool) [][]byte {
	t.Helper()
	type seg struct {
		fromClient bool
		syn, ack   bool
		seq, ackNo uint32
	}
	segs := []seg{
		{true, true, false, 1000, 0},
		{false, true, true, 5000, 1001},
		{true, false, true, 1001, 5001},
	}
	var out [][]byte
	for _, s := range segs {
		var src, dst net.IP = net.IP{192, 0, 2, 1}, net.IP{192, 0, 2, 2}
		if v6 {
			src, dst = net.ParseIP("2001:db8::1"), net.ParseIP("2001:db8::2")
		}
		sport, dport := layers.TCPPort(50000), layers.TCPPort(80)
		if !s.fromClient {
			src, dst, sport, dport = dst, src, dport, sport
		}
		tcp := &layers.TCP{SrcPort: sport, DstPort: dport, Seq: s.seq, Ack: s.ackNo, SYN: s.syn, ACK: s.ack, Window: 64240}
		var netLayer gopacket.SerializableLayer
		if v6 {
			ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
			_ = tcp.SetNetworkLayerForChecksum(ip)
			netLayer = ip
		} else {
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
			_ = tcp.SetNetworkLayerForChecksum(ip)
			netLayer = ip
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, netLayer, tcp); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// TestLinkTypes reads the same handshake under every link-layer header the
// reader takes, over IPv4 and IPv6.
func TestLinkTypes(t *testing.T) {
	ethernet := func(vlan bool) func([]byte, bool) []byte {
		return func(p []byte, v6 bool) []byte {
			h := make([]byte, 12, 18+len(p))
			et := uint16(etherIPv4)
			if v6 {
				et = etherIPv6
			}
			if vlan {
				h = binary.BigEndian.AppendUint16(h, etherVLAN)
				h = binary.BigEndian.AppendUint16(h, 42)
			}
			h = binary.BigEndian.AppendUint16(h, et)
			frame := append(h, p...)
			for len(frame) < 60 { // Ethernet's minimum frame: padding after IP
				frame = append(frame, 0)
			}
			return frame
		}
	}
	family := func(order binary.AppendByteOrder, v4, v6 uint32) func([]byte, bool) []byte {
		return func(p []byte, isV6 bool) []byte {
			af := v4
			if isV6 {
				af = v6
			}
			return append(order.AppendUint32(nil, af), p...)
		}
	}
	sll := func(p []byte, v6 bool) []byte {
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], 0) // to us
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		et := uint16(etherIPv4)
		if v6 {
			et = etherIPv6
		}
		binary.BigEndian.PutUint16(h[14:], et)
		return append(h, p...)
	}
	sll2 := func(p []byte, v6 bool) []byte {
		h := make([]byte, 20)
		et := uint16(etherIPv4)
		if v6 {
			et = etherIPv6
		}
		binary.BigEndian.PutUint16(h[0:], et)
		binary.BigEndian.PutUint32(h[4:], 2) // interface index
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		return append(h, p...)
	}
	raw := func(p []byte, _ bool) []byte { return p }
	tests := []struct {
		name string
		lt   layers.LinkType
		wrap func([]byte, bool) []byte
		v4   bool
		v6   bool
	}{
		{"ethernet", layers.LinkTypeEthernet, ethernet(false), true, true},
		{"ethernet 802.1Q", layers.LinkTypeEthernet, ethernet(true), true, true},
		{"null little-endian (Linux, FreeBSD)", layers.LinkTypeNull, family(binary.LittleEndian, 2, 28), true, true},
		{"null big-endian (macOS on PowerPC)", layers.LinkTypeNull, family(binary.BigEndian, 2, 30), true, true},
		{"loop (OpenBSD)", layers.LinkTypeLoop, family(binary.BigEndian, 2, 24), true, true},
		{"raw", layers.LinkTypeRaw, raw, true, true},
		{"raw IPv4", layers.LinkTypeIPv4, raw, true, false},
		{"raw IPv6", layers.LinkTypeIPv6, raw, false, true},
		{"Linux cooked", layers.LinkTypeLinuxSLL, sll, true, true},
		{"Linux cooked v2", layers.LinkType(linkSLL2), sll2, true, true},
	}
	for _, tt := range tests {
		for _, v6 := range []bool{false, true} {
			if v6 && !tt.v6 || !v6 && !tt.v4 {
				continue
			}
			name := tt.name + " IPv4"
			if v6 {
				name = tt.name + " IPv6"
			}
			t.Run(name, func(t *testing.T) {
				var pkts [][]byte
				for _, p := range handshake(t, v6) {
					pkts = append(pkts, tt.wrap(p, v6))
				}
				res, err := Read(pcapFile(t, tt.lt, pkts...))
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Connections) != 1 {
					t.Fatalf("%d connections, want 1", len(res.Connections))
				}
				c := res.Connections[0]
				wantClient := "192.0.2.1"
				if v6 {
					wantClient = "2001:db8::1"
				}
				if c.Endpoints.Client.Addr != wantClient || c.Endpoints.Client.Port != 50000 || c.Endpoints.Client.ISN != 1000 || c.Endpoints.Server.ISN != 5000 {
					t.Errorf("endpoints %+v", c.Endpoints)
				}
				if c.Capture.IPv6 != v6 {
					t.Errorf("ipv6 %t, want %t", c.Capture.IPv6, v6)
				}
				var last [2]string
				segs := 0
				for _, ev := range c.Events {
					switch ev.Kind {
					case engine.KindSegment:
						segs++
					case engine.KindState:
						last[boolIndex(ev.Endpoint == engine.Server)] = ev.To
					}
				}
				if segs != 3 || last[0] != "ESTABLISHED" || last[1] != "ESTABLISHED" {
					t.Errorf("%d segments, states %v; want 3, both ESTABLISHED", segs, last)
				}
			})
		}
	}
}
