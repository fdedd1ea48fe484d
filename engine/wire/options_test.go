package wire

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestOptionJSON(t *testing.T) {
	tests := []struct {
		opt  Option
		json string
	}{
		{Option{Kind: MSS, Value: 1460}, `{"kind":"MSS","value":1460}`},
		{Option{Kind: WS, Value: 7}, `{"kind":"WS","value":7}`},
		{Option{Kind: WS, Value: 0}, `{"kind":"WS","value":0}`},
		{Option{Kind: SACKPermitted}, `{"kind":"SACK_PERM"}`},
		{Option{Kind: Timestamps, TSVal: 1, TSEcr: 0}, `{"kind":"TS","val":1,"ecr":0}`},
		{Option{Kind: NOP}, `{"kind":"NOP"}`},
		{Option{Kind: EOL}, `{"kind":"EOL"}`},
		{Option{Kind: SACK, Blocks: [][2]uint32{{100, 200}, {300, 4294967295}}},
			`{"kind":"SACK","blocks":[[100,200],[300,4294967295]]}`},
		{Option{Kind: 34, Raw: []byte{0xde, 0xad, 0xbe, 0xef}}, `{"kind":"UNKNOWN","type":34,"data":"deadbeef"}`},
		{Option{Kind: 254}, `{"kind":"UNKNOWN","type":254,"data":""}`},
	}
	for _, tc := range tests {
		got, err := json.Marshal(tc.opt)
		if err != nil || string(got) != tc.json {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.opt, got, err, tc.json)
		}
		var back Option
		if err := json.Unmarshal([]byte(tc.json), &back); err != nil || !reflect.DeepEqual(back, tc.opt) {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tc.json, back, err, tc.opt)
		}
	}

	// A whole option list, as it appears inside events.
	opts := linuxSYNOptions(42)
	b, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"kind":"MSS","value":65495},{"kind":"SACK_PERM"},{"kind":"TS","val":42,"ecr":0},{"kind":"NOP"},{"kind":"WS","value":7}]`
	if string(b) != want {
		t.Errorf("Marshal(linux SYN options) = %s, want %s", b, want)
	}
	var back []Option
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, opts) {
		t.Errorf("Unmarshal(%s) = %+v, %v", b, back, err)
	}
}

func TestOptionJSONErrors(t *testing.T) {
	tests := []struct{ json, err string }{
		{`{"kind":"MSX","value":1}`, `option: unknown kind "MSX" (want EOL, NOP, MSS, WS, SACK_PERM, SACK, TS or UNKNOWN)`},
		{`{"kind":"mss","value":1}`, `option: unknown kind "mss" (want EOL, NOP, MSS, WS, SACK_PERM, SACK, TS or UNKNOWN)`},
		{`{"value":1}`, `option: unknown kind "" (want EOL, NOP, MSS, WS, SACK_PERM, SACK, TS or UNKNOWN)`},
		{`{"kind":"MSS"}`, `option MSS: missing field "value"`},
		{`{"kind":"TS","val":1}`, `option TS: missing field "ecr"`},
		{`{"kind":"NOP","value":1}`, `option NOP: unexpected field "value"`},
		{`{"kind":"MSS","value":1,"blocks":[[1,2]]}`, `option MSS: unexpected field "blocks"`},
		{`{"kind":"MSS","value":1,"colour":"red"}`, `option: json: unknown field "colour"`},
		{`{"kind":"MSS","value":65536}`, `option MSS: value 65536 does not fit in 16 bits`},
		{`{"kind":"WS","value":256}`, `option WS: value 256 does not fit in 8 bits`},
		{`{"kind":"MSS","value":-1}`, `option: json: cannot unmarshal number -1 into Go struct field optionJSON.value of type uint32`},
		{`{"kind":"SACK","blocks":[]}`, `option SACK: 0 blocks, want 1 to 4`},
		{`{"kind":"SACK","blocks":[[1,2],[3,4],[5,6],[7,8],[9,10]]}`, `option SACK: 5 blocks, want 1 to 4`},
		{`{"kind":"UNKNOWN","type":2,"data":"05b4"}`, `option UNKNOWN: type 2 is MSS; write {"kind":"MSS"}`},
		{`{"kind":"UNKNOWN","type":30,"data":"xyz"}`, `option UNKNOWN: data: encoding/hex: invalid byte: U+0078 'x'`},
		{`{"kind":"UNKNOWN","type":30}`, `option UNKNOWN: missing field "data"`},
		{`{"kind":"UNKNOWN","type":30,"data":"` + strings.Repeat("00", 39) + `"}`,
			`option UNKNOWN(30): 39 data bytes, at most 38 fit`},
	}
	for _, tc := range tests {
		o := Option{Kind: NOP}
		err := json.Unmarshal([]byte(tc.json), &o)
		if err == nil || err.Error() != tc.err {
			t.Errorf("Unmarshal(%s) error = %v\nwant %s", tc.json, err, tc.err)
		}
		if !reflect.DeepEqual(o, Option{Kind: NOP}) {
			t.Errorf("Unmarshal(%s) changed its target to %+v on error", tc.json, o)
		}
	}
}

// FuzzOptionJSON checks that UnmarshalJSON never panics, and that what it
// accepts encodes back to JSON that decodes to the same Option and that
// Marshal can put on the wire.
func FuzzOptionJSON(f *testing.F) {
	for _, s := range []string{
		`{"kind":"MSS","value":1460}`, `{"kind":"SACK_PERM"}`, `{"kind":"TS","val":1,"ecr":0}`,
		`{"kind":"SACK","blocks":[[1,2]]}`, `{"kind":"UNKNOWN","type":34,"data":"0102"}`, `{"kind":"EOL"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var o Option
		if err := json.Unmarshal([]byte(s), &o); err != nil {
			return
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", o, err)
		}
		var back Option
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, o) {
			t.Fatalf("%s decoded to %+v, which encodes to %s, which decodes to %+v, %v", s, o, b, back, err)
		}
		p := Packet{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"),
			TCP: Segment{Options: []Option{o}}}
		if _, err := p.Marshal(); err != nil {
			t.Fatalf("%s decoded to %+v, which Marshal refuses: %v", s, o, err)
		}
	})
}
