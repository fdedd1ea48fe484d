package hostile

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// statusLogged is the status the server's request log gives the request to
// path, waiting a little for the line.
func statusLogged(t *testing.T, logs func() string, method, path string) string {
	t.Helper()
	line := regexp.MustCompile(`msg=request .*method=` + method + ` path=` + regexp.QuoteMeta(path) + ` .*status=(\d+)`)
	for range 50 {
		if m := line.FindAllStringSubmatch(logs(), -1); m != nil {
			return m[len(m)-1][1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line for %s %s in:\n%s", method, path, logs())
	return ""
}

// rawRequest sends head, then body, on a new connection, and returns the
// connection.
func rawRequest(t *testing.T, addr, head, body string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head+body); err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestClientMistakesAre4xx: a cut POST body and an over-long Host on the QR
// route were answered, and logged, as server errors (500); headers up to
// 1 MiB were read.
func TestClientMistakesAre4xx(t *testing.T) {
	srv := startServer(t)
	t.Run("a cut POST body", func(t *testing.T) {
		conn := rawRequest(t, srv.Addr, "POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", `{"seed": 1, "st`)
		conn.(*net.TCPConn).CloseWrite()
		if got := statusLogged(t, srv.Logs, "POST", "/api/run"); got != "400" {
			t.Errorf("logged status %s, want 400", got)
		}
	})
	t.Run("an over-long Host on the QR route", func(t *testing.T) {
		host := strings.Repeat("h", 3000) + ".example"
		conn := rawRequest(t, srv.Addr, "GET /api/rooms/ABC234/qr.svg HTTP/1.1\r\nHost: "+host+"\r\n\r\n", "")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("%d-character Host: %s", len(host), resp.Status)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %s, want 400", resp.Status)
		}
	})
	t.Run("a 1 MiB header", func(t *testing.T) {
		conn := rawRequest(t, srv.Addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 1<<20)+"\r\n\r\n", "")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("a 1 MiB header: %s", resp.Status)
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %s, want 431", resp.Status)
		}
	})
}

// TestConnectionCap: there was no cap on connections. With -max-conns 20,
// twenty idle connections hold every slot until one closes.
func TestConnectionCap(t *testing.T) {
	const limit = 20
	srv := startServer(t, "-max-conns", fmt.Sprint(limit))
	// The debug listener's client keeps its connection: read memory first
	// so that it does not count.
	conns := make([]net.Conn, limit)
	for i := range conns {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	client := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(srv.URL("/healthz")); err == nil {
		resp.Body.Close()
		t.Fatalf("with %d connections open, /healthz answered %s", limit, resp.Status)
	}
	conns[0].Close()
	client.Timeout = 5 * time.Second
	resp, err := client.Get(srv.URL("/healthz"))
	if err != nil {
		t.Fatalf("with a slot free again: %v", err)
	}
	resp.Body.Close()
}

// TestShutdownEndsSlowUploads: one slow POST body made shutdown wait 15 s
// and exit with status 1.
func TestShutdownEndsSlowUploads(t *testing.T) {
	srv := startServer(t)
	rawRequest(t, srv.Addr, "POST /api/run HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", `{"seed":`)
	time.Sleep(100 * time.Millisecond) // the handler is reading the body
	start := time.Now()
	if err := srv.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Exited():
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not exit within 20 s")
	}
	took := time.Since(start)
	t.Logf("shutdown with a slow upload: %v, exit %v", took.Round(time.Millisecond), srv.Err())
	if err := srv.Err(); err != nil {
		t.Errorf("the server exited with %v\n%s", err, srv.Logs())
	}
	if took > 5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
}

// TestShutdownTellsViewers: at shutdown viewers got only the close code,
// not the room's end.
func TestShutdownTellsViewers(t *testing.T) {
	srv := startServer(t)
	p := dial(t, srv, "")
	code := p.share()
	v := dial(t, srv, "?room="+code)
	v.until("loaded")
	if err := srv.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		_ = v.conn.SetReadDeadline(time.Now().Add(wait))
		_, b, err := v.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if ok := asClose(err, &ce); ok {
				got = append(got, fmt.Sprintf("close %d", ce.Code))
			} else {
				got = append(got, "error "+err.Error())
			}
			break
		}
		got = append(got, string(b))
	}
	t.Logf("a viewer at shutdown got: %.200q", got)
	ended := false
	for _, m := range got {
		ended = ended || strings.Contains(m, `"type":"room"`) && strings.Contains(m, `"state":"ended"`)
	}
	if !ended || !strings.HasPrefix(got[len(got)-1], "close ") {
		t.Errorf("the viewer got %q: no room ended, or no close frame after it", got)
	}
	<-srv.Exited()
}
