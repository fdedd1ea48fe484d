package web

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/templates"
)

// The whole ladder at first paint: the app and the embed carry the run of
// their scenario in the page (Config.Plan), so that the diagram is drawn
// before any click and without a WebSocket round trip; the live session
// then walks through it. The page's diagram needs only some of a trace's
// fields, so the plan keeps those and leaves out the rest (control blocks,
// raw bytes, options, windows): the built-ins' plans are 46% of their
// events' JSON (TestPlanOfEveryBuiltin logs it), about 1 KB compressed for
// a close, and the first load stays under its budget.

// formatPlan is the internal output of a trace as a page's plan; no query
// parameter asks for it.
const formatPlan = "plan"

// maxPlanEvents bounds the runs a page carries whole. A longer one (a
// posted scenario may have up to engine.MaxEvents) is drawn as it plays.
const maxPlanEvents = 2000

// maxPlanData is how much of a send call's data the plan keeps: the
// diagram writes at most the first 8 characters and an ellipsis.
const maxPlanData = 9

// planKeys are the event fields the diagram lays out and draws
// (static/files/js/layout.js, phases.js).
var planKeys = map[string]bool{
	"kind": true, "t_ms": true, "endpoint": true, "from": true, "to": true,
	"call": true, "result": true, "error": true, "data": true, "reason": true,
	"cause_segment": true, "id": true, "flags": true, "seq": true, "ack": true,
	"len": true, "arrive_ms": true, "fate": true, "drop_reason": true,
	"injected": true, "spoofed": true, "retransmit": true,
	"timer": true, "action": true, "due_ms": true,
}

// plan is a trace as a page carries it.
type plan struct {
	Endpoints engine.Endpoints  `json:"endpoints"`
	Events    []json.RawMessage `json:"events"`
}

// encodePlan writes the plan of tr as JSON, or nil when tr is too long or
// cut short (the page then draws the run as it plays).
func encodePlan(tr *engine.Trace) ([]byte, error) {
	if tr.Truncated || len(tr.Events) > maxPlanEvents {
		return nil, nil
	}
	p := plan{Endpoints: tr.Endpoints, Events: make([]json.RawMessage, len(tr.Events))}
	for i := range tr.Events {
		full, err := json.Marshal(&tr.Events[i])
		if err != nil {
			return nil, fmt.Errorf("encoding event %d: %w", i, err)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(full, &fields); err != nil {
			return nil, fmt.Errorf("decoding event %d: %w", i, err)
		}
		for k := range fields {
			if !planKeys[k] {
				delete(fields, k)
			}
		}
		if d, ok := fields["data"]; ok {
			var s string
			if json.Unmarshal(d, &s) == nil && len([]rune(s)) > maxPlanData {
				fields["data"], _ = json.Marshal(string([]rune(s)[:maxPlanData]))
			}
		}
		if p.Events[i], err = json.Marshal(fields); err != nil {
			return nil, fmt.Errorf("encoding event %d: %w", i, err)
		}
	}
	return json.Marshal(p)
}

// revealProgressive reports whether a page's address asks for the ladder
// to start empty and be drawn as the run plays (?reveal=progressive).
func revealProgressive(q url.Values) bool {
	return q.Get("reveal") == templates.RevealProgressive
}

// withBuiltinPlan puts the plan of the built-in scenario cfg.Scenario in
// cfg, unless the page asks to reveal the run as it plays. A plan that
// cannot be made leaves the page to draw as it plays.
func (s *Server) withBuiltinPlan(q url.Values, cfg *templates.Config) {
	if revealProgressive(q) {
		cfg.Reveal = templates.RevealProgressive
		return
	}
	if !s.isBuiltin(cfg.Scenario) {
		return
	}
	rd, err := s.builtins.render(cfg.Scenario, output{format: formatPlan})
	if err == nil && rd.body != nil {
		cfg.Plan = rd.body
	}
}
