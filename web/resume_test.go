package web

import (
	"net/url"
	"slices"
	"testing"

	"github.com/gorilla/websocket"
)

// TestRoomResume: the presenter's connection drops; the viewers are told
// the presenter is away, not that the room ended; the presenter comes back
// with the resume token to the same run at the same event, with the open
// question and its answers, and drives the room again.
func TestRoomResume(t *testing.T) {
	rt := newRoomTest(t, LiveConfig{})
	shared := rt.share(exampleID)
	if len(shared.Resume) != 32 {
		t.Fatalf("shared message %v: no resume token", shared)
	}
	v := rt.joinFollowing()
	next(v, msgLoaded)
	shown := stepN(rt.p, 5)
	for range 5 {
		next(v, msgEvent)
	}
	rt.p.send(askJSON)
	next(rt.p, msgQuestion)
	next(v, msgQuestion)
	v.send(`{"type": "answer", "choice": 1}`)
	next(v, msgAnswered)
	// A call changes the run: the resumed session must keep it.
	rt.p.send(`{"type": "call", "endpoint": "client", "call": "send", "data": "more"}`)
	rt.p.send(`{"type": "` + syncMarker + `"}`)
	for {
		m, err := readRoom(rt.p)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == msgError {
			break
		}
		if m.Type == msgEvent {
			shown = append(shown, string(m.Event))
		}
	}
	for range len(shown) - 5 {
		until(v, "the call's events", func(m roomWire) bool { return m.Type == msgEvent })
	}

	rt.p.conn.Close()
	if m := until(v, "presenter-away", func(m roomWire) bool { return m.Type == msgRoom }); m.State != roomAway {
		t.Fatalf("viewer got %v, want presenter-away", m)
	}
	// A wrong token is refused and counts as a failed join.
	bad := dialLive(t, rt.url+"?room="+rt.code+"&resume=00000000000000000000000000000000", nil)
	nextError(bad, "cannot be taken back")
	expectRoomClose(bad, websocket.ClosePolicyViolation)

	p := dialLive(t, rt.url+"?"+url.Values{"room": {rt.code}, "resume": {shared.Resume}}.Encode(), nil)
	if m := next(p, msgShared); m.Room != rt.code || m.Resume != shared.Resume {
		t.Fatalf("back: %v, want the same room and token", m)
	}
	if m := next(p, msgRoom); m.State != roomOpen || m.Viewers != 1 {
		t.Fatalf("back: %v, want the room open with 1 viewer", m)
	}
	next(p, msgLoaded)
	var got []string
	for range shown {
		got = append(got, string(next(p, msgEvent).Event))
	}
	if !slices.Equal(got, shown) {
		t.Fatalf("the presenter's page got back other events:\n%s", firstDiff(got, shown))
	}
	if m := next(p, msgQuestion); m.ID != 1 {
		t.Fatalf("back: %v, want question 1", m)
	}
	if m := next(p, msgAnswers); m.Total != 1 || m.Counts[1] != 1 {
		t.Fatalf("back: %v, want the one answer", m)
	}
	if m := until(v, "presenter-back", func(m roomWire) bool { return m.Type == msgRoom }); m.State != roomBack {
		t.Fatalf("viewer got %v, want presenter-back", m)
	}
	// The run goes on from the same event, for the presenter and the viewer.
	rt.p = p
	want := mustRunEventsAfterCall(t, shown)
	p.send(`{"type": "step"}`)
	ev := string(next(p, msgEvent).Event)
	if vev := string(until(v, "the next event", func(m roomWire) bool { return m.Type == msgEvent }).Event); vev != ev {
		t.Fatalf("viewer got %s, presenter %s", vev, ev)
	}
	if want != "" && ev != want {
		t.Fatalf("the next event %s, want %s", ev, want)
	}
	// A reloaded page may come back before the server saw its old
	// connection close: the token takes the room over from the connection
	// that is still there, and the viewers stay.
	again := dialLive(t, rt.url+"?"+url.Values{"room": {rt.code}, "resume": {shared.Resume}}.Encode(), nil)
	if m := next(again, msgShared); m.Room != rt.code {
		t.Fatalf("the second connection with the token got %v", m)
	}
	if m := until(v, "presenter-back", func(m roomWire) bool { return m.Type == msgRoom && m.State == roomBack }); m.State != roomBack {
		t.Fatalf("viewer got %v, want presenter-back", m)
	}
	// The new connection ends the room.
	again.send(`{"type": "end"}`)
	if m := until(v, "ended", func(m roomWire) bool { return m.Type == msgRoom && m.State == roomEnded }); m.Reason != endedByPresenter {
		t.Fatalf("viewer got %v", m)
	}
}

// mustRunEventsAfterCall is the event that follows shown in a session
// that made the same steps and call; "" when it cannot say.
func mustRunEventsAfterCall(t *testing.T, shown []string) string {
	t.Helper()
	f := newSessionFixture(t)
	f.loadBuiltin(exampleID)
	for range 5 {
		f.ok(f.s.step())
	}
	f.ok(f.s.call("client", "send", "more"))
	f.out.drain()
	f.ok(f.s.step())
	evs, _ := events(t, f.out.drain())
	if len(evs) != 1 {
		return ""
	}
	return evs[0]
}

// TestRoomViewerIdentity: a viewer keeps its ID across reconnects, and its
// second vote on a question is refused; a made-up ID gets a new one.
func TestRoomViewerIdentity(t *testing.T) {
	rt := newRoomTest(t, LiveConfig{})
	rt.share(exampleID)
	v := rt.join("")
	joined := next(v, msgRoom)
	if joined.State != roomJoined || !viewerIDPattern.MatchString(joined.Viewer) {
		t.Fatalf("joined %v: no viewer ID", joined)
	}
	next(v, msgLoaded)
	rt.p.send(askJSON)
	next(v, msgQuestion)
	v.send(`{"type": "answer", "choice": 0}`)
	next(v, msgAnswered)
	v.conn.Close()

	again := dialLive(t, rt.url+"?"+url.Values{"room": {rt.code}, "viewer": {joined.Viewer}}.Encode(), nil)
	if m := next(again, msgRoom); m.Viewer != joined.Viewer {
		t.Fatalf("rejoined as %q, want %q", m.Viewer, joined.Viewer)
	}
	next(again, msgLoaded)
	next(again, msgQuestion)
	again.send(`{"type": "answer", "choice": 2}`)
	nextError(again, "You have answered this question already")
	if m := until(rt.p, "the answers", func(m roomWire) bool { return m.Type == msgAnswers }); m.Total != 1 {
		t.Fatalf("answers %v, want one vote", m)
	}
	other := dialLive(t, rt.url+"?"+url.Values{"room": {rt.code}, "viewer": {"<not an id>"}}.Encode(), nil)
	if m := next(other, msgRoom); m.Viewer == joined.Viewer || !viewerIDPattern.MatchString(m.Viewer) {
		t.Fatalf("a made-up ID gave %q", m.Viewer)
	}
	// A new question takes a new vote from the same viewer.
	rt.p.send(askJSON)
	next(again, msgQuestion)
	again.send(`{"type": "answer", "choice": 2}`)
	next(again, msgAnswered)
}
