package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/synack/synack/engine"
)

// Classroom rooms: a presenter shares a live session and viewers follow it.
//
// The presenter's session is an ordinary one; once shared, every message its
// engine sends (loaded, event, rewound, done) is also encoded once as a
// websocket.PreparedMessage and queued, without blocking, to each viewer's
// bounded send queue: a viewer that does not keep up overflows its own queue
// and is dropped (1008), and nobody else waits for it. The room keeps what a
// late joiner needs to catch up (the loaded message, the events up to the
// presenter's cursor, done, the open question); a joiner gets that history
// and is added to the viewers under the same lock as the presenter's
// messages take, so it sees every message once and in order. The presenter
// may also ask the room a question, see the answers come in, and reveal the
// right one. README "Classroom rooms" documents the messages.

// Room commands, browser to server.
const (
	cmdShare  = "share"
	cmdAsk    = "ask"
	cmdReveal = "reveal"
	cmdEnd    = "end"
	cmdAnswer = "answer"
	cmdView   = "view"
)

// Room messages, server to browser.
const (
	msgShared   = "shared"
	msgRoom     = "room"
	msgQuestion = "question"
	msgAnswers  = "answers"
	msgAnswered = "answered"
	msgReveal   = "reveal"
	msgView     = "view"
)

// Room states in a room message.
const (
	roomJoined = "joined" // to a viewer: you follow the room
	roomOpen   = "open"   // to the presenter: the number of viewers changed
	roomEnded  = "ended"  // to everyone: the room is over
	// To the viewers: the presenter's connection dropped; the room waits
	// ResumeWithin for it to come back, then ends (reason "left").
	roomAway = "presenter-away"
	roomBack = "presenter-back" // to the viewers: the presenter is back
)

// Why a room ended.
const (
	endedByPresenter = "ended"    // the presenter ended it
	endedLeft        = "left"     // the presenter's connection closed
	endedShutdown    = "shutdown" // the server is going away
)

// fanoutSamples is how many recent fan-out times the statistics keep.
const fanoutSamples = 8192

// Messages of rooms, server to browser.
type (
	sharedMessage struct {
		Type string `json:"type"`
		Room string `json:"room"`
		URL  string `json:"url"`
		QR   string `json:"qr"`
		// Resume is the presenter's token to take the room back after
		// its connection dropped: /ws?room=CODE&resume=TOKEN.
		Resume string `json:"resume"`
	}
	roomMessage struct {
		Type    string `json:"type"`
		State   string `json:"state"`
		Room    string `json:"room"`
		Viewers int    `json:"viewers"`
		Reason  string `json:"reason,omitempty"`
		// Viewer is the viewer's own ID, in "joined": /ws?room=CODE&viewer=ID
		// rejoins as the same viewer.
		Viewer string `json:"viewer,omitempty"`
	}
	// questionMessage is a question put to the room; Kind is "number"
	// for a number question (with no options), absent for a choice.
	questionMessage struct {
		Type    string        `json:"type"`
		ID      int           `json:"id"`
		Kind    string        `json:"kind,omitempty"`
		Prompt  engine.Text   `json:"prompt"`
		Options []engine.Text `json:"options"`
	}
	// answersMessage and revealMessage carry a choice's counts per
	// option, and a number question's values with their counts.
	answersMessage struct {
		Type   string       `json:"type"`
		ID     int          `json:"id"`
		Counts []int        `json:"counts"`
		Values []valueCount `json:"values,omitempty"`
		Total  int          `json:"total"`
	}
	answeredMessage struct {
		Type   string `json:"type"`
		ID     int    `json:"id"`
		Choice *int   `json:"choice,omitempty"`
		Value  *int64 `json:"value,omitempty"`
	}
	revealMessage struct {
		Type        string       `json:"type"`
		ID          int          `json:"id"`
		Answer      *int         `json:"answer"`
		Value       *int64       `json:"value,omitempty"`
		Explanation *engine.Text `json:"explanation,omitempty"`
		Counts      []int        `json:"counts"`
		Values      []valueCount `json:"values,omitempty"`
		Total       int          `json:"total"`
	}
)

// membership is a connection's part in a room.
type membership struct {
	room      *room
	presenter bool
}

// roomHub keeps the open rooms of a liveHub.
type roomHub struct {
	cfg   RoomConfig
	live  *liveHub
	stats fanoutStats
	joins joinLimiter
	// refusedJoins counts joins refused, for Server.Counters.
	refusedJoins atomic.Int64

	mu    sync.Mutex
	rooms map[string]*room
	// bus carries rooms to other instances (roombus.go).
	bus roomBus
}

func newRoomHub(live *liveHub, cfg RoomConfig) *roomHub {
	cfg = cfg.withDefaults()
	return &roomHub{
		cfg:   cfg,
		live:  live,
		rooms: make(map[string]*room),
		bus:   inProcessBus{},
		joins: newJoinLimiter(cfg, time.Now()),
		stats: fanoutStats{samples: make([]time.Duration, 0, fanoutSamples)},
	}
}

// room is one shared session and its viewers.
type room struct {
	code      string
	hub       *roomHub
	presenter *wsConn // nil in a room followed from another instance
	// link carries a room held here to other instances; follows is set in
	// a room held by another instance (roombus.go).
	link    roomLink
	follows *busFollower

	// resume is the presenter's token to take the room back.
	resume string

	mu      sync.Mutex
	ended   bool
	viewers map[*wsConn]*viewer
	// known holds the client addresses that have shown they know the
	// code: the presenter's, and every viewer's that joined. The failed-join
	// limiter never refuses them this room (admission.go).
	known map[string]struct{}
	// away is set while the presenter's connection is gone.
	away *presenterAway
	// votes holds, for each viewer ID that answered the open question,
	// that question's id: one answer per viewer however often it
	// reconnects.
	votes map[string]int
	// The history a late joiner receives: the presenter's last loaded
	// message, the events delivered since (up to the presenter's cursor),
	// and done when that was the last word.
	loaded *sharedFrame
	events []*sharedFrame
	done   *sharedFrame
	// view is how the presenter shows the run (numbering, selection),
	// for late joiners.
	view *sharedFrame
	// The last question asked, if any.
	question  *roomQuestion
	questions int // questions asked so far: the next one's id
	// The presenter's updates, spaced by UpdateEvery.
	countDirty, answersDirty bool
	lastUpdate               time.Time
	updateTimer              *time.Timer
}

type viewer struct {
	id          string    // the viewer's ID, kept across reconnects
	behindSince time.Time // since when its queue is more than half full
}

// presenterAway is a room whose presenter's connection dropped: where its
// session was, and the timer that ends the room.
type presenterAway struct {
	state resumeState
	timer *time.Timer
}

// share opens a room for c's session, or tells c again about the one it has.
func (c *wsConn) share() error {
	if m := c.member.Load(); m != nil {
		c.tell(m.room.sharedMessage())
		return nil
	}
	h := c.hub.rooms
	r := &room{hub: h, presenter: c, viewers: make(map[*wsConn]*viewer), votes: map[string]int{}, resume: newToken(),
		known: map[string]struct{}{c.client: {}}}
	r.link = h.bus.carry(r)
	// The room's history starts with a snapshot of the session, and
	// every message after it is relayed.
	err := c.sess.share(r, func(snap snapshot) error {
		if err := r.seed(snap); err != nil {
			return err
		}
		c.member.Store(&membership{room: r, presenter: true})
		return nil
	})
	if err != nil {
		return err
	}
	if err := h.open(r); err != nil {
		c.sess.unshare(r)
		c.member.Store(nil)
		return err
	}
	c.hub.log.Info("room opened", "room", r.code, "remote", c.conn.RemoteAddr().String())
	c.tell(r.sharedMessage())
	return nil
}

func (r *room) sharedMessage() sharedMessage {
	return sharedMessage{Type: msgShared, Room: r.code, URL: roomURL(r.presenter.base, r.code),
		QR: "/api/rooms/" + r.code + "/qr.svg", Resume: r.resume}
}

// seed fills the history with a snapshot of the presenter's session.
func (r *room) seed(snap snapshot) error {
	if snap.loaded == nil {
		return nil
	}
	loaded, err := prepare(*snap.loaded)
	if err != nil {
		return err
	}
	r.loaded = &sharedFrame{pm: loaded}
	r.publish(*snap.loaded)
	for i := range snap.events {
		pm, err := prepare(eventMessage{Type: msgEvent, Event: &snap.events[i]})
		if err != nil {
			return err
		}
		r.events = append(r.events, &sharedFrame{pm: pm})
		r.publish(eventMessage{Type: msgEvent, Event: &snap.events[i]})
	}
	if snap.done {
		done, err := prepare(doneMessage{Type: msgDone})
		if err != nil {
			return err
		}
		r.done = &sharedFrame{pm: done}
		r.publish(doneMessage{Type: msgDone})
	}
	return nil
}

// finished reports that every event has been delivered and nothing more
// will happen. s.mu is held.
func (s *session) finished() bool {
	if s.sim == nil || s.cursor < len(s.sim.Events()) {
		return false
	}
	next, ok := s.sim.NextDeadline()
	return !ok || next > s.sim.Until()
}

// relay passes one message of the presenter's session on to the viewers and keeps the history up to date. The session's lock is held, so
// relays come in the session's order. The presenter's own errors are not
// relayed.
func (r *room) relay(msg any) {
	switch msg.(type) {
	case loadedMessage, eventMessage, rewoundMessage, doneMessage:
	default:
		return
	}
	start := r.presenter.commandStart()
	// Encoded once: the viewers' frame and the bus carry the same bytes.
	b, err := json.Marshal(msg)
	if err != nil {
		return // the session's messages are plain structs: they always encode
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	kept := &sharedFrame{pm: pm}
	switch m := msg.(type) {
	case loadedMessage:
		r.loaded, r.done = kept, nil
		r.truncate(0)
	case eventMessage:
		r.events, r.done = append(r.events, kept), nil
	case rewoundMessage:
		r.done = nil
		r.truncate(m.Cursor)
	case doneMessage:
		r.done = kept
	}
	r.fanOut(pm, start)
	r.publish(b)
}

// truncate keeps the first n events of the history. Late joiners' backlogs
// are copies, so the array can be reused.
func (r *room) truncate(n int) {
	n = min(max(n, 0), len(r.events))
	clear(r.events[n:])
	r.events = r.events[:n]
}

// fanOut queues pm to every viewer, without waiting for any. r.mu is held.
func (r *room) fanOut(pm *websocket.PreparedMessage, start time.Time) {
	if len(r.viewers) == 0 {
		return
	}
	fo := &fanout{start: start, stats: &r.hub.stats}
	fo.left.Store(int32(len(r.viewers)))
	f := frame{shared: &sharedFrame{pm: pm, fanout: fo}}
	for c := range r.viewers {
		wasClosing := c.closing()
		if !c.enqueue(f) {
			fo.written()
			if !wasClosing {
				r.hub.stats.dropped.Add(1)
			}
		}
	}
}

// tellAll sends msg to every viewer and to the presenter. r.mu is held.
func (r *room) tellAll(msg any) *sharedFrame {
	b, err := json.Marshal(msg)
	if err != nil {
		panic(fmt.Sprintf("web: encoding a %T: %v", msg, err)) // plain structs of strings and numbers
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		panic(fmt.Sprintf("web: preparing a message: %v", err))
	}
	r.fanOut(pm, time.Now())
	r.publish(b)
	if r.presenter != nil {
		r.presenter.enqueue(frame{text: b})
	}
	return &sharedFrame{pm: pm}
}

// behind reports that play should wait for the viewers: some viewer's
// queue is more than half full, and has not been for longer than
// LagGrace. A viewer that stays behind longer no longer holds play back.
func (r *room) behind() bool {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	wait := false
	for c, v := range r.viewers {
		if len(c.send) <= cap(c.send)/2 {
			v.behindSince = time.Time{}
			continue
		}
		if v.behindSince.IsZero() {
			v.behindSince = now
		}
		if now.Sub(v.behindSince) < r.hub.cfg.LagGrace {
			wait = true
		}
	}
	return wait
}

// changed notes that the presenter should hear of a change (viewers,
// answers): now, or at the end of the current UpdateEvery period. r.mu is
// held.
func (r *room) changed() {
	if r.updateTimer != nil {
		return
	}
	wait := r.hub.cfg.UpdateEvery - time.Since(r.lastUpdate)
	if wait <= 0 {
		r.update()
		return
	}
	r.updateTimer = time.AfterFunc(wait, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.updateTimer = nil
		if !r.ended {
			r.update()
		}
	})
}

// update tells the presenter what changed. r.mu is held. While the
// presenter is away nothing is told: its next connection gets the counts.
func (r *room) update() {
	if r.follows != nil {
		r.followerUpdate()
		return
	}
	if r.away != nil {
		return
	}
	r.lastUpdate = time.Now()
	if r.countDirty {
		r.countDirty = false
		r.presenter.tell(roomMessage{Type: msgRoom, State: roomOpen, Room: r.code, Viewers: len(r.viewers) + r.link.viewers()})
	}
	if q := r.question; r.answersDirty && q != nil {
		r.answersDirty = false
		r.presenter.tell(q.answersMessage())
	}
}

// leave forgets viewer c.
func (r *room) leave(c *wsConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.viewers[c]; !ok || r.ended {
		return
	}
	delete(r.viewers, c)
	r.countDirty = true
	r.changed()
}

// end closes the room: viewers are told why and disconnected (1000), and
// the presenter's session goes on unshared.
func (r *room) end(reason string) {
	h := r.hub
	h.mu.Lock()
	if h.rooms[r.code] == r {
		delete(h.rooms, r.code)
	}
	h.mu.Unlock()
	// Before the room's lock: a relay holds the session's, then the room's.
	if r.presenter != nil {
		r.presenter.sess.unshare(r)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	if r.updateTimer != nil {
		r.updateTimer.Stop()
		r.updateTimer = nil
	}
	if r.away != nil {
		r.away.timer.Stop()
		r.away = nil
	}
	// The bus lets the code go before it carries the end: NATS handles one
	// connection's messages in order, so an instance that hears the room
	// has ended finds its code free.
	r.link.release()
	r.tellAll(roomMessage{Type: msgRoom, State: roomEnded, Room: r.code, Reason: reason})
	bye := frame{bye: &closeFrame{code: websocket.CloseNormalClosure, reason: "the room has ended"}}
	for c := range r.viewers {
		c.enqueue(bye)
	}
	r.ended = true
	r.viewers = nil
	r.loaded, r.events, r.done, r.question, r.votes = nil, nil, nil, nil, nil
	r.presenter.member.Store(nil)
	r.presenter.hub.log.Info("room ended", "room", r.code, "reason", reason)
}

// endAll ends every open room for reason: at shutdown, each viewer is told
// (room, ended) before its connection closes.
func (h *roomHub) endAll(reason string) {
	h.mu.Lock()
	open := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		open = append(open, r)
	}
	h.mu.Unlock()
	for _, r := range open {
		r.end(reason)
	}
}

// leaveRoom takes a closing connection out of its room: a presenter's room
// ends, a viewer leaves.
func (c *wsConn) leaveRoom() {
	m := c.member.Load()
	switch {
	case m == nil:
	case m.presenter && c.hub.isClosing():
		m.room.end(endedShutdown)
	case m.presenter:
		m.room.presenterLeft(c)
	default:
		m.room.leave(c)
	}
}

// commandStart is when the connection's reader read the command it is
// running, or now when it runs none (play's timer): the start of a
// fan-out's time.
func (c *wsConn) commandStart() time.Time {
	if d := c.cmdStart.Load(); d > 0 {
		return c.started.Add(time.Duration(d))
	}
	return time.Now()
}

// fanout is one message on its way to a room's viewers: the last copy
// written records the time since start.
type fanout struct {
	start time.Time
	left  atomic.Int32
	stats *fanoutStats
}

func (f *fanout) written() {
	if f.left.Add(-1) == 0 {
		f.stats.record(time.Since(f.start))
	}
}

// fanoutStats keeps the recent fan-out times of every room.
type fanoutStats struct {
	dropped atomic.Int64 // viewers dropped because their queue overflowed

	mu      sync.Mutex
	count   int64
	max     time.Duration
	samples []time.Duration // a ring of the last fanoutSamples
	next    int
}

func (s *fanoutStats) record(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	s.max = max(s.max, d)
	if len(s.samples) < cap(s.samples) {
		s.samples = append(s.samples, d)
		return
	}
	s.samples[s.next] = d
	s.next = (s.next + 1) % len(s.samples)
}

// RoomStats is what the server tells of its rooms (expvar "rooms" of
// cmd/server): how many there are, and how long fan-outs take: from the
// presenter's command being read (or the play timer firing) to the last
// viewer's copy written to its socket.
type RoomStats struct {
	Rooms   int `json:"rooms"`
	Viewers int `json:"viewers"`
	// Fanouts counts the messages written to every viewer of their room;
	// DroppedViewers the viewers disconnected for not reading.
	Fanouts        int64 `json:"fanouts"`
	DroppedViewers int64 `json:"dropped_viewers"`
	// Over the recent fan-outs (RecentUS), in microseconds; MaxUS over all.
	P50US    int64   `json:"p50_us"`
	P99US    int64   `json:"p99_us"`
	MaxUS    int64   `json:"max_us"`
	RecentUS []int64 `json:"recent_us"`
}

// RoomStats reports the rooms and their fan-out times.
func (s *Server) RoomStats() RoomStats {
	return s.live.rooms.report()
}

func (h *roomHub) report() RoomStats {
	var st RoomStats
	h.mu.Lock()
	open := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		open = append(open, r)
	}
	h.mu.Unlock()
	st.Rooms = len(open)
	for _, r := range open {
		r.mu.Lock()
		st.Viewers += len(r.viewers)
		r.mu.Unlock()
	}
	st.DroppedViewers = h.stats.dropped.Load()
	s := &h.stats
	s.mu.Lock()
	st.Fanouts, st.MaxUS = s.count, s.max.Microseconds()
	st.RecentUS = make([]int64, 0, len(s.samples))
	for i := range s.samples {
		st.RecentUS = append(st.RecentUS, s.samples[(s.next+i)%len(s.samples)].Microseconds())
	}
	s.mu.Unlock()
	sorted := slices.Sorted(slices.Values(st.RecentUS))
	st.P50US, st.P99US = percentile(sorted, 50), percentile(sorted, 99)
	return st
}

// percentile is the pth percentile of sorted (nearest rank), 0 when empty.
func percentile(sorted []int64, p int) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

// presenterLeft keeps the room open for ResumeWithin after its presenter's
// connection c closed: the viewers are told, the session's place is kept
// for the presenter's next connection (takeBack), and the room ends if none
// comes.
func (r *room) presenterLeft(c *wsConn) {
	state := c.sess.suspend()
	c.sess.unshare(r)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || r.presenter != c || r.away != nil {
		return
	}
	if r.updateTimer != nil {
		r.updateTimer.Stop()
		r.updateTimer = nil
	}
	// The viewers have every event the presenter's page had (each
	// message is relayed once the presenter's queue took it); the last
	// one the session counted may not have gone out.
	if n := len(r.events); state.loaded != nil && n < state.cursor {
		state.cursor, state.at = n, 0
	}
	state.done = r.done != nil
	r.away = &presenterAway{state: state}
	away := r.away
	away.timer = time.AfterFunc(r.hub.cfg.ResumeWithin, func() {
		r.mu.Lock()
		still := r.away == away
		r.mu.Unlock()
		if still {
			r.end(endedLeft)
		}
	})
	r.tellViewers(roomMessage{Type: msgRoom, State: roomAway, Room: r.code, Viewers: len(r.viewers)})
	c.hub.log.Info("room presenter away", "room", r.code)
}

// takeBack makes c, a new connection whose reader and writer have not
// started, the presenter of the room again: its session takes up where the
// presenter's was, and its backlog is what the presenter's page needs (the
// room, the run to the same event, the open question and its answers).
func (r *room) takeBack(c *wsConn, token string) bool {
	r.mu.Lock()
	old := r.presenter
	stale := !r.ended && r.away == nil && old != nil && old != c && subtle.ConstantTimeCompare([]byte(token), []byte(r.resume)) == 1
	r.mu.Unlock()
	if stale {
		// A reloaded page can reconnect before the server has seen its old
		// connection close: the token shows it is the same presenter, so
		// the old connection is let go now, as if it had closed.
		r.presenterLeft(old)
		old.closeWith(websocket.CloseGoingAway, "the presenter reconnected")
	}
	r.mu.Lock()
	ok := !r.ended && r.away != nil && subtle.ConstantTimeCompare([]byte(token), []byte(r.resume)) == 1
	var state resumeState
	if ok {
		state = r.away.state
	}
	r.mu.Unlock()
	if !ok {
		return false
	}
	if err := c.sess.resume(state); err != nil {
		c.tell(c.userMessage(err).message())
		c.enqueue(frame{bye: &closeFrame{code: websocket.CloseTryAgainLater, reason: "the room could not be resumed now; try again"}})
		return true
	}
	// Under the session's lock, as share does: every message of the
	// session after the room's history is relayed.
	err := c.sess.share(r, func(snapshot) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.ended || r.away == nil {
			ok = false
			return errRoomGone
		}
		r.away.timer.Stop()
		r.away = nil
		r.presenter = c
		if len(r.known) < maxKnownAddresses {
			r.known[c.client] = struct{}{}
		}
		c.member.Store(&membership{room: r, presenter: true})
		c.backlog = r.presenterBacklog()
		r.tellViewers(roomMessage{Type: msgRoom, State: roomBack, Room: r.code, Viewers: len(r.viewers)})
		return nil
	})
	if err != nil {
		return ok
	}
	c.hub.log.Info("room presenter back", "room", r.code, "remote", c.conn.RemoteAddr().String())
	return true
}

// errRoomGone: the room ended while its presenter was coming back.
var errRoomGone = errors.New("the room has ended")

// presenterBacklog is what a presenter's page that comes back needs: the
// room, the run as it was (the history the viewers have), and the open
// question with its answers. r.mu is held.
func (r *room) presenterBacklog() []frame {
	text := func(msg any) frame {
		b, _ := json.Marshal(msg) // plain structs of strings and numbers
		return frame{text: b}
	}
	backlog := make([]frame, 0, len(r.events)+6)
	backlog = append(backlog, text(r.sharedMessage()),
		text(roomMessage{Type: msgRoom, State: roomOpen, Room: r.code, Viewers: len(r.viewers)}))
	if r.loaded != nil {
		backlog = append(backlog, frame{shared: r.loaded})
	}
	for _, ev := range r.events {
		backlog = append(backlog, frame{shared: ev})
	}
	if r.done != nil {
		backlog = append(backlog, frame{shared: r.done})
	}
	if q := r.question; q != nil {
		backlog = append(backlog, frame{shared: q.msg})
		if q.revealed != nil {
			backlog = append(backlog, frame{shared: q.revealed})
		} else {
			backlog = append(backlog, text(q.answersMessage()))
		}
	}
	return backlog
}

// tellViewers sends msg to every viewer. r.mu is held.
func (r *room) tellViewers(msg any) {
	pm, err := prepare(msg)
	if err != nil {
		panic(fmt.Sprintf("web: encoding a %T: %v", msg, err)) // plain structs of strings and numbers
	}
	r.fanOut(pm, time.Now())
}

// newToken is a random opaque token: 128 bits, hex.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// Numberings the presenter's page may show (the contract's ?numbering=).
var numberings = []string{"absolute", "relative", "symbolic"}

// viewMessage tells the viewers how the presenter shows the run: they
// follow its numbering and selected event, in their own language.
type viewMessage struct {
	Type      string `json:"type"`
	Numbering string `json:"numbering"`
	Selected  int    `json:"selected"`
}

// setView passes the presenter's numbering and selected event (-1 for none)
// on to the viewers, and keeps it for late joiners.
func (r *room) setView(numbering string, selected int) error {
	if !slices.Contains(numberings, numbering) || selected < -1 || selected > engine.MaxEvents {
		value := clip(fmt.Sprintf("%q, %d", numbering, selected))
		return userErrorf("bad-view", errArgs{"numberings": strings.Join(numberings, ", "), "max": engine.MaxEvents, "value": value},
			"view: numbering must be one of %s and selected an event from -1 to %d, not %s.", strings.Join(numberings, ", "), engine.MaxEvents, value)
	}
	msg := viewMessage{Type: msgView, Numbering: numbering, Selected: selected}
	pm, err := prepare(msg)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return userErrorf("room-ended", nil, "The room has ended.")
	}
	r.view = &sharedFrame{pm: pm}
	r.fanOut(pm, r.presenter.commandStart())
	return nil
}
