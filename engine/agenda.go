package engine

import "time"

// agenda holds the socket calls, injects and floods still to come, earliest
// first: a binary heap, so that adding an action costs O(log n) wherever its
// time falls. Actions due at the same time happen in the order they were
// added (order), which for a scenario is the order of its steps, then of its
// faults; a live action goes after everything already due at its time.
//
// A flood is one entry however many SYNs it sends: each SYN puts the entry
// back for the next one, so a flood costs in proportion to the SYNs it has
// sent, and a flood due after until_ms costs nothing.
type agenda struct {
	items []action
	added int32 // actions ever added: the next order
}

// add schedules a, after every action already added for the same time.
func (g *agenda) add(a action) {
	a.order = g.added
	g.added++
	g.push(a)
}

// again puts a flood back for its next SYN, in the place among actions
// due at the same time that the flood itself had.
func (g *agenda) again(a action) { g.push(a) }

// next is when the earliest action is due.
func (g *agenda) next() (time.Duration, bool) {
	if len(g.items) == 0 {
		return 0, false
	}
	return g.items[0].at, true
}

// len is the number of actions waiting.
func (g *agenda) len() int { return len(g.items) }

// pop removes and returns the earliest action.
func (g *agenda) pop() action {
	h := g.items
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = action{}
	g.items = h[:last]
	g.down(0)
	return top
}

func (g *agenda) push(a action) {
	g.items = append(g.items, a)
	g.up(len(g.items) - 1)
}

func (g *agenda) before(i, j int) bool {
	a, b := &g.items[i], &g.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.order < b.order
}

func (g *agenda) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !g.before(i, parent) {
			return
		}
		g.items[i], g.items[parent] = g.items[parent], g.items[i]
		i = parent
	}
}

func (g *agenda) down(i int) {
	n := len(g.items)
	for {
		first := i
		if l := 2*i + 1; l < n && g.before(l, first) {
			first = l
		}
		if r := 2*i + 2; r < n && g.before(r, first) {
			first = r
		}
		if first == i {
			return
		}
		g.items[i], g.items[first] = g.items[first], g.items[i]
		i = first
	}
}
