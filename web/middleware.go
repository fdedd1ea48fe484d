package web

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5/middleware"
)

// Content-Security-Policy values. Every answer gets the strict one; pages
// replace it with one that lets them load their own scripts, styles and
// images and talk to their own server (WebSocket included). The app may be
// framed only by the site itself; the embeddable view by any site.
const (
	strictCSP   = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	basePageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	pageCSP  = basePageCSP + "frame-ancestors 'self'"
	embedCSP = basePageCSP + "frame-ancestors *"
)

// logRequests logs one line per request and returns the request id in the
// X-Request-Id header, so that a user can quote it.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := middleware.GetReqID(r.Context())
		w.Header().Set(middleware.RequestIDHeader, id)
		hj := &hijackRecorder{ResponseWriter: w}
		ww := middleware.NewWrapResponseWriter(hj, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" {
			level = slog.LevelDebug
		}
		status := ww.Status()
		switch {
		case hj.hijacked && status == 0:
			// The WebSocket upgrader wrote its 101 on the hijacked
			// connection, where the wrapper does not see it.
			status = http.StatusSwitchingProtocols
		case status == 0:
			status = http.StatusOK // net/http's answer to a handler that wrote nothing
		}
		s.log.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", id),
		)
	})
}

// hijackRecorder notes that a handler took the connection over.
type hijackRecorder struct {
	http.ResponseWriter
	hijacked bool
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("the connection cannot be taken over")
	}
	conn, rw, err := hj.Hijack()
	h.hijacked = err == nil
	return conn, rw, err
}

func (h *hijackRecorder) Flush() {
	if f, ok := h.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// recoverPanics turns a panicking handler into a logged 500 answer, so that
// one bad request never takes the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's way to abort a response; it logs nothing.
			}
			s.fail(w, r, &panicError{value: v, stack: debug.Stack()})
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", strictCSP)
		next.ServeHTTP(w, r)
	})
}

// pageHeaders gives a page its Content-Security-Policy.
func pageHeaders(csp string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", csp)
			next.ServeHTTP(w, r)
		})
	}
}

// limitBody refuses a body declared larger than max from its
// Content-Length, before reading any of it (413, which the client learns
// before it sends the body when it asked with Expect: 100-continue), and
// stops reading one that grows past max without saying so.
func (s *Server) limitBody(max int64, tooLarge error) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				w.Header().Set("Connection", "close")
				s.fail(w, r, tooLarge)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, max)
			next.ServeHTTP(w, r)
		})
	}
}

// allowAnyOrigin lets pages of any origin read the answer, an opaque one
// (a sandboxed iframe) included: for the static files, which the embed's
// module scripts are fetched as (in CORS mode), and for the read-only API,
// which its recorded run comes from. Nothing answered here depends on
// cookies or on who asks.
func allowAnyOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		next.ServeHTTP(w, r)
	})
}

// withTimeout gives each request a context deadline. Handlers that wait
// (a scenario run) give up when it passes; http.Server's own timeouts bound
// reading the request.
func withTimeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
