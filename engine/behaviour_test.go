package engine

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestProfilesDocMatchesBehaviours checks docs/profiles.md's table of
// behaviours against the Behaviours struct: every rule is in exactly one
// row, named by its citation with the profile that has it, and every rule a
// row names exists.
func TestProfilesDocMatchesBehaviours(t *testing.T) {
	doc, err := os.ReadFile("../docs/profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]BehaviourRule{}
	for _, r := range BehaviourRules() {
		if r.Cite == "" {
			t.Errorf("behaviour %s has no cite tag", r.Name)
		}
		if r.Linux == r.RFC {
			t.Errorf("behaviour %s (%s) is the same in both profiles: not a difference", r.Name, r.Cite)
		}
		rules[r.Cite] = r
	}
	cell := regexp.MustCompile("^`?([^`(]+?)`? \\((linux|rfc)\\)$")
	seen := map[string]int{}
	inTable := false
	for line := range strings.SplitSeq(string(doc), "\n") {
		if strings.HasPrefix(line, "| behaviour | rule |") {
			inTable = true
			continue
		}
		if !inTable {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cols := strings.Split(line, "|")
		if len(cols) < 6 || strings.HasPrefix(strings.TrimSpace(cols[1]), "---") {
			continue
		}
		rule := strings.TrimSpace(cols[2])
		if rule == "" {
			continue
		}
		m := cell.FindStringSubmatch(rule)
		if m == nil {
			t.Errorf("row %q: rule %q is not written as `name` (profile)", strings.TrimSpace(cols[1]), rule)
			continue
		}
		r, ok := rules[m[1]]
		if !ok {
			t.Errorf("row %q names %q, which is no field of Behaviours", strings.TrimSpace(cols[1]), m[1])
			continue
		}
		seen[m[1]]++
		if on := map[string]bool{"linux": r.Linux, "rfc": r.RFC}[m[2]]; !on {
			t.Errorf("row %q says %s has %s, but Behaviours has it off there", strings.TrimSpace(cols[1]), m[2], r.Name)
		}
	}
	if !inTable {
		t.Fatal("docs/profiles.md has no table with a rule column")
	}
	for cite, r := range rules {
		if seen[cite] != 1 {
			t.Errorf("behaviour %s (%s) is in %d rows of docs/profiles.md, want 1", r.Name, cite, seen[cite])
		}
	}
}

// TestBehavioursFilledByProfile checks that the profiles, and only they,
// choose the behaviours: a scenario's options leave them alone.
func TestBehavioursFilledByProfile(t *testing.T) {
	for _, tc := range []struct {
		profile string
		want    Behaviours
	}{{ProfileLinux, linuxBehaviours()}, {"", linuxBehaviours()}, {ProfileRFC, rfcBehaviours()}} {
		sc := &Scenario{Profile: tc.profile, Options: Options{DelayedAck: boolp(true), Timestamps: boolp(true)}}
		cfg, err := sc.Config()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Behaviours != tc.want {
			t.Errorf("profile %q: behaviours %+v, want %+v", tc.profile, cfg.Behaviours, tc.want)
		}
	}
}
