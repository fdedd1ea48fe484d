package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/export"
	"github.com/synack/synack/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/golden")

// linuxCaptures are the captures of real Linux connections: the ones this
// package's testdata/mkcaptures made (veth pair between two network
// namespaces, loopback, Linux cooked), and those of testdata/linux, made
// for the engine's linux profile.
var linuxCaptures = []struct {
	file     string
	format   string
	linkType layers.LinkType
	conns    int
	client   string // of the first connection
	server   string
	// reordered: the model sends the same segments, but two the kernel
	// sent within microseconds of each other come in the other order.
	reordered bool
}{
	{file: "testdata/ethernet-ipv4.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 2, client: "10.99.0.1", server: "10.99.0.2"},
	{file: "testdata/ethernet-ipv6.pcapng", format: "pcapng", linkType: layers.LinkTypeEthernet, conns: 1, client: "fd00:99::1", server: "fd00:99::2"},
	{file: "testdata/loopback-ipv4.pcapng", format: "pcapng", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "testdata/loopback-ipv6.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "::1", server: "::1"},
	{file: "testdata/any-sll.pcap", format: "pcap", linkType: layers.LinkTypeLinuxSLL, conns: 1, client: "10.99.0.1", server: "10.99.0.2"},
	{file: "testdata/any-sll2.pcap", format: "pcap", linkType: layers.LinkType(linkSLL2), conns: 1, client: "::1", server: "::1"},
	{file: "../testdata/linux/close-unread-data.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/closed-port.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/half-close.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/handshake-four-way-close.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/interactive-delayed-ack.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/linger-zero.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/simultaneous-close.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1", reordered: true},
	{file: "../testdata/linux/simultaneous-open.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1", reordered: true},
	{file: "../testdata/linux/syn-retransmit.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 2, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/syn-timeout.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 2, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/three-way-close.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
	{file: "../testdata/linux/time-wait.pcap", format: "pcap", linkType: layers.LinkTypeEthernet, conns: 1, client: "127.0.0.1", server: "127.0.0.1"},
}

func readTestFile(t testing.TB, name string) *Result {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Read(b)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// TestLinuxCaptures reads every Linux capture: its connections and their
// endpoints, the same TCP segments as gopacket decodes, and a model that,
// run by the engine, sends exactly the segments of the capture.
func TestLinuxCaptures(t *testing.T) {
	for _, tc := range linuxCaptures {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			res := readTestFile(t, tc.file)
			if len(res.Connections) != tc.conns {
				t.Fatalf("%d connections, want %d", len(res.Connections), tc.conns)
			}
			first := res.Connections[0]
			if first.Endpoints.Client.Addr != tc.client || first.Endpoints.Server.Addr != tc.server {
				t.Errorf("client %s, server %s; want %s, %s", first.Endpoints.Client.Addr, first.Endpoints.Server.Addr, tc.client, tc.server)
			}
			if first.Capture.Format != tc.format {
				t.Errorf("format %q, want %q", first.Capture.Format, tc.format)
			}
			segs := 0
			for _, c := range res.Connections {
				segs += len(wireLines(captureEvents(c), c.Endpoints))
			}
			if want := gopacketTCPCount(t, tc.file, tc.format, tc.linkType); segs != want {
				t.Errorf("%d TCP segments, gopacket decodes %d", segs, want)
			}
			for _, c := range res.Connections {
				checkVocabulary(t, c)
			}
			for _, c := range res.Connections {
				if err := c.Scenario.Validate(); err != nil {
					t.Fatalf("connection %d: the model is not a valid scenario: %v", c.Capture.Index, err)
				}
				model, err := engine.Run(c.Scenario)
				if err != nil {
					t.Fatalf("connection %d: the model does not run: %v", c.Capture.Index, err)
				}
				got, want := wireLines(model.Events, model.Endpoints), wireLines(captureEvents(c), c.Endpoints)
				if tc.reordered {
					got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
				}
				if !slices.Equal(got, want) {
					t.Errorf("connection %d: the model sends\n  %s\nthe capture shows\n  %s", c.Capture.Index,
						strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			}
		})
	}
}

// checkVocabulary fails when an event the reader made carries a cause,
// reason or drop reason that is not in the engine's vocabulary: the
// inferred ones have words and citations there like the engine's own.
func checkVocabulary(t *testing.T, tr *Trace) {
	t.Helper()
	for i, ev := range captureEvents(tr) {
		check := func(field engine.Field, v string) {
			if v != "" && !engine.InVocabulary(field, v) {
				t.Errorf("connection %d event %d: %s %q is not in the vocabulary", tr.Capture.Index, i, field, v)
			}
		}
		check(engine.FieldKind, string(ev.Kind))
		check(engine.FieldCause, string(ev.Cause))
		check(engine.FieldReason, string(ev.Reason))
		if ev.SegmentInfo != nil {
			check(engine.FieldDropReason, string(ev.DropReason))
		}
	}
}

// gopacketTCPCount counts the TCP segments of a capture with gopacket's
// readers and decoders.
func gopacketTCPCount(t *testing.T, file, format string, lt layers.LinkType) int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var src gopacket.PacketDataSource
	var got layers.LinkType
	if format == "pcapng" {
		r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		src, got = r, r.LinkType()
	} else {
		r, err := pcapgo.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		src, got = r, r.LinkType()
	}
	if got != lt {
		t.Errorf("gopacket reads link type %v, the table says %v", got, lt)
	}
	decoder := gopacket.Decoder(got)
	if got == layers.LinkType(linkSLL2) {
		decoder = layers.LayerTypeLinuxSLL2
	}
	n := 0
	ps := gopacket.NewPacketSource(src, decoder)
	for p := range ps.Packets() {
		if p.Layer(layers.LayerTypeTCP) != nil {
			n++
		}
	}
	return n
}

// TestGolden compares each connection's events, written one a line, with
// testdata/golden. go test -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tc := range linuxCaptures {
		name := strings.TrimSuffix(filepath.Base(tc.file), filepath.Ext(tc.file))
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			for _, c := range readTestFile(t, tc.file).Connections {
				b.WriteString(transcript(c))
			}
			path := filepath.Join("testdata", "golden", name+"."+tc.format+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./capture -run TestGolden -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("transcript differs from %s:\n%s", path, b.String())
			}
		})
	}
}

// TestExportRoundTrip reads the engine's own captures (raw IPv4, pcap and
// pcapng) of every built-in scenario back: the same segments with the same
// times and header fields, and the lost ones found lost.
func TestExportRoundTrip(t *testing.T) {
	for _, sc := range scenarios.All() {
		tr, err := engine.Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		if hasSpoofed(tr) {
			continue // a flood's spoofed SYNs are connections of their own
		}
		for _, format := range []string{"pcap", "pcapng"} {
			var buf bytes.Buffer
			if format == "pcap" {
				err = export.WritePCAP(&buf, tr)
			} else {
				err = export.WritePCAPNG(&buf, tr, "en")
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := Read(buf.Bytes())
			if err != nil {
				t.Fatalf("%s %s: %v", sc.ID, format, err)
			}
			var got []engine.Event
			for _, c := range res.Connections {
				got = append(got, captureEvents(c)...)
			}
			var want []*engine.Event
			for i := range tr.Events {
				if tr.Events[i].Kind == engine.KindSegment {
					want = append(want, &tr.Events[i])
				}
			}
			var gotSegs []engine.Event
			for _, ev := range got {
				if ev.Kind == engine.KindSegment {
					gotSegs = append(gotSegs, ev)
				}
			}
			if len(gotSegs) != len(want) {
				t.Fatalf("%s %s: %d segments, want %d", sc.ID, format, len(gotSegs), len(want))
			}
			if len(res.Connections) == 1 {
				for i, w := range want {
					g := gotSegs[i]
					if g.Seq != w.Seq || g.Ack != w.Ack || g.Len != w.Len || g.Window != w.Window ||
						!slices.Equal(g.Flags, w.Flags) || g.T != w.T || g.From != w.From {
						t.Errorf("%s %s: segment %d: got %s %v seq %d ack %d len %d win %d at %v, want %s %v %d %d %d %d at %v",
							sc.ID, format, i+1, g.From, g.Flags, g.Seq, g.Ack, g.Len, g.Window, g.T,
							w.From, w.Flags, w.Seq, w.Ack, w.Len, w.Window, w.T)
					}
				}
			}
		}
	}
}

func hasSpoofed(tr *engine.Trace) bool {
	for i := range tr.Events {
		if tr.Events[i].Kind == engine.KindSegment && tr.Events[i].Spoofed {
			return true
		}
	}
	return false
}

// TestReadErrors: every file that cannot be read gets the error that says
// why.
func TestReadErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/ethernet-ipv4.pcap")
	if err != nil {
		t.Fatal(err)
	}
	ng, err := os.ReadFile("testdata/ethernet-ipv6.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	wifi := slices.Clone(good[:24])
	binary.LittleEndian.PutUint32(wifi[20:], 105)
	wifi = append(wifi, good[24:]...)
	udp := pcapFile(t, layers.LinkTypeRaw, udpPacket())
	tests := []struct {
		name string
		file []byte
		is   error
		cut  bool
		want string
	}{
		{name: "empty", file: nil, is: ErrEmpty},
		{name: "text", file: []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), is: ErrNotCapture},
		{name: "json", file: []byte(`{"connections": []}`), is: ErrNotCapture},
		{name: "three bytes", file: []byte{0xd4, 0xc3, 0xb2}, is: ErrNotCapture},
		{name: "pcap header cut", file: good[:20], cut: true, want: "file header"},
		{name: "pcap record header cut", file: good[:24+10], cut: true, want: "packet 1: its header"},
		{name: "pcap packet cut", file: good[:len(good)-5], cut: true, want: "bytes were captured"},
		{name: "pcapng block cut", file: ng[:len(ng)-7], cut: true, want: "the file ends"},
		{name: "pcapng section only", file: ng[:20], cut: true},
		{name: "too large", file: make([]byte, MaxFileBytes+1), is: ErrTooLarge},
		{name: "wifi", file: wifi, want: "IEEE 802.11"},
		{name: "udp only", file: udp, is: ErrNoTCP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Read(tt.file)
			if err == nil {
				t.Fatalf("read %d connections, want an error", len(res.Connections))
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			var fe *FormatError
			if tt.cut && (!errors.As(err, &fe) || !fe.Cut) {
				t.Errorf("error %v, want one that says the file is cut", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestReadEveryPrefix cuts a pcap and a pcapng file at every byte: each
// prefix is read or refused as cut, never a panic.
func TestReadEveryPrefix(t *testing.T) {
	for _, name := range []string{"testdata/ethernet-ipv4.pcap", "testdata/ethernet-ipv6.pcapng"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(b) {
			_, err := Read(b[:n])
			var fe *FormatError
			switch {
			case err == nil: // it ends between two records: a good file
			case errors.As(err, &fe), errors.Is(err, ErrEmpty), errors.Is(err, ErrNotCapture), errors.Is(err, ErrNoTCP):
			default:
				t.Errorf("%s cut to %d bytes: unexpected error %v", name, n, err)
			}
		}
	}
}

// TestLimits: more connections or packets than the limits is refused.
func TestLimits(t *testing.T) {
	var pkts [][]byte
	for i := range MaxConnections + 1 {
		pkts = append(pkts, tcpSYN(uint16(10000+i)))
	}
	_, err := Read(pcapFile(t, layers.LinkTypeRaw, pkts...))
	var le *LimitError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "connections") {
		t.Errorf("%d connections: error %v, want a limit on connections", MaxConnections+1, err)
	}
	pkts = pkts[:0]
	for range MaxSegments + 1 {
		pkts = append(pkts, tcpSYN(10000))
	}
	_, err = Read(pcapFile(t, layers.LinkTypeRaw, pkts...))
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "segments") {
		t.Errorf("%d segments: error %v, want a limit on segments", MaxSegments+1, err)
	}
}

// pcapFile writes packets as a classic pcap file, 1 ms apart.
func pcapFile(t testing.TB, lt layers.LinkType, packets ...[]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, p := range packets {
		ci := gopacket.CaptureInfo{CaptureLength: len(p), Length: len(p)}
		ci.Timestamp = ci.Timestamp.Add(time1ms * durationOf(i))
		if err := w.WritePacket(ci, p); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// tcpSYN is a raw IPv4 packet with a SYN from port src to 192.0.2.2:80.
func tcpSYN(src uint16) []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: []byte{192, 0, 2, 1}, DstIP: []byte{192, 0, 2, 2}}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src), DstPort: 80, Seq: 1000, SYN: true, Window: 65535}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	_ = gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ip, tcp)
	return buf.Bytes()
}

func udpPacket() []byte {
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: []byte{192, 0, 2, 1}, DstIP: []byte{192, 0, 2, 2}}
	udp := &layers.UDP{SrcPort: 5353, DstPort: 53}
	_ = udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	_ = gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, ip, udp, gopacket.Payload("hi"))
	return buf.Bytes()
}

const time1ms = 1_000_000 // ns

func durationOf(i int) time.Duration { return time.Duration(i) }
