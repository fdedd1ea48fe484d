package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"

	"github.com/synack/synack/capture"
	"github.com/synack/synack/i18n"
)

// postCapture answers POST /api/captures: a pcap or pcapng file in, one
// trace per TCP connection out (package capture). Reading takes one of the
// run slots, before the body is read, so that no more than MaxRuns files
// are held in memory at once.
func (s *Server) postCapture(w http.ResponseWriter, r *http.Request) error {
	if err := checkCaptureType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	if r.ContentLength > capture.MaxFileBytes {
		return captureTooLarge()
	}
	if err := s.runs.acquire(r.Context()); err != nil {
		return err
	}
	defer s.runs.release()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, capture.MaxFileBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return captureTooLarge()
	case err != nil:
		return badRequest("the capture could not be read: %v", err)
	}
	res, err := readCapture(body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// captureKeys are the catalogue keys only the capture view uses: the app
// page leaves them out of its inline catalogues (templates.pageOnlyKeys),
// and capture.js fetches them the first time it opens.
var captureKeys = []string{"capture.", "insp.ip6.", "insp.layer_ip6"}

// captureStrings answers GET /api/strings/capture: {"en": {key: text}, "zh":
// {…}} for the capture view.
func captureStrings(w http.ResponseWriter, _ *http.Request) {
	all := map[string]i18n.Catalogue{}
	for _, lang := range i18n.Langs() {
		all[lang] = i18n.For(lang).Only(captureKeys...)
	}
	writeJSON(w, http.StatusOK, all)
}

// readCapture reads the file, answering its errors with the status the API
// gives them; a panic (a bug) becomes a server error, not a crash.
func readCapture(body []byte) (res *capture.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, &panicError{value: v, stack: debug.Stack()}
		}
	}()
	res, err = capture.Read(body)
	var formatErr *capture.FormatError
	var limitErr *capture.LimitError
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, capture.ErrTooLarge):
		return nil, captureTooLarge()
	case errors.As(err, &limitErr):
		return nil, &requestError{status: http.StatusRequestEntityTooLarge, msg: limitErr.Error()}
	case errors.Is(err, capture.ErrNoTCP):
		return nil, &requestError{status: http.StatusUnprocessableEntity, msg: err.Error()}
	case errors.Is(err, capture.ErrNotCapture), errors.Is(err, capture.ErrEmpty), errors.As(err, &formatErr):
		return nil, &requestError{status: http.StatusBadRequest, msg: clip(err.Error())}
	}
	return nil, fmt.Errorf("reading capture: %w", err)
}

func captureTooLarge() error {
	return &requestError{status: http.StatusRequestEntityTooLarge, msg: capture.ErrTooLarge.Error()}
}

// checkCaptureType accepts a body declared as a capture file or as bytes,
// or not declared.
func checkCaptureType(contentType string) error {
	if contentType == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch mt {
		case "application/octet-stream", "application/vnd.tcpdump.pcap", "application/x-pcapng":
			return nil
		}
	}
	return &requestError{
		status: http.StatusUnsupportedMediaType,
		msg:    "send the capture file as it is, with Content-Type: application/octet-stream or application/vnd.tcpdump.pcap",
	}
}
