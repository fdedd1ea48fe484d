package kernelpeer

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// TestDifferentialTableCurrent keeps the differential test's table and its
// words in docs/kernel-peer.md from going stale, without the kernel (it
// runs everywhere): testdata/differential.txt has one row per built-in
// scenario and kernel side, no more; each row that differs has a reason in
// differences; and the docs' table lists exactly the runs differences
// explains.
func TestDifferentialTableCurrent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "differential.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(line, "#") || f[0] == "scenario" {
			continue
		}
		key := f[0] + "/" + f[1]
		if _, dup := rows[key]; dup {
			t.Errorf("testdata/differential.txt: %s twice", key)
		}
		rows[key] = f[2]
	}
	for _, sc := range scenarios.All() {
		for _, k := range []string{engine.Server, engine.Client} {
			key := sc.ID + "/" + k
			result, ok := rows[key]
			switch {
			case !ok:
				t.Errorf("testdata/differential.txt has no row for %s: run go test ./kernelpeer -run Differential -update as root", key)
			case result == "differ" && differences[key] == "":
				t.Errorf("testdata/differential.txt: %s differs with no reason in differences", key)
			}
			delete(rows, key)
		}
	}
	for key := range rows {
		t.Errorf("testdata/differential.txt: %s is not a built-in scenario and side", key)
	}

	doc, err := os.ReadFile(filepath.Join("..", "docs", "kernel-peer.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^\| ([a-z0-9-]+), (server|client)( \(sometimes\))? \|`)
	documented := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]+"/"+m[2]] = true
	}
	for key := range differences {
		if !documented[key] {
			t.Errorf("docs/kernel-peer.md: the table of differences lacks %s", key)
		}
	}
	for key := range documented {
		if differences[key] == "" {
			t.Errorf("docs/kernel-peer.md lists %s as differing; differences does not", key)
		}
	}
}
