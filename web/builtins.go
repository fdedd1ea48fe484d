package web

import (
	"fmt"
	"sync"

	"github.com/synack/synack/engine"
)

// builtinTraces runs each built-in scenario at most once, when its trace is
// first asked for, and keeps every rendering of it: the engine is
// deterministic, so a built-in's trace never changes while the server runs.
// The map is filled by newBuiltinTraces and only read afterwards; each entry
// guards itself.
type builtinTraces struct {
	entries map[string]*builtinTrace
}

type builtinTrace struct {
	trace   func() (*engine.Trace, error)
	renders sync.Map // output → func() (rendering, error)
}

func newBuiltinTraces(all []*engine.Scenario) *builtinTraces {
	b := &builtinTraces{entries: make(map[string]*builtinTrace, len(all))}
	for _, sc := range all {
		b.entries[sc.ID] = &builtinTrace{trace: sync.OnceValues(func() (*engine.Trace, error) {
			tr, err := runEngine(sc)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", errBuiltinFailed, sc.ID, err)
			}
			return tr, nil
		})}
	}
	return b
}

// render returns the trace of the built-in scenario id in the form out asks
// for.
func (b *builtinTraces) render(id string, out output) (rendering, error) {
	e, ok := b.entries[id]
	if !ok {
		return rendering{}, unknownScenario(id)
	}
	f, ok := e.renders.Load(out)
	if !ok {
		f, _ = e.renders.LoadOrStore(out, sync.OnceValues(func() (rendering, error) {
			tr, err := e.trace()
			if err != nil {
				return rendering{}, err
			}
			return render(tr, out, id)
		}))
	}
	return f.(func() (rendering, error))()
}
