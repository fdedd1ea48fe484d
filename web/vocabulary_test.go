package web

import (
	"encoding/json"
	"testing"

	"github.com/synack/synack/engine"
)

// TestVocabulary checks GET /api/vocabulary: the engine's table as JSON,
// each value with its field, citations and catalogue keys.
func TestVocabulary(t *testing.T) {
	h := newTestServer(t, Config{}).Handler()
	body := expect(t, get(t, h, "/api/vocabulary"), 200, "application/json")
	var terms []struct {
		Field string `json:"field"`
		Name  string `json:"name"`
		Cites []struct {
			RFC     int    `json:"rfc"`
			Section string `json:"section"`
			Kernel  string `json:"kernel"`
			Sysctl  string `json:"sysctl"`
		} `json:"cites"`
		Words []string `json:"words"`
	}
	if err := json.Unmarshal(body, &terms); err != nil {
		t.Fatal(err)
	}
	if len(terms) != len(engine.Vocabulary()) {
		t.Fatalf("%d values, want %d", len(terms), len(engine.Vocabulary()))
	}
	found := false
	for _, term := range terms {
		if term.Field == "reason" && term.Name == "challenge-ack" {
			found = len(term.Cites) == 2 && term.Cites[0].RFC == 5961 && term.Cites[0].Section == "3.2" &&
				len(term.Words) == 1 && term.Words[0] == "why.challenge-ack"
		}
	}
	if !found {
		t.Errorf("reason challenge-ack missing or wrong in %s", body)
	}
}
