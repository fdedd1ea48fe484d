// Unit tests of the phases of a connection (phases.js) and of their place
// in the layout. Fixtures: real traces from the server (testdata/*.json),
// and plans as the pages carry them (testdata/plans/*.json: GET
// /embed/{id}, the "plan" of its synack-config), plus small hand-made runs
// for the shapes no built-in scenario has.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { PHASES, phaseKey, phases } from '../files/js/phases.js';
import { layout } from '../files/js/layout.js';

const read = (path) => JSON.parse(readFileSync(new URL(`testdata/${path}.json`, import.meta.url), 'utf8'));
const shape = (evs) => phases(evs).map((p) => `${p.phase}/${p.variant}`);

// seg is a segment event as the engine writes it.
const seg = (t, from, flags, more = {}) => ({ kind: 'segment', t_ms: t, from, to: from === 'client' ? 'server' : 'client', flags, seq: 0, ack: 0, len: 0, arrive_ms: t + 10, fate: 'delivered', ...more });
const state = (t, endpoint, to) => ({ kind: 'state', t_ms: t, endpoint, to });
const handshake = [
  state(0, 'server', 'LISTEN'),
  state(0, 'client', 'SYN-SENT'),
  seg(0, 'client', ['SYN']),
  state(10, 'server', 'SYN-RECEIVED'),
  seg(10, 'server', ['SYN', 'ACK']),
  state(20, 'client', 'ESTABLISHED'),
  seg(20, 'client', ['ACK']),
  state(30, 'server', 'ESTABLISHED'),
];

describe('phases', () => {
  const cases = [
    // Built-in scenarios.
    ['traces: client-closes-first', read('client-closes-first').events, ['handshake/three-way', 'transfer/data', 'teardown/four-way']],
    ['traces: simultaneous-open', read('simultaneous-open').events, ['handshake/simultaneous']],
    ['traces: fin-lost (the FIN comes again)', read('fin-lost').events, ['handshake/three-way', 'teardown/four-way']],
    ['traces: final-ack-lost', read('final-ack-lost').events, ['handshake/three-way', 'teardown/four-way']],
    ['traces: old-duplicate-syn (an injected SYN starts nothing)', read('old-duplicate-syn').events, ['handshake/three-way']],
    ['traces: syn-flood-backlog (spoofed SYNs)', read('syn-flood-backlog').events, ['handshake/three-way']],
    ['plans: three-segment-close', read('plans/three-segment-close').events, ['handshake/three-way', 'transfer/data', 'teardown/three-way']],
    ['plans: simultaneous-close', read('plans/simultaneous-close').events, ['handshake/three-way', 'teardown/simultaneous']],
    ['plans: abort-linger-zero', read('plans/abort-linger-zero').events, ['handshake/three-way', 'transfer/data', 'teardown/reset']],
    ['plans: connection-refused (the RST belongs to the handshake)', read('plans/connection-refused').events, ['handshake/three-way']],
    ['plans: half-close (data after a FIN is part of the close)', read('plans/half-close').events, ['handshake/three-way', 'transfer/data', 'teardown/four-way']],
    ['plans: syn-retries-exhausted', read('plans/syn-retries-exhausted').events, ['handshake/three-way']],
    ['plans: server-closes-first', read('plans/server-closes-first').events, ['handshake/three-way', 'transfer/data', 'teardown/four-way']],
    // Hand-made.
    ['nothing', [], []],
    ['not a list', null, []],
    ['a stray ACK belongs to no phase', [seg(0, 'client', ['ACK'])], []],
    ['handshake, then a close without data', [...handshake, seg(100, 'client', ['FIN', 'ACK']), seg(110, 'server', ['ACK']), seg(200, 'server', ['FIN', 'ACK']), seg(210, 'client', ['ACK'])], ['handshake/three-way', 'teardown/four-way']],
    ['a second connection after the first closed', [...handshake, seg(100, 'client', ['RST', 'ACK']), state(100, 'client', 'SYN-SENT'), seg(200, 'client', ['SYN'])], ['handshake/three-way', 'teardown/reset', 'handshake/three-way']],
    ['a SYN from an established endpoint starts nothing', [...handshake, seg(100, 'client', ['SYN'])], ['handshake/three-way']],
  ];
  for (const [name, evs, want] of cases) {
    test(name, () => assert.deepEqual(shape(evs), want));
  }

  test('every phase holds its segments, in order, and the phases do not overlap', () => {
    const evs = read('client-closes-first').events;
    const ps = phases(evs);
    let last = -1;
    for (const p of ps) {
      assert.ok(PHASES.includes(p.phase));
      assert.ok(p.first > last, 'after the phase before');
      assert.equal(p.segments[0], p.first);
      assert.equal(p.segments.at(-1), p.last);
      for (const i of p.segments) assert.equal(evs[i].kind, 'segment');
      last = p.last;
    }
    // All nine segments of the run are in a phase.
    assert.equal(ps.reduce((n, p) => n + p.segments.length, 0), evs.filter((e) => e.kind === 'segment').length);
  });

  test('catalogue keys', () => {
    assert.equal(phaseKey({ phase: 'handshake', variant: 'three-way' }), 'ladder.phase.handshake.three-way');
    assert.equal(phaseKey({ phase: 'transfer', variant: 'data' }), 'ladder.phase.transfer');
    assert.equal(phaseKey({ phase: 'teardown', variant: 'three-way' }), 'ladder.phase.teardown.three-way');
  });
});

describe('phases in the layout', () => {
  const tr = read('client-closes-first');
  const L = layout(tr.events, { endpoints: tr.endpoints, width: 1200 });

  test('one band per phase, each from above its first segment to the end of its last', () => {
    assert.deepEqual(L.phases.map((p) => p.phase), ['handshake', 'transfer', 'teardown']);
    for (const p of L.phases) {
      const segs = L.segments.filter((s) => s.index >= p.index && s.index <= p.last);
      assert.ok(p.labelY < Math.min(...segs.map((s) => s.y1)), `${p.phase}: its name above its first segment`);
      assert.ok(p.y2 >= Math.max(...segs.map((s) => s.ya)), `${p.phase}: its band to its last arrival`);
    }
    for (let i = 1; i < L.phases.length; i++) assert.ok(L.phases[i].y1 >= L.phases[i - 1].y2, 'bands do not overlap');
  });

  test('no segment label lies on a phase name', () => {
    const m = L.metrics;
    for (const p of L.phases) {
      for (const s of L.segments) {
        const top = s.labelY - 0.8 * m.fontPx;
        const bottom = s.labelY + 0.25 * m.fontPx;
        assert.ok(bottom <= p.labelY - 0.8 * m.fontPx || top >= p.labelY + 0.3 * m.fontPx, `segment ${s.id} and ${p.phase}`);
      }
    }
  });

  test('phases: false leaves them out', () => {
    assert.equal(layout(tr.events, { endpoints: tr.endpoints, width: 1200, phases: false }).phases.length, 0);
  });
});
