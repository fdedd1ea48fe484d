package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/synack/synack/engine"
)

// Errors the handlers answer with a status of their own.
var (
	errBusy          = errors.New("too many runs at once")
	errBuiltinFailed = errors.New("built-in scenario failed")
)

// requestError is a mistake in the request, answered with status and a
// message for the user.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// runError is a user's scenario that the engine could not run.
type runError struct{ err error }

func (e *runError) Error() string { return "running scenario: " + e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// panicError is a panic recovered in a handler or a run.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// answer chooses the status and the user's message for err, with the
// code and arguments a page words it by (error.<code> in the catalogues).
// Anything it does not know is the server's fault, and the user learns no
// more than that.
func answer(err error) (status int, msg *userError) {
	var reqErr *requestError
	var fieldErr *engine.FieldError
	var tooLarge *http.MaxBytesError
	var runErr *runError
	switch {
	case errors.As(err, &reqErr):
		return reqErr.status, userErrorf("refused", errArgs{"detail": reqErr.msg}, "%s", reqErr.msg)
	case errors.Is(err, errBuiltinFailed):
		return http.StatusInternalServerError, userErrorf("builtin-failed", nil,
			"this built-in scenario cannot run right now; the error has been logged")
	case errors.As(err, &tooLarge), errors.Is(err, engine.ErrTooLarge):
		kib := engine.MaxScenarioBytes >> 10
		return http.StatusRequestEntityTooLarge, userErrorf("too-large", errArgs{"kib": kib},
			"the scenario is larger than the limit of %d KiB", kib)
	case errors.As(err, &fieldErr):
		return http.StatusBadRequest, fieldError(fieldErr.Field, fieldErr)
	case errors.As(err, &runErr):
		detail := clip(runErr.err.Error())
		return http.StatusUnprocessableEntity, userErrorf("cannot-run", errArgs{"detail": detail},
			"%s", clip("the scenario cannot run: "+runErr.err.Error()))
	case errors.Is(err, errBusy):
		return http.StatusServiceUnavailable, userErrorf("busy", nil,
			"the server is busy running other scenarios; try again in a moment")
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, userErrorf("timeout", nil,
			"the request took too long and was stopped; try a shorter scenario")
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, userErrorf("cancelled", nil, "the request was cancelled")
	}
	return http.StatusInternalServerError, userErrorf("server-error", nil,
		"something went wrong on the server; the error has been logged")
}

// clip cuts a message that quotes a user's input, such as a number with
// thousands of digits, to a readable length.
func clip(msg string) string {
	const max = 300
	if len(msg) <= max {
		return msg
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}

// fail logs err and answers it as JSON. Server faults are logged as errors
// with the request id, which the answer quotes; a busy server as a warning;
// the user's own mistakes only at debug level.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, ue := answer(err)
	msg := ue.msg
	id := middleware.GetReqID(r.Context())
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.Int("status", status),
		slog.String("error", err.Error()),
	}
	level := slog.LevelDebug
	switch {
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
		w.Header().Set("Retry-After", "1")
	case status >= http.StatusInternalServerError:
		level = slog.LevelError
		msg += " (request " + id + ")"
		var p *panicError
		if errors.As(err, &p) {
			attrs = append(attrs, slog.String("stack", string(p.stack)))
		}
	}
	s.log.LogAttrs(r.Context(), level, "request failed", attrs...)
	writeJSON(w, status, errorBody{Error: msg, Code: ue.code, Args: ue.args})
}

// errorBody is the contract's error answer, {"error": "…"}, with the code
// and arguments a page words it by in its own language (error.<code> in
// the catalogues), as live sessions' errors carry them.
type errorBody struct {
	Error string  `json:"error"`
	Code  string  `json:"code,omitempty"`
	Args  errArgs `json:"args,omitempty"`
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, &requestError{status: http.StatusNotFound, msg: clip("there is nothing at " + r.URL.Path)})
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	for _, m := range s.allowedMethods(r.URL.Path) {
		w.Header().Add("Allow", m)
	}
	s.fail(w, r, &requestError{
		status: http.StatusMethodNotAllowed,
		msg:    clip(fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)),
	})
}

// allowedMethods lists the methods some route accepts for path, for the
// Allow header that a 405 answer must carry (RFC 9110 section 15.5.6). HEAD
// goes wherever GET does (middleware.GetHead).
func (s *Server) allowedMethods(path string) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		if s.router.Match(chi.NewRouteContext(), m, path) {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead)
			}
		}
	}
	return allowed
}
