package capture

import (
	"fmt"
	"strings"

	"github.com/synack/synack/engine"
)

// wireLine is a segment as both a capture and a model can say it: sender,
// flags, sequence numbers relative to each side's ISN, and length.
func wireLines(events []engine.Event, eps engine.Endpoints) []string {
	isn := map[string]uint32{engine.Client: eps.Client.ISN, engine.Server: eps.Server.ISN}
	var out []string
	for _, ev := range events {
		if ev.Kind != engine.KindSegment || ev.Spoofed {
			continue
		}
		peer := engine.Server
		if ev.From == engine.Server {
			peer = engine.Client
		}
		ack := "-"
		if strings.Contains(strings.Join(ev.Flags, ","), "ACK") {
			ack = fmt.Sprint(ev.Ack - isn[peer])
		}
		line := fmt.Sprintf("%s %s seq=%d ack=%s len=%d", ev.From, strings.Join(ev.Flags, ","), ev.Seq-isn[ev.From], ack, ev.Len)
		if ev.Fate == engine.FateDropped {
			line += " dropped"
		}
		out = append(out, line)
	}
	return out
}

func captureEvents(tr *Trace) []engine.Event {
	evs := make([]engine.Event, len(tr.Events))
	for i := range tr.Events {
		evs[i] = tr.Events[i].Event
	}
	return evs
}
