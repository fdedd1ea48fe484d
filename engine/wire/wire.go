// Package wire implements IPv4 and TCP header encoding and decoding, with TCP
// options and checksums.
//
// A Packet is one IPv4 datagram carrying one TCP segment, described by the
// fields a TCP teacher talks about; Marshal turns it into the bytes a real
// network would carry, so that tcpdump and Wireshark read them as they would
// a capture, and ParsePacket turns such bytes back into a Packet. Fields that
// can be computed (lengths, data offset, checksums) are not part of a Packet:
// Marshal computes them and ParsePacket checks them.
//
// The package is sans-IO: it never touches a socket, and it keeps no state
// between calls.
package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
)

const (
	ipv4HeaderLen = 20 // without options, which wire does not support
	tcpHeaderLen  = 20 // without options
	protocolTCP   = 6  // IP protocol number
	defaultTTL    = 64 // Linux's default, net.ipv4.ip_default_ttl

	// Bits of the IPv4 flags and fragment offset field (bytes 6 and 7).
	ipv4DF      = 0x4000 // Don't Fragment
	ipv4MF      = 0x2000 // More Fragments
	ipv4FragOff = 0x1fff // fragment offset, in 8-byte units
)

// Segment is a TCP segment: the header fields and the payload. The data
// offset and checksum are computed by Packet.Marshal.
type Segment struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            Flags
	Window           uint16
	Urgent           uint16
	// Options are in wire order, NOPs included as Option{Kind: NOP}.
	// ParsePacket leaves Options nil when there are none, and Payload nil
	// when the segment carries no data.
	Options []Option
	Payload []byte
}

// HeaderLen returns the length of the encoded TCP header: 20 bytes plus the
// options, padded to a multiple of 4. It does not check the options.
func (s *Segment) HeaderLen() int {
	n := 0
	for i := range s.Options {
		n += s.Options[i].len()
	}
	return tcpHeaderLen + pad4(n)
}

// Len returns the segment length in sequence space (RFC 9293, 3.4,
// SEG.LEN): the payload length, plus one for SYN and one for FIN, which each
// occupy a sequence number.
func (s *Segment) Len() int {
	n := len(s.Payload)
	if s.Flags&SYN != 0 {
		n++
	}
	if s.Flags&FIN != 0 {
		n++
	}
	return n
}

// Packet is one IPv4 datagram carrying one TCP segment.
type Packet struct {
	Src, Dst netip.Addr // IPv4 only
	ID       uint16     // IP identification
	TTL      uint8      // 64 if zero when marshalling
	TCP      Segment
}

// Marshal encodes p as an IPv4 datagram. See AppendMarshal.
func (p *Packet) Marshal() ([]byte, error) {
	return p.AppendMarshal(nil)
}

// AppendMarshal appends p to b as an IPv4 datagram: a 20-byte IPv4 header
// with Don't Fragment set, the TCP header with its options padded to a 4-byte
// boundary, and the payload, with both checksums filled in. It does not
// allocate when b has room for the packet, so a caller can reuse one buffer
// for every packet.
//
// It returns an error, and b unchanged, if an address is not IPv4, an option
// cannot be encoded, the options take more than 40 bytes, or the datagram
// would be longer than 65535 bytes.
func (p *Packet) AppendMarshal(b []byte) ([]byte, error) {
	if err := checkIPv4("source", p.Src); err != nil {
		return b, err
	}
	if err := checkIPv4("destination", p.Dst); err != nil {
		return b, err
	}
	s := &p.TCP
	optLen, err := optionsLen(s.Options)
	if err != nil {
		return b, err
	}
	hdrLen := tcpHeaderLen + pad4(optLen)
	total := ipv4HeaderLen + hdrLen + len(s.Payload)
	if total > math.MaxUint16 {
		return b, fmt.Errorf("packet of %d bytes is longer than the IPv4 maximum of %d", total, math.MaxUint16)
	}
	ttl := p.TTL
	if ttl == 0 {
		ttl = defaultTTL
	}
	src, dst := p.Src.As4(), p.Dst.As4()

	start := len(b)
	b = slices.Grow(b, total)[:start+total]
	// Every byte below is written explicitly: a reused buffer holds old data.
	ip, tcp := b[start:start+ipv4HeaderLen], b[start+ipv4HeaderLen:]

	ip[0] = 4<<4 | ipv4HeaderLen/4 // version, IHL
	ip[1] = 0                      // DSCP and ECN
	binary.BigEndian.PutUint16(ip[2:], uint16(total))
	binary.BigEndian.PutUint16(ip[4:], p.ID)
	// DF, as Linux sets it for TCP: path MTU discovery (RFC 1191) relies on
	// it.
	binary.BigEndian.PutUint16(ip[6:], ipv4DF)
	ip[8] = ttl
	ip[9] = protocolTCP
	ip[10], ip[11] = 0, 0 // checksum, computed over these zeros below
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	binary.BigEndian.PutUint16(ip[10:], ^fold(onesSum(0, ip)))

	binary.BigEndian.PutUint16(tcp[0:], s.SrcPort)
	binary.BigEndian.PutUint16(tcp[2:], s.DstPort)
	binary.BigEndian.PutUint32(tcp[4:], s.Seq)
	binary.BigEndian.PutUint32(tcp[8:], s.Ack)
	tcp[12] = byte(hdrLen/4) << 4 // data offset; the reserved bits are zero
	tcp[13] = byte(s.Flags)
	binary.BigEndian.PutUint16(tcp[14:], s.Window)
	tcp[16], tcp[17] = 0, 0 // checksum, computed over these zeros below
	binary.BigEndian.PutUint16(tcp[18:], s.Urgent)
	putOptions(tcp[tcpHeaderLen:], s.Options)
	clear(tcp[tcpHeaderLen+optLen : hdrLen]) // padding: EOL bytes (RFC 9293, 3.1)
	copy(tcp[hdrLen:], s.Payload)
	sum := pseudoHeaderSum(src, dst, len(tcp))
	binary.BigEndian.PutUint16(tcp[16:], ^fold(onesSum(sum, tcp)))
	return b, nil
}

// ParsePacket decodes an IPv4 datagram carrying a TCP segment. b must be
// exactly the datagram: a caller reading link-layer frames must strip their
// headers and any padding. The result does not alias b.
//
// ParsePacket is strict, since its purpose is to show what is on the wire:
// it checks the IP version, header length, total length, fragmentation,
// TTL, protocol, both checksums, the data offset and each option's length,
// and says which check failed. It ignores the fields a Packet does not hold
// (DSCP, ECN, the DF bit, the TCP reserved bits, padding after EOL), so
// marshalling its result gives a packet that parses to the same Packet.
func ParsePacket(b []byte) (Packet, error) {
	return parsePacket(b, true)
}

// ParseCapturedPacket is ParsePacket without the TCP checksum check, for
// packets captured on an interface that leaves checksums to offload
// hardware: Linux loopback captures carry only the pseudo-header's partial
// sum in the TCP checksum field.
func ParseCapturedPacket(b []byte) (Packet, error) {
	return parsePacket(b, false)
}

func parsePacket(b []byte, verifyTCP bool) (Packet, error) {
	if len(b) < ipv4HeaderLen {
		return Packet{}, fmt.Errorf("packet too short: %d bytes, an IPv4 header needs %d", len(b), ipv4HeaderLen)
	}
	if v := b[0] >> 4; v != 4 {
		return Packet{}, fmt.Errorf("ip version %d, want 4", v)
	}
	switch ihl := int(b[0]&0x0f) * 4; {
	case ihl < ipv4HeaderLen:
		return Packet{}, fmt.Errorf("ipv4 header length %d bytes, less than the minimum %d", ihl, ipv4HeaderLen)
	case ihl > ipv4HeaderLen:
		return Packet{}, fmt.Errorf("ipv4 options are not supported (header length %d bytes)", ihl)
	}
	if total := int(binary.BigEndian.Uint16(b[2:])); total != len(b) {
		return Packet{}, fmt.Errorf("ipv4 total length %d, but the packet has %d bytes", total, len(b))
	}
	ip, tcp := b[:ipv4HeaderLen], b[ipv4HeaderLen:]
	if got, want, ok := checkChecksum(0, ip, 10); !ok {
		return Packet{}, fmt.Errorf("ipv4 header checksum mismatch: got %#04x, want %#04x", got, want)
	}
	if frag := binary.BigEndian.Uint16(ip[6:]); frag&(ipv4MF|ipv4FragOff) != 0 {
		return Packet{}, fmt.Errorf("ipv4 fragments are not supported (more fragments %t, offset %d)",
			frag&ipv4MF != 0, 8*int(frag&ipv4FragOff))
	}
	// A TTL of 0 is what Marshal reads as "use the default", and no host may
	// send it (RFC 1122, 3.2.1.7), so a packet carrying it cannot round-trip.
	if ip[8] == 0 {
		return Packet{}, fmt.Errorf("ipv4 ttl 0: no host may send it (RFC 1122, 3.2.1.7)")
	}
	if proto := ip[9]; proto != protocolTCP {
		return Packet{}, fmt.Errorf("ip protocol %d, want %d (TCP)", proto, protocolTCP)
	}
	p := Packet{
		Src: netip.AddrFrom4([4]byte(ip[12:16])),
		Dst: netip.AddrFrom4([4]byte(ip[16:20])),
		ID:  binary.BigEndian.Uint16(ip[4:]),
		TTL: ip[8],
	}

	if len(tcp) < tcpHeaderLen {
		return Packet{}, fmt.Errorf("tcp segment too short: %d bytes, the header needs %d", len(tcp), tcpHeaderLen)
	}
	hdrLen := int(tcp[12]>>4) * 4
	if hdrLen < tcpHeaderLen {
		return Packet{}, fmt.Errorf("tcp data offset %d bytes, less than the minimum %d", hdrLen, tcpHeaderLen)
	}
	if hdrLen > len(tcp) {
		return Packet{}, fmt.Errorf("tcp data offset %d bytes, beyond the %d-byte segment", hdrLen, len(tcp))
	}
	sum := pseudoHeaderSum(p.Src.As4(), p.Dst.As4(), len(tcp))
	if got, want, ok := checkChecksum(sum, tcp, 16); verifyTCP && !ok {
		return Packet{}, fmt.Errorf("tcp checksum mismatch: got %#04x, want %#04x", got, want)
	}
	opts, err := parseOptions(tcp[tcpHeaderLen:hdrLen])
	if err != nil {
		return Packet{}, err
	}
	p.TCP = Segment{
		SrcPort: binary.BigEndian.Uint16(tcp[0:]),
		DstPort: binary.BigEndian.Uint16(tcp[2:]),
		Seq:     binary.BigEndian.Uint32(tcp[4:]),
		Ack:     binary.BigEndian.Uint32(tcp[8:]),
		// The low nibble of byte 12 is reserved: RFC 9293 (3.1) says
		// receivers ignore it.
		Flags:   Flags(tcp[13]),
		Window:  binary.BigEndian.Uint16(tcp[14:]),
		Urgent:  binary.BigEndian.Uint16(tcp[18:]),
		Options: opts,
	}
	if len(tcp) > hdrLen {
		p.TCP.Payload = bytes.Clone(tcp[hdrLen:])
	}
	return p, nil
}

// checkIPv4 reports an error unless a is an IPv4 address. An IPv4-mapped
// IPv6 address is refused too: it would be an IPv6 packet on the wire.
func checkIPv4(what string, a netip.Addr) error {
	switch {
	case !a.IsValid():
		return fmt.Errorf("%s address is not set", what)
	case !a.Is4():
		return fmt.Errorf("%s address %v is not IPv4", what, a)
	}
	return nil
}

// pad4 rounds n up to a multiple of 4.
func pad4(n int) int {
	return (n + 3) &^ 3
}
