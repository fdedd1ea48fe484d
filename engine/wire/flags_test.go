package wire

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestFlagsNames(t *testing.T) {
	tests := []struct {
		f    Flags
		want string
	}{
		{0, "none"},
		{SYN, "SYN"},
		{SYN | ACK, "SYN,ACK"},
		{ACK | FIN, "ACK,FIN"},
		{ACK | PSH, "ACK,PSH"},
		{RST | ACK, "ACK,RST"},
		{SYN | ECE | CWR, "SYN,ECE,CWR"},
		{0xff, "SYN,ACK,FIN,RST,PSH,URG,ECE,CWR"},
	}
	for _, tc := range tests {
		if got := tc.f.String(); got != tc.want {
			t.Errorf("Flags(%#02x).String() = %q, want %q", uint8(tc.f), got, tc.want)
		}
	}
	if names := Flags(0).Names(); names == nil || len(names) != 0 {
		t.Errorf("Flags(0).Names() = %#v, want an empty non-nil slice", names)
	}
	if got := (SYN | ACK).Names(); !reflect.DeepEqual(got, []string{"SYN", "ACK"}) {
		t.Errorf("(SYN|ACK).Names() = %q", got)
	}
}

func TestFlagsBits(t *testing.T) {
	// RFC 9293, 3.1 and RFC 3168, 6.1: the control bits of byte 13, most
	// significant first, are CWR ECE URG ACK PSH RST SYN FIN.
	want := []Flags{0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01}
	if got := []Flags{CWR, ECE, URG, ACK, PSH, RST, SYN, FIN}; !slices.Equal(got, want) {
		t.Errorf("flag bits = %#02x, want %#02x", got, want)
	}
}

// TestFlagsRoundTrip checks every possible octet.
func TestFlagsRoundTrip(t *testing.T) {
	for i := range 256 {
		f := Flags(i)
		if got, err := ParseFlags(f.Names()); err != nil || got != f {
			t.Errorf("ParseFlags(%q) = %v, %v; want %v", f.Names(), got, err, f)
		}
		if got, err := ParseFlags(strings.Split(f.String(), ",")); err != nil || got != f {
			t.Errorf("ParseFlags(%q split) = %v, %v; want %v", f.String(), got, err, f)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		names []string
		want  Flags
		err   string
	}{
		{names: []string{"SYN"}, want: SYN},
		{names: []string{"syn", "Ack"}, want: SYN | ACK},
		{names: []string{"ack", "fin"}, want: FIN | ACK},
		{names: []string{"cwr", "ECE", "urg", "psh", "rst", "fin", "ack", "syn"}, want: 0xff},
		{names: nil, want: 0},
		{names: []string{"none"}, want: 0},
		{names: []string{"NONE"}, want: 0},
		{names: []string{"SYN", "XYZ"}, err: `unknown flag "XYZ" (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)`},
		{names: []string{"SYN", "syn"}, err: `duplicate flag "syn"`},
		{names: []string{"SYN", "none"}, err: `unknown flag "none" (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)`},
		{names: []string{""}, err: `unknown flag "" (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)`},
		{names: []string{" SYN"}, err: `unknown flag " SYN" (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)`},
		{names: []string{"SYN,ACK"}, err: `unknown flag "SYN,ACK" (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)`},
		// U+017F LATIN SMALL LETTER LONG S folds to 's' in Unicode, but is
		// not how anyone spells SYN.
		{names: []string{"ſyn"}, err: `unknown flag "ſyn" (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)`},
	}
	for _, tc := range tests {
		got, err := ParseFlags(tc.names)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("ParseFlags(%q) error = %v, want %q", tc.names, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("ParseFlags(%q) = %v, %v; want %v", tc.names, got, err, tc.want)
		}
	}
}

// FuzzParseFlags splits its input on commas, as the engine's scenarios list
// flags.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"SYN", "syn,ack", "FIN,ACK", "RST", "none", "", "SYN,SYN", "xyz", "PSH,ACK,URG,ECE,CWR,FIN,SYN,RST"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names := strings.Split(s, ",")
		flags, err := ParseFlags(names)
		if err != nil {
			return
		}
		if got, err := ParseFlags(flags.Names()); err != nil || got != flags {
			t.Fatalf("ParseFlags(%q) = %v, but ParseFlags(Names()) = %v, %v", names, flags, got, err)
		}
		if got, err := ParseFlags(strings.Split(flags.String(), ",")); err != nil || got != flags {
			t.Fatalf("ParseFlags(%q) = %v, but parsing String() gives %v, %v", names, flags, got, err)
		}
		if flags == 0 {
			return
		}
		// Accepted names are exactly the canonical ones, up to ASCII case
		// and order. The length check keeps out Unicode look-alikes, which
		// strings.ToUpper would map onto ASCII.
		upper := make([]string, len(names))
		for i, n := range names {
			if len(n) != 3 {
				t.Fatalf("ParseFlags(%q) accepted %q", names, n)
			}
			upper[i] = strings.ToUpper(n)
		}
		slices.Sort(upper)
		canonical := flags.Names()
		slices.Sort(canonical)
		if !slices.Equal(upper, canonical) {
			t.Fatalf("ParseFlags(%q) = %v", names, flags)
		}
	})
}
