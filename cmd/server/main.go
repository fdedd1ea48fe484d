// Command server serves synack: the HTTP API, the pages and the static
// files. It stops gracefully on SIGINT or SIGTERM.
//
//	server [-addr :8080] [-log-level info] [-debug-addr 127.0.0.1:6060] [-max-conns 4000]
//	server -healthcheck [-addr :8080]
//
// With -healthcheck it asks a running server's /healthz instead and exits 0
// when it answers 200: container images without curl use it as their
// health check. With -debug-addr it also serves expvar (/debug/vars, with
// runtime.MemStats and "rooms", web.RoomStats) and net/http/pprof (/debug/pprof/) on that address, and
// only there: keep it private.
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
	// defaultMaxConns is -max-conns's default: the 2,000 live sessions
	// and as many HTTP connections.
	defaultMaxConns = 4000
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "synack:", err)
		os.Exit(1)
	}
}

// run parses the command line and serves until ctx ends or a signal comes.
func run(ctx context.Context, args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("server", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", ":8080", "`host:port` to listen on")
	var level slog.Level
	flags.TextVar(&level, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	healthcheck := flags.Bool("healthcheck", false, "check the health of the server at -addr and exit")
	debugAddr := flags.String("debug-addr", "", "also serve expvar and pprof on `host:port` (default off; keep it private)")
	maxConns := flags.Int("max-conns", defaultMaxConns, "most connections open at once; more wait to be accepted")
	if err := flags.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flags.Args())
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *healthcheck {
		return checkHealth(ctx, *addr)
	}
	if *maxConns < 1 {
		return fmt.Errorf("-max-conns: must be at least 1, not %d", *maxConns)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	ln = netutil.LimitListener(ln, *maxConns)
	if *debugAddr != "" {
		dln, err := net.Listen("tcp", *debugAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("debug server: %w", err)
		}
		stop := serveDebug(dln, logger)
		defer stop()
	}
	return serve(ctx, ln, logger)
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
func serve(ctx context.Context, ln net.Listener, logger *slog.Logger) error {
	app, err := web.New(web.Config{}, logger)
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
	// does not wait for them; serve does, within shutdownTimeout.
	hooksDone := make(chan struct{})
	srv.RegisterOnShutdown(func() {
		defer close(hooksDone)
		app.Shutdown()
	})

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("serving", "addr", ln.Addr().String())

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
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/healthz"
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
