package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// OptionKind is a TCP option kind number (IANA "TCP Option Kind Numbers").
type OptionKind uint8

// The option kinds that wire decodes into fields. Any other kind is kept as
// raw bytes.
const (
	EOL           OptionKind = 0 // End of Option List (RFC 9293)
	NOP           OptionKind = 1 // No-Operation, used to align the next option (RFC 9293)
	MSS           OptionKind = 2 // Maximum Segment Size (RFC 9293)
	WS            OptionKind = 3 // Window Scale (RFC 7323)
	SACKPermitted OptionKind = 4 // SACK Permitted (RFC 2018)
	SACK          OptionKind = 5 // Selective Acknowledgment blocks (RFC 2018)
	Timestamps    OptionKind = 8 // Timestamps (RFC 7323)
)

// maxOptionsLen is the room for options: the 4-bit data offset counts 32-bit
// words, so a TCP header is at most 60 bytes, 20 of them fixed.
const maxOptionsLen = 40

// maxSACKBlocks is how many 8-byte SACK blocks fit in maxOptionsLen after the
// kind and length bytes.
const maxSACKBlocks = (maxOptionsLen - 2) / 8

// String returns the name used in JSON: "EOL", "NOP", "MSS", "WS",
// "SACK_PERM", "SACK", "TS", or "UNKNOWN(n)" for other kinds.
func (k OptionKind) String() string {
	if name := k.name(); name != "" {
		return name
	}
	return fmt.Sprintf("UNKNOWN(%d)", uint8(k))
}

// name returns the JSON name of a known kind, or "" for other kinds.
func (k OptionKind) name() string {
	switch k {
	case EOL:
		return "EOL"
	case NOP:
		return "NOP"
	case MSS:
		return "MSS"
	case WS:
		return "WS"
	case SACKPermitted:
		return "SACK_PERM"
	case SACK:
		return "SACK"
	case Timestamps:
		return "TS"
	}
	return ""
}

// fixedLen returns the length in bytes, kind and length bytes included, of
// the kinds whose length never varies.
func (k OptionKind) fixedLen() (n int, ok bool) {
	switch k {
	case EOL, NOP:
		return 1, true
	case MSS:
		return 4, true
	case WS:
		return 3, true
	case SACKPermitted:
		return 2, true
	case Timestamps:
		return 10, true
	}
	return 0, false
}

// Option is one TCP option. Which fields are used depends on Kind; the others
// are ignored when marshalling and left zero when parsing.
type Option struct {
	Kind OptionKind
	// Value is the MSS in bytes, or the window-scale shift count.
	Value uint32
	// TSVal and TSEcr are the Timestamps option's value and echo reply.
	TSVal, TSEcr uint32
	// Blocks are the SACK blocks, each a (left edge, right edge) pair of
	// sequence numbers.
	Blocks [][2]uint32
	// Raw holds the data bytes of an option of any other kind: everything
	// after its kind and length bytes. It is nil when there are none.
	Raw []byte
}

// len returns the encoded length of o, kind and length bytes included.
func (o *Option) len() int {
	if n, ok := o.Kind.fixedLen(); ok {
		return n
	}
	if o.Kind == SACK {
		return 2 + 8*len(o.Blocks)
	}
	return 2 + len(o.Raw)
}

// check reports whether o can be encoded without losing information.
func (o *Option) check() error {
	switch o.Kind {
	case MSS:
		if o.Value > math.MaxUint16 {
			return fmt.Errorf("option MSS: value %d does not fit in 16 bits", o.Value)
		}
	case WS:
		// Shifts above 14 are legal to send (RFC 7323, 2.3 has the receiver
		// clamp them), and showing that is part of teaching TCP; only values
		// that do not fit the byte are refused.
		if o.Value > math.MaxUint8 {
			return fmt.Errorf("option WS: value %d does not fit in 8 bits", o.Value)
		}
	case SACK:
		if n := len(o.Blocks); n < 1 || n > maxSACKBlocks {
			return fmt.Errorf("option SACK: %d blocks, want 1 to %d", n, maxSACKBlocks)
		}
	default:
		if _, ok := o.Kind.fixedLen(); !ok && len(o.Raw) > maxOptionsLen-2 {
			return fmt.Errorf("option %v: %d data bytes, at most %d fit", o.Kind, len(o.Raw), maxOptionsLen-2)
		}
	}
	return nil
}

// optionsLen checks opts and returns their encoded length, before padding.
func optionsLen(opts []Option) (int, error) {
	n := 0
	for i := range opts {
		o := &opts[i]
		if err := o.check(); err != nil {
			return 0, err
		}
		// Receivers stop at EOL, so anything after it would silently vanish.
		if o.Kind == EOL && i != len(opts)-1 {
			return 0, fmt.Errorf("option EOL must be the last option, but %d follow it", len(opts)-1-i)
		}
		n += o.len()
	}
	if n > maxOptionsLen {
		return 0, fmt.Errorf("tcp options take %d bytes, more than the %d that fit", n, maxOptionsLen)
	}
	return n, nil
}

// putOptions encodes opts, already checked by optionsLen, at the start of b.
func putOptions(b []byte, opts []Option) {
	for i := range opts {
		o := &opts[i]
		n := o.len()
		b[0] = byte(o.Kind)
		if n > 1 {
			b[1] = byte(n)
		}
		switch o.Kind {
		case EOL, NOP, SACKPermitted: // no data
		case MSS:
			binary.BigEndian.PutUint16(b[2:], uint16(o.Value))
		case WS:
			b[2] = byte(o.Value)
		case Timestamps:
			binary.BigEndian.PutUint32(b[2:], o.TSVal)
			binary.BigEndian.PutUint32(b[6:], o.TSEcr)
		case SACK:
			for j, blk := range o.Blocks {
				binary.BigEndian.PutUint32(b[2+8*j:], blk[0])
				binary.BigEndian.PutUint32(b[6+8*j:], blk[1])
			}
		default:
			copy(b[2:], o.Raw)
		}
		b = b[n:]
	}
}

// ParseOptions decodes the options area of a TCP header (the bytes between
// the fixed 20-byte header and the data offset), as ParsePacket does: NOPs
// are kept, EOL ends the list, and a malformed option is an error that names
// it. The result does not alias b. It is for TCP headers that ParsePacket
// cannot take whole, such as IPv6 packets in a user's capture.
func ParseOptions(b []byte) ([]Option, error) { return parseOptions(b) }

// parseOptions decodes the options area of a TCP header. The result does not
// alias b.
func parseOptions(b []byte) ([]Option, error) {
	// Options are collected on the stack (each takes at least a byte, so
	// at most maxOptionsLen fit) and copied out once, rather than letting
	// append grow the slice a few times per packet.
	var buf [maxOptionsLen]Option
	opts := buf[:0]
loop:
	for len(b) > 0 {
		kind := OptionKind(b[0])
		switch kind {
		case EOL:
			// The list ends here; the rest is padding, which RFC 9293 (3.1)
			// says is zero but receivers do not check, so neither do we.
			// EOL itself is not reported: it cannot be told apart from the
			// padding that Marshal adds.
			break loop
		case NOP:
			opts = append(opts, Option{Kind: NOP})
			b = b[1:]
			continue
		}
		if len(b) < 2 {
			return nil, fmt.Errorf("option %v: no room for its length byte", kind)
		}
		n := int(b[1])
		if want, ok := kind.fixedLen(); ok && n != want {
			return nil, fmt.Errorf("option %v: length %d, want %d", kind, n, want)
		}
		if n < 2 {
			return nil, fmt.Errorf("option %v: length %d, want at least 2", kind, n)
		}
		if n > len(b) {
			return nil, fmt.Errorf("option %v: length %d, but only %d bytes of options are left", kind, n, len(b))
		}
		data := b[2:n]
		o := Option{Kind: kind}
		switch kind {
		case MSS:
			o.Value = uint32(binary.BigEndian.Uint16(data))
		case WS:
			o.Value = uint32(data[0])
		case SACKPermitted: // no data
		case Timestamps:
			o.TSVal = binary.BigEndian.Uint32(data)
			o.TSEcr = binary.BigEndian.Uint32(data[4:])
		case SACK:
			// No upper bound to check: the options area is too small for
			// more than maxSACKBlocks.
			if len(data) == 0 || len(data)%8 != 0 {
				return nil, fmt.Errorf("option SACK: length %d, want 2 plus 8 per block (10, 18, 26 or 34)", n)
			}
			o.Blocks = make([][2]uint32, len(data)/8)
			for i := range o.Blocks {
				o.Blocks[i] = [2]uint32{
					binary.BigEndian.Uint32(data[8*i:]),
					binary.BigEndian.Uint32(data[8*i+4:]),
				}
			}
		default:
			if len(data) > 0 {
				o.Raw = bytes.Clone(data)
			}
		}
		opts = append(opts, o)
		b = b[n:]
	}
	if len(opts) == 0 {
		return nil, nil
	}
	return slices.Clone(opts), nil
}

// optionJSON is the JSON form of an Option. Pointers tell a zero value,
// which must be shown ("ecr":0), from an absent field.
type optionJSON struct {
	Kind   string       `json:"kind"`
	Value  *uint32      `json:"value,omitempty"`
	Val    *uint32      `json:"val,omitempty"`
	Ecr    *uint32      `json:"ecr,omitempty"`
	Blocks *[][2]uint32 `json:"blocks,omitempty"`
	Type   *uint8       `json:"type,omitempty"`
	Data   *string      `json:"data,omitempty"`
}

// MarshalJSON encodes o with a "kind" name and only the fields that kind
// uses: {"kind":"MSS","value":1460}, {"kind":"WS","value":7},
// {"kind":"SACK_PERM"}, {"kind":"TS","val":1,"ecr":0},
// {"kind":"SACK","blocks":[[1,2]]}, {"kind":"NOP"}, {"kind":"EOL"}, and for
// other kinds {"kind":"UNKNOWN","type":30,"data":"0102"} with the data in hex.
func (o Option) MarshalJSON() ([]byte, error) {
	j := optionJSON{Kind: o.Kind.name()}
	switch o.Kind {
	case EOL, NOP, SACKPermitted:
	case MSS, WS:
		j.Value = &o.Value
	case Timestamps:
		j.Val, j.Ecr = &o.TSVal, &o.TSEcr
	case SACK:
		blocks := o.Blocks
		if blocks == nil {
			blocks = [][2]uint32{} // [] rather than null
		}
		j.Blocks = &blocks
	default:
		j.Kind = "UNKNOWN"
		kind, data := uint8(o.Kind), hex.EncodeToString(o.Raw)
		j.Type, j.Data = &kind, &data
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes the form written by MarshalJSON. It is strict, since
// its input may come from a user: a field the kind does not use, a missing
// field, an unknown field, or a value that could not be put on the wire is
// an error.
func (o *Option) UnmarshalJSON(b []byte) error {
	var j optionJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("option: %w", err)
	}
	opt, err := j.option()
	if err != nil {
		return err
	}
	if err := opt.check(); err != nil {
		return err
	}
	*o = opt
	return nil
}

// option converts j to an Option, checking that it has the fields its kind
// needs and no others.
func (j *optionJSON) option() (Option, error) {
	if j.Kind == "UNKNOWN" {
		if err := j.expect("type", "data"); err != nil {
			return Option{}, err
		}
		o := Option{Kind: OptionKind(*j.Type)}
		if name := o.Kind.name(); name != "" {
			return Option{}, fmt.Errorf("option UNKNOWN: type %d is %s; write {\"kind\":%q}", *j.Type, name, name)
		}
		raw, err := hex.DecodeString(*j.Data)
		if err != nil {
			return Option{}, fmt.Errorf("option UNKNOWN: data: %w", err)
		}
		if len(raw) > 0 {
			o.Raw = raw // else nil, as parseOptions leaves it
		}
		return o, nil
	}
	kind, ok := kindNamed(j.Kind)
	if !ok {
		return Option{}, fmt.Errorf("option: unknown kind %q (want EOL, NOP, MSS, WS, SACK_PERM, SACK, TS or UNKNOWN)", j.Kind)
	}
	o := Option{Kind: kind}
	var err error
	switch kind {
	case MSS, WS:
		if err = j.expect("value"); err == nil {
			o.Value = *j.Value
		}
	case Timestamps:
		if err = j.expect("val", "ecr"); err == nil {
			o.TSVal, o.TSEcr = *j.Val, *j.Ecr
		}
	case SACK:
		if err = j.expect("blocks"); err == nil {
			o.Blocks = *j.Blocks
		}
	default:
		err = j.expect()
	}
	return o, err
}

// kindNamed returns the known kind whose JSON name is name.
func kindNamed(name string) (OptionKind, bool) {
	for _, k := range [...]OptionKind{EOL, NOP, MSS, WS, SACKPermitted, SACK, Timestamps} {
		if k.name() == name {
			return k, true
		}
	}
	return 0, false
}

// expect reports an error unless exactly the named fields, besides "kind",
// are present.
func (j *optionJSON) expect(names ...string) error {
	fields := [...]struct {
		name    string
		present bool
	}{
		{"value", j.Value != nil},
		{"val", j.Val != nil},
		{"ecr", j.Ecr != nil},
		{"blocks", j.Blocks != nil},
		{"type", j.Type != nil},
		{"data", j.Data != nil},
	}
	for _, f := range fields {
		switch want := slices.Contains(names, f.name); {
		case f.present && !want:
			return fmt.Errorf("option %s: unexpected field %q", j.Kind, f.name)
		case !f.present && want:
			return fmt.Errorf("option %s: missing field %q", j.Kind, f.name)
		}
	}
	return nil
}
