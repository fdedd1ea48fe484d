package deploytest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/gorilla/websocket"

	"github.com/synack/synack/internal/loadtest"
)

// nginxConf is README "Deploy"'s configuration without TLS, on loopback:
// the usual WebSocket lines, the forwarded client and scheme, and nginx's
// default Host (the upstream's address).
var nginxConf = template.Must(template.New("nginx.conf").Parse(`
worker_processes 1;
daemon off;
master_process on;
{{if .Root}}user root;{{end}}
error_log {{.Dir}}/error.log warn;
pid {{.Dir}}/nginx.pid;
events { worker_connections 256; }
http {
    access_log {{.Dir}}/access.log;
    client_body_temp_path {{.Dir}}/body;
    proxy_temp_path {{.Dir}}/proxy;
    fastcgi_temp_path {{.Dir}}/fastcgi;
    uwsgi_temp_path {{.Dir}}/uwsgi;
    scgi_temp_path {{.Dir}}/scgi;
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    server {
        listen {{.Listen}};
        location / {
            proxy_pass http://{{.Upstream}};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 120s;
        }
    }
}
`))

// freePort is a loopback address no one listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is the synack binary running as a child process.
type server struct {
	addr string
	mu   sync.Mutex
	logs []string
	cmd  *exec.Cmd
	done chan struct{}
}

var servingLine = regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)

// startServer runs bin with args and the environment env, and waits until
// it serves.
func startServer(t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.logs = append(s.logs, sc.Text())
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	select {
	case s.addr = <-addr:
	case <-s.done:
		t.Fatalf("the server exited:\n%s", s.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not start:\n%s", s.log())
	}
	return s
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.logs, "\n")
}

// startNginx runs nginx in the foreground with its own configuration in a
// temporary directory, listening on listen and proxying to upstream.
func startNginx(t *testing.T, listen, upstream string) {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			t.Skip("nginx is not installed (Debian: apt-get install nginx; .ci/run does): the test behind a real proxy skips")
		}
		bin = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	// Workers run as nobody unless the master is root and says otherwise;
	// they only read the configuration and write the temporary files.
	var conf strings.Builder
	if err := nginxConf.Execute(&conf, map[string]any{
		"Dir": dir, "Listen": listen, "Upstream": upstream, "Root": os.Geteuid() == 0,
	}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting nginx: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT) // graceful stop
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", listen, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			errLog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %s\n%s", out, errLog)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s", listen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wsMessage is any server message, with the fields this test reads.
type wsMessage struct {
	Type  string          `json:"type"`
	Room  string          `json:"room"`
	URL   string          `json:"url"`
	QR    string          `json:"qr"`
	State string          `json:"state"`
	Event json.RawMessage `json:"event"`
}

func dial(t *testing.T, url, origin, forwardedFor string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if forwardedFor != "" {
		h.Set("X-Forwarded-For", forwardedFor)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	return d.Dial(url, h)
}

func send(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// expect reads messages until one of type typ.
func expect(t *testing.T, c *websocket.Conn, typ string) wsMessage {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, b, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("not JSON: %s", b)
		}
		if m.Type == typ {
			return m
		}
	}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestBehindNginx runs the server binary behind nginx, as README "Deploy"
// configures both, and uses it through the proxy only: pages, the API, a
// live session, a room whose link is the public URL, the origin check,
// and the join limit counted per real client.
func TestBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and starts nginx (skipped with -short)")
	}
	if _, err := exec.LookPath("nginx"); err != nil {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx is not installed (Debian: apt-get install nginx; .ci/run does): the test behind a real proxy skips")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := loadtest.Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := freePort(t)
	public := "http://" + proxyAddr
	// The environment, as a container would set it; the proxy on loopback
	// is trusted.
	srv := startServer(t, bin, []string{
		"SYNACK_PUBLIC_URL=" + public, "SYNACK_TRUSTED_PROXIES=127.0.0.1", "SYNACK_LOG_FORMAT=json",
	}, "-addr", "127.0.0.1:0")
	startNginx(t, proxyAddr, srv.addr)
	wsURL := "ws://" + proxyAddr + "/ws"

	t.Run("pages and API", func(t *testing.T) {
		for _, path := range []string{"/", "/scenarios", "/embed/client-closes-first", "/learn", "/api/scenarios", "/healthz"} {
			resp, body := get(t, public+path)
			if resp.StatusCode != http.StatusOK || body == "" {
				t.Errorf("%s through nginx: %s", path, resp.Status)
			}
		}
		_, body := get(t, public+"/")
		asset := regexp.MustCompile(`src="(/static/[^"]+\.js)"`).FindStringSubmatch(body)
		if asset == nil {
			t.Fatal("the app page names no script")
		}
		if resp, _ := get(t, public+asset[1]); resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %s, Access-Control-Allow-Origin %q", asset[1], resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})

	t.Run("live session from the public origin", func(t *testing.T) {
		c, resp, err := dial(t, wsURL, public, "")
		if err != nil {
			t.Fatalf("the page's own origin refused through nginx: %v (%v)", err, resp)
		}
		defer c.Close()
		send(t, c, `{"type": "load", "scenario": "client-closes-first"}`)
		expect(t, c, "loaded")
		send(t, c, `{"type": "step"}`)
		if m := expect(t, c, "event"); len(m.Event) == 0 {
			t.Error("empty event")
		}
	})

	t.Run("origin check", func(t *testing.T) {
		for _, tt := range []struct {
			origin string
			ok     bool
		}{
			{"", true},
			{public, true},
			// nginx's default Host is the upstream's address: a page
			// served from there is this server's too.
			{"http://" + srv.addr, true},
			{"https://" + proxyAddr, false},
			{"http://evil.example", false},
			{"null", false},
		} {
			c, resp, err := dial(t, wsURL, tt.origin, "")
			if tt.ok {
				if err != nil {
					t.Errorf("origin %q refused: %v", tt.origin, err)
				} else {
					c.Close()
				}
				continue
			}
			if err == nil {
				c.Close()
				t.Errorf("origin %q accepted", tt.origin)
			} else if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("origin %q: %v (%v), want 403", tt.origin, err, resp)
			}
		}
	})

	t.Run("room link and QR code use the public URL", func(t *testing.T) {
		p, _, err := dial(t, wsURL, public, "")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		send(t, p, `{"type": "load", "scenario": "client-closes-first"}`)
		expect(t, p, "loaded")
		send(t, p, `{"type": "share"}`)
		shared := expect(t, p, "shared")
		if want := public + "/?room=" + shared.Room; shared.URL != want {
			t.Errorf("room link %q, want %q", shared.URL, want)
		}
		if resp, body := get(t, public+shared.QR); resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "<svg") {
			t.Errorf("QR code through nginx: %s", resp.Status)
		}
		v, _, err := dial(t, wsURL+"?room="+strings.ToLower(shared.Room), public, "")
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if m := expect(t, v, "room"); m.State != "joined" || m.Room != shared.Room {
			t.Errorf("viewer's first room message %+v", m)
		}
		expect(t, v, "loaded")
		send(t, p, `{"type": "step"}`)
		expect(t, v, "event")
	})

	t.Run("failed joins are limited per real client", func(t *testing.T) {
		joinUnknown := func(client string) int {
			c, resp, err := dial(t, wsURL+"?room=ZZZZZZ", public, client)
			if err == nil {
				defer c.Close()
				expect(t, c, "error")
				return http.StatusSwitchingProtocols
			}
			if resp == nil {
				t.Fatalf("join as %s: %v", client, err)
			}
			return resp.StatusCode
		}
		for i := range 20 {
			if got := joinUnknown("198.51.100.1"); got != http.StatusSwitchingProtocols {
				t.Fatalf("failed join %d of 198.51.100.1: %d", i+1, got)
			}
		}
		if got := joinUnknown("198.51.100.1"); got != http.StatusTooManyRequests {
			t.Errorf("join 21 of 198.51.100.1: %d, want 429", got)
		}
		// Another student behind the same proxy is not locked out.
		if got := joinUnknown("198.51.100.2"); got != http.StatusSwitchingProtocols {
			t.Errorf("first join of 198.51.100.2: %d, want the WebSocket", got)
		}
	})

	t.Run("upgrades logged as 101", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(srv.log(), `"path":"/ws","status":101`) {
			if time.Now().After(deadline) {
				t.Fatalf("no /ws request logged with 101:\n%s", srv.log())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
