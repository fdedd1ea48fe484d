package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenDiagrams are the built-in scenarios whose diagrams are kept as
// golden files, chosen to cover every kind of line: calls and their errors,
// states, delivered and dropped segments, retransmissions, injected and
// spoofed segments, timers and notes.
var goldenDiagrams = []struct{ id, lang string }{
	{"client-closes-first", "en"},
	{"client-closes-first", "zh"},
	{"connection-refused", "en"},
	{"syn-lost", "en"},
	{"old-duplicate-syn", "en"},
	{"rst-in-time-wait-rfc1337", "zh"},
	{"syn-flood-backlog", "en"},
}

func TestMermaidGolden(t *testing.T) {
	for _, g := range goldenDiagrams {
		t.Run(g.id+"."+g.lang, func(t *testing.T) {
			sc, ok := scenarios.Get(g.id)
			if !ok {
				t.Fatalf("no built-in scenario %s", g.id)
			}
			tr, err := engine.Run(sc)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteMermaid(&buf, tr, g.lang); err != nil {
				t.Fatal(err)
			}
			checkMermaidSyntax(t, buf.String())
			golden(t, filepath.Join("testdata", g.id+"."+g.lang+".mmd"), buf.Bytes())
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./export -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./export -update after checking the change):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// mermaidLine is the grammar of the lines WriteMermaid writes: a
// participant, an arrow or a note, with a label free of the characters that
// end a Mermaid statement or start HTML.
var mermaidLine = regexp.MustCompile(
	`^    (participant (Client|Server) as |(Client|Server)(->>|-x)(Client|Server): |Note over (Client|Server): )[^;#<>%\n]*$`)

func checkMermaidSyntax(t *testing.T, diagram string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(diagram, "\n"), "\n")
	if lines[0] != "sequenceDiagram" {
		t.Errorf("first line %q, want sequenceDiagram", lines[0])
	}
	for i, line := range lines[1:] {
		// Entity codes such as #59; are the one allowed use of '#' and ';'.
		plain := regexp.MustCompile(`#(\d+|lt|gt);`).ReplaceAllString(line, "")
		if !mermaidLine.MatchString(plain) {
			t.Errorf("line %d is not a sequenceDiagram line: %q", i+2, line)
		}
	}
}

// TestMermaidEscapes builds a trace by hand whose texts hold every
// character that breaks a Mermaid label.
func TestMermaidEscapes(t *testing.T) {
	tr := &engine.Trace{
		Endpoints: engine.Endpoints{
			Client: engine.EndpointInfo{Addr: "10.0.0.1", Port: 49152, ISN: 1000},
			Server: engine.EndpointInfo{Addr: "10.0.0.2", Port: 80, ISN: 5000},
		},
		Events: []engine.Event{
			{Kind: engine.KindCall, Endpoint: engine.Client, Data: "a;b#c<d>e%f\ng",
				CallInfo: &engine.CallInfo{Call: "send", Result: "ok"}},
			{Kind: engine.KindCall, Endpoint: engine.Server,
				CallInfo: &engine.CallInfo{Call: "receive", Result: "eof"}},
			{Kind: engine.KindCall, Endpoint: engine.Server,
				CallInfo: &engine.CallInfo{Call: "close", Result: "error: connection closing", Error: "connection closing"}},
			{Kind: engine.KindSegment, From: engine.Server, To: engine.Client,
				SegmentInfo: &engine.SegmentInfo{Flags: []string{"RST"}, Seq: 4990, Ack: 1, Fate: engine.FateDropped, Injected: true}},
		},
	}
	var buf bytes.Buffer
	if err := WriteMermaid(&buf, tr, "en"); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	checkMermaidSyntax(t, got)
	for _, want := range []string{
		`Note over Client: send("a#59;b#35;c#lt;d#gt;e#37;f g")`,
		`Note over Server: receive() → eof`,
		`Note over Server: close() failed: connection closing`,
		`Server-xClient: RST seq=-10 len=0 (injected, dropped)`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("diagram lacks %q:\n%s", want, got)
		}
	}
}

func TestMermaidShortensData(t *testing.T) {
	tr := &engine.Trace{Events: []engine.Event{{
		Kind: engine.KindCall, Endpoint: engine.Client, Data: strings.Repeat("数", 100),
		CallInfo: &engine.CallInfo{Call: "send", Result: "ok"},
	}}}
	var buf bytes.Buffer
	if err := WriteMermaid(&buf, tr, "zh"); err != nil {
		t.Fatal(err)
	}
	if want := `send("` + strings.Repeat("数", maxDataRunes) + `…")`; !strings.Contains(buf.String(), want) {
		t.Errorf("diagram lacks %q:\n%s", want, buf.String())
	}
}
