package i18n

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// TestCataloguesMatch keeps the catalogues complete: every key in every
// language, no empty message, and the same placeholders everywhere.
func TestCataloguesMatch(t *testing.T) {
	en := catalogues[EN].messages
	for _, lang := range Langs() {
		msgs := catalogues[lang].messages
		if got, want := slices.Sorted(maps.Keys(msgs)), slices.Sorted(maps.Keys(en)); !slices.Equal(got, want) {
			t.Errorf("%s.json keys differ from en.json:\n got %v\nwant %v", lang, got, want)
		}
		for key, msg := range msgs {
			if msg == "" {
				t.Errorf("%s.json: %q is empty", lang, key)
			}
			got := slices.Sorted(slices.Values(placeholder.FindAllString(msg, -1)))
			want := slices.Sorted(slices.Values(placeholder.FindAllString(en[key], -1)))
			if !slices.Equal(got, want) {
				t.Errorf("%s.json: %q has placeholders %v, en.json has %v", lang, key, got, want)
			}
		}
	}
}

func TestT(t *testing.T) {
	c := For(EN)
	if got, want := c.T("mermaid.call_failed", "call", "send", "error", "connection does not exist"),
		"send() failed: connection does not exist"; got != want {
		t.Errorf("T = %q, want %q", got, want)
	}
	if got := c.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key", got)
	}
	if For("fr").Lang() != EN {
		t.Error("For(fr) is not English")
	}
	if For(ZH).T("mermaid.client") != "客户端" {
		t.Error("Chinese catalogue not used")
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		query, accept, want string
	}{
		{"", "", EN},
		{"zh", "", ZH},
		{"en", "zh-CN,zh;q=0.9", EN},
		{"fr", "zh-CN", ZH},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"", "en-US,en;q=0.9,zh;q=0.8", EN},
		{"", "fr-FR,zh-Hant;q=0.5", ZH},
		{"", "fr-FR,de;q=0.5", EN},
		{"", "ZH-tw", ZH},
		{"", "zh;q=0", EN},
		{"", "zh;q=bogus", EN},
		{"", "en;q=0.1,zh;q=0.2", ZH},
		{"", ",,;;q=,", EN},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.query, tt.accept); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.query, tt.accept, got, tt.want)
		}
	}
}

func TestWithout(t *testing.T) {
	c := For(EN)
	w := c.Without([]string{"editor.", "learn."}, "learn.heading")
	if w.Lang() != EN {
		t.Errorf("lang %q", w.Lang())
	}
	b, err := w.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	full, _ := c.MarshalJSON()
	var all map[string]string
	if err := json.Unmarshal(full, &all); err != nil {
		t.Fatal(err)
	}
	for k := range all {
		_, kept := m[k]
		dropped := (strings.HasPrefix(k, "editor.") || strings.HasPrefix(k, "learn.")) && k != "learn.heading"
		if kept == dropped {
			t.Errorf("%s: kept %v", k, kept)
		}
	}
	if c.T("editor.title") == "editor.title" {
		t.Error("Without changed the catalogue it was called on")
	}
}

// TestCataloguesHaveNoDuplicateKeys fails when a catalogue names a key
// twice: JSON keeps the last, so a merge that adds a message again hides
// which of the two words is meant.
func TestCataloguesHaveNoDuplicateKeys(t *testing.T) {
	for _, lang := range Langs() {
		data, err := files.ReadFile(string(lang) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		if _, err := dec.Token(); err != nil { // {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key := tok.(string)
			if seen[key] {
				t.Errorf("%s.json: %q appears more than once", lang, key)
			}
			seen[key] = true
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
	}
}
