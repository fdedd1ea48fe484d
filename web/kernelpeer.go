package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/kernelpeer"
	"github.com/synack/synack/scenarios"
	"github.com/synack/synack/templates"
)

// This file puts the Linux kernel of the machine the server runs on at one
// end of a scenario (-kernel-peer, Config.KernelPeer), the server's
// (?peer=kernel) or the client's (?peer=kernel-client): the app page offers
// it to a teacher ("this is what your own computer does"), and these routes
// run it. kernelpeer does the work; each run has a network namespace
// and a TUN device of its own, removed when the run ends.
//
//	GET  /api/kernel/scenarios/{id}/trace   a built-in scenario
//	POST /api/kernel/run                    a posted scenario
//
// Both answer a trace as GET /api/scenarios/{id}/trace and POST /api/run do,
// with the same ?format= and &lang=; ?role=client puts the kernel at the
// client's end (default ?role=server), once the run is over: the kernel's
// timers run in real time, so a run takes as long as it covers, at most
// kernelHorizon.
//
// With ?format=ndjson they answer as the run goes instead (streamKernel):
// one JSON object a line, flushed as the kernel and the engine act, so the
// page draws the kernel's segments live.

// kernelHorizon is the virtual (and real) time a run against the kernel
// covers at most: the first retransmissions, not TIME-WAIT's 60 s.
const kernelHorizon = 5 * time.Second

// defaultMaxKernelRuns bounds runs against the kernel at once: each holds a
// namespace, a device and a thread for up to kernelHorizon.
const defaultMaxKernelRuns = 2

// kernelRuns admits runs against the kernel, a bounded number at once.
type kernelRuns struct {
	slots chan struct{}
}

// setupKernelPeer checks that this machine can run the kernel as a peer
// when Config.KernelPeer asks for it: a server told to offer it that cannot
// says so at start, not to the first teacher who tries.
func (s *Server) setupKernelPeer() error {
	if !s.cfg.KernelPeer {
		return nil
	}
	if err := kernelpeer.Available(); err != nil {
		return fmt.Errorf("-kernel-peer: %w", err)
	}
	n := s.cfg.MaxKernelRuns
	if n <= 0 {
		n = defaultMaxKernelRuns
	}
	s.kernel = &kernelRuns{slots: make(chan struct{}, n)}
	return nil
}

// kernelPeers are the values of the app page's ?peer=: the endpoint the
// kernel takes.
var kernelPeers = map[string]string{"kernel": engine.Server, "kernel-client": engine.Client}

// kernelPage tells the app page whether to offer the kernel, and whether
// this page (?peer=kernel, ?peer=kernel-client) runs its scenarios against
// it, and at which end.
func (s *Server) kernelPage(cfg *templates.Config, r *http.Request) {
	cfg.KernelPeer = s.kernel != nil
	if role, ok := kernelPeers[r.URL.Query().Get("peer")]; ok && cfg.KernelPeer {
		cfg.OnKernel = true
		cfg.KernelRole = role
	}
}

// kernelRole reads ?role=: the endpoint the kernel takes, server unless
// said.
func kernelRole(r *http.Request) (string, error) {
	switch role := r.URL.Query().Get("role"); role {
	case "", engine.Server:
		return engine.Server, nil
	case engine.Client:
		return engine.Client, nil
	default:
		return "", badRequest("role %q: the kernel can be the %q or the %q", role, engine.Server, engine.Client)
	}
}

// kernelRoutes mounts the routes under /api, when the kernel peer is on.
func (s *Server) kernelRoutes(r chi.Router) {
	if s.kernel == nil {
		return
	}
	r.Get("/kernel/scenarios/{id}/trace", s.errorsTo(s.kernelTrace))
	r.With(s.limitBody(engine.MaxScenarioBytes, &http.MaxBytesError{Limit: engine.MaxScenarioBytes})).
		Post("/kernel/run", s.errorsTo(s.kernelRunPosted))
}

// kernelTrace answers GET /api/kernel/scenarios/{id}/trace.
func (s *Server) kernelTrace(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	sc, ok := scenarios.Get(id)
	if !ok {
		return unknownScenario(id)
	}
	return s.runOnKernel(w, r, sc)
}

// kernelRunPosted answers POST /api/kernel/run.
func (s *Server) kernelRunPosted(w http.ResponseWriter, r *http.Request) error {
	if err := checkJSON(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	sc, err := engine.ParseScenario(http.MaxBytesReader(w, r.Body, engine.MaxScenarioBytes))
	if err != nil {
		return fmt.Errorf("reading the posted scenario: %w", err)
	}
	return s.runOnKernel(w, r, sc)
}

// runOnKernel runs sc with the kernel at the end ?role= names and answers
// its trace.
// A run that finds every slot taken is answered 503 at once: waiting for
// one would take seconds.
func (s *Server) runOnKernel(w http.ResponseWriter, r *http.Request, sc *engine.Scenario) error {
	live := r.URL.Query().Get("format") == formatNDJSON
	var out output
	if !live {
		o, err := parseOutput(r.URL.Query())
		if err != nil {
			return err
		}
		out = o
	}
	role, err := kernelRole(r)
	if err != nil {
		return err
	}
	select {
	case s.kernel.slots <- struct{}{}:
		defer func() { <-s.kernel.slots }()
	default:
		return fmt.Errorf("%w: %d runs against the kernel already", errBusy, cap(s.kernel.slots))
	}
	if live {
		return streamKernel(w, r, sc, role)
	}
	rep, err := kernelpeer.Run(r.Context(), sc, role, kernelpeer.Options{Horizon: kernelHorizon})
	if err != nil {
		return fmt.Errorf("running %q against the kernel: %w", sc.ID, err)
	}
	rd, err := render(rep.Trace, out, sc.ID)
	if err != nil {
		return err
	}
	rd.write(w)
	return nil
}

// formatNDJSON is the kernel routes' live answer.
const formatNDJSON = "ndjson"

// kernelLine is one line of a live answer (?format=ndjson), by type:
//
//	{"type":"loaded","scenario":…,"endpoints":…}  first, when the run starts
//	{"type":"events","events":[…]}                each batch as it happens
//	{"type":"done","endpoints":…,"truncated":false} the run is over; the
//	                                              endpoints as they ended
//	                                              (a second connect takes
//	                                              a new client port)
//	{"type":"error","error":"…"}                  the run failed once started
//
// An error before the run starts (a bad role, every slot taken, no
// namespace) is answered as any other, with its status and no stream.
type kernelLine struct {
	Type      string            `json:"type"`
	Scenario  *engine.Scenario  `json:"scenario,omitempty"`
	Endpoints *engine.Endpoints `json:"endpoints,omitempty"`
	Events    []engine.Event    `json:"events,omitempty"`
	Truncated *bool             `json:"truncated,omitempty"`
	Error     string            `json:"error,omitempty"`
}

// streamKernel runs sc with the kernel at role and writes each batch of
// events as it happens, flushed at once. A write that fails (the client
// gone) stops the writing; the request's context, cancelled when the
// client goes, ends the run.
func streamKernel(w http.ResponseWriter, r *http.Request, sc *engine.Scenario, role string) error {
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	started := false
	var broken error
	send := func(l kernelLine) {
		if broken != nil {
			return
		}
		if broken = enc.Encode(l); broken == nil {
			broken = rc.Flush()
		}
	}
	rep, err := kernelpeer.Run(r.Context(), sc, role, kernelpeer.Options{
		Horizon: kernelHorizon,
		OnStart: func(sc *engine.Scenario, ep engine.Endpoints) {
			started = true
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			send(kernelLine{Type: "loaded", Scenario: sc, Endpoints: &ep})
		},
		OnEvents: func(evs []engine.Event) { send(kernelLine{Type: "events", Events: evs}) },
	})
	if err != nil {
		err = fmt.Errorf("running %q against the kernel: %w", sc.ID, err)
		if !started {
			return err
		}
		send(kernelLine{Type: "error", Error: err.Error()})
		return nil
	}
	send(kernelLine{Type: "done", Endpoints: &rep.Trace.Endpoints, Truncated: &rep.Trace.Truncated})
	return nil
}
