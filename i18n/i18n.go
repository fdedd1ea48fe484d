// Package i18n holds every string synack shows a person, in English and
// Chinese, one catalogue per language (en.json, zh.json), and chooses the
// language of a request.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Languages synack speaks. English comes first: it is the fallback.
const (
	EN = "en"
	ZH = "zh"
)

// Langs lists the supported language codes, the fallback first.
func Langs() []string { return []string{EN, ZH} }

// Supported reports whether lang is a language with a catalogue.
func Supported(lang string) bool { return slices.Contains(Langs(), lang) }

//go:embed en.json zh.json
var files embed.FS

// catalogues is filled once at init from the embedded files and only read
// afterwards.
var catalogues = mustLoad()

// Catalogue is the strings of one language.
type Catalogue struct {
	lang     string
	messages map[string]string
}

// For returns the catalogue of lang, or the English one when lang is not
// supported.
func For(lang string) Catalogue {
	if c, ok := catalogues[lang]; ok {
		return c
	}
	return catalogues[EN]
}

// Lang is the catalogue's language code.
func (c Catalogue) Lang() string { return c.lang }

// T returns the message for key with its {name} placeholders replaced by
// the name/value pairs in args. A missing key comes back as the key itself,
// so that a gap shows on the page instead of an empty string; the tests keep
// the catalogues complete.
func (c Catalogue) T(key string, args ...string) string {
	msg, ok := c.messages[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+args[i]+"}", args[i+1])
	}
	return strings.NewReplacer(pairs...).Replace(msg)
}

// Has reports whether the catalogue holds key.
func (c Catalogue) Has(key string) bool {
	_, ok := c.messages[key]
	return ok
}

// MarshalJSON writes the catalogue as a JSON object of key → message, for
// pages to hand their scripts (which fill in placeholders the same way).
// Without returns a copy of the catalogue without the keys that start with
// any of the prefixes (such as "editor."), for a page whose scripts never
// use them: every page carries its catalogues, and bytes count. The keys in
// keep stay all the same: those of the prefixes that the page itself shows
// (a link to the editor in its header).
func (c Catalogue) Without(prefixes []string, keep ...string) Catalogue {
	kept := make(map[string]string, len(c.messages))
	for k, v := range c.messages {
		if slices.Contains(keep, k) || !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			kept[k] = v
		}
	}
	return Catalogue{lang: c.lang, messages: kept}
}

// Only returns a copy of the catalogue with only the keys that start with
// one of the prefixes: the words a page's script fetches when it needs
// them, rather than carrying them in every page.
func (c Catalogue) Only(prefixes ...string) Catalogue {
	kept := map[string]string{}
	for k, v := range c.messages {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			kept[k] = v
		}
	}
	return Catalogue{lang: c.lang, messages: kept}
}

func (c Catalogue) MarshalJSON() ([]byte, error) {
	return json.Marshal(c.messages)
}

func mustLoad() map[string]Catalogue {
	cs, err := load()
	if err != nil {
		panic(err)
	}
	return cs
}

func load() (map[string]Catalogue, error) {
	cs := make(map[string]Catalogue, len(Langs()))
	for _, lang := range Langs() {
		data, err := files.ReadFile(lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		var messages map[string]string
		if err := json.Unmarshal(data, &messages); err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", lang, err)
		}
		cs[lang] = Catalogue{lang: lang, messages: messages}
	}
	return cs, nil
}

// Negotiate chooses the language of a request: the query parameter lang when
// it names a supported language, else the best supported match of the
// Accept-Language header, else English.
func Negotiate(query, acceptLanguage string) string {
	if Supported(query) {
		return query
	}
	best, bestQ := EN, 0.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag, q := parseLanguageRange(part)
		lang := primary(tag)
		if Supported(lang) && q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// parseLanguageRange splits one Accept-Language entry such as "zh-CN;q=0.8"
// into its tag and quality (RFC 9110 section 12.5.4). A malformed quality
// counts as 0, which never wins.
func parseLanguageRange(s string) (tag string, q float64) {
	tag, params, _ := strings.Cut(strings.TrimSpace(s), ";")
	q = 1
	if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			f = 0
		}
		q = f
	}
	return strings.TrimSpace(tag), q
}

// primary is the lower-cased primary subtag: "zh" for "zh-Hant-TW".
func primary(tag string) string {
	p, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(p)
}
