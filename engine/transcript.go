package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// Transcript renders a trace as text, one line per event, with sequence
// numbers relative to each side's ISN: the form of the golden files and of
// the comparisons with Linux captures.
func (tr *Trace) Transcript() string {
	var b strings.Builder
	isn := map[string]uint32{Client: tr.Endpoints.Client.ISN, Server: tr.Endpoints.Server.ISN}
	for _, ev := range tr.Events {
		fmt.Fprintf(&b, "%9s ", strconv.FormatFloat(ev.T.Ms(), 'f', -1, 64))
		switch ev.Kind {
		case KindCall:
			fmt.Fprintf(&b, "%s call %s", ev.Endpoint, ev.Call)
			if ev.Data != "" {
				fmt.Fprintf(&b, " %q", ev.Data)
			}
			fmt.Fprintf(&b, " -> %s", ev.Result)
		case KindState:
			fmt.Fprintf(&b, "%s state %s -> %s (%s", ev.Endpoint, ev.From, ev.To, ev.Cause)
			if ev.CauseSegment != 0 {
				fmt.Fprintf(&b, " #%d", ev.CauseSegment)
			}
			if ev.Reason != "" {
				fmt.Fprintf(&b, " %s", ev.Reason)
			}
			b.WriteString(")")
		case KindSegment:
			fmt.Fprintf(&b, "#%d %s>%s %s", ev.ID, ev.From, ev.To, strings.Join(ev.Flags, ","))
			fmt.Fprintf(&b, " seq=%d", ev.Seq-isn[ev.From])
			if hasFlag(ev.Flags, "ACK") {
				fmt.Fprintf(&b, " ack=%d", ev.Ack-isn[ev.To])
			}
			fmt.Fprintf(&b, " len=%d win=%d", ev.Len, ev.Window)
			if ev.Retransmit {
				b.WriteString(" retransmit")
			}
			if ev.Injected {
				b.WriteString(" injected")
			}
			if ev.Fate == FateDropped {
				fmt.Fprintf(&b, " DROPPED(%s)", ev.DropReason)
			}
			if ev.Reason != "" {
				fmt.Fprintf(&b, " [%s]", ev.Reason)
			}
		case KindTimer:
			fmt.Fprintf(&b, "%s timer %s %s due=%s", ev.Endpoint, ev.Timer, ev.Action,
				strconv.FormatFloat(ev.DueMs.Ms(), 'f', -1, 64))
		default:
			fmt.Fprintf(&b, "%s %s %s", ev.Endpoint, ev.Kind, ev.Reason)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}
