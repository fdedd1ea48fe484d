package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/synack/synack/engine"
)

// Commands from the browser: one table keyed by type, each entry decoding
// its own typed message strictly and running it on the session or its room;
// the rate limit on commands.

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

// strikeWindow: more than CommandBurst refused commands within it close the
// connection.
const strikeWindow = 10 * time.Second

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

// Who may send a command.
type audience int

const (
	ownSession audience = iota // the connection's own session; refused to a viewer
	presenter                  // the presenter of a room
	viewerOnly                 // a viewer of a room
)

// commandSpec is one entry of the command table: who may send it, and how
// it runs, decoding its own typed message.
type commandSpec struct {
	who audience
	run func(c *wsConn, data []byte) error
}

// typed makes a command that decodes its message into a T, strictly, then
// runs with it.
func typed[T any](run func(c *wsConn, m *T) error) func(*wsConn, []byte) error {
	return func(c *wsConn, data []byte) error {
		var m T
		if err := decodeInto(data, &m); err != nil {
			return err
		}
		return run(c, &m)
	}
}

// bare makes a command that has no field but its type.
func bare(run func(c *wsConn) error) func(*wsConn, []byte) error {
	return typed(func(c *wsConn, _ *struct {
		Type string `json:"type"`
	}) error {
		return run(c)
	})
}

// The typed messages of the commands that have fields.
type (
	loadCommand struct {
		Type     string          `json:"type"`
		Scenario json.RawMessage `json:"scenario"`
	}
	playCommand struct {
		Type  string          `json:"type"`
		Speed json.RawMessage `json:"speed"`
	}
	seekCommand struct {
		Type   string          `json:"type"`
		Cursor json.RawMessage `json:"cursor"`
	}
	callCommand struct {
		Type     string `json:"type"`
		Endpoint string `json:"endpoint"`
		Call     string `json:"call"`
		Data     string `json:"data"`
	}
	// faultCommand carries its fault at the top of the message (drop,
	// inject or flood) or whole in Fault.
	faultCommand struct {
		Type   string          `json:"type"`
		Drop   json.RawMessage `json:"drop"`
		Inject json.RawMessage `json:"inject"`
		Flood  json.RawMessage `json:"flood"`
		Fault  json.RawMessage `json:"fault"`
	}
	askCommand struct {
		Type     string          `json:"type"`
		Question json.RawMessage `json:"question"`
	}
	// answerCommand is a viewer's answer: a choice, or for a number
	// question a value.
	answerCommand struct {
		Type   string          `json:"type"`
		Choice json.RawMessage `json:"choice"`
		Value  json.RawMessage `json:"value"`
	}
	// viewCommand is how the presenter's page shows the run: the
	// numbering and the event selected, for the viewers to follow.
	viewCommand struct {
		Type      string `json:"type"`
		Numbering string `json:"numbering"`
		Selected  int    `json:"selected"`
	}
)

// commandTable holds every command, by type (set in init: its entries
// refer to the table's own error text).
var commandTable map[string]commandSpec

func init() {
	commandTable = map[string]commandSpec{
		cmdLoad: {run: typed(func(c *wsConn, m *loadCommand) error {
			if posted := bytes.HasPrefix(bytes.TrimSpace(m.Scenario), []byte("{")); posted {
				if err := c.sess.mayWork(); err != nil {
					return err
				}
			}
			sc, endpoints, work, err := c.hub.resolve(m.Scenario)
			c.sess.charge(work)
			if err != nil {
				return err
			}
			c.sess.load(sc, endpoints)
			return nil
		})},
		cmdStep:  {run: bare(func(c *wsConn) error { return c.sess.step() })},
		cmdPause: {run: bare(func(c *wsConn) error { return c.sess.pause() })},
		cmdBack:  {run: bare(func(c *wsConn) error { return c.sess.back() })},
		cmdReset: {run: bare(func(c *wsConn) error { return c.sess.reset() })},
		cmdPlay: {run: typed(func(c *wsConn, m *playCommand) error {
			speed, fastest, err := parseSpeed(m.Speed)
			if err != nil {
				return err
			}
			return c.sess.playAt(speed, fastest)
		})},
		cmdSeek: {run: typed(func(c *wsConn, m *seekCommand) error {
			n, err := parseCursor(m.Cursor)
			if err != nil {
				return err
			}
			return c.sess.seek(n)
		})},
		cmdCall: {run: typed(func(c *wsConn, m *callCommand) error {
			return c.sess.call(m.Endpoint, m.Call, m.Data)
		})},
		cmdFault: {run: typed(func(c *wsConn, m *faultCommand) error {
			f, err := m.fault()
			if err != nil {
				return err
			}
			return c.sess.fault(f)
		})},
		cmdShare:  {who: presenter, run: bare(func(c *wsConn) error { return c.share() })},
		cmdAsk:    {who: presenter, run: typed(func(c *wsConn, m *askCommand) error { return c.presented().ask(m.Question) })},
		cmdReveal: {who: presenter, run: bare(func(c *wsConn) error { return c.presented().reveal() })},
		cmdEnd: {who: presenter, run: bare(func(c *wsConn) error {
			c.presented().end(endedByPresenter)
			return nil
		})},
		cmdView: {who: presenter, run: typed(func(c *wsConn, m *viewCommand) error {
			return c.presented().setView(m.Numbering, m.Selected)
		})},
		cmdAnswer: {who: viewerOnly, run: typed(func(c *wsConn, m *answerCommand) error {
			return c.member.Load().room.answer(c, m.Choice, m.Value)
		})},
	}
}

// commandOrder is the command types in the order the errors that name them
// list them: the session's, then the rooms'. It holds every key of
// commandTable (commands_test.go checks).
var commandOrder = []string{cmdLoad, cmdStep, cmdPlay, cmdPause, cmdBack, cmdSeek, cmdCall, cmdFault, cmdReset,
	cmdShare, cmdAsk, cmdReveal, cmdView, cmdEnd, cmdAnswer}

var commandTypes = strings.Join(commandOrder, ", ")

// run decodes one message's type and runs its command from the table, if
// the connection may send it.
func (c *wsConn) run(kind int, data []byte) error {
	if kind != websocket.TextMessage {
		return userErrorf("not-text", nil, "Send commands as JSON text messages, such as {\"type\": \"step\"}.")
	}
	if key, found := duplicateKey(data); found {
		shown := quoteShort(key)
		return userErrorf("duplicate-key", errArgs{"key": shown}, "The key %s appears twice in one object of the command; give each key once.", shown)
	}
	var env struct {
		Type string `json:"type"`
	}
	if err := decodeJSON(data, &env, false); err != nil {
		return err
	}
	spec, ok := commandTable[env.Type]
	if !ok {
		if env.Type == "" {
			return userErrorf("missing-type", errArgs{"types": commandTypes}, "A command needs a \"type\": one of %s.", commandTypes)
		}
		typ := quoteShort(env.Type)
		return userErrorf("unknown-type", errArgs{"type": typ, "types": commandTypes}, "Unknown command type %s: use one of %s.", typ, commandTypes)
	}
	m := c.member.Load()
	viewing := m != nil && !m.presenter
	switch {
	case spec.who == viewerOnly && !viewing:
		return userErrorf("not-viewer", nil, "Only a viewer of a room answers its questions.")
	case spec.who != viewerOnly && viewing:
		return userErrorf("viewer-cannot-drive", errArgs{"room": m.room.code}, "You are following room %s: only its presenter can drive the session.", m.room.code)
	case spec.who == presenter && env.Type != cmdShare && m == nil:
		return userErrorf("share-first", nil, `Share the session first: {"type": "share"}.`)
	}
	return spec.run(c, data)
}

// presented is the room c presents; the table lets only a presenter's
// commands call it.
func (c *wsConn) presented() *room { return c.member.Load().room }

// decodeInto reads one command into v, a typed message. Unknown fields are
// errors, so that a typo such as "sped" is not silently ignored.
func decodeInto(data []byte, v any) error { return decodeJSON(data, v, true) }

func decodeJSON(data []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
			return userErrorf("bad-json", errArgs{"detail": err.Error()}, "That message is not valid JSON (%v); send an object such as {\"type\": \"step\"}.", err)
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return userErrorf("not-string", errArgs{"field": typeErr.Field, "value": typeErr.Value}, "%s must be a string, not %s.", typeErr.Field, typeErr.Value)
		case errors.As(err, &typeErr):
			return userErrorf("not-object", errArgs{"value": typeErr.Value}, "A command is a JSON object such as {\"type\": \"step\"}, not %s.", typeErr.Value)
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return userErrorf("unknown-field", errArgs{"field": clip(name)}, "Unknown field %s in the command.", clip(name))
		}
		detail := clip(strings.TrimPrefix(err.Error(), "json: "))
		return userErrorf("not-command", errArgs{"detail": detail}, "That message is not a command: %s.", detail)
	}
	if dec.More() {
		return userErrorf("one-command", nil, "Send one command per message.")
	}
	return nil
}

// fault reads the command's fault object with the engine's fault decoder,
// so that it is checked exactly as a scenario's faults are.
func (m *faultCommand) fault() (engine.Fault, error) {
	raw := m.Fault
	inline := m.Drop != nil || m.Inject != nil || m.Flood != nil
	switch {
	case raw != nil && inline:
		return engine.Fault{}, userErrorf("fault-both", nil, "Give the fault either inside \"fault\" or as drop, inject or flood in the command, not both.")
	case raw == nil:
		fields := map[string]json.RawMessage{}
		for name, v := range map[string]json.RawMessage{"drop": m.Drop, "inject": m.Inject, "flood": m.Flood} {
			if v != nil {
				fields[name] = v
			}
		}
		raw, _ = json.Marshal(fields)
	}
	f, err := engine.DecodeFault(raw)
	if err != nil {
		var fe *engine.FieldError
		if errors.As(err, &fe) {
			field := fe.Field
			if field == "" {
				field = "fault"
			}
			return engine.Fault{}, fieldError(field, fe)
		}
		return engine.Fault{}, err
	}
	return f, nil
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
//
// work is the engine's work in running a posted scenario to learn its
// endpoints, done whether it succeeded or not: the caller charges it to the
// session. A built-in's run is cached, and costs the session nothing.
func (h *liveHub) resolve(raw json.RawMessage) (sc *engine.Scenario, endpoints engine.Endpoints, work int64, err error) {
	raw = bytes.TrimSpace(raw)
	var none engine.Endpoints
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return nil, none, 0, userErrorf("bad-scenario", errArgs{"detail": err.Error()}, "scenario: %v.", err)
		}
		e, ok := h.srv.builtins.entries[id]
		if !ok {
			return nil, none, 0, userErrorf("no-scenario", errArgs{"id": quoteShort(id)}, "There is no built-in scenario %s.", quoteShort(id))
		}
		tr, err := e.trace()
		if err != nil {
			return nil, none, 0, err
		}
		// The built-in's scenario is shared, read-only, by every session
		// that loads it.
		return tr.Scenario, tr.Endpoints, 0, nil
	case len(raw) > 0 && raw[0] == '{':
		sc, err := engine.DecodeScenario(raw)
		if err != nil {
			return nil, none, 0, fmt.Errorf("reading the scenario: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.srv.cfg.APITimeout)
		defer cancel()
		tr, work, err := h.srv.runs.runWork(ctx, sc)
		if err != nil {
			return nil, none, work, err
		}
		return sc, tr.Endpoints, work, nil
	}
	return nil, none, 0, userErrorf("scenario-needed", nil, "scenario: give a built-in id such as \"client-closes-first\", or a scenario object.")
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
