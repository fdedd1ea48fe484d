package export

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
	"github.com/synack/synack/scenarios"
)

func builtinTrace(t testing.TB, id string) *engine.Trace {
	t.Helper()
	sc, ok := scenarios.Get(id)
	if !ok {
		t.Fatalf("no built-in scenario %s", id)
	}
	tr, err := engine.Run(sc)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return tr
}

func writePCAPNG(t testing.TB, tr *engine.Trace, lang string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePCAPNG(&buf, tr, lang); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPCAPNGReadBack reads every built-in scenario's pcapng back with
// gopacket's NgReader: the section and interface, the names of both
// endpoints, and one packet per segment event with its timestamp, a valid
// IPv4 packet matching the event, and at least one comment.
func TestPCAPNGReadBack(t *testing.T) {
	for id, tr := range builtinTraces(t) {
		t.Run(id, func(t *testing.T) {
			r, err := pcapgo.NewNgReader(bytes.NewReader(writePCAPNG(t, tr, "en")), pcapgo.DefaultNgReaderOptions)
			if err != nil {
				t.Fatal(err)
			}
			if r.LinkType() != layers.LinkTypeRaw {
				t.Fatalf("link type %v, want raw", r.LinkType())
			}
			if got := r.SectionInfo().Application; got != "synack" {
				t.Errorf("section application %q, want synack", got)
			}
			if got := r.SectionInfo().Comment; !strings.Contains(got, id) {
				t.Errorf("section comment %q does not name the scenario", got)
			}
			for i, ev := range segments(tr) {
				data, ci, opts, err := r.ReadPacketDataWithOptions()
				if err != nil {
					t.Fatalf("packet %d: %v", i+1, err)
				}
				if want := captureEpoch().Add(time.Duration(ev.T)); !ci.Timestamp.Equal(want) {
					t.Errorf("segment %d: timestamp %v, want %v", ev.ID, ci.Timestamp, want)
				}
				checkPacket(t, ev, data)
				if len(opts.Comments) == 0 {
					t.Errorf("segment %d: no comment", ev.ID)
				}
			}
			if _, _, err := r.ReadPacketData(); err != io.EOF {
				t.Errorf("after the last segment: %v, want EOF", err)
			}
			names := map[string]netip.Addr{}
			for i := range r.NNames() {
				rec, err := r.Name(i)
				if err != nil {
					t.Fatal(err)
				}
				ip, ok := rec.Addr.(*pcapgo.NgIPAddress)
				if !ok || len(rec.Names) != 1 {
					t.Fatalf("name record %d: %+v", i, rec)
				}
				names[rec.Names[0]] = ip.Addr
			}
			want := map[string]netip.Addr{
				"client": netip.MustParseAddr(tr.Endpoints.Client.Addr),
				"server": netip.MustParseAddr(tr.Endpoints.Server.Addr),
			}
			if len(names) != 2 || names["client"] != want["client"] || names["server"] != want["server"] {
				t.Errorf("names %v, want %v", names, want)
			}
		})
	}
}

// TestPCAPNGComments checks the words of the fate comments: each fault kind,
// in both languages.
func TestPCAPNGComments(t *testing.T) {
	tests := []struct {
		id   string
		lang string
		// packet is 1-based, as Wireshark numbers frames.
		packet int
		want   []string
	}{
		{"client-closes-first", "en", 1, []string{"delivered to the server at 10 ms"}},
		{"syn-lost", "en", 1, []string{"dropped by faults[0], which loses the client's SYN segment number 1"}},
		{"syn-lost", "en", 2, []string{"delivered to the server at 1010 ms", "retransmission"}},
		{"syn-lost", "zh", 1, []string{"被 faults[0] 丢弃：客户端发送的第 1 个 SYN 报文段丢失"}},
		{"syn-lost", "zh", 2, []string{"已在 1010 ms 送达服务器", "重传"}},
		{"challenge-ack-rst", "en", 6, []string{
			"injected by faults[0] at 500 ms, as if the client had sent it",
			"delivered to the server at 510 ms",
		}},
		{"syn-flood-backlog", "en", 2, []string{
			"SYN flood of faults[0]: sent at 1 ms from a spoofed source address",
			"delivered to the server at 11 ms",
		}},
		{"syn-flood-backlog", "en", 0, []string{"dropped: nobody is at the spoofed destination address"}},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.lang, func(t *testing.T) {
			r, err := pcapgo.NewNgReader(bytes.NewReader(writePCAPNG(t, builtinTrace(t, tt.id), tt.lang)), pcapgo.DefaultNgReaderOptions)
			if err != nil {
				t.Fatal(err)
			}
			var all [][]string
			for {
				_, _, opts, err := r.ReadPacketDataWithOptions()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, opts.Comments)
			}
			if tt.packet == 0 { // some packet has these comments
				if !slices.ContainsFunc(all, func(c []string) bool { return slices.Equal(c, tt.want) }) {
					t.Errorf("no packet has the comments %q", tt.want)
				}
				return
			}
			if tt.packet > len(all) {
				t.Fatalf("%d packets, want at least %d", len(all), tt.packet)
			}
			if got := all[tt.packet-1]; !slices.Equal(got, tt.want) {
				t.Errorf("packet %d comments %q, want %q", tt.packet, got, tt.want)
			}
		})
	}
}

// TestPCAPNGSameTraceSameFile: nothing of the machine or the moment goes
// into the file.
func TestPCAPNGSameTraceSameFile(t *testing.T) {
	a := writePCAPNG(t, builtinTrace(t, "syn-lost"), "en")
	b := writePCAPNG(t, builtinTrace(t, "syn-lost"), "en")
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same trace differ")
	}
}

// TestPCAPNGTshark has Wireshark's reader check the pcapng files: every
// frame decodes with good checksums, carries its comment (frame.comment)
// and, with name resolution on, the endpoints' names from the name
// resolution block. The three scenarios, one with each kind of fault, are
// one file of three sections, so that tshark starts once.
func TestPCAPNGTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark is not installed")
	}
	ids := []string{"syn-lost", "challenge-ack-rst", "client-closes-first"}
	var file []byte
	var want []string
	for _, id := range ids {
		tr := builtinTrace(t, id)
		file = append(file, writePCAPNG(t, tr, "en")...)
		causes := faultCauses(tr)
		for _, ev := range segments(tr) {
			cause, known := causes[ev.ID]
			want = append(want, ev.From+"\t"+ev.To+"\t"+strings.Join(fateComments(englishCat(), ev, cause, known), ",")+"\t1\t1")
		}
	}
	path := filepath.Join(t.TempDir(), "faults.pcapng")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tshark, "-n", "-N", "n", "-r", path,
		"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
		"-T", "fields", "-e", "ip.src_host", "-e", "ip.dst_host", "-e", "frame.comment",
		"-e", "ip.checksum.status", "-e", "tcp.checksum.status",
	).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("tshark read %d frames, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("frame %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
	if !strings.Contains(string(out), "dropped by faults[0]") || !strings.Contains(string(out), "injected by faults[0]") {
		t.Errorf("tshark shows no drop or injection comment:\n%s", out)
	}
}

func englishCat() i18n.Catalogue { return i18n.For(i18n.EN) }
