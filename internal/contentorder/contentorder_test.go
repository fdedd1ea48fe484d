package contentorder

import (
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	ids := []string{"a", "b", "c"}
	for _, c := range []struct {
		name, order string
		want        []string
		err         string
	}{
		{"order kept, comments and blanks skipped", "# teaching order\nc\n\n a \nb\n", []string{"c", "a", "b"}, ""},
		{"unknown id", "a\nb\nc\nd\n", nil, "line 4: no lesson file d.json"},
		{"listed twice", "a\nb\na\nc\n", nil, "line 3: a listed twice"},
		{"one missing", "a\nc\n", nil, "b.json is not listed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse([]byte(c.order), ids, "lesson")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("Parse = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}
