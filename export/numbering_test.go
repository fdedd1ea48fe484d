package export

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// pageGolden is the page's symbolic labels of every built-in trace, which
// numbers.js is checked against (static/jstest/numbers.test.js); this test
// checks the Go rule against the same file, so the two cannot drift apart.
const pageGolden = "../static/jstest/testdata/notation.golden.txt"

var numbersIn = regexp.MustCompile(` seq=(\S+)(?: ack=(\S+))?`)

// TestSymbolicAgreesWithPage: on every built-in scenario, the Mermaid
// export's symbolic seq and ack are the page's, segment by segment.
func TestSymbolicAgreesWithPage(t *testing.T) {
	doc, err := os.ReadFile(pageGolden)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	id := ""
	for _, line := range strings.Split(strings.TrimSpace(string(doc)), "\n") {
		if after, ok := strings.CutPrefix(line, "== "); ok {
			id = after
			want[id] = []string{}
			continue
		}
		m := numbersIn.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: no seq in %q", id, line)
		}
		want[id] = append(want[id], m[1]+" "+m[2])
	}
	all := scenarios.All()
	if len(want) != len(all) {
		t.Errorf("the golden has %d scenarios, the built-ins are %d", len(want), len(all))
	}
	symbolic := 0
	for _, sc := range all {
		tr, err := engine.Run(sc)
		if err != nil {
			t.Fatalf("%s: %v", sc.ID, err)
		}
		var buf bytes.Buffer
		if err := WriteMermaidNumbered(&buf, tr, "en", NumberingSymbolic); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(buf.String(), "\n") {
			if !strings.Contains(line, "->>") && !strings.Contains(line, "-x") {
				continue
			}
			m := numbersIn.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s: no seq in %q", sc.ID, line)
			}
			got = append(got, m[1]+" "+m[2])
			if strings.ContainsAny(m[1], "xyuvw") {
				symbolic++
			}
		}
		if strings.Join(got, "\n") != strings.Join(want[sc.ID], "\n") {
			t.Errorf("%s: Mermaid's symbolic numbers\n%s\nthe page's\n%s", sc.ID, strings.Join(got, "\n"), strings.Join(want[sc.ID], "\n"))
		}
	}
	if symbolic == 0 {
		t.Error("no letters written at all")
	}
}

// TestMermaidNumberings: the textbook's handshake and close in letters,
// absolute numbers as the trace has them, relative unchanged by default.
func TestMermaidNumberings(t *testing.T) {
	run := func(id string, n Numbering) string {
		sc, ok := scenarios.Get(id)
		if !ok {
			t.Fatalf("no built-in scenario %s", id)
		}
		tr, err := engine.Run(sc)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteMermaidNumbered(&buf, tr, "en", n); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	sym := run("rfc-textbook-close", NumberingSymbolic)
	for _, want := range []string{
		"Client->>Server: SYN seq=x len=0", "Server->>Client: SYN,ACK seq=y ack=x+1 len=0", "Client->>Server: ACK seq=x+1 ack=y+1 len=0",
		"FIN seq=u ack=y+1", "Client: ACK seq=v ack=u+1", "FIN seq=w ack=u+1", "Server: ACK seq=u+1 ack=w+1",
	} {
		if !strings.Contains(sym, want) {
			t.Errorf("symbolic: no %q in\n%s", want, sym)
		}
	}
	rel := run("client-closes-first", NumberingRelative)
	golden, err := os.ReadFile(filepath.Join("testdata", "client-closes-first.en.mmd"))
	if err != nil {
		t.Fatal(err)
	}
	if rel != string(golden) {
		t.Error("relative is not the default diagram")
	}
	sc, _ := scenarios.Get("client-closes-first")
	tr, err := engine.Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	abs := run("client-closes-first", NumberingAbsolute)
	if want := "SYN seq=" + itoa(tr.Endpoints.Client.ISN) + " len=0"; !strings.Contains(abs, want) {
		t.Errorf("absolute: no %q in\n%s", want, abs)
	}
	if _, err := ParseNumbering("roman", NumberingRelative); err == nil {
		t.Error("numbering roman is taken")
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
