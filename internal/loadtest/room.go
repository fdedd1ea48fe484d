package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/synack/synack/web"
)

// RoomStats is the server's expvar "rooms": its rooms and the times of
// their fan-outs, as web reports them.
type RoomStats = web.RoomStats

// RoomStats reads the server's room statistics from its expvar.
func (s *Server) RoomStats(ctx context.Context) (RoomStats, error) {
	body, err := s.get(ctx, "http://"+s.DebugAddr+"/debug/vars")
	if err != nil {
		return RoomStats{}, err
	}
	var vars struct {
		Rooms *RoomStats `json:"rooms"`
	}
	if err := json.Unmarshal(body, &vars); err != nil {
		return RoomStats{}, fmt.Errorf("/debug/vars: %w", err)
	}
	if vars.Rooms == nil {
		return RoomStats{}, errors.New("/debug/vars has no \"rooms\"")
	}
	return *vars.Rooms, nil
}

// RoomReport is what a room's viewers received while its presenter stepped
// through scenarios, and how long the server took to fan each message out.
type RoomReport struct {
	Viewers  int // viewers that joined
	Messages int // messages the presenter's commands relayed (loaded, event, done)
	Events   int // events among them
	Complete int // viewers that received every message, in order
	Lost     int // messages not received in order, over all viewers
	Dropped  int64
	// Resumes counts the presenter's drops and returns: each time its
	// connection closed, and a new one took the room back with the
	// resume token at the same event.
	Resumes int
	Join    time.Duration // to open every viewer and receive its history
	Wall    time.Duration // from the first step to the last viewer's copy of the last message
	// Fanout holds the server's time for each relayed message (from the
	// presenter's command read to the last viewer's copy written) and for
	// each presenter-away and presenter-back notice.
	Fanout        []time.Duration
	P50, P99, Max time.Duration
	// EndToEnd holds, for each relayed message, the time from the
	// presenter's command sent to the last viewer's copy read by its
	// client: with viewers on several instances, the fan-out through NATS.
	EndToEnd               []time.Duration
	E2EP50, E2EP99, E2EMax time.Duration
	Errors                 []error // the first few
}

func (r RoomReport) String() string {
	return fmt.Sprintf("1 presenter (dropped and back %d times), %d viewers, %d complete; %d messages (%d events) each, %d lost, %d viewers dropped; "+
		"joined in %v, stepped in %v; fan-out (command read → last viewer's copy written) over %d fan-outs: p50 %v, p99 %v, max %v",
		r.Resumes, r.Viewers, r.Complete, r.Messages, r.Events, r.Lost, r.Dropped, r.Join.Round(time.Millisecond), r.Wall.Round(time.Millisecond),
		len(r.Fanout), r.P50, r.P99, r.Max) +
		fmt.Sprintf("; end to end (command sent → last viewer's copy read): p50 %v, p99 %v, max %v", r.E2EP50, r.E2EP99, r.E2EMax)
}

// roomClient is one connection of a room: the presenter's or a viewer's.
type roomClient struct {
	conn *websocket.Conn
}

func (s *Server) dialRoom(ctx context.Context, query string) (*roomClient, error) {
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+s.Addr+"/ws"+query, nil)
	if err != nil {
		return nil, err
	}
	return &roomClient{conn: conn}, nil
}

func (c *roomClient) send(cmd string) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(readTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, []byte(cmd))
}

// roomMessage is the part of a server message the room load test reads.
type roomMessage struct {
	Type    string          `json:"type"`
	Event   json.RawMessage `json:"event"`
	Room    string          `json:"room"`
	State   string          `json:"state"`
	Message string          `json:"message"`
	Resume  string          `json:"resume"`
}

// read reads one message; raw is its text.
func (c *roomClient) read() (m roomMessage, raw []byte, err error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(readTimeout))
	_, raw, err = c.conn.ReadMessage()
	if err != nil {
		return m, nil, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, nil, fmt.Errorf("message %.100s: %w", raw, err)
	}
	return m, raw, nil
}

// until reads the presenter's messages until one of type typ (or done, for
// a step), skipping room updates.
func (c *roomClient) until(types ...string) (roomMessage, []byte, error) {
	for {
		m, raw, err := c.read()
		if err != nil {
			return m, nil, err
		}
		if slices.Contains(types, m.Type) {
			return m, raw, nil
		}
		switch m.Type {
		case "room", "answers":
		default:
			return m, nil, fmt.Errorf("presenter: unexpected %s message %q", m.Type, m.Message)
		}
	}
}

// stepEvery is the shortest time between two of the presenter's commands:
// 40 a second, a fast presenter indeed, within the server's limit of 50.
const stepEvery = 25 * time.Millisecond

// RoomFanout shares a session with n viewers and steps the presenter
// through the built-in scenarios ids, each loaded then stepped to done.
// After each of the first resumes scenarios the presenter's connection
// closes and a new one takes the room back with the resume token. The
// presenter waits for every viewer to receive a message before its next
// command, so that each fan-out is timed alone. Every viewer must receive
// every relayed message, byte for byte and in order, however often the
// presenter left; the server's fan-out times come from its expvar.
func (s *Server) RoomFanout(ctx context.Context, n int, ids []string, resumes int) (RoomReport, error) {
	return s.RoomFanoutAcross(ctx, []*Server{s}, n, ids, resumes)
}

// RoomFanoutAcross is RoomFanout with the presenter on s and viewer i on
// viewersOn[i % len(viewersOn)]: instances that share rooms on NATS.
func (s *Server) RoomFanoutAcross(ctx context.Context, viewersOn []*Server, n int, ids []string, resumes int) (RoomReport, error) {
	r := RoomReport{}
	p, err := s.dialRoom(ctx, "")
	if err != nil {
		return r, err
	}
	defer func() { p.conn.Close() }()
	if err := p.send(`{"type": "share"}`); err != nil {
		return r, err
	}
	shared, _, err := p.until("shared")
	if err != nil {
		return r, err
	}

	// Viewers: each records what it receives after the history (the room
	// was shared before anything was loaded, so there is none).
	start := time.Now()
	viewers := make([]*roomClient, n)
	errs := make([]error, n)
	sem := make(chan struct{}, maxDialing)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := viewersOn[i%len(viewersOn)].dialRoom(ctx, "?room="+shared.Room)
			if err == nil {
				var m roomMessage
				if m, _, err = v.read(); err == nil && (m.Type != "room" || m.State != "joined") {
					err = fmt.Errorf("first message %s %s %q", m.Type, m.State, m.Message)
				}
			}
			viewers[i], errs[i] = v, err
		})
	}
	wg.Wait()
	defer func() {
		for _, v := range viewers {
			if v != nil {
				v.conn.Close()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("joining: %w", err)
	}
	r.Viewers, r.Join = n, time.Since(start)

	var received atomic.Int64 // relayed messages received, over all viewers
	got := make([][][]byte, n)
	readErrs := make([]error, n)
	for i, v := range viewers {
		wg.Go(func() {
			for {
				m, raw, err := v.read()
				if err != nil {
					readErrs[i] = err
					return
				}
				switch m.Type {
				case "loaded", "event", "done":
					got[i] = append(got[i], raw)
					received.Add(1)
				case "room":
					if m.State == "ended" {
						return
					}
				}
			}
		})
	}

	before, err := s.RoomStats(ctx)
	if err != nil {
		return r, err
	}
	var want [][]byte
	start = time.Now()
	// relay sends the presenter's command and waits for its answer (of
	// one of types) and for every viewer's copy. Commands are spaced by
	// stepEvery, within the server's limit of 50 a second.
	var last time.Time
	relay := func(cmd string, types ...string) (roomMessage, error) {
		time.Sleep(time.Until(last.Add(stepEvery)))
		last = time.Now()
		sent := last
		if err := p.send(cmd); err != nil {
			return roomMessage{}, err
		}
		m, raw, err := p.until(types...)
		if err != nil {
			return m, err
		}
		want = append(want, raw)
		target := int64(len(want)) * int64(n)
		deadline := time.Now().Add(readTimeout)
		for received.Load() < target {
			if time.Now().After(deadline) {
				return m, fmt.Errorf("after %d messages: %d of %d viewers' copies arrived", len(want), received.Load(), target)
			}
			time.Sleep(50 * time.Microsecond)
		}
		r.EndToEnd = append(r.EndToEnd, time.Since(sent))
		return m, nil
	}
	for i, id := range ids {
		if i > 0 && i <= resumes {
			// The presenter drops and comes back: the room waits, its
			// viewers stay, and the new connection gets the room's run
			// back (its backlog, read to the answer of a marker).
			p.conn.Close()
			if p, err = s.dialRoom(ctx, "?room="+shared.Room+"&resume="+shared.Resume); err != nil {
				return r, fmt.Errorf("resuming: %w", err)
			}
			if _, _, err := p.until("shared"); err != nil {
				return r, fmt.Errorf("resuming: %w", err)
			}
			if err := p.send(`{"type": "resumed"}`); err != nil {
				return r, err
			}
			for {
				m, _, err := p.read()
				if err != nil {
					return r, fmt.Errorf("resuming: %w", err)
				}
				if m.Type == "error" {
					break
				}
			}
			r.Resumes++
		}
		if _, err := relay(`{"type": "load", "scenario": "`+id+`"}`, "loaded"); err != nil {
			return r, err
		}
		for {
			m, err := relay(`{"type": "step"}`, "event", "done")
			if err != nil {
				return r, err
			}
			if m.Type == "done" {
				break
			}
			r.Events++
		}
	}
	r.Wall = time.Since(start)
	r.Messages = len(want)
	if err := p.send(`{"type": "end"}`); err != nil {
		return r, err
	}
	wg.Wait()

	after, err := s.RoomStats(ctx)
	if err != nil {
		return r, err
	}
	r.Dropped = after.DroppedViewers - before.DroppedViewers
	// The fan-outs since before: the relayed messages in order, with the
	// presenter-away and presenter-back notices of each resume among them,
	// then perhaps the room's end.
	fanouts := r.Messages + 2*r.Resumes
	fresh := int(after.Fanouts - before.Fanouts)
	if fresh > len(after.RecentUS) || fresh < fanouts {
		return r, fmt.Errorf("%d fan-outs for %d messages and %d resumes; the server keeps %d", fresh, r.Messages, r.Resumes, len(after.RecentUS))
	}
	first := len(after.RecentUS) - fresh
	for _, us := range after.RecentUS[first : first+fanouts] {
		r.Fanout = append(r.Fanout, time.Duration(us)*time.Microsecond)
	}
	sorted := slices.Sorted(slices.Values(r.Fanout))
	r.P50, r.P99, r.Max = percentile(sorted, 50), percentile(sorted, 99), sorted[len(sorted)-1]
	sorted = slices.Sorted(slices.Values(r.EndToEnd))
	r.E2EP50, r.E2EP99, r.E2EMax = percentile(sorted, 50), percentile(sorted, 99), sorted[len(sorted)-1]

	for i := range viewers {
		inOrder := 0
		for inOrder < len(got[i]) && inOrder < len(want) && bytes.Equal(got[i][inOrder], want[inOrder]) {
			inOrder++
		}
		r.Lost += len(want) - inOrder
		if inOrder == len(want) && len(got[i]) == len(want) {
			r.Complete++
		} else if len(r.Errors) < 5 {
			r.Errors = append(r.Errors, fmt.Errorf("viewer %d: %d of %d messages in order, %d received: %v",
				i, inOrder, len(want), len(got[i]), readErrs[i]))
		}
	}
	return r, nil
}

// percentile is the pth percentile of sorted (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}
