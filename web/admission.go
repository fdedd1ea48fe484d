package web

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Admission to classroom rooms and their limits: room codes and links, who
// may join, the room and viewer limits, and the limit on failed joins per
// address.

// Room codes: six characters from an alphabet without 0, O, 1 and I, read
// case-insensitively. 32⁶ ≈ 10⁹ codes against at most MaxRooms open rooms,
// a limit on failed joins per address and one on all failed joins make a
// code hard to guess: at the defaults, 200 rooms and 600 guesses a minute
// from everywhere together, a guess finds some room once in about 6 days.
//
// The limits never lock a room's code out for an address that has shown it
// knows the code (the presenter's address, or one a viewer joined from):
// behind one address (a school's NAT) a prankster's wrong codes cannot
// keep the class out. Nor does the answer tell a guesser past its limit
// whether a code exists: an address that has not joined a room is refused
// alike for every code.
const (
	roomCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	roomCodeLen      = 6
)

// RoomConfig tunes classroom rooms. Zero fields take the defaults below.
type RoomConfig struct {
	// MaxRooms bounds the rooms open at once. Default 200.
	MaxRooms int
	// MaxRoomsPerClient bounds the rooms whose presenters share one
	// client address. Default a tenth of MaxRooms.
	MaxRoomsPerClient int
	// MaxViewers bounds the viewers of one room. Default 1000.
	MaxViewers int
	// ViewerQueue is how many messages may wait for a viewer; one more
	// drops the viewer (1008). Default 64.
	ViewerQueue int
	// FailedJoins and FailedJoinsBurst bound the joins of unknown rooms from
	// one address: a token bucket of FailedJoinsBurst refilled at
	// FailedJoins a minute. Past it /ws?room= answers 429, except to an
	// address that has joined the room named (or presents it). Defaults
	// 20, 20.
	FailedJoins      float64
	FailedJoinsBurst int
	// FailedJoinsAll bounds the failed joins from all addresses together,
	// a minute (the burst is as large), against guessing from many
	// addresses. Default 600.
	FailedJoinsAll float64
	// UpdateEvery spaces the presenter's updates (viewers, answers): at
	// most one of each per period. Default 200ms.
	UpdateEvery time.Duration
	// LagGrace is how long play waits for a viewer whose queue is more than
	// half full; after it the viewer no longer holds play back (and is
	// dropped if its queue overflows). Default 250ms.
	LagGrace time.Duration
	// ResumeWithin is how long a room waits for its presenter after the
	// presenter's connection dropped (the viewers are told
	// "presenter-away"); then it ends. Default 5 minutes.
	ResumeWithin time.Duration
}

func (c RoomConfig) withDefaults() RoomConfig {
	defaultTo(&c.MaxRooms, 200)
	defaultTo(&c.MaxRoomsPerClient, max(c.MaxRooms/10, 1))
	defaultTo(&c.MaxViewers, 1000)
	defaultTo(&c.ViewerQueue, 64)
	defaultTo(&c.FailedJoins, 20)
	defaultTo(&c.FailedJoinsBurst, 20)
	defaultTo(&c.FailedJoinsAll, 600)
	defaultTo(&c.UpdateEvery, 200*time.Millisecond)
	defaultTo(&c.LagGrace, 250*time.Millisecond)
	defaultTo(&c.ResumeWithin, 5*time.Minute)
	return c
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

// admit refuses a join (/ws?room=) from an address that has tried too many
// unknown codes, or while too many have been tried from everywhere, before
// the WebSocket is opened; never one from an address the room knows. It
// reports whether the request joins a room at all.
func (h *roomHub) admit(w http.ResponseWriter, r *http.Request) (joining bool, err error) {
	q := r.URL.Query()
	if !q.Has("room") {
		return false, nil
	}
	ip := h.live.srv.proxy.clientKey(r)
	if h.knows(q.Get("room"), ip) {
		return true, nil
	}
	if !h.joins.allowed(ip, time.Now()) {
		h.refusedJoins.Add(1)
		w.Header().Set("Retry-After", "60")
		return true, &requestError{status: http.StatusTooManyRequests,
			msg: "too many attempts to join rooms that do not exist from this address; wait a minute and check the code"}
	}
	return true, nil
}

// knows reports whether the room code names, held here, knows address ip.
func (h *roomHub) knows(raw, ip string) bool {
	code, ok := normalizeCode(raw)
	if !ok {
		return false
	}
	h.mu.Lock()
	r := h.rooms[code]
	h.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, known := r.known[ip]
	return known && !r.ended
}

// attach sets up a new connection before its goroutines start: it notes
// the page's address for room links, and joins the room the request names.
func (h *roomHub) attach(c *wsConn, r *http.Request, joining bool) {
	c.base = h.live.srv.proxy.publicBase(r)
	q := r.URL.Query()
	switch {
	case !joining:
	case q.Has("resume"):
		h.takeBack(c, q.Get("room"), q.Get("resume"), h.live.srv.proxy.clientKey(r))
	default:
		h.join(c, q.Get("room"), q.Get("viewer"), h.live.srv.proxy.clientKey(r))
	}
}

// resuming reports that a /ws request is a presenter taking its room back.
func resuming(r *http.Request) bool { return r.URL.Query().Has("resume") }

// takeBack makes c the presenter of room code again, if token is the
// room's resume token and its presenter is away. Otherwise c is told and
// the connection closes; the failure counts as a failed join.
func (h *roomHub) takeBack(c *wsConn, raw, token, ip string) {
	r, shown := h.lookup(raw)
	if r != nil && r.takeBack(c, token) {
		return
	}
	h.failed(ip)
	c.tell(userErrorf("resume-refused", errArgs{"room": shown},
		"Room %s cannot be taken back: it has ended, or it is not waiting for its presenter. Share the session again.", shown).message())
	c.enqueue(frame{bye: &closeFrame{code: websocket.ClosePolicyViolation, reason: "the room cannot be resumed"}})
}

// lookup finds the room a typed code names, here or on another instance;
// nil if none. shown is the code as a message may quote it.
func (h *roomHub) lookup(raw string) (r *room, shown string) {
	code, ok := normalizeCode(raw)
	if !ok {
		return nil, quoteShort(raw)
	}
	h.mu.Lock()
	r = h.rooms[code]
	h.mu.Unlock()
	if r == nil {
		r = h.bus.follow(h, code) // held by another instance, if any
	}
	return r, code
}

// failed counts a failed join from ip.
func (h *roomHub) failed(ip string) {
	h.refusedJoins.Add(1)
	h.joins.fail(ip, time.Now())
}

// join makes c a viewer of the room code names. Its queue starts with what
// a late joiner needs; an unknown code is answered with an error and the
// connection closes.
func (h *roomHub) join(c *wsConn, raw, viewerID, ip string) {
	r, shown := h.lookup(raw)
	admitted := r != nil
	if admitted && r.follows != nil {
		admitted = r.seat(c, viewerID) // MaxViewers counts every instance's viewers
	} else if admitted {
		admitted = r.admit(c, viewerID)
	}
	if !admitted {
		h.failed(ip)
		c.tell(userErrorf("room-not-found", errArgs{"room": shown},
			"There is no room %s: it may have ended. Check the code, or ask the presenter for the link.", shown).message())
		c.enqueue(frame{bye: &closeFrame{code: websocket.ClosePolicyViolation, reason: "no such room"}})
	}
}

// admit adds c to the viewers and gives it the history, or reports false
// when the room has ended. A full room is answered here.
func (r *room) admit(c *wsConn, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false
	}
	others := 0 // the other instances' viewers, in a room held here
	if r.link != nil {
		others = r.link.viewers()
	}
	if len(r.viewers)+others >= r.hub.cfg.MaxViewers {
		r.hub.refusedJoins.Add(1)
		r.tellFull(c)
		return true
	}
	if !viewerIDPattern.MatchString(id) {
		id = newToken()[:viewerIDLen]
	}
	c.member.Store(&membership{room: r})
	r.viewers[c] = &viewer{id: id}
	if len(r.known) < maxKnownAddresses {
		r.known[c.client] = struct{}{}
	}
	backlog := make([]frame, 0, len(r.events)+5)
	joined, _ := json.Marshal(roomMessage{Type: msgRoom, State: roomJoined, Room: r.code, Viewers: len(r.viewers), Viewer: id})
	backlog = append(backlog, frame{text: joined})
	if r.away != nil {
		away, _ := json.Marshal(roomMessage{Type: msgRoom, State: roomAway, Room: r.code, Viewers: len(r.viewers)})
		backlog = append(backlog, frame{text: away})
	}
	if r.loaded != nil {
		backlog = append(backlog, frame{shared: r.loaded})
	}
	for _, ev := range r.events {
		backlog = append(backlog, frame{shared: ev})
	}
	if r.done != nil {
		backlog = append(backlog, frame{shared: r.done})
	}
	if r.view != nil {
		backlog = append(backlog, frame{shared: r.view})
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

// tellFull tells c the room is full and closes its connection.
func (r *room) tellFull(c *wsConn) {
	c.tell(userErrorf("room-full", errArgs{"room": r.code, "max": r.hub.cfg.MaxViewers},
		"Room %s is full: it has %d viewers, the most a room may have.", r.code, r.hub.cfg.MaxViewers).message())
	c.enqueue(frame{bye: &closeFrame{code: websocket.ClosePolicyViolation, reason: "the room is full"}})
}

// open registers r under a new code.
func (h *roomHub) open(r *room) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.rooms) >= h.cfg.MaxRooms {
		return userErrorf("too-many-rooms", errArgs{"max": h.cfg.MaxRooms}, "The server has %d rooms open, the most it allows; try again later.", h.cfg.MaxRooms)
	}
	own := 0
	for _, other := range h.rooms {
		if other.presenter.client == r.presenter.client {
			own++
		}
	}
	if own >= h.cfg.MaxRoomsPerClient {
		return userErrorf("client-rooms", errArgs{"max": h.cfg.MaxRoomsPerClient},
			"This address has %d rooms open, the most one address may have; end one first.", h.cfg.MaxRoomsPerClient)
	}
	for {
		r.code = newRoomCode()
		if _, taken := h.rooms[r.code]; taken {
			continue
		}
		free, err := h.bus.claim(r.code) // unique across instances too
		if err != nil {
			return userErrorf("rooms-unreachable", nil, "Rooms cannot be opened right now: this server cannot reach the others; try again in a moment.")
		}
		if !free {
			continue
		}
		err = r.link.open(r.code)
		if errors.Is(err, errCodeTaken) {
			continue // a rival instance drew the same code at once: draw again
		}
		if err != nil {
			return userErrorf("rooms-unreachable", nil, "Rooms cannot be opened right now: this server cannot reach the others; try again in a moment.")
		}
		break
	}
	h.rooms[r.code] = r
	return nil
}

// joinLimiter bounds the failed joins of each address, and of all.
type joinLimiter struct {
	rate  float64
	burst int

	mu  sync.Mutex
	ips map[string]*tokenBucket
	all tokenBucket
}

func newJoinLimiter(cfg RoomConfig, now time.Time) joinLimiter {
	return joinLimiter{rate: cfg.FailedJoins / 60, burst: cfg.FailedJoinsBurst, ips: map[string]*tokenBucket{},
		all: newTokenBucket(cfg.FailedJoinsAll/60, int(cfg.FailedJoinsAll), now)}
}

// maxJoinAddresses bounds the addresses the limiter remembers;
// maxKnownAddresses those a room knows.
const (
	maxJoinAddresses  = 10000
	maxKnownAddresses = 4096
)

// allowed reports whether ip may try a join now.
func (l *joinLimiter) allowed(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.all
	if !all.take(now) {
		return false
	}
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
	l.all.take(now)
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

// Viewer IDs: 16 lower-case hex digits, minted by the server. A join that
// names another (or none) gets a new one.
const viewerIDLen = 16

var viewerIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)
