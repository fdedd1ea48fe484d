package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"time"
)

// TCP header flag bits.
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagACK = 0x10
	flagURG = 0x20
	flagECE = 0x40
	flagCWR = 0x80
)

// segment is one captured IPv4 TCP segment.
type segment struct {
	at       time.Time
	src, dst uint16
	seq, ack uint32
	flags    uint8
	win      uint16
	payload  int
	options  []string    // "sack" stands for the blocks in sacks
	sacks    [][2]uint32 // SACK blocks, left and right edges
}

// readPcap decodes the TCP/IPv4 segments of a classic pcap file (Ethernet or
// raw IP link types, as tcpdump writes them for lo).
func readPcap(file string) ([]segment, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, fmt.Errorf("%s: short pcap header", file)
	}
	var order binary.ByteOrder
	var nanos bool
	switch m := binary.LittleEndian.Uint32(b); m {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order, nanos = binary.LittleEndian, m == 0xa1b23c4d
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order, nanos = binary.BigEndian, m == 0x4d3cb2a1
	default:
		return nil, fmt.Errorf("%s: not a pcap file", file)
	}
	link := order.Uint32(b[20:]) & 0x0fffffff
	var segs []segment
	for off := 24; off+16 <= len(b); {
		sec, frac := order.Uint32(b[off:]), order.Uint32(b[off+4:])
		incl := int(order.Uint32(b[off+8:]))
		off += 16
		if off+incl > len(b) {
			return nil, fmt.Errorf("%s: truncated record", file)
		}
		pkt := b[off : off+incl]
		off += incl
		if !nanos {
			frac *= 1000
		}
		at := time.Unix(int64(sec), int64(frac))
		var ip []byte
		switch link {
		case 1: // Ethernet
			if len(pkt) < 14 || binary.BigEndian.Uint16(pkt[12:]) != 0x0800 {
				continue
			}
			ip = pkt[14:]
		case 101, 12: // raw IP
			ip = pkt
		default:
			return nil, fmt.Errorf("%s: unsupported link type %d", file, link)
		}
		s, ok := decodeTCP(ip)
		if !ok {
			continue
		}
		s.at = at
		segs = append(segs, s)
	}
	return segs, nil
}

func decodeTCP(ip []byte) (segment, bool) {
	if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
		return segment{}, false
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total > len(ip) || ihl+20 > total {
		return segment{}, false
	}
	t := ip[ihl:total]
	doff := int(t[12]>>4) * 4
	if doff < 20 || doff > len(t) {
		return segment{}, false
	}
	opts, sacks := decodeOptions(t[20:doff])
	return segment{
		src:     binary.BigEndian.Uint16(t[0:]),
		dst:     binary.BigEndian.Uint16(t[2:]),
		seq:     binary.BigEndian.Uint32(t[4:]),
		ack:     binary.BigEndian.Uint32(t[8:]),
		flags:   t[13],
		win:     binary.BigEndian.Uint16(t[14:]),
		payload: len(t) - doff,
		options: opts,
		sacks:   sacks,
	}, true
}

// decodeOptions names TCP options as tcpdump does, leaving out timestamp
// values, which are random per connection, and returns SACK blocks apart.
func decodeOptions(o []byte) (out []string, sacks [][2]uint32) {
	for len(o) > 0 {
		kind := o[0]
		if kind == 0 {
			out = append(out, "eol")
			break
		}
		if kind == 1 {
			out = append(out, "nop")
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			out = append(out, "bad-opt")
			break
		}
		body := o[2:o[1]]
		switch {
		case kind == 2 && len(body) == 2:
			out = append(out, fmt.Sprintf("mss %d", binary.BigEndian.Uint16(body)))
		case kind == 3 && len(body) == 1:
			out = append(out, fmt.Sprintf("wscale %d", body[0]))
		case kind == 4:
			out = append(out, "sackOK")
		case kind == 5 && len(body)%8 == 0:
			out = append(out, "sack")
			for i := 0; i < len(body); i += 8 {
				sacks = append(sacks, [2]uint32{binary.BigEndian.Uint32(body[i:]), binary.BigEndian.Uint32(body[i+4:])})
			}
		case kind == 8:
			out = append(out, "TS")
		default:
			out = append(out, fmt.Sprintf("opt-%d", kind))
		}
		o = o[o[1]:]
	}
	return out, sacks
}

func flagNames(f uint8) string {
	var n []string
	for _, x := range []struct {
		bit  uint8
		name string
	}{
		{flagSYN, "SYN"}, {flagFIN, "FIN"}, {flagRST, "RST"}, {flagPSH, "PSH"},
		{flagACK, "ACK"}, {flagURG, "URG"}, {flagECE, "ECE"}, {flagCWR, "CWR"},
	} {
		if f&x.bit != 0 {
			n = append(n, x.name)
		}
	}
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, "+")
}

// transcribe writes one line per segment of cn, with times relative to origin
// and sequence numbers relative to each side's ISN (the sequence number of its
// SYN; for a side that never sent one, of its first segment). The side that
// sent the first SYN is "client".
func transcribe(segs []segment, cn conn, origin time.Time) []string {
	var mine []segment
	for _, s := range segs {
		if cn.has(s) {
			mine = append(mine, s)
		}
	}
	if len(mine) == 0 {
		return []string{"(no segments)"}
	}
	client := mine[0].src
	for _, s := range mine {
		if s.flags&flagSYN != 0 && s.flags&flagACK == 0 {
			client = s.src
			break
		}
	}
	isn := map[uint16]uint32{}
	for _, s := range mine {
		if s.flags&flagSYN != 0 {
			if _, ok := isn[s.src]; !ok {
				isn[s.src] = s.seq
			}
		}
	}
	for _, s := range mine {
		if _, ok := isn[s.src]; !ok {
			isn[s.src] = s.seq
		}
	}
	name := func(port uint16) string {
		if port == client {
			return "client"
		}
		return "server"
	}
	var lines []string
	for _, s := range mine {
		ack := "0"
		if s.flags&flagACK != 0 {
			ack = fmt.Sprint(s.ack - isn[s.dst])
		} else if s.ack != 0 {
			ack = fmt.Sprintf("raw:%d", s.ack)
		}
		opts := ""
		if len(s.options) > 0 {
			names := append([]string(nil), s.options...)
			for i, o := range names {
				if o == "sack" {
					// Blocks name the receiver's sequence numbers, as ack does.
					o = fmt.Sprintf("sack %d", len(s.sacks))
					for _, b := range s.sacks {
						o += fmt.Sprintf(" {%d:%d}", b[0]-isn[s.dst], b[1]-isn[s.dst])
					}
					names[i] = o
				}
			}
			opts = " <" + strings.Join(names, ",") + ">"
		}
		lines = append(lines, fmt.Sprintf("+%.3fms %s>%s %s seq=%d ack=%s len=%d win=%d%s",
			ms(s.at.Sub(origin)), name(s.src), name(s.dst), flagNames(s.flags),
			s.seq-isn[s.src], ack, s.payload, s.win, opts))
	}
	return lines
}
