package engine

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/engine/wire"
)

// externalScenario has the server outside the engine: the test plays it.
const externalScenario = `{
	"seed": 3,
	"network": {"one_way_delay_ms": 10},
	"steps": [
		{"at_ms": 0, "endpoint": "server", "call": "listen"},
		{"at_ms": 0, "endpoint": "client", "call": "connect"},
		{"at_ms": 100, "endpoint": "server", "call": "send", "data": "hi"}
	],
	"faults": [{"inject": {"at_ms": 50, "from": "client", "flags": ["RST", "ACK"], "rel_seq": 1, "rel_ack": 1}}],
	"until_ms": 200
}`

func newExternal(t *testing.T, doc, outside string) *External {
	t.Helper()
	sc, err := ParseScenario(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExternal(sc, outside)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestExternalHandshake plays the outside server by hand: its calls and the
// client's SYN come out as PeerActions in the engine's order, its SYN,ACK
// goes in and reaches the client after the network's delay, and an injected
// segment counts its acknowledgment number from the ISN the outside server
// was seen to use.
func TestExternalHandshake(t *testing.T) {
	x := newExternal(t, externalScenario, Server)
	if x.Peer() != Server || x.Inside() != Client {
		t.Fatalf("Peer, Inside = %s, %s", x.Peer(), x.Inside())
	}
	var got []PeerAction
	x.AdvanceTo(10*time.Millisecond, func(a PeerAction) { got = append(got, a) })
	if len(got) != 2 || got[0].Kind != PeerCall || got[0].Step.Call != CallListen || got[0].At != 0 {
		t.Fatalf("first actions = %+v, want the listen call at 0 then the SYN", got)
	}
	x.CallDone(0, got[0].Step, "ok", "")
	syn, err := wire.ParsePacket(got[1].Packet)
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Kind != PeerSegment || got[1].At != 10*time.Millisecond || syn.TCP.Flags != wire.SYN {
		t.Fatalf("second action = %+v, flags %v; want the SYN arriving at 10 ms", got[1], syn.TCP.Flags)
	}
	if x.Sim().Now() != 10*time.Millisecond {
		t.Fatalf("Now = %v after AdvanceTo(10ms)", x.Sim().Now())
	}

	// The outside server answers at 12 ms with ISN 777000.
	synAck := wire.Packet{Src: syn.Dst, Dst: syn.Src, TTL: 64, TCP: wire.Segment{
		SrcPort: syn.TCP.DstPort, DstPort: syn.TCP.SrcPort, Seq: 777000, Ack: syn.TCP.Seq + 1,
		Flags: wire.SYN | wire.ACK, Window: 65535,
	}}
	raw, err := synAck.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	x.AdvanceTo(12*time.Millisecond, func(a PeerAction) { t.Fatalf("unexpected action %+v", a) })
	if err := x.Received(12*time.Millisecond, raw); err != nil {
		t.Fatal(err)
	}
	x.PeerState(12*time.Millisecond, Listen, SynReceived)

	got = got[:0]
	x.AdvanceTo(200*time.Millisecond, func(a PeerAction) { got = append(got, a) })
	// The client's ACK (arriving 32 ms), the injected RST,ACK (60 ms) and the
	// server's send call (100 ms).
	if len(got) != 3 {
		t.Fatalf("actions = %+v, want ACK, RST and send", got)
	}
	ack, _ := wire.ParsePacket(got[0].Packet)
	if got[0].At != 32*time.Millisecond || ack.TCP.Flags != wire.ACK || ack.TCP.Ack != 777001 {
		t.Errorf("ACK at %v flags %v ack %d, want at 32ms, ACK, ack 777001", got[0].At, ack.TCP.Flags, ack.TCP.Ack)
	}
	rst, _ := wire.ParsePacket(got[1].Packet)
	if rst.TCP.Flags != wire.RST|wire.ACK || rst.TCP.Ack != 777001 || rst.TCP.Seq != syn.TCP.Seq+1 {
		t.Errorf("injected %v seq %d ack %d, want RST,ACK seq %d ack 777001", rst.TCP.Flags, rst.TCP.Seq, rst.TCP.Ack, syn.TCP.Seq+1)
	}
	if got[2].Kind != PeerCall || got[2].Step.Data != "hi" || got[2].At != 100*time.Millisecond {
		t.Errorf("third action = %+v, want the send call at 100 ms", got[2])
	}

	tr := x.Sim().Trace()
	if tr.Endpoints.Server.ISN != 777000 {
		t.Errorf("server ISN = %d, want 777000 from its SYN,ACK", tr.Endpoints.Server.ISN)
	}
	var kinds []string
	for _, ev := range tr.Events {
		if ev.Endpoint == Server || ev.From == Server {
			kinds = append(kinds, string(ev.Kind)+":"+string(ev.Cause))
		}
	}
	want := "call:kernel segment:kernel state:kernel"
	if strings.Join(kinds, " ") != want {
		t.Errorf("the outside server's events = %v, want %s", kinds, want)
	}
	var clientStates []string
	for _, ev := range tr.Events {
		if ev.Kind == KindState && ev.Endpoint == Client {
			clientStates = append(clientStates, ev.To)
		}
	}
	if strings.Join(clientStates, " ") != "SYN-SENT ESTABLISHED" {
		t.Errorf("client states = %v, want SYN-SENT ESTABLISHED", clientStates)
	}
}

// TestExternalReceivedRefuses: a packet that is not the outside endpoint's
// TCP over IPv4 is refused and not recorded.
func TestExternalReceivedRefuses(t *testing.T) {
	x := newExternal(t, externalScenario, Server)
	other := wire.Packet{
		Src: netip.AddrFrom4([4]byte{10, 0, 0, 9}), Dst: clientAddr, TTL: 64,
		TCP: wire.Segment{SrcPort: 80, DstPort: 4000, Flags: wire.ACK},
	}
	raw, _ := other.Marshal()
	tests := []struct {
		name string
		pkt  []byte
		want string
	}{
		{"short", []byte{0x45, 0}, "too short"},
		{"not its address", raw, "is not its address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := x.Received(0, tt.pkt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Received = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if n := len(x.Sim().Events()); n != 0 {
		t.Errorf("%d events recorded, want none", n)
	}
}

func TestNewExternalEndpoint(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(externalScenario))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewExternal(sc, "router"); err == nil {
		t.Fatal("NewExternal accepted an endpoint that is neither client nor server")
	}
}
