package capture

import (
	"fmt"
	"strings"

	"github.com/synack/synack/engine"
)

// transcript writes a connection's events one a line, for golden files and
// for reading: segments Wireshark-style with relative sequence numbers,
// states with their inference.
func transcript(tr *Trace) string {
	var b strings.Builder
	fmt.Fprintf(&b, "client %s:%d  server %s:%d  delay %gms\n", tr.Endpoints.Client.Addr, tr.Endpoints.Client.Port,
		tr.Endpoints.Server.Addr, tr.Endpoints.Server.Port, tr.Capture.OneWayDelayMs)
	isn := map[string]uint32{engine.Client: tr.Endpoints.Client.ISN, engine.Server: tr.Endpoints.Server.ISN}
	for _, ev := range tr.Events {
		switch ev.Kind {
		case engine.KindSegment:
			peer := engine.Server
			if ev.From == engine.Server {
				peer = engine.Client
			}
			fmt.Fprintf(&b, "%9.3f %-6s > %-6s %-11s seq=%d ack=%d len=%d", ev.T.Ms(), ev.From, ev.To,
				strings.Join(ev.Flags, ","), ev.Seq-isn[ev.From], ev.Ack-isn[peer], ev.Len)
			if ev.Retransmit {
				b.WriteString(" retransmission")
			}
			if ev.Fate == engine.FateDropped {
				fmt.Fprintf(&b, " DROPPED(%s)", ev.DropReason)
			}
			b.WriteByte('\n')
		case engine.KindState:
			fmt.Fprintf(&b, "%9.3f %-6s %s -> %s (%s", ev.T.Ms(), ev.Endpoint, ev.From, ev.To, ev.Inferred)
			if ev.CauseSegment != 0 {
				fmt.Fprintf(&b, " by %d", ev.CauseSegment)
			}
			if ev.Reason != "" {
				fmt.Fprintf(&b, " %s", ev.Reason)
			}
			b.WriteString(")\n")
		}
	}
	b.WriteString("model:\n")
	for _, st := range tr.Scenario.Steps {
		fmt.Fprintf(&b, "  %6d %-6s %s", st.AtMs, st.Endpoint, st.Call)
		if st.Data != "" {
			fmt.Fprintf(&b, " %q", shortData(st.Data))
		}
		b.WriteByte('\n')
	}
	for _, f := range tr.Scenario.Faults {
		if f.Drop != nil {
			fmt.Fprintf(&b, "  drop %s %s nth %d\n", f.Drop.From, strings.Join(f.Drop.Flags, ","), f.Drop.Nth)
		}
	}
	return b.String()
}

func shortData(s string) string {
	if len(s) > 20 {
		return fmt.Sprintf("%s…(%d bytes)", s[:20], len(s))
	}
	return s
}
