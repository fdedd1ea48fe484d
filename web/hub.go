package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// The /ws endpoint: it admits live sessions (origin, session and room
// limits), upgrades them, keeps the open ones and closes them on shutdown.

// LiveConfig tunes live sessions. Zero fields take the defaults below.
type LiveConfig struct {
	// MaxSessions bounds the sessions open at once; past it /ws answers
	// 503 without upgrading. Default 2000.
	MaxSessions int
	// MaxSessionsPerClient bounds the sessions (a room's viewers
	// included) of one client address (proxy.clientKey); past it /ws
	// answers 429 without upgrading. Default a tenth of MaxSessions.
	MaxSessionsPerClient int
	// CommandRate and CommandBurst bound each connection's commands: a
	// token bucket of CommandBurst tokens refilled at CommandRate a
	// second. A command over it is refused with an error message; more
	// than CommandBurst refusals within 10 s close the connection (1008).
	// Defaults 50 and 100.
	CommandRate  float64
	CommandBurst int
	// SendQueue is how many messages may wait for a slow user; one more
	// closes the connection (1008). Play waits while it is more than half
	// full. Default 64.
	SendQueue int
	// ShutdownWait is how long a shutdown waits for users to answer the
	// close frame before it closes their connections. Default 2s.
	ShutdownWait time.Duration
	// Rooms tunes classroom rooms (room.go).
	Rooms RoomConfig
}

// defaultTo sets *v to d when it is zero or less: a config's default.
func defaultTo[T int | float64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func (c LiveConfig) withDefaults() LiveConfig {
	defaultTo(&c.MaxSessions, 2000)
	defaultTo(&c.MaxSessionsPerClient, max(c.MaxSessions/10, 1))
	defaultTo(&c.CommandRate, 50)
	defaultTo(&c.CommandBurst, 100)
	defaultTo(&c.SendQueue, 64)
	defaultTo(&c.ShutdownWait, 2*time.Second)
	return c
}

// liveHub accepts live sessions and keeps the open ones, to bound them and
// to close them on shutdown.
type liveHub struct {
	cfg      LiveConfig
	srv      *Server
	log      *slog.Logger
	upgrader websocket.Upgrader
	rooms    *roomHub

	mu       sync.Mutex
	conns    map[*wsConn]struct{}
	reserved int // slots taken: sessions open or being opened
	// perClient counts the slots each client address has taken.
	perClient map[string]int
	closing   bool
	idle      chan struct{} // closed when closing and no slot is taken
	refused   atomic.Int64  // requests refused at the limit or on shutdown
}

// newLiveHub makes the /ws handler of srv and has srv's shutdown close its
// sessions.
func newLiveHub(srv *Server, cfg LiveConfig) *liveHub {
	h := &liveHub{
		cfg:   cfg.withDefaults(),
		srv:   srv,
		log:   srv.log,
		conns: make(map[*wsConn]struct{}),
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: writeWait,
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  writeBufferSize,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      srv.proxy.originAllowed,
		Error:            h.upgradeError,
	}
	h.rooms = newRoomHub(h, cfg.Rooms)
	srv.OnShutdown(h.shutdown)
	return h
}

func (h *liveHub) upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	msg := "/ws is a WebSocket: open it with a WebSocket client (" + reason.Error() + ")"
	if status == http.StatusForbidden {
		msg = "this WebSocket accepts only pages of this server; the request came from " + quoteShort(r.Header.Get("Origin"))
	}
	h.srv.fail(w, r, &requestError{status: status, msg: msg})
}

// ServeHTTP upgrades the request and starts the session's reader and
// writer. It returns at once: the HTTP server's buffers and goroutine go,
// and an idle session keeps only what it needs.
func (h *liveHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	joining, err := h.rooms.admit(w, r)
	client := h.srv.proxy.clientKey(r)
	if err == nil {
		err = h.reserve(client)
	}
	if err != nil {
		h.srv.fail(w, r, err)
		return
	}
	conn, err := h.upgrader.Upgrade(batchingWriter{w}, r, nil)
	if err != nil {
		h.release(client) // upgradeError has answered
		return
	}
	queue := h.cfg.SendQueue
	if joining && !resuming(r) {
		queue = h.rooms.cfg.ViewerQueue
	}
	c := newWSConn(h, conn, queue)
	c.client = client
	h.add(c)
	h.rooms.attach(c, r, joining)
	go c.writeLoop()
	go c.readLoop()
}

func (h *liveHub) reserve(client string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	own := h.perClient[client] >= h.cfg.MaxSessionsPerClient
	if h.closing || h.reserved >= h.cfg.MaxSessions || own {
		h.refused.Add(1)
	}
	switch {
	case h.closing:
		return &requestError{status: http.StatusServiceUnavailable, msg: "the server is shutting down; try again in a moment"}
	case h.reserved >= h.cfg.MaxSessions:
		return &requestError{status: http.StatusServiceUnavailable, msg: "the server has too many live sessions open; try again in a moment"}
	case own:
		return &requestError{status: http.StatusTooManyRequests,
			msg: fmt.Sprintf("this address has %d live sessions open, the most one address may have; close some first", h.cfg.MaxSessionsPerClient)}
	}
	h.reserved++
	if h.perClient == nil {
		h.perClient = map[string]int{}
	}
	h.perClient[client]++
	return nil
}

func (h *liveHub) release(client string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(client)
}

func (h *liveHub) releaseLocked(client string) {
	if h.perClient[client]--; h.perClient[client] <= 0 {
		delete(h.perClient, client)
	}
	h.reserved--
	if h.closing && h.reserved == 0 && h.idle != nil {
		close(h.idle)
		h.idle = nil
	}
}

func (h *liveHub) add(c *wsConn) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	closing := h.closing
	h.mu.Unlock()
	if closing {
		c.closeWith(websocket.CloseGoingAway, "the server is shutting down")
	}
}

// remove forgets a session and frees its slot at once, so that count never
// shows a session gone whose slot is still taken.
func (h *liveHub) remove(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	h.releaseLocked(c.client)
}

// isClosing reports that the server is shutting down.
func (h *liveHub) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// count is the number of open sessions.
func (h *liveHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// shutdown tells every session that the server is going away (close code
// 1001), waits up to ShutdownWait for them to end, then closes the
// connections of the users that did not answer and waits for their
// goroutines.
func (h *liveHub) shutdown() {
	h.mu.Lock()
	h.closing = true
	idle := make(chan struct{})
	if h.reserved == 0 {
		close(idle)
	} else {
		h.idle = idle
	}
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()

	// Rooms end first, so that their viewers read why before their
	// connections close (room.end queues the message, then the close).
	h.rooms.endAll(endedShutdown)
	for _, c := range conns {
		if m := c.member.Load(); m != nil && !m.presenter {
			continue
		}
		c.closeWith(websocket.CloseGoingAway, "the server is shutting down")
	}
	wait := time.NewTimer(h.cfg.ShutdownWait)
	defer wait.Stop()
	select {
	case <-idle:
		return
	case <-wait.C:
	}
	h.mu.Lock()
	left := len(h.conns)
	for c := range h.conns {
		_ = c.conn.Close() // ends a write blocked on a user who does not read
	}
	h.mu.Unlock()
	h.log.Warn("live sessions did not close in time; connections closed", "sessions", left)
	wait.Reset(writeWait)
	select {
	case <-idle:
	case <-wait.C:
		h.log.Error("live sessions still running after shutdown")
	}
}
