// Package contentorder reads a teaching order: an order.txt beside content files
// that lists each file's id once, one a line, with blank lines and lines
// starting with "#" ignored. The scenarios and the lessons both keep one.
package contentorder

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Parse returns the ids of order.txt in their order, and checks that it
// lists every id of ids exactly once and nothing else. what names the kind
// of file in errors ("scenario", "lesson").
func Parse(order []byte, ids []string, what string) ([]string, error) {
	var out []string
	seen := make(map[string]bool, len(ids))
	sc := bufio.NewScanner(bytes.NewReader(order))
	for line := 1; sc.Scan(); line++ {
		id := strings.TrimSpace(sc.Text())
		if id == "" || strings.HasPrefix(id, "#") {
			continue
		}
		if !slices.Contains(ids, id) {
			return nil, fmt.Errorf("line %d: no %s file %s.json", line, what, id)
		}
		if seen[id] {
			return nil, fmt.Errorf("line %d: %s listed twice", line, id)
		}
		seen[id] = true
		out = append(out, id)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(slices.Values(ids)) {
		if !seen[id] {
			return nil, fmt.Errorf("%s.json is not listed", id)
		}
	}
	return out, nil
}
