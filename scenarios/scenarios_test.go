package scenarios

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/synack/synack/engine"
)

func TestBuiltins(t *testing.T) {
	all := All()
	if len(all) == 0 {
		t.Fatal("no built-in scenarios")
	}
	seen := map[string]bool{}
	for _, sc := range all {
		if seen[sc.ID] {
			t.Errorf("id %s appears twice", sc.ID)
		}
		seen[sc.ID] = true
		if _, err := files.ReadFile(sc.ID + ".json"); err != nil {
			t.Errorf("id %s is not the name of its file: %v", sc.ID, err)
		}
		for field, text := range map[string]engine.Text{"title": sc.Title, "summary": sc.Summary} {
			if strings.TrimSpace(text.EN) == "" || strings.TrimSpace(text.ZH) == "" {
				t.Errorf("%s: %s needs both en and zh", sc.ID, field)
			}
		}
	}
}

// TestBuiltinsRun runs every built-in scenario on the engine.
func TestBuiltinsRun(t *testing.T) {
	for _, sc := range All() {
		t.Run(sc.ID, func(t *testing.T) {
			tr, err := engine.Run(sc)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Events) == 0 || tr.Truncated {
				t.Errorf("%d events, truncated %v", len(tr.Events), tr.Truncated)
			}
		})
	}
}

func TestGet(t *testing.T) {
	first := All()[0]
	sc, ok := Get(first.ID)
	if !ok || sc.ID != first.ID {
		t.Fatalf("Get(%q) = %v, %v", first.ID, sc, ok)
	}
	sc.Steps = nil
	if again, _ := Get(first.ID); len(again.Steps) == 0 {
		t.Error("changing a scenario from Get changed the built-in")
	}
	if _, ok := Get("no-such-scenario"); ok {
		t.Error("Get found a scenario that does not exist")
	}
}

func TestLoadErrors(t *testing.T) {
	doc, err := os.ReadFile("testdata/handshake.json")
	if err != nil {
		t.Fatal(err)
	}
	file := func(b []byte) *fstest.MapFile { return &fstest.MapFile{Data: b} }
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		error string // "" for success
	}{
		{"valid", fstest.MapFS{"handshake.json": file(doc), "order.txt": file([]byte("# teaching order\n\nhandshake\n"))}, ""},
		{"id differs from file name", fstest.MapFS{"other.json": file(doc), "order.txt": file([]byte("other\n"))}, "does not match the file name"},
		{"not listed", fstest.MapFS{"handshake.json": file(doc), "order.txt": file(nil)}, "handshake.json is not listed"},
		{"listed twice", fstest.MapFS{"handshake.json": file(doc), "order.txt": file([]byte("handshake\nhandshake\n"))}, "line 2: handshake listed twice"},
		{"listed without file", fstest.MapFS{"handshake.json": file(doc), "order.txt": file([]byte("handshake\nghost\n"))}, "line 2: no scenario file ghost.json"},
		{"invalid", fstest.MapFS{"handshake.json": file([]byte(`{"id": "handshake", "seed": -1}`)), "order.txt": file([]byte("handshake\n"))}, "seed"},
		{"no order file", fstest.MapFS{"handshake.json": file(doc)}, "order.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(tt.fsys)
			switch {
			case tt.error == "" && err != nil:
				t.Fatalf("load: %v", err)
			case tt.error == "" && (len(c.ids) != 1 || c.ids[0] != "handshake"):
				t.Errorf("ids = %v, want [handshake]", c.ids)
			case tt.error != "" && (err == nil || !strings.Contains(err.Error(), tt.error)):
				t.Errorf("load error = %v, want one containing %q", err, tt.error)
			}
		})
	}
}
