package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// pingRate and pingBurst bound the pongs a user's pings get.
	pingRate  = 10
	pingBurst = 20
)

// wsConn is one session's WebSocket connection.
type wsConn struct {
	hub     *liveHub
	conn    *websocket.Conn
	sess    *session
	started time.Time
	// client is the user's address as per-client limits count it.
	client string
	// batch is conn's connection, whose writes the writer batches
	// (wsbatch.go); nil leaves every write its own.
	batch *batchConn

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
	c.batch, _ = conn.NetConn().(*batchConn)
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

// put implements outbox: it encodes msg and queues it without blocking.
func (c *wsConn) put(msg any) bool {
	if c.closing() {
		return false
	}
	b, err := json.Marshal(msg)
	if err != nil {
		c.broken(fmt.Errorf("encoding a %T: %w", msg, err))
		return false
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

// busy implements outbox: play waits for the user.
func (c *wsConn) busy() bool { return len(c.send) > cap(c.send)/2 }

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
	// The user's pings are answered at most pingRate a second: a flood of
	// pings gets no more pongs, and costs no more writes.
	pings := newTokenBucket(pingRate, pingBurst, time.Now())
	c.conn.SetPingHandler(func(msg string) error {
		if !pings.take(time.Now()) {
			return nil
		}
		err := c.conn.WriteControl(websocket.PongMessage, []byte(msg), time.Now().Add(writeWait))
		if err == nil || errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return nil
		}
		return err
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
		if kind == websocket.TextMessage && !utf8.Valid(data) {
			// RFC 6455 section 8.1: a text frame that is not UTF-8 fails
			// the connection, with 1007.
			c.closeWith(websocket.CloseInvalidFramePayloadData, "text messages must be UTF-8")
			continue
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
			if !c.writeFrame(backlog[0], len(backlog) > 1 || len(c.send) > 0) {
				c.closeWith(0, "")
				return
			}
			backlog = backlog[1:]
			continue
		}
		select {
		case f := <-c.send:
			if !c.writeFrame(f, len(c.send) > 0) {
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
	if c.batch.batch(false) != nil {
		return
	}
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

func prepare(msg any) (*websocket.PreparedMessage, error) {
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding a %T: %w", msg, err)
	}
	return websocket.NewPreparedMessage(websocket.TextMessage, b)
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
//
// more says more frames are queued after f: its bytes may be held to be
// written with theirs (wsbatch.go); the last of them writes them all.
func (c *wsConn) writeFrame(f frame, more bool) bool {
	if f.bye != nil {
		c.closeWith(f.bye.code, f.bye.reason)
		return c.batch.batch(false) == nil
	}
	if err := c.batch.batch(more); err != nil {
		return false
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
	if err == nil && !more {
		err = c.batch.batch(false)
	}
	return err == nil
}
