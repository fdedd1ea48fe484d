package web

import (
	"encoding/json"
)

// Where a room's messages go beyond this instance. A room is held by the
// instance its presenter is connected to; its bus carries what viewers on
// other instances need: the room's messages in order, a late joiner's
// history, the viewers' answers back to the presenter's instance, and the
// number of viewers each instance has. Without -nats-url the bus is
// inProcessBus: rooms live in this process only, as they always did. With
// it, natsBus (roombus_nats.go) carries them across every instance
// connected to the same NATS server.

// roomBus is where the rooms of one instance meet the other instances'.
type roomBus interface {
	// claim reserves code for a new room of this instance; false when an
	// instance holds a room of that code already.
	claim(code string) (bool, error)
	// carry starts carrying room r, held here, to the other instances.
	carry(r *room) roomLink
	// follow is a room of this instance that mirrors room code, held by
	// another instance, for viewers connected here; nil when no instance
	// holds such a room.
	follow(h *roomHub, code string) *room
	// close lets go of the bus on shutdown.
	close()
}

// roomLink is a held room's side of the bus.
type roomLink interface {
	// publish sends one message of the room, as its viewers receive it,
	// to the other instances' viewers. r.mu is held: messages go out in
	// the room's order.
	publish(b []byte)
	// open starts answering for the room under its code, once claimed.
	open(code string) error
	// viewers is how many viewers the other instances have.
	viewers() int
	// release forgets the room: the code is free again.
	release()
}

// inProcessBus keeps rooms in this process: codes are unique here, no room
// is followed elsewhere.
type inProcessBus struct{}

func (inProcessBus) claim(string) (bool, error)    { return true, nil }
func (inProcessBus) carry(*room) roomLink          { return inProcessLink{} }
func (inProcessBus) follow(*roomHub, string) *room { return nil }
func (inProcessBus) close()                        {}

type inProcessLink struct{}

func (inProcessLink) publish([]byte)    {}
func (inProcessLink) viewers() int      { return 0 }
func (inProcessLink) release()          {}
func (inProcessLink) open(string) error { return nil }

// publish passes msg, just fanned out to this instance's viewers, to the
// other instances'. r.mu is held.
func (r *room) publish(msg any) {
	if r.link == nil {
		return
	}
	b, ok := msg.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(msg); err != nil {
			return // the room's messages are plain structs: they always encode
		}
	}
	r.link.publish(b)
}

// busWire is what the bus needs to know of a room message: which part
// of a late joiner's history it is.
type busWire struct {
	Type   string `json:"type"`
	State  string `json:"state"`
	Cursor int    `json:"cursor"`
	ID     int    `json:"id"`
}

// history is a room's history as the bus carries it: the messages a late
// joiner on another instance receives, in order, as bytes. The same rules
// as room.relay keep it: a loaded message starts it again, events add to
// it, rewound cuts it back to the cursor, done ends it; the last question
// and its reveal follow.
type history struct {
	loaded   []byte
	events   [][]byte
	done     []byte
	question []byte
	revealed []byte
}

// add notes message b, of kind w, in the history.
func (h *history) add(w busWire, b []byte) {
	switch w.Type {
	case msgLoaded:
		h.loaded, h.done = b, nil
		clear(h.events)
		h.events = h.events[:0]
	case msgEvent:
		h.events, h.done = append(h.events, b), nil
	case msgRewound:
		h.done = nil
		n := min(max(w.Cursor, 0), len(h.events))
		clear(h.events[n:])
		h.events = h.events[:n]
	case msgDone:
		h.done = b
	case msgQuestion:
		h.question, h.revealed = b, nil
	case msgReveal:
		h.revealed = b
	}
}

// frames is the history in the order a joiner receives it.
func (h *history) frames() [][]byte {
	out := make([][]byte, 0, len(h.events)+4)
	if h.loaded != nil {
		out = append(out, h.loaded)
	}
	out = append(out, h.events...)
	for _, b := range [][]byte{h.done, h.question, h.revealed} {
		if b != nil {
			out = append(out, b)
		}
	}
	return out
}
