package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/nats-io/nats.go"
)

// Rooms across instances, on NATS (-nats-url). The instance the presenter
// is connected to holds the room, as without NATS; the bus carries it to
// the others, on four subjects per room:
//
//	synack.room.CODE.msg     every message the room's viewers receive, in order, numbered (header Synack-Seq)
//	synack.room.CODE.join    request: the room's history, for an instance whose first viewer joins
//	synack.room.CODE.answer  request: a viewer's answer, counted on the presenter's instance
//	synack.room.CODE.count   how many viewers an instance has, for the presenter's count
//	synack.room.CODE.seat    request: a seat for one more viewer on another instance (MaxViewers counts every instance's)
//
// An instance whose viewer joins a room it does not hold follows it: it
// subscribes to .msg, then asks .join for the history (its numbered
// chunks), and applies the messages numbered after the history's last,
// so a late joiner sees every message once and in order. A code is
// claimed by asking .join: no responder means no instance holds it. Two
// instances may both hear no responder for the same fresh code; so, once
// subscribed, each asks .join again, naming its claim, and listens for
// every answer: an answer of another claim means a rival holds the code
// too, and the one that hears it draws another code. Of two rivals, the
// later one's question reaches the earlier one's subscription, so at
// least one of them hears the other (both may: both then draw again).

// Subjects and headers of the bus.
const (
	natsSubjectPrefix = "synack.room."
	natsSeqHeader     = "Synack-Seq"
	natsChunksHeader  = "Synack-Chunks"
	natsInboxHeader   = "Synack-Inbox"
	natsProbeHeader   = "Synack-Probe"
	natsClaimHeader   = "Synack-Claim"
	// natsChunkBytes bounds one chunk of a history reply, under NATS's
	// default 1 MiB payload.
	natsChunkBytes = 512 << 10
	// natsWait is how long an instance waits for another's answer.
	natsWait = 2 * time.Second
	// natsRivalGrace is the least time a claim listens, after its own
	// answer, for a rival's.
	natsRivalGrace = 50 * time.Millisecond
)

// errCodeTaken: another instance claimed the same room code at once.
var errCodeTaken = errors.New("another instance claimed the room code")

func natsSubject(code, what string) string { return natsSubjectPrefix + code + "." + what }

// natsBus is the bus of rooms on a NATS connection.
type natsBus struct {
	nc  *nats.Conn
	id  string // this instance, in the viewer counts
	log *slog.Logger

	mu      sync.Mutex
	follows map[string]*room // rooms of other instances followed here, by code
}

// DialNATS connects to the NATS server at url for rooms across instances.
func dialNATS(url string, log *slog.Logger) (*natsBus, error) {
	nc, err := nats.Connect(url, nats.Name("synack"), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS disconnected: rooms on other instances wait", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "url", nc.ConnectedUrl()) }))
	if err != nil {
		return nil, fmt.Errorf("-nats-url %s: %w", url, err)
	}
	return &natsBus{nc: nc, id: nats.NewInbox(), log: log, follows: map[string]*room{}}, nil
}

func (b *natsBus) close() { b.nc.Close() }

func (b *natsBus) claim(code string) (bool, error) {
	msg := nats.NewMsg(natsSubject(code, "join"))
	msg.Header.Set(natsProbeHeader, "1")
	_, err := b.nc.RequestMsg(msg, natsWait)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("asking NATS whether room %s is taken: %w", code, err)
	}
	return false, nil
}

// natsLink carries a room held here.
type natsLink struct {
	bus *natsBus
	r   *room

	// claim names this room's claim of its code to rival claimants.
	claim string

	mu     sync.Mutex
	code   string // "" until the room has its code
	seq    uint64 // the last message's number
	hist   history
	subs   []*nats.Subscription
	remote map[string]int // viewers of other instances, by instance
	// remoteSeq is the number of the last count or seat of each instance:
	// an older one, overtaken on the way, is not applied.
	remoteSeq map[string]uint64
	// answered is the last question each remote viewer answered. r.mu.
	answered map[string]int
}

func (b *natsBus) carry(r *room) roomLink {
	return &natsLink{bus: b, r: r, claim: newToken(), remote: map[string]int{}, remoteSeq: map[string]uint64{}, answered: map[string]int{}}
}

// open starts answering for the room, under its new code; errCodeTaken
// when a rival instance claimed the same code at the same time.
func (l *natsLink) open(code string) error {
	var subs []*nats.Subscription
	drop := func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}
	for what, handle := range map[string]nats.MsgHandler{"join": l.join, "answer": l.answer, "count": l.count, "seat": l.seat} {
		sub, err := l.bus.nc.Subscribe(natsSubject(code, what), handle)
		if err != nil {
			drop()
			return fmt.Errorf("room %s on NATS: %w", code, err)
		}
		subs = append(subs, sub)
	}
	// The server must know the subscriptions before the code is handed
	// out, or a viewer quick to join on another instance finds no room.
	if err := l.bus.nc.FlushTimeout(natsWait); err != nil {
		drop()
		return fmt.Errorf("room %s on NATS: %w", code, err)
	}
	if err := l.confirm(code); err != nil {
		drop()
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.code, l.subs = code, subs
	return nil
}

// confirm asks every instance answering for code which claim it holds:
// errCodeTaken when one answers with another claim than this room's.
// It listens until its own answer has come, and then as long again
// (natsRivalGrace at least) for a rival's.
func (l *natsLink) confirm(code string) error {
	inbox := nats.NewInbox()
	answers, err := l.bus.nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("room %s on NATS: %w", code, err)
	}
	defer answers.Unsubscribe()
	req := nats.NewMsg(natsSubject(code, "join"))
	req.Reply = inbox
	req.Header.Set(natsProbeHeader, "1")
	req.Header.Set(natsClaimHeader, l.claim)
	start := time.Now()
	if err := l.bus.nc.PublishMsg(req); err != nil {
		return fmt.Errorf("room %s on NATS: %w", code, err)
	}
	deadline := start.Add(natsWait)
	own := false
	for {
		m, err := answers.NextMsg(time.Until(deadline))
		if errors.Is(err, nats.ErrTimeout) && own {
			return nil
		}
		if err != nil {
			return fmt.Errorf("room %s on NATS: confirming its claim: %w", code, err)
		}
		if m.Header.Get(natsClaimHeader) != l.claim {
			return errCodeTaken
		}
		if !own {
			own = true
			deadline = time.Now().Add(max(natsRivalGrace, 2*time.Since(start)))
		}
	}
}

func (l *natsLink) publish(b []byte) {
	var w busWire
	if json.Unmarshal(b, &w) != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hist.add(w, b)
	l.seq++
	if l.code == "" {
		return
	}
	msg := nats.NewMsg(natsSubject(l.code, "msg"))
	msg.Header.Set(natsSeqHeader, strconv.FormatUint(l.seq, 10))
	msg.Data = b
	if err := l.bus.nc.PublishMsg(msg); err != nil {
		l.bus.log.Warn("room message not published", "room", l.code, "err", err)
	}
}

func (l *natsLink) viewers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.remote {
		n += v
	}
	return n
}

func (l *natsLink) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.subs {
		_ = s.Unsubscribe()
	}
	l.subs = nil
}

// join answers an instance that follows the room: its history in chunks,
// the first as the reply, the others to the inbox it names, each
// numbered with the last message the history holds.
func (l *natsLink) join(m *nats.Msg) {
	if m.Header.Get(natsProbeHeader) != "" {
		out := nats.NewMsg(m.Reply)
		out.Header.Set(natsClaimHeader, l.claim)
		_ = l.bus.nc.PublishMsg(out)
		return
	}
	l.mu.Lock()
	frames, seq := l.hist.frames(), l.seq
	l.mu.Unlock()
	var chunks [][]byte
	start, size := 0, 0
	for i, f := range frames {
		if size+len(f) > natsChunkBytes && i > start {
			chunks = append(chunks, encodeChunk(frames[start:i]))
			start, size = i, 0
		}
		size += len(f)
	}
	chunks = append(chunks, encodeChunk(frames[start:]))
	inbox := m.Header.Get(natsInboxHeader)
	for i, c := range chunks {
		out := nats.NewMsg(m.Reply)
		if i > 0 {
			out.Subject = inbox
		}
		out.Header.Set(natsSeqHeader, strconv.FormatUint(seq, 10))
		out.Header.Set(natsChunksHeader, strconv.Itoa(len(chunks)))
		out.Data = c
		if out.Subject == "" || l.bus.nc.PublishMsg(out) != nil {
			return
		}
	}
}

func encodeChunk(frames [][]byte) []byte {
	raw := make([]json.RawMessage, len(frames))
	for i, f := range frames {
		raw[i] = f
	}
	b, _ := json.Marshal(raw) // frames are JSON objects
	return b
}

// natsAnswer is a viewer's answer, from its instance to the presenter's.
// It carries the viewer's choice or, for a number question, its value.
type natsAnswer struct {
	Viewer string `json:"viewer"`
	ID     int    `json:"id"`
	givenAnswer
}

// natsAnswerReply is the presenter's instance's word on an answer.
type natsAnswerReply struct {
	Error *errorMessage `json:"error,omitempty"`
}

// answer counts a remote viewer's answer, as room.answer counts a local one's.
func (l *natsLink) answer(m *nats.Msg) {
	var a natsAnswer
	reply := natsAnswerReply{}
	if err := json.Unmarshal(m.Data, &a); err != nil {
		reply.Error = new(userErrorf("bad-choice", errArgs{"value": clip(string(m.Data))}, "choice: must be the index of an option (0, 1, …), not %s.", clip(string(m.Data))).message())
	} else if err := l.r.answerFrom(a, l.answered); err != nil {
		var ue *userError
		if errors.As(err, &ue) {
			reply.Error = new(ue.message())
		}
	}
	b, _ := json.Marshal(reply)
	_ = m.Respond(b)
}

// answerFrom counts a remote viewer's answer.
func (r *room) answerFrom(a natsAnswer, answered map[string]int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.question
	switch {
	case r.ended || q == nil || q.id != a.ID:
		return userErrorf("no-question", nil, "There is no question to answer right now.")
	case q.revealed != nil:
		return userErrorf("revealed", nil, "The answer has been shown: this question takes no more answers.")
	case answered[a.Viewer] == q.id:
		return userErrorf("answered", nil, "You have answered this question already: one answer each.")
	}
	if err := q.check(a.givenAnswer); err != nil {
		return err
	}
	for v, id := range answered {
		if id != q.id {
			delete(answered, v) // the answers to earlier questions: bounded by the viewers
		}
	}
	answered[a.Viewer] = q.id
	q.take(a.givenAnswer)
	r.answersDirty = true
	r.changed()
	return nil
}

// natsCount is how many viewers of a room an instance has; in a seat
// request, how many it has before the one it asks a seat for. Seq numbers
// an instance's counts and seats in the order it sent them.
type natsCount struct {
	Instance string `json:"instance"`
	Viewers  int    `json:"viewers"`
	Seq      uint64 `json:"seq"`
}

// natsSeatReply is the presenter's instance's word on a seat.
type natsSeatReply struct {
	Full bool `json:"full,omitempty"`
}

func (l *natsLink) count(m *nats.Msg) {
	var c natsCount
	if json.Unmarshal(m.Data, &c) != nil || c.Instance == "" {
		return
	}
	l.mu.Lock()
	switch {
	case c.Seq != 0 && c.Seq <= l.remoteSeq[c.Instance]:
		// overtaken by a later count or seat of the same instance
	case c.Viewers <= 0:
		delete(l.remote, c.Instance)
		delete(l.remoteSeq, c.Instance)
	default:
		l.remote[c.Instance], l.remoteSeq[c.Instance] = c.Viewers, c.Seq
	}
	l.mu.Unlock()
	r := l.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.countDirty = true
		r.changed()
	}
}

// seat answers an instance whose viewer asks to join: full when the
// room's viewers on every instance, the asker's new one with them, would
// be more than MaxViewers. A seat given counts at once, before the
// asker's next count.
func (l *natsLink) seat(m *nats.Msg) {
	var c natsCount
	if json.Unmarshal(m.Data, &c) != nil || c.Instance == "" {
		return
	}
	r := l.r
	r.mu.Lock()
	l.mu.Lock()
	total := len(r.viewers) + c.Viewers + 1
	for inst, n := range l.remote {
		if inst != c.Instance {
			total += n
		}
	}
	reply := natsSeatReply{Full: r.ended || total > r.hub.cfg.MaxViewers}
	if !reply.Full {
		l.remote[c.Instance] = max(l.remote[c.Instance], c.Viewers+1)
		l.remoteSeq[c.Instance] = max(l.remoteSeq[c.Instance], c.Seq)
	}
	l.mu.Unlock()
	if !reply.Full && !r.ended {
		r.countDirty = true
		r.changed()
	}
	r.mu.Unlock()
	b, _ := json.Marshal(reply)
	_ = m.Respond(b)
}

// busFollower is this instance's side of a room held by another.
type busFollower struct {
	bus *natsBus
	sub *nats.Subscription
	// seats takes this instance's viewers' seat requests one at a time;
	// seq numbers its counts and seats.
	seats sync.Mutex
	seq   atomic.Uint64
	// Guarded by the room's mu.
	ready   bool
	last    uint64      // the number of the last message applied
	pending []*nats.Msg // messages that came before the history
}

// follow finds the room code on the bus and follows it here.
func (b *natsBus) follow(h *roomHub, code string) *room {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.follows[code]; r != nil {
		return r
	}
	f := &busFollower{bus: b}
	r := &room{code: code, hub: h, viewers: make(map[*wsConn]*viewer), follows: f, known: map[string]struct{}{}}
	sub, err := b.nc.Subscribe(natsSubject(code, "msg"), func(m *nats.Msg) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if !f.ready {
			f.pending = append(f.pending, m)
			return
		}
		r.applyRemote(m, true)
	})
	if err != nil {
		b.log.Warn("following a room", "room", code, "err", err)
		return nil
	}
	f.sub = sub
	if !r.fetchHistory() {
		_ = sub.Unsubscribe()
		return nil
	}
	b.follows[code] = r
	return r
}

// fetchHistory asks the presenter's instance for the room's history, and
// applies it and the messages that came meanwhile.
func (r *room) fetchHistory() bool {
	f := r.follows
	inbox := nats.NewInbox()
	rest, err := f.bus.nc.SubscribeSync(inbox)
	if err != nil {
		return false
	}
	defer rest.Unsubscribe()
	// Both subscriptions (the room's messages and the history's inbox) are
	// known to the server before the request, so nothing sent after the
	// answer is missed.
	if err := f.bus.nc.FlushTimeout(natsWait); err != nil {
		return false
	}
	req := nats.NewMsg(natsSubject(r.code, "join"))
	req.Header.Set(natsInboxHeader, inbox)
	first, err := f.bus.nc.RequestMsg(req, natsWait)
	if err != nil {
		if !errors.Is(err, nats.ErrNoResponders) {
			f.bus.log.Warn("asking for a room's history", "room", r.code, "err", err)
		}
		return false
	}
	seq, err := strconv.ParseUint(first.Header.Get(natsSeqHeader), 10, 64)
	n, err2 := strconv.Atoi(first.Header.Get(natsChunksHeader))
	if err != nil || err2 != nil || n < 1 {
		return false
	}
	chunks := []*nats.Msg{first}
	for len(chunks) < n {
		m, err := rest.NextMsg(natsWait)
		if err != nil {
			return false
		}
		chunks = append(chunks, m)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range chunks {
		var frames []json.RawMessage
		if json.Unmarshal(c.Data, &frames) != nil {
			return false
		}
		for _, b := range frames {
			r.applyFrame(b, false)
		}
	}
	f.last, f.ready = seq, true
	for _, m := range f.pending {
		r.applyRemote(m, false)
	}
	f.pending = nil
	return !r.ended
}

// applyRemote applies one numbered message of the room, once. r.mu is held.
func (r *room) applyRemote(m *nats.Msg, fan bool) {
	f := r.follows
	seq, err := strconv.ParseUint(m.Header.Get(natsSeqHeader), 10, 64)
	if err != nil || seq <= f.last {
		return
	}
	f.last = seq
	r.applyFrame(m.Data, fan)
}

// applyFrame keeps a followed room's history as room.relay keeps a held
// one's, and fans the message out to this instance's viewers. r.mu is held.
func (r *room) applyFrame(b []byte, fan bool) {
	if r.ended {
		return
	}
	var w busWire
	if json.Unmarshal(b, &w) != nil {
		return
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return
	}
	kept := &sharedFrame{pm: pm}
	switch w.Type {
	case msgLoaded:
		r.loaded, r.done = kept, nil
		r.truncate(0)
	case msgEvent:
		r.events, r.done = append(r.events, kept), nil
	case msgRewound:
		r.done = nil
		r.truncate(w.Cursor)
	case msgDone:
		r.done = kept
	case msgQuestion:
		r.question = &roomQuestion{id: w.ID, msg: kept}
	case msgReveal:
		if r.question != nil && r.question.id == w.ID {
			r.question.revealed = kept
		}
	}
	if fan {
		r.fanOut(pm, time.Now())
	}
	if w.Type == msgRoom && w.State == roomEnded {
		bye := frame{bye: &closeFrame{code: websocket.CloseNormalClosure, reason: "the room has ended"}}
		for c := range r.viewers {
			c.enqueue(bye)
		}
		r.stopFollowing()
	}
}

// stopFollowing forgets a followed room. r.mu is held.
func (r *room) stopFollowing() {
	if r.ended {
		return
	}
	r.ended = true
	r.viewers = nil
	r.loaded, r.events, r.done, r.question = nil, nil, nil, nil
	f := r.follows
	go func() {
		f.bus.mu.Lock()
		if f.bus.follows[r.code] == r {
			delete(f.bus.follows, r.code)
		}
		f.bus.mu.Unlock()
		_ = f.sub.Unsubscribe()
	}()
}

// followerUpdate tells the presenter's instance how many viewers this
// one has; the last viewer gone, it stops following. r.mu is held.
func (r *room) followerUpdate() {
	r.lastUpdate = time.Now()
	if !r.countDirty {
		return
	}
	r.countDirty = false
	b, _ := json.Marshal(natsCount{Instance: r.follows.bus.id, Viewers: len(r.viewers), Seq: r.follows.seq.Add(1)})
	_ = r.follows.bus.nc.Publish(natsSubject(r.code, "count"), b)
	if len(r.viewers) == 0 {
		r.stopFollowing()
	}
}

// answerRemote sends viewer c's answer to the presenter's instance.
func (r *room) answerRemote(c *wsConn, a givenAnswer) error {
	r.mu.Lock()
	q, v := r.question, r.viewers[c]
	r.mu.Unlock()
	switch {
	case q == nil || v == nil:
		return userErrorf("no-question", nil, "There is no question to answer right now.")
	case q.revealed != nil:
		return userErrorf("revealed", nil, "The answer has been shown: this question takes no more answers.")
	}
	b, _ := json.Marshal(natsAnswer{Viewer: v.id, ID: q.id, givenAnswer: a})
	m, err := r.follows.bus.nc.Request(natsSubject(r.code, "answer"), b, natsWait)
	if err != nil {
		return userErrorf("room-unreachable", nil, "Your answer could not reach the presenter's server; try again in a moment.")
	}
	var reply natsAnswerReply
	if json.Unmarshal(m.Data, &reply) != nil {
		return userErrorf("room-unreachable", nil, "Your answer could not reach the presenter's server; try again in a moment.")
	}
	if e := reply.Error; e != nil {
		return &userError{code: e.Code, args: e.Args, msg: e.Message}
	}
	r.mu.Lock()
	if r.votes == nil {
		r.votes = map[string]int{}
	}
	r.votes[v.id] = q.id
	r.mu.Unlock()
	c.tell(answeredMessage{Type: msgAnswered, ID: q.id, Choice: a.Choice, Value: a.Value})
	return nil
}

// seat asks the presenter's instance for a seat for one more viewer here,
// and admits c if there is one. A full room, or one whose presenter's
// instance does not answer, is told to c and its connection closes.
func (r *room) seat(c *wsConn, id string) bool {
	f := r.follows
	f.seats.Lock()
	defer f.seats.Unlock()
	r.mu.Lock()
	n, ended := len(r.viewers), r.ended
	r.mu.Unlock()
	if ended {
		return false
	}
	b, _ := json.Marshal(natsCount{Instance: f.bus.id, Viewers: n, Seq: f.seq.Add(1)})
	m, err := f.bus.nc.Request(natsSubject(r.code, "seat"), b, natsWait)
	var reply natsSeatReply
	if err == nil {
		err = json.Unmarshal(m.Data, &reply)
	}
	switch {
	case err != nil:
		r.hub.refusedJoins.Add(1)
		c.tell(userErrorf("room-unreachable-join", errArgs{"room": r.code},
			"Room %s cannot be joined right now: its presenter's server does not answer; try again in a moment.", r.code).message())
		c.enqueue(frame{bye: &closeFrame{code: websocket.CloseTryAgainLater, reason: "the room cannot be reached"}})
		return true
	case reply.Full:
		r.hub.refusedJoins.Add(1)
		r.tellFull(c)
		return true
	}
	return r.admit(c, id)
}
