package engine

// Scenario documents a user can send: every bad one is refused with an error
// that names the field, and anything that decodes runs.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// okSteps is a valid steps list to put around a bad field.
const okSteps = `"steps":[{"at_ms":0,"endpoint":"server","call":"listen"},{"at_ms":0,"endpoint":"client","call":"connect"}]`

// withSteps returns a scenario of n steps.
func withSteps(n int) string {
	var b strings.Builder
	b.WriteString(`{"steps":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"at_ms":%d,"endpoint":"client","call":"receive"}`, i)
	}
	b.WriteString("]}")
	return b.String()
}

// withFaults returns a scenario of n drop rules.
func withFaults(n int) string {
	var b strings.Builder
	b.WriteString(`{"faults":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"drop":{"from":"client","flags":["SYN"],"nth":1}}`)
	}
	b.WriteString("]}")
	return b.String()
}

type badScenario struct {
	name  string
	doc   string
	field string // the FieldError's Field; "" when the error names none
	msg   string // a part of the message
}

var badScenarios = []badScenario{
	// Structure.
	{name: "empty body", doc: "", msg: "empty body"},
	{name: "blank body", doc: " \n\t", msg: "empty body"},
	{name: "invalid JSON", doc: `{"seed":`, msg: "invalid JSON"},
	{name: "syntax error", doc: `{"seed":1,,}`, msg: "invalid JSON at byte"},
	{name: "not an object", doc: `[]`, field: "scenario", msg: "must be an object"},
	{name: "a string", doc: `"scenario"`, field: "scenario", msg: "must be an object"},
	{name: "step not an object", doc: `{"steps":[3]}`, field: "steps[0]", msg: "must be an object"},
	{name: "fault not an object", doc: `{"faults":["drop"]}`, field: "faults[0]", msg: "must be an object"},
	{name: "unknown fault kind", doc: `{"faults":[{"delay":{"ms":3}}]}`, field: "faults[0].delay", msg: "unknown fault kind"},
	{name: "trailing object", doc: `{"seed":1} {}`, msg: "unexpected data after"},
	{name: "trailing text", doc: `{"seed":1} x`, msg: "unexpected data after"},
	{name: "trailing brace", doc: `{"seed":1}}`, msg: "unexpected data after"},
	{name: "trailing bracket", doc: `{"seed":1}]`, msg: "unexpected data after"},
	{name: "null", doc: `null`, msg: "got null"},

	// Unknown fields and wrong types.
	{name: "unknown field", doc: `{"seed":1,"colour":"red"}`, field: "colour", msg: "unknown field"},
	{name: "unknown nested field", doc: `{"steps":[{"at_ms":0,"endpoint":"client","call":"connect","bogus":1}]}`, field: "steps[0].bogus", msg: "unknown field"},
	{name: "unknown option", doc: `{"options":{"turbo":true}}`, field: "options.turbo", msg: "unknown field"},
	{name: "unknown inject field", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["SYN"],"ttl":3}}]}`, field: "faults[0].inject.ttl", msg: "unknown field"},
	{name: "field in other case", doc: `{"Seed":1}`, field: "Seed", msg: "unknown field"},
	{name: "nested field in other case", doc: `{"steps":[{"AT_MS":0,"endpoint":"client","call":"connect"}]}`, field: "steps[0].AT_MS", msg: "unknown field"},
	{name: "seed a string", doc: `{"seed":"one"}`, field: "seed", msg: "must be a number"},
	{name: "seed negative", doc: `{"seed":-1}`, field: "seed", msg: "must be a number in range"},
	{name: "seed fraction", doc: `{"seed":1.5}`, field: "seed", msg: "must be a number in range"},
	{name: "at_ms a string", doc: `{"steps":[{"at_ms":"soon","endpoint":"client","call":"connect"}]}`, field: "steps[0].at_ms", msg: "must be a number"},
	{name: "option a string", doc: `{"options":{"mtu":"big"}}`, field: "options.mtu", msg: "must be a number"},
	{name: "bool option a number", doc: `{"options":{"rfc1337":1}}`, field: "options.rfc1337", msg: "true or false"},
	{name: "steps an object", doc: `{"steps":{}}`, field: "steps", msg: "must be an array"},
	{name: "title a string", doc: `{"title":"x"}`, field: "title", msg: "must be an object"},
	{name: "window too big", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["SYN"],"window":70000}}]}`, field: "faults[0].inject.window", msg: "in range"},

	// Top-level fields.
	{name: "bad id", doc: `{"id":"Not An ID"}`, field: "id", msg: "lower-case"},
	{name: "bad profile", doc: `{"profile":"bsd"}`, field: "profile", msg: `"bsd"`},
	{name: "delay negative", doc: `{"network":{"one_way_delay_ms":-1}}`, field: "network.one_way_delay_ms", msg: "between"},
	{name: "delay too long", doc: `{"network":{"one_way_delay_ms":10001}}`, field: "network.one_way_delay_ms", msg: "between"},
	{name: "until negative", doc: `{"until_ms":-5}`, field: "until_ms", msg: "between"},
	{name: "until too late", doc: `{"until_ms":3600001}`, field: "until_ms", msg: "between"},

	// Options out of range.
	{name: "mtu too small", doc: `{"options":{"mtu":67}}`, field: "options.mtu", msg: "between 68 and"},
	{name: "delayed ack zero", doc: `{"options":{"delayed_ack_ms":0}}`, field: "options.delayed_ack_ms", msg: "between"},
	{name: "msl too long", doc: `{"options":{"msl_ms":600001}}`, field: "options.msl_ms", msg: "between"},
	{name: "syn retries", doc: `{"options":{"syn_retries":21}}`, field: "options.syn_retries", msg: "between 0 and 20"},
	{name: "backlog", doc: `{"options":{"backlog":-1}}`, field: "options.backlog", msg: "between"},
	{name: "rto min above max", doc: `{"options":{"rto_min_ms":5000,"rto_max_ms":2000}}`, field: "options.rto_min_ms", msg: "rto_max_ms"},
	{name: "rto max below the profile's min", doc: `{"profile":"rfc","options":{"rto_max_ms":500}}`, field: "options.rto_min_ms", msg: "rto_max_ms"},

	// Steps.
	{name: "too many steps", doc: withSteps(MaxSteps + 1), field: "steps", msg: "at most 1000"},
	{name: "negative at_ms", doc: `{"steps":[{"at_ms":-1,"endpoint":"client","call":"connect"}]}`, field: "steps[0].at_ms", msg: "between"},
	{name: "at_ms too late", doc: `{"steps":[{"at_ms":3600001,"endpoint":"client","call":"connect"}]}`, field: "steps[0].at_ms", msg: "between"},
	{name: "bad endpoint", doc: `{"steps":[{"at_ms":0,"endpoint":"router","call":"connect"}]}`, field: "steps[0].endpoint", msg: `"router"`},
	{name: "no endpoint", doc: `{"steps":[{"at_ms":0,"call":"connect"}]}`, field: "steps[0].endpoint", msg: `not ""`},
	{name: "bad call", doc: `{` + okSteps[:len(okSteps)-1] + `,{"at_ms":1,"endpoint":"client","call":"dance"}]}`, field: "steps[2].call", msg: `"dance"`},
	{name: "send without data", doc: `{"steps":[{"at_ms":0,"endpoint":"client","call":"send"}]}`, field: "steps[0].data", msg: "send needs data"},
	{name: "data on a non-send", doc: `{"steps":[{"at_ms":0,"endpoint":"client","call":"close","data":"x"}]}`, field: "steps[0].data", msg: "only send"},
	{name: "too much data", doc: `{"steps":[{"at_ms":0,"endpoint":"client","call":"send","data":"` + strings.Repeat("d", MaxDataBytes/2+1) +
		`"},{"at_ms":1,"endpoint":"client","call":"send","data":"` + strings.Repeat("d", MaxDataBytes/2) + `"}]}`, field: "steps", msg: "bytes of data"},

	// Faults.
	{name: "too many faults", doc: withFaults(MaxFaults + 1), field: "faults", msg: "at most 1000"},
	{name: "empty fault", doc: `{"faults":[{}]}`, field: "faults[0]", msg: "exactly one"},
	{name: "two kinds in a fault", doc: `{"faults":[{"drop":{"from":"client","flags":["SYN"],"nth":1},"flood":{"at_ms":0,"count":1,"interval_ms":1}}]}`, field: "faults[0]", msg: "exactly one"},
	{name: "drop bad flag", doc: `{"faults":[{"drop":{"from":"client","flags":["SYNN"],"nth":1}}]}`, field: "faults[0].drop.flags", msg: "SYNN"},
	{name: "drop no flags", doc: `{"faults":[{"drop":{"from":"client","nth":1}}]}`, field: "faults[0].drop.flags", msg: "at least one flag"},
	{name: "drop flag twice", doc: `{"faults":[{"drop":{"from":"client","flags":["ACK","ack"],"nth":1}}]}`, field: "faults[0].drop.flags", msg: "duplicate"},
	{name: "drop nth 0", doc: `{"faults":[{"drop":{"from":"client","flags":["SYN"],"nth":0}}]}`, field: "faults[0].drop.nth", msg: "between 1"},
	{name: "drop bad endpoint", doc: `{"faults":[{"drop":{"from":"both","flags":["SYN"],"nth":1}}]}`, field: "faults[0].drop.from", msg: `"both"`},
	{name: "drop segment and rule", doc: `{"faults":[{"drop":{"segment":3,"from":"client"}}]}`, field: "faults[0].drop.segment", msg: "alone"},
	{name: "drop negative segment", doc: `{"faults":[{"drop":{"segment":-3}}]}`, field: "faults[0].drop.segment", msg: "positive"},
	{name: "inject bad flag", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["SYN","BOGUS"]}}]}`, field: "faults[0].inject.flags", msg: "BOGUS"},
	{name: "inject negative at_ms", doc: `{"faults":[{"inject":{"at_ms":-1,"from":"client","flags":["SYN"]}}]}`, field: "faults[0].inject.at_ms", msg: "between"},
	{name: "inject bad endpoint", doc: `{"faults":[{"inject":{"at_ms":0,"from":"attacker","flags":["SYN"]}}]}`, field: "faults[0].inject.from", msg: `"attacker"`},
	{name: "inject seq and rel_seq", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["SYN"],"seq":1,"rel_seq":1}}]}`, field: "faults[0].inject.seq", msg: "not both"},
	{name: "inject ack and rel_ack", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["ACK"],"ack":1,"rel_ack":1}}]}`, field: "faults[0].inject.ack", msg: "not both"},
	{name: "inject rel_seq too big", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["ACK"],"rel_seq":4294967297}}]}`, field: "faults[0].inject.rel_seq", msg: "32 bits"},
	{name: "inject rel_seq 2^32", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["ACK"],"rel_seq":4294967296}}]}`, field: "faults[0].inject.rel_seq", msg: "32 bits"},
	{name: "inject rel_ack too small", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["ACK"],"rel_ack":-2147483649}}]}`, field: "faults[0].inject.rel_ack", msg: "32 bits"},
	{name: "inject too much data", doc: `{"faults":[{"inject":{"at_ms":0,"from":"client","flags":["ACK"],"data":"` + strings.Repeat("d", 1461) + `"}}]}`, field: "faults[0].inject.data", msg: "1460"},
	{name: "flood count 0", doc: `{"faults":[{"flood":{"at_ms":0,"count":0,"interval_ms":1}}]}`, field: "faults[0].flood.count", msg: "between 1"},
	{name: "flood interval", doc: `{"faults":[{"flood":{"at_ms":0,"count":1,"interval_ms":60001}}]}`, field: "faults[0].flood.interval_ms", msg: "between"},
	{name: "flood at_ms", doc: `{"faults":[{"flood":{"at_ms":-1,"count":1,"interval_ms":1}}]}`, field: "faults[0].flood.at_ms", msg: "between"},
}

func TestBadScenarios(t *testing.T) {
	for _, c := range badScenarios {
		t.Run(c.name, func(t *testing.T) {
			sc, err := DecodeScenario([]byte(c.doc))
			if err == nil {
				t.Fatalf("accepted: %+v", sc)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a FieldError", err, err)
			}
			if fe.Field != c.field {
				t.Errorf("field %q, want %q (error: %v)", fe.Field, c.field, err)
			}
			if !slices.Contains(FieldErrorCodes(), fe.Code) {
				t.Errorf("code %q is not one of FieldErrorCodes (error: %v)", fe.Code, err)
			}
			// A page words the error from its code and arguments: the
			// numbers and values the English names are among them.
			// (A list of values and a range are written in words.)
			for k, v := range fe.Args {
				if s := fmt.Sprint(v); k != "values" && fe.Code != "range" && !strings.Contains(fe.Msg, s) {
					t.Errorf("argument %q is not in the message %q", s, fe.Msg)
				}
			}
			if fe.Code == "range" && (fe.Args["min"] == nil || fe.Args["max"] == nil) {
				t.Errorf("range error without min and max: %+v", fe)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
			if c.field != "" && !strings.HasPrefix(err.Error(), c.field+": ") {
				t.Errorf("error %q does not start with its field", err)
			}
			// ParseScenario gives the same answer from a reader.
			if _, err2 := ParseScenario(strings.NewReader(c.doc)); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("ParseScenario: %v, DecodeScenario: %v", err2, err)
			}
		})
	}
}

func TestOversizedScenario(t *testing.T) {
	doc := `{"id":"big","summary":{"en":"` + strings.Repeat("a", MaxScenarioBytes) + `","zh":""}}`
	if _, err := DecodeScenario([]byte(doc)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("DecodeScenario: %v, want ErrTooLarge", err)
	}
	if _, err := ParseScenario(strings.NewReader(doc)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ParseScenario: %v, want ErrTooLarge", err)
	}
	// Exactly at the limit is fine.
	pad := MaxScenarioBytes - len(`{"id":"big","summary":{"en":"","zh":""}}`)
	doc = `{"id":"big","summary":{"en":"` + strings.Repeat("a", pad) + `","zh":""}}`
	if len(doc) != MaxScenarioBytes {
		t.Fatalf("document of %d bytes", len(doc))
	}
	if _, err := ParseScenario(strings.NewReader(doc)); err != nil {
		t.Errorf("a document of exactly MaxScenarioBytes: %v", err)
	}
}

// TestScenarioLimitsAccepted checks the other side of every bound: the
// largest valid values decode.
func TestScenarioLimitsAccepted(t *testing.T) {
	for _, doc := range []string{
		withSteps(MaxSteps),
		withFaults(MaxFaults),
		`{"until_ms":3600000,"network":{"one_way_delay_ms":10000}}`,
		`{"options":{"mtu":68,"delayed_ack_ms":500,"msl_ms":600000,"syn_retries":0,"backlog":0,"fin_timeout_ms":0}}`,
		`{"faults":[{"inject":{"at_ms":3600000,"from":"server","flags":["none"],"rel_seq":-2147483648,"rel_ack":4294967295,"window":65535}}]}`,
		`{"faults":[{"flood":{"at_ms":0,"count":1000,"interval_ms":60000}}]}`,
		`{"steps":[{"at_ms":0,"endpoint":"client","call":"send","data":"` + strings.Repeat("d", MaxDataBytes) + `"}]}`,
	} {
		if _, err := DecodeScenario([]byte(doc)); err != nil {
			t.Errorf("%.80s...: %v", doc, err)
		}
	}
}

// TestScenarioFilesDecode checks the built-in scenarios,
// and that a decoded scenario encodes back to itself.
func TestScenarioFilesDecode(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "scenarios", "*.json"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := DecodeScenario(data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		checkRoundTrip(t, sc)
	}
}

func checkRoundTrip(t *testing.T, sc *Scenario) {
	t.Helper()
	js, err := json.Marshal(sc)
	if err != nil {
		t.Fatalf("encoding a decoded scenario: %v", err)
	}
	back, err := DecodeScenario(js)
	if err != nil {
		t.Fatalf("a decoded scenario, encoded, does not decode: %v\n%s", err, js)
	}
	// Empty and absent lists encode alike, so compare the encodings.
	again, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, again) || !reflect.DeepEqual(sc.Options, back.Options) || len(sc.Steps) != len(back.Steps) {
		t.Fatalf("round trip changed the scenario:\n%s\n%s", js, again)
	}
}

// FuzzDecodeScenario: no document makes DecodeScenario panic; an error is a
// FieldError (or ErrTooLarge); a scenario that decodes encodes back to
// itself and runs to its end within the limits.
func FuzzDecodeScenario(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "scenarios", "*.json"))
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, g := range goScenarios() {
		if data, err := json.Marshal(g.sc); err == nil {
			f.Add(data)
		}
	}
	for _, c := range badScenarios {
		if len(c.doc) < 4096 {
			f.Add([]byte(c.doc))
		}
	}
	f.Add([]byte(`{"seed":1,"network":{"one_way_delay_ms":0.7},"steps":[],"live":[{"step":0,"at_ms":0,"endpoint":"server","call":"listen"},` +
		`{"step":1,"at_ms":0.5,"endpoint":"client","call":"connect"},{"step":3,"at_ms":0.7,"fault":{"drop":{"segment":2}}},` +
		`{"step":4,"at_ms":1,"fault":{"drop":{"from":"client","flags":["ACK"],"nth":1}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := DecodeScenario(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v (%T) is neither a FieldError nor ErrTooLarge", err, err)
			}
			if sc != nil {
				t.Fatal("a scenario with an error")
			}
			return
		}
		checkRoundTrip(t, sc)
		tr, err := runNoPanic(sc)
		if err != nil {
			var fe *FieldError
			switch {
			case errTooMany(err):
				return
			case errors.As(err, &fe) && fe.Field == "options.rto_min_ms":
				return // known: Validate does not compare the RTO bounds
			case errors.As(err, &fe) && strings.HasPrefix(fe.Field, "live["), errors.Is(err, ErrNotInFlight):
				return // a live list that does not fit the run stops it
			}
			t.Fatalf("Run: %v\n%s", err, data)
		}
		checkTrace(t, sc, tr)
		if js, err := json.Marshal(tr); err != nil || !bytes.HasPrefix(js, []byte(`{"scenario":`)) {
			t.Fatalf("trace JSON: %v", err)
		}
	})
}
