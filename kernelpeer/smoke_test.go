package kernelpeer

import (
	"context"
	"testing"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

func TestSmoke(t *testing.T) {
	sc, _ := scenarios.Get("client-closes-first")
	for _, k := range []string{engine.Server, engine.Client} {
		tr, err := Run(context.Background(), sc, k, Options{Horizon: 1500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range tr.Events {
			switch ev.Kind {
			case engine.KindSegment:
				t.Logf("%8.1f seg %s->%s %v seq=%d ack=%d len=%d %s %s", ev.T.Ms(), ev.From, ev.To, ev.Flags, ev.Seq, ev.Ack, ev.Len, ev.Fate, ev.Reason)
			case engine.KindState:
				t.Logf("%8.1f state %s %s->%s", ev.T.Ms(), ev.Endpoint, ev.From, ev.To)
			case engine.KindCall:
				t.Logf("%8.1f call %s %s %s %q", ev.T.Ms(), ev.Endpoint, ev.Call, ev.Result, ev.Data)
			}
		}
	}
}
