package export

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// builtinTraces runs every built-in scenario.
func builtinTraces(t testing.TB) map[string]*engine.Trace {
	t.Helper()
	traces := map[string]*engine.Trace{}
	for _, sc := range scenarios.All() {
		tr, err := engine.Run(sc)
		if err != nil {
			t.Fatalf("%s: %v", sc.ID, err)
		}
		traces[sc.ID] = tr
	}
	return traces
}

func segments(tr *engine.Trace) []*engine.Event {
	var segs []*engine.Event
	for i := range tr.Events {
		if tr.Events[i].Kind == engine.KindSegment {
			segs = append(segs, &tr.Events[i])
		}
	}
	return segs
}

func TestPCAPFileHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := WritePCAP(&buf, &engine.Trace{}); err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0xd4, 0xc3, 0xb2, 0xa1, // magic, little-endian
		2, 0, 4, 0, // version 2.4
		0, 0, 0, 0, 0, 0, 0, 0, // thiszone, sigfigs
		0xff, 0xff, 0, 0, // snaplen 65535
		101, 0, 0, 0, // LINKTYPE_RAW
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("header = % x\nwant     % x", buf.Bytes(), want)
	}
}

// TestPCAPReadBack reads every built-in scenario's capture back with
// gopacket: one record per segment event, dropped ones included, each a valid
// IPv4 packet whose TCP header matches the event and whose checksums
// gopacket computes to the same values.
func TestPCAPReadBack(t *testing.T) {
	for id, tr := range builtinTraces(t) {
		t.Run(id, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePCAP(&buf, tr); err != nil {
				t.Fatal(err)
			}
			r, err := pcapgo.NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if r.LinkType() != layers.LinkTypeRaw {
				t.Fatalf("link type %v, want raw", r.LinkType())
			}
			for i, ev := range segments(tr) {
				data, ci, err := r.ReadPacketData()
				if err != nil {
					t.Fatalf("record %d: %v", i+1, err)
				}
				if want := captureEpoch().Add(time.Duration(ev.T)); !ci.Timestamp.Equal(want) {
					t.Errorf("segment %d: timestamp %v, want %v", ev.ID, ci.Timestamp, want)
				}
				checkPacket(t, ev, data)
			}
			if _, _, err := r.ReadPacketData(); err == nil {
				t.Error("more records than segment events")
			}
		})
	}
}

func checkPacket(t *testing.T, ev *engine.Event, data []byte) {
	t.Helper()
	pkt := gopacket.NewPacket(data, layers.LayerTypeIPv4, gopacket.Default)
	if el := pkt.ErrorLayer(); el != nil {
		t.Fatalf("segment %d: decoding: %v", ev.ID, el.Error())
	}
	ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if ip == nil || tcp == nil {
		t.Fatalf("segment %d: no IPv4 or TCP layer in %v", ev.ID, pkt)
	}
	if tcp.Seq != ev.Seq || tcp.Ack != ev.Ack || len(tcp.Payload) != ev.Len {
		t.Errorf("segment %d: seq %d ack %d len %d, want %d %d %d",
			ev.ID, tcp.Seq, tcp.Ack, len(tcp.Payload), ev.Seq, ev.Ack, ev.Len)
	}
	if got := tcpFlags(tcp); !slices.Equal(got, slices.Sorted(slices.Values(ev.Flags))) {
		t.Errorf("segment %d: flags %v, want %v", ev.ID, got, ev.Flags)
	}
	ipSum, tcpSum := recomputeChecksums(t, ip, tcp)
	if ipSum != ip.Checksum || tcpSum != tcp.Checksum {
		t.Errorf("segment %d: checksums IP %#04x TCP %#04x, gopacket computes %#04x %#04x",
			ev.ID, ip.Checksum, tcp.Checksum, ipSum, tcpSum)
	}
}

func tcpFlags(tcp *layers.TCP) []string {
	var flags []string
	for _, f := range []struct {
		on   bool
		name string
	}{
		{tcp.ACK, "ACK"}, {tcp.CWR, "CWR"}, {tcp.ECE, "ECE"}, {tcp.FIN, "FIN"},
		{tcp.PSH, "PSH"}, {tcp.RST, "RST"}, {tcp.SYN, "SYN"}, {tcp.URG, "URG"},
	} {
		if f.on {
			flags = append(flags, f.name)
		}
	}
	return flags
}

// recomputeChecksums serializes the decoded layers again with gopacket's
// own checksum code and returns the checksums it computed.
func recomputeChecksums(t *testing.T, ip *layers.IPv4, tcp *layers.TCP) (ipSum, tcpSum uint16) {
	t.Helper()
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(tcp.Payload)); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	ihl := int(b[0]&0x0f) * 4
	return binary.BigEndian.Uint16(b[10:]), binary.BigEndian.Uint16(b[ihl+16:])
}

// TestPCAPTshark has Wireshark's own dissector check the built-in
// captures: the same number of frames as segment events and no bad IP or TCP
// checksum. One tshark run reads the segments of every built-in scenario,
// written as one capture.
func TestPCAPTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed")
	}
	all := &engine.Trace{}
	for _, tr := range builtinTraces(t) {
		all.Events = append(all.Events, tr.Events...)
	}
	var buf bytes.Buffer
	if err := WritePCAP(&buf, all); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "builtins.pcap")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// One line per frame: the IP and TCP checksum status, 1 meaning good.
	out, err := exec.Command(tshark, "-n", "-r", file,
		"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
	).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if want := len(segments(all)); len(lines) != want {
		t.Fatalf("tshark read %d frames, want %d", len(lines), want)
	}
	for i, line := range lines {
		if line != "1\t1" {
			t.Errorf("frame %d: checksum status %q, want good (1) for IP and TCP", i+1, line)
		}
	}
}

func TestPCAPRejectsMissingBytes(t *testing.T) {
	tr := &engine.Trace{Events: []engine.Event{{
		Kind:        engine.KindSegment,
		SegmentInfo: &engine.SegmentInfo{ID: 7},
	}}}
	err := WritePCAP(&bytes.Buffer{}, tr)
	if err == nil || !strings.Contains(err.Error(), "segment 7") {
		t.Errorf("err = %v, want one naming segment 7", err)
	}
}
