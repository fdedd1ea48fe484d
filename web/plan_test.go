package web

import (
	"encoding/json"
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
	"github.com/synack/synack/templates"
)

// TestPlanOfEveryBuiltin: each built-in's plan holds every event of its run,
// in order, with only the fields the diagram draws, and the same values
// as the trace.
func TestPlanOfEveryBuiltin(t *testing.T) {
	var planBytes, traceBytes int
	defer func() {
		t.Logf("plans: %d bytes for events of %d bytes in all", planBytes, traceBytes)
		if planBytes*2 > traceBytes {
			t.Errorf("the plans are %d bytes, more than half the events' %d", planBytes, traceBytes)
		}
	}()
	for _, sc := range scenarios.All() {
		t.Run(sc.ID, func(t *testing.T) {
			tr, err := engine.Run(sc)
			if err != nil {
				t.Fatal(err)
			}
			body, err := encodePlan(tr)
			if err != nil || body == nil {
				t.Fatalf("plan: %v (%d bytes)", err, len(body))
			}
			var p struct {
				Endpoints engine.Endpoints             `json:"endpoints"`
				Events    []map[string]json.RawMessage `json:"events"`
			}
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Endpoints != tr.Endpoints || len(p.Events) != len(tr.Events) {
				t.Fatalf("plan has %d events and endpoints %+v; the trace %d and %+v", len(p.Events), p.Endpoints, len(tr.Events), tr.Endpoints)
			}
			full, _ := json.Marshal(tr.Events)
			var want []map[string]json.RawMessage
			if err := json.Unmarshal(full, &want); err != nil {
				t.Fatal(err)
			}
			for i, ev := range p.Events {
				for k, v := range ev {
					if !planKeys[k] {
						t.Errorf("event %d: field %q is not for the diagram", i, k)
					}
					if k != "data" && string(v) != string(want[i][k]) {
						t.Errorf("event %d: %s = %s, the trace has %s", i, k, v, want[i][k])
					}
				}
				for k := range want[i] {
					if _, ok := ev[k]; planKeys[k] && !ok {
						t.Errorf("event %d: %s left out", i, k)
					}
				}
			}
			if len(body) >= len(full) {
				t.Errorf("the plan is %d bytes, the events %d", len(body), len(full))
			}
			planBytes += len(body)
			traceBytes += len(full)
		})
	}
}

func TestPlanLimits(t *testing.T) {
	long := strings.Repeat("数据", 20)
	tr := &engine.Trace{Events: []engine.Event{{Kind: "call", CallInfo: &engine.CallInfo{Call: "send", Result: "ok"}, Data: long}}}
	body, err := encodePlan(tr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), long[:30]) || !strings.Contains(string(body), `"data":"数据数据数据数据数"`) {
		t.Errorf("data not cut to %d characters: %s", maxPlanData, body)
	}
	tr.Truncated = true
	if body, err := encodePlan(tr); body != nil || err != nil {
		t.Errorf("a run cut short has a plan: %s, %v", body, err)
	}
	tr.Truncated = false
	tr.Events = make([]engine.Event, maxPlanEvents+1)
	if body, err := encodePlan(tr); body != nil || err != nil {
		t.Errorf("a run of %d events has a plan: %d bytes, %v", len(tr.Events), len(body), err)
	}
}

// TestPagesCarryPlans: which pages carry their run whole, and which reveal
// it as it plays.
func TestPagesCarryPlans(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	s, _ := sharedFixture(t)
	shared := url.QueryEscape(s)
	for _, c := range []struct {
		target      string
		plan        bool
		progressive bool
	}{
		{"/", true, false},
		{"/?scenario=syn-lost", true, false},
		{"/?scenario=syn-lost&reveal=progressive", false, true},
		{"/?scenario=sandbox", false, false},
		{"/?room=ABCDEF", false, false},
		{"/embed/client-closes-first", true, false},
		{"/embed/client-closes-first?reveal=progressive", false, true},
		{"/embed/client-closes-first?reveal=whole", true, false},
		{"/?s=" + shared, true, false},
		{"/embed/custom?s=" + shared, true, false},
		{"/embed/custom?reveal=progressive&s=" + shared, false, true},
	} {
		body := string(expect(t, get(t, h, c.target), 200, "text/html; charset=utf-8"))
		cfg, _ := pageConfig(t, body)
		if got := len(cfg.Plan) > 0; got != c.plan {
			t.Errorf("%s: plan in the page %v, want %v", c.target, got, c.plan)
		}
		if got := cfg.Reveal == templates.RevealProgressive; got != c.progressive {
			t.Errorf("%s: reveal %q", c.target, cfg.Reveal)
		}
		if cfg.Bilingual["sandbox.title"].ZH == "" || cfg.Bilingual["sandbox.title"].EN == "" {
			t.Errorf("%s: bilingual messages %v", c.target, cfg.Bilingual)
		}
	}
}

func TestPageCatalogue(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, lang := range []string{"en", "zh"} {
		w := get(t, h, "/i18n/"+lang+".json")
		var cat map[string]string
		if err := json.Unmarshal(expect(t, w, 200, "application/json"), &cat); err != nil {
			t.Fatal(err)
		}
		if cat["ctl.play"] == "" || cat["ladder.phase.handshake.three-way"] == "" {
			t.Errorf("%s: catalogue lacks the page's keys", lang)
		}
		var want map[string]string
		if b, err := json.Marshal(templates.PageCatalogue(lang, templates.Config{KernelPeer: true})); err != nil || json.Unmarshal(b, &want) != nil {
			t.Fatal(err)
		}
		if !maps.Equal(cat, want) {
			t.Errorf("%s: %d keys, not the page's %d", lang, len(cat), len(want))
		}
		if cc := w.Header().Get("Cache-Control"); cc != catalogueMaxAge {
			t.Errorf("Cache-Control %q", cc)
		}
	}
	for _, bad := range []string{"/i18n/fr.json", "/i18n/en", "/i18n/en.json.bak", "/i18n/..%2fen.json"} {
		expect(t, get(t, h, bad), 404, "application/json")
	}
}
