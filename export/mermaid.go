package export

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
)

// timerFired is the action of a timer event whose timer expired.
const timerFired = "fire"

// dropUnreachable is the drop reason of a segment sent to a spoofed address
// that nobody answers for.
const dropUnreachable = "unreachable"

// maxDataRunes bounds the payload quoted in a call note.
const maxDataRunes = 24

// mermaidEscaper replaces the characters that end or break a Mermaid label
// with Mermaid's entity codes: '#' and ';' end a message, '<' and '>' are
// read as HTML, and '%' could start a comment or directive.
var mermaidEscaper = strings.NewReplacer(
	"#", "#35;",
	";", "#59;",
	"<", "#lt;",
	">", "#gt;",
	"%", "#37;",
	"\r", " ",
	"\n", " ",
)

// WriteMermaid writes the trace as a Mermaid sequenceDiagram with words in
// lang (en or zh; any other value gives English). Participants are the
// client and the server with their addresses; each segment is an arrow, "->>"
// when delivered and "-x" when dropped, labelled Wireshark-style with its
// flags and sequence numbers relative to the ISNs ("SYN,ACK seq=0 ack=1
// len=0"; ack only when the ACK flag is set). Socket calls, state changes,
// expiring timers and the engine's notes (a SYN dropped for a full backlog,
// …) are notes over their endpoint.
func WriteMermaid(w io.Writer, tr *engine.Trace, lang string) error {
	return WriteMermaidNumbered(w, tr, lang, NumberingRelative)
}

// WriteMermaidNumbered is WriteMermaid with the numbers written as
// numbering says: relative (WriteMermaid's), absolute, or symbolic, the
// textbook's letters ("SYN,ACK seq=y ack=x+1"; numbering.go).
func WriteMermaidNumbered(w io.Writer, tr *engine.Trace, lang string, numbering Numbering) error {
	d := &diagram{
		cat: i18n.For(lang),
		isn: map[string]uint32{
			engine.Client: tr.Endpoints.Client.ISN,
			engine.Server: tr.Endpoints.Server.ISN,
		},
	}
	if numbering != NumberingRelative {
		d.notation = newNotation(numbering, tr.Endpoints)
	}
	var b strings.Builder
	b.WriteString("sequenceDiagram\n")
	d.writeParticipant(&b, engine.Client, tr.Endpoints.Client)
	d.writeParticipant(&b, engine.Server, tr.Endpoints.Server)
	for i := range tr.Events {
		if line := d.line(&tr.Events[i]); line != "" {
			b.WriteString("    ")
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing mermaid diagram: %w", err)
	}
	return nil
}

// diagram turns events into lines of a sequenceDiagram.
type diagram struct {
	cat i18n.Catalogue
	// isn is each endpoint's ISN for the connection being drawn: a new SYN
	// starts a new connection, as a new stream does in Wireshark.
	isn map[string]uint32
	// notation writes the numbers when they are not relative.
	notation *notation
}

func (d *diagram) writeParticipant(b *strings.Builder, endpoint string, info engine.EndpointInfo) {
	label := d.cat.T("mermaid."+endpoint) + " " + info.Addr + ":" + strconv.Itoa(int(info.Port))
	fmt.Fprintf(b, "    participant %s as %s\n", participant(endpoint), escape(label))
}

// line is the diagram line of one event, or "" for events the diagram leaves
// out (timers being set or cancelled).
func (d *diagram) line(ev *engine.Event) string {
	switch ev.Kind {
	case engine.KindSegment:
		return d.segmentLine(ev)
	case engine.KindState:
		return d.note(ev.Endpoint, ev.From+" → "+ev.To)
	case engine.KindCall:
		return d.note(ev.Endpoint, d.callLabel(ev))
	case engine.KindTimer:
		if ev.Action != timerFired {
			return ""
		}
		return d.note(ev.Endpoint, d.cat.T("mermaid.timer_fired", "timer", d.known("timer.", string(ev.Timer)), "t", formatMs(ev.T)))
	case engine.KindNote:
		return d.note(ev.Endpoint, d.known("reason.", string(ev.Reason)))
	}
	return ""
}

func (d *diagram) note(endpoint, text string) string {
	return "Note over " + participant(endpoint) + ": " + escape(text)
}

// participant is the diagram id of an endpoint; the label shown for it is
// translated. Names the contract does not know are kept as they are, so that
// the diagram still shows them.
func participant(endpoint string) string {
	switch endpoint {
	case engine.Client:
		return "Client"
	case engine.Server:
		return "Server"
	}
	return endpoint
}

// segmentLine draws a segment as an arrow. Segments from or to a spoofed
// address belong to neither endpoint's connection: they keep their absolute
// sequence numbers and start no connection.
func (d *diagram) segmentLine(ev *engine.Event) string {
	spoofed := ev.Spoofed || ev.DropReason == dropUnreachable
	if slices.Contains(ev.Flags, "SYN") && !ev.Injected && !spoofed {
		d.isn[ev.From] = ev.Seq
	}
	var b strings.Builder
	b.WriteString(strings.Join(ev.Flags, ","))
	if d.notation != nil {
		seq, ack := d.notation.numbers(ev)
		b.WriteString(" seq=" + seq)
		if ack != "" {
			b.WriteString(" ack=" + ack)
		}
	} else {
		fmt.Fprintf(&b, " seq=%d", d.relative(ev.Seq, ev.From, spoofed))
		if slices.Contains(ev.Flags, "ACK") {
			fmt.Fprintf(&b, " ack=%d", d.relative(ev.Ack, ev.To, spoofed))
		}
	}
	fmt.Fprintf(&b, " len=%d", ev.Len)
	if marks := d.segmentMarks(ev); len(marks) > 0 {
		b.WriteString(" (" + strings.Join(marks, ", ") + ")")
	}
	arrow := "->>"
	if ev.Fate == engine.FateDropped {
		arrow = "-x"
	}
	return participant(ev.From) + arrow + participant(ev.To) + ": " + escape(b.String())
}

func (d *diagram) segmentMarks(ev *engine.Event) []string {
	var marks []string
	for _, m := range []struct {
		on  bool
		key string
	}{
		{ev.Retransmit, "mermaid.retransmission"},
		{ev.Injected, "mermaid.injected"},
		{ev.Spoofed, "mermaid.spoofed"},
		{ev.DropReason == dropUnreachable, "mermaid.unreachable"},
		{ev.Fate == engine.FateDropped && ev.DropReason != dropUnreachable, "mermaid.dropped"},
	} {
		if m.on {
			marks = append(marks, d.cat.T(m.key))
		}
	}
	return marks
}

// relative counts a sequence number from endpoint's ISN, as Wireshark's
// relative sequence numbers do. It is signed so that an old duplicate from
// before the ISN reads as a small negative number.
func (d *diagram) relative(n uint32, endpoint string, spoofed bool) int64 {
	if spoofed {
		return int64(n)
	}
	return int64(int32(n - d.isn[endpoint]))
}

func (d *diagram) callLabel(ev *engine.Event) string {
	switch {
	case ev.Error != "":
		return d.cat.T("mermaid.call_failed", "call", ev.Call, "error", ev.Error)
	case ev.Data != "":
		return d.cat.T("mermaid.call_data", "call", ev.Call, "data", shorten(ev.Data))
	case ev.Result != "" && ev.Result != "ok":
		return d.cat.T("mermaid.call_result", "call", ev.Call, "result", ev.Result)
	}
	return d.cat.T("mermaid.call", "call", ev.Call)
}

// known translates an engine name (a timer, a reason key) found in the
// catalogue under prefix+name; one the catalogue does not know yet is shown
// as the engine spells it.
func (d *diagram) known(prefix, name string) string {
	if key := prefix + name; d.cat.Has(key) {
		return d.cat.T(key)
	}
	return name
}

// shorten keeps the start of a long payload.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxDataRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxDataRunes]) + "…"
}

func formatMs(m engine.Millis) string {
	return strconv.FormatFloat(m.Ms(), 'f', -1, 64)
}

func escape(s string) string { return mermaidEscaper.Replace(s) }
