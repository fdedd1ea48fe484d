package web

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
)

// readBody reads a request body of at most limit bytes. A body that is cut
// off, or that comes too slowly for the server's read timeout, is the
// client's mistake: a requestError (400 or 408), not a server fault.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return body, nil
	}
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return nil, err
	case errors.As(err, &netErr) && netErr.Timeout():
		return nil, &requestError{status: http.StatusRequestTimeout,
			msg: "the request body came too slowly and was given up"}
	}
	// The body ended early (io.ErrUnexpectedEOF), or the connection broke
	// while it came.
	return nil, &requestError{status: http.StatusBadRequest,
		msg: fmt.Sprintf("the request body was cut off after %d bytes", len(body))}
}
