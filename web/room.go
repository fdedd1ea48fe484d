package web

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"
	"rsc.io/qr"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/lessons"
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
)

// Room messages, server to browser.
const (
	msgShared   = "shared"
	msgRoom     = "room"
	msgQuestion = "question"
	msgAnswers  = "answers"
	msgAnswered = "answered"
	msgReveal   = "reveal"
)

// Room states in a room message.
const (
	roomJoined = "joined" // to a viewer: you follow the room
	roomOpen   = "open"   // to the presenter: the number of viewers changed
	roomEnded  = "ended"  // to everyone: the room is over
)

// Why a room ended.
const (
	endedByPresenter = "ended"    // the presenter ended it
	endedLeft        = "left"     // the presenter's connection closed
	endedShutdown    = "shutdown" // the server is going away
)

// Room codes: six characters from an alphabet without 0, O, 1 and I, read
// case-insensitively. 32⁶ ≈ 10⁹ codes against at most MaxRooms open rooms
// and a limit on failed joins per address make a code hard to guess.
const (
	roomCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	roomCodeLen      = 6
)

// Question limits.
const (
	maxQuestionOptions = 12 // a lesson's state question offers the 11 states
	maxPromptRunes     = 500
	maxOptionRunes     = 200
	maxExplainRunes    = 2000
)

// fanoutSamples is how many recent fan-out times the statistics keep.
const fanoutSamples = 8192

// RoomConfig tunes classroom rooms. Zero fields take the defaults below.
type RoomConfig struct {
	// MaxRooms bounds the rooms open at once. Default 200.
	MaxRooms int
	// MaxViewers bounds the viewers of one room. Default 1000.
	MaxViewers int
	// ViewerQueue is how many messages may wait for a viewer; one more
	// drops the viewer (1008). Default 64.
	ViewerQueue int
	// FailedJoins and FailedJoinsBurst bound the joins of unknown rooms from
	// one address: a token bucket of FailedJoinsBurst refilled at
	// FailedJoins a minute. Past it /ws?room= answers 429. Defaults 20, 20.
	FailedJoins      float64
	FailedJoinsBurst int
	// UpdateEvery spaces the presenter's updates (viewers, answers): at
	// most one of each per period. Default 200ms.
	UpdateEvery time.Duration
	// LagGrace is how long play waits for a viewer whose queue is more than
	// half full; after it the viewer no longer holds play back (and is
	// dropped if its queue overflows). Default 250ms.
	LagGrace time.Duration
}

func (c RoomConfig) withDefaults() RoomConfig {
	if c.MaxRooms <= 0 {
		c.MaxRooms = 200
	}
	if c.MaxViewers <= 0 {
		c.MaxViewers = 1000
	}
	if c.ViewerQueue <= 0 {
		c.ViewerQueue = 64
	}
	if c.FailedJoins <= 0 {
		c.FailedJoins = 20
	}
	if c.FailedJoinsBurst <= 0 {
		c.FailedJoinsBurst = 20
	}
	if c.UpdateEvery <= 0 {
		c.UpdateEvery = 200 * time.Millisecond
	}
	if c.LagGrace <= 0 {
		c.LagGrace = 250 * time.Millisecond
	}
	return c
}

// Messages of rooms, server to browser.
type (
	sharedMessage struct {
		Type string `json:"type"`
		Room string `json:"room"`
		URL  string `json:"url"`
		QR   string `json:"qr"`
	}
	roomMessage struct {
		Type    string `json:"type"`
		State   string `json:"state"`
		Room    string `json:"room"`
		Viewers int    `json:"viewers"`
		Reason  string `json:"reason,omitempty"`
	}
	questionMessage struct {
		Type    string        `json:"type"`
		ID      int           `json:"id"`
		Prompt  engine.Text   `json:"prompt"`
		Options []engine.Text `json:"options"`
	}
	answersMessage struct {
		Type   string `json:"type"`
		ID     int    `json:"id"`
		Counts []int  `json:"counts"`
		Total  int    `json:"total"`
	}
	answeredMessage struct {
		Type   string `json:"type"`
		ID     int    `json:"id"`
		Choice int    `json:"choice"`
	}
	revealMessage struct {
		Type        string       `json:"type"`
		ID          int          `json:"id"`
		Answer      *int         `json:"answer"`
		Explanation *engine.Text `json:"explanation,omitempty"`
		Counts      []int        `json:"counts"`
		Total       int          `json:"total"`
	}
)

// frame is one message for a connection's writer.
type frame struct {
	// text is a message of the connection's own, or
	text []byte
	// shared is one encoded once for every viewer of a room, or
	shared *sharedFrame
	// bye, after the messages before it, closes the connection.
	bye *closeFrame
}

// sharedFrame is a message prepared once for many connections.
type sharedFrame struct {
	pm *websocket.PreparedMessage
	// fanout counts the viewers' copies written; nil for a copy of the
	// history.
	fanout *fanout
}

type closeFrame struct {
	code   int
	reason string
}

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

	mu    sync.Mutex
	rooms map[string]*room
}

func newRoomHub(live *liveHub, cfg RoomConfig) *roomHub {
	cfg = cfg.withDefaults()
	return &roomHub{
		cfg:   cfg,
		live:  live,
		rooms: make(map[string]*room),
		joins: joinLimiter{rate: cfg.FailedJoins / 60, burst: cfg.FailedJoinsBurst, ips: map[string]*tokenBucket{}},
		stats: fanoutStats{samples: make([]time.Duration, 0, fanoutSamples)},
	}
}

// room is one shared session and its viewers.
type room struct {
	code      string
	hub       *roomHub
	presenter *wsConn

	mu      sync.Mutex
	ended   bool
	viewers map[*wsConn]*viewer
	// The history a late joiner receives: the presenter's last loaded
	// message, the events delivered since (up to the presenter's cursor),
	// and done when that was the last word.
	loaded *sharedFrame
	events []*sharedFrame
	done   *sharedFrame
	// The last question asked, if any.
	question  *roomQuestion
	questions int // questions asked so far: the next one's id
	// The presenter's updates, spaced by UpdateEvery.
	countDirty, answersDirty bool
	lastUpdate               time.Time
	updateTimer              *time.Timer
}

type viewer struct {
	answered    int       // the id of the last question this viewer answered
	behindSince time.Time // since when its queue is more than half full
}

// roomQuestion is a question put to a room.
type roomQuestion struct {
	id          int
	msg         *sharedFrame // the question as viewers receive it
	answer      *int
	explanation *engine.Text
	counts      []int
	total       int
	revealed    *sharedFrame // the reveal message, once revealed
}

// requestBase is the scheme and host the page that opens a session was
// loaded from, for the link to a room.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// roomURL is the app page that follows room code.
func roomURL(base, code string) string {
	return base + "/?" + url.Values{"room": {code}}.Encode()
}

// normalizeCode reads a room code as a person may type it: in any case,
// with spaces or dashes. ok is false when it cannot be a code.
func normalizeCode(s string) (code string, ok bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
	if len(s) != roomCodeLen {
		return "", false
	}
	for _, r := range s {
		if !strings.ContainsRune(roomCodeAlphabet, r) {
			return "", false
		}
	}
	return s, true
}

func newRoomCode() string {
	var b [roomCodeLen]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	for i := range b {
		b[i] = roomCodeAlphabet[int(b[i])%len(roomCodeAlphabet)] // 256 is a multiple of 32: uniform
	}
	return string(b[:])
}

// clientIP is the address a request came from, as the limit on failed joins
// counts it: an IPv4 address, or the /64 network of an IPv6 one.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String()
}

// admit refuses a join (/ws?room=) from an address that has tried too many
// unknown codes, before the WebSocket is opened. It reports whether the
// request joins a room at all.
func (h *roomHub) admit(w http.ResponseWriter, r *http.Request) (joining bool, err error) {
	if !r.URL.Query().Has("room") {
		return false, nil
	}
	if !h.joins.allowed(clientIP(r), time.Now()) {
		w.Header().Set("Retry-After", "60")
		return true, &requestError{status: http.StatusTooManyRequests,
			msg: "too many attempts to join rooms that do not exist from this address; wait a minute and check the code"}
	}
	return true, nil
}

// attach sets up a new connection before its goroutines start: it notes
// the page's address for room links, and joins the room the request names.
func (h *roomHub) attach(c *wsConn, r *http.Request, joining bool) {
	c.base = requestBase(r)
	if joining {
		h.join(c, r.URL.Query().Get("room"), clientIP(r))
	}
}

// join makes c a viewer of the room code names. Its queue starts with what
// a late joiner needs; an unknown code is answered with an error and the
// connection closes.
func (h *roomHub) join(c *wsConn, raw, ip string) {
	code, ok := normalizeCode(raw)
	var r *room
	if ok {
		h.mu.Lock()
		r = h.rooms[code]
		h.mu.Unlock()
	}
	if r == nil || !r.admit(c) {
		h.joins.fail(ip, time.Now())
		shown := code
		if !ok {
			shown = quoteShort(raw)
		}
		c.tell(userErrorf("room-not-found", errArgs{"room": shown},
			"There is no room %s: it may have ended. Check the code, or ask the presenter for the link.", shown).message())
		c.enqueue(frame{bye: &closeFrame{code: websocket.ClosePolicyViolation, reason: "no such room"}})
	}
}

// admit adds c to the viewers and gives it the history, or reports false
// when the room has ended. A full room is answered here.
func (r *room) admit(c *wsConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false
	}
	if len(r.viewers) >= r.hub.cfg.MaxViewers {
		c.tell(userErrorf("room-full", errArgs{"room": r.code, "max": r.hub.cfg.MaxViewers},
			"Room %s is full: it has %d viewers, the most a room may have.", r.code, r.hub.cfg.MaxViewers).message())
		c.enqueue(frame{bye: &closeFrame{code: websocket.ClosePolicyViolation, reason: "the room is full"}})
		return true
	}
	c.member.Store(&membership{room: r})
	r.viewers[c] = &viewer{}
	backlog := make([]frame, 0, len(r.events)+5)
	joined, _ := json.Marshal(roomMessage{Type: msgRoom, State: roomJoined, Room: r.code, Viewers: len(r.viewers)})
	backlog = append(backlog, frame{text: joined})
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
		}
	}
	// The writer has not started: it writes the backlog before the queue,
	// where everything relayed from now on goes.
	c.backlog = backlog
	r.countDirty = true
	r.changed()
	return true
}

// roomCommand runs the room commands and refuses a viewer's others. handled
// is false for the commands of the connection's own session.
func (c *wsConn) roomCommand(cmd *command) (handled bool, err error) {
	m := c.member.Load()
	viewing := m != nil && !m.presenter
	if cmd.Type == cmdAnswer {
		if !viewing {
			return true, userErrorf("not-viewer", nil, "Only a viewer of a room answers its questions.")
		}
		return true, m.room.answer(c, cmd.Choice)
	}
	if viewing {
		return true, userErrorf("viewer-cannot-drive", errArgs{"room": m.room.code}, "You are following room %s: only its presenter can drive the session.", m.room.code)
	}
	switch cmd.Type {
	case cmdShare:
		return true, c.share()
	case cmdAsk, cmdReveal, cmdEnd:
		if m == nil {
			return true, userErrorf("share-first", nil, `Share the session first: {"type": "share"}.`)
		}
		switch cmd.Type {
		case cmdAsk:
			return true, m.room.ask(cmd.Question)
		case cmdReveal:
			return true, m.room.reveal()
		}
		m.room.end(endedByPresenter)
		return true, nil
	}
	return false, nil
}

// share opens a room for c's session, or tells c again about the one it has.
func (c *wsConn) share() error {
	if m := c.member.Load(); m != nil {
		c.tell(m.room.sharedMessage())
		return nil
	}
	h := c.hub.rooms
	r := &room{hub: h, presenter: c, viewers: make(map[*wsConn]*viewer)}
	// Under the session's lock no message of the session goes out: the
	// room's history starts with the session as it is, and every message
	// after it is relayed.
	s := c.sess
	s.mu.Lock()
	err := r.seed(s)
	if err == nil {
		c.member.Store(&membership{room: r, presenter: true})
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := h.open(r); err != nil {
		c.member.Store(nil)
		return err
	}
	c.hub.log.Info("room opened", "room", r.code, "remote", c.conn.RemoteAddr().String())
	c.tell(r.sharedMessage())
	return nil
}

func (r *room) sharedMessage() sharedMessage {
	return sharedMessage{Type: msgShared, Room: r.code, URL: roomURL(r.presenter.base, r.code),
		QR: "/api/rooms/" + r.code + "/qr.svg"}
}

// open registers r under a new code.
func (h *roomHub) open(r *room) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.rooms) >= h.cfg.MaxRooms {
		return userErrorf("too-many-rooms", errArgs{"max": h.cfg.MaxRooms}, "The server has %d rooms open, the most it allows; try again later.", h.cfg.MaxRooms)
	}
	for {
		r.code = newRoomCode()
		if _, taken := h.rooms[r.code]; !taken {
			break
		}
	}
	h.rooms[r.code] = r
	return nil
}

// seed fills the history with the session's state: the scenario loaded and
// the events delivered. s.mu is held.
func (r *room) seed(s *session) error {
	if s.sc == nil {
		return nil
	}
	loaded, err := prepare(loadedMessage{Type: msgLoaded, Scenario: s.sc, Endpoints: s.endpoints})
	if err != nil {
		return err
	}
	r.loaded = &sharedFrame{pm: loaded}
	if s.sim == nil {
		return nil
	}
	events := s.sim.Events()
	for i := range s.cursor {
		pm, err := prepare(eventMessage{Type: msgEvent, Event: &events[i]})
		if err != nil {
			return err
		}
		r.events = append(r.events, &sharedFrame{pm: pm})
	}
	if s.doneSent || s.finished() {
		done, err := prepare(doneMessage{Type: msgDone})
		if err != nil {
			return err
		}
		r.done = &sharedFrame{pm: done}
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

func prepare(msg any) (*websocket.PreparedMessage, error) {
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding a %T: %w", msg, err)
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, b)
}

// relay passes one message of the presenter's session, b its JSON, on to the
// viewers and keeps the history up to date. The session's lock is held, so
// relays come in the session's order. The presenter's own errors are not
// relayed.
func (r *room) relay(msg any, b []byte) {
	switch msg.(type) {
	case loadedMessage, eventMessage, rewoundMessage, doneMessage:
	default:
		return
	}
	start := r.presenter.commandStart()
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return // a text message without compression always prepares
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
	r.presenter.enqueue(frame{text: b})
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

// roomBusy is the part of busy that rooms add: a presenter's play waits for
// its viewers (room.behind).
func (c *wsConn) roomBusy() bool {
	m := c.member.Load()
	return m != nil && m.presenter && m.room.behind()
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

// update tells the presenter what changed. r.mu is held.
func (r *room) update() {
	r.lastUpdate = time.Now()
	if r.countDirty {
		r.countDirty = false
		r.presenter.tell(roomMessage{Type: msgRoom, State: roomOpen, Room: r.code, Viewers: len(r.viewers)})
	}
	if q := r.question; r.answersDirty && q != nil {
		r.answersDirty = false
		r.presenter.tell(answersMessage{Type: msgAnswers, ID: q.id, Counts: slices.Clone(q.counts), Total: q.total})
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

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	if r.updateTimer != nil {
		r.updateTimer.Stop()
		r.updateTimer = nil
	}
	r.tellAll(roomMessage{Type: msgRoom, State: roomEnded, Room: r.code, Reason: reason})
	bye := frame{bye: &closeFrame{code: websocket.CloseNormalClosure, reason: "the room has ended"}}
	for c := range r.viewers {
		c.enqueue(bye)
	}
	r.ended = true
	r.viewers = nil
	r.loaded, r.events, r.done, r.question = nil, nil, nil, nil
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
		m.room.end(endedLeft)
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

// questionSpec is the question of an ask command: written out, or a
// question of a lesson.
type questionSpec struct {
	Prompt      *engine.Text  `json:"prompt"`
	Options     []engine.Text `json:"options"`
	Answer      *int          `json:"answer"`
	Explanation *engine.Text  `json:"explanation"`
	Lesson      string        `json:"lesson"`
	Step        *int          `json:"step"`
}

// parseQuestion reads and checks an ask command's question.
func parseQuestion(raw json.RawMessage) (*roomQuestion, questionMessage, error) {
	var none questionMessage
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, none, userErrorf("question-needed", nil, `question: give a question, such as {"prompt": {"en": "…", "zh": "…"}, "options": [{"en": "…", "zh": "…"}, …], "answer": 0}, or a lesson's, such as {"lesson": "time-wait", "step": 2}.`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var spec questionSpec
	if err := dec.Decode(&spec); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			msg = fmt.Sprintf("%s must not be %s", typeErr.Field, typeErr.Value)
		}
		return nil, none, userErrorf("bad-question", errArgs{"detail": clip(msg)}, "question: %s.", clip(msg))
	}
	if spec.Lesson != "" {
		if spec.Prompt != nil || spec.Options != nil || spec.Answer != nil || spec.Explanation != nil {
			return nil, none, userErrorf("question-both", nil, "question: give either a lesson and a step, or a prompt and options, not both.")
		}
		var err error
		if spec, err = lessonQuestion(spec.Lesson, spec.Step); err != nil {
			return nil, none, err
		}
	}
	if spec.Prompt == nil {
		return nil, none, userErrorf("question-prompt", nil, "question.prompt: give the question's text, {\"en\": \"…\", \"zh\": \"…\"}.")
	}
	prompt, err := checkText("question.prompt", *spec.Prompt, maxPromptRunes)
	if err != nil {
		return nil, none, err
	}
	if len(spec.Options) < 2 || len(spec.Options) > maxQuestionOptions {
		return nil, none, userErrorf("question-options", errArgs{"max": maxQuestionOptions, "count": len(spec.Options)},
			"question.options: give 2 to %d options, not %d.", maxQuestionOptions, len(spec.Options))
	}
	options := make([]engine.Text, len(spec.Options))
	for i, o := range spec.Options {
		if options[i], err = checkText(fmt.Sprintf("question.options[%d]", i), o, maxOptionRunes); err != nil {
			return nil, none, err
		}
	}
	if a := spec.Answer; a != nil && (*a < 0 || *a >= len(options)) {
		return nil, none, userErrorf("question-answer", errArgs{"max": len(options) - 1, "value": *a},
			"question.answer: must be the index of an option, 0 to %d, not %d.", len(options)-1, *a)
	}
	q := &roomQuestion{answer: spec.Answer, counts: make([]int, len(options))}
	if spec.Explanation != nil {
		ex, err := checkText("question.explanation", *spec.Explanation, maxExplainRunes)
		if err != nil {
			return nil, none, err
		}
		q.explanation = &ex
	}
	return q, questionMessage{Type: msgQuestion, Prompt: prompt, Options: options}, nil
}

// lessonQuestion is the question of step of a built-in lesson, as a choice.
// A state question's options are the eleven states; a number question
// cannot be asked in a room.
func lessonQuestion(id string, step *int) (questionSpec, error) {
	var spec questionSpec
	l, ok := lessons.Get(id)
	if !ok {
		return spec, userErrorf("no-lesson", errArgs{"lesson": quoteShort(id)}, "question.lesson: there is no lesson %s.", quoteShort(id))
	}
	if step == nil || *step < 0 || *step >= len(l.Steps) {
		return spec, userErrorf("lesson-steps", errArgs{"lesson": id, "max": len(l.Steps) - 1}, "question.step: lesson %s has steps 0 to %d.", id, len(l.Steps)-1)
	}
	q := l.Steps[*step].Question
	if q == nil {
		return spec, userErrorf("step-no-question", errArgs{"step": *step, "lesson": id}, "question.step: step %d of lesson %s asks no question.", *step, id)
	}
	spec.Prompt, spec.Explanation = &q.Prompt, &q.Explanation
	switch q.Kind {
	case lessons.KindChoice, lessons.KindDrop:
		spec.Options, spec.Answer = q.Options, &q.Answer
	case lessons.KindState:
		for s := engine.Closed; s <= engine.TimeWait; s++ {
			name := s.String()
			if name == q.State {
				spec.Answer = new(len(spec.Options))
			}
			spec.Options = append(spec.Options, engine.Text{EN: name, ZH: name})
		}
	default:
		return spec, userErrorf("step-number", errArgs{"step": *step, "lesson": id},
			"question.step: step %d of lesson %s asks for a number, which a room cannot answer with a choice.", *step, id)
	}
	return spec, nil
}

// checkText checks a text in both languages; a missing Chinese text falls
// back to the English one.
func checkText(field string, t engine.Text, maxRunes int) (engine.Text, error) {
	t.EN, t.ZH = strings.TrimSpace(t.EN), strings.TrimSpace(t.ZH)
	if t.EN == "" {
		return t, userErrorf("text-empty", errArgs{"field": field + ".en"}, "%s.en: must not be empty.", field)
	}
	if t.ZH == "" {
		t.ZH = t.EN
	}
	for lang, s := range map[string]string{"en": t.EN, "zh": t.ZH} {
		if n := utf8.RuneCountInString(s); n > maxRunes {
			return t, userErrorf("text-too-long", errArgs{"field": field + "." + lang, "max": maxRunes, "count": n},
				"%s.%s: at most %d characters, not %d.", field, lang, maxRunes, n)
		}
	}
	return t, nil
}

// ask puts a question to the room; it replaces the last one.
func (r *room) ask(raw json.RawMessage) error {
	q, msg, err := parseQuestion(raw)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return userErrorf("room-ended", nil, "The room has ended.")
	}
	r.questions++
	q.id, msg.ID = r.questions, r.questions
	r.question, r.answersDirty = q, false
	q.msg = r.tellAll(msg)
	return nil
}

// reveal shows everyone the answer to the last question, with the counts.
func (r *room) reveal() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.question
	if q == nil {
		return userErrorf("ask-first", nil, `Ask a question first: {"type": "ask", "question": {…}}.`)
	}
	r.answersDirty = false
	q.revealed = r.tellAll(revealMessage{Type: msgReveal, ID: q.id, Answer: q.answer, Explanation: q.explanation,
		Counts: slices.Clone(q.counts), Total: q.total})
	return nil
}

// answer counts viewer c's answer to the open question: one per viewer per
// question.
func (r *room) answer(c *wsConn, raw json.RawMessage) error {
	var choice int
	if err := json.Unmarshal(raw, &choice); err != nil {
		return userErrorf("bad-choice", errArgs{"value": clip(string(raw))}, "choice: must be the index of an option (0, 1, …), not %s.", clip(string(raw)))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	q, v := r.question, r.viewers[c]
	switch {
	case q == nil || v == nil:
		return userErrorf("no-question", nil, "There is no question to answer right now.")
	case q.revealed != nil:
		return userErrorf("revealed", nil, "The answer has been shown: this question takes no more answers.")
	case v.answered == q.id:
		return userErrorf("answered", nil, "You have answered this question already: one answer each.")
	case choice < 0 || choice >= len(q.counts):
		return userErrorf("choice-range", errArgs{"max": len(q.counts) - 1, "value": choice}, "choice: must be 0 to %d for this question, not %d.", len(q.counts)-1, choice)
	}
	v.answered = q.id
	q.counts[choice]++
	q.total++
	c.tell(answeredMessage{Type: msgAnswered, ID: q.id, Choice: choice})
	r.answersDirty = true
	r.changed()
	return nil
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

// joinLimiter bounds the failed joins of each address.
type joinLimiter struct {
	rate  float64
	burst int

	mu  sync.Mutex
	ips map[string]*tokenBucket
}

// maxJoinAddresses bounds the addresses the limiter remembers.
const maxJoinAddresses = 10000

// allowed reports whether ip may try a join now.
func (l *joinLimiter) allowed(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.ips[ip]
	if !ok {
		return true
	}
	trial := *b
	return trial.take(now)
}

// fail counts a failed join from ip.
func (l *joinLimiter) fail(ip string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.ips[ip]
	if !ok {
		if len(l.ips) >= maxJoinAddresses {
			l.forget(now)
		}
		nb := newTokenBucket(l.rate, l.burst, now)
		b = &nb
		l.ips[ip] = b
	}
	b.take(now)
}

// forget drops the addresses whose buckets are full again, and if none is,
// any one: the map stays bounded, at the cost of forgetting an address.
func (l *joinLimiter) forget(now time.Time) {
	for ip, b := range l.ips {
		trial := *b
		trial.take(now)
		if trial.tokens >= trial.burst-1 {
			delete(l.ips, ip)
		}
	}
	for ip := range l.ips {
		if len(l.ips) < maxJoinAddresses {
			break
		}
		delete(l.ips, ip)
	}
}

// qrModulePixels is the size of one QR module in the SVG's default size.
const qrModulePixels = 8

// qrQuietZone is the light border around a QR code, in modules (ISO/IEC
// 18004 asks for 4).
const qrQuietZone = 4

// roomQR answers GET /api/rooms/{code}/qr.svg: the link to the room as a QR
// code, to project. Any well-formed code gets its picture, open or not, so
// the route tells nobody which rooms exist.
func (s *Server) roomQR(w http.ResponseWriter, r *http.Request) error {
	code, ok := normalizeCode(chi.URLParam(r, "code"))
	if !ok {
		return badRequest("code: a room code is %d letters and digits, such as ABC234", roomCodeLen)
	}
	if len(r.Host) > maxHostLen {
		return &requestError{status: http.StatusBadRequest,
			msg: fmt.Sprintf("Host: at most %d characters, a host name and a port", maxHostLen)}
	}
	svg, err := qrSVG(roomURL(requestBase(r), code))
	if err != nil {
		return fmt.Errorf("QR code of room %s: %w", code, err)
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "private, max-age=86400")
	_, _ = w.Write(svg)
	return nil
}

// maxHostLen is the longest Host a room's link is made with: a DNS name
// (253) and a port.
const maxHostLen = 253 + len(":65535")

// qrSVG draws text as a QR code (error correction level M) in SVG: one
// path of dark modules on a light square with a quiet zone, crisp at any
// size.
func qrSVG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	n := code.Size + 2*qrQuietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`,
		n, n, n*qrModulePixels, n*qrModulePixels)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := range code.Size {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}

// tell queues one message for this connection only.
func (c *wsConn) tell(msg any) bool {
	b, err := json.Marshal(msg)
	if err != nil {
		c.broken(fmt.Errorf("encoding a %T: %w", msg, err))
		return false
	}
	return c.enqueue(frame{text: b})
}

// writeFrame writes one frame; false when the connection failed.
func (c *wsConn) writeFrame(f frame) bool {
	if f.bye != nil {
		c.closeWith(f.bye.code, f.bye.reason)
		return true
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	var err error
	if f.shared != nil {
		err = c.conn.WritePreparedMessage(f.shared.pm)
		if f.shared.fanout != nil {
			f.shared.fanout.written()
		}
	} else {
		err = c.conn.WriteMessage(websocket.TextMessage, f.text)
	}
	return err == nil
}
