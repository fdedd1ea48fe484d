package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/synack/synack/engine"
)

// Numbering is how a segment's sequence and acknowledgement numbers are
// written: absolute, relative to the side's ISN (Wireshark), or symbolic
// (the textbook's letters). It is the rule of the page's numbers.js, kept
// here once for Go; TestSymbolicAgreesWithPage checks the two against the
// same golden on every built-in trace.
type Numbering string

// The numberings, as ?numbering= takes them.
const (
	NumberingAbsolute Numbering = "absolute"
	NumberingRelative Numbering = "relative"
	NumberingSymbolic Numbering = "symbolic"
)

// ParseNumbering reads a ?numbering= value; "" is def.
func ParseNumbering(s string, def Numbering) (Numbering, error) {
	switch n := Numbering(s); n {
	case "":
		return def, nil
	case NumberingAbsolute, NumberingRelative, NumberingSymbolic:
		return n, nil
	}
	return "", fmt.Errorf("unknown numbering %q: use absolute, relative or symbolic", s)
}

// prime marks a later connection's letters (x′).
const prime = "′"

// base is a point of a sequence space that numbers are written from.
type base struct {
	value   uint32
	letter  string
	control bool // the base is a SYN's or FIN's: its one is kept apart from data
}

// space is one side's sequence space: its ISN and its bases.
type space struct {
	isn    uint32
	known  bool
	gen    int
	letter string
	bases  []base
}

func (s *space) reset() {
	s.bases = nil
	if s.known {
		s.bases = []base{{value: s.isn, letter: s.letter + strings.Repeat(prime, s.gen), control: true}}
	}
}

func (s *space) newISN(isn uint32) {
	if s.known {
		s.gen++
	}
	s.isn, s.known = isn, true
	s.reset()
}

func (s *space) has(letter string) bool {
	return slices.ContainsFunc(s.bases, func(b base) bool { return b.letter == letter })
}

// diff is a-b as a signed distance in sequence space.
func diff(a, b uint32) int64 { return int64(int32(a - b)) }

func (s *space) symbolic(v uint32) string {
	if len(s.bases) == 0 {
		return strconv.FormatUint(uint64(v), 10)
	}
	best := -1
	for i, b := range s.bases {
		if diff(v, b.value) >= 0 {
			best = i
		}
	}
	if best < 0 {
		best = 0
	}
	b := s.bases[best]
	off := diff(v, b.value)
	switch {
	case off == 0:
		return b.letter
	case off < 0:
		return b.letter + "-" + strconv.FormatInt(-off, 10)
	case b.control && off > 1:
		return b.letter + "+1+" + strconv.FormatInt(off-1, 10)
	}
	return b.letter + "+" + strconv.FormatInt(off, 10)
}

func (s *space) write(v uint32, n Numbering) string {
	switch {
	case n == NumberingAbsolute || !s.known:
		return strconv.FormatUint(uint64(v), 10)
	case n == NumberingRelative:
		return strconv.FormatInt(diff(v, s.isn), 10)
	}
	return s.symbolic(v)
}

// notation writes the numbers of one run's segments, seen in order: a SYN
// or a FIN changes how later numbers read. The symbolic rule (README, "Pace
// and notation"): x and y at each side's SYN, u at the close's first FIN, v
// at the other side's first segment acknowledging it (not a FIN), w at the
// other side's FIN; a new ISN primes the letters; injected segments set no
// letter, spoofed ones stay absolute.
type notation struct {
	numbering Numbering
	spaces    map[string]*space
	closer    string
}

func newNotation(n Numbering, eps engine.Endpoints) *notation {
	sp := func(isn uint32, letter string) *space {
		s := &space{isn: isn, known: isn != 0, letter: letter}
		s.reset()
		return s
	}
	return &notation{numbering: n, spaces: map[string]*space{
		engine.Client: sp(eps.Client.ISN, "x"),
		engine.Server: sp(eps.Server.ISN, "y"),
	}}
}

func sideOf(e string) string {
	if e == engine.Server {
		return engine.Server
	}
	return engine.Client
}

func otherOf(e string) string {
	if e == engine.Server {
		return engine.Client
	}
	return engine.Server
}

// see moves the bases on for segment ev (once per segment, in order).
func (n *notation) see(ev *engine.Event) {
	if ev.Kind != engine.KindSegment || ev.Injected || ev.Spoofed || ev.DropReason == dropUnreachable {
		return
	}
	from := sideOf(ev.From)
	mine := n.spaces[from]
	if slices.Contains(ev.Flags, "SYN") && (!mine.known || mine.isn != ev.Seq) {
		mine.newISN(ev.Seq)
		n.closer = ""
		if peer := n.spaces[otherOf(from)]; len(peer.bases) > 1 {
			peer.reset()
		}
	}
	if !mine.known {
		return
	}
	p := strings.Repeat(prime, max(n.spaces[engine.Client].gen, n.spaces[engine.Server].gen))
	if slices.Contains(ev.Flags, "FIN") {
		if n.closer == "" {
			n.closer = from
			mine.bases = append(mine.bases, base{ev.Seq, "u" + p, true})
		} else if n.closer != from && !mine.has("w"+p) {
			mine.bases = append(mine.bases, base{ev.Seq, "w" + p, true})
		}
		return
	}
	if n.closer != "" && n.closer != from && !mine.has("v"+p) && !mine.has("w"+p) && slices.Contains(ev.Flags, "ACK") {
		fin := n.spaces[n.closer].bases[len(n.spaces[n.closer].bases)-1]
		if diff(ev.Ack, fin.value) >= 1 {
			mine.bases = append(mine.bases, base{ev.Seq, "v" + p, false})
		}
	}
}

// numbers sees segment ev and writes its seq and ack (ack "" without the
// ACK flag).
func (n *notation) numbers(ev *engine.Event) (seq, ack string) {
	n.see(ev)
	spoofed := ev.Spoofed || ev.DropReason == dropUnreachable
	write := func(v uint32, endpoint string) string {
		if spoofed {
			return strconv.FormatUint(uint64(v), 10)
		}
		return n.spaces[sideOf(endpoint)].write(v, n.numbering)
	}
	seq = write(ev.Seq, ev.From)
	if slices.Contains(ev.Flags, "ACK") {
		ack = write(ev.Ack, ev.To)
	}
	return seq, ack
}
