// Command server serves synack: the HTTP API, the pages and the static
// files. It stops gracefully on SIGINT or SIGTERM.
//
//	server [-addr :8080] [-public-url URL] [-allowed-origins A,B] [-trusted-proxies CIDR,...]
//	       [-log-level info] [-log-format text|json] [-debug-addr 127.0.0.1:6060] [-kernel-peer] [-nats-url nats://host:4222]
//	       [-max-conns 4000]
//	server -healthcheck [-addr :8080]
//	server -version
//
// Every flag may also come from the environment as SYNACK_ and the flag's
// name in upper case with - as _ (SYNACK_PUBLIC_URL); the command line
// wins. PORT, when set and the address is not, serves on :$PORT.
//
// With -healthcheck it asks a running server's /healthz instead, at the
// address the server itself would listen on (so the same environment gives
// the same address), and exits 0 when it answers 200: container images
// without curl use it as their health check. With -debug-addr it also
// serves expvar (/debug/vars, with runtime.MemStats, "rooms",
// web.RoomStats, and "synack", web.Counters) and net/http/pprof
// (/debug/pprof/) on that address, and only there: keep it private. With
// -kernel-peer the app page can put this machine's Linux kernel at the
// server's end of a scenario (web/kernelpeer.go); it needs root, and the
// server refuses to start when the kernel cannot.
package main

import (
	"context"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/netutil"

	"github.com/synack/synack/web"
)

// Server timeouts. Reading is bounded here; handlers bound their own work
// (web.Config.APITimeout). WriteTimeout does not reach WebSockets: net/http
// clears a connection's deadlines when a handler hijacks it.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second
	// shutdownGrace is how long requests in progress have to finish at
	// shutdown; connections still open after it (a slow upload) are
	// closed. Runs take at most the engine's budget, far less.
	shutdownGrace = 3 * time.Second
	// hooksTimeout bounds the wait for the live sessions to close, which
	// take up to web.LiveConfig.ShutdownWait and a write's wait.
	hooksTimeout  = 15 * time.Second
	healthTimeout = 3 * time.Second
	// maxHeaderBytes bounds a request's header (Go's default is 1 MiB);
	// past it the answer is 431.
	maxHeaderBytes = 32 << 10
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "synack:", err)
		os.Exit(1)
	}
}

// run reads the command line and the environment and serves until ctx
// ends or a signal comes.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if opts.version {
		info, _ := debug.ReadBuildInfo()
		_, err := fmt.Fprintln(stdout, versionText(info))
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.healthcheck {
		return checkHealth(ctx, opts.addr)
	}
	logger := slog.New(opts.logHandler(stderr))
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return err
	}
	ln = netutil.LimitListener(ln, opts.maxConns)
	if opts.debugAddr != "" {
		dln, err := net.Listen("tcp", opts.debugAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("debug server: %w", err)
		}
		stop := serveDebug(dln, logger)
		defer stop()
	}
	cfg := web.Config{Proxy: opts.proxy, KernelPeer: opts.kernelPeer, NATSURL: opts.natsURL}
	cfg.Live.MaxSessionsPerClient = opts.sessionsPerClient
	if cfg.Proxy.PublicURL == "" {
		cfg.Proxy.LANURL = web.LANURL(ln.Addr())
	}
	return serve(ctx, ln, cfg, logger)
}

// serving is the app being served, for expvar "rooms" (its classroom rooms
// and their fan-out times). expvar is process-wide: so is this.
var serving atomic.Pointer[web.Server]

func init() {
	expvar.Publish("rooms", expvar.Func(func() any {
		if app := serving.Load(); app != nil {
			return app.RoomStats()
		}
		return nil
	}))
	expvar.Publish("synack", expvar.Func(func() any {
		if app := serving.Load(); app != nil {
			return app.Counters()
		}
		return nil
	}))
}

// serveDebug serves expvar and pprof on ln until stop is called. They are
// on their own listener so that the public address never exposes them.
func serveDebug(ln net.Listener, logger *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("GET /debug/vars", expvar.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// No write timeout: a CPU profile or trace takes as long as it asks.
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(ln) }()
	logger.Info("serving debug endpoints", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }
}

// serve runs the HTTP server on ln until ctx ends, then shuts it down,
// letting requests in progress finish.
func serve(ctx context.Context, ln net.Listener, cfg web.Config, logger *slog.Logger) error {
	app, err := web.New(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	serving.Store(app)
	srv := &http.Server{
		Handler:           app.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Shutdown starts the hooks (closing live sessions with 1001) but
	// does not wait for them; serve does, within hooksTimeout.
	hooksDone := make(chan struct{})
	srv.RegisterOnShutdown(func() {
		defer close(hooksDone)
		app.Shutdown()
	})

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	attrs := []any{"addr", ln.Addr().String()}
	if cfg.Proxy.PublicURL != "" {
		attrs = append(attrs, "public_url", cfg.Proxy.PublicURL)
	}
	logger.Info("serving", attrs...)

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(graceCtx); errors.Is(err, context.DeadlineExceeded) {
		// A client still sending its request, or reading its answer, too
		// slowly: its connection is closed. Not a failure of the server's.
		logger.Warn("closing the connections still open after the grace period", "grace", shutdownGrace)
		_ = srv.Close()
	} else if err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	hooksWait := time.NewTimer(hooksTimeout)
	defer hooksWait.Stop()
	select {
	case <-hooksDone:
	case <-hooksWait.C:
		return fmt.Errorf("shutting down live sessions: not done after %v", hooksTimeout)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// checkHealth asks the server listening on addr for /healthz, over
// loopback when addr names no host or every host.
func checkHealth(ctx context.Context, addr string) error {
	hostPort, err := healthAddr(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	url := "http://" + hostPort + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}
