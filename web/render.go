package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/export"
	"github.com/synack/synack/i18n"
)

// Trace formats, as the format query parameter names them.
const (
	formatJSON    = "json"
	formatPCAP    = "pcap"
	formatPCAPNG  = "pcapng"
	formatMermaid = "mermaid"
)

// output is the form a trace is asked for in. Lang is set only for the
// formats with words in them: Mermaid, and pcapng's packet comments.
type output struct {
	format string
	lang   string
	// numbering is how Mermaid writes the numbers (?numbering=, relative
	// when absent).
	numbering export.Numbering
}

// parseOutput reads the format and lang query parameters. Both default (to
// JSON and English); values that are given must be known.
func parseOutput(q url.Values) (output, error) {
	switch format := q.Get("format"); format {
	case "", formatJSON:
		return output{format: formatJSON}, nil
	case formatPCAP:
		return output{format: formatPCAP}, nil
	case formatMermaid, formatPCAPNG:
		lang := q.Get("lang")
		if lang == "" {
			lang = i18n.EN
		}
		if !i18n.Supported(lang) {
			return output{}, badRequest("unknown lang %s: use %s", quoteShort(lang), strings.Join(i18n.Langs(), " or "))
		}
		out := output{format: format, lang: lang}
		if format == formatMermaid {
			n, err := export.ParseNumbering(q.Get("numbering"), export.NumberingRelative)
			if err != nil {
				return output{}, badRequest("unknown numbering %s: use absolute, relative or symbolic", quoteShort(q.Get("numbering")))
			}
			out.numbering = n
		}
		return out, nil
	default:
		return output{}, badRequest("unknown format %s: use json, pcap, pcapng or mermaid", quoteShort(format))
	}
}

// quoteShort quotes a user's value for an error message, cut short so that
// a huge value does not come back whole.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}

// rendering is an encoded trace, ready to send.
type rendering struct {
	contentType string
	filename    string // set for downloads
	body        []byte
}

// render encodes tr as out asks. name is the scenario's id; it names a
// downloaded capture.
func render(tr *engine.Trace, out output, name string) (rendering, error) {
	var buf bytes.Buffer
	switch out.format {
	case formatPCAP:
		if err := export.WritePCAP(&buf, tr); err != nil {
			return rendering{}, fmt.Errorf("writing pcap: %w", err)
		}
		if name == "" {
			name = "trace"
		}
		return rendering{contentType: "application/vnd.tcpdump.pcap", filename: name + ".pcap", body: buf.Bytes()}, nil
	case formatPCAPNG:
		if err := export.WritePCAPNG(&buf, tr, out.lang); err != nil {
			return rendering{}, fmt.Errorf("writing pcapng: %w", err)
		}
		if name == "" {
			name = "trace"
		}
		return rendering{contentType: "application/x-pcapng", filename: name + ".pcapng", body: buf.Bytes()}, nil
	case formatMermaid:
		if err := export.WriteMermaidNumbered(&buf, tr, out.lang, out.numbering); err != nil {
			return rendering{}, fmt.Errorf("writing mermaid: %w", err)
		}
		return rendering{contentType: "text/plain; charset=utf-8", body: buf.Bytes()}, nil
	}
	if out.format == formatPlan {
		body, err := encodePlan(tr)
		if err != nil {
			return rendering{}, fmt.Errorf("encoding plan: %w", err)
		}
		return rendering{contentType: "application/json", body: body}, nil
	}
	body, err := marshalJSON(tr)
	if err != nil {
		return rendering{}, fmt.Errorf("encoding trace: %w", err)
	}
	return rendering{contentType: "application/json", body: body}, nil
}

func (rd rendering) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", rd.contentType)
	if rd.filename != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rd.filename}))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rd.body) // a client that went away is no error of ours
}

// marshalJSON encodes v with a final newline, as curl users expect.
func marshalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJSON(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"the answer could not be encoded"}`+"\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
