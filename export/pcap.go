// Package export writes a run's trace in formats that other tools read: a
// classic pcap capture for Wireshark and tcpdump, and a Mermaid
// sequenceDiagram for documents.
package export

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/synack/synack/engine"
)

// The classic pcap format (https://www.tcpdump.org/manpages/pcap-savefile.5.html),
// written little-endian with microsecond timestamps.
const (
	pcapMagic        = 0xa1b2c3d4
	pcapVersionMajor = 2
	pcapVersionMinor = 4
	pcapSnapLen      = 65535
	// linkTypeRaw (LINKTYPE_RAW) means each record starts with an IP header.
	// Wireshark, tcpdump and gopacket all decode it; LINKTYPE_IPV4 (228) is
	// newer and gopacket does not.
	linkTypeRaw = 101

	fileHeaderLen   = 24
	recordHeaderLen = 16
)

// captureEpoch is the wall-clock time that virtual time 0 becomes in a
// capture.
func captureEpoch() time.Time { return time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC) }

// WritePCAP writes the trace's segments as a classic pcap capture: one raw
// IPv4 packet per segment event, stamped with 2026-01-01T00:00:00Z plus the
// event's virtual send time, so that the same trace always gives the same
// file.
//
// Dropped segments are included: a capture shows what was put on the wire,
// and a dropped segment was sent, as tcpdump on the sender would see it; the
// loss shows as a retransmission or a missing answer. Injected segments are
// included for the same reason.
func WritePCAP(w io.Writer, tr *engine.Trace) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.Write(pcapFileHeader()); err != nil {
		return fmt.Errorf("writing pcap header: %w", err)
	}
	for i := range tr.Events {
		ev := &tr.Events[i]
		if ev.Kind != engine.KindSegment {
			continue
		}
		if err := writeRecord(bw, ev); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing pcap: %w", err)
	}
	return nil
}

func pcapFileHeader() []byte {
	h := make([]byte, fileHeaderLen)
	le := binary.LittleEndian
	le.PutUint32(h[0:], pcapMagic)
	le.PutUint16(h[4:], pcapVersionMajor)
	le.PutUint16(h[6:], pcapVersionMinor)
	// h[8:16]: thiszone and sigfigs, zero.
	le.PutUint32(h[16:], pcapSnapLen)
	le.PutUint32(h[20:], linkTypeRaw)
	return h
}

func writeRecord(w io.Writer, ev *engine.Event) error {
	packet := ev.Bytes
	if len(packet) == 0 || len(packet) > pcapSnapLen {
		return fmt.Errorf("segment %d: packet of %d bytes cannot be captured", ev.ID, len(packet))
	}
	ts := captureEpoch().Add(time.Duration(ev.T))
	h := make([]byte, recordHeaderLen)
	le := binary.LittleEndian
	le.PutUint32(h[0:], uint32(ts.Unix()))
	le.PutUint32(h[4:], uint32(ts.Nanosecond()/int(time.Microsecond)))
	le.PutUint32(h[8:], uint32(len(packet)))
	le.PutUint32(h[12:], uint32(len(packet)))
	if _, err := w.Write(h); err != nil {
		return fmt.Errorf("writing pcap record: %w", err)
	}
	if _, err := w.Write(packet); err != nil {
		return fmt.Errorf("writing pcap record: %w", err)
	}
	return nil
}
