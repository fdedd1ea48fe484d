package wire

import (
	"fmt"
	"math/bits"
	"strings"
)

// Flags is the TCP control-bit octet (byte 13 of the header), one bit per
// flag, FIN being the least significant (RFC 9293, 3.1; RFC 3168 for ECE and
// CWR).
type Flags uint8

// The TCP control bits.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Names returns the upper-case names of the flags set in f, in the order
// people say them ("SYN,ACK", "FIN,ACK") rather than bit order. It returns an
// empty, non-nil slice for 0, so that JSON shows [] rather than null.
func (f Flags) Names() []string {
	names := make([]string, 0, bits.OnesCount8(uint8(f)))
	for _, one := range [...]Flags{SYN, ACK, FIN, RST, PSH, URG, ECE, CWR} {
		if f&one != 0 {
			names = append(names, one.name())
		}
	}
	return names
}

// String returns the names joined by commas, such as "SYN,ACK", or "none"
// when no flag is set.
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	return strings.Join(f.Names(), ",")
}

// name returns the name of a single flag.
func (f Flags) name() string {
	switch f {
	case FIN:
		return "FIN"
	case SYN:
		return "SYN"
	case RST:
		return "RST"
	case PSH:
		return "PSH"
	case ACK:
		return "ACK"
	case URG:
		return "URG"
	case ECE:
		return "ECE"
	case CWR:
		return "CWR"
	}
	return ""
}

// ParseFlags returns the flags named in names, in any order and any letter
// case. A name that is not a flag, or a flag named twice, is an error. The
// single name "none" is accepted, so that ParseFlags inverts String as well as
// Names.
func ParseFlags(names []string) (Flags, error) {
	if len(names) == 1 && asciiEqualFold(names[0], "NONE") {
		return 0, nil
	}
	var f Flags
	for _, name := range names {
		one := flagNamed(name)
		if one == 0 {
			return 0, fmt.Errorf("unknown flag %q (want SYN, ACK, FIN, RST, PSH, URG, ECE or CWR)", name)
		}
		if f&one != 0 {
			return 0, fmt.Errorf("duplicate flag %q", name)
		}
		f |= one
	}
	return f, nil
}

// flagNamed returns the flag called name, or 0 if there is none.
func flagNamed(name string) Flags {
	// Shifting the top bit out of the uint8 ends the loop after CWR.
	for one := FIN; one != 0; one <<= 1 {
		if asciiEqualFold(name, one.name()) {
			return one
		}
	}
	return 0
}

// asciiEqualFold reports whether s equals upper, an upper-case ASCII string,
// ignoring ASCII case only. strings.EqualFold would also accept Unicode
// look-alikes, such as "ſyn" with U+017F, which folds to 's'.
func asciiEqualFold(s, upper string) bool {
	if len(s) != len(upper) {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}
