package web

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// handlerFunc is a handler that returns its error; errorsTo answers it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorsTo adapts h to net/http, answering h's error with s.fail.
func (s *Server) errorsTo(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// scenarioSummary is one entry of GET /api/scenarios.
type scenarioSummary struct {
	ID      string      `json:"id"`
	Title   engine.Text `json:"title"`
	Summary engine.Text `json:"summary"`
}

func summarize(all []*engine.Scenario) []scenarioSummary {
	list := make([]scenarioSummary, len(all))
	for i, sc := range all {
		list[i] = scenarioSummary{ID: sc.ID, Title: sc.Title, Summary: sc.Summary}
	}
	return list
}

func unknownScenario(id string) error {
	return &requestError{status: http.StatusNotFound, msg: "there is no built-in scenario " + quoteShort(id)}
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// listScenarios answers GET /api/scenarios.
func (s *Server) listScenarios(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.summaries)
}

// getScenario answers GET /api/scenarios/{id}.
func getScenario(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	sc, ok := scenarios.Get(id)
	if !ok {
		return unknownScenario(id)
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

// getTrace answers GET /api/scenarios/{id}/trace.
func (s *Server) getTrace(w http.ResponseWriter, r *http.Request) error {
	out, err := parseOutput(r.URL.Query())
	if err != nil {
		return err
	}
	rd, err := s.builtins.render(chi.URLParam(r, "id"), out)
	if err != nil {
		return err
	}
	rd.write(w)
	return nil
}

// runScenario answers POST /api/run.
func (s *Server) runScenario(w http.ResponseWriter, r *http.Request) error {
	out, err := parseOutput(r.URL.Query())
	if err != nil {
		return err
	}
	if err := checkJSON(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := readBody(w, r, engine.MaxScenarioBytes) // and limitBody
	if err != nil {
		return fmt.Errorf("reading the posted scenario: %w", err)
	}
	sc, err := engine.DecodeScenario(body)
	if err != nil {
		return fmt.Errorf("reading the posted scenario: %w", err)
	}
	tr, err := s.runs.run(r.Context(), sc)
	if err != nil {
		return err
	}
	rd, err := render(tr, out, sc.ID)
	if err != nil {
		return err
	}
	rd.write(w)
	return nil
}

// checkJSON accepts a request body declared as JSON (application/json,
// text/json or any +json type), or not declared at all.
func checkJSON(contentType string) error {
	if contentType == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &requestError{
		status: http.StatusUnsupportedMediaType,
		msg:    "send the scenario as JSON, with Content-Type: application/json",
	}
}
