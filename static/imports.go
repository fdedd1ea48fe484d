package static

import (
	"path"
	"regexp"
	"slices"
)

// staticImport finds the relative specifiers of a module's static imports
// and re-exports: import … from './x.js', import './x.js', export … from
// './x.js'. Dynamic import('./x.js') is left out: it loads later, on demand.
var staticImport = regexp.MustCompile(`(?m)^\s*(?:import|export)\b(?:[^'"();]*?\bfrom)?\s*['"](\.{1,2}/[^'"]+)['"]`)

// Imports lists the plain URLs of every module that the module name (a
// path below files/, such as "js/app.js") imports statically, directly or
// not, in a stable order. A page links them as modulepreload, so that the
// browser fetches the whole graph at once instead of one level of imports
// after another; the plain names are the ones the imports ask for.
func (a *Assets) Imports(name string) []string {
	seen := map[string]bool{name: true}
	var out []string
	queue := []string{name}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		f, ok := a.byPath[cur]
		if !ok {
			continue
		}
		for _, m := range staticImport.FindAllSubmatch(f.content, -1) {
			dep := path.Join(path.Dir(cur), string(m[1]))
			if seen[dep] {
				continue
			}
			seen[dep] = true
			if _, ok := a.byPath[dep]; ok {
				out = append(out, Prefix+dep)
				queue = append(queue, dep)
			}
		}
	}
	slices.Sort(out)
	return out
}
