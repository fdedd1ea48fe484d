package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestVocabularyTable checks the table itself: one entry per value, each
// with a well-formed citation and catalogue keys. (i18n's tests check that
// the keys have words in every language.)
func TestVocabularyTable(t *testing.T) {
	seen := map[string]bool{}
	for _, term := range Vocabulary() {
		key := string(term.Field) + "/" + term.Name
		if seen[key] {
			t.Errorf("%s is in the table twice", key)
		}
		seen[key] = true
		if len(term.Cites) == 0 {
			t.Errorf("%s has no citation", key)
		}
		for _, c := range term.Cites {
			n := 0
			if c.RFC != 0 || c.Section != "" {
				n++
				if c.RFC == 0 || c.Section == "" {
					t.Errorf("%s: citation %+v needs both an RFC and a section", key, c)
				}
			}
			if c.Kernel != "" {
				n++
			}
			if c.Sysctl != "" {
				n++
			}
			if n != 1 {
				t.Errorf("%s: citation %+v must name one RFC section, kernel function or sysctl", key, c)
			}
		}
		if len(term.Words) == 0 {
			t.Errorf("%s has no catalogue keys", key)
		}
	}
	for _, name := range TimerNames() {
		if !InVocabulary(FieldTimer, name) {
			t.Errorf("timer %q is not in the vocabulary", name)
		}
	}
}

// TestVocabularyConstants checks that every typed constant the engine
// writes into events (Kind, Cause, Reason, DropReason) is in the table, so
// that no value reaches a trace without words and a citation.
func TestVocabularyConstants(t *testing.T) {
	fields := map[string]Field{"Kind": FieldKind, "Cause": FieldCause, "Reason": FieldReason, "DropReason": FieldDropReason}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok || spec.Type == nil {
				return true
			}
			id, ok := spec.Type.(*ast.Ident)
			if !ok {
				return true
			}
			field, ok := fields[id.Name]
			if !ok {
				return true
			}
			for i, v := range spec.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					continue
				}
				value, _ := strconv.Unquote(lit.Value)
				found++
				if !InVocabulary(field, value) {
					t.Errorf("%s: %s = %q is not in the vocabulary's %s values", fset.Position(spec.Pos()), spec.Names[i].Name, value, field)
				}
			}
			return true
		})
	}
	if found < 50 {
		t.Errorf("found only %d typed constants: is the scan right?", found)
	}
}

// TestTracesUseVocabulary runs the golden scenarios, the Linux captures'
// calls and random scenarios, and checks every value their events carry.
func TestTracesUseVocabulary(t *testing.T) {
	var runs []*Scenario
	for _, g := range goldenScenarios(t) {
		runs = append(runs, g.sc)
	}
	calls, _ := filepath.Glob("../testdata/linux/*.calls.json")
	for _, path := range calls {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := ParseScenario(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, sc)
	}
	r := rand.New(rand.NewPCG(9, 9))
	for i := range 200 {
		runs = append(runs, randomScenario(r, i))
	}
	for _, sc := range runs {
		tr, err := Run(sc)
		if err != nil {
			continue // random scenarios may be refused; the goldens are checked elsewhere
		}
		for i, ev := range tr.Events {
			check := func(field Field, v string) {
				if v != "" && !InVocabulary(field, v) {
					t.Errorf("%s event %d: %s %q is not in the vocabulary", sc.ID, i, field, v)
				}
			}
			check(FieldKind, string(ev.Kind))
			check(FieldCause, string(ev.Cause))
			check(FieldReason, string(ev.Reason))
			if ev.TimerInfo != nil {
				check(FieldTimer, string(ev.Timer))
			}
			if ev.SegmentInfo != nil {
				check(FieldDropReason, string(ev.DropReason))
			}
		}
	}
}
