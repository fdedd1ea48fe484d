package export

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
)

// pcapng block and record types (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/)
// that gopacket's NgWriter does not write: the name resolution block.
const (
	ngBlockNameResolution = 4
	nrbRecordEnd          = 0
	nrbRecordIPv4         = 1
	nrbRecordIPv6         = 2
)

// WritePCAPNG writes the trace's segments as a pcapng capture: the same raw
// IPv4 packets and timestamps as WritePCAP, with
//   - the section commented with the scenario's id and title,
//   - a name resolution block naming the two endpoints' addresses "client"
//     and "server" (Wireshark shows the names with name resolution on,
//     View › Name Resolution › Resolve Network Addresses, or tshark -N n),
//   - and on every packet one or more comments (frame.comment) in lang (en
//     or zh) saying what became of it: delivered (and when it arrived), or
//     dropped and by which of the scenario's faults; injected, or a SYN
//     flood's spoofed SYN, by which fault; a retransmission.
//
// The file is the same for the same trace: nothing of the machine that
// writes it goes in.
func WritePCAPNG(w io.Writer, tr *engine.Trace, lang string) error {
	cat := i18n.For(lang)
	section := pcapgo.NgSectionInfo{Application: "synack"}
	if sc := tr.Scenario; sc != nil {
		title := sc.Title.EN
		if lang == i18n.ZH && sc.Title.ZH != "" {
			title = sc.Title.ZH
		}
		section.Comment = cat.T("pcapng.section", "id", sc.ID, "title", title)
	}
	intf := pcapgo.NgInterface{
		Name:                "synack",
		Description:         cat.T("pcapng.interface"),
		LinkType:            layers.LinkTypeRaw,
		SnapLength:          pcapSnapLen,
		TimestampResolution: 9,
	}
	nw, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.NgWriterOptions{SectionInfo: section})
	if err != nil {
		return fmt.Errorf("writing pcapng header: %w", err)
	}
	// The name resolution block goes between the interface and the packets;
	// NgWriter has no call for it, so it is written past NgWriter's buffer.
	if err := nw.Flush(); err != nil {
		return fmt.Errorf("writing pcapng header: %w", err)
	}
	if _, err := w.Write(nameResolutionBlock(tr.Endpoints)); err != nil {
		return fmt.Errorf("writing pcapng names: %w", err)
	}
	causes := faultCauses(tr)
	for i := range tr.Events {
		ev := &tr.Events[i]
		if ev.Kind != engine.KindSegment {
			continue
		}
		packet := ev.Bytes
		if len(packet) == 0 || len(packet) > pcapSnapLen {
			return fmt.Errorf("segment %d: packet of %d bytes cannot be captured", ev.ID, len(packet))
		}
		cause, known := causes[ev.ID]
		ci := gopacket.CaptureInfo{
			Timestamp:     captureEpoch().Add(time.Duration(ev.T)),
			CaptureLength: len(packet),
			Length:        len(packet),
		}
		opts := pcapgo.NgPacketOptions{Comments: fateComments(cat, ev, cause, known)}
		if err := nw.WritePacketWithOptions(ci, packet, opts); err != nil {
			return fmt.Errorf("writing pcapng packet: %w", err)
		}
	}
	if err := nw.Flush(); err != nil {
		return fmt.Errorf("writing pcapng: %w", err)
	}
	return nil
}

// nameResolutionBlock names the endpoints' addresses "client" and
// "server". An address that does not parse (a trace read from elsewhere) is
// left out.
func nameResolutionBlock(eps engine.Endpoints) []byte {
	le := binary.LittleEndian
	b := make([]byte, 8, 64)
	le.PutUint32(b, ngBlockNameResolution)
	for _, ep := range []struct {
		addr, name string
	}{{eps.Client.Addr, engine.Client}, {eps.Server.Addr, engine.Server}} {
		a, err := netip.ParseAddr(ep.addr)
		if err != nil {
			continue
		}
		typ := uint16(nrbRecordIPv6)
		if a.Is4() {
			typ = nrbRecordIPv4
		}
		value := append(a.AsSlice(), ep.name...)
		value = append(value, 0)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint16(b, uint16(len(value)))
		b = append(b, value...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	b = le.AppendUint16(b, nrbRecordEnd)
	b = le.AppendUint16(b, 0)
	total := len(b) + 4
	le.PutUint32(b[4:], uint32(total))
	return le.AppendUint32(b, uint32(total))
}
