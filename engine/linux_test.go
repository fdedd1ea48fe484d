package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/engine/wire"
)

// The captures in testdata/linux were made on a real Linux kernel on
// loopback (see testdata/linux/README.md). Each NAME.pcap comes with
// NAME.calls.json, the socket calls that produced it in the scenario format.
// This test runs the calls through the engine's linux profile and compares
// the segments each side sent, one by one: flags, relative seq and ack,
// payload length, window, options, and the time each was sent. The two
// directions are compared apart: segments the two sides send within the same
// few microseconds (a simultaneous open or close) race on a real machine.

// wireSeg is one segment as both sides are compared: numbers relative to
// the sender's and receiver's ISNs.
type wireSeg struct {
	t       time.Duration
	from    string
	flags   wire.Flags
	seq     uint32
	ack     uint32
	len     int
	window  uint16
	options string
}

func (s wireSeg) String() string {
	return fmt.Sprintf("%8.3fms %s %-8s seq=%d ack=%d len=%d win=%d <%s>",
		float64(s.t)/float64(time.Millisecond), s.from, s.flags, s.seq, s.ack, s.len, s.window, s.options)
}

// sameAs compares everything but the time.
func (s wireSeg) sameAs(o wireSeg) bool {
	s.t, o.t = 0, 0
	return s == o
}

// optionKinds names the options; SACK blocks count from base, the ISN of
// the segment's receiver (they acknowledge its data).
func optionKinds(opts []wire.Option, base uint32) string {
	names := make([]string, 0, len(opts))
	for _, o := range opts {
		switch o.Kind {
		case wire.MSS:
			names = append(names, fmt.Sprintf("mss %d", o.Value))
		case wire.WS:
			names = append(names, fmt.Sprintf("ws %d", o.Value))
		case wire.SACKPermitted:
			names = append(names, "sackOK")
		case wire.Timestamps:
			names = append(names, "TS")
		case wire.NOP:
			names = append(names, "nop")
		case wire.SACK:
			for _, b := range o.Blocks {
				names = append(names, fmt.Sprintf("sack %d-%d", b[0]-base, b[1]-base))
			}
		default:
			names = append(names, fmt.Sprintf("kind %d", o.Kind))
		}
	}
	return strings.Join(names, ",")
}

// readCapture decodes a tcpdump capture of loopback into segments. The
// client is the side that sent the first SYN. When the capture holds more
// than one connection, the others only set the stage (they fill a
// listener's accept queue, say): the test follows the last one opened.
// Times count from the capture's first packet, as the calls' times count
// from the first call.
func readCapture(t *testing.T, path string) []wireSeg {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frames, times, linkType, err := readPcap(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var skip int
	switch linkType {
	case linkEthernet:
		skip = 14
	case linkRaw, linkIPv4:
		skip = 0
	case linkLinuxSLL:
		skip = 16
	default:
		t.Fatalf("%s: link type %d", path, linkType)
	}
	var (
		segs    []wireSeg
		start   time.Time
		client  uint16
		isn     = map[uint16]uint32{}
		packets []wire.Packet
	)
	for i, frame := range frames {
		pkt, err := wire.ParseCapturedPacket(frame[skip:])
		if err != nil {
			t.Fatalf("%s: packet %d: %v", path, i+1, err)
		}
		packets = append(packets, pkt)
	}
	if len(packets) == 0 {
		t.Fatalf("%s: no packets", path)
	}
	start = times[0]
	followed := connKey(packets[len(packets)-1].TCP)
	for _, pkt := range packets {
		if pkt.TCP.Flags&wire.SYN != 0 && pkt.TCP.Flags&wire.ACK == 0 {
			followed = connKey(pkt.TCP)
		}
	}
	first := true
	for i, pkt := range packets {
		seg := pkt.TCP
		if connKey(seg) != followed {
			continue
		}
		if first {
			client, first = seg.SrcPort, false
		}
		// Sequence numbers are relative to each end's first ISN, as the
		// engine's are: a SYN that reopens the same four-tuple (TIME-WAIT
		// reopened) keeps the first connection's base.
		if _, ok := isn[seg.SrcPort]; !ok {
			isn[seg.SrcPort] = seg.Seq
		}
		if _, ok := isn[seg.DstPort]; !ok && seg.Flags&wire.ACK != 0 {
			isn[seg.DstPort] = seg.Ack - 1
		}
		from := Server
		if seg.SrcPort == client {
			from = Client
		}
		s := wireSeg{
			t:       times[i].Sub(start),
			from:    from,
			flags:   seg.Flags,
			seq:     seg.Seq - isn[seg.SrcPort],
			len:     len(seg.Payload),
			window:  seg.Window,
			options: optionKinds(seg.Options, isn[seg.DstPort]),
		}
		if seg.Flags&wire.ACK != 0 {
			s.ack = seg.Ack - isn[seg.DstPort]
		}
		segs = append(segs, s)
	}
	return segs
}

// Link types of the captures (tcpdump -i lo writes Ethernet frames).
const (
	linkEthernet = 1
	linkRaw      = 101
	linkLinuxSLL = 113
	linkIPv4     = 228
)

// readPcap splits a classic pcap file into its frames. The test reads the
// format itself: it is 24 bytes of header and 16 per record, and a pcap
// library would bring megabytes of tables into the engine's test binary.
func readPcap(data []byte) (frames [][]byte, times []time.Time, linkType uint32, err error) {
	if len(data) < 24 {
		return nil, nil, 0, errors.New("not a pcap file: too short")
	}
	var order binary.ByteOrder
	nanos := false
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4:
		order = binary.LittleEndian
	case 0xa1b23c4d:
		order, nanos = binary.LittleEndian, true
	default:
		switch binary.BigEndian.Uint32(data) {
		case 0xa1b2c3d4:
			order = binary.BigEndian
		case 0xa1b23c4d:
			order, nanos = binary.BigEndian, true
		default:
			return nil, nil, 0, errors.New("not a classic pcap file")
		}
	}
	linkType = order.Uint32(data[20:])
	for rest := data[24:]; len(rest) > 0; {
		if len(rest) < 16 {
			return nil, nil, 0, errors.New("truncated record header")
		}
		sec, frac, n := order.Uint32(rest), order.Uint32(rest[4:]), int(order.Uint32(rest[8:]))
		if len(rest) < 16+n {
			return nil, nil, 0, errors.New("truncated record")
		}
		if !nanos {
			frac *= 1000
		}
		frames = append(frames, rest[16:16+n])
		times = append(times, time.Unix(int64(sec), int64(frac)))
		rest = rest[16+n:]
	}
	return frames, times, linkType, nil
}

// connKey names a connection on loopback by its two ports.
func connKey(seg wire.Segment) [2]uint16 {
	return [2]uint16{min(seg.SrcPort, seg.DstPort), max(seg.SrcPort, seg.DstPort)}
}

// engineSegments runs a scenario and returns its segments as they were put
// on the wire, dropped ones included (tcpdump sees a segment the receiving
// kernel then drops).
func engineSegments(t *testing.T, sc *Scenario) []wireSeg {
	t.Helper()
	tr, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	isn := map[string]uint32{Client: tr.Endpoints.Client.ISN, Server: tr.Endpoints.Server.ISN}
	var segs []wireSeg
	for _, ev := range tr.Events {
		if ev.Kind != KindSegment {
			continue
		}
		pkt, err := wire.ParsePacket(ev.Bytes)
		if err != nil {
			t.Fatalf("segment %d: %v", ev.ID, err)
		}
		s := wireSeg{
			t:       time.Duration(ev.T),
			from:    ev.From,
			flags:   pkt.TCP.Flags,
			seq:     ev.Seq - isn[ev.From],
			len:     ev.Len,
			window:  ev.Window,
			options: optionKinds(pkt.TCP.Options, isn[ev.To]),
		}
		if pkt.TCP.Flags&wire.ACK != 0 {
			s.ack = ev.Ack - isn[ev.To]
		}
		segs = append(segs, s)
	}
	return segs
}

// timeSlack is how far apart the engine's virtual times and the kernel's
// real ones may be: the kernel's timers tick in jiffies and its scheduler
// adds its own delays.
func timeSlack(want time.Duration) time.Duration {
	return max(5*time.Millisecond, want/20)
}

func TestMatchesLinuxCaptures(t *testing.T) {
	calls, err := filepath.Glob("../testdata/linux/*.calls.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) < 20 {
		t.Fatalf("found %d captures in testdata/linux, want at least 20", len(calls))
	}
	for _, path := range calls {
		name := strings.TrimSuffix(filepath.Base(path), ".calls.json")
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc, err := ParseScenario(f)
			if err != nil {
				t.Fatal(err)
			}
			want := readCapture(t, strings.TrimSuffix(path, ".calls.json")+".pcap")
			got := engineSegments(t, sc)
			for _, side := range []string{Client, Server} {
				compareSegments(t, side, sentBy(got, side), sentBy(want, side))
			}
			if t.Failed() {
				t.Logf("engine:\n%s\nlinux:\n%s", joinSegs(got), joinSegs(want))
			}
		})
	}
}

func sentBy(segs []wireSeg, side string) []wireSeg {
	var out []wireSeg
	for _, s := range segs {
		if s.from == side {
			out = append(out, s)
		}
	}
	return out
}

func compareSegments(t *testing.T, side string, got, want []wireSeg) {
	t.Helper()
	for i := range max(len(want), len(got)) {
		switch {
		case i >= len(got):
			t.Errorf("%s segment %d: engine sent nothing, Linux sent %v", side, i+1, want[i])
		case i >= len(want):
			t.Errorf("%s segment %d: engine sent %v, Linux sent nothing", side, i+1, got[i])
		case !got[i].sameAs(want[i]):
			t.Errorf("%s segment %d:\n engine %v\n linux  %v", side, i+1, got[i], want[i])
		case math.Abs(float64(got[i].t-want[i].t)) > float64(timeSlack(want[i].t)):
			t.Errorf("%s segment %d sent at %v, Linux at %v", side, i+1, got[i].t, want[i].t)
		}
	}
}

func joinSegs(segs []wireSeg) string {
	lines := make([]string, len(segs))
	for i, s := range segs {
		lines[i] = s.String()
	}
	return strings.Join(slices.Clip(lines), "\n")
}
