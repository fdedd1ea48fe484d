package engine

import (
	"encoding/json"
	"math"
	"time"

	"github.com/synack/synack/engine/wire"
)

// Event kinds, as the trace JSON spells them.
const (
	KindCall    = "call"
	KindState   = "state"
	KindSegment = "segment"
	KindTimer   = "timer"
	// KindNote is something an endpoint did that is none of the above: a
	// SYN dropped for a full backlog, a RST ignored, an error reported to
	// the application.
	KindNote = "note"
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
	*m = Millis(ms * float64(time.Millisecond))
	return nil
}

// Ms is a virtual time in milliseconds, for tests and callers.
func (m Millis) Ms() float64 { return float64(m) / float64(time.Millisecond) }

// TCB is a snapshot of the control block variables a teacher points at. The
// sequence numbers are absolute, as on the wire.
type TCB struct {
	State  string `json:"state"`
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
// kind-specific fields are meaningful; JSON carries only those.
type Event struct {
	Kind     string `json:"kind"`
	T        Millis `json:"t_ms"`
	Endpoint string `json:"endpoint,omitempty"`

	// call
	Call   string `json:"call,omitempty"`
	Result string `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`

	// state: From and To are states; segment: From and To are endpoints.
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	Cause        string `json:"cause,omitempty"`
	CauseSegment int    `json:"cause_segment,omitempty"`

	// segment
	ID       int           `json:"id,omitempty"`
	Flags    []string      `json:"flags,omitempty"`
	Seq      *uint32       `json:"seq,omitempty"`
	Ack      *uint32       `json:"ack,omitempty"`
	Len      *int          `json:"len,omitempty"`
	Window   *uint16       `json:"window,omitempty"`
	Options  []wire.Option `json:"options,omitempty"`
	ArriveMs *Millis       `json:"arrive_ms,omitempty"`
	Fate     string        `json:"fate,omitempty"`
	// DropReason says why a dropped segment was lost: "fault" (a drop rule
	// or the user) or "unreachable" (a spoofed address nobody answers for).
	DropReason string `json:"drop_reason,omitempty"`
	Injected   bool   `json:"injected,omitempty"`
	Spoofed    bool   `json:"spoofed,omitempty"`
	Retransmit bool   `json:"retransmit,omitempty"`
	Bytes      string `json:"bytes,omitempty"` // the IPv4 packet in hex

	// timer
	Timer  string  `json:"timer,omitempty"`
	Action string  `json:"action,omitempty"`
	DueMs  *Millis `json:"due_ms,omitempty"`

	// Data is the payload of a send, receive or segment, as text.
	Data string `json:"data,omitempty"`
	// Reason is a stable key that names the rule behind the event, such as
	// "challenge-ack" or "rst-closed-port"; the page explains it.
	Reason string `json:"reason,omitempty"`
	// TCB is the control block of Endpoint (for a segment, of its sender)
	// after the event.
	TCB *TCB `json:"tcb,omitempty"`
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
