// Package capture reads a user's packet capture (pcap or pcapng) and turns
// each TCP connection in it into a trace in synack's trace format: its
// segments as they were captured, the RFC 9293 states the two endpoints
// must have gone through to send them, and the scenario (socket calls and
// lost segments) that the capture implies, for the engine to run as a
// model to compare with.
//
// The package is sans-IO like the engine: it reads bytes the caller holds
// and never touches the network or the clock. Every length in the file is
// checked before it is used, so a garbled, cut or hostile file is an error
// (ErrNotCapture, a *FormatError, ErrTooLarge, …), never a panic, and the
// memory used is bounded by the limits below.
package capture

import (
	"errors"
	"fmt"
)

// Limits of one capture. A file over a limit is refused whole.
const (
	// MaxFileBytes bounds the file: 8 MiB, about 5,500 full-size Ethernet
	// frames or many more small ones.
	MaxFileBytes = 8 << 20
	// MaxPackets bounds the packets (records) in the file, TCP or not.
	MaxPackets = 100_000
	// MaxSegments bounds the TCP segments kept over all connections: as
	// many as the engine's events in one run.
	MaxSegments = 20_000
	// MaxConnections bounds the TCP connections: the page draws each one.
	MaxConnections = 100
	// maxPacketLen is the largest packet a record may hold.
	maxPacketLen = 256 << 10
	// maxInterfaces bounds the interfaces of one pcapng section.
	maxInterfaces = 256
	// maxDataBytes bounds the payload quoted in a segment event's data.
	maxDataBytes = 256
	// maxHeaderBytes bounds the payload bytes kept after the headers in a
	// segment event's bytes.
	maxHeaderBytes = 64
)

// Errors of a file that cannot be read. Each error's text says what is
// wrong in words a user understands.
var (
	// ErrNotCapture: the file is neither pcap nor pcapng.
	ErrNotCapture = errors.New("this is not a capture file: a pcap or pcapng file starts with a magic number that this file does not have (Wireshark and tcpdump write both formats)")
	// ErrEmpty: the file is empty.
	ErrEmpty = errors.New("the file is empty")
	// ErrTooLarge: over MaxFileBytes.
	ErrTooLarge = fmt.Errorf("the capture is larger than the limit of %d MiB", MaxFileBytes>>20)
	// ErrNoTCP: a capture with no TCP segment in it.
	ErrNoTCP = errors.New("the capture holds no TCP segment")
)

// FormatError is a capture file that is garbled or cut: Cut says it ends in
// the middle of a block or packet.
type FormatError struct {
	Msg string
	Cut bool
}

func (e *FormatError) Error() string {
	if e.Cut {
		return "the capture is cut short: " + e.Msg
	}
	return "the capture is damaged: " + e.Msg
}

// LimitError is a capture over one of the limits on packets, segments or
// connections.
type LimitError struct{ Msg string }

func (e *LimitError) Error() string { return e.Msg }

func formatError(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

func cutError(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...), Cut: true}
}

// Read reads a pcap or pcapng file and returns one trace per TCP
// connection, in order of each connection's first packet.
func Read(file []byte) (*Result, error) {
	switch {
	case len(file) == 0:
		return nil, ErrEmpty
	case len(file) > MaxFileBytes:
		return nil, ErrTooLarge
	}
	var segs []segment
	var packets, fragments, truncated, malformed int
	format, err := readFile(file, func(r record) error {
		packets++
		if packets > MaxPackets {
			return &LimitError{Msg: fmt.Sprintf("the capture has more than %d packets, the limit", MaxPackets)}
		}
		seg, why, err := decode(r)
		if err != nil {
			return err
		}
		switch why {
		case skipFragment:
			fragments++
			return nil
		case skipTruncated:
			truncated++
			return nil
		case skipMalformed:
			malformed++
			return nil
		}
		if seg.header == nil {
			return nil
		}
		if len(segs) >= MaxSegments {
			return &LimitError{Msg: fmt.Sprintf("the capture has more than %d TCP segments, the limit", MaxSegments)}
		}
		segs = append(segs, seg)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		return nil, ErrNoTCP
	}
	conns, err := connections(segs)
	if err != nil {
		return nil, err
	}
	res := &Result{Connections: make([]*Trace, len(conns))}
	for i, c := range conns {
		res.Connections[i] = c.trace(Info{
			Format:  format,
			Packets: packets,
			Skipped: Skipped{Fragments: fragments, Truncated: truncated, Malformed: malformed},
			Index:   i + 1,
			Of:      len(conns),
		})
	}
	return res, nil
}
