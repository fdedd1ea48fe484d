// Package scenarios holds synack's built-in scenarios: the JSON files beside
// this one, in the contract's scenario format, embedded in the binary and
// parsed once at start-up.
//
// A file's name is its scenario's id plus ".json". The teaching order, in
// which All lists them, is given by order.txt: one id per line, blank lines
// and lines starting with '#' ignored. Every file must be listed there
// exactly once; an order file and not name prefixes keeps ids and URLs free
// of numbering, so that a scenario can move without changing its address.
package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/internal/contentorder"
)

//go:embed *.json order.txt
var files embed.FS

// builtins is filled once at init from the embedded files and only read
// afterwards.
var builtins = mustLoad(files)

// catalogue is the parsed built-in scenarios. Scenarios are kept as their
// documents and decoded afresh for each caller, so that no caller can change
// what another sees.
type catalogue struct {
	ids  []string          // in teaching order
	docs map[string][]byte // by id
}

// All returns every built-in scenario in teaching order. Each call returns
// fresh copies that the caller may change.
func All() []*engine.Scenario {
	all := make([]*engine.Scenario, 0, len(builtins.ids))
	for _, id := range builtins.ids {
		sc, _ := Get(id)
		all = append(all, sc)
	}
	return all
}

// Get returns a fresh copy of the built-in scenario id.
func Get(id string) (*engine.Scenario, bool) {
	doc, ok := builtins.docs[id]
	if !ok {
		return nil, false
	}
	sc, err := engine.DecodeScenario(doc)
	if err != nil {
		// load decoded this same document without error.
		panic(fmt.Sprintf("scenarios: %s: %v", id, err))
	}
	return sc, true
}

func mustLoad(fsys fs.FS) catalogue {
	c, err := load(fsys)
	if err != nil {
		panic(err)
	}
	return c
}

// load reads and checks every scenario file of fsys and the order file.
func load(fsys fs.FS) (catalogue, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return catalogue{}, fmt.Errorf("scenarios: %w", err)
	}
	c := catalogue{docs: make(map[string][]byte, len(names))}
	for _, name := range names {
		id := strings.TrimSuffix(path.Base(name), ".json")
		doc, err := fs.ReadFile(fsys, name)
		if err != nil {
			return catalogue{}, fmt.Errorf("scenarios: %w", err)
		}
		sc, err := engine.DecodeScenario(doc)
		if err != nil {
			return catalogue{}, fmt.Errorf("scenarios: %s: %w", name, err)
		}
		if sc.ID != id {
			return catalogue{}, fmt.Errorf("scenarios: %s: id %q does not match the file name", name, sc.ID)
		}
		c.docs[id] = doc
	}
	order, err := fs.ReadFile(fsys, "order.txt")
	if err != nil {
		return catalogue{}, fmt.Errorf("scenarios: %w", err)
	}
	if c.ids, err = contentorder.Parse(order, slices.Collect(maps.Keys(c.docs)), "scenario"); err != nil {
		return catalogue{}, fmt.Errorf("scenarios: order.txt: %w", err)
	}
	return c, nil
}
