package wire

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
)

// FuzzParsePacket checks that ParsePacket never panics, and that whatever it
// accepts survives a round trip: Marshal succeeds, and its output parses to
// the same Packet and marshals to the same bytes.
//
// Almost every mutation breaks a checksum, which would keep the fuzzer out
// of the option parser, so each input is also tried with its checksums
// repaired.
func FuzzParsePacket(f *testing.F) {
	for _, tc := range typicalPackets() {
		f.Add(mustMarshal(f, &tc.p))
	}
	for _, h := range []string{capturedHTTPGet, capturedRST} {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkRoundTrip(t, b)
		if len(b) >= 40 {
			b = bytes.Clone(b)
			fixChecksums(b)
			checkRoundTrip(t, b)
		}
	})
}

func checkRoundTrip(t *testing.T, b []byte) {
	t.Helper()
	p, err := ParsePacket(b)
	if err != nil {
		return
	}
	b2, err := p.Marshal()
	if err != nil {
		t.Fatalf("ParsePacket accepted %x as %+v, but Marshal fails: %v", b, p, err)
	}
	p2, err := ParsePacket(b2)
	if err != nil {
		t.Fatalf("Marshal(%+v) = %x, which does not parse: %v", p, b2, err)
	}
	if !reflect.DeepEqual(p2, p) {
		t.Fatalf("round trip changed the packet:\n%+v\nto\n%+v", p, p2)
	}
	if b3, err := p2.Marshal(); err != nil || !bytes.Equal(b3, b2) {
		t.Fatalf("Marshal is not stable: %x then %x, %v", b2, b3, err)
	}
}
