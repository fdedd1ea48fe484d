// Unit tests of the course's pure parts: the stepping plan, positions,
// answer checking, the progress store and the command pacer.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  INTRO, ProgressStore, STATES, answerText, checkAnswer, emptyProgress, eventsAt, nextPosition,
  parseAnswer, plan, positionOf, stepModeOf, prevPosition, progressStatus, restorePosition, withAnswer, withPosition,
} from '../files/js/learn.js';

// view is the shape of GET /api/lessons/{id}?lang=en, cut to what the page
// uses: the three-way-handshake lesson's anchors and question kinds.
const view = {
  id: 'three-way-handshake',
  steps: [
    { event: 1 },
    { event: 3, question: { kind: 'choice', options: ['A SYN', 'Nothing', 'An ACK'], answer: 1 } },
    { event: 4 },
    { event: 6, question: { kind: 'state', endpoint: 'server', answer: 'SYN-RECEIVED' } },
    { event: 7, question: { kind: 'number', field: 'ack', answer: 1 } },
    { event: 9, question: { kind: 'drop', options: ['at once', 'after 1 s'], segment: 2, expect: 15, answer: 1 } },
    { event: 15 },
  ],
};

test('plan: ask with the events before the anchor, show up to and including it', () => {
  const stops = plan(view);
  assert.equal(stops.length, 7);
  assert.deepEqual(stops[0], { step: 0, ask: null, show: 2, kind: null });
  assert.deepEqual(stops[1], { step: 1, ask: 3, show: 4, kind: 'choice' });
  assert.deepEqual(stops[5], { step: 5, ask: 9, show: 10, kind: 'drop' });
  assert.deepEqual(stops.map((s) => s.show), [2, 4, 5, 7, 8, 10, 16]);
});

// run is a handshake as the engine traces it: each segment's arrival
// brings the receiver's state change (pace.js groups them).
const run = [
  { kind: 'state', t_ms: 0, endpoint: 'server', to: 'LISTEN' },
  { kind: 'call', t_ms: 0 },
  { kind: 'state', t_ms: 0, endpoint: 'client', to: 'SYN-SENT' },
  { kind: 'segment', t_ms: 0, id: 1, fate: 'delivered', arrive_ms: 10 },
  { kind: 'state', t_ms: 10, endpoint: 'server', to: 'SYN-RECEIVED' },
  { kind: 'segment', t_ms: 10, id: 2, fate: 'delivered', arrive_ms: 20 },
  { kind: 'state', t_ms: 20, endpoint: 'client', to: 'ESTABLISHED' },
  { kind: 'segment', t_ms: 20, id: 3, fate: 'delivered', arrive_ms: 30 },
  { kind: 'state', t_ms: 30, endpoint: 'server', to: 'ESTABLISHED' },
];
const runView = {
  steps: [
    { event: 0 },
    { event: 2, question: { kind: 'state', answer: 'SYN-SENT' } },
    { event: 3 },
    { event: 4, question: { kind: 'state', answer: 'SYN-RECEIVED' } },
    { event: 5 },
    { event: 8 },
  ],
};

test('plan by segment: a step reveals its segment group, never a later question\'s answer', () => {
  const byEvent = plan(runView, run, 'event');
  assert.deepEqual(byEvent.map((s) => s.show), [1, 3, 4, 5, 6, 9]);
  assert.deepEqual(plan(runView).map((s) => s.show), [1, 3, 4, 5, 6, 9], 'without the run: by event');
  const bySeg = plan(runView, run, 'segment');
  // Step 1's answer comes with its SYN (events 2 and 3); the SYN's group
  // would bring SYN-RECEIVED too, but step 3 asks about it first.
  assert.deepEqual(bySeg.map((s) => s.show), [2, 4, 4, 5, 7, 9]);
  assert.deepEqual(bySeg.map((s) => s.ask), byEvent.map((s) => s.ask), 'questions are asked where they were');
  for (const s of bySeg) {
    for (const later of bySeg.slice(s.step + 1)) if (later.ask != null) assert.ok(s.show <= later.ask, `step ${s.step} shows a later answer`);
  }
});

test('stepModeOf: ?step=event, else by segment', () => {
  assert.equal(stepModeOf('?step=event'), 'event');
  assert.equal(stepModeOf('?step=segment'), 'segment');
  assert.equal(stepModeOf('?step=bogus'), 'segment');
  assert.equal(stepModeOf(''), 'segment');
});

test('eventsAt: how many events each position shows', () => {
  const stops = plan(view);
  assert.equal(eventsAt(stops, INTRO), 0);
  assert.equal(eventsAt(stops, { step: 1, phase: 'ask' }), 3);
  assert.equal(eventsAt(stops, { step: 1, phase: 'show' }), 4);
  assert.equal(eventsAt(stops, { step: 0, phase: 'show' }), 2);
  assert.equal(eventsAt(stops, { step: 7, phase: 'done' }), 16);
  assert.equal(eventsAt([], INTRO), 0);
});

test('positions: a question stops Next until it is answered; Back reveals the step before', () => {
  const stops = plan(view);
  let pos = nextPosition(stops, INTRO, {});
  assert.deepEqual(pos, { step: 0, phase: 'show' });
  pos = nextPosition(stops, pos, {});
  assert.deepEqual(pos, { step: 1, phase: 'ask' });
  assert.equal(nextPosition(stops, pos, {}), null, 'unanswered');
  const answers = { 1: { correct: true, value: 1 } };
  assert.deepEqual(nextPosition(stops, pos, answers), { step: 1, phase: 'show' });
  // An answered question is not asked again on the way forward.
  assert.deepEqual(positionOf(stops, 1, answers), { step: 1, phase: 'show' });
  assert.deepEqual(nextPosition(stops, { step: 6, phase: 'show' }, answers), { step: 7, phase: 'done' });
  assert.equal(nextPosition(stops, { step: 7, phase: 'done' }, answers), null);

  assert.deepEqual(prevPosition(stops, { step: 3, phase: 'ask' }), { step: 2, phase: 'show' });
  assert.deepEqual(prevPosition(stops, { step: 0, phase: 'show' }), INTRO);
  assert.equal(prevPosition(stops, INTRO), null);
  assert.deepEqual(prevPosition(stops, { step: 7, phase: 'done' }), { step: 6, phase: 'show' });
});

test('checkAnswer: choice and drop by option index', () => {
  const q = view.steps[1].question;
  assert.deepEqual(checkAnswer(q, '1'), { valid: true, correct: true, value: 1 });
  assert.deepEqual(checkAnswer(q, '0'), { valid: true, correct: false, value: 0 });
  assert.equal(checkAnswer(q, null).valid, false);
  assert.equal(checkAnswer(q, '3').valid, false, 'no such option');
  assert.equal(checkAnswer(q, '-1').valid, false);
  const drop = view.steps[5].question;
  assert.equal(checkAnswer(drop, '1').correct, true);
  assert.equal(checkAnswer(drop, '0').correct, false);
  assert.equal(answerText(q, 1), 'Nothing');
});

test('checkAnswer: state by RFC name, forgiving case and spaces', () => {
  const q = view.steps[3].question;
  assert.equal(checkAnswer(q, 'SYN-RECEIVED').correct, true);
  assert.equal(checkAnswer(q, ' syn received ').correct, true);
  assert.equal(checkAnswer(q, 'syn_received').correct, true);
  assert.deepEqual(checkAnswer(q, 'ESTABLISHED'), { valid: true, correct: false, value: 'ESTABLISHED' });
  assert.equal(checkAnswer(q, 'SYN-RCVD').valid, false);
  assert.equal(checkAnswer(q, '').valid, false);
  assert.equal(STATES.length, 11);
  for (const s of STATES) assert.equal(parseAnswer(q, s), s);
});

test('checkAnswer: number, signed, with full-width digits', () => {
  const q = view.steps[4].question;
  assert.deepEqual(checkAnswer(q, '1'), { valid: true, correct: true, value: 1 });
  assert.equal(checkAnswer(q, ' +1 ').correct, true);
  assert.equal(checkAnswer(q, '１').correct, true, 'full-width 1');
  assert.deepEqual(checkAnswer(q, '0'), { valid: true, correct: false, value: 0 });
  assert.equal(checkAnswer(q, 'one').valid, false);
  assert.equal(checkAnswer(q, '1.5').valid, false);
  assert.equal(checkAnswer(q, '').valid, false);
  const old = { kind: 'number', field: 'seq', answer: -1000000 };
  assert.equal(checkAnswer(old, '-1,000,000').correct, true);
  assert.equal(checkAnswer(old, '－1000000').correct, true, 'full-width minus');
  assert.equal(answerText(old, -1000000), '-1000000');
});

/** fakeStorage is the part of the Storage interface the store uses. */
function fakeStorage() {
  const m = new Map();
  return {
    m,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

test('ProgressStore: saves and loads per lesson; clear forgets', () => {
  const st = fakeStorage();
  const store = new ProgressStore(st);
  assert.deepEqual(store.load('three-way-handshake'), emptyProgress());
  let rec = withPosition(emptyProgress(), { step: 3, phase: 'ask' }, 7);
  rec = withAnswer(rec, 1, true, 1);
  rec = withAnswer(rec, 3, false, 'ESTABLISHED');
  rec = withAnswer(rec, 3, true, 'SYN-RECEIVED'); // the first answer counts
  store.save('three-way-handshake', rec);
  assert.ok(st.m.has('synack.learn.three-way-handshake'));
  const back = store.load('three-way-handshake');
  assert.deepEqual(back, { at: 3, reached: 3, done: false, answers: { 1: { correct: true, value: 1 }, 3: { correct: false, value: 'ESTABLISHED' } } });
  assert.deepEqual(store.load('time-wait'), emptyProgress(), 'other lessons untouched');
  store.clear('three-way-handshake');
  assert.deepEqual(store.load('three-way-handshake'), emptyProgress());
});

test('ProgressStore: bad or blocked storage reads as no progress', () => {
  const st = fakeStorage();
  st.setItem('synack.learn.x', '{not json');
  st.setItem('synack.learn.y', JSON.stringify({ at: 'far', answers: { 1: { correct: 'yes' }, z: { correct: true } } }));
  const store = new ProgressStore(st);
  assert.deepEqual(store.load('x'), emptyProgress());
  assert.deepEqual(store.load('y'), emptyProgress());
  const blocked = new ProgressStore({
    getItem() { throw new Error('SecurityError'); },
    setItem() { throw new Error('QuotaExceededError'); },
    removeItem() { throw new Error('SecurityError'); },
  });
  assert.deepEqual(blocked.load('x'), emptyProgress());
  blocked.save('x', emptyProgress());
  blocked.clear('x');
  assert.deepEqual(new ProgressStore(null).load('x'), emptyProgress());
});

test('positions recorded: the furthest step, done at the end, resumed where left', () => {
  const stops = plan(view);
  let rec = withPosition(emptyProgress(), { step: 4, phase: 'show' }, 7);
  rec = withPosition(rec, { step: 2, phase: 'show' }, 7);
  assert.equal(rec.at, 2);
  assert.equal(rec.reached, 4, 'going back keeps the furthest step');
  assert.equal(rec.done, false);
  assert.deepEqual(restorePosition(stops, rec), { step: 2, phase: 'show' });
  assert.deepEqual(restorePosition(stops, { ...rec, at: 3 }), { step: 3, phase: 'ask' }, 'an unanswered question is asked again');
  rec = withPosition(rec, { step: 7, phase: 'done' }, 7);
  assert.equal(rec.done, true);
  assert.equal(rec.reached, 6);
  assert.deepEqual(restorePosition(stops, rec), { step: 7, phase: 'done' });
  assert.deepEqual(restorePosition(stops, emptyProgress()), INTRO);
  assert.deepEqual(restorePosition(stops, { ...emptyProgress(), at: 99 }), { step: 7, phase: 'done' });
});

test('progressStatus: not started, in progress n of m, done with the score', () => {
  assert.equal(progressStatus(emptyProgress(), 9, 6).status, 'new');
  let rec = withPosition(emptyProgress(), { step: 3, phase: 'ask' }, 9);
  rec = withAnswer(rec, 1, true, 1);
  assert.deepEqual(progressStatus(rec, 9, 6), { status: 'progress', steps: 9, questions: 6, right: 1, answered: 1, n: 4 });
  rec = withAnswer(rec, 3, false, 'ESTABLISHED');
  rec = withPosition(rec, { step: 9, phase: 'done' }, 9);
  assert.deepEqual(progressStatus(rec, 9, 6), { status: 'done', steps: 9, questions: 6, right: 1, answered: 2, n: 9 });
  // Back at the intro after a first step: still in progress, at step 1.
  const early = withPosition(withPosition(emptyProgress(), { step: 0, phase: 'show' }, 9), INTRO, 9);
  assert.equal(progressStatus(early, 9, 6).status, 'progress');
  assert.equal(progressStatus(early, 9, 6).n, 1);
});
