package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// text is a string in the two languages synack speaks.
type text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// step is one socket call, in the scenario format.
type step struct {
	AtMs     int64  `json:"at_ms"`
	Endpoint string `json:"endpoint"`
	Call     string `json:"call"`
	Data     string `json:"data,omitempty"`
}

type dropFault struct {
	From  string   `json:"from"`
	Flags []string `json:"flags"`
	Nth   int      `json:"nth"`
}

// injectFault is a segment the capture put on the wire with a raw socket,
// with sequence numbers relative to the ISNs (rel_seq to the sender's,
// rel_ack to the receiver's).
type injectFault struct {
	AtMs   int64    `json:"at_ms"`
	From   string   `json:"from"`
	Flags  []string `json:"flags"`
	RelSeq int64    `json:"rel_seq"`
	RelAck int64    `json:"rel_ack"`
	Window uint16   `json:"window"`
	Data   string   `json:"data,omitempty"`
}

type fault struct {
	Drop   *dropFault   `json:"drop,omitempty"`
	Inject *injectFault `json:"inject,omitempty"`
}

// scenario is the calls.json file: the calls made, replayable by synack.
type scenario struct {
	ID      string         `json:"id"`
	Title   text           `json:"title"`
	Summary text           `json:"summary"`
	Seed    int            `json:"seed"`
	Profile string         `json:"profile"`
	Options map[string]int `json:"options"`
	Network map[string]int `json:"network"`
	Steps   []step         `json:"steps"`
	Faults  []fault        `json:"faults,omitempty"`
	UntilMs int64          `json:"until_ms"`
}

// recorder notes every call with its time relative to the first call.
type recorder struct {
	mu     sync.Mutex
	origin time.Time
	calls  []recordedCall
	late   []string // planned call times that were missed
}

type recordedCall struct {
	at       time.Time
	endpoint string
	call     string
	data     string
}

// begin sets the time origin; the first call is made right after it.
func (r *recorder) begin() { r.beginAt(time.Now()) }

// beginAt sets the time origin to t, when the first call will be made.
func (r *recorder) beginAt(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.origin = t
	r.calls = nil
	r.late = nil
}

// sleepUntil sleeps until ms milliseconds after the origin. It spins for the
// last stretch: timer wake-ups are often a millisecond late.
func (r *recorder) sleepUntil(ms int) {
	target := r.origin.Add(time.Duration(ms) * time.Millisecond)
	time.Sleep(time.Until(target) - 2*time.Millisecond)
	for time.Now().Before(target) {
	}
	if over := time.Since(target); over > 2*time.Millisecond {
		r.mu.Lock()
		r.late = append(r.late, fmt.Sprintf("the call planned at %d ms ran %.1f ms late", ms, float64(over)/1e6))
		r.mu.Unlock()
	}
}

func (r *recorder) add(at time.Time, endpoint, call, data string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, recordedCall{at, endpoint, call, data})
}

// steps returns the calls as scenario steps, renaming endpoints with roles
// when it is not nil.
func (r *recorder) steps(roles map[string]string) []step {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := append([]recordedCall(nil), r.calls...)
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].at.Before(calls[j].at) })
	steps := make([]step, 0, len(calls))
	for _, c := range calls {
		ep := c.endpoint
		if roles != nil {
			ep = roles[ep]
		}
		steps = append(steps, step{
			AtMs:     c.at.Sub(r.origin).Round(time.Millisecond).Milliseconds(),
			Endpoint: ep,
			Call:     c.call,
			Data:     c.data,
		})
	}
	if roles != nil {
		// Calls made at the same instant by both sides: list the client's,
		// whose segment went out first, first.
		sort.SliceStable(steps, func(i, j int) bool {
			if steps[i].AtMs != steps[j].AtMs {
				return steps[i].AtMs < steps[j].AtMs
			}
			return steps[i].Endpoint == "client" && steps[j].Endpoint != "client"
		})
	}
	return steps
}

// writeScenario writes sc with one step per line, so diffs stay readable.
func writeScenario(file string, sc scenario) error {
	steps, faults := sc.Steps, sc.Faults
	sc.Steps, sc.Faults = nil, nil
	head, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.Write(head[:bytes.LastIndex(head, []byte(`"steps"`))])
	b.WriteString("\"steps\": [")
	for i, s := range steps {
		line, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    ")
		b.Write(line)
	}
	b.WriteString("\n  ],\n")
	if len(faults) > 0 {
		b.WriteString("  \"faults\": [")
		for i, f := range faults {
			line, err := json.Marshal(f)
			if err != nil {
				return err
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n    ")
			b.Write(line)
		}
		b.WriteString("\n  ],\n")
	}
	fmt.Fprintf(&b, "  \"until_ms\": %d\n}\n", sc.UntilMs)
	// Check that what we wrote is still the scenario.
	var back scenario
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		return fmt.Errorf("calls.json does not parse back: %w\n%s", err, b.String())
	}
	return os.WriteFile(file, b.Bytes(), 0o644)
}

// conn names one connection of a case by its two ports (b 0: any peer port).
type conn struct {
	suffix string // "" for the case's subject connection
	a, b   uint16
}

func (c conn) filter() string {
	if c.b == 0 {
		return fmt.Sprintf("tcp port %d", c.a)
	}
	return fmt.Sprintf("(tcp port %d and tcp port %d)", c.a, c.b)
}

func (c conn) has(s segment) bool {
	if c.b == 0 {
		return s.src == c.a || s.dst == c.a
	}
	return (s.src == c.a && s.dst == c.b) || (s.src == c.b && s.dst == c.a)
}

type extraFile struct {
	suffix  string
	content string
}

// result is what a case reports besides the calls it recorded.
type result struct {
	conns []conn // connections kept in the pcap; the first is the subject
	// roles, when set, maps provisional endpoint names to local ports; the
	// port that sent the first SYN becomes "client", the other "server".
	roles  map[string]uint16
	faults []fault
	extra  []extraFile
	notes  []string
	// dropSYNs: the listener dropped the SYNs of the subject's client, all
	// of them if handshakeFailed, else all but the last; describe those
	// drops as scenario faults.
	dropSYNs, handshakeFailed bool
}

func (r *result) keepFilter() string {
	var parts []string
	for _, c := range r.conns {
		parts = append(parts, c.filter())
	}
	return strings.Join(parts, " or ")
}

// resolveRoles names the endpoints after what the wire shows.
func resolveRoles(r *result, segs []segment) map[string]string {
	if r.roles == nil {
		return nil
	}
	var first uint16
	for _, s := range segs {
		if r.conns[0].has(s) && s.flags&flagSYN != 0 && s.flags&flagACK == 0 {
			first = s.src
			break
		}
	}
	roles := map[string]string{}
	for name, port := range r.roles {
		if port == first {
			roles[name] = "client"
		} else {
			roles[name] = "server"
		}
	}
	return roles
}

// synDrops returns one drop fault per SYN the client of cn sent, leaving out
// the last one unless all were dropped.
func synDrops(segs []segment, cn conn, all bool) []fault {
	var client uint16
	var syns int
	for _, s := range segs {
		if cn.has(s) && s.flags&flagSYN != 0 && s.flags&flagACK == 0 {
			if client == 0 {
				client = s.src
			}
			if s.src == client {
				syns++
			}
		}
	}
	if all {
		syns++
	}
	var faults []fault
	for n := 1; n < syns; n++ {
		faults = append(faults, fault{Drop: &dropFault{From: "client", Flags: []string{"SYN"}, Nth: n}})
	}
	return faults
}
