package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/synack/synack/engine/wire"
)

// Limits bound what one scenario may ask of the engine, so that no scenario a
// user sends can make a run slow or large. They are part of the documented
// contract (README, "Limits").
const (
	MaxScenarioBytes = 256 << 10            // a scenario document
	MaxSteps         = 1000                 // socket calls in one scenario
	MaxFaults        = 1000                 // drop and inject rules
	MaxLive          = MaxSteps + MaxFaults // calls and faults recorded by a live session
	MaxDataBytes     = 64 << 10             // payload of all send calls and injects together
	MaxUntil         = 3600_000             // virtual ms: one hour bounds every run
	DefaultUntil     = 300_000              // virtual ms when until_ms is absent
	MaxEvents        = 20_000               // a run stops with an error past this many events
	MaxOneWayDelayMs = 10_000
)

// Text is a string in the two languages synack speaks.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// Scenario is what two applications do with their sockets and what the
// network does to their segments. Its JSON form is the project's contract.
type Scenario struct {
	ID      string  `json:"id"`
	Title   Text    `json:"title"`
	Summary Text    `json:"summary"`
	Seed    uint64  `json:"seed"`
	Profile string  `json:"profile,omitempty"`
	Options Options `json:"options,omitzero"`
	Network Network `json:"network,omitzero"`
	Steps   []Step  `json:"steps"`
	Faults  []Fault `json:"faults,omitempty"`
	UntilMs int64   `json:"until_ms,omitempty"`
	// Live holds what a live session's user did while the run went on,
	// as the engine recorded it, in order: with it the scenario of a
	// live run's trace reproduces that trace exactly.
	Live []Live `json:"live,omitempty"`
}

// Live is one socket call or fault a live session's user made. Step is the
// number of engine steps done before it (the run's position: several
// things can happen at one instant, and it comes between two of them) and
// AtMs the virtual time. Either Call (with Endpoint and Data) or Fault is
// set; a Fault may be {"drop": {"segment": ID}}, the loss of that segment
// in flight.
type Live struct {
	Step     int    `json:"step"`
	AtMs     Millis `json:"at_ms"`
	Endpoint string `json:"endpoint,omitempty"`
	Call     string `json:"call,omitempty"`
	Data     string `json:"data,omitempty"`
	Fault    *Fault `json:"fault,omitempty"`
}

// Options override single settings of a profile. A nil field keeps the
// profile's default; see profile.go for every default.
type Options struct {
	DelayedAckMs      *int64 `json:"delayed_ack_ms,omitempty"`
	MSLMs             *int64 `json:"msl_ms,omitempty"`
	MTU               *int64 `json:"mtu,omitempty"`
	RcvBuf            *int64 `json:"rcv_buf,omitempty"`
	RTOInitialMs      *int64 `json:"rto_initial_ms,omitempty"`
	RTOMinMs          *int64 `json:"rto_min_ms,omitempty"`
	RTOMaxMs          *int64 `json:"rto_max_ms,omitempty"`
	SynRetries        *int64 `json:"syn_retries,omitempty"`
	SynAckRetries     *int64 `json:"synack_retries,omitempty"`
	Retries2          *int64 `json:"retries2,omitempty"`
	SynLinearTimeouts *int64 `json:"syn_linear_timeouts,omitempty"`
	OrphanRetries     *int64 `json:"orphan_retries,omitempty"`
	FinTimeoutMs      *int64 `json:"fin_timeout_ms,omitempty"`
	Backlog           *int64 `json:"backlog,omitempty"`
	RFC1337           *bool  `json:"rfc1337,omitempty"`
	Timestamps        *bool  `json:"timestamps,omitempty"`
	SACK              *bool  `json:"sack,omitempty"`
	WindowScaling     *bool  `json:"window_scaling,omitempty"`
	ChallengeAck      *bool  `json:"challenge_ack,omitempty"`
	DelayedAck        *bool  `json:"delayed_ack,omitempty"`
}

// Network describes the path between the two endpoints.
type Network struct {
	OneWayDelayMs float64 `json:"one_way_delay_ms"`
}

// Step is one socket call an application makes at a virtual time.
type Step struct {
	AtMs     int64  `json:"at_ms"`
	Endpoint string `json:"endpoint"`
	Call     string `json:"call"`
	Data     string `json:"data,omitempty"`
}

// Fault is one thing the network does to segments. Exactly one field is set.
type Fault struct {
	Drop   *Drop   `json:"drop,omitempty"`
	Inject *Inject `json:"inject,omitempty"`
	Flood  *Flood  `json:"flood,omitempty"`
}

// Drop loses the nth segment sent by From whose flag set is exactly Flags, or
// (live sessions) the one segment with ID Segment.
type Drop struct {
	From    string   `json:"from,omitempty"`
	Flags   []string `json:"flags,omitempty"`
	Nth     int      `json:"nth,omitempty"`
	Segment int      `json:"segment,omitempty"`
}

// Inject puts a crafted segment on the wire at AtMs as if From had sent it.
// RelSeq counts from the sender's ISN and RelAck from the receiver's; Seq and
// Ack give absolute values instead.
type Inject struct {
	AtMs   int64    `json:"at_ms"`
	From   string   `json:"from"`
	Flags  []string `json:"flags"`
	RelSeq *int64   `json:"rel_seq,omitempty"`
	RelAck *int64   `json:"rel_ack,omitempty"`
	Seq    *uint32  `json:"seq,omitempty"`
	Ack    *uint32  `json:"ack,omitempty"`
	Window *uint16  `json:"window,omitempty"`
	Data   string   `json:"data,omitempty"`
}

// Flood sends Count SYNs from spoofed addresses to the server, one every
// IntervalMs from AtMs: the half-open connections fill the listener's backlog.
// Nothing answers the server's SYN-ACKs to them.
type Flood struct {
	AtMs       int64 `json:"at_ms"`
	Count      int   `json:"count"`
	IntervalMs int64 `json:"interval_ms"`
}

// Endpoint names.
const (
	Client = "client"
	Server = "server"
)

// Socket calls, as the contract spells them.
const (
	CallListen   = "listen"
	CallConnect  = "connect"
	CallSend     = "send"
	CallReceive  = "receive"
	CallShutdown = "shutdown"
	CallClose    = "close"
	CallAbort    = "abort"
)

var validCalls = []string{CallListen, CallConnect, CallSend, CallReceive, CallShutdown, CallClose, CallAbort}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// FieldError is a scenario error that names the offending field with a path
// such as "steps[2].at_ms". Msg says what is wrong in English; Code names
// the same rule and Args its values, so that a page can say it in the
// reader's language ("range" with {"min": 0, "max": 3600000} is "must be
// between 0 and 3600000"). FieldErrorCodes lists the codes.
type FieldError struct {
	Field string
	Msg   string
	Code  string
	Args  map[string]any
}

// FieldErrorCodes lists every Code a FieldError of the engine's can carry,
// for the pages' catalogues (field.<code>) to cover.
func FieldErrorCodes() []string {
	return []string{
		"ack-both", "data-total", "empty", "fault-kind", "fault-one-kind", "flag-twice", "flag-unknown", "flags",
		"flags-empty", "id-pattern", "json", "json-end", "json-syntax", "max-bytes", "null", "one-of",
		"only-send-data", "range", "rto-min-max", "segment-alone", "send-needs-data", "seq-both", "too-many",
		"live-both", "live-late", "live-step-order", "live-time-order", "trailing-data", "type-array", "type-bool", "type-number", "type-object", "type-other", "type-string",
		"unknown-field",
	}
}

// fieldErr is a FieldError for field breaking the rule code.
func fieldErr(field, code string, args map[string]any, msg string) *FieldError {
	return &FieldError{Field: field, Msg: msg, Code: code, Args: args}
}

// rangeErr is a FieldError for a number outside min..max.
func rangeErr(field string, min, max int64) *FieldError {
	return fieldErr(field, "range", map[string]any{"min": min, "max": max}, fmt.Sprintf("must be between %d and %d", min, max))
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// ErrTooLarge is wrapped by ParseScenario when the document exceeds
// MaxScenarioBytes.
var ErrTooLarge = errors.New("scenario too large")

// ParseScenario decodes and validates one scenario document. Unknown fields,
// wrong types, values out of range and trailing data are errors that name the
// field.
func ParseScenario(r io.Reader) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxScenarioBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxScenarioBytes)
	}
	return DecodeScenario(data)
}

// DecodeScenario is ParseScenario for a document already in memory.
func DecodeScenario(data []byte) (*Scenario, error) {
	if len(data) > MaxScenarioBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxScenarioBytes)
	}
	var sc Scenario
	if err := decodeScenario(data, &sc); err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// decodeScenario decodes field by field, and the steps and faults element
// by element, so that every error names its field with a full path such as
// "steps[2].at_ms" or "faults[0].drop.nth".
func decodeScenario(data []byte, sc *Scenario) error {
	var fields map[string]json.RawMessage
	if err := strictInto(data, &fields, ""); err != nil {
		return err
	}
	if fields == nil {
		return fieldErr("", "null", nil, "expected a scenario object, got null")
	}
	into := map[string]any{
		"id": &sc.ID, "title": &sc.Title, "summary": &sc.Summary, "seed": &sc.Seed,
		"profile": &sc.Profile, "options": &sc.Options, "network": &sc.Network,
		"until_ms": &sc.UntilMs,
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		raw := fields[name]
		switch name {
		case "steps":
			items, err := elements(raw, name, MaxSteps)
			if err != nil {
				return err
			}
			if items == nil {
				continue
			}
			sc.Steps = make([]Step, len(items))
			for i, item := range items {
				if err := strictInto(item, &sc.Steps[i], fmt.Sprintf("steps[%d]", i)); err != nil {
					return err
				}
			}
		case "live":
			items, err := elements(raw, name, MaxLive)
			if err != nil {
				return err
			}
			if items == nil {
				continue
			}
			sc.Live = make([]Live, len(items))
			for i, item := range items {
				if err := strictInto(item, &sc.Live[i], fmt.Sprintf("live[%d]", i)); err != nil {
					return err
				}
			}
		case "faults":
			items, err := elements(raw, name, MaxFaults)
			if err != nil {
				return err
			}
			if items == nil {
				continue
			}
			sc.Faults = make([]Fault, len(items))
			for i, item := range items {
				if err := decodeFault(item, &sc.Faults[i], fmt.Sprintf("faults[%d]", i)); err != nil {
					return err
				}
			}
		default:
			v, ok := into[name]
			if !ok {
				return fieldErr(name, "unknown-field", nil, "unknown field")
			}
			if err := strictInto(raw, v, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// elements splits a JSON array, bounded so that a huge array fails fast.
func elements(raw json.RawMessage, path string, limit int) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if err := strictInto(raw, &items, path); err != nil {
		return nil, err
	}
	if len(items) > limit {
		return nil, fieldErr(path, "too-many", map[string]any{"max": limit, "count": len(items)}, fmt.Sprintf("at most %d, got %d", limit, len(items)))
	}
	return items, nil
}

func decodeFault(raw json.RawMessage, f *Fault, path string) error {
	var kinds map[string]json.RawMessage
	if err := strictInto(raw, &kinds, path); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(kinds)) {
		var v any
		switch name {
		case "drop":
			f.Drop = &Drop{}
			v = f.Drop
		case "inject":
			f.Inject = &Inject{}
			v = f.Inject
		case "flood":
			f.Flood = &Flood{}
			v = f.Flood
		default:
			return fieldErr(joinPath(path, name), "fault-kind", nil, "unknown fault kind (drop, inject or flood)")
		}
		if err := strictInto(kinds[name], v, joinPath(path, name)); err != nil {
			return err
		}
	}
	return nil
}

// joinPath names a field below path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// strictInto decodes one JSON value into v, refusing unknown fields and
// trailing data, with errors that name the field below path.
func strictInto(data []byte, v any, path string) error {
	if err := exactKeys(data, v, path); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, path)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fieldErr(path, "trailing-data", nil, "unexpected data after the value")
	}
	return nil
}

// exactKeys refuses an object key that matches a field only when case is
// ignored, as encoding/json would accept ("AT_MS" for "at_ms").
func exactKeys(data []byte, v any, path string) error {
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	var keys map[string]json.RawMessage
	if json.Unmarshal(data, &keys) != nil {
		return nil // not an object: Decode reports it with the right words
	}
	names := map[string]bool{}
	st := t.Elem()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		names[name] = true
	}
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		if !names[key] {
			field := key
			if path != "" {
				field = path + "." + key
			}
			return fieldErr(field, "unknown-field", nil, "unknown field")
		}
	}
	return nil
}

// jsonError turns encoding/json's errors into FieldErrors in a user's words.
func jsonError(err error, path string) error {
	join := func(name string) string {
		switch {
		case path == "":
			return name
		case name == "":
			return path
		}
		return path + "." + name
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := join(typeErr.Field)
		if field == "" {
			field = "scenario"
		}
		want := typeName(typeErr.Type.Kind().String())
		return fieldErr(field, "type-"+want.code, map[string]any{"value": typeErr.Value}, fmt.Sprintf("must be %s, not %s", want.words, typeErr.Value))
	case errors.As(err, &syntaxErr):
		return fieldErr("", "json-syntax", map[string]any{"offset": syntaxErr.Offset, "detail": syntaxErr.Error()}, fmt.Sprintf("invalid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr))
	case errors.Is(err, io.EOF):
		return fieldErr("", "empty", nil, "empty body: expected a scenario object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fieldErr("", "json-end", nil, "invalid JSON: unexpected end of input")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fieldErr(join(strings.Trim(name, `"`)), "unknown-field", nil, "unknown field")
	}
	detail := strings.TrimPrefix(msg, "json: ")
	return fieldErr(path, "json", map[string]any{"detail": detail}, detail)
}

// typeWant is a JSON type a field wants: a code ("number") and its words.
type typeWant struct{ code, words string }

func typeName(kind string) typeWant {
	switch kind {
	case "int", "int64", "uint16", "uint32", "uint64", "float64":
		return typeWant{"number", "a number in range"}
	case "string":
		return typeWant{"string", "a string"}
	case "slice":
		return typeWant{"array", "an array"}
	case "struct", "ptr", "map":
		return typeWant{"object", "an object"}
	case "bool":
		return typeWant{"bool", "true or false"}
	}
	return typeWant{"other", "a " + kind}
}

// oneOfErr is a FieldError for a value that is none of the allowed ones,
// worded as `must be "linux" or "rfc", not "bsd"`.
func oneOfErr(field string, allowed []string, got string) *FieldError {
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = strconv.Quote(a)
	}
	msg := fmt.Sprintf("must be %s or %s, not %q", strings.Join(quoted[:len(quoted)-1], ", "), quoted[len(quoted)-1], got)
	return fieldErr(field, "one-of", map[string]any{"values": strings.Join(quoted, ", "), "value": strconv.Quote(got)}, msg)
}

// flagsErr is the FieldError for a list of flag names wire.ParseFlags refused.
func flagsErr(field string, names []string, err error) *FieldError {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return fieldErr(field, "flag-twice", map[string]any{"flag": strconv.Quote(n)}, err.Error())
		}
		seen[n] = true
	}
	for _, n := range names {
		if _, bad := wire.ParseFlags([]string{n}); bad != nil {
			return fieldErr(field, "flag-unknown", map[string]any{"flag": strconv.Quote(n)}, err.Error())
		}
	}
	return fieldErr(field, "flags", map[string]any{"detail": err.Error()}, err.Error())
}

// Validate checks every field of a decoded scenario against the contract and
// the limits above.
func (sc *Scenario) Validate() error {
	if sc.ID != "" && !idPattern.MatchString(sc.ID) {
		return fieldErr("id", "id-pattern", nil, "must be 1-64 lower-case letters, digits and hyphens")
	}
	if sc.Profile != "" && sc.Profile != ProfileLinux && sc.Profile != ProfileRFC {
		return oneOfErr("profile", []string{ProfileLinux, ProfileRFC}, sc.Profile)
	}
	if err := sc.Options.validate(); err != nil {
		return err
	}
	if _, err := sc.Config(); err != nil {
		return err
	}
	if d := sc.Network.OneWayDelayMs; d < 0 || d > MaxOneWayDelayMs {
		return rangeErr("network.one_way_delay_ms", 0, MaxOneWayDelayMs)
	}
	if sc.UntilMs < 0 || sc.UntilMs > MaxUntil {
		return rangeErr("until_ms", 1, MaxUntil)
	}
	if len(sc.Steps) > MaxSteps {
		return fieldErr("steps", "too-many", map[string]any{"max": MaxSteps, "count": len(sc.Steps)}, fmt.Sprintf("at most %d steps, got %d", MaxSteps, len(sc.Steps)))
	}
	if len(sc.Faults) > MaxFaults {
		return fieldErr("faults", "too-many", map[string]any{"max": MaxFaults, "count": len(sc.Faults)}, fmt.Sprintf("at most %d faults, got %d", MaxFaults, len(sc.Faults)))
	}
	data := 0
	for i, st := range sc.Steps {
		if err := st.validate(fmt.Sprintf("steps[%d].", i)); err != nil {
			return err
		}
		data += len(st.Data)
	}
	for i, ft := range sc.Faults {
		n, err := ft.validate(fmt.Sprintf("faults[%d]", i))
		if err != nil {
			return err
		}
		data += n
	}
	if len(sc.Live) > MaxLive {
		return fieldErr("live", "too-many", map[string]any{"max": MaxLive, "count": len(sc.Live)}, fmt.Sprintf("at most %d, got %d", MaxLive, len(sc.Live)))
	}
	for i := range sc.Live {
		lv := &sc.Live[i]
		p := fmt.Sprintf("live[%d]", i)
		n, err := lv.validate(p)
		if err != nil {
			return err
		}
		if i > 0 && lv.Step <= sc.Live[i-1].Step {
			return fieldErr(p+".step", "live-step-order", nil, "must be more than the step before it (each live action is a step)")
		}
		if i > 0 && lv.AtMs < sc.Live[i-1].AtMs {
			return fieldErr(p+".at_ms", "live-time-order", nil, "must not be earlier than the one before it")
		}
		data += n
	}
	if data > MaxDataBytes {
		return fieldErr("steps", "data-total", map[string]any{"max": MaxDataBytes, "count": data}, fmt.Sprintf("at most %d bytes of data in all, got %d", MaxDataBytes, data))
	}
	return nil
}

// validate checks one live action and returns the bytes of data it sends.
func (lv *Live) validate(path string) (int, error) {
	if lv.Step < 0 || lv.Step > MaxWork {
		return 0, rangeErr(path+".step", 0, MaxWork)
	}
	if lv.AtMs < 0 || lv.AtMs > Millis(MaxUntil*time.Millisecond) {
		return 0, rangeErr(path+".at_ms", 0, MaxUntil)
	}
	if lv.Fault != nil {
		if lv.Endpoint != "" || lv.Call != "" || lv.Data != "" {
			return 0, fieldErr(path+".fault", "live-both", nil, "give either a call (endpoint, call, data) or a fault, not both")
		}
		return lv.Fault.validate(path + ".fault")
	}
	st := Step{Endpoint: lv.Endpoint, Call: lv.Call, Data: lv.Data}
	if err := st.validate(path + "."); err != nil {
		return 0, err
	}
	return len(lv.Data), nil
}

// validate checks one step; prefix goes before each field's name.
func (st *Step) validate(prefix string) error {
	if st.AtMs < 0 || st.AtMs > MaxUntil {
		return rangeErr(prefix+"at_ms", 0, MaxUntil)
	}
	if err := checkEndpoint(prefix+"endpoint", st.Endpoint); err != nil {
		return err
	}
	if !slices.Contains(validCalls, st.Call) {
		return fieldErr(prefix+"call", "one-of", map[string]any{"values": strings.Join(validCalls, ", "), "value": strconv.Quote(st.Call)}, fmt.Sprintf("must be one of %s, not %q", strings.Join(validCalls, ", "), st.Call))
	}
	if st.Call == CallSend && st.Data == "" {
		return fieldErr(prefix+"data", "send-needs-data", nil, "send needs data")
	}
	if st.Call != CallSend && st.Data != "" {
		return fieldErr(prefix+"data", "only-send-data", nil, "only send takes data")
	}
	if len(st.Data) > MaxDataBytes {
		return fieldErr(prefix+"data", "max-bytes", map[string]any{"max": MaxDataBytes}, fmt.Sprintf("at most %d bytes", MaxDataBytes))
	}
	return nil
}

// DecodeFault decodes and validates one fault object, as a live session
// receives it; errors name the field ("drop.nth").
func DecodeFault(data []byte) (Fault, error) {
	var f Fault
	if len(data) > MaxScenarioBytes {
		return f, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxScenarioBytes)
	}
	if err := decodeFault(data, &f, ""); err != nil {
		return f, err
	}
	if _, err := f.validate(""); err != nil {
		return f, err
	}
	return f, nil
}

func (ft *Fault) validate(path string) (dataBytes int, err error) {
	set := 0
	if ft.Drop != nil {
		set++
	}
	if ft.Inject != nil {
		set++
	}
	if ft.Flood != nil {
		set++
	}
	if set != 1 {
		return 0, fieldErr(path, "fault-one-kind", nil, "must hold exactly one of drop, inject, flood")
	}
	switch {
	case ft.Drop != nil:
		d := ft.Drop
		p := joinPath(path, "drop")
		if d.Segment != 0 {
			if d.Segment < 0 || d.From != "" || d.Flags != nil || d.Nth != 0 {
				return 0, fieldErr(p+".segment", "segment-alone", nil, "a positive segment id, alone")
			}
			return 0, nil
		}
		if err := checkEndpoint(p+".from", d.From); err != nil {
			return 0, err
		}
		if _, err := parseFlags(p+".flags", d.Flags); err != nil {
			return 0, err
		}
		if d.Nth < 1 || d.Nth > MaxEvents {
			return 0, rangeErr(p+".nth", 1, MaxEvents)
		}
	case ft.Inject != nil:
		in := ft.Inject
		p := joinPath(path, "inject")
		if in.AtMs < 0 || in.AtMs > MaxUntil {
			return 0, rangeErr(p+".at_ms", 0, MaxUntil)
		}
		if err := checkEndpoint(p+".from", in.From); err != nil {
			return 0, err
		}
		if _, err := parseFlags(p+".flags", in.Flags); err != nil {
			return 0, err
		}
		if in.RelSeq != nil && in.Seq != nil {
			return 0, fieldErr(p+".seq", "seq-both", nil, "give seq or rel_seq, not both")
		}
		if in.RelAck != nil && in.Ack != nil {
			return 0, fieldErr(p+".ack", "ack-both", nil, "give ack or rel_ack, not both")
		}
		for name, v := range map[string]*int64{"rel_seq": in.RelSeq, "rel_ack": in.RelAck} {
			if v != nil && (*v < -1<<31 || *v >= 1<<32) {
				return 0, fieldErr(p+"."+name, "range", map[string]any{"min": int64(-1 << 31), "max": int64(1<<32 - 1)}, "must fit in 32 bits (-2147483648 to 4294967295)")
			}
		}
		if len(in.Data) > 1460 {
			return 0, fieldErr(p+".data", "max-bytes", map[string]any{"max": 1460}, "at most 1460 bytes")
		}
		return len(in.Data), nil
	case ft.Flood != nil:
		fl := ft.Flood
		p := joinPath(path, "flood")
		if fl.AtMs < 0 || fl.AtMs > MaxUntil {
			return 0, rangeErr(p+".at_ms", 0, MaxUntil)
		}
		if fl.Count < 1 || fl.Count > 1000 {
			return 0, rangeErr(p+".count", 1, 1000)
		}
		if fl.IntervalMs < 0 || fl.IntervalMs > 60_000 {
			return 0, rangeErr(p+".interval_ms", 0, 60_000)
		}
	}
	return 0, nil
}

func parseFlags(field string, names []string) (wire.Flags, error) {
	if len(names) == 0 {
		return 0, fieldErr(field, "flags-empty", nil, "must list at least one flag (SYN, ACK, FIN, RST, PSH, URG, ECE, CWR)")
	}
	f, err := wire.ParseFlags(names)
	if err != nil {
		return 0, flagsErr(field, names, err)
	}
	return f, nil
}

func checkEndpoint(field, v string) error {
	if v != Client && v != Server {
		return oneOfErr(field, []string{Client, Server}, v)
	}
	return nil
}
