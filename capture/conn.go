package capture

import (
	"net/netip"
	"strings"
	"time"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/engine/wire"
)

// Result is the answer of POST /api/captures.
type Result struct {
	Connections []*Trace `json:"connections"`
}

// Trace is one TCP connection of a capture in synack's trace format. Its
// Scenario is the one the capture implies (model.go): run by the engine, it
// is the model the page compares the capture with.
type Trace struct {
	Scenario  *engine.Scenario `json:"scenario"`
	Endpoints engine.Endpoints `json:"endpoints"`
	Events    []Event          `json:"events"`
	Capture   Info             `json:"capture"`
}

// Event is a trace event with what only a capture's events carry.
type Event struct {
	engine.Event
	// Frame is the segment's packet number in the file, as Wireshark
	// numbers them.
	Frame int `json:"frame,omitempty"`
	// Inferred marks every state event, and a segment whose fate is a
	// guess: "segment" when the segment named by cause_segment shows the
	// change (RFC 9293's rule for sending or receiving it), "assumed" when
	// the capture cannot show it at all (a listener's LISTEN before the
	// first SYN; ESTABLISHED when the capture starts after the handshake).
	Inferred string `json:"inferred,omitempty"`
}

// Inference kinds.
const (
	InferredSegment = "segment"
	InferredAssumed = "assumed"
)

// Info describes where a connection came from.
type Info struct {
	Format  string  `json:"format"` // "pcap" or "pcapng"
	Packets int     `json:"packets"`
	Skipped Skipped `json:"skipped"`
	// Index is the connection's place (1-based) among Of connections.
	Index int `json:"index"`
	Of    int `json:"of"`
	// Start is the time of the connection's first packet, t_ms 0, in RFC
	// 3339 (empty if the capture's clock is beyond year 9999).
	Start     string `json:"start"`
	FirstSeen int    `json:"first_frame"`
	// OneWayDelayMs is the delay estimated from the handshake (half the
	// round trip the capture shows), which the model runs with.
	OneWayDelayMs float64 `json:"one_way_delay_ms"`
	// IPv6 says the connection is over IPv6 (the model runs IPv4).
	IPv6 bool `json:"ipv6,omitempty"`
}

// Skipped counts the packets of the file that the reader could not use.
type Skipped struct {
	Fragments int `json:"fragments"`
	Truncated int `json:"truncated"`
	Malformed int `json:"malformed"`
}

// conn is one connection's segments, in capture order.
type conn struct {
	client, server netip.AddrPort
	segs           []segment
	// closed: a RST, or a FIN each way, was seen; a new SYN then starts a
	// new connection on the same four-tuple.
	closed  bool
	fins    [2]bool
	synSeq  uint32
	haveSYN bool
}

// tupleKey is a four-tuple regardless of direction.
type tupleKey struct{ a, b netip.AddrPort }

func keyOf(s *segment) tupleKey {
	a, b := s.src, s.dst
	if a.Compare(b) > 0 {
		a, b = b, a
	}
	return tupleKey{a, b}
}

// connections groups the segments by four-tuple, in order of each
// connection's first packet. The client is the side that sent the first SYN
// (without ACK); without one, the receiver of the first SYN,ACK; without
// that, the first sender.
func connections(segs []segment) ([]*conn, error) {
	var list []*conn
	open := map[tupleKey]*conn{}
	for i := range segs {
		s := &segs[i]
		k := keyOf(s)
		c := open[k]
		pureSYN := s.flags&wire.SYN != 0 && s.flags&wire.ACK == 0
		if c != nil && pureSYN && c.closed && (!c.haveSYN || s.seq != c.synSeq) {
			c = nil // the four-tuple is used again
		}
		if c == nil {
			if len(list) >= MaxConnections {
				return nil, &LimitError{Msg: "the capture has more than 100 TCP connections, the limit"}
			}
			c = &conn{client: s.src, server: s.dst}
			list = append(list, c)
			open[k] = c
		}
		c.add(s)
	}
	for _, c := range list {
		c.chooseClient()
	}
	return list, nil
}

func (c *conn) add(s *segment) {
	if s.flags&wire.SYN != 0 && s.flags&wire.ACK == 0 && !c.haveSYN {
		c.haveSYN, c.synSeq = true, s.seq
	}
	if s.flags&wire.RST != 0 {
		c.closed = true
	}
	if s.flags&wire.FIN != 0 {
		c.fins[boolIndex(s.src == c.client)] = true
		c.closed = c.closed || c.fins[0] && c.fins[1]
	}
	c.segs = append(c.segs, *s)
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *conn) chooseClient() {
	for i := range c.segs {
		if s := &c.segs[i]; s.flags&wire.SYN != 0 && s.flags&wire.ACK == 0 {
			c.client, c.server = s.src, s.dst
			return
		}
	}
	for i := range c.segs {
		if s := &c.segs[i]; s.flags&(wire.SYN|wire.ACK) == wire.SYN|wire.ACK {
			c.client, c.server = s.dst, s.src
			return
		}
	}
	c.client, c.server = c.segs[0].src, c.segs[0].dst
}

// side names the sender of s.
func (c *conn) side(s *segment) string {
	if s.src == c.client {
		return engine.Client
	}
	return engine.Server
}

// trace builds the connection's trace: its segments, the states inferred
// from them and the scenario they imply.
func (c *conn) trace(info Info) *Trace {
	tr := &Trace{
		Capture: info,
		Endpoints: engine.Endpoints{
			Client: engine.EndpointInfo{Addr: c.client.Addr().Unmap().String(), Port: c.client.Port()},
			Server: engine.EndpointInfo{Addr: c.server.Addr().Unmap().String(), Port: c.server.Port()},
		},
	}
	tr.Capture.IPv6 = c.client.Addr().Is6() && !c.client.Addr().Is4In6()
	tr.Capture.FirstSeen = c.segs[0].frame
	if y := c.segs[0].at.Year(); y >= 0 && y <= 9999 {
		tr.Capture.Start = c.segs[0].at.Format(time.RFC3339Nano)
	}
	start := c.segs[0].at
	segEvents := make([]Event, len(c.segs))
	for i := range c.segs {
		s := &c.segs[i]
		from := c.side(s)
		to := engine.Server
		if from == engine.Server {
			to = engine.Client
		}
		opts := s.options
		if opts == nil {
			opts = []wire.Option{}
		}
		kept := min(len(s.payload), maxHeaderBytes)
		raw := make([]byte, 0, len(s.header)+kept)
		raw = append(append(raw, s.header...), s.payload[:kept]...)
		segEvents[i] = Event{
			Event: engine.Event{
				Kind: engine.KindSegment,
				T:    engine.Millis(max(0, s.at.Sub(start))),
				From: from,
				To:   to,
				SegmentInfo: &engine.SegmentInfo{
					ID:      i + 1,
					Flags:   flagNames(s.flags),
					Seq:     s.seq,
					Ack:     s.ack,
					Len:     s.length,
					Window:  s.window,
					Options: opts,
					Fate:    engine.FateDelivered,
					Bytes:   raw,
				},
				Data: quoteData(s.payload),
			},
			Frame: s.frame,
		}
		if s.flags&wire.SYN != 0 && s.flags&wire.ACK == 0 && from == engine.Client && tr.Endpoints.Client.ISN == 0 {
			tr.Endpoints.Client.ISN = s.seq
		}
		if s.flags&wire.SYN != 0 && from == engine.Server && tr.Endpoints.Server.ISN == 0 {
			tr.Endpoints.Server.ISN = s.seq
		}
	}
	inf := newInference(c, segEvents)
	tr.Events = inf.run()
	tr.Capture.OneWayDelayMs = inf.oneWayDelayMs()
	for i := range segEvents {
		if ev := &segEvents[i]; ev.Fate == engine.FateDelivered {
			arrive := inf.arrive[i]
			ev.ArriveMs = &arrive
		}
	}
	tr.Scenario = modelScenario(c, tr, inf)
	return tr
}

// flagNames lists the flags as the trace spells them; the reserved bits and
// NS are not flags of the trace format.
func flagNames(f wire.Flags) []string {
	names := f.Names()
	if names == nil {
		return []string{}
	}
	return names
}

// quoteData is the start of a payload as text for the trace's data field:
// at most maxDataBytes, with invalid UTF-8 (binary data, or a character cut
// in two) replaced by U+FFFD.
func quoteData(p []byte) string {
	return strings.ToValidUTF8(string(p[:min(len(p), maxDataBytes)]), "\uFFFD")
}
