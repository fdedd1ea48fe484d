package capture

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: no file makes the reader panic, and whatever it reads encodes
// as JSON with a valid model scenario per connection.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pcap*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a})
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1})
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Read(b)
		if err != nil {
			return
		}
		for _, c := range res.Connections {
			if err := c.Scenario.Validate(); err != nil {
				t.Fatalf("connection %d: model is not valid: %v", c.Capture.Index, err)
			}
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}
