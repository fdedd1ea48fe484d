package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct {
		doc, key string
	}{
		{`{"type": "step"}`, ""},
		{`{"type": "step", "type": "back"}`, "type"},
		{`{"type": "load", "scenario": {"seed": 1, "steps": [], "seed": 2}}`, "seed"},
		{`{"type": "fault", "fault": {"drop": {"from": "client", "from": "server"}}}`, "from"},
		{`[{"a": 1}, {"a": 2}]`, ""},
		{`{"a": {"b": 1}, "b": 2}`, ""},
		{`{"type": "step", `, ""},
		{`not json`, ""},
	} {
		key, found := duplicateKey([]byte(tc.doc))
		if key != tc.key || found != (tc.key != "") {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", tc.doc, key, found, tc.key)
		}
	}
}

func TestLiveLimits(t *testing.T) {
	t.Run("invalid UTF-8 closes with 1007", func(t *testing.T) {
		c := newLiveTest(t, LiveConfig{}).dial()
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte("{\"type\": \"st\xffep\"}")); err != nil {
			t.Fatal(err)
		}
		c.expectClose(websocket.CloseInvalidFramePayloadData)
	})
	t.Run("a duplicate key is refused", func(t *testing.T) {
		c := newLiveTest(t, LiveConfig{}).dial()
		c.send(`{"type": "load", "scenario": "syn-lost", "scenario": "syn-lost"}`)
		c.expectError(`The key "scenario" appears twice`)
	})
	t.Run("sessions per client", func(t *testing.T) {
		lt := newLiveTest(t, LiveConfig{MaxSessions: 10, MaxSessionsPerClient: 2})
		lt.dial()
		lt.dial()
		_, resp, err := websocket.DefaultDialer.Dial(lt.url, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a third session from one address: %v, %v; want 429", err, resp)
		}
	})
	t.Run("rooms per client", func(t *testing.T) {
		lt := newLiveTest(t, LiveConfig{Rooms: RoomConfig{MaxRooms: 10, MaxRoomsPerClient: 1}})
		first := lt.dial()
		first.send(`{"type": "share"}`)
		first.expect(msgShared)
		second := lt.dial()
		second.send(`{"type": "share"}`)
		second.expectError("rooms open, the most one address may have")
	})
	t.Run("pings are answered at most pingRate a second", func(t *testing.T) {
		c := newLiveTest(t, LiveConfig{}).dial()
		var pongs atomic.Int64
		c.conn.SetPongHandler(func(string) error { pongs.Add(1); return nil })
		go func() {
			for {
				if _, _, err := c.conn.ReadMessage(); err != nil {
					return
				}
			}
		}()
		start := time.Now()
		const sent = 500
		for range sent {
			if err := c.conn.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(300 * time.Millisecond)
		most := pingBurst + int64(time.Since(start).Seconds()*pingRate) + 1
		if got := pongs.Load(); got == 0 || got > most {
			t.Errorf("%d pings got %d pongs, want 1 to %d", sent, got, most)
		}
	})
}

// FuzzCommand sends any message to a live session: it is answered, or the
// connection closes with a code of the protocol's, never with a server
// fault.
func FuzzCommand(f *testing.F) {
	for _, seed := range []string{
		`{"type": "step"}`, `{"type": "load", "scenario": "syn-lost"}`, `{"type": "play", "speed": "max"}`,
		`{"type": "back"}`, `{"type": "seek", "cursor": 3}`, `{"type": "call", "endpoint": "client", "call": "connect"}`,
		`{"type": "fault", "drop": {"segment": 1}}`, `{"type": "fault", "flood": {"at_ms": 0, "count": 1000, "interval_ms": 0}}`,
		`{"type": "load", "scenario": {"seed": 1, "steps": [{"at_ms": 0, "endpoint": "server", "call": "listen"}]}}`,
		`{"type": "step", "type": "back"}`, `{"type": "answer", "choice": 0}`, `{"type": "share"}`, `{"type": "ask"}`,
		"{\"type\": \"\xff\"}", `[]`, `null`, `{}`, ``, `{"type": 7}`,
	} {
		f.Add(seed)
	}
	srv := newTestServer(f, Config{})
	ts := httptest.NewServer(newLiveHub(srv, LiveConfig{CommandRate: 1e6, CommandBurst: 1 << 20}))
	f.Cleanup(func() {
		srv.Shutdown()
		ts.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	f.Fuzz(func(t *testing.T, msg string) {
		c := dialLive(t, url, nil)
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		c.send(`{"type": "fuzz-sync"}`)
		for {
			m, err := c.read()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) && ce.Code == websocket.CloseInternalServerErr {
					t.Fatalf("%q closed the session with 1011", msg)
				}
				return
			}
			if m.Type == msgError && m.Code == "server-error" {
				t.Fatalf("%q: server error %s", msg, m.Message)
			}
			if m.Type == msgError && strings.Contains(m.Message, "fuzz-sync") {
				return
			}
		}
	})
}
