// Package web serves synack over HTTP: the JSON API of the contract, the
// pages and the static files.
//
// Handlers hold no logic: they decode the request, call the engine or an
// exporter, and encode the answer. Errors are wrapped with context, logged
// with log/slog, and answered as JSON {"error": "..."} in words a user
// understands (errors.go).
package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
	"github.com/synack/synack/static"
	"github.com/synack/synack/templates"
)

// Config tunes a Server. Zero fields take the defaults below.
type Config struct {
	// APITimeout bounds one API or page request, a scenario run included.
	// Default 10s.
	APITimeout time.Duration
	// MaxRuns bounds how many POST /api/run runs go on at once. Default
	// 4 × GOMAXPROCS.
	MaxRuns int
	// RunQueueWait is how long a run waits for a free slot before the
	// server answers 503. Default 1s.
	RunQueueWait time.Duration
	// Live tunes the live sessions on /ws (ws.go).
	Live LiveConfig
	// Proxy says where users reach the server and which reverse proxies
	// speak for them (proxy.go).
	Proxy ProxyConfig
	// KernelPeer lets the app page run a scenario with this machine's
	// kernel as the server (-kernel-peer; kernelpeer.go). New fails when
	// the machine cannot (it needs root on Linux).
	KernelPeer bool
	// MaxKernelRuns bounds runs against the kernel at once. Default 2.
	MaxKernelRuns int
	// NATSURL, when set, carries classroom rooms across every instance
	// connected to that NATS server (-nats-url; roombus_nats.go). New
	// fails when it cannot connect.
	NATSURL string
}

func (c Config) withDefaults() Config {
	if c.APITimeout <= 0 {
		c.APITimeout = 10 * time.Second
	}
	if c.MaxRuns <= 0 {
		c.MaxRuns = 4 * runtime.GOMAXPROCS(0)
	}
	if c.RunQueueWait <= 0 {
		c.RunQueueWait = time.Second
	}
	return c
}

// Server is synack's HTTP application.
type Server struct {
	cfg        Config
	log        *slog.Logger
	runs       *runner
	builtins   *builtinTraces
	summaries  []scenarioSummary
	pageAssets templates.Assets
	router     *chi.Mux
	live       *liveHub
	proxy      proxy
	kernel     *kernelRuns

	mu         sync.Mutex
	onShutdown []func()
}

// New builds a Server.
func New(cfg Config, logger *slog.Logger) (*Server, error) {
	assets, err := static.New()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	cfg = cfg.withDefaults()
	all := scenarios.All()
	s := &Server{
		cfg:       cfg,
		log:       logger,
		runs:      newRunner(cfg.MaxRuns, cfg.RunQueueWait),
		builtins:  newBuiltinTraces(all),
		summaries: summarize(all),
		proxy:     proxy{cfg: cfg.Proxy},
		pageAssets: templates.Assets{
			Stylesheet:       assets.URL("app.css"),
			Icon:             assets.URL("favicon.svg"),
			LadderStylesheet: assets.URL("ladder.css"),
			Boot:             assets.URL("js/boot.js"),
			App:              assets.URL("js/app.js"),
			Preload:          assets.Imports("js/app.js"),
			Editor:           assets.URL("js/editor.js"),
			EditorStylesheet: assets.URL("editor.css"),
		},
	}
	if err := s.setupKernelPeer(); err != nil {
		return nil, err
	}
	s.router = s.routes(assets)
	if cfg.NATSURL != "" {
		bus, err := dialNATS(cfg.NATSURL, logger)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		s.live.rooms.bus = bus
		s.OnShutdown(bus.close)
	}
	return s, nil
}

// Handler is the HTTP handler of every route.
func (s *Server) Handler() http.Handler { return s.router }

// OnShutdown registers f to run when the HTTP server shuts down, to close
// what Shutdown cannot: hijacked connections such as WebSockets.
func (s *Server) OnShutdown(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onShutdown = append(s.onShutdown, f)
}

// Shutdown runs the functions registered with OnShutdown, each once. Pass it
// to http.Server.RegisterOnShutdown.
func (s *Server) Shutdown() {
	s.mu.Lock()
	hooks := s.onShutdown
	s.onShutdown = nil
	s.mu.Unlock()
	for _, f := range hooks {
		f()
	}
}

func (s *Server) routes(assets *static.Assets) *chi.Mux {
	// Text is worth gzipping; pcap captures are small binary files.
	compress := middleware.Compress(5, "application/json", "text/html", "text/css",
		"text/plain", "text/javascript", "image/svg+xml")
	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.logRequests, s.recoverPanics, securityHeaders, middleware.GetHead)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Get("/healthz", healthz)
	learn := newLearnPages(s, assets)

	r.Route("/api", func(r chi.Router) {
		r.Use(withTimeout(s.cfg.APITimeout), compress)
		// The read-only API may be read by any page (allowAnyOrigin).
		r.Group(func(r chi.Router) {
			r.Use(allowAnyOrigin)
			r.Get("/scenarios", s.listScenarios)
			r.Get("/scenarios/{id}", s.errorsTo(getScenario))
			r.Get("/scenarios/{id}/trace", s.errorsTo(s.getTrace))
			r.Get("/lessons", listLessons)
			r.Get("/strings/{group}", s.errorsTo(getStrings))
			r.Get("/vocabulary", getVocabulary)
			r.Get("/lessons/{id}", s.errorsTo(getLesson))
			r.Get("/rooms/{code}/qr.svg", s.errorsTo(s.roomQR))
		})
		r.With(s.limitBody(engine.MaxScenarioBytes, &http.MaxBytesError{Limit: engine.MaxScenarioBytes})).
			Post("/run", s.errorsTo(s.runScenario))
		// A capture file: its own limit, checked in the handler.
		r.Post("/captures", s.errorsTo(s.postCapture))
		s.kernelRoutes(r)
	})

	// Pages. The app may be framed by its own pages only; /embed/{id} is
	// made for other sites' iframes (frame-ancestors *).
	r.Group(func(r chi.Router) {
		r.Use(withTimeout(s.cfg.APITimeout), pageHeaders(pageCSP), compress)
		r.Get("/", s.errorsTo(s.app))
		r.Get("/scenarios", s.errorsTo(s.index))
		r.Get("/learn", s.errorsTo(learn.index))
		r.Get("/learn/{id}", s.errorsTo(learn.lesson))
		r.Get("/editor", s.errorsTo(s.editor))
	})
	r.Group(func(r chi.Router) {
		r.Use(withTimeout(s.cfg.APITimeout), pageHeaders(embedCSP), compress)
		r.Get("/embed/{id}", s.errorsTo(s.embed))
		r.Get("/embed/custom", s.errorsTo(s.embedCustom))
		r.Get("/embed/lesson/{id}", s.errorsTo(learn.lesson))
	})

	r.With(allowAnyOrigin, compress).Get(static.Prefix+"*", assets.ServeHTTP)
	r.With(withTimeout(s.cfg.APITimeout), allowAnyOrigin, compress).Get("/oembed", s.errorsTo(s.oembed))
	r.With(allowAnyOrigin, compress).Get("/i18n/{file}", s.errorsTo(pageCatalogue))

	// Live sessions: /ws mounts here, outside every timeout above (a
	// session lasts minutes; it keeps its own deadlines and is closed
	// through OnShutdown).
	s.live = newLiveHub(s, s.cfg.Live)
	r.Get("/ws", s.live.ServeHTTP)
	return r
}
