package static

import (
	"slices"
	"testing"
	"testing/fstest"
)

func TestImports(t *testing.T) {
	files := fstest.MapFS{
		"js/app.js":       {Data: []byte("import { a } from './a.js';\nimport {\n  b,\n  c,\n} from \"./b.js\";\nimport './side.js';\nexport { d } from './panels/d.js';\nconst later = () => import('./lazy.js');\n// import { x } from './comment.js' is not at a line's start here\n")},
		"js/a.js":         {Data: []byte("import { b } from './b.js';\nexport const a = 1;\n")},
		"js/b.js":         {Data: []byte("import { a } from './a.js';\nexport const b = 2, c = 3;\n")},
		"js/side.js":      {Data: []byte("")},
		"js/panels/d.js":  {Data: []byte("import { f } from '../format.js';\nexport const d = 4;\n")},
		"js/format.js":    {Data: []byte("export const f = 5;\n")},
		"js/lazy.js":      {Data: []byte("export const l = 6;\n")},
		"js/missing.js":   {Data: []byte("import { z } from './nowhere.js';\n")},
		"js/comment.js":   {Data: []byte("")},
		"app.css":         {Data: []byte("body{}")},
		"js/lone.js":      {Data: []byte("export const x = 1;\n")},
		"js/with-code.js": {Data: []byte("const s = 'import { q } from \"./q.js\"';\n")},
	}
	a, err := newAssets(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want []string
	}{
		{"js/app.js", []string{"/static/js/a.js", "/static/js/b.js", "/static/js/format.js", "/static/js/panels/d.js", "/static/js/side.js"}},
		{"js/a.js", []string{"/static/js/b.js"}},
		{"js/lone.js", nil},
		{"js/missing.js", nil},
		{"js/with-code.js", nil},
		{"no-such.js", nil},
	} {
		if got := a.Imports(c.name); !slices.Equal(got, c.want) {
			t.Errorf("Imports(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestAppImportsAreServed: every module the app preloads is served.
func TestAppImportsAreServed(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	got := a.Imports("js/app.js")
	if !slices.Contains(got, "/static/js/ladder.js") || !slices.Contains(got, "/static/js/layout.js") || !slices.Contains(got, "/static/js/phases.js") {
		t.Errorf("app.js imports %q", got)
	}
	if slices.Contains(got, "/static/js/panels/explain.js") {
		t.Error("a panel the app imports on demand is preloaded")
	}
}
