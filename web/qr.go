package web

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"
	"rsc.io/qr"
)

// The QR code of a room's link, for the presenter to show.

// qrModulePixels is the size of one QR module in the SVG's default size.
const qrModulePixels = 8

// qrQuietZone is the light border around a QR code, in modules (ISO/IEC
// 18004 asks for 4).
const qrQuietZone = 4

// roomQR answers GET /api/rooms/{code}/qr.svg: the link to the room as a QR
// code, to project. Any well-formed code gets its picture, open or not, so
// the route tells nobody which rooms exist.
func (s *Server) roomQR(w http.ResponseWriter, r *http.Request) error {
	code, ok := normalizeCode(chi.URLParam(r, "code"))
	if !ok {
		return badRequest("code: a room code is %d letters and digits, such as ABC234", roomCodeLen)
	}
	if len(r.Host) > maxHostLen {
		return &requestError{status: http.StatusBadRequest,
			msg: fmt.Sprintf("Host: at most %d characters, a host name and a port", maxHostLen)}
	}
	svg, err := qrSVG(roomURL(s.proxy.publicBase(r), code))
	if err != nil {
		return fmt.Errorf("QR code of room %s: %w", code, err)
	}
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "private, max-age=86400")
	_, _ = w.Write(svg)
	return nil
}

// maxHostLen is the longest Host a room's link is made with: a DNS name
// (253) and a port.
const maxHostLen = 253 + len(":65535")

// qrSVG draws text as a QR code (error correction level M) in SVG: one
// path of dark modules on a light square with a quiet zone, crisp at any
// size.
func qrSVG(text string) ([]byte, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	n := code.Size + 2*qrQuietZone
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`,
		n, n, n*qrModulePixels, n*qrModulePixels)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := range code.Size {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.Bytes(), nil
}
