package engine

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/synack/synack/engine/wire"
)

// Event kinds, as the trace JSON spells them.
const (
	KindCall    Kind = "call"
	KindState   Kind = "state"
	KindSegment Kind = "segment"
	KindTimer   Kind = "timer"
	// KindNote is something an endpoint did that is none of the above: a
	// SYN dropped for a full backlog, a RST ignored, an error reported to
	// the application.
	KindNote Kind = "note"
)

// Segment fates.
const (
	FateDelivered = "delivered"
	FateDropped   = "dropped"
)

// Millis is a virtual time. It is kept as a Duration and written to JSON as
// milliseconds, with a fraction only when there is one.
type Millis time.Duration

// MarshalJSON writes whole milliseconds as integers.
func (m Millis) MarshalJSON() ([]byte, error) {
	ms := float64(m) / float64(time.Millisecond)
	if ms == math.Trunc(ms) {
		return json.Marshal(int64(ms))
	}
	return json.Marshal(ms)
}

// UnmarshalJSON reads milliseconds.
func (m *Millis) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return err
	}
	// Rounded, so that a time written by MarshalJSON reads back to the
	// nanosecond.
	*m = Millis(math.Round(ms * float64(time.Millisecond)))
	return nil
}

// Ms is a virtual time in milliseconds, for tests and callers.
func (m Millis) Ms() float64 { return float64(m) / float64(time.Millisecond) }

// TCB is a snapshot of the control block variables a teacher points at. The
// sequence numbers are absolute, as on the wire.
type TCB struct {
	State  State  `json:"state"`
	ISS    uint32 `json:"iss"`
	IRS    uint32 `json:"irs"`
	SndUna uint32 `json:"snd_una"`
	SndNxt uint32 `json:"snd_nxt"`
	SndWnd uint32 `json:"snd_wnd"`
	RcvNxt uint32 `json:"rcv_nxt"`
	RcvWnd uint32 `json:"rcv_wnd"`
	RTOMs  int64  `json:"rto_ms,omitempty"`
}

// Event is one thing that happened in a run. Kind says which of the
// embedded kind-specific parts is set; JSON flattens them, so each event
// carries only its own fields.
type Event struct {
	Kind     Kind   `json:"kind"`
	T        Millis `json:"t_ms"`
	Endpoint string `json:"endpoint,omitempty"`
	// From and To are states for a state event, endpoints for a segment.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`

	*CallInfo
	*SegmentInfo
	*TimerInfo

	// Cause is what led to the event: a call's name, "segment" (with
	// CauseSegment, its id), "timer" or "inject".
	Cause        Cause `json:"cause,omitempty"`
	CauseSegment int   `json:"cause_segment,omitempty"`
	// Data is the payload of a send, receive or segment, as text.
	Data string `json:"data,omitempty"`
	// Reason is a stable key that names the rule behind the event, such as
	// "challenge-ack" or "rst-closed-port"; the page explains it.
	Reason Reason `json:"reason,omitempty"`
	// TCB is the control block of Endpoint (for a segment, of its sender)
	// after the event.
	TCB *TCB `json:"tcb,omitempty"`
}

// CallInfo is the part of a call event: the call and what it returned, "ok",
// "eof" or an RFC 9293 error text such as "error: connection does not exist"
// (Error repeats that text without its "error: " prefix).
type CallInfo struct {
	Call   string `json:"call"`
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

// SegmentInfo is the part of a segment event. Seq and Ack are the absolute
// values on the wire; Len counts payload bytes.
type SegmentInfo struct {
	ID       int           `json:"id"`
	Flags    []string      `json:"flags"`
	Seq      uint32        `json:"seq"`
	Ack      uint32        `json:"ack"`
	Len      int           `json:"len"`
	Window   uint16        `json:"window"`
	Options  []wire.Option `json:"options"`
	ArriveMs *Millis       `json:"arrive_ms,omitempty"`
	Fate     string        `json:"fate"`
	// DropReason says why a dropped segment was lost: "fault" (a drop rule
	// or the user) or "unreachable" (a spoofed address nobody answers for).
	DropReason DropReason `json:"drop_reason,omitempty"`
	Injected   bool       `json:"injected,omitempty"`
	Spoofed    bool       `json:"spoofed,omitempty"`
	Retransmit bool       `json:"retransmit,omitempty"`
	// Bytes is the whole IPv4 packet, written to JSON in hex.
	Bytes HexBytes `json:"bytes"`
}

// HexBytes is a byte string that JSON carries as lower-case hex.
type HexBytes []byte

// MarshalJSON writes the bytes as a hex string.
func (b HexBytes) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, 2*len(b)+2)
	out = append(out, '"')
	out = hex.AppendEncode(out, b)
	return append(out, '"'), nil
}

// UnmarshalJSON reads a hex string.
func (b *HexBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("bytes: %w", err)
	}
	*b = v
	return nil
}

// TimerInfo is the part of a timer event: which timer, "set", "cancel" or
// "fire", and when it is (or was) due.
type TimerInfo struct {
	Timer  TimerName `json:"timer"`
	Action string    `json:"action"`
	DueMs  Millis    `json:"due_ms"`
}

// EndpointInfo names one endpoint's address, port and initial sequence number.
type EndpointInfo struct {
	Addr string `json:"addr"`
	Port uint16 `json:"port"`
	ISN  uint32 `json:"isn"`
}

// Endpoints holds both endpoints' information.
type Endpoints struct {
	Client EndpointInfo `json:"client"`
	Server EndpointInfo `json:"server"`
}

// Trace is what a run produced, in virtual time order.
type Trace struct {
	Scenario  *Scenario `json:"scenario"`
	Endpoints Endpoints `json:"endpoints"`
	Events    []Event   `json:"events"`
	// Truncated says the run stopped at MaxEvents, not at its natural end or
	// until_ms.
	Truncated bool `json:"truncated,omitempty"`
}
