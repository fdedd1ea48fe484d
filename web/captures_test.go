package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/synack/synack/capture"
	"github.com/synack/synack/engine"
)

func postCaptureFile(t *testing.T, h http.Handler, body []byte, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	header := map[string]string{}
	if contentType != "" {
		header["Content-Type"] = contentType
	}
	return request{method: http.MethodPost, target: "/api/captures", body: bytes.NewReader(body), header: header}.do(t, h)
}

// TestPostCapture posts a Linux capture (Ethernet, two connections, the
// second refused) and checks the contract's answer: connections in order,
// client and server, absolute sequence numbers, inferred states with RFC
// 9293's names, and a model scenario that the engine accepts.
func TestPostCapture(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	file, err := os.ReadFile("../capture/testdata/ethernet-ipv4.pcap")
	if err != nil {
		t.Fatal(err)
	}
	for _, ct := range []string{"application/octet-stream", "application/vnd.tcpdump.pcap", ""} {
		body := expect(t, postCaptureFile(t, h, file, ct), 200, "application/json")
		var res struct {
			Connections []struct {
				Scenario  json.RawMessage  `json:"scenario"`
				Endpoints engine.Endpoints `json:"endpoints"`
				Events    []map[string]any `json:"events"`
			} `json:"connections"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Connections) != 2 {
			t.Fatalf("%d connections, want 2", len(res.Connections))
		}
		first := res.Connections[0]
		if first.Endpoints.Client.Addr != "10.99.0.1" || first.Endpoints.Server.Addr != "10.99.0.2" || first.Endpoints.Server.Port != 40500 {
			t.Errorf("endpoints %+v", first.Endpoints)
		}
		var states []string
		segs := 0
		for _, ev := range first.Events {
			switch ev["kind"] {
			case "segment":
				segs++
				if segs == 1 && (ev["from"] != "client" || ev["seq"] != float64(first.Endpoints.Client.ISN)) {
					t.Errorf("first segment %v, want the client's SYN with its absolute ISN", ev)
				}
			case "state":
				states = append(states, ev["endpoint"].(string)+" "+ev["to"].(string))
				if ev["inferred"] == nil {
					t.Errorf("state event %v is not marked as an inference", ev)
				}
			}
		}
		if segs != 11 {
			t.Errorf("%d segments, want 11", segs)
		}
		want := "server LISTEN,client SYN-SENT,server SYN-RECEIVED,client ESTABLISHED,server ESTABLISHED"
		if got := strings.Join(states, ","); !strings.HasPrefix(got, want) || !strings.Contains(got, "client TIME-WAIT") {
			t.Errorf("states %s", got)
		}
		sc, err := engine.DecodeScenario(first.Scenario)
		if err != nil {
			t.Fatalf("the model is not a valid scenario: %v", err)
		}
		if sc.Steps[0].Call != "listen" || sc.Steps[1].Call != "connect" {
			t.Errorf("model steps %+v", sc.Steps)
		}
		// The model runs on POST /api/run as it is.
		expect(t, post(t, h, "/api/run", first.Scenario), 200, "application/json")
	}
}

// TestPostCaptureErrors: garbage, cut, empty and huge files, and files of
// another type, are answered with a 4xx and a message that says why.
func TestPostCaptureErrors(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	file, err := os.ReadFile("../capture/testdata/ethernet-ipv6.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		body   []byte
		ct     string
		status int
		word   string
	}{
		{"empty", nil, "application/octet-stream", 400, "empty"},
		{"garbage", []byte("<html><body>not a capture</body></html>"), "application/octet-stream", 400, "not a capture file"},
		{"cut", file[:len(file)-30], "application/octet-stream", 400, "cut short"},
		{"huge", make([]byte, capture.MaxFileBytes+1), "application/octet-stream", 413, "limit"},
		{"json", []byte(`{}`), "application/json", 415, "application/octet-stream"},
		{"text", file, "text/plain", 415, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := expectError(t, postCaptureFile(t, h, tt.body, tt.ct), tt.status)
			if !strings.Contains(msg, tt.word) {
				t.Errorf("message %q does not say %q", msg, tt.word)
			}
		})
	}
	w := request{method: http.MethodGet, target: "/api/captures"}.do(t, h)
	expectError(t, w, 405)
}
