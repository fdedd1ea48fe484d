package wire

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writePcap writes packets, raw IPv4 datagrams, as a classic pcap file
// (https://www.tcpdump.org/manpages/pcap-savefile.5.html) with link type
// LINKTYPE_RAW.
func writePcap(path string, packets [][]byte) error {
	const linktypeRaw = 101
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4) // magic: microsecond timestamps
	b = binary.LittleEndian.AppendUint16(b, 2)             // version 2.4
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint32(b, 0)     // reserved (was thiszone)
	b = binary.LittleEndian.AppendUint32(b, 0)     // reserved (was sigfigs)
	b = binary.LittleEndian.AppendUint32(b, 65535) // snaplen
	b = binary.LittleEndian.AppendUint32(b, linktypeRaw)
	for i, p := range packets {
		b = binary.LittleEndian.AppendUint32(b, uint32(i)) // seconds
		b = binary.LittleEndian.AppendUint32(b, 0)         // microseconds
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return os.WriteFile(path, b, 0o644)
}

// tsharkFlags renders f as tshark 4's tcp.flags.str does: twelve characters,
// one per bit from the three reserved bits and AE down to FIN, a letter for
// each bit set and a middle dot for each bit clear.
func tsharkFlags(f Flags) string {
	var sb strings.Builder
	sb.WriteString("····") // reserved and AE: Marshal writes zeros
	for i, letter := range "CEUAPRSF" {
		if f&(CWR>>i) != 0 {
			sb.WriteRune(letter)
		} else {
			sb.WriteString("·")
		}
	}
	return sb.String()
}

// TestTshark has Wireshark's dissector read marshalled packets and checks
// that it finds both checksums good and decodes flags, lengths and options
// as wire meant them.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not on PATH")
	}
	cases := typicalPackets()
	packets := make([][]byte, len(cases))
	for i, tc := range cases {
		packets[i] = mustMarshal(t, &tc.p)
	}
	path := filepath.Join(t.TempDir(), "wire.pcap")
	if err := writePcap(path, packets); err != nil {
		t.Fatal(err)
	}
	fields := []string{
		"tcp.flags.str", "ip.checksum.status", "tcp.checksum.status",
		"tcp.len", "tcp.hdr_len", "tcp.options.mss_val", "tcp.options.wscale.shift",
		"tcp.options.timestamp.tsval", "tcp.options.sack_le",
	}
	args := []string{"-r", path, "-n",
		"-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-o", "tcp.relative_sequence_numbers:FALSE",
		"-T", "fields", "-E", "separator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.CommandContext(t.Context(), tshark, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("tshark printed %d lines for %d packets:\n%s\n%s", len(lines), len(cases), out, stderr.String())
	}
	for i, tc := range cases {
		got := strings.Split(lines[i], "|")
		if len(got) != len(fields) {
			t.Fatalf("%s: tshark printed %q", tc.name, lines[i])
		}
		field := make(map[string]string)
		for j, f := range fields {
			field[f] = got[j]
		}
		s := &tc.p.TCP
		// Checksum status 1 is "Good" (0 is "Bad", 2 "Unverified").
		want := map[string]string{
			"tcp.flags.str":       tsharkFlags(s.Flags),
			"ip.checksum.status":  "1",
			"tcp.checksum.status": "1",
			"tcp.len":             strconv.Itoa(len(s.Payload)),
			"tcp.hdr_len":         strconv.Itoa(s.HeaderLen()),
		}
		for _, o := range s.Options {
			switch o.Kind {
			case MSS:
				want["tcp.options.mss_val"] = strconv.Itoa(int(o.Value))
			case WS:
				want["tcp.options.wscale.shift"] = strconv.Itoa(int(o.Value))
			case Timestamps:
				want["tcp.options.timestamp.tsval"] = strconv.Itoa(int(o.TSVal))
			case SACK:
				var left []string
				for _, blk := range o.Blocks {
					left = append(left, strconv.Itoa(int(blk[0])))
				}
				want["tcp.options.sack_le"] = strings.Join(left, ",")
			}
		}
		for f, w := range want {
			if field[f] != w {
				t.Errorf("%s: tshark %s = %q, want %q", tc.name, f, field[f], w)
			}
		}
	}
}
