package i18n_test

import (
	"testing"

	"github.com/synack/synack/engine"
	"github.com/synack/synack/i18n"
)

// TestVocabularyWords fails when a value of the engine's vocabulary (an
// event kind, cause, reason, timer or drop reason) lacks words in a
// language, or a citation: the page could neither say nor source it.
func TestVocabularyWords(t *testing.T) {
	terms := engine.Vocabulary()
	if len(terms) < 60 {
		t.Fatalf("the vocabulary has %d values: is it the whole table?", len(terms))
	}
	for _, term := range terms {
		if len(term.Cites) == 0 {
			t.Errorf("%s %q has no citation", term.Field, term.Name)
		}
		if len(term.Words) == 0 {
			t.Errorf("%s %q names no catalogue keys", term.Field, term.Name)
		}
		for _, key := range term.Words {
			for _, lang := range i18n.Langs() {
				if !i18n.For(lang).Has(key) {
					t.Errorf("%s %q: %s.json has no %q", term.Field, term.Name, lang, key)
				}
			}
		}
	}
}
