package web

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/scenarios"
)

// updateJSGolden rewrites the JavaScript tests' golden files
// (static/jstest/testdata/*.golden.txt) from what the modules give now.
var updateJSGolden = flag.Bool("update", false, "rewrite the JavaScript tests' golden files")

// jsDir holds the browser's modules; testDir their unit tests (*.test.js)
// and fixtures, kept apart so that they are not embedded in the binary.
var (
	jsDir   = filepath.Join("..", "static", "files", "js")
	testDir = filepath.Join("..", "static", "jstest")
)

// TestJavaScript runs the browser modules' unit tests with Node's test
// runner (node --test). They need no browser: the diagram's layout is a
// pure function of the events. Without node (18 or later) on PATH the test
// is skipped.
func TestJavaScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; the JavaScript unit tests need Node.js 18 or later")
	}
	version, err := exec.CommandContext(t.Context(), node, "--version").Output()
	if err != nil {
		t.Skipf("node --version: %v", err)
	}
	if major := nodeMajor(string(version)); major < 18 {
		t.Skipf("node %s has no test runner; the JavaScript unit tests need Node.js 18 or later", strings.TrimSpace(string(version)))
	}

	tests, err := filepath.Glob(filepath.Join(testDir, "*.test.js"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) == 0 {
		t.Fatalf("no *.test.js in %s", testDir)
	}
	// go test caches a passing result by the files the test opens; the
	// modules are read by node, so open them here too, for a change to one
	// of them to run the tests again.
	err = filepath.WalkDir(jsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		_, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(t.Context(), node, append([]string{"--test"}, tests...)...)
	// The notation's rules are checked on every built-in scenario's trace,
	// made here by the engine rather than kept as copies.
	cmd.Env = append(os.Environ(), "SYNACK_TRACES="+writeBuiltinTraces(t))
	if *updateJSGolden {
		cmd.Env = append(cmd.Env, "SYNACK_UPDATE=1")
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("node --test %s: %s", strings.Join(relative(tests), " "), summary(string(out)))
}

// writeBuiltinTraces writes the trace of every built-in scenario, as
// GET /api/scenarios/{id}/trace gives it, to {id}.json in a new directory,
// and returns the directory.
func writeBuiltinTraces(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sc := range scenarios.All() {
		tr, err := engine.Run(sc)
		if err != nil {
			t.Fatalf("%s: %v", sc.ID, err)
		}
		doc, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, sc.ID+".json"), doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// nodeMajor reads the major version from `node --version` ("v20.11.1").
func nodeMajor(version string) int {
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// summary picks the counts from the runner's report ("# tests 65", …).
func summary(out string) string {
	var parts []string
	for _, m := range regexp.MustCompile(`(?m)^# (tests|pass|fail) (\d+)$`).FindAllStringSubmatch(out, -1) {
		parts = append(parts, m[1]+" "+m[2])
	}
	return strings.Join(parts, ", ")
}

func relative(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = filepath.Base(p)
	}
	return out
}
