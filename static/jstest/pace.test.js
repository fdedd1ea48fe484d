// Unit tests of pace.js: where a Step by segment stops, and the teaching
// pace's clock, on the fixtures here and on every built-in scenario's trace
// when the Go test hands them over in SYNACK_TRACES.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';

import { PACES, PaceClock, nextStop, oneWayDelay, prevStop, segmentStops } from '../files/js/pace.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`testdata/${name}.json`, import.meta.url), 'utf8'));
const tracesDir = process.env.SYNACK_TRACES ?? '';
const noTraces = tracesDir ? false : 'the built-in traces come from go test ./web (SYNACK_TRACES is not set)';
const builtins = () =>
  readdirSync(tracesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ id: f.slice(0, -5), trace: JSON.parse(readFileSync(`${tracesDir}/${f}`, 'utf8')) }));

// groups cuts the events at the stops and writes each group short:
// "#1" a segment, "c:SYN-SENT" a state change, "timer" and "call".
function groups(events) {
  let from = 0;
  return segmentStops(events).map((to) => {
    const g = events.slice(from, to).map((e) => (e.kind === 'segment' ? `#${e.id}` : e.kind === 'state' ? `${e.endpoint[0]}:${e.to}` : e.kind));
    from = to;
    return g.join(' ');
  });
}

// checkStops checks the grouping's promises on one run.
function checkStops(name, events) {
  const stops = segmentStops(events);
  const segments = events.filter((e) => e.kind === 'segment').length;
  assert.equal(stops.at(-1), events.length, `${name}: the last stop is the end`);
  assert.ok(stops.every((s, i) => i === 0 || s > stops[i - 1]), `${name}: stops increase`);
  // One segment a step: each group but a trailing one holds exactly one.
  let from = 0;
  stops.forEach((to, i) => {
    const n = events.slice(from, to).filter((e) => e.kind === 'segment').length;
    const trailing = i === stops.length - 1 && i === segments;
    assert.equal(n, trailing ? 0 : 1, `${name}: group ${i} (${from}..${to}) has ${n} segments`);
    from = to;
  });
  assert.ok(stops.length === segments || stops.length === segments + 1, `${name}: ${stops.length} stops for ${segments} segments`);
  // Step and Back walk the same stops.
  let c = 0;
  const walked = [];
  while (nextStop(events, c) !== c) walked.push((c = nextStop(events, c)));
  assert.deepEqual(walked, stops, `${name}: walking forward`);
  for (let i = stops.length - 1; i > 0; i--) assert.equal(prevStop(events, stops[i]), stops[i - 1], `${name}: back from ${stops[i]}`);
  assert.equal(prevStop(events, stops[0]), 0);
}

describe('step by segment', () => {
  test('the handshake in three steps, each with its causes and what its arrival does', () => {
    const tr = fixture('client-closes-first');
    assert.deepEqual(groups(tr.events).slice(0, 3), [
      'call s:LISTEN call c:SYN-SENT #1 timer s:SYN-RECEIVED',
      '#2 timer c:ESTABLISHED timer',
      '#3 s:ESTABLISHED timer',
    ]);
    // TIME-WAIT's end, a minute later, is a step of its own.
    assert.deepEqual(groups(tr.events).at(-1), 'timer c:CLOSED');
  });

  test('a retransmission comes with the timeout that caused it', () => {
    const tr = fixture('rfc-syn-backoff');
    const g = groups(tr.events);
    assert.match(g[1], /^timer #2/);
  });

  test('no events, or no segments: one stop at the end', () => {
    assert.deepEqual(segmentStops([]), [0]);
    assert.deepEqual(segmentStops([{ kind: 'call', t_ms: 0 }, { kind: 'state', t_ms: 0, endpoint: 'server', to: 'LISTEN' }]), [2]);
    assert.equal(nextStop([], 0), 0);
    assert.equal(prevStop([], 0), 0);
  });

  test('the fixtures', () => {
    for (const name of ['client-closes-first', 'fin-lost', 'final-ack-lost', 'old-duplicate-syn', 'simultaneous-open', 'syn-flood-backlog', 'live-fin-dropped', 'rfc-syn-backoff']) {
      checkStops(name, fixture(name).events);
    }
  });

  test('every built-in scenario', { skip: noTraces }, () => {
    for (const { id, trace } of builtins()) checkStops(id, trace.events);
  });
});

// play runs a clock to its end in real-time ticks and notes when each
// event is reached.
function play(events, pace, tick = 20) {
  const c = new PaceClock(events, pace);
  const reached = [];
  let real = 0;
  while (!c.done && real < 10 * 60 * 1000) {
    const before = c.cursor;
    const { vt } = c.advance(tick);
    real += tick;
    for (let i = before; i < c.cursor; i++) reached.push({ i, real, vt });
    assert.ok(vt <= c.end + 1e-9, 'the clock does not run past the end');
  }
  return { reached, real, clock: c };
}

describe('teaching pace', () => {
  test("a segment's flight takes 1.5 s, and each state change holds the clock", () => {
    const tr = fixture('client-closes-first');
    assert.equal(oneWayDelay(tr.events), 10);
    const { reached } = play(tr.events, 'teaching');
    const at = (pred) => reached.find((r) => pred(tr.events[r.i])).real;
    const synSent = at((e) => e.kind === 'segment' && e.id === 1);
    const synArrived = at((e) => e.kind === 'state' && e.to === 'SYN-RECEIVED');
    // From the SYN on the wire to its arrival: 1.5 s of flight (± a tick).
    assert.ok(Math.abs(synArrived - synSent - PACES.teaching.flightMs) <= 40, `flight ${synArrived - synSent} ms`);
    // The SYN,ACK leaves after the pause on SYN-RECEIVED.
    const synackSent = at((e) => e.kind === 'segment' && e.id === 2);
    assert.ok(synackSent - synArrived >= PACES.teaching.statePauseMs - 20, `pause ${synackSent - synArrived} ms`);
  });

  test('quiet stretches are skipped: TIME-WAIT does not take a minute, let alone hours', () => {
    const tr = fixture('client-closes-first');
    const { real } = play(tr.events, 'teaching');
    assert.ok(real < 40000, `the whole run took ${real} ms`);
    assert.ok(real > 9 * PACES.teaching.flightMs, `the whole run took only ${real} ms`);
  });

  test('fast is faster, and does not pause on state changes', () => {
    const tr = fixture('client-closes-first');
    assert.ok(play(tr.events, 'fast').real * 2.5 < play(tr.events, 'teaching').real);
  });

  test('virtual time only moves forward and every event is reached in order', () => {
    for (const name of ['fin-lost', 'old-duplicate-syn', 'syn-flood-backlog', 'rfc-syn-backoff']) {
      const events = fixture(name).events;
      const { reached, clock } = play(events, 'teaching', 37);
      assert.equal(reached.length, events.length, name);
      reached.forEach((r, k) => {
        assert.equal(r.i, k);
        assert.ok(r.vt >= events[r.i].t_ms, `${name}: event ${r.i} reached at ${r.vt}, before its time ${events[r.i].t_ms}`);
        if (k) assert.ok(r.vt >= reached[k - 1].vt);
      });
      assert.ok(clock.done);
    }
  });

  test('a clock started at a cursor goes on from there', () => {
    const events = fixture('client-closes-first').events;
    const c = new PaceClock(events, 'teaching', { vt: events[13].t_ms, cursor: 14 });
    const { cursor } = c.advance(1);
    assert.ok(cursor >= 14);
  });
});

describe('the session at a pace', async () => {
  const { Store, Session } = await import('../files/js/session.js');
  const events = fixture('client-closes-first').events;
  const t = (k) => k;
  const session = () => {
    const store = new Store();
    const sent = [];
    const s = new Session(store, { t });
    s.transport = { send: (m) => sent.push(m) };
    store.scenarioId = 'client-closes-first';
    store.script = events;
    return { store, sent, s };
  };
  const deliver = (s, store, n) => {
    while (store.events.length < n) s.receive({ type: 'event', event: events[store.events.length] });
  };

  test('Step by segment seeks to the next stop; Back to the one before', async () => {
    const { store, sent, s } = session();
    const stops = segmentStops(events);
    await s.step();
    assert.deepEqual(sent.at(-1), { type: 'seek', cursor: stops[0] });
    deliver(s, store, stops[0]);
    s.receive({ type: 'rewound', cursor: stops[0] });
    await s.step();
    assert.deepEqual(sent.at(-1), { type: 'seek', cursor: stops[1] });
    deliver(s, store, stops[1]);
    await s.back();
    assert.deepEqual(sent.at(-1), { type: 'seek', cursor: stops[0] });
  });

  test('?step=event keeps one event a step', async () => {
    const { store, sent, s } = session();
    store.stepBy = 'event';
    await s.step();
    assert.deepEqual(sent.at(-1), { type: 'step' });
    deliver(s, store, 1);
    await s.back();
    assert.deepEqual(sent.at(-1), { type: 'back' });
  });

  test('a run changed by the reader is not known: Step goes on until a segment comes', async () => {
    const { store, sent, s } = session();
    store.altered = true;
    await s.step();
    const first = events.findIndex((e) => e.kind === 'segment');
    for (let i = 0; i <= first; i++) {
      assert.deepEqual(sent.at(-1), { type: 'step' });
      const before = sent.length;
      s.receive({ type: 'event', event: events[i] });
      assert.equal(sent.length, i < first ? before + 1 : before, `after event ${i}`);
    }
  });

  test('Play at the teaching pace runs the clock in the page and seeks; pause stops it', async () => {
    const { sent, s } = session();
    await s.play('teaching');
    assert.ok(s.pacing);
    assert.ok(!sent.some((m) => m.type === 'play'), 'the server is not asked to play');
    // The events at time 0 are due at once.
    assert.equal(sent.at(-1).type, 'seek');
    assert.ok(sent.at(-1).cursor > 0);
    s.pause();
    assert.ok(!s.pacing);
    assert.deepEqual(sent.at(-1), { type: 'pause' });
  });

  test('losing a segment while at a pace hands play to the server, at the same flight time', async () => {
    const { sent, s } = session();
    await s.play('teaching');
    s.drop(1);
    assert.ok(!s.pacing);
    assert.deepEqual(sent.slice(-2), [{ type: 'fault', drop: { segment: 1 } }, { type: 'play', speed: 10 / PACES.teaching.flightMs }]);
  });

  test('max and a number go to the server as they are', () => {
    const { sent, s } = session();
    s.play('max');
    assert.deepEqual(sent.at(-1), { type: 'play', speed: 'max' });
    s.play(0.5);
    assert.deepEqual(sent.at(-1), { type: 'play', speed: 0.5 });
    assert.ok(!s.pacing);
  });
});
