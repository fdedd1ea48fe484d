package web

import (
	"maps"
	"slices"
	"testing"
)

// TestCommandTable: the error texts list every command of the table, and
// the table has a command for every type they list.
func TestCommandTable(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(commandTable)), slices.Sorted(slices.Values(commandOrder)); !slices.Equal(got, want) {
		t.Fatalf("commandTable has %v, commandOrder %v", got, want)
	}
}

// TestCommandsDecodeStrictly: each command decodes its own typed message,
// so a field of another command's is refused by name.
func TestCommandsDecodeStrictly(t *testing.T) {
	lt := newLiveTest(t, LiveConfig{})
	c := lt.dial()
	c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
	c.expect(msgLoaded)
	for _, tc := range []struct{ cmd, field string }{
		{`{"type": "step", "speed": 2}`, `"speed"`},
		{`{"type": "seek", "cursor": 1, "drop": {}}`, `"drop"`},
		{`{"type": "call", "endpoint": "client", "call": "close", "cursor": 1}`, `"cursor"`},
		{`{"type": "fault", "drop": {"segment": 1}, "choice": 0}`, `"choice"`},
	} {
		c.send(tc.cmd)
		m := c.expect(msgError)
		if m.Code != "unknown-field" || m.Args["field"] != tc.field {
			t.Errorf("%s: %s, want unknown-field %s", tc.cmd, m, tc.field)
		}
	}
	// The engine's fault decoder names the field inside the fault.
	c.send(`{"type": "fault", "drop": {"from": "client", "flags": ["SYN"], "nth": 0}}`)
	if m := c.expect(msgError); m.Code != "bad-field" || m.Args["field"] != "drop.nth" {
		t.Errorf("a bad nth: %s", m)
	}
	c.send(`{"type": "fault", "fault": {}}`)
	if m := c.expect(msgError); m.Code != "bad-field" || m.Args["field"] != "fault" {
		t.Errorf("an empty fault: %s", m)
	}
}
