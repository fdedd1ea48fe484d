package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/synack/synack/engine"
)

// Live sessions on /ws: one engine run per WebSocket connection (the
// session, session.go), one reader goroutine that decodes commands and runs
// them on the session, and one writer goroutine that drains a bounded send
// queue and pings. The protocol is the contract's "Live sessions" section;
// README "Live sessions" documents the choices made here.

// Connection timing and sizes.
const (
	// writeWait bounds one write to the user.
	writeWait = 10 * time.Second
	// pongWait is how long the user may stay silent: a pong (the answer
	// to our ping) extends the read deadline by this much.
	pongWait = 60 * time.Second
	// pingPeriod must be shorter than pongWait.
	pingPeriod = pongWait * 9 / 10
	// closeGrace is how long, after sending a close frame, the server
	// waits for the user's before it closes the connection.
	closeGrace = time.Second
	// maxMessageSize bounds one command: a load with the largest scenario
	// object, with room for the envelope.
	maxMessageSize = engine.MaxScenarioBytes + 4<<10
	// Buffers: an idle session keeps only its small read buffer; write
	// buffers come from a pool shared by all sessions, for the time of a
	// write.
	readBufferSize  = 1024
	writeBufferSize = 4096
)

// Command types, browser to server.
const (
	cmdLoad  = "load"
	cmdStep  = "step"
	cmdPlay  = "play"
	cmdPause = "pause"
	cmdBack  = "back"
	cmdSeek  = "seek"
	cmdCall  = "call"
	cmdFault = "fault"
	cmdReset = "reset"
)

// LiveConfig tunes live sessions. Zero fields take the defaults below.
type LiveConfig struct {
	// MaxSessions bounds the sessions open at once; past it /ws answers
	// 503 without upgrading. Default 2000.
	MaxSessions int
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

func (c LiveConfig) withDefaults() LiveConfig {
	if c.MaxSessions <= 0 {
		c.MaxSessions = 2000
	}
	if c.CommandRate <= 0 {
		c.CommandRate = 50
	}
	if c.CommandBurst <= 0 {
		c.CommandBurst = 100
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 64
	}
	if c.ShutdownWait <= 0 {
		c.ShutdownWait = 2 * time.Second
	}
	return c
}

// strikeWindow: more than CommandBurst refused commands within it close the
// connection.
const strikeWindow = 10 * time.Second

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
	closing  bool
	idle     chan struct{} // closed when closing and no slot is taken
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
		CheckOrigin:      sameOrigin,
		Error:            h.upgradeError,
	}
	h.rooms = newRoomHub(h, cfg.Rooms)
	srv.OnShutdown(h.shutdown)
	return h
}

// sameOrigin accepts a handshake from a page of this server: its Origin's
// host (and port) is the Host the request was made to. Browsers send Origin
// with every WebSocket handshake, so a page of another site cannot open a
// session in its visitor's name; a handshake without Origin comes from a
// program (a test, curl, a script), which could forge any Origin anyway,
// and is accepted.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return u.Host != "" && strings.EqualFold(u.Host, r.Host)
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
	if err == nil {
		err = h.reserve()
	}
	if err != nil {
		h.srv.fail(w, r, err)
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.release() // upgradeError has answered
		return
	}
	queue := h.cfg.SendQueue
	if joining {
		queue = h.rooms.cfg.ViewerQueue
	}
	c := newWSConn(h, conn, queue)
	h.add(c)
	h.rooms.attach(c, r, joining)
	go c.writeLoop()
	go c.readLoop()
}

func (h *liveHub) reserve() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closing:
		return &requestError{status: http.StatusServiceUnavailable, msg: "the server is shutting down; try again in a moment"}
	case h.reserved >= h.cfg.MaxSessions:
		return &requestError{status: http.StatusServiceUnavailable, msg: "the server has too many live sessions open; try again in a moment"}
	}
	h.reserved++
	return nil
}

func (h *liveHub) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked()
}

func (h *liveHub) releaseLocked() {
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
	h.releaseLocked()
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

// wsConn is one session's WebSocket connection.
type wsConn struct {
	hub     *liveHub
	conn    *websocket.Conn
	sess    *session
	started time.Time

	send chan frame // encoded messages for the writer
	// backlog is written before the queue: a late joiner's history of its
	// room. Set before the writer starts; only the writer uses it then.
	backlog []frame

	// base is the scheme and host of the page that opened the session;
	// member is the room the connection presents or follows, if any.
	base   string
	member atomic.Pointer[membership]
	// cmdStart is when the command being run was read, as the time since
	// started (0: no command), for the rooms' fan-out times.
	cmdStart atomic.Int64

	// quit is closed, once, when the connection is to close; code and
	// reason are then the close frame to send (code 0: none).
	quit        chan struct{}
	quitOnce    sync.Once
	closeCode   int
	closeReason string

	readEnded  chan struct{} // the reader has stopped reading
	writerDone chan struct{} // the writer has closed the connection

	// Only the reader uses these.
	commands tokenBucket
	strikes  tokenBucket
}

func newWSConn(h *liveHub, conn *websocket.Conn, queue int) *wsConn {
	now := time.Now()
	c := &wsConn{
		hub:        h,
		conn:       conn,
		started:    now,
		send:       make(chan frame, queue),
		quit:       make(chan struct{}),
		readEnded:  make(chan struct{}),
		writerDone: make(chan struct{}),
		commands:   newTokenBucket(h.cfg.CommandRate, h.cfg.CommandBurst, now),
		strikes:    newTokenBucket(float64(h.cfg.CommandBurst)/strikeWindow.Seconds(), h.cfg.CommandBurst, now),
	}
	c.sess = newSession(c, wallClock{})
	c.sess.replays = h.srv.runs
	c.sess.allowance = newWorkAllowance(now)
	return c
}

// closeWith asks the writer to send a close frame with code and reason (none
// when code is 0) and close the connection. Only the first call counts. It
// never blocks.
func (c *wsConn) closeWith(code int, reason string) {
	c.quitOnce.Do(func() {
		c.closeCode, c.closeReason = code, reason
		close(c.quit)
	})
}

func (c *wsConn) closing() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// put implements outbox: it encodes msg and queues it without blocking,
// and relays it to the room the session is shared with.
func (c *wsConn) put(msg any) bool {
	if c.closing() {
		return false
	}
	b, err := json.Marshal(msg)
	if err != nil {
		c.broken(fmt.Errorf("encoding a %T: %w", msg, err))
		return false
	}
	if m := c.member.Load(); m != nil && m.presenter {
		m.room.relay(msg, b)
	}
	return c.enqueue(frame{text: b})
}

// enqueue queues f without blocking. A full queue means the user does not
// read: the connection closes with 1008.
func (c *wsConn) enqueue(f frame) bool {
	if c.closing() {
		return false
	}
	select {
	case c.send <- f:
		return true
	default:
		c.closeWith(websocket.ClosePolicyViolation, "too many messages waiting: the client does not read them")
		return false
	}
}

// busy implements outbox: play waits for the user, and for the viewers of
// a shared session.
func (c *wsConn) busy() bool { return len(c.send) > cap(c.send)/2 || c.roomBusy() }

// broken implements outbox: the session failed on the server.
func (c *wsConn) broken(err error) {
	attrs := []any{"error", err.Error(), "remote", c.conn.RemoteAddr().String()}
	var p *panicError
	if errors.As(err, &p) {
		attrs = append(attrs, "stack", string(p.stack))
	}
	c.hub.log.Error("live session failed", attrs...)
	c.closeWith(websocket.CloseInternalServerErr, "the session failed on the server; the error has been logged")
}

// readLoop reads commands until the connection ends, then cleans up.
func (c *wsConn) readLoop() {
	defer c.finish()
	c.conn.SetReadLimit(maxMessageSize)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) && !c.closing() {
				c.hub.log.Debug("live session read failed", "error", err.Error(), "remote", c.conn.RemoteAddr().String())
			}
			return
		}
		if c.closing() {
			continue // waiting for the user's close frame
		}
		c.command(kind, data)
	}
}

// finish ends the session once the reader has stopped.
func (c *wsConn) finish() {
	close(c.readEnded)
	c.closeWith(0, "")
	<-c.writerDone
	c.leaveRoom()
	c.sess.close()
	c.hub.remove(c)
	c.hub.log.Debug("live session ended", "remote", c.conn.RemoteAddr().String(),
		"duration", time.Since(c.started), "close_code", c.closeCode)
}

// writeLoop sends queued messages and pings until the connection is to
// close, then says goodbye and closes it.
func (c *wsConn) writeLoop() {
	ping := time.NewTicker(pingPeriod)
	defer func() {
		ping.Stop()
		_ = c.conn.Close()
		close(c.writerDone)
	}()
	backlog := c.backlog
	c.backlog = nil
	for {
		// A close goes before messages still queued: after an overflow or
		// at shutdown they are of no use.
		select {
		case <-c.quit:
			c.goodbye()
			return
		default:
		}
		if len(backlog) > 0 {
			if !c.writeFrame(backlog[0]) {
				c.closeWith(0, "")
				return
			}
			backlog = backlog[1:]
			continue
		}
		select {
		case f := <-c.send:
			if !c.writeFrame(f) {
				c.closeWith(0, "")
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)); err != nil {
				c.closeWith(0, "")
				return
			}
		case <-c.quit:
			c.goodbye()
			return
		}
	}
}

// goodbye sends the close frame, if any, and waits a little for the user's
// answer, so that closing the connection does not cut off the frame.
func (c *wsConn) goodbye() {
	if c.closeCode == 0 {
		return
	}
	msg := websocket.FormatCloseMessage(c.closeCode, c.closeReason)
	if err := c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeWait)); err != nil {
		return
	}
	wait := time.NewTimer(closeGrace)
	defer wait.Stop()
	select {
	case <-c.readEnded:
	case <-wait.C:
	}
}

// command runs one command from the user. Mistakes are answered with an
// error message and the session goes on.
func (c *wsConn) command(kind int, data []byte) {
	now := time.Now()
	if !c.commands.take(now) {
		if !c.strikes.take(now) {
			c.closeWith(websocket.ClosePolicyViolation, "too many commands")
			return
		}
		rate := c.hub.cfg.CommandRate
		c.put(userErrorf("rate-limited", errArgs{"rate": rate}, "Too many commands: at most %g a second. This one was ignored.", rate).message())
		return
	}
	defer func() {
		if v := recover(); v != nil {
			c.broken(&panicError{value: v, stack: debug.Stack()})
		}
	}()
	c.cmdStart.Store(int64(max(now.Sub(c.started), 1)))
	defer c.cmdStart.Store(0)
	if err := c.run(kind, data); err != nil {
		c.put(c.userMessage(err).message())
	}
}

// userMessage says err in the user's words; a fault of the server's is
// logged and not explained.
func (c *wsConn) userMessage(err error) *userError {
	var ue *userError
	if errors.As(err, &ue) {
		return ue
	}
	status, msg := answer(err)
	if status >= http.StatusInternalServerError && status != http.StatusServiceUnavailable {
		c.hub.log.Error("live session command failed", "error", err.Error(), "remote", c.conn.RemoteAddr().String())
	}
	return msg
}

// command is any message from the browser: its type says which fields
// count.
type command struct {
	Type     string          `json:"type"`
	Scenario json.RawMessage `json:"scenario"`
	Speed    json.RawMessage `json:"speed"`
	Cursor   json.RawMessage `json:"cursor"`
	Endpoint string          `json:"endpoint"`
	Call     string          `json:"call"`
	Data     string          `json:"data"`
	// A fault: its drop, inject or flood at the top of the message, or
	// the whole fault object in Fault.
	Drop   json.RawMessage `json:"drop"`
	Inject json.RawMessage `json:"inject"`
	Flood  json.RawMessage `json:"flood"`
	Fault  json.RawMessage `json:"fault"`
	// Rooms (room.go): an ask's question, an answer's choice.
	Question json.RawMessage `json:"question"`
	Choice   json.RawMessage `json:"choice"`
}

var commandTypes = strings.Join([]string{cmdLoad, cmdStep, cmdPlay, cmdPause, cmdBack, cmdSeek, cmdCall, cmdFault, cmdReset,
	cmdShare, cmdAsk, cmdReveal, cmdEnd, cmdAnswer}, ", ")

func (c *wsConn) run(kind int, data []byte) error {
	if kind != websocket.TextMessage {
		return userErrorf("not-text", nil, "Send commands as JSON text messages, such as {\"type\": \"step\"}.")
	}
	cmd, err := decodeCommand(data)
	if err != nil {
		return err
	}
	if handled, err := c.roomCommand(cmd); handled {
		return err
	}
	s := c.sess
	switch cmd.Type {
	case cmdLoad:
		sc, endpoints, err := c.hub.resolve(cmd.Scenario)
		if err != nil {
			return err
		}
		s.load(sc, endpoints)
		return nil
	case cmdStep:
		return s.step()
	case cmdPlay:
		speed, fastest, err := parseSpeed(cmd.Speed)
		if err != nil {
			return err
		}
		return s.playAt(speed, fastest)
	case cmdPause:
		return s.pause()
	case cmdBack:
		return s.back()
	case cmdSeek:
		n, err := parseCursor(cmd.Cursor)
		if err != nil {
			return err
		}
		return s.seek(n)
	case cmdCall:
		return s.call(cmd.Endpoint, cmd.Call, cmd.Data)
	case cmdFault:
		f, err := cmd.fault()
		if err != nil {
			return err
		}
		return s.fault(f)
	case cmdReset:
		return s.reset()
	case "":
		return userErrorf("missing-type", errArgs{"types": commandTypes}, "A command needs a \"type\": one of %s.", commandTypes)
	}
	typ := quoteShort(cmd.Type)
	return userErrorf("unknown-type", errArgs{"type": typ, "types": commandTypes}, "Unknown command type %s: use one of %s.", typ, commandTypes)
}

// decodeCommand reads one command. Unknown fields are errors, so that a
// typo such as "sped" is not silently ignored.
func decodeCommand(data []byte) (*command, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cmd command
	if err := dec.Decode(&cmd); err != nil {
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, userErrorf("bad-json", errArgs{"detail": err.Error()}, "That message is not valid JSON (%v); send an object such as {\"type\": \"step\"}.", err)
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return nil, userErrorf("not-string", errArgs{"field": typeErr.Field, "value": typeErr.Value}, "%s must be a string, not %s.", typeErr.Field, typeErr.Value)
		case errors.As(err, &typeErr):
			return nil, userErrorf("not-object", errArgs{"value": typeErr.Value}, "A command is a JSON object such as {\"type\": \"step\"}, not %s.", typeErr.Value)
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return nil, userErrorf("unknown-field", errArgs{"field": clip(name)}, "Unknown field %s in the command.", clip(name))
		}
		detail := clip(strings.TrimPrefix(err.Error(), "json: "))
		return nil, userErrorf("not-command", errArgs{"detail": detail}, "That message is not a command: %s.", detail)
	}
	if dec.More() {
		return nil, userErrorf("one-command", nil, "Send one command per message.")
	}
	return &cmd, nil
}

// fault reads the command's fault object with the scenario decoder, so that
// it is checked exactly as a scenario's faults are.
func (cmd *command) fault() (engine.Fault, error) {
	raw := cmd.Fault
	inline := cmd.Drop != nil || cmd.Inject != nil || cmd.Flood != nil
	switch {
	case raw != nil && inline:
		return engine.Fault{}, userErrorf("fault-both", nil, "Give the fault either inside \"fault\" or as drop, inject or flood in the command, not both.")
	case raw == nil:
		fields := map[string]json.RawMessage{}
		for name, v := range map[string]json.RawMessage{"drop": cmd.Drop, "inject": cmd.Inject, "flood": cmd.Flood} {
			if v != nil {
				fields[name] = v
			}
		}
		raw, _ = json.Marshal(fields)
	}
	doc := append(append([]byte(`{"steps":[],"faults":[`), raw...), "]}"...)
	sc, err := engine.DecodeScenario(doc)
	if err != nil {
		var fe *engine.FieldError
		if errors.As(err, &fe) {
			field := strings.TrimPrefix(strings.TrimPrefix(fe.Field, "faults[0]"), ".")
			if field == "" {
				field = "fault"
			}
			return engine.Fault{}, fieldError(field, fe)
		}
		return engine.Fault{}, err
	}
	if len(sc.Faults) != 1 {
		return engine.Fault{}, userErrorf("one-fault", nil, "fault: give one fault object, with drop, inject or flood.")
	}
	return sc.Faults[0], nil
}

// parseSpeed reads play's speed: virtual ms per real ms, or "max". Absent,
// it is 1 (real time).
func parseSpeed(raw json.RawMessage) (speed float64, fastest bool, err error) {
	if raw == nil {
		return 1, false, nil
	}
	var word string
	if json.Unmarshal(raw, &word) == nil && word == "max" {
		return 0, true, nil
	}
	if json.Unmarshal(raw, &speed) == nil && speed > 0 && speed <= maxSpeed && !math.IsInf(speed, 0) {
		return speed, false, nil
	}
	value := clip(string(raw))
	return 0, false, userErrorf("bad-speed", errArgs{"max": int(maxSpeed), "value": value},
		"speed: must be a number of virtual milliseconds per real millisecond, more than 0 and at most %d, or \"max\", not %s.",
		int(maxSpeed), value)
}

// parseCursor reads seek's cursor: a count of events, 0 for the start.
func parseCursor(raw json.RawMessage) (int, error) {
	var n int
	if raw == nil {
		return 0, userErrorf("cursor-needed", errArgs{"max": engine.MaxEvents},
			"seek needs a \"cursor\": the number of events to show, from 0 to %d.", engine.MaxEvents)
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		value := clip(string(raw))
		return 0, userErrorf("bad-cursor", errArgs{"max": engine.MaxEvents, "value": value},
			"cursor: must be a whole number of events from 0 to %d, not %s.", engine.MaxEvents, value)
	}
	return n, nil
}

// resolve finds the scenario a load names: a built-in id, or a scenario
// object, which is run once to the end for its endpoints (as /api/run
// would, within its limits).
func (h *liveHub) resolve(raw json.RawMessage) (*engine.Scenario, engine.Endpoints, error) {
	raw = bytes.TrimSpace(raw)
	var none engine.Endpoints
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return nil, none, userErrorf("bad-scenario", errArgs{"detail": err.Error()}, "scenario: %v.", err)
		}
		e, ok := h.srv.builtins.entries[id]
		if !ok {
			return nil, none, userErrorf("no-scenario", errArgs{"id": quoteShort(id)}, "There is no built-in scenario %s.", quoteShort(id))
		}
		tr, err := e.trace()
		if err != nil {
			return nil, none, err
		}
		// The built-in's scenario is shared, read-only, by every session
		// that loads it.
		return tr.Scenario, tr.Endpoints, nil
	case len(raw) > 0 && raw[0] == '{':
		sc, err := engine.DecodeScenario(raw)
		if err != nil {
			return nil, none, fmt.Errorf("reading the scenario: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.srv.cfg.APITimeout)
		defer cancel()
		tr, err := h.srv.runs.run(ctx, sc)
		if err != nil {
			return nil, none, err
		}
		return sc, tr.Endpoints, nil
	}
	return nil, none, userErrorf("scenario-needed", nil, "scenario: give a built-in id such as \"client-closes-first\", or a scenario object.")
}

// tokenBucket is a rate limit: burst tokens, refilled at rate a second.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take takes a token if there is one.
func (b *tokenBucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
