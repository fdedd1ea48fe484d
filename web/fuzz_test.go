package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRun posts arbitrary bodies to /api/run: whatever the body, the answer
// is never a server error, except 503 when the server is busy.
func FuzzRun(f *testing.F) {
	docs, err := filepath.Glob("../scenarios/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range docs {
		doc, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc)
	}
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"steps": [{"at_ms": 0, "endpoint": "client", "call": "connect"}]}`,
		`{"steps": [{"at_ms": 0, "endpoint": "client", "call": "connect"}, {"at_ms": 0, "endpoint": "server", "call": "connect"}]}`,
		`{"faults": [{"inject": {"at_ms": 0, "from": "client", "flags": ["RST"], "seq": 1}}]}`,
		`{"faults": [{"flood": {"at_ms": 0, "count": 1000, "interval_ms": 0}}], "until_ms": 3600000}`,
		`{"options": {"mtu": 0, "rcv_buf": -1}}`,
	} {
		f.Add([]byte(seed))
	}
	h := newTestServer(f, Config{}).Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/api/run", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body)
		}
	})
}
