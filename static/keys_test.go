package static

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/synack/synack/i18n"
)

// keyPattern finds catalogue keys written out whole in the scripts: a quoted
// string that starts with one of the catalogue's prefixes. Keys built at run
// time (`why.${reason}`) are the panels' business: they fall back when a key
// is missing.
var keyPattern = regexp.MustCompile(`'((?:app|ctl|ep|call|sandbox|panel|pref|help|kbd|embed|status|announce|progress|events|ev|ladder|tcb|sd|insp|explain|why|state|trans|timer|reason|export|editor|room)\.[A-Za-z0-9_.>\-]*[A-Za-z0-9])'`)

// TestScriptKeys checks that every catalogue key the scripts name, the
// diagram's LADDER_KEYS included, exists in every language.
func TestScriptKeys(t *testing.T) {
	files, err := fs.Sub(embedded, "files")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	err = fs.WalkDir(files, "js", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(name, ".js") {
			return err
		}
		src, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		for _, m := range keyPattern.FindAllStringSubmatch(string(src), -1) {
			seen[m[1]] = name
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 80 {
		t.Errorf("only %d keys found: is the pattern right?", len(seen))
	}
	for key, file := range seen {
		for _, lang := range i18n.Langs() {
			if !i18n.For(lang).Has(key) {
				t.Errorf("%s: key %q is not in %s.json", file, key, lang)
			}
		}
	}
}
