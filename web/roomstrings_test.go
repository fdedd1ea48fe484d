package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/synack/synack/i18n"
)

// TestRoomStrings: /api/strings/room gives room.js its words, every room.*
// key in every language and nothing else.
func TestRoomStrings(t *testing.T) {
	s := newTestServer(t, Config{})
	rec := get(t, s.Handler(), "/api/strings/room")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Langs() {
		words := got[lang]
		if words["room.title"] == "" || words["room.away"] == "" {
			t.Errorf("%s: no room.title or room.away in %d words", lang, len(words))
		}
		for k := range words {
			if !strings.HasPrefix(k, "room.") {
				t.Errorf("%s: %s is not the room's", lang, k)
			}
		}
	}
}
