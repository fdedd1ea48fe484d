// Package hostile attacks a running synack server, the real binary as a
// child process on loopback, with what the audit of issue 11 found: live
// sessions that try to take the server's memory or its cores, and client
// mistakes that must not look like server faults. Each test reproduces
// one item, checks the target the issue sets, and logs its figures.
//
//	go test ./internal/hostile -v
//	SYNACK_HOSTILE_BIN=/path/to/older/server go test ./internal/hostile -v   # the figures of another build
package hostile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/synack/synack/internal/loadtest"
)

// binary builds the server once for all tests of the package.
var binary = struct {
	once sync.Once
	dir  string
	path string
	err  error
}{}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// startServer builds (once) and starts the server binary, stopped when the
// test ends. SYNACK_HOSTILE_BIN runs another build instead.
func startServer(tb testing.TB, args ...string) *loadtest.Server {
	tb.Helper()
	if testing.Short() {
		tb.Skip("builds and starts the server binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	binary.once.Do(func() {
		if bin := os.Getenv("SYNACK_HOSTILE_BIN"); bin != "" {
			binary.path = bin
			return
		}
		binary.dir, binary.err = os.MkdirTemp("", "synack-hostile-")
		if binary.err == nil {
			binary.path, binary.err = loadtest.Build(ctx, binary.dir)
		}
	})
	if binary.err != nil {
		tb.Fatal(binary.err)
	}
	srv, err := loadtest.Start(ctx, binary.path, args...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Logf("server: %v\n%s", err, srv.Logs())
		}
	})
	return srv
}

// message is any message from the server, with the parts these tests read.
type message struct {
	Type    string          `json:"type"`
	Message string          `json:"message"`
	Code    string          `json:"code"`
	Cursor  *int            `json:"cursor"`
	Event   json.RawMessage `json:"event"`
	Room    json.RawMessage `json:"room"`
	State   string          `json:"state"`
}

// client is one WebSocket connection to the server.
type client struct {
	tb   testing.TB
	conn *websocket.Conn
}

const wait = 30 * time.Second

func dial(tb testing.TB, srv *loadtest.Server, query string) *client {
	tb.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr+"/ws"+query, nil)
	if err != nil {
		tb.Fatalf("dialing /ws: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	return &client{tb: tb, conn: conn}
}

func (c *client) send(cmd string) {
	c.tb.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(wait))
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(cmd)); err != nil {
		c.tb.Fatalf("sending %.60s: %v", cmd, err)
	}
}

func (c *client) sendJSON(v any) {
	c.tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.tb.Fatal(err)
	}
	c.send(string(b))
}

func (c *client) read() message {
	c.tb.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.tb.Fatalf("reading: %v", err)
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		c.tb.Fatalf("message %.100s: %v", b, err)
	}
	return m
}

// until reads until a message of one of the types, and returns it with how
// many events came before it.
func (c *client) until(types ...string) (message, int) {
	c.tb.Helper()
	events := 0
	for {
		m := c.read()
		for _, t := range types {
			if m.Type == t {
				return m, events
			}
		}
		if m.Type == "event" {
			events++
		}
	}
}

// sync sends a command the server refuses (an unknown type) and reads up
// to its refusal: every answer to the commands before has come. It returns
// the code of the last other error that came meanwhile.
func (c *client) sync() (code string) {
	c.tb.Helper()
	c.send(`{"type": "hostile-sync"}`)
	for {
		m := c.read()
		if m.Type != "error" {
			continue
		}
		if m.Code == "unknown-type" {
			return code
		}
		code = m.Code
	}
}

// load loads a scenario object and waits for loaded.
func (c *client) load(doc string) {
	c.tb.Helper()
	c.send(`{"type": "load", "scenario": ` + doc + `}`)
	if m, _ := c.until("loaded", "error"); m.Type != "loaded" {
		c.tb.Fatalf("load answered %s %s", m.Code, m.Message)
	}
}

// share loads a built-in and opens a room for it, and returns the room's
// code.
func (c *client) share() (code string) {
	c.tb.Helper()
	c.load(`"syn-lost"`)
	c.send(`{"type": "share"}`)
	shared, _ := c.until("shared")
	if err := jsonString(shared.Room, &code); err != nil {
		c.tb.Fatalf("shared: %v", err)
	}
	return code
}

// cpu is the server's CPU time so far.
func cpu(tb testing.TB, srv *loadtest.Server) time.Duration {
	tb.Helper()
	d, err := srv.CPU()
	if err != nil {
		tb.Skipf("cannot read the server's CPU time: %v", err)
	}
	return d
}

// memory is the server's heap and stacks in use after a collection.
func memory(tb testing.TB, srv *loadtest.Server) uint64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := srv.Memory(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return m.InUse()
}

func mib(n uint64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// perSession is the memory that n sessions added, each.
func perSession(before, after uint64, n int) uint64 {
	if after < before {
		return 0
	}
	return (after - before) / uint64(n)
}

// Scenarios the audit used.
var (
	// lateFloods is a valid scenario of about 60 KB: a thousand floods of
	// a thousand SYNs each, all due after until_ms. Before the budget the
	// engine put a million entries on its agenda at load (168 MiB
	// allocated, 31 MiB held by each session).
	lateFloods = func() string {
		floods := make([]string, 1000)
		for i := range floods {
			floods[i] = `{"flood":{"at_ms":3600000,"count":1000,"interval_ms":60000}}`
		}
		return `{"seed":1,"steps":[{"at_ms":0,"endpoint":"server","call":"listen"}],"faults":[` +
			strings.Join(floods, ",") + `],"until_ms":1000}`
	}()
	// floodBacklog is about 185 bytes: a flood against a large backlog
	// whose half-open connections retransmit their SYN,ACKs many times
	// (15 MiB a session before the budget).
	floodBacklog = `{"seed":1,"options":{"backlog":1000,"synack_retries":20},"steps":[{"at_ms":0,"endpoint":"server","call":"listen"}],"faults":[{"flood":{"at_ms":0,"count":1000,"interval_ms":0}}],"until_ms":3600000}`
	// biggestRun is about as large a run as the budget accepts: 5,202
	// events.
	biggestRun = `{"seed":1,"options":{"backlog":0},"steps":[{"at_ms":0,"endpoint":"server","call":"listen"}],"faults":[{"flood":{"at_ms":0,"count":1000,"interval_ms":1}},{"flood":{"at_ms":70000,"count":1000,"interval_ms":1}},{"flood":{"at_ms":140000,"count":600,"interval_ms":1}}]}`
	// sandbox is a connection made, ready for the user's calls.
	sandbox = `{"seed":1,"steps":[{"at_ms":0,"endpoint":"server","call":"listen"},{"at_ms":0,"endpoint":"client","call":"connect"}],"until_ms":3600000}`
)

func jsonString(raw json.RawMessage, s *string) error { return json.Unmarshal(raw, s) }

func asClose(err error, ce **websocket.CloseError) bool { return errors.As(err, ce) }
