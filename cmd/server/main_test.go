package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/synack/synack/web"
)

func noEnv(string) string { return "" }

func envOf(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// TestServeAndShutdown serves on a random port, checks /healthz directly and
// through -healthcheck, then cancels the context and expects a clean stop.
func TestServeAndShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, web.Config{}, slog.New(slog.DiscardHandler)) }()

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("/healthz: %s %q", resp.Status, body)
	}
	if err := run(ctx, []string{"-healthcheck", "-addr", addr}, noEnv, io.Discard, io.Discard); err != nil {
		t.Errorf("-healthcheck: %v", err)
	}
	// The health check asks where the server would listen: the same
	// environment gives the same address.
	_, port, _ := net.SplitHostPort(addr)
	for _, env := range []map[string]string{
		{"SYNACK_ADDR": addr},
		{"SYNACK_ADDR": "0.0.0.0:" + port},
		{"PORT": port},
	} {
		if err := run(ctx, []string{"-healthcheck"}, envOf(env), io.Discard, io.Discard); err != nil {
			t.Errorf("-healthcheck with %v: %v", env, err)
		}
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if err := run(context.Background(), []string{"-healthcheck", "-addr", addr}, noEnv, io.Discard, io.Discard); err == nil {
		t.Error("-healthcheck succeeded after shutdown")
	}
}

// TestRunStops starts the whole program on a random port and stops it.
func TestRunStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var logs strings.Builder
	if err := run(ctx, []string{"-addr", "127.0.0.1:0", "-log-level", "debug"}, noEnv, io.Discard, &logs); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"msg=serving", "msg=\"shutting down\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"-log-level", "loud"},
		{"extra"},
		{"-addr", "not an address"},
		{"-healthcheck", "-addr", "nonsense"},
		{"-public-url", "synack.example.org"},
		{"-log-format", "xml"},
	} {
		if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
			t.Errorf("run %q succeeded", args)
		}
	}
}

// TestRunJSONLogs: -log-format json writes one JSON object a line.
func TestRunJSONLogs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var logs strings.Builder
	env := envOf(map[string]string{"SYNACK_LOG_FORMAT": "json", "SYNACK_PUBLIC_URL": "https://synack.example.org/"})
	if err := run(ctx, []string{"-addr", "127.0.0.1:0"}, env, io.Discard, &logs); err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
	}
	if !strings.Contains(lines[0], `"msg":"serving"`) || !strings.Contains(lines[0], `"public_url":"https://synack.example.org"`) {
		t.Errorf("first line %s", lines[0])
	}
}

func TestRunVersion(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"-version"}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "synack ") || !strings.Contains(out.String(), runtime.Version()) {
		t.Errorf("-version printed %q", out.String())
	}
}

func TestVersionText(t *testing.T) {
	for _, tt := range []struct {
		info *debug.BuildInfo
		want string
	}{
		{nil, "synack (no build information)"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "synack (devel), go1.26.8"},
		{&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "44bd791c0ffee0123456789abcdef0123456789a"},
			{Key: "vcs.time", Value: "2026-12-06T02:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, "synack v1.2.0 (commit 44bd791c0ffe, 2026-12-06T02:00:00Z, modified), go1.26.8"},
	} {
		if got := versionText(tt.info); got != tt.want {
			t.Errorf("versionText = %q, want %q", got, tt.want)
		}
	}
}

// TestParseOptions: flags, SYNACK_ variables (the command line wins) and
// PORT.
func TestParseOptions(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want func(o *options) string // "" when right
		err  string
	}{
		{name: "defaults", want: func(o *options) string {
			if o.addr != ":8080" || o.logFormat != "text" || o.logLevel != slog.LevelInfo || o.proxy.PublicURL != "" {
				return "not the defaults"
			}
			return ""
		}},
		{name: "environment", env: map[string]string{
			"SYNACK_ADDR": "127.0.0.1:9000", "SYNACK_LOG_LEVEL": "debug", "SYNACK_LOG_FORMAT": "json",
			"SYNACK_PUBLIC_URL": "HTTPS://Synack.Example.org", "SYNACK_ALLOWED_ORIGINS": "https://a.example, https://b.example:8443",
			"SYNACK_TRUSTED_PROXIES": "10.0.0.0/8,127.0.0.1", "SYNACK_DEBUG_ADDR": "127.0.0.1:6060", "PORT": "3000",
		}, want: func(o *options) string {
			if o.addr != "127.0.0.1:9000" || o.logLevel != slog.LevelDebug || o.logFormat != "json" || o.debugAddr != "127.0.0.1:6060" ||
				o.proxy.PublicURL != "https://synack.example.org" || len(o.proxy.AllowedOrigins) != 2 || len(o.proxy.TrustedProxies) != 2 {
				return fmt.Sprintf("%+v", *o)
			}
			return ""
		}},
		{name: "the command line wins", args: []string{"-addr", ":9001", "-public-url", "http://10.0.0.5:9001"},
			env: map[string]string{"SYNACK_ADDR": ":9000", "SYNACK_PUBLIC_URL": "https://nope.example", "PORT": "3000"},
			want: func(o *options) string {
				if o.addr != ":9001" || o.proxy.PublicURL != "http://10.0.0.5:9001" {
					return fmt.Sprintf("addr %s, public URL %s", o.addr, o.proxy.PublicURL)
				}
				return ""
			}},
		{name: "PORT without an address", env: map[string]string{"PORT": "3000"}, want: func(o *options) string {
			if o.addr != ":3000" {
				return o.addr
			}
			return ""
		}},
		{name: "kernel peer from the environment", env: map[string]string{"SYNACK_KERNEL_PEER": "true"}, want: func(o *options) string {
			if !o.kernelPeer {
				return "SYNACK_KERNEL_PEER=true did not turn -kernel-peer on"
			}
			return ""
		}},
		{name: "kernel peer off on the command line", args: []string{"-kernel-peer=false"}, env: map[string]string{"SYNACK_KERNEL_PEER": "1"},
			want: func(o *options) string {
				if o.kernelPeer {
					return "-kernel-peer=false did not win over SYNACK_KERNEL_PEER"
				}
				return ""
			}},
		{name: "a bad variable is named", env: map[string]string{"SYNACK_TRUSTED_PROXIES": "10.0.0.0/99"}, err: `SYNACK_TRUSTED_PROXIES="10.0.0.0/99"`},
		{name: "a bad log format", env: map[string]string{"SYNACK_LOG_FORMAT": "xml"}, err: "must be text or json"},
		{name: "a bad PORT", env: map[string]string{"PORT": "http"}, err: `PORT="http" is not a port number`},
		{name: "a bad public URL", args: []string{"-public-url", "https://x.example/synack"}, err: "without a path"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, envOf(tt.env), io.Discard)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.want(o); msg != "" {
				t.Error(msg)
			}
		})
	}
}
