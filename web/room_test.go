package web

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"rsc.io/qr"

	"github.com/synack/synack/lessons"
)

// roomWire is any server message with the fields of rooms, decoded.
type roomWire struct {
	Type        string          `json:"type"`
	Event       json.RawMessage `json:"event"`
	Cursor      *int            `json:"cursor"`
	Message     string          `json:"message"`
	Code        string          `json:"code"`
	Args        map[string]any  `json:"args"`
	Room        string          `json:"room"`
	URL         string          `json:"url"`
	QR          string          `json:"qr"`
	State       string          `json:"state"`
	Reason      string          `json:"reason"`
	Viewers     int             `json:"viewers"`
	ID          int             `json:"id"`
	Prompt      json.RawMessage `json:"prompt"`
	Options     json.RawMessage `json:"options"`
	Counts      []int           `json:"counts"`
	Total       int             `json:"total"`
	Choice      *int            `json:"choice"`
	Answer      *int            `json:"answer"`
	Explanation json.RawMessage `json:"explanation"`
	Resume      string          `json:"resume"`
	Viewer      string          `json:"viewer"`
	Kind        string          `json:"kind"`
	Value       *int64          `json:"value"`
	Values      []valueCount    `json:"values"`
}

func (m roomWire) String() string {
	b, _ := json.Marshal(m)
	return string(b)
}

// roomTest is a live hub with rooms, a presenter's client and a way to
// open viewers.
type roomTest struct {
	*liveTest
	p    *liveClient
	code string
}

func newRoomTest(t *testing.T, cfg LiveConfig) *roomTest {
	t.Helper()
	if cfg.CommandRate == 0 {
		cfg.CommandRate, cfg.CommandBurst = 1e6, 1e6
	}
	return &roomTest{liveTest: newLiveTest(t, cfg)}
}

// share loads id in the presenter's session, shares it and returns the
// shared message.
func (rt *roomTest) share(id string) roomWire {
	rt.t.Helper()
	rt.p = rt.dial()
	rt.p.send(`{"type": "load", "scenario": "` + id + `"}`)
	next(rt.p, msgLoaded)
	rt.p.send(`{"type": "share"}`)
	m := next(rt.p, msgShared)
	rt.code = m.Room
	return m
}

// join opens a viewer of the room; code "" is the test's room.
func (rt *roomTest) join(code string) *liveClient {
	rt.t.Helper()
	if code == "" {
		code = rt.code
	}
	return dialLive(rt.t, rt.url+"?room="+code, nil)
}

// joinFollowing opens a viewer and reads its joined message.
func (rt *roomTest) joinFollowing() *liveClient {
	rt.t.Helper()
	v := rt.join("")
	if m := next(v, msgRoom); m.State != roomJoined || m.Room != rt.code {
		rt.t.Fatalf("first message %v, want joined %s", m, rt.code)
	}
	return v
}

// readRoom reads one message with every field of rooms.
func readRoom(c *liveClient) (roomWire, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(readWait))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		return roomWire{}, err
	}
	var m roomWire
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("message %s: %w", b, err)
	}
	return m, nil
}

// next reads messages until one of type typ, skipping the presenter's
// viewer counts and answer updates, which come whenever they like.
func next(c *liveClient, typ string) roomWire {
	c.t.Helper()
	for {
		m, err := readRoom(c)
		if err != nil {
			c.t.Fatalf("waiting for a %s message: %v", typ, err)
		}
		if m.Type == typ {
			return m
		}
		if m.Type == msgAnswers || m.Type == msgRoom && m.State == roomOpen {
			continue
		}
		c.t.Fatalf("got %v, want a %s message", m, typ)
	}
}

// nextError reads until an error message and checks it contains want.
func nextError(c *liveClient, want string) {
	c.t.Helper()
	m := next(c, msgError)
	if !strings.Contains(m.Message, want) {
		c.t.Fatalf("error %q, want one with %q", m.Message, want)
	}
	checkErrorCode(c.t, wireMessage{Type: m.Type, Message: m.Message, Code: m.Code, Args: m.Args})
}

// until reads messages until ok says so.
func until(c *liveClient, what string, ok func(roomWire) bool) roomWire {
	c.t.Helper()
	for {
		m, err := readRoom(c)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok(m) {
			return m
		}
	}
}

// follower is what a viewer shows: the events after the last loaded, as
// the page keeps them.
type follower struct {
	loaded int
	events []string
	done   bool
}

func (f *follower) apply(m roomWire) {
	switch m.Type {
	case msgLoaded:
		f.loaded++
		f.events, f.done = nil, false
	case msgEvent:
		f.events, f.done = append(f.events, string(m.Event)), false
	case msgRewound:
		f.events, f.done = f.events[:*m.Cursor], false
	case msgDone:
		f.done = true
	}
}

// follow reads a viewer's messages until done (or ended), as a page would.
func follow(c *liveClient) (*follower, error) {
	f := &follower{}
	for {
		m, err := readRoom(c)
		if err != nil {
			return f, err
		}
		f.apply(m)
		if m.Type == msgDone || m.Type == msgRoom && m.State == roomEnded {
			return f, nil
		}
	}
}

// stepAll steps the presenter to done and returns the events.
func stepAll(p *liveClient) []string {
	p.t.Helper()
	var evs []string
	for {
		p.send(`{"type": "step"}`)
		m := until(p, "an event or done", func(m roomWire) bool { return m.Type == msgEvent || m.Type == msgDone })
		if m.Type == msgDone {
			return evs
		}
		evs = append(evs, string(m.Event))
	}
}

func stepN(p *liveClient, n int) []string {
	p.t.Helper()
	var evs []string
	for range n {
		p.send(`{"type": "step"}`)
		evs = append(evs, string(next(p, msgEvent).Event))
	}
	return evs
}

// expectRoomClose reads until the connection closes with code.
func expectRoomClose(c *liveClient, code int) []roomWire {
	c.t.Helper()
	var got []roomWire
	for {
		m, err := readRoom(c)
		if err == nil {
			got = append(got, m)
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			c.t.Fatalf("connection ended with %v after %v, want close code %d", err, got, code)
		}
		return got
	}
}

const askJSON = `{"type": "ask", "question": {
	"prompt": {"en": "Who sends the first FIN?", "zh": "谁先发送 FIN？"},
	"options": [{"en": "the server", "zh": "服务器"}, {"en": "the client", "zh": "客户端"}, {"en": "both", "zh": "双方"}],
	"answer": 1,
	"explanation": {"en": "The client closes first.", "zh": "客户端先关闭。"}}}`

var codePattern = regexp.MustCompile(`^[2-9A-HJ-NP-Z]{6}$`)

// TestRoomProtocol goes through the room protocol, one part per case.
func TestRoomProtocol(t *testing.T) {
	tests := []struct {
		name string
		cfg  LiveConfig
		run  func(t *testing.T, rt *roomTest)
	}{
		{"share answers a code, a link and a QR code", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			m := rt.share(exampleID)
			if !codePattern.MatchString(m.Room) {
				t.Errorf("code %q is not 6 characters of the room alphabet", m.Room)
			}
			if !strings.HasSuffix(m.URL, "/?room="+m.Room) || !strings.HasPrefix(m.URL, "http://127.0.0.1:") {
				t.Errorf("url %q", m.URL)
			}
			if m.QR != "/api/rooms/"+m.Room+"/qr.svg" {
				t.Errorf("qr %q", m.QR)
			}
			rt.p.send(`{"type": "share"}`)
			if again := next(rt.p, msgShared); again.Room != m.Room {
				t.Errorf("sharing again gave room %s, want %s", again.Room, m.Room)
			}
		}},
		{"a viewer joins with the code in any case and gets the history", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			p := rt.dial()
			p.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
			next(p, msgLoaded)
			want := stepN(p, 3)
			p.send(`{"type": "share"}`)
			rt.p, rt.code = p, next(p, msgShared).Room
			v := rt.join(strings.ToLower(rt.code[:3]) + "-" + rt.code[3:])
			if m := next(v, msgRoom); m.State != roomJoined || m.Viewers != 1 || m.Room != rt.code {
				t.Fatalf("joined message %v", m)
			}
			f := &follower{}
			for range 4 {
				m, err := readRoom(v)
				if err != nil {
					t.Fatal(err)
				}
				f.apply(m)
			}
			if f.loaded != 1 || !slices.Equal(f.events, want) {
				t.Errorf("history: loaded %d, events %v, want 1 and %v", f.loaded, f.events, want)
			}
			if m := until(p, "the viewer count", func(m roomWire) bool { return m.Type == msgRoom }); m.State != roomOpen || m.Viewers != 1 {
				t.Errorf("presenter got %v, want open with 1 viewer", m)
			}
		}},
		{"three viewers see every event in order", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			viewers := []*liveClient{rt.joinFollowing(), rt.joinFollowing(), rt.joinFollowing()}
			var wg sync.WaitGroup
			got := make([]*follower, len(viewers))
			errs := make([]error, len(viewers))
			for i, v := range viewers {
				wg.Go(func() { got[i], errs[i] = follow(v) })
			}
			want := stepAll(rt.p)
			wg.Wait()
			for i := range viewers {
				if errs[i] != nil || got[i].loaded != 1 || !got[i].done || !slices.Equal(got[i].events, want) {
					t.Errorf("viewer %d: %v, loaded %d, done %v, %d events, want %d: %s", i, errs[i], got[i].loaded,
						got[i].done, len(got[i].events), len(want), firstDiff(got[i].events, want))
				}
			}
		}},
		{"late joiners get the history, then live events without gaps", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			stepN(rt.p, 5)
			rt.p.send(`{"type": "back"}`)
			next(rt.p, msgRewound)
			// Play paced, so that viewers join while events flow.
			rt.p.send(`{"type": "play", "speed": 40}`)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var got []*follower
			var errs []error
			for range 6 {
				time.Sleep(25 * time.Millisecond)
				v := rt.join("")
				wg.Go(func() {
					f, err := follow(v)
					mu.Lock()
					defer mu.Unlock()
					got, errs = append(got, f), append(errs, err)
				})
			}
			var evs []string
			until(rt.p, "done", func(m roomWire) bool {
				if m.Type == msgEvent {
					evs = append(evs, string(m.Event))
				}
				return m.Type == msgDone
			})
			wg.Wait()
			want := append(mustRunEvents(t, exampleID)[:4:4], evs...)
			if !slices.Equal(want, mustRunEvents(t, exampleID)) {
				t.Fatalf("the presenter's run differs from /api/run's: %s", firstDiff(want, mustRunEvents(t, exampleID)))
			}
			for i, f := range got {
				if errs[i] != nil || f.loaded != 1 || !f.done || !slices.Equal(f.events, want) {
					t.Errorf("viewer %d: %v, loaded %d, done %v: %s", i, errs[i], f.loaded, f.done, firstDiff(f.events, want))
				}
			}
		}},
		{"a viewer's commands are refused", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			v := rt.joinFollowing()
			next(v, msgLoaded)
			for _, cmd := range []string{`{"type": "step"}`, `{"type": "play", "speed": "max"}`, `{"type": "back"}`,
				`{"type": "load", "scenario": "syn-lost"}`, `{"type": "reset"}`, `{"type": "share"}`, askJSON,
				`{"type": "reveal"}`, `{"type": "end"}`, `{"type": "call", "endpoint": "client", "call": "close"}`} {
				v.send(cmd)
				nextError(v, "only its presenter can drive the session")
			}
			v.send(`{"type": "answer", "choice": 0}`)
			nextError(v, "no question to answer")
			// The presenter's session did not move.
			rt.p.send(`{"type": "step"}`)
			first := next(rt.p, msgEvent)
			if m := next(v, msgEvent); string(m.Event) != string(first.Event) {
				t.Errorf("viewer got %s, presenter %s", m.Event, first.Event)
			}
		}},
		{"ask, answers one per viewer, reveal", LiveConfig{Rooms: RoomConfig{UpdateEvery: 10 * time.Millisecond}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			vs := []*liveClient{rt.joinFollowing(), rt.joinFollowing(), rt.joinFollowing()}
			for _, v := range vs {
				next(v, msgLoaded)
			}
			rt.p.send(askJSON)
			q := next(rt.p, msgQuestion)
			if q.ID != 1 || !strings.Contains(string(q.Options), "客户端") || q.Answer != nil {
				t.Errorf("question %v", q)
			}
			for i, choice := range []int{1, 1, 2} {
				m := next(vs[i], msgQuestion)
				if string(m.Prompt) != string(q.Prompt) || m.Answer != nil {
					t.Errorf("viewer %d got question %v", i, m)
				}
				vs[i].send(fmt.Sprintf(`{"type": "answer", "choice": %d}`, choice))
				if a := next(vs[i], msgAnswered); a.ID != 1 || *a.Choice != choice {
					t.Errorf("answered %v", a)
				}
			}
			vs[0].send(`{"type": "answer", "choice": 2}`)
			nextError(vs[0], "answered this question already")
			vs[0].send(`{"type": "answer", "choice": "two"}`)
			nextError(vs[0], "choice: must be the index of an option")
			m := until(rt.p, "all answers", func(m roomWire) bool { return m.Type == msgAnswers && m.Total == 3 })
			if !slices.Equal(m.Counts, []int{0, 2, 1}) || m.ID != 1 {
				t.Errorf("answers %v", m)
			}
			rt.p.send(`{"type": "reveal"}`)
			for i, c := range append(vs, rt.p) {
				r := next(c, msgReveal)
				if r.Answer == nil || *r.Answer != 1 || !slices.Equal(r.Counts, []int{0, 2, 1}) || r.Total != 3 ||
					!strings.Contains(string(r.Explanation), "client closes first") {
					t.Errorf("client %d: reveal %v", i, r)
				}
			}
			vs[2].send(`{"type": "answer", "choice": 0}`)
			nextError(vs[2], "takes no more answers")
			// A late joiner sees the question and its answer.
			late := rt.joinFollowing()
			next(late, msgLoaded)
			next(late, msgQuestion)
			next(late, msgReveal)
			// A new question takes answers again, from everyone.
			rt.p.send(askJSON)
			if q := next(rt.p, msgQuestion); q.ID != 2 {
				t.Errorf("second question has id %d", q.ID)
			}
			next(vs[0], msgQuestion)
			vs[0].send(`{"type": "answer", "choice": 5}`)
			nextError(vs[0], "choice: must be 0 to 2")
			vs[0].send(`{"type": "answer", "choice": 0}`)
			next(vs[0], msgAnswered)
		}},
		{"a number question: answers by value, one per viewer, reveal with the distribution", LiveConfig{Rooms: RoomConfig{UpdateEvery: 10 * time.Millisecond}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			vs := []*liveClient{rt.joinFollowing(), rt.joinFollowing(), rt.joinFollowing(), rt.joinFollowing()}
			for _, v := range vs {
				next(v, msgLoaded)
			}
			rt.p.send(`{"type": "ask", "question": {"kind": "number", "prompt": {"en": "What ack does the server send?", "zh": "服务器发送的 ack 是多少？"}, "answer": 1001}}`)
			if q := next(rt.p, msgQuestion); q.ID != 1 || q.Kind != "number" || string(q.Options) != "[]" || q.Value != nil {
				t.Errorf("question %v", q)
			}
			for i, v := range vs {
				if q := next(v, msgQuestion); q.Kind != "number" || q.Value != nil || q.Answer != nil {
					t.Errorf("viewer %d got question %v, the answer given away or no kind", i, q)
				}
			}
			// Bad answers are refused with a clear error and count nothing.
			for _, tc := range []struct{ cmd, want string }{
				{`{"type": "answer", "value": "1001"}`, "value: must be a whole number, such as 1001, not \"1001\""},
				{`{"type": "answer", "value": 1001.5}`, "value: must be a whole number"},
				{`{"type": "answer", "value": true}`, "value: must be a whole number"},
				{`{"type": "answer", "value": null}`, "value: must be a whole number"},
				{`{"type": "answer", "value": 4294967296}`, "value: must be -2147483648 to 4294967295, not 4294967296"},
				{`{"type": "answer", "value": -2147483649}`, "value: must be -2147483648 to 4294967295"},
				{`{"type": "answer", "value": 1e20}`, "value: must be -2147483648 to 4294967295"},
				{`{"type": "answer", "choice": 0}`, "This question asks for a number"},
				{`{"type": "answer", "choice": 0, "value": 1}`, "a choice or a value, not both"},
				{`{"type": "answer"}`, "answer: give a choice"},
			} {
				vs[0].send(tc.cmd)
				nextError(vs[0], tc.want)
			}
			for i, raw := range []string{"1001", "1e3", "1001.0", "1"} {
				vs[i].send(`{"type": "answer", "value": ` + raw + `}`)
				want := map[string]int64{"1001": 1001, "1e3": 1000, "1001.0": 1001, "1": 1}[raw]
				if a := next(vs[i], msgAnswered); a.ID != 1 || a.Value == nil || *a.Value != want || a.Choice != nil {
					t.Errorf("viewer %d: answered %v, want value %d", i, a, want)
				}
			}
			vs[0].send(`{"type": "answer", "value": 7}`)
			nextError(vs[0], "answered this question already")
			want := []valueCount{{1001, 2}, {1, 1}, {1000, 1}}
			m := until(rt.p, "all answers", func(m roomWire) bool { return m.Type == msgAnswers && m.Total == 4 })
			if !slices.Equal(m.Values, want) || len(m.Counts) != 0 {
				t.Errorf("answers %v, want values %v", m, want)
			}
			rt.p.send(`{"type": "reveal"}`)
			for i, c := range append(vs, rt.p) {
				r := next(c, msgReveal)
				if r.Value == nil || *r.Value != 1001 || r.Answer != nil || !slices.Equal(r.Values, want) || r.Total != 4 {
					t.Errorf("client %d: reveal %v", i, r)
				}
			}
			vs[3].send(`{"type": "answer", "value": 5}`)
			nextError(vs[3], "takes no more answers")
			late := rt.joinFollowing()
			next(late, msgLoaded)
			if q := next(late, msgQuestion); q.Kind != "number" {
				t.Errorf("late joiner's question %v", q)
			}
			if r := next(late, msgReveal); !slices.Equal(r.Values, want) {
				t.Errorf("late joiner's reveal %v", r)
			}
			// A choice question after it takes no value.
			rt.p.send(askJSON)
			next(vs[0], msgQuestion)
			vs[0].send(`{"type": "answer", "value": 1}`)
			nextError(vs[0], "This question asks for a choice")
		}},
		{"lesson questions", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			v := rt.joinFollowing()
			next(v, msgLoaded)
			asked := map[string]bool{}
			for _, l := range lessons.All() {
				for i, st := range l.Steps {
					if st.Question == nil || asked[st.Question.Kind] {
						continue
					}
					asked[st.Question.Kind] = true
					rt.p.sendJSON(map[string]any{"type": "ask", "question": map[string]any{"lesson": l.ID, "step": i}})
					next(rt.p, msgQuestion)
					q := next(v, msgQuestion)
					if st.Question.Kind == lessons.KindNumber {
						if q.Kind != "number" || string(q.Options) != "[]" {
							t.Errorf("%s step %d: number question %v", l.ID, i, q)
						}
						rt.p.send(`{"type": "reveal"}`)
						if r := next(v, msgReveal); r.Value == nil || *r.Value != st.Question.Number || r.Answer != nil {
							t.Errorf("%s step %d: reveal %v, want value %d", l.ID, i, r, st.Question.Number)
						}
						next(rt.p, msgReveal)
						continue
					}
					if q.Kind != "" {
						t.Errorf("%s step %d: a choice has kind %q", l.ID, i, q.Kind)
					}
					var opts []map[string]string
					if err := json.Unmarshal(q.Options, &opts); err != nil || len(opts) < 2 {
						t.Errorf("%s step %d (%s): options %s", l.ID, i, st.Question.Kind, q.Options)
					}
					if st.Question.Kind == lessons.KindState && (len(opts) != 11 || opts[4]["en"] != "ESTABLISHED") {
						t.Errorf("state question options %s", q.Options)
					}
				}
			}
			if !asked[lessons.KindChoice] || !asked[lessons.KindState] || !asked[lessons.KindNumber] {
				t.Errorf("asked %v: no choice, state or number question in the lessons", asked)
			}
			for _, tc := range []struct{ q, want string }{
				{`{"lesson": "no-such-lesson", "step": 0}`, "there is no lesson"},
				{`{"lesson": "` + lessons.All()[0].ID + `", "step": 999}`, "question.step"},
				{`{"prompt": {"en": "?"}, "options": [{"en": "only one"}]}`, "question.options: give 2 to 12"},
				{`{"prompt": {"en": ""}, "options": [{"en": "a"}, {"en": "b"}]}`, "question.prompt.en"},
				{`{"prompt": {"en": "?"}, "options": [{"en": "a"}, {"en": "b"}], "answer": 2}`, "question.answer"},
				{`{"prompt": {"en": "?"}, "options": [{"en": "a"}, {"en": "b"}], "colour": 1}`, "unknown field"},
				{`null`, "question: give a question"},
				{`{"kind": "essay", "prompt": {"en": "?"}}`, `question.kind: must be "choice" or "number"`},
				{`{"kind": "number", "prompt": {"en": "?"}, "options": [{"en": "a"}, {"en": "b"}]}`, "a number question has no options"},
				{`{"kind": "number", "prompt": {"en": "?"}, "answer": "one"}`, "question.answer: must be a whole number"},
				{`{"kind": "number", "prompt": {"en": "?"}, "answer": 1.5}`, "question.answer: must be a whole number"},
				{`{"kind": "number", "prompt": {"en": "?"}, "answer": 4294967296}`, "question.answer: must be -2147483648 to 4294967295"},
				{`{"lesson": "` + lessons.All()[0].ID + `", "step": 0, "kind": "number"}`, "not both"},
			} {
				rt.p.send(`{"type": "ask", "question": ` + tc.q + `}`)
				nextError(rt.p, tc.want)
			}
		}},
		{"the presenter ends the room", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			v1, v2 := rt.joinFollowing(), rt.joinFollowing()
			rt.p.send(`{"type": "end"}`)
			for _, v := range []*liveClient{v1, v2} {
				got := expectRoomClose(v, websocket.CloseNormalClosure)
				if last := got[len(got)-1]; last.Type != msgRoom || last.State != roomEnded || last.Reason != endedByPresenter {
					t.Errorf("viewer's last message %v, want ended", last)
				}
			}
			if m := until(rt.p, "ended", func(m roomWire) bool { return m.Type == msgRoom && m.State != roomOpen }); m.State != roomEnded {
				t.Errorf("presenter got %v", m)
			}
			stepN(rt.p, 1) // the session goes on, unshared
			v := rt.join("")
			nextError(v, "There is no room "+rt.code)
			expectRoomClose(v, websocket.ClosePolicyViolation)
			rt.p.send(`{"type": "reveal"}`)
			nextError(rt.p, "Share the session first")
		}},
		{"the presenter leaves and does not come back", LiveConfig{Rooms: RoomConfig{ResumeWithin: 300 * time.Millisecond}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			v := rt.joinFollowing()
			rt.p.conn.Close()
			got := expectRoomClose(v, websocket.CloseNormalClosure)
			if len(got) < 2 || got[len(got)-2].State != roomAway {
				t.Errorf("viewer's messages %v, want presenter-away before the end", got)
			}
			if last := got[len(got)-1]; last.State != roomEnded || last.Reason != endedLeft {
				t.Errorf("viewer's last message %v", last)
			}
			waitFor(t, "the room to go", func() bool { return rt.hub.rooms.report().Rooms == 0 })
		}},
		{"unknown and malformed rooms", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			for _, code := range []string{"ABC234", "ABC", "OOOOOO", "<script>"} {
				v := rt.join(code)
				nextError(v, "There is no room")
				expectRoomClose(v, websocket.ClosePolicyViolation)
			}
		}},
		{"failed joins are limited per address", LiveConfig{Rooms: RoomConfig{FailedJoinsBurst: 2}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			for range 2 {
				v := rt.join("ZZZZZZ")
				nextError(v, "There is no room")
			}
			_, resp, err := websocket.DefaultDialer.Dial(rt.url+"?room=ZZZZZY", nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("third wrong join: %v, %v; want 429 with Retry-After", err, resp)
			}
			// The presenter's address knows the room's code: it is never
			// locked out of it.
			rt.joinFollowing()
			// Sessions without a room are not limited.
			c := rt.dial()
			c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
			next(c, msgLoaded)
		}},
		{"failed joins from all addresses together are limited", LiveConfig{Rooms: RoomConfig{FailedJoinsBurst: 100, FailedJoinsAll: 3}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			for range 3 {
				nextError(rt.join("ZZZZZZ"), "There is no room")
			}
			_, resp, err := websocket.DefaultDialer.Dial(rt.url+"?room=ZZZZZY", nil)
			if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("fourth wrong join: %v, %v; want 429", err, resp)
			}
			rt.joinFollowing()
		}},
		{"a full room refuses viewers", LiveConfig{Rooms: RoomConfig{MaxViewers: 2}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			rt.joinFollowing()
			rt.joinFollowing()
			v := rt.join("")
			nextError(v, "is full")
			expectRoomClose(v, websocket.ClosePolicyViolation)
		}},
		{"rooms are limited", LiveConfig{Rooms: RoomConfig{MaxRooms: 1}}, func(t *testing.T, rt *roomTest) {
			rt.share(exampleID)
			other := rt.dial()
			other.send(`{"type": "share"}`)
			nextError(other, "rooms open, the most it allows")
		}},
		{"room commands need a room", LiveConfig{}, func(t *testing.T, rt *roomTest) {
			c := rt.dial()
			for _, cmd := range []string{askJSON, `{"type": "reveal"}`, `{"type": "end"}`} {
				c.send(cmd)
				nextError(c, "Share the session first")
			}
			c.send(`{"type": "answer", "choice": 0}`)
			nextError(c, "Only a viewer")
			// Sharing before loading: viewers get the scenario when it comes.
			c.send(`{"type": "share"}`)
			rt.p, rt.code = c, next(c, msgShared).Room
			v := rt.joinFollowing()
			c.send(`{"type": "load", "scenario": "` + exampleID + `"}`)
			next(v, msgLoaded)
		}},
		{"a slow viewer is dropped without slowing the others", LiveConfig{Rooms: RoomConfig{ViewerQueue: 4}}, func(t *testing.T, rt *roomTest) {
			rt.p = rt.dial()
			rt.p.sendJSON(map[string]any{"type": "load", "scenario": bigScenario(t)})
			next(rt.p, msgLoaded)
			rt.p.send(`{"type": "share"}`)
			rt.code = next(rt.p, msgShared).Room
			// The slow viewer never reads until the end, and its receive
			// buffer is small: the kernel's autotuning would otherwise take
			// tens of megabytes before the server's writes block.
			small := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
				conn, err := net.Dial(network, addr)
				if err == nil {
					err = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
				}
				return conn, err
			}}
			slowConn, _, err := small.Dial(rt.url+"?room="+rt.code, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { slowConn.Close() })
			slow := &liveClient{t: t, conn: slowConn}
			fast := rt.joinFollowing()
			next(fast, msgLoaded)
			// Each reset sends the whole scenario (about 100 KB) to everyone:
			// a few dozen fill the slow viewer's socket, then its queue. The
			// presenter and the other viewer get each reset at once: nobody
			// waits for the slow viewer (whose blocked write would hold a
			// waiting sender for writeWait, 10 s).
			const resets = 200
			var slowest time.Duration
			for range resets {
				start := time.Now()
				rt.p.send(`{"type": "reset"}`)
				next(rt.p, msgLoaded)
				_ = fast.conn.SetReadDeadline(time.Now().Add(readWait))
				if _, b, err := fast.conn.ReadMessage(); err != nil || !strings.HasPrefix(string(b), `{"type":"loaded"`) {
					t.Fatalf("the other viewer got %.40s, %v", b, err)
				}
				slowest = max(slowest, time.Since(start))
			}
			if slowest > 2*time.Second {
				t.Errorf("a reset took %v to reach the presenter and the other viewer", slowest)
			}
			waitFor(t, "the slow viewer to be dropped", func() bool { return rt.hub.rooms.report().DroppedViewers == 1 })
			// Its close frame (1008) waits behind megabytes that its small
			// window lets through slowly: the server's count says it all.
			slow.conn.Close()
		}},
		{"play at max is not held up by a stuck viewer", LiveConfig{Rooms: RoomConfig{LagGrace: 50 * time.Millisecond}}, func(t *testing.T, rt *roomTest) {
			rt.p = rt.dial()
			rt.p.send(`{"type": "load", "scenario": ` + floodScenario + `}`)
			next(rt.p, msgLoaded)
			rt.p.send(`{"type": "share"}`)
			rt.code = next(rt.p, msgShared).Room
			stuck := rt.join("")
			v := rt.joinFollowing()
			type result struct {
				f   *follower
				err error
			}
			done := make(chan result)
			go func() {
				f, err := follow(v)
				done <- result{f, err}
			}()
			start := time.Now()
			rt.p.send(`{"type": "play", "speed": "max"}`)
			var want []string
			until(rt.p, "done", func(m roomWire) bool {
				if m.Type == msgEvent {
					want = append(want, string(m.Event))
				}
				return m.Type == msgDone
			})
			if d := time.Since(start); d > time.Minute {
				t.Errorf("play took %v", d)
			}
			// The reading viewer gets every event in order, or, if it
			// cannot keep up (under the race detector), a prefix of them and
			// then 1008: never a gap.
			res := <-done
			var ce *websocket.CloseError
			if got := res.f.events; !slices.Equal(got, want[:min(len(got), len(want))]) ||
				!res.f.done && (!errors.As(res.err, &ce) || ce.Code != websocket.ClosePolicyViolation) {
				t.Errorf("the reading viewer got %d of %d events, done %v, %v: %s", len(got), len(want), res.f.done, res.err,
					firstDiff(got, want[:min(len(got), len(want))]))
			}
			t.Logf("played %d events to 2 viewers (one never reading) in %v; the other got %d; viewers dropped: %d",
				len(want), time.Since(start), len(res.f.events), rt.hub.rooms.report().DroppedViewers)
			stuck.conn.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newRoomTest(t, tt.cfg))
		})
	}
}

// TestRoomFanoutStats: every fan-out to the viewers is timed.
func TestRoomFanoutStats(t *testing.T) {
	rt := newRoomTest(t, LiveConfig{})
	rt.share(exampleID)
	v := rt.joinFollowing()
	next(v, msgLoaded)
	stepN(rt.p, 5)
	for range 5 {
		next(v, msgEvent)
	}
	var st RoomStats
	waitFor(t, "five fan-outs", func() bool { st = rt.hub.rooms.report(); return st.Fanouts >= 5 })
	if st.Rooms != 1 || st.Viewers != 1 || len(st.RecentUS) != int(st.Fanouts) || st.P99US > st.MaxUS || st.P50US > st.P99US {
		t.Errorf("stats %+v", st)
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ABC234", "ABC234"}, {"abc234", "ABC234"}, {" abc-234 ", "ABC234"}, {"ab c2 34", "ABC234"},
		{"ABC23", ""}, {"ABC2345", ""}, {"ABC0O1", ""}, {"ABCI23", ""}, {"ÄBC234", ""}, {"", ""},
	} {
		got, ok := normalizeCode(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("normalizeCode(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	seen := map[string]bool{}
	for range 1000 {
		c := newRoomCode()
		if !codePattern.MatchString(c) {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 999 {
		t.Errorf("%d distinct codes of 1000", len(seen))
	}
}

// TestRoomQR: the QR code is a valid SVG, as large as the code needs.
func TestRoomQR(t *testing.T) {
	srv := newTestServer(t, Config{})
	body := expect(t, get(t, srv.Handler(), "/api/rooms/abc234/qr.svg"), http.StatusOK, "image/svg+xml")
	code, err := qr.Encode("http://example.com/?room=ABC234", qr.M)
	if err != nil {
		t.Fatal(err)
	}
	var svg struct {
		XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
		ViewBox string   `xml:"viewBox,attr"`
		Width   int      `xml:"width,attr"`
		Height  int      `xml:"height,attr"`
		Rect    struct {
			Fill string `xml:"fill,attr"`
		} `xml:"rect"`
		Path struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal(body, &svg); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	n := code.Size + 2*qrQuietZone
	if svg.ViewBox != fmt.Sprintf("0 0 %d %d", n, n) || svg.Width != n*qrModulePixels || svg.Height != svg.Width {
		t.Errorf("viewBox %q, %d×%d; want %d modules square", svg.ViewBox, svg.Width, svg.Height, n)
	}
	if code.Size < 21 || (code.Size-17)%4 != 0 {
		t.Errorf("QR size %d is no QR version's", code.Size)
	}
	// The path draws exactly the dark modules: count its area.
	area, dark := 0, 0
	for _, m := range regexp.MustCompile(`h(\d+)v1`).FindAllStringSubmatch(svg.Path.D, -1) {
		var w int
		fmt.Sscan(m[1], &w)
		area += w
	}
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				dark++
			}
		}
	}
	if area != dark || svg.Rect.Fill != "#fff" {
		t.Errorf("path covers %d modules, the code has %d dark", area, dark)
	}
	expectError(t, get(t, srv.Handler(), "/api/rooms/ABC/qr.svg"), http.StatusBadRequest)
}
