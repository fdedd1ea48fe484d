package web

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestStrings: each group of words a page fetches on demand comes in both
// languages, with the words it must have and none of another group's; the
// app page leaves them out; an unknown group is a 404.
func TestStrings(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	for _, tt := range []struct {
		group    string
		want     []string
		prefixes []string
	}{
		{"capture", []string{"capture.compare", "capture.diff.tag", "insp.layer_ip6", "insp.ip6.src"}, []string{"capture.", "insp.ip6.", "insp.layer_ip6"}},
		{"explain", []string{"why.passive-open", "why.kernel-peer", "explain.step", "explain.cite"}, []string{"why.", "explain."}},
	} {
		t.Run(tt.group, func(t *testing.T) {
			body := expect(t, get(t, h, "/api/strings/"+tt.group), 200, "application/json")
			var all map[string]map[string]string
			if err := json.Unmarshal(body, &all); err != nil {
				t.Fatal(err)
			}
			for _, lang := range []string{"en", "zh"} {
				cat := all[lang]
				for _, key := range tt.want {
					if cat[key] == "" {
						t.Errorf("%s: no %s", lang, key)
					}
				}
				for key := range cat {
					if !hasAnyPrefix(key, tt.prefixes) {
						t.Errorf("%s: %s is not in the %s group", lang, key, tt.group)
					}
				}
			}
		})
	}
	page := expect(t, get(t, h, "/"), 200, "text/html; charset=utf-8")
	for _, key := range []string{"capture.compare", "pcapng.delivered", "why.passive-open", "explain.step"} {
		if bytes.Contains(page, []byte(`"`+key+`"`)) {
			t.Errorf("the app page carries %s, which its script fetches on demand", key)
		}
	}
	if !bytes.Contains(page, []byte(`"capture.open"`)) {
		t.Error("the app page should carry capture.open (its menu item)")
	}
	expectError(t, get(t, h, "/api/strings/nothing"), 404)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
