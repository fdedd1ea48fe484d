package capture

import (
	"encoding/binary"
	"fmt"
	"time"
)

// record is one packet as a capture file holds it: when it was captured,
// the link type of its interface, the bytes captured and the length it had
// on the wire (more than len(data) when the snapshot length cut it).
type record struct {
	n        int // 1-based, as Wireshark numbers frames
	at       time.Time
	linkType uint32
	data     []byte // aliases the file
	origLen  int
}

// Magic numbers of the two file formats.
const (
	pcapMagicMicro   = 0xa1b2c3d4
	pcapMagicNano    = 0xa1b23c4d
	pcapngBlockSHB   = 0x0a0d0d0a
	pcapngByteOrder  = 0x1a2b3c4d
	pcapHeaderLen    = 24
	pcapRecordHdrLen = 16
)

// pcapng block types (draft-ietf-opsawg-pcapng, section 11.1).
const (
	blockIDB = 0x00000001
	blockPB  = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
)

// readFile splits a pcap or pcapng file into records, calling add for each
// one. It checks every length against the file before it reads, so a cut or
// garbled file is an error that says where, never a panic or an allocation
// larger than the file.
func readFile(b []byte, add func(record) error) (format string, err error) {
	if len(b) < 4 {
		return "", ErrNotCapture
	}
	switch {
	case binary.BigEndian.Uint32(b) == pcapngBlockSHB:
		return "pcapng", readPCAPNG(b, add)
	default:
		if _, _, ok := pcapOrder(b); ok {
			return "pcap", readPCAP(b, add)
		}
	}
	return "", ErrNotCapture
}

// pcapOrder reads a classic pcap file's magic number: its byte order and
// whether timestamps are in nanoseconds.
func pcapOrder(b []byte) (binary.ByteOrder, bool, bool) {
	switch binary.LittleEndian.Uint32(b) {
	case pcapMagicMicro:
		return binary.LittleEndian, false, true
	case pcapMagicNano:
		return binary.LittleEndian, true, true
	}
	switch binary.BigEndian.Uint32(b) {
	case pcapMagicMicro:
		return binary.BigEndian, false, true
	case pcapMagicNano:
		return binary.BigEndian, true, true
	}
	return nil, false, false
}

// readPCAP reads a classic pcap file (https://www.tcpdump.org/manpages/pcap-savefile.5.html).
func readPCAP(b []byte, add func(record) error) error {
	order, nano, _ := pcapOrder(b)
	if len(b) < pcapHeaderLen {
		return cutError("the pcap file header is %d bytes, the file has %d", pcapHeaderLen, len(b))
	}
	// The link type is the low 16 bits of the last field; the upper bits
	// may carry the FCS length (LINKTYPE_ETHERNET with FCS).
	linkType := order.Uint32(b[20:]) & 0xffff
	off := pcapHeaderLen
	for n := 1; off < len(b); n++ {
		if len(b)-off < pcapRecordHdrLen {
			return cutError("packet %d: its header is cut off after %d of %d bytes", n, len(b)-off, pcapRecordHdrLen)
		}
		h := b[off : off+pcapRecordHdrLen]
		sec, frac := order.Uint32(h[0:]), order.Uint32(h[4:])
		capLen, origLen := order.Uint32(h[8:]), order.Uint32(h[12:])
		if capLen > maxPacketLen {
			return formatError("packet %d: its captured length of %d bytes is more than any packet (%d)", n, capLen, maxPacketLen)
		}
		off += pcapRecordHdrLen
		if uint64(len(b)-off) < uint64(capLen) {
			return cutError("packet %d: %d bytes were captured, the file ends after %d", n, capLen, len(b)-off)
		}
		if nano && frac >= 1e9 || !nano && frac >= 1e6 {
			return formatError("packet %d: the fraction of its timestamp (%d) is more than a second", n, frac)
		}
		ns := int64(frac)
		if !nano {
			ns *= 1000
		}
		r := record{
			n:        n,
			at:       time.Unix(int64(sec), ns).UTC(),
			linkType: linkType,
			data:     b[off : off+int(capLen)],
			origLen:  max(int(origLen), int(capLen)),
		}
		if err := add(r); err != nil {
			return err
		}
		off += int(capLen)
	}
	return nil
}

// ngInterface is what a pcapng interface description block says about
// the packets captured on it.
type ngInterface struct {
	linkType uint32
	// tsPerSec is how many timestamp ticks make a second (if_tsresol);
	// tsOffset is seconds added to every timestamp (if_tsoffset).
	tsPerSec uint64
	tsOffset int64
	snapLen  uint32
}

// readPCAPNG reads a pcapng file (draft-ietf-opsawg-pcapng): every section,
// its interfaces and their packets (enhanced, simple and the obsolete
// packet blocks). Other blocks (names, statistics, secrets, custom) are
// skipped.
func readPCAPNG(b []byte, add func(record) error) error {
	var order binary.ByteOrder = binary.LittleEndian
	var ifaces []ngInterface
	off := 0
	n := 0
	for off < len(b) {
		if len(b)-off < 12 {
			return cutError("a block at byte %d is cut off after %d bytes", off, len(b)-off)
		}
		typ := binary.LittleEndian.Uint32(b[off:])
		if typ == pcapngBlockSHB {
			// A new section: its own byte order and interfaces.
			switch binary.LittleEndian.Uint32(b[off+8:]) {
			case pcapngByteOrder:
				order = binary.LittleEndian
			case 0x4d3c2b1a:
				order = binary.BigEndian
			default:
				return formatError("the section at byte %d has no byte-order magic", off)
			}
			ifaces = ifaces[:0]
		} else if off == 0 {
			return ErrNotCapture
		}
		typ = order.Uint32(b[off:])
		length := order.Uint32(b[off+4:])
		if length < 12 || length%4 != 0 {
			return formatError("the block at byte %d has a length of %d, not a multiple of 4 of at least 12", off, length)
		}
		if uint64(length) > uint64(len(b)-off) {
			return cutError("the block at byte %d is %d bytes long, the file ends after %d", off, length, len(b)-off)
		}
		block := b[off : off+int(length)]
		if trailer := order.Uint32(block[len(block)-4:]); trailer != length {
			return formatError("the block at byte %d says its length is %d at the start and %d at the end", off, length, trailer)
		}
		body := block[8 : len(block)-4]
		switch typ {
		case pcapngBlockSHB:
			// Major version 1; the section length is not needed.
			if len(body) < 16 {
				return formatError("the section header at byte %d is too short", off)
			}
			if major := order.Uint16(body[4:]); major != 1 {
				return formatError("pcapng version %d is not supported (only version 1 is)", major)
			}
		case blockIDB:
			if len(ifaces) >= maxInterfaces {
				return formatError("more than %d interfaces in one section", maxInterfaces)
			}
			iface, err := readIDB(order, body, off)
			if err != nil {
				return err
			}
			ifaces = append(ifaces, iface)
		case blockEPB, blockPB:
			if len(body) < 20 {
				return formatError("the packet block at byte %d is too short", off)
			}
			id := uint32(order.Uint16(body[0:]))
			if typ == blockEPB {
				id = order.Uint32(body[0:])
			}
			if uint64(id) >= uint64(len(ifaces)) {
				return formatError("the packet block at byte %d names interface %d, which is not described", off, id)
			}
			iface := ifaces[id]
			ts := uint64(order.Uint32(body[4:]))<<32 | uint64(order.Uint32(body[8:]))
			capLen, origLen := order.Uint32(body[12:]), order.Uint32(body[16:])
			if uint64(capLen) > uint64(len(body)-20) {
				return formatError("the packet block at byte %d says %d bytes were captured but holds %d", off, capLen, len(body)-20)
			}
			n++
			r := record{
				n:        n,
				at:       iface.time(ts),
				linkType: iface.linkType,
				data:     body[20 : 20+capLen],
				origLen:  max(int(origLen), int(capLen)),
			}
			if err := add(r); err != nil {
				return err
			}
		case blockSPB:
			// No timestamp: the packets keep the time of the one before.
			if len(ifaces) == 0 {
				return formatError("the simple packet block at byte %d comes before any interface", off)
			}
			if len(body) < 4 {
				return formatError("the simple packet block at byte %d is too short", off)
			}
			origLen := order.Uint32(body[0:])
			capLen := min(uint64(origLen), uint64(len(body)-4))
			if s := ifaces[0].snapLen; s != 0 {
				capLen = min(capLen, uint64(s))
			}
			n++
			if err := add(record{n: n, linkType: ifaces[0].linkType, data: body[4 : 4+capLen], origLen: int(max(uint64(origLen), capLen))}); err != nil {
				return err
			}
		}
		off += int(length)
	}
	return nil
}

// readIDB reads an interface description block: link type, snapshot
// length, and the if_tsresol and if_tsoffset options.
func readIDB(order binary.ByteOrder, body []byte, at int) (ngInterface, error) {
	if len(body) < 8 {
		return ngInterface{}, formatError("the interface block at byte %d is too short", at)
	}
	iface := ngInterface{
		linkType: uint32(order.Uint16(body[0:])),
		snapLen:  order.Uint32(body[4:]),
		tsPerSec: 1_000_000, // the default: microseconds
	}
	opts := body[8:]
	for len(opts) >= 4 {
		code, l := order.Uint16(opts[0:]), int(order.Uint16(opts[2:]))
		if code == 0 {
			break
		}
		if l > len(opts)-4 {
			return ngInterface{}, formatError("an option of the interface block at byte %d runs past the block", at)
		}
		v := opts[4 : 4+l]
		switch {
		case code == 9 && l == 1: // if_tsresol
			if err := iface.setResolution(v[0]); err != nil {
				return ngInterface{}, formatError("the interface block at byte %d: %v", at, err)
			}
		case code == 14 && l == 8: // if_tsoffset, seconds
			iface.tsOffset = int64(order.Uint64(v))
		}
		opts = opts[4+(l+3)&^3:]
	}
	return iface, nil
}

// setResolution reads if_tsresol: 10^-v seconds, or 2^-v with the top bit.
func (i *ngInterface) setResolution(v byte) error {
	exp := int(v & 0x7f)
	if v&0x80 == 0 {
		if exp > 18 {
			return fmt.Errorf("timestamp resolution 10^-%d is finer than supported", exp)
		}
		i.tsPerSec = 1
		for range exp {
			i.tsPerSec *= 10
		}
	} else {
		if exp > 63 {
			return fmt.Errorf("timestamp resolution 2^-%d is finer than supported", exp)
		}
		i.tsPerSec = 1 << exp
	}
	return nil
}

// time converts a timestamp in the interface's units to a time.
func (i *ngInterface) time(ts uint64) time.Time {
	const nsPerSec = uint64(time.Second)
	sec, rem := ts/i.tsPerSec, ts%i.tsPerSec
	var ns uint64
	switch {
	case i.tsPerSec <= nsPerSec && nsPerSec%i.tsPerSec == 0:
		ns = rem * (nsPerSec / i.tsPerSec)
	case i.tsPerSec > nsPerSec && i.tsPerSec%nsPerSec == 0:
		ns = rem / (i.tsPerSec / nsPerSec)
	default: // binary fractions
		ns = uint64(float64(rem) / float64(i.tsPerSec) * float64(nsPerSec))
	}
	return time.Unix(int64(sec)+i.tsOffset, int64(ns)).UTC()
}
