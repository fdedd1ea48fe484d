package capture

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/synack/synack/engine/wire"
)

// Link types (https://www.tcpdump.org/linktypes.html) the reader decodes.
const (
	linkNull     = 0   // BSD loopback: a 4-byte address family in host byte order
	linkEthernet = 1   // Ethernet II, with 802.1Q/802.1ad tags
	linkRawBSD   = 12  // DLT_RAW on most BSDs: raw IP
	linkRawOBSD  = 14  // DLT_RAW on OpenBSD
	linkRaw      = 101 // raw IPv4 or IPv6
	linkLoop     = 108 // OpenBSD loopback: the address family in network byte order
	linkSLL      = 113 // Linux cooked capture v1 ("any" interface)
	linkIPv4     = 228
	linkIPv6     = 229
	linkSLL2     = 276 // Linux cooked capture v2
)

// linkTypeName names the link types a user may meet, for errors.
func linkTypeName(lt uint32) string {
	switch lt {
	case linkNull:
		return "BSD loopback (NULL)"
	case linkEthernet:
		return "Ethernet"
	case linkRaw, linkRawBSD, linkRawOBSD:
		return "raw IP"
	case linkLoop:
		return "OpenBSD loopback"
	case linkSLL:
		return "Linux cooked (SLL)"
	case linkSLL2:
		return "Linux cooked v2 (SLL2)"
	case linkIPv4:
		return "raw IPv4"
	case linkIPv6:
		return "raw IPv6"
	case 105:
		return "IEEE 802.11 (Wi-Fi)"
	case 127:
		return "IEEE 802.11 with radiotap"
	case 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162:
		return "a user-defined link type (DLT_USER)"
	}
	return ""
}

// EtherTypes and IP protocol numbers.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ1 = 0x9100
	protoTCP   = 6
)

// segment is one TCP segment read from a capture.
type segment struct {
	frame    int // the record's number in the file
	at       time.Time
	src, dst netip.AddrPort
	seq, ack uint32
	flags    wire.Flags
	window   uint16
	options  []wire.Option
	// length is the payload length as the IP header gives it; payload is
	// what was captured of it (less when the snapshot length cut it).
	length  int
	payload []byte
	// header is the IP and TCP headers as captured, for the inspector.
	header []byte
}

// skip says why a record holds no TCP segment the reader can use. An empty
// reason means the record is simply not TCP (ARP, UDP, ICMP, …).
type skip string

const (
	skipNotTCP    skip = ""
	skipFragment  skip = "fragment"
	skipTruncated skip = "truncated"
	skipMalformed skip = "malformed"
)

// decode reads the TCP segment a record carries, if any.
func decode(r record) (segment, skip, error) {
	ip, err := linkPayload(r.linkType, r.data)
	if err != nil || ip == nil {
		return segment{}, skipNotTCP, err
	}
	// The IP packet may have been cut by the snapshot length; how much
	// longer it was is what the record lost.
	lost := r.origLen - len(r.data)
	return decodeIP(ip, lost, r)
}

// linkPayload strips the link-layer header and returns the IP packet, or
// nil for a packet that is not IP. An unsupported link type is an error.
func linkPayload(lt uint32, b []byte) ([]byte, error) {
	switch lt {
	case linkRaw, linkRawBSD, linkRawOBSD, linkIPv4, linkIPv6:
		return b, nil
	case linkEthernet:
		if len(b) < 14 {
			return nil, nil
		}
		et := binary.BigEndian.Uint16(b[12:])
		b = b[14:]
		for (et == etherVLAN || et == etherQinQ || et == etherQinQ1) && len(b) >= 4 {
			et = binary.BigEndian.Uint16(b[2:])
			b = b[4:]
		}
		return ipByEtherType(et, b), nil
	case linkSLL:
		if len(b) < 16 {
			return nil, nil
		}
		return ipByEtherType(binary.BigEndian.Uint16(b[14:]), b[16:]), nil
	case linkSLL2:
		if len(b) < 20 {
			return nil, nil
		}
		return ipByEtherType(binary.BigEndian.Uint16(b[0:]), b[20:]), nil
	case linkNull, linkLoop:
		if len(b) < 4 {
			return nil, nil
		}
		// The family is in the writer's byte order (NULL) or network order
		// (LOOP); either way one of the two readings is small.
		af := binary.LittleEndian.Uint32(b)
		if lt == linkLoop || af > 0xffff {
			af = binary.BigEndian.Uint32(b)
		}
		switch af {
		case 2: // AF_INET everywhere
			return ipVersion(b[4:], 4), nil
		case 10, 24, 28, 30: // AF_INET6: Linux, NetBSD/OpenBSD, FreeBSD, macOS
			return ipVersion(b[4:], 6), nil
		}
		return nil, nil
	}
	if name := linkTypeName(lt); name != "" {
		return nil, formatError("the capture's link type is %s (%d); synack reads Ethernet, Linux cooked (SLL, SLL2), raw IP and loopback captures", name, lt)
	}
	return nil, formatError("the capture's link type %d is not one synack reads: it reads Ethernet, Linux cooked (SLL, SLL2), raw IP and loopback captures", lt)
}

func ipByEtherType(et uint16, b []byte) []byte {
	switch et {
	case etherIPv4:
		return ipVersion(b, 4)
	case etherIPv6:
		return ipVersion(b, 6)
	}
	return nil
}

// ipVersion returns b if it starts with an IP header of version v.
func ipVersion(b []byte, v byte) []byte {
	if len(b) == 0 || b[0]>>4 != v {
		return nil
	}
	return b
}

// decodeIP reads an IPv4 or IPv6 packet carrying TCP. lost is how many
// bytes of it the capture did not keep.
func decodeIP(b []byte, lost int, r record) (segment, skip, error) {
	if len(b) == 0 {
		return segment{}, skipNotTCP, nil
	}
	var src, dst netip.Addr
	var tcp []byte
	var tcpOff int // where tcp starts in b
	var tcpLen int // the TCP segment's length on the wire
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return segment{}, skipTruncated, nil
		}
		ihl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || total < ihl || len(b) < ihl {
			return segment{}, skipMalformed, nil
		}
		if b[9] != protoTCP {
			return segment{}, skipNotTCP, nil
		}
		if frag := binary.BigEndian.Uint16(b[6:]); frag&0x3fff != 0 {
			return segment{}, skipFragment, nil
		}
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
		// Ethernet pads short frames: the IP total length says where the
		// packet ends. A packet offloaded with TSO may say 0; then the
		// frame's length is all there is.
		end := total
		if total == 0 {
			end = len(b) + lost
		}
		if end > len(b)+lost {
			return segment{}, skipMalformed, nil
		}
		tcp = b[ihl:min(end, len(b))]
		tcpOff, tcpLen = ihl, end-ihl
	case 6:
		if len(b) < 40 {
			return segment{}, skipTruncated, nil
		}
		payloadLen := int(binary.BigEndian.Uint16(b[4:]))
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
		next := b[6]
		rest := b[40:]
		end := payloadLen // bytes after the fixed header
		if end == 0 {     // a jumbogram or TSO: the frame's length
			end = len(rest) + lost
		}
		if end > len(rest)+lost {
			return segment{}, skipMalformed, nil
		}
		// Walk the extension headers that may come before TCP.
		for hops := 0; next != protoTCP; hops++ {
			switch next {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if len(rest) < 8 || hops > 8 {
					return segment{}, skipTruncated, nil
				}
				n := 8 + int(rest[1])*8
				if n > len(rest) || n > end {
					return segment{}, skipTruncated, nil
				}
				next, rest, end = rest[0], rest[n:], end-n
			case 44:
				return segment{}, skipFragment, nil
			default:
				return segment{}, skipNotTCP, nil
			}
		}
		tcp = rest[:min(end, len(rest))]
		tcpOff, tcpLen = len(b)-len(rest), end
	default:
		return segment{}, skipMalformed, nil
	}
	if len(tcp) < 20 {
		return segment{}, skipTruncated, nil
	}
	hdrLen := int(tcp[12]>>4) * 4
	if hdrLen < 20 || hdrLen > tcpLen {
		return segment{}, skipMalformed, nil
	}
	if hdrLen > len(tcp) {
		return segment{}, skipTruncated, nil
	}
	opts, err := wire.ParseOptions(tcp[20:hdrLen])
	if err != nil {
		opts = nil // a bad option does not hide the segment
	}
	seg := segment{
		frame:   r.n,
		at:      r.at,
		src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp[0:])),
		dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:])),
		seq:     binary.BigEndian.Uint32(tcp[4:]),
		ack:     binary.BigEndian.Uint32(tcp[8:]),
		flags:   wire.Flags(tcp[13]),
		window:  binary.BigEndian.Uint16(tcp[14:]),
		options: opts,
		length:  tcpLen - hdrLen,
		payload: tcp[hdrLen:],
		header:  b[:tcpOff+hdrLen],
	}
	return seg, "", nil
}
