package kernelpeer

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/synack/synack/engine"
)

// diagMsg builds a struct inet_diag_msg as the kernel sends it.
func diagMsg(family, state uint8, local, remote netip.AddrPort) []byte {
	b := make([]byte, inetDiagMsgLen)
	b[0], b[1] = family, state
	id := b[4:]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	a, r := local.Addr().As4(), remote.Addr().As4()
	copy(id[4:8], a[:])
	copy(id[20:24], r[:])
	return b
}

func TestParseDiagMsg(t *testing.T) {
	local := netip.MustParseAddrPort("10.0.0.2:80")
	remote := netip.MustParseAddrPort("10.0.0.1:40000")
	tests := []struct {
		name string
		b    []byte
		want sockState
		ok   bool
	}{
		{"established", diagMsg(2, 1, local, remote), sockState{local, remote, engine.Established}, true},
		{"time-wait", diagMsg(2, 6, local, remote), sockState{local, remote, engine.TimeWait}, true},
		{"listen", diagMsg(2, 10, local, netip.MustParseAddrPort("0.0.0.0:0")), sockState{local, netip.MustParseAddrPort("0.0.0.0:0"), engine.Listen}, true},
		{"request socket", diagMsg(2, 12, local, remote), sockState{local, remote, engine.SynReceived}, true},
		{"ipv6", diagMsg(10, 1, local, remote), sockState{}, false},
		{"unknown state", diagMsg(2, 13, local, remote), sockState{}, false},
		{"short", diagMsg(2, 1, local, remote)[:40], sockState{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseDiagMsg(tt.b)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseDiagMsg = %+v, %t; want %+v, %t", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseDiagMsg(f *testing.F) {
	f.Add(diagMsg(2, 1, netip.MustParseAddrPort("10.0.0.2:80"), netip.MustParseAddrPort("10.0.0.1:40000")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := parseDiagMsg(b)
		if !ok {
			return
		}
		if len(b) < inetDiagMsgLen || !s.local.Addr().Is4() || s.state.String() == "" {
			t.Fatalf("accepted %x as %+v", b, s)
		}
	})
}

func TestKernelSettings(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	yes, no := true, false
	tests := []struct {
		name string
		o    engine.Options
		want []setting
	}{
		{"none", engine.Options{}, nil},
		{"engine-only options", engine.Options{DelayedAckMs: n(200), MSLMs: n(1000), RTOMinMs: n(300)}, nil},
		{"retries", engine.Options{SynRetries: n(6), SynAckRetries: n(2), Retries2: n(15), OrphanRetries: n(8), SynLinearTimeouts: n(4)},
			[]setting{{"tcp_syn_retries", "6"}, {"tcp_synack_retries", "2"}, {"tcp_retries2", "15"}, {"tcp_orphan_retries", "8"}, {"tcp_syn_linear_timeouts", "4"}}},
		{"fin timeout in seconds", engine.Options{FinTimeoutMs: n(30000)}, []setting{{"tcp_fin_timeout", "30"}}},
		{"flags", engine.Options{RFC1337: &yes, Timestamps: &no, SACK: &no, WindowScaling: &yes},
			[]setting{{"tcp_rfc1337", "1"}, {"tcp_timestamps", "0"}, {"tcp_sack", "0"}, {"tcp_window_scaling", "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kernelSettings(tt.o)
			if len(got) != len(tt.want) {
				t.Fatalf("kernelSettings = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("setting %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSubsequence(t *testing.T) {
	tests := []struct {
		sub, seq []string
		want     bool
	}{
		{nil, []string{"A"}, true},
		{[]string{"A", "C"}, []string{"A", "B", "C"}, true},
		{[]string{"C", "A"}, []string{"A", "B", "C"}, false},
		{[]string{"A", "D"}, []string{"A", "B", "C"}, false},
		{[]string{"A", "B", "C"}, []string{"A", "B", "C"}, true},
	}
	for _, tt := range tests {
		if got := subsequence(tt.sub, tt.seq); got != tt.want {
			t.Errorf("subsequence(%v, %v) = %t, want %t", tt.sub, tt.seq, got, tt.want)
		}
	}
}
