package engine

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/synack/synack/engine/wire"
)

// network is what lies between the two hosts: it numbers and encodes each
// segment put on the wire, applies the scenario's drop rules to it and,
// unless it is lost, carries it for the one-way delay. The simulator
// records what the network did; the network knows nothing of the trace.
type network struct {
	delay time.Duration
	// queue[head:] are the segments in flight, sorted by arrival time,
	// then by send order. Arrivals advance head instead of reslicing, so
	// the queue's start is reused once everything has arrived.
	queue []flight
	head  int
	drops []dropRule
	segID int    // segments sent so far: the last segment's id
	ipID  uint16 // the IP identification of the last packet
	// packets holds the encoded bytes of every segment sent.
	packets byteArena
}

type flight struct {
	arrive time.Duration
	id     int
	src    netip.Addr
	dst    *host
	seg    wire.Segment
}

type dropRule struct {
	from    string
	flags   wire.Flags
	nth     int
	segment int
	seen    int
}

// newNetwork is a network with the given one-way delay whose IP
// identifications start after ipID. The queue starts with room for two
// flights (a segment each way), which is what a conversation has in flight
// most of the time; arrivals free their slots for later segments, so it
// grows only when more are in flight at once.
func newNetwork(delay time.Duration, ipID uint16) network {
	return network{delay: delay, ipID: ipID, queue: make([]flight, 0, 2)}
}

// addDrop adds a fault's drop rule: the nth segment from an endpoint with
// exactly these flags, or the segment with this id.
func (n *network) addDrop(d *Drop) {
	flags, _ := wire.ParseFlags(d.Flags)
	n.drops = append(n.drops, dropRule{from: d.From, flags: flags, nth: d.Nth, segment: d.Segment})
}

// encode numbers a segment and encodes it as an IPv4 packet from src to
// dst. The engine builds every header itself: failing here is a bug.
func (n *network) encode(src, dst netip.Addr, seg *wire.Segment) (id int, raw []byte) {
	n.segID++
	n.ipID++
	pkt := wire.Packet{Src: src, Dst: dst, ID: n.ipID, TTL: 64, TCP: *seg}
	raw, err := pkt.AppendMarshal(n.packets.alloc(20 + seg.HeaderLen() + len(seg.Payload)))
	if err != nil {
		panic(fmt.Sprintf("engine: encoding segment %d: %v", n.segID, err))
	}
	return n.segID, raw
}

// sent is the number of segments sent so far.
func (n *network) sent() int { return n.segID }

// dropped applies the drop rules to the segment just sent. Spoofed segments
// (a SYN flood's) do not count as their endpoint's.
func (n *network) dropped(from string, flags wire.Flags, id int, spoofed bool) bool {
	lost := false
	for i := range n.drops {
		r := &n.drops[i]
		if r.segment != 0 {
			lost = lost || r.segment == id
			continue
		}
		if !spoofed && r.from == from && r.flags == flags {
			r.seen++
			lost = lost || r.seen == r.nth
		}
	}
	return lost
}

// carry puts a segment sent at now in flight and returns when it arrives.
func (n *network) carry(now time.Duration, id int, src netip.Addr, dst *host, seg wire.Segment) time.Duration {
	arrive := now + n.delay
	n.schedule(flight{arrive: arrive, id: id, src: src, dst: dst, seg: seg})
	return arrive
}

// schedule puts a segment in flight, in order of arrival; segments that
// arrive at the same time keep the order they were sent in.
func (n *network) schedule(f flight) {
	if n.head > 0 && len(n.queue) == cap(n.queue) {
		// Full, with arrived room at the start: move the flights down
		// rather than grow.
		k := copy(n.queue, n.queue[n.head:])
		clear(n.queue[k:])
		n.queue, n.head = n.queue[:k], 0
	}
	live := n.queue[n.head:]
	k := len(live)
	if k == 0 || live[k-1].arrive <= f.arrive {
		n.queue = append(n.queue, f)
		return
	}
	i, _ := slices.BinarySearchFunc(live, f.arrive, func(g flight, t time.Duration) int {
		if g.arrive <= t {
			return -1
		}
		return 1
	})
	n.queue = slices.Insert(n.queue, n.head+i, f)
}

// inFlight is the segments in flight, earliest arrival first.
func (n *network) inFlight() []flight { return n.queue[n.head:] }

// front is the segment that arrives next, or nil.
func (n *network) front() *flight {
	if n.head == len(n.queue) {
		return nil
	}
	return &n.queue[n.head]
}

// nextArrival is when the next segment arrives.
func (n *network) nextArrival() (time.Duration, bool) {
	if f := n.front(); f != nil {
		return f.arrive, true
	}
	return 0, false
}

// arrive takes the front segment out of flight and returns it.
func (n *network) arrive() flight {
	f := n.queue[n.head]
	n.queue[n.head] = flight{}
	n.head++
	if n.head == len(n.queue) {
		n.queue, n.head = n.queue[:0], 0
	}
	return f
}

// remove takes segment id out of flight, wherever it is in the queue.
func (n *network) remove(id int) (flight, bool) {
	live := n.inFlight()
	i := slices.IndexFunc(live, func(f flight) bool { return f.id == id })
	if i < 0 {
		return flight{}, false
	}
	f := live[i]
	n.queue = slices.Delete(n.queue, n.head+i, n.head+i+1)
	if n.head == len(n.queue) {
		n.queue, n.head = n.queue[:0], 0
	}
	return f, true
}

// clear takes every segment out of flight.
func (n *network) clear() {
	clear(n.queue)
	n.queue, n.head = n.queue[:0], 0
}

// heldBytes is what the network holds: the encoded packets and the queue.
func (n *network) heldBytes() int64 {
	return n.packets.bytes + int64(cap(n.queue))*flightSize
}
