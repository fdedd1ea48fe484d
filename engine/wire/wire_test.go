package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Linux's SYN options, in Linux's order: MSS, SACK_PERM, TS, NOP, WS.
// 65495 is the MSS Linux announces on loopback (MTU 65535 minus 40).
func linuxSYNOptions(tsval uint32) []Option {
	return []Option{
		{Kind: MSS, Value: 65495},
		{Kind: SACKPermitted},
		{Kind: Timestamps, TSVal: tsval},
		{Kind: NOP},
		{Kind: WS, Value: 7},
	}
}

// tsOptions is what Linux puts on every segment after the handshake: two NOPs
// to align the timestamps to 4 bytes.
func tsOptions(val, ecr uint32) []Option {
	return []Option{{Kind: NOP}, {Kind: NOP}, {Kind: Timestamps, TSVal: val, TSEcr: ecr}}
}

// typicalPackets are the segments of a short connection between a client
// (10.0.0.1:40000) and a server (10.0.0.2:80), plus a few shapes that
// exercise padding, SACK and unknown options.
func typicalPackets() []struct {
	name string
	p    Packet
} {
	client, server := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	c2s := func(id uint16, s Segment) Packet {
		s.SrcPort, s.DstPort = 40000, 80
		return Packet{Src: client, Dst: server, ID: id, TTL: 64, TCP: s}
	}
	s2c := func(id uint16, s Segment) Packet {
		s.SrcPort, s.DstPort = 80, 40000
		return Packet{Src: server, Dst: client, ID: id, TTL: 64, TCP: s}
	}
	const iss, irs = 0x11223344, 0xaabbccdd
	return []struct {
		name string
		p    Packet
	}{
		{"linux SYN", c2s(0x1001, Segment{Seq: iss, Flags: SYN, Window: 65495,
			Options: linuxSYNOptions(0x5499acfa)})},
		{"SYN-ACK", s2c(0, Segment{Seq: irs, Ack: iss + 1, Flags: SYN | ACK, Window: 65483,
			Options: []Option{
				{Kind: MSS, Value: 1460},
				{Kind: SACKPermitted},
				{Kind: Timestamps, TSVal: 0x8dea0c00, TSEcr: 0x5499acfa},
				{Kind: NOP},
				{Kind: WS, Value: 7},
			}})},
		{"ACK", c2s(0x1002, Segment{Seq: iss + 1, Ack: irs + 1, Flags: ACK, Window: 512,
			Options: tsOptions(0x5499acfa, 0x8dea0c00)})},
		{"data", c2s(0x1003, Segment{Seq: iss + 1, Ack: irs + 1, Flags: PSH | ACK, Window: 512,
			Options: tsOptions(0x5499acfb, 0x8dea0c00), Payload: []byte("GET / HTTP/1.1\r\n\r\n")})},
		{"odd payload, no options", s2c(0x2002, Segment{Seq: irs + 1, Ack: iss + 19, Flags: PSH | ACK,
			Window: 509, Payload: []byte("ok!")})},
		{"SACK", s2c(0x2003, Segment{Seq: irs + 4, Ack: iss + 19, Flags: ACK, Window: 509,
			Options: []Option{{Kind: NOP}, {Kind: NOP},
				{Kind: SACK, Blocks: [][2]uint32{{iss + 1000, iss + 2000}, {iss + 3000, iss + 4000}}}}})},
		{"FIN-ACK", c2s(0x1004, Segment{Seq: iss + 19, Ack: irs + 4, Flags: FIN | ACK, Window: 512,
			Options: tsOptions(0x5499ad00, 0x8dea0c10)})},
		{"RST", s2c(0, Segment{Seq: irs + 4, Flags: RST})},
		{"SYN with fast-open cookie, padded", c2s(0x1005, Segment{Seq: iss, Flags: SYN | ECE | CWR, Window: 64240,
			Options: []Option{{Kind: MSS, Value: 1460}, {Kind: 34, Raw: []byte{1, 2, 3, 4, 5, 6, 7, 8}}},
			Payload: []byte("early data")})},
		{"urgent", c2s(0x1006, Segment{Seq: iss + 19, Ack: irs + 4, Flags: URG | PSH | ACK, Window: 512,
			Urgent: 1, Payload: []byte{0xff}})},
	}
}

// refChecksumSum is RFC 1071's reference algorithm, 16 bits at a time, to
// check the optimised onesSum against: the folded one's complement sum.
func refChecksumSum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// tcpPseudo returns the pseudo-header followed by the TCP segment of an
// IPv4 packet without options, for refChecksumSum.
func tcpPseudo(pkt []byte) []byte {
	tcp := pkt[20:]
	ph := append([]byte{}, pkt[12:20]...)
	ph = append(ph, 0, 6)
	ph = binary.BigEndian.AppendUint16(ph, uint16(len(tcp)))
	return append(ph, tcp...)
}

// fixChecksums recomputes both checksums of pkt with the reference
// algorithm, so that a test can corrupt one field and reach the check after
// the checksums.
func fixChecksums(pkt []byte) {
	fixIPChecksum(pkt)
	pkt[36], pkt[37] = 0, 0
	binary.BigEndian.PutUint16(pkt[36:], ^refChecksumSum(tcpPseudo(pkt)))
}

func fixIPChecksum(pkt []byte) {
	pkt[10], pkt[11] = 0, 0
	binary.BigEndian.PutUint16(pkt[10:], ^refChecksumSum(pkt[:20]))
}

func mustMarshal(t testing.TB, p *Packet) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range typicalPackets() {
		t.Run(tc.name, func(t *testing.T) {
			b := mustMarshal(t, &tc.p)
			if want := 20 + tc.p.TCP.HeaderLen() + len(tc.p.TCP.Payload); len(b) != want {
				t.Errorf("len = %d, want %d", len(b), want)
			}
			// Recomputing the sum over data that includes its checksum
			// must give negative zero.
			if got := refChecksumSum(b[:20]); got != 0xffff {
				t.Errorf("IPv4 header sums to %#04x, want 0xffff", got)
			}
			if got := refChecksumSum(tcpPseudo(b)); got != 0xffff {
				t.Errorf("TCP segment and pseudo-header sum to %#04x, want 0xffff", got)
			}
			got, err := ParsePacket(b)
			if err != nil {
				t.Fatalf("ParsePacket: %v\n%s", err, hex.Dump(b))
			}
			if !reflect.DeepEqual(got, tc.p) {
				t.Errorf("ParsePacket(Marshal(p)) =\n%+v\nwant\n%+v", got, tc.p)
			}
			if again := mustMarshal(t, &got); !bytes.Equal(again, b) {
				t.Errorf("second Marshal differs:\n%s\nwant\n%s", hex.Dump(again), hex.Dump(b))
			}
		})
	}
}

func TestMarshalLinuxSYNBytes(t *testing.T) {
	p := typicalPackets()[0].p
	b := mustMarshal(t, &p)
	tcp := b[20:]
	if tcp[12] != 0xa0 {
		t.Errorf("data offset byte = %#02x, want 0xa0 (40-byte header)", tcp[12])
	}
	if tcp[13] != 0x02 {
		t.Errorf("flags byte = %#02x, want 0x02 (SYN)", tcp[13])
	}
	want := []byte{
		0x02, 0x04, 0xff, 0xd7, // MSS 65495
		0x04, 0x02, // SACK permitted
		0x08, 0x0a, 0x54, 0x99, 0xac, 0xfa, 0x00, 0x00, 0x00, 0x00, // TS val, ecr 0
		0x01,             // NOP
		0x03, 0x03, 0x07, // WS 7
	}
	if got := tcp[20:40]; !bytes.Equal(got, want) {
		t.Errorf("options = % x\nwant      % x", got, want)
	}
}

// Real packets, from the test data of github.com/google/gopacket (layers,
// decode_test.go: testSimpleTCPPacket and the packet of
// TestDecodeSmallTCPPacketHasEmptyPayload) with their Ethernet header and
// trailer removed. Their checksums come from the hosts that sent them;
// tshark 4.0 reports both as good.
const (
	capturedHTTPGet = "450001a439df40004006555aac115149addefee1c5f70050c57e0e4849074232801800739a8f00000101080a0377379c42775e3a" +
		"474554202f20485454502f312e310d0a486f73743a207777772e666973682e636f6d0d0a436f6e6e656374696f6e3a206b6565702d616c6976650d0a" +
		"557365722d4167656e743a204d6f7a696c6c612f352e3020285831313b204c696e7578207838365f363429204170706c655765624b69742f3533352e32" +
		"20284b48544d4c2c206c696b65204765636b6f29204368726f6d652f31352e302e3837342e313231205361666172692f3533352e320d0a41636365" +
		"70743a20746578742f68746d6c2c6170706c69636174696f6e2f7868746d6c2b786d6c2c6170706c69636174696f6e2f786d6c3b713d302e392c2a" +
		"2f2a3b713d302e380d0a4163636570742d456e636f64696e673a20677a69702c6465666c6174652c736463680d0a4163636570742d4c616e677561" +
		"67653a20656e2d55532c656e3b713d302e380d0a4163636570742d436861727365743a2049534f2d383835392d312c7574662d383b713d302e372c" +
		"2a3b713d302e330d0a0d0a"
	capturedRST = "450000280000400040063f9fac1151c5ac11514900639aef000000002ec1278350140000c3080000"
)

func TestCapturedPackets(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want func(p *Packet) bool
	}{
		{"HTTP GET", capturedHTTPGet, func(p *Packet) bool {
			s := &p.TCP
			return p.Src == netip.MustParseAddr("172.17.81.73") && p.Dst == netip.MustParseAddr("173.222.254.225") &&
				p.ID == 0x39df && p.TTL == 64 &&
				s.SrcPort == 50679 && s.DstPort == 80 && s.Seq == 0xc57e0e48 && s.Ack == 0x49074232 &&
				s.Flags == PSH|ACK && s.Window == 115 &&
				reflect.DeepEqual(s.Options, tsOptions(0x0377379c, 0x42775e3a)) &&
				strings.HasPrefix(string(s.Payload), "GET / HTTP/1.1\r\nHost: www.fish.com\r\n") && len(s.Payload) == 368
		}},
		{"RST", capturedRST, func(p *Packet) bool {
			s := &p.TCP
			return p.Src == netip.MustParseAddr("172.17.81.197") && p.Dst == netip.MustParseAddr("172.17.81.73") &&
				s.SrcPort == 99 && s.DstPort == 39663 && s.Seq == 0 && s.Ack == 0x2ec12783 &&
				s.Flags == RST|ACK && s.Options == nil && s.Payload == nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := hex.DecodeString(tc.hex)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePacket(b)
			if err != nil {
				t.Fatalf("ParsePacket: %v", err)
			}
			if !tc.want(&p) {
				t.Errorf("ParsePacket = %+v", p)
			}
			// Both packets are in the form Marshal writes (DF set, no
			// padding), so Marshal must reproduce them to the byte,
			// checksums included.
			if got := mustMarshal(t, &p); !bytes.Equal(got, b) {
				t.Errorf("Marshal =\n%s\nwant\n%s", hex.Dump(got), hex.Dump(b))
			}
		})
	}
}

// TestParseLoopbackCapture parses a SYN captured on Linux's loopback
// interface. Linux leaves the TCP checksum there to offload hardware that
// loopback does not have, so the field holds only the pseudo-header sum:
// a classic surprise when reading captures. The wanted value is the one
// tshark 4.0 computes (tcp.checksum_calculated).
func TestParseLoopbackCapture(t *testing.T) {
	b, _ := hex.DecodeString("4500003cc5d34000400676e67f0000017f00000183a8b813d01a05eb00000000a002ffd7fe300000" +
		"0204ffd70402080a5499acfa000000000103030a")
	_, err := ParsePacket(b)
	const want = "tcp checksum mismatch: got 0xfe30, want 0x3ca9"
	if err == nil || err.Error() != want {
		t.Errorf("ParsePacket error = %v, want %q", err, want)
	}
	binary.BigEndian.PutUint16(b[36:], 0x3ca9)
	p, err := ParsePacket(b)
	if err != nil {
		t.Fatalf("after fixing the checksum: %v", err)
	}
	wantOpts := []Option{
		{Kind: MSS, Value: 65495}, {Kind: SACKPermitted}, {Kind: Timestamps, TSVal: 0x5499acfa},
		{Kind: NOP}, {Kind: WS, Value: 10},
	}
	if !reflect.DeepEqual(p.TCP.Options, wantOpts) {
		t.Errorf("options = %+v, want %+v", p.TCP.Options, wantOpts)
	}
}

func TestChecksum(t *testing.T) {
	// The IPv4 header used as the worked example in many references
	// (Wikipedia, "Internet checksum"): its checksum is 0xb861.
	hdr, _ := hex.DecodeString("450000730000400040110000c0a80001c0a800c7")
	if got := ^fold(onesSum(0, hdr)); got != 0xb861 {
		t.Errorf("checksum = %#04x, want 0xb861", got)
	}

	// The 64-bit sum must agree with the 16-bit reference for every
	// length and content, and when the data is summed in pieces that
	// start at even offsets.
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if n%7 == 0 {
			for i := range b {
				b[i] = 0xff // the most carries
			}
		}
		want := refChecksumSum(b)
		if got := fold(onesSum(0, b)); got != want {
			t.Fatalf("len %d: fold(onesSum) = %#04x, want %#04x", n, got, want)
		}
		cut := 2 * rng.IntN(n/2+1)
		if got := fold(onesSum(onesSum(0, b[:cut]), b[cut:])); got != want {
			t.Fatalf("len %d cut at %d: %#04x, want %#04x", n, cut, got, want)
		}
	}
}

func TestMarshalDefaults(t *testing.T) {
	p := typicalPackets()[0].p
	p.TTL = 0
	b := mustMarshal(t, &p)
	if b[0] != 0x45 {
		t.Errorf("version/IHL = %#02x, want 0x45", b[0])
	}
	if got := binary.BigEndian.Uint16(b[4:]); got != p.ID {
		t.Errorf("ID = %#04x, want %#04x", got, p.ID)
	}
	if got := binary.BigEndian.Uint16(b[6:]); got != 0x4000 {
		t.Errorf("flags/fragment = %#04x, want 0x4000 (DF)", got)
	}
	if b[8] != 64 {
		t.Errorf("TTL = %d, want 64 when unset", b[8])
	}
	if b[9] != 6 {
		t.Errorf("protocol = %d, want 6", b[9])
	}
}

func TestAppendMarshal(t *testing.T) {
	for _, tc := range typicalPackets() {
		prefix := []byte("prefix")
		b, err := tc.p.AppendMarshal(prefix)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(b[:len(prefix)], []byte("prefix")) || !bytes.Equal(b[len(prefix):], mustMarshal(t, &tc.p)) {
			t.Errorf("%s: AppendMarshal(prefix) = % x", tc.name, b)
		}

		// A dirty reused buffer must not leak into the padding.
		buf := bytes.Repeat([]byte{0xee}, 2048)[:0]
		b, err = tc.p.AppendMarshal(buf)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, mustMarshal(t, &tc.p)) {
			t.Errorf("%s: AppendMarshal into a dirty buffer differs", tc.name)
		}
		allocs := testing.AllocsPerRun(100, func() {
			buf, _ = tc.p.AppendMarshal(buf[:0])
		})
		if allocs != 0 {
			t.Errorf("%s: AppendMarshal into a buffer with room: %v allocs, want 0", tc.name, allocs)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(p *Packet)
		want   string
	}{
		{"IPv6 source", func(p *Packet) { p.Src = netip.MustParseAddr("2001:db8::1") },
			"source address 2001:db8::1 is not IPv4"},
		{"IPv4-mapped destination", func(p *Packet) { p.Dst = netip.MustParseAddr("::ffff:10.0.0.2") },
			"destination address ::ffff:10.0.0.2 is not IPv4"},
		{"zero destination", func(p *Packet) { p.Dst = netip.Addr{} },
			"destination address is not set"},
		{"options too long", func(p *Packet) {
			p.TCP.Options = append(linuxSYNOptions(1), Option{Kind: SACK, Blocks: make([][2]uint32, 3)})
		}, "tcp options take 46 bytes, more than the 40 that fit"},
		{"MSS too big", func(p *Packet) { p.TCP.Options = []Option{{Kind: MSS, Value: 65536}} },
			"option MSS: value 65536 does not fit in 16 bits"},
		{"WS too big", func(p *Packet) { p.TCP.Options = []Option{{Kind: WS, Value: 256}} },
			"option WS: value 256 does not fit in 8 bits"},
		{"SACK without blocks", func(p *Packet) { p.TCP.Options = []Option{{Kind: SACK}} },
			"option SACK: 0 blocks, want 1 to 4"},
		{"SACK with 5 blocks", func(p *Packet) { p.TCP.Options = []Option{{Kind: SACK, Blocks: make([][2]uint32, 5)}} },
			"option SACK: 5 blocks, want 1 to 4"},
		{"unknown option too long", func(p *Packet) { p.TCP.Options = []Option{{Kind: 99, Raw: make([]byte, 39)}} },
			"option UNKNOWN(99): 39 data bytes, at most 38 fit"},
		{"EOL not last", func(p *Packet) { p.TCP.Options = []Option{{Kind: EOL}, {Kind: NOP}, {Kind: NOP}} },
			"option EOL must be the last option, but 2 follow it"},
		{"too long", func(p *Packet) { p.TCP.Payload = make([]byte, 65535-20-40+1) },
			"packet of 65536 bytes is longer than the IPv4 maximum of 65535"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := typicalPackets()[0].p
			tc.modify(&p)
			in := []byte("keep")
			b, err := p.AppendMarshal(in)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
			if string(b) != "keep" {
				t.Errorf("on error AppendMarshal returned %q, want its input unchanged", b)
			}
		})
	}
	p := typicalPackets()[0].p
	p.TCP.Payload = make([]byte, 65535-20-40)
	if _, err := p.Marshal(); err != nil {
		t.Errorf("largest packet: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	// base is the "linux SYN" packet: options at 40..60, no payload.
	tests := []struct {
		name   string
		modify func(b []byte) []byte // fixChecksums is applied afterwards unless keepSums
		keep   bool
		want   string
	}{
		{"empty", func(b []byte) []byte { return nil }, true,
			"packet too short: 0 bytes, an IPv4 header needs 20"},
		{"IPv6", func(b []byte) []byte { b[0] = 0x65; return b }, false, "ip version 6, want 4"},
		{"IHL 4", func(b []byte) []byte { b[0] = 0x44; return b }, true,
			"ipv4 header length 16 bytes, less than the minimum 20"},
		{"IP options", func(b []byte) []byte { b[0] = 0x46; return b }, true,
			"ipv4 options are not supported (header length 24 bytes)"},
		{"total length too big", func(b []byte) []byte { b[3]++; return b }, false,
			"ipv4 total length 61, but the packet has 60 bytes"},
		{"Ethernet padding", func(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0) }, true,
			"ipv4 total length 60, but the packet has 66 bytes"},
		{"more fragments", func(b []byte) []byte { b[6] |= 0x20; return b }, false,
			"ipv4 fragments are not supported (more fragments true, offset 0)"},
		{"fragment offset", func(b []byte) []byte { b[7] = 1; return b }, false,
			"ipv4 fragments are not supported (more fragments false, offset 8)"},
		{"TTL 0", func(b []byte) []byte { b[8] = 0; return b }, false,
			"ipv4 ttl 0: no host may send it (RFC 1122, 3.2.1.7)"},
		{"UDP", func(b []byte) []byte { b[9] = 17; return b }, false, "ip protocol 17, want 6 (TCP)"},
		{"TCP truncated", func(b []byte) []byte { b[3] = 39; return b[:39] }, false,
			"tcp segment too short: 19 bytes, the header needs 20"},
		{"data offset 4", func(b []byte) []byte { b[32] = 0x40; return b }, false,
			"tcp data offset 16 bytes, less than the minimum 20"},
		{"data offset 15", func(b []byte) []byte { b[32] = 0xf0; return b }, false,
			"tcp data offset 60 bytes, beyond the 40-byte segment"},
		{"MSS length 3", func(b []byte) []byte { b[41] = 3; return b }, false, "option MSS: length 3, want 4"},
		{"WS length 4", func(b []byte) []byte { b[58] = 4; return b }, false, "option WS: length 4, want 3"},
		{"TS length 8", func(b []byte) []byte { b[47] = 8; return b }, false, "option TS: length 8, want 10"},
		{"SACK_PERM length 3", func(b []byte) []byte { b[45] = 3; return b }, false,
			"option SACK_PERM: length 3, want 2"},
		{"SACK length 12", func(b []byte) []byte { copy(b[40:], []byte{5, 12}); return b }, false,
			"option SACK: length 12, want 2 plus 8 per block (10, 18, 26 or 34)"},
		{"SACK length 2", func(b []byte) []byte { copy(b[40:], []byte{5, 2}); return b }, false,
			"option SACK: length 2, want 2 plus 8 per block (10, 18, 26 or 34)"},
		{"unknown length 1", func(b []byte) []byte { copy(b[40:], []byte{30, 1}); return b }, false,
			"option UNKNOWN(30): length 1, want at least 2"},
		{"length past the end", func(b []byte) []byte { copy(b[56:], []byte{30, 5}); return b }, false,
			"option UNKNOWN(30): length 5, but only 4 bytes of options are left"},
		{"no length byte", func(b []byte) []byte { copy(b[56:], []byte{1, 1, 1, 2}); return b }, false,
			"option MSS: no room for its length byte"},
	}
	base := typicalPackets()[0].p
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.modify(mustMarshal(t, &base))
			if !tc.keep {
				fixChecksums(b)
			}
			p, err := ParsePacket(b)
			if err == nil || err.Error() != tc.want {
				t.Errorf("ParsePacket error = %v, want %q", err, tc.want)
			}
			if !reflect.DeepEqual(p, Packet{}) {
				t.Errorf("on error ParsePacket returned %+v, want the zero Packet", p)
			}
		})
	}
}

func TestParseChecksumMismatch(t *testing.T) {
	base := typicalPackets()[3].p
	tests := []struct {
		name   string
		at     int // offset of the checksum field
		modify func(b []byte)
		sum    func(b []byte) uint16 // reference sum over what the checksum covers
		what   string
	}{
		{"IPv4 header", 10, func(b []byte) { b[8]-- }, func(b []byte) uint16 { return refChecksumSum(b[:20]) },
			"ipv4 header"},
		{"TCP header", 36, func(b []byte) { b[24]++ }, func(b []byte) uint16 { return refChecksumSum(tcpPseudo(b)) },
			"tcp"},
		{"TCP payload", 36, func(b []byte) { b[len(b)-1] ^= 0x20 }, func(b []byte) uint16 { return refChecksumSum(tcpPseudo(b)) },
			"tcp"},
		{"pseudo-header", 36, func(b []byte) { b[19]++; fixIPChecksum(b) }, func(b []byte) uint16 { return refChecksumSum(tcpPseudo(b)) },
			"tcp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mustMarshal(t, &base)
			tc.modify(b)
			got := binary.BigEndian.Uint16(b[tc.at:])
			b[tc.at], b[tc.at+1] = 0, 0
			want := ^tc.sum(b)
			binary.BigEndian.PutUint16(b[tc.at:], got)
			_, err := ParsePacket(b)
			wantErr := fmt.Sprintf("%s checksum mismatch: got %#04x, want %#04x", tc.what, got, want)
			if err == nil || err.Error() != wantErr {
				t.Errorf("ParsePacket error = %v, want %q", err, wantErr)
			}
		})
	}
}

// TestParseIgnores checks that the fields a Packet does not hold are
// ignored rather than rejected.
func TestParseIgnores(t *testing.T) {
	tests := []struct {
		name   string
		modify func(b []byte)
	}{
		{"DSCP and ECN", func(b []byte) { b[1] = 0xb9 }},
		{"DF clear", func(b []byte) { b[6] = 0 }},
		{"IP reserved flag", func(b []byte) { b[6] |= 0x80 }},
		{"TCP reserved bits", func(b []byte) { b[32] |= 0x0f }},
	}
	base := typicalPackets()[3].p // data, with a payload
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mustMarshal(t, &base)
			tc.modify(b)
			fixChecksums(b)
			p, err := ParsePacket(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, base) {
				t.Errorf("ParsePacket = %+v, want %+v", p, base)
			}
		})
	}
}

func TestEOL(t *testing.T) {
	p := typicalPackets()[7].p // RST, no options
	p.TCP.Options = []Option{{Kind: WS, Value: 7}, {Kind: EOL}}
	b := mustMarshal(t, &p)
	if got, want := b[40:44], []byte{3, 3, 7, 0}; !bytes.Equal(got, want) {
		t.Errorf("options = % x, want % x", got, want)
	}

	// An explicit EOL ends the list; what follows is padding, even when it
	// is not zero and fills whole words.
	p.TCP.Options = []Option{{Kind: MSS, Value: 1460}, {Kind: EOL}}
	b = mustMarshal(t, &p)
	if got, want := b[40:48], []byte{2, 4, 0x05, 0xb4, 0, 0, 0, 0}; !bytes.Equal(got, want) {
		t.Errorf("options = % x, want % x", got, want)
	}
	b[46] = 0xaa
	fixChecksums(b)
	got, err := ParsePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Option{{Kind: MSS, Value: 1460}}; !reflect.DeepEqual(got.TCP.Options, want) {
		t.Errorf("options = %+v, want %+v", got.TCP.Options, want)
	}
}

func TestParseDoesNotAlias(t *testing.T) {
	p := typicalPackets()[8].p // unknown option and payload
	b := mustMarshal(t, &p)
	got, err := ParsePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if !reflect.DeepEqual(got, p) {
		t.Errorf("clearing the input changed the parsed packet to %+v", got)
	}
}

func TestSegmentLen(t *testing.T) {
	tests := []struct {
		s           Segment
		len, hdrLen int
	}{
		{Segment{Flags: SYN, Options: linuxSYNOptions(0)}, 1, 40},
		{Segment{Flags: SYN | ACK, Options: []Option{{Kind: MSS, Value: 1460}, {Kind: WS, Value: 7}}}, 1, 28},
		{Segment{Flags: ACK}, 0, 20},
		{Segment{Flags: PSH | ACK, Payload: make([]byte, 100), Options: tsOptions(1, 2)}, 100, 32},
		{Segment{Flags: FIN | ACK, Payload: []byte("bye")}, 4, 20},
		{Segment{Flags: SYN | FIN, Payload: []byte("x")}, 3, 20},
		{Segment{Flags: RST, Options: []Option{{Kind: SACK, Blocks: make([][2]uint32, 4)}}}, 0, 56},
	}
	for _, tc := range tests {
		if got := tc.s.Len(); got != tc.len {
			t.Errorf("%v: Len = %d, want %d", tc.s.Flags, got, tc.len)
		}
		if got := tc.s.HeaderLen(); got != tc.hdrLen {
			t.Errorf("%v: HeaderLen = %d, want %d", tc.s.Flags, got, tc.hdrLen)
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	for _, bc := range benchPackets() {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, 0, 2048)
			b.SetBytes(int64(20 + bc.p.TCP.HeaderLen() + len(bc.p.TCP.Payload)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = bc.p.AppendMarshal(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range benchPackets() {
		b.Run(bc.name, func(b *testing.B) {
			pkt := mustMarshal(b, &bc.p)
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePacket(pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchPackets are a handshake segment, heavy on options, and a full-sized
// data segment, heavy on checksum.
func benchPackets() []struct {
	name string
	p    Packet
} {
	syn := typicalPackets()[0]
	data := typicalPackets()[3]
	data.name = "data1448"
	data.p.TCP.Payload = bytes.Repeat([]byte("x"), 1448) // 1500 MTU minus 52 bytes of headers
	return []struct {
		name string
		p    Packet
	}{{"SYN", syn.p}, {data.name, data.p}}
}
