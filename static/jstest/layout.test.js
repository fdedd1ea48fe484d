// Unit tests of the diagram layout (node --test; web/jstest_test.go runs
// them with go test). Fixtures in testdata/ are real traces from the
// server, whole (panels.test.js reads their bytes and control blocks too):
// GET /api/scenarios/{id}/trace; live-fin-dropped.json is client-closes-first
// played over /ws with its first FIN dropped in flight; rfc-syn-backoff.json
// is syn-retries-exhausted run with profile "rfc" through POST /api/run.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { ITEM_LISTS, flightAt, formatSegmentLabel, layout, segmentLabels, visibleRange } from '../files/js/layout.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`testdata/${name}.json`, import.meta.url), 'utf8'));
const FIXTURES = ['client-closes-first', 'fin-lost', 'final-ack-lost', 'old-duplicate-syn', 'simultaneous-open', 'syn-flood-backlog', 'live-fin-dropped', 'rfc-syn-backoff'];
const opts = (tr, more) => ({ numbering: 'relative', endpoints: tr.endpoints, width: 1200, ...more });
const ofKind = (tr, kind) => tr.events.map((ev, index) => ({ ev, index })).filter((x) => x.ev.kind === kind);

function deepFreeze(v) {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze(v[k]);
  }
  return v;
}

// repeat makes a long run from a short one: the trace again and again,
// later each time, with its own segment ids.
function repeat(tr, n) {
  const span = tr.events.at(-1).t_ms + 1000;
  const out = [];
  for (let r = 0; out.length < n; r++) {
    for (const e of tr.events) {
      if (out.length >= n) break;
      const c = { ...e, t_ms: e.t_ms + r * span };
      if (c.arrive_ms != null) c.arrive_ms += r * span;
      if (c.due_ms != null) c.due_ms += r * span;
      if (c.id != null) c.id += r * 1000;
      if (c.cause_segment != null) c.cause_segment += r * 1000;
      out.push(c);
    }
  }
  return out;
}

describe('layout is a pure function', () => {
  for (const name of FIXTURES) {
    test(name, () => {
      const tr = fixture(name);
      const copy = structuredClone(tr);
      const o = deepFreeze(opts(tr));
      deepFreeze(tr); // a write to the input would throw (modules are strict)
      const a = layout(tr.events, o);
      const b = layout(tr.events, o);
      assert.deepEqual(a, b);
      assert.deepEqual(tr, copy, 'input changed');
      // Plain data: it survives a JSON round trip unchanged.
      assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
      assert.equal(a.timeToY(123), b.timeToY(123));
    });
  }

  test('the same events give the same vertical axis in every numbering', () => {
    const tr = fixture('client-closes-first');
    const [abs, rel, sym] = ['absolute', 'relative', 'symbolic'].map((numbering) => layout(tr.events, opts(tr, { numbering })));
    for (const t of [0, 10, 400, 610, 30000, 60610]) {
      assert.equal(abs.timeToY(t), rel.timeToY(t));
      assert.equal(rel.timeToY(t), sym.timeToY(t));
    }
    assert.deepEqual(abs.states, sym.states);
  });

  test('no events, odd events and missing options still lay out', () => {
    const empty = layout([], {});
    assert.equal(empty.segments.length, 0);
    assert.ok(empty.height > 0 && empty.width > 0);
    assert.ok(empty.lanes.client < empty.lanes.server);
    const odd = layout([{ kind: 'future-kind', t_ms: 5 }, null, { kind: 'timer', action: 'fire', timer: 'x', endpoint: 'client', t_ms: 6 }]);
    assert.equal(odd.rows.length, 3);
    assert.equal(odd.rows[0].list, null);
    assert.equal(odd.timers.length, 0);
  });
});

describe('segments', () => {
  for (const name of FIXTURES) {
    test(`one entry per segment event: ${name}`, () => {
      const tr = fixture(name);
      const L = layout(tr.events, opts(tr));
      const segs = ofKind(tr, 'segment');
      assert.equal(L.segments.length, segs.length);
      segs.forEach(({ ev, index }, k) => {
        const s = L.segments[k];
        assert.equal(s.index, index);
        assert.equal(s.id, ev.id);
        assert.equal(s.flags, ev.flags.join(','));
        assert.equal(s.from, ev.from);
        assert.equal(s.x1, L.lanes[ev.from]);
        assert.ok(s.y2 >= s.y1, `segment ${ev.id} goes up`);
        assert.equal(L.rows[index].list, 'segments');
        assert.equal(L.rows[index].at, k);
        if (ev.fate === 'delivered' && !tr.events.some((d) => d.kind === 'drop' && d.cause_segment === ev.id)) {
          assert.equal(s.lost, false);
          assert.equal(s.x2, L.lanes[ev.to]);
          assert.equal(s.y2, L.timeToY(ev.arrive_ms) + s.slot * L.metrics.minRow);
        }
      });
    });
  }

  test('the slant is the flight time: a 10 ms flight is visibly slanted', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr));
    const syn = L.segments[0];
    assert.ok(syn.y2 - syn.y1 >= 20, `slant ${syn.y2 - syn.y1} px`);
    assert.equal(syn.t, 0);
    assert.equal(syn.arriveT, 10);
  });

  test('a segment the network loses stops half-way', () => {
    const tr = fixture('fin-lost');
    const L = layout(tr.events, opts(tr));
    const lost = L.segments.filter((s) => s.lost);
    assert.equal(lost.length, 1);
    const [s] = lost;
    assert.equal(s.flags, 'ACK,FIN');
    assert.ok(Math.abs(s.x2 - (s.x1 + s.xa) / 2) < 1e-9);
    assert.ok(Math.abs(s.y2 - (s.y1 + s.ya) / 2) < 1e-9);
    assert.deepEqual(s.lostAt, { x: s.x2, y: s.y2 });
    assert.ok(s.tags.includes('lost'));
    assert.equal(s.droppable, false);
    assert.ok(s.lostT > s.t && s.lostT < s.t + L.delayMs);
    // The retransmission that follows is marked as one.
    const re = L.segments.find((x) => x.retransmit);
    assert.ok(re && re.tags.includes('retransmit') && re.t > s.t);
  });

  test('a segment the user drops stops where it was at the drop', () => {
    const tr = fixture('live-fin-dropped');
    const L = layout(tr.events, opts(tr));
    const drop = ofKind(tr, 'drop')[0];
    const s = L.segments.find((x) => x.id === drop.ev.cause_segment);
    assert.equal(s.lost, true);
    assert.equal(s.dropIndex, drop.index);
    assert.equal(s.lostT, drop.ev.t_ms);
    assert.equal(s.droppable, false);
    assert.ok(s.tags.includes('lost'));
    // Dropped as it left: the ✕ still stands clear of the lifeline, on the arrow's path.
    const f = (s.x2 - s.x1) / (s.xa - s.x1);
    assert.ok(f >= 0.1 && f < 0.5, `fraction ${f}`);
    assert.ok(Math.abs(s.y2 - (s.y1 + f * (s.ya - s.y1))) < 1e-9);
    assert.equal(L.rows[drop.index].list, 'segments');
    assert.equal(L.segments[L.rows[drop.index].at], s);
  });

  test('a drop later in the flight stops the arrow at that time', () => {
    const tr = fixture('client-closes-first');
    const syn = tr.events.find((e) => e.kind === 'segment');
    const events = [...tr.events.slice(0, 6), { kind: 'drop', t_ms: 5, from: 'client', to: 'server', cause_segment: syn.id }];
    const L = layout(events, opts(tr));
    const s = L.segments[0];
    assert.equal(s.lost, true);
    assert.ok(Math.abs(s.y2 - L.timeToY(5)) < 1e-9);
    assert.ok(Math.abs(s.x2 - (s.x1 + s.xa) / 2) < 1, 'half-way in time is half-way across');
  });

  test('injected, spoofed and unreachable segments are tagged', () => {
    const flood = fixture('syn-flood-backlog');
    const L = layout(flood.events, opts(flood));
    const spoofed = L.segments.filter((s) => s.spoofed);
    assert.ok(spoofed.length >= 20);
    for (const s of spoofed) assert.deepEqual(s.tags.slice(0, 2), ['injected', 'spoofed']);
    const unreachable = L.segments.filter((s) => s.unreachable);
    assert.ok(unreachable.length > 0);
    for (const s of unreachable) {
      assert.equal(s.lost, true);
      assert.ok(s.tags.includes('unreachable') && !s.tags.includes('lost'));
    }
  });

  test('segments sent at the same moment by one side do not overlap', () => {
    const seg = (id) => ({ kind: 'segment', t_ms: 100, id, from: 'client', to: 'server', flags: ['ACK'], seq: id, ack: 0, len: 0, arrive_ms: 110, fate: 'delivered' });
    const L = layout([seg(1), seg(2), seg(3)], {});
    const ys = L.segments.map((s) => s.y1);
    assert.equal(new Set(ys).size, 3);
    assert.ok(ys[0] < ys[1] && ys[1] < ys[2]);
    for (const s of L.segments) assert.equal(s.ya - s.y1, L.segments[0].ya - L.segments[0].y1, 'same slant');
  });

  test('labels do not overlap each other', () => {
    for (const name of FIXTURES) {
      const tr = fixture(name);
      const L = layout(tr.events, opts(tr));
      const h = L.metrics.fontPx;
      const boxes = L.segments.filter((s) => !s.crowded).map((s) => {
        const w = (s.label.length + s.tags.length * 16) * L.metrics.charW;
        return [s.labelX - w / 2, s.labelY - 0.8 * h, s.labelX + w / 2, s.labelY + 0.25 * h, s.id];
      });
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i], boxes[j]];
          const overlap = Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > 8 && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > 1;
          assert.ok(!overlap, `${name}: labels of segments ${a[4]} and ${b[4]} overlap`);
        }
      }
    }
  });
});

describe('states', () => {
  for (const name of FIXTURES) {
    test(`one band per change: ${name}`, () => {
      const tr = fixture(name);
      const L = layout(tr.events, opts(tr));
      const changes = ofKind(tr, 'state');
      assert.equal(L.states.length, changes.length);
      const last = {};
      changes.forEach(({ ev, index }, k) => {
        const st = L.states[k];
        assert.equal(st.index, index);
        assert.equal(st.endpoint, ev.endpoint);
        assert.equal(st.state, ev.to);
        assert.equal(st.y, L.timeToY(ev.t_ms));
        if (last[ev.endpoint]) assert.equal(last[ev.endpoint].yEnd, st.y, 'a band ends where the next begins');
        last[ev.endpoint] = st;
      });
      for (const st of Object.values(last)) assert.ok(st.yEnd >= st.y);
    });
  }

  test('the RFC names of the four-way close, in order', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr));
    const of = (e) => L.states.filter((s) => s.endpoint === e).map((s) => s.state);
    assert.deepEqual(of('client'), ['SYN-SENT', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'CLOSED']);
    assert.deepEqual(of('server'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT', 'LAST-ACK', 'CLOSED']);
    for (const s of L.states) assert.notEqual(s.labelY, null);
  });
});

describe('timers', () => {
  test('a bracket per timer set, closed by its cancel or expiry', () => {
    for (const name of FIXTURES) {
      const tr = fixture(name);
      const L = layout(tr.events, opts(tr));
      const sets = ofKind(tr, 'timer').filter((x) => x.ev.action === 'set');
      assert.equal(L.timers.length, sets.length, name);
      sets.forEach(({ ev, index }, k) => {
        const tm = L.timers[k];
        assert.equal(tm.index, index);
        assert.equal(tm.timer, ev.timer);
        assert.equal(tm.y1, L.timeToY(ev.t_ms));
        assert.ok(tm.y2 >= tm.y1);
        assert.ok([tm.fired, tm.cancelled, tm.replaced, tm.pending].filter(Boolean).length === 1, `${name} timer ${k}: one ending`);
        if (tm.endIndex != null) {
          const end = tr.events[tm.endIndex];
          assert.equal(tm.y2, L.timeToY(end.t_ms));
          assert.equal(L.rows[tm.endIndex].list, 'timers');
          // A cancel or expiry selects its bracket; a new set, its own.
          const at = L.rows[tm.endIndex].at;
          if (tm.replaced) assert.equal(L.timers[at].index, tm.endIndex);
          else assert.equal(at, k);
        }
      });
    }
  });

  test('TIME-WAIT: a 2·MSL bar from the last ACK to CLOSED', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr));
    const tw = L.timers.find((t) => t.timer === 'time-wait');
    assert.equal(tw.label, '60 s');
    assert.equal(tw.fired, true);
    const closed = L.states.find((s) => s.endpoint === 'client' && s.state === 'CLOSED');
    const timeWait = L.states.find((s) => s.endpoint === 'client' && s.state === 'TIME-WAIT');
    assert.equal(tw.y1, timeWait.y);
    assert.equal(tw.y2, closed.y);
    assert.notEqual(tw.labelY, null);
    assert.ok(tw.labelY > tw.y1 && tw.labelY < tw.y2, 'label beside the bar');
  });

  test('retransmission backoff: RTO 1 s, 2 s, 4 s, 8 s, each bracket taller', () => {
    const tr = fixture('rfc-syn-backoff');
    const L = layout(tr.events, opts(tr));
    const rto = L.timers.filter((t) => t.endpoint === 'client' && t.timer === 'retransmit');
    assert.deepEqual(rto.map((t) => t.label), ['1 s', '2 s', '4 s', '8 s', '16 s']);
    for (let i = 1; i < rto.length; i++) {
      // The last is still running when the run ends: it does not stretch the axis.
      if (i < rto.length - 1) assert.ok(rto[i].y2 - rto[i].y1 > rto[i - 1].y2 - rto[i - 1].y1);
      assert.equal(rto[i].y1, rto[i - 1].y2, 'each starts where the last expired');
      assert.equal(rto[i].x, rto[i - 1].x, 'in one column');
    }
    // The run ends (until_ms) before the last one expires.
    assert.ok(rto.slice(0, -1).every((t) => t.fired));
    assert.equal(rto.at(-1).pending, true);
  });

  test("Linux's first SYN retries are linear (tcp_syn_linear_timeouts), then back off", () => {
    const tr = fixture('syn-flood-backlog');
    const L = layout(tr.events, opts(tr));
    const rto = L.timers.filter((t) => t.endpoint === 'client' && t.timer === 'retransmit');
    assert.deepEqual(rto.map((t) => t.label), ['1 s', '1 s', '1 s', '1 s', '1 s', '2 s', '4 s']);
  });

  test('a timer set again while running ends where it was set again', () => {
    const tr = fixture('final-ack-lost');
    const L = layout(tr.events, opts(tr));
    const tw = L.timers.filter((t) => t.timer === 'time-wait');
    assert.equal(tw.length, 2);
    assert.equal(tw[0].replaced, true);
    assert.equal(tw[0].y2, tw[1].y1);
    assert.equal(tw[1].fired, true);
  });

  test('a timer still running does not stretch the axis to when it is due', () => {
    const tr = fixture('client-closes-first');
    const upto = tr.events.findIndex((e) => e.kind === 'timer' && e.timer === 'time-wait') + 1;
    const L = layout(tr.events.slice(0, upto), opts(tr));
    const tw = L.timers.at(-1);
    assert.equal(tw.pending, true);
    assert.equal(tw.label, '60 s');
    const lastRow = Math.max(...L.rows.map((r) => r.y));
    assert.ok(tw.y2 > tw.y1, 'drawn running');
    assert.ok(tw.y2 <= lastRow + 2 * L.metrics.lineH, `ends ${tw.y2 - lastRow} px past the last event, not 60 s later`);
    assert.ok(L.height < lastRow + 4 * L.metrics.lineH, `the diagram ends ${L.height - lastRow} px past the last event`);
    assert.equal(L.breaks.filter((b) => b.t1 >= tr.events[upto - 1].t_ms).length, 0, 'no gap for the time still to run');
  });

  test('concurrent timers stand in separate columns', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr));
    for (const a of L.timers) {
      for (const b of L.timers) {
        if (a !== b && a.endpoint === b.endpoint && a.y1 < b.y2 && b.y1 < a.y2) assert.notEqual(a.x, b.x);
      }
    }
  });
});

describe('numbering', () => {
  const handshake = (name, numbering) => {
    const tr = fixture(name);
    return layout(tr.events, opts(tr, { numbering })).segments.map((s) => s.label);
  };

  test('symbolic: x, x+1, y, y+1', () => {
    assert.deepEqual(handshake('client-closes-first', 'symbolic').slice(0, 3), ['SYN seq=x', 'SYN, ACK seq=y ack=x+1', 'ACK seq=x+1 ack=y+1']);
    assert.deepEqual(handshake('client-closes-first', 'symbolic').slice(3, 6), ['PSH, ACK seq=x+1 ack=y+1 len=5', 'ACK seq=y+1 ack=x+1+5', 'FIN, ACK seq=u ack=y+1']);
  });

  test('relative: counted from each ISN, ack only with the ACK flag', () => {
    assert.deepEqual(handshake('client-closes-first', 'relative').slice(0, 3), ['SYN seq=0', 'SYN, ACK seq=0 ack=1', 'ACK seq=1 ack=1']);
  });

  test('absolute: the numbers on the wire', () => {
    const tr = fixture('client-closes-first');
    const c = tr.endpoints.client.isn;
    const s = tr.endpoints.server.isn;
    assert.deepEqual(handshake('client-closes-first', 'absolute').slice(0, 3), [`SYN seq=${c}`, `SYN, ACK seq=${s} ack=${c + 1}`, `ACK seq=${c + 1} ack=${s + 1}`]);
  });

  test('an old duplicate reads as before the ISN; a new connection gets a primed letter', () => {
    const labels = handshake('old-duplicate-syn', 'symbolic');
    assert.deepEqual(labels, ['SYN seq=x', 'SYN seq=x-1000000', 'SYN, ACK seq=y ack=x-999999', 'RST seq=x-999999', 'SYN seq=x', 'SYN, ACK seq=y′ ack=x+1', 'ACK seq=x+1 ack=y′+1']);
    assert.equal(handshake('old-duplicate-syn', 'relative')[1], 'SYN seq=-1000000');
  });

  test('segmentLabels gives the event list the diagram\'s labels', () => {
    for (const name of FIXTURES) {
      const tr = fixture(name);
      for (const numbering of ['absolute', 'relative', 'symbolic']) {
        const labels = segmentLabels(tr.events, numbering, tr.endpoints);
        const L = layout(tr.events, opts(tr, { numbering }));
        assert.equal(labels.length, tr.events.length);
        assert.deepEqual(labels.filter((l) => l !== null), L.segments.map((s) => s.label), `${name} ${numbering}`);
        tr.events.forEach((ev, i) => assert.equal(labels[i] === null, ev.kind !== 'segment'));
      }
    }
  });

  test('spoofed segments belong to no connection: absolute numbers', () => {
    const tr = fixture('syn-flood-backlog');
    const first = tr.events.find((e) => e.kind === 'segment' && e.spoofed);
    const label = handshake('syn-flood-backlog', 'symbolic')[0];
    assert.equal(label, `SYN seq=${first.seq}`);
  });

  test('formatSegmentLabel alone, with the trace endpoints', () => {
    const tr = fixture('simultaneous-open');
    const synack = tr.events.find((e) => e.kind === 'segment' && e.flags.join() === 'SYN,ACK' && e.from === 'client');
    assert.equal(formatSegmentLabel(synack, 'symbolic', tr.endpoints), 'SYN, ACK seq=x ack=y+1');
    assert.equal(formatSegmentLabel(synack, 'relative', tr.endpoints), 'SYN, ACK seq=0 ack=1');
    // A host without a connection (ISN 0) keeps absolute numbers.
    const rst = { kind: 'segment', from: 'server', to: 'client', flags: ['ACK', 'RST'], seq: 0, ack: 101, len: 0 };
    assert.equal(formatSegmentLabel(rst, 'symbolic', { client: { isn: 100 }, server: { isn: 0 } }), 'RST, ACK seq=0 ack=x+1');
  });

  test('sequence numbers wrap around 2^32', () => {
    const ev = { kind: 'segment', from: 'client', to: 'server', flags: ['ACK'], seq: 5, ack: 0, len: 0 };
    const eps = { client: { isn: 4294967290 }, server: { isn: 7 } };
    assert.equal(formatSegmentLabel(ev, 'relative', eps), 'ACK seq=11 ack=-7');
    assert.equal(formatSegmentLabel(ev, 'symbolic', eps), 'ACK seq=x+1+10 ack=y-7');
  });
});

describe('time axis', () => {
  for (const name of FIXTURES) {
    test(`timeToY is increasing and yToTime inverts it: ${name}`, () => {
      const tr = fixture(name);
      const L = layout(tr.events, opts(tr));
      const end = tr.events.at(-1).t_ms + 2000;
      let prev = -Infinity;
      for (let t = -50; t <= end; t += end / 3000) {
        const y = L.timeToY(t);
        assert.ok(y > prev, `not increasing at ${t}`);
        prev = y;
        assert.ok(Math.abs(L.yToTime(y) - t) < 1e-6 * Math.max(1, t), `yToTime(timeToY(${t})) = ${L.yToTime(y)}`);
      }
      for (const r of L.rows) assert.equal(L.yToTime(r.y), r.t);
    });
  }

  test('a long quiet stretch is compressed and marked', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr));
    const tw = L.breaks.find((b) => b.dt > 50000);
    assert.ok(tw, 'the TIME-WAIT gap is a break');
    assert.equal(tw.label, '59.99 s');
    assert.ok(tw.y2 - tw.y1 < 300, `${tw.y2 - tw.y1} px for a minute`);
    assert.ok(tw.y2 - tw.y1 > 2 * L.metrics.lineH);
    // Longer gaps still look longer.
    const sorted = [...L.breaks].sort((a, b) => a.dt - b.dt);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i].y2 - sorted[i].y1 >= sorted[i - 1].y2 - sorted[i - 1].y1);
    assert.ok(L.height < 1500, `height ${L.height}`);
  });

  test('compressGaps: false keeps time linear', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr, { compressGaps: false, pxPerMs: 0.5 }));
    assert.equal(L.breaks.length, 0);
    // 620 ms to 60.61 s has no event between: one linear stretch.
    assert.ok(Math.abs(L.timeToY(60610) - L.timeToY(620) - 59990 * 0.5) < 1e-6);
    assert.ok(Math.abs(L.timeToY(30000) - L.timeToY(20000) - 10000 * 0.5) < 1e-6);
  });

  test('projector type scales the diagram', () => {
    const tr = fixture('client-closes-first');
    const small = layout(tr.events, opts(tr));
    const big = layout(tr.events, opts(tr, { fontPx: 18 }));
    assert.ok(big.height > small.height);
    assert.ok(big.metrics.lineH > small.metrics.lineH);
  });

  test('the width asked for is used, but never squeezed below what labels need', () => {
    const tr = fixture('client-closes-first');
    assert.equal(layout(tr.events, opts(tr, { width: 1400 })).width, 1400);
    // A phone's width: the narrow layout (one timer column, side text that
    // wraps, no time gutter) still fits.
    const narrow = layout(tr.events, opts(tr, { width: 320 }));
    assert.equal(narrow.width, 320);
    assert.equal(narrow.metrics.narrow, true);
    assert.equal(narrow.ticks.length, 0);
    assert.ok(narrow.lanes.server - narrow.lanes.client >= 16 * narrow.metrics.charW);
    // Narrower still: wider than asked, the page scrolls sideways.
    const tiny = layout(tr.events, opts(tr, { width: 200 }));
    assert.ok(tiny.width > 200);
    // A narrow column gives up the time gutter and shortens the side text
    // before it scrolls sideways.
    const column = layout(tr.events, opts(tr, { width: 560 }));
    assert.equal(column.width, 560);
    assert.equal(column.ticks.length, 0);
    assert.ok(column.lanes.server - column.lanes.client >= 36 * column.metrics.charW);
    assert.ok(column.lanes.client >= 12 * column.metrics.charW);
  });
});

describe('flightAt', () => {
  test('a segment flies from send to arrival, droppable meanwhile', () => {
    const tr = fixture('client-closes-first');
    const L = layout(tr.events, opts(tr));
    const s = L.segments[0]; // SYN, 0 → 10 ms
    const before = flightAt(L, s, 0);
    assert.equal(before.inFlight, true);
    assert.deepEqual(before.tip, { x: s.x1, y: s.y1 });
    const mid = flightAt(L, s, 5);
    assert.equal(mid.inFlight, true);
    assert.equal(mid.droppable, true);
    assert.ok(mid.progress > 0 && mid.progress < 1);
    assert.ok(mid.tip.x > s.x1 && mid.tip.x < s.x2);
    assert.ok(Math.abs(mid.tip.y - L.timeToY(5)) < 1e-9);
    const after = flightAt(L, s, 10);
    assert.equal(after.inFlight, false);
    assert.equal(after.droppable, false);
    assert.deepEqual(after.tip, { x: s.x2, y: s.y2 });
    assert.equal(flightAt(L, s, Infinity).inFlight, false);
    assert.equal(flightAt(L, s, null).inFlight, false);
  });

  test('a segment the network will lose flies, but cannot be dropped, and shows its ✕ once lost', () => {
    const tr = fixture('fin-lost');
    const L = layout(tr.events, opts(tr));
    const s = L.segments.find((x) => x.lost);
    const early = flightAt(L, s, s.t + 1);
    assert.equal(early.inFlight, true);
    assert.equal(early.droppable, false);
    assert.equal(early.lostShown, false);
    const late = flightAt(L, s, s.t + 9);
    assert.equal(late.inFlight, false);
    assert.equal(late.lostShown, true);
    assert.deepEqual(late.tip, s.lostAt);
  });
});

describe('visibleRange', () => {
  test('finds exactly the items that meet the viewport', () => {
    const tr = fixture('syn-flood-backlog');
    const L = layout(tr.events, opts(tr));
    for (const top of [0, 300, 1000, L.height - 400]) {
      const v = visibleRange(L, top, 400, 50);
      for (const list of ITEM_LISTS) {
        const want = L[list].map((it, i) => [it, i]).filter(([it]) => it.bottom >= top - 50 && it.top <= top + 450).map(([, i]) => i);
        assert.deepEqual(v[list], want, `${list} at ${top}`);
      }
    }
  });

  test('stays bounded on a 20,000-event run', () => {
    const tr = fixture('client-closes-first');
    const events = repeat(tr, 20000);
    const L = layout(events, opts(tr));
    assert.equal(L.rows.length, 20000);
    assert.ok(L.segments.length > 4000);
    let most = 0;
    for (let top = 0; top < L.height; top += L.height / 97) {
      const v = visibleRange(L, top, 900);
      const n = ITEM_LISTS.reduce((sum, list) => sum + v[list].length, 0);
      most = Math.max(most, n);
      for (const i of v.segments) assert.ok(L.segments[i].bottom >= top - 450 && L.segments[i].top <= top + 1350);
    }
    assert.ok(most > 10, 'something is on screen');
    assert.ok(most < 400, `${most} items for one screen`);
  });

  test('a flood stays bounded too', () => {
    const tr = fixture('syn-flood-backlog');
    const L = layout(repeat(tr, 20000), opts(tr));
    let most = 0;
    for (let top = 0; top < L.height; top += L.height / 53) {
      const v = visibleRange(L, top, 900);
      most = Math.max(most, ITEM_LISTS.reduce((sum, list) => sum + v[list].length, 0));
    }
    assert.ok(most < 400, `${most} items for one screen`);
  });
});

describe('fit to a height', () => {
  const plan = (id) => JSON.parse(readFileSync(new URL(`testdata/plans/${id}.json`, import.meta.url), 'utf8'));
  const crowded = (L) => L.segments.filter((s) => s.crowded).length;
  const runs = [
    ['client-closes-first', fixture('client-closes-first')],
    ['syn-retries-exhausted', plan('syn-retries-exhausted')],
    ['half-close', plan('half-close')],
    ['three-segment-close', plan('three-segment-close')],
  ];
  for (const [name, tr] of runs) {
    for (const fontPx of [12, 18]) {
      test(`${name} at ${fontPx} px: as tall as asked, no label lost, the order kept`, () => {
        const base = { endpoints: tr.endpoints, width: 1200, fontPx };
        const natural = layout(tr.events, base);
        assert.equal(natural.vScale, 1);
        for (const k of [0.9, 0.7, 0.55]) {
          const fitHeight = Math.round(natural.height * k);
          const L = layout(tr.events, { ...base, fitHeight });
          if (L.vScale === 1) {
            assert.equal(L.height, natural.height, 'a run that cannot fit keeps its size');
            continue;
          }
          assert.ok(L.height <= fitHeight, `${L.height} > ${fitHeight}`);
          assert.ok(L.vScale < 1 && L.vScale >= 0.2);
          assert.ok(crowded(L) <= crowded(natural), 'no label hidden for want of room');
          for (let i = 1; i < L.rows.length; i++) assert.ok(L.rows[i].y >= L.rows[i - 1].y, 'time still runs down');
          assert.equal(L.metrics.fontPx, fontPx, 'the type keeps its size');
        }
      });
    }
  }

  test('every run of up to 12 segments here fits 600 px at 12 px and 900 px at 18 px', () => {
    for (const [name, tr] of runs) {
      if (tr.events.filter((e) => e.kind === 'segment').length > 12) continue;
      for (const [fontPx, fitHeight] of [[12, 600], [18, 900]]) {
        const L = layout(tr.events, { endpoints: tr.endpoints, width: 1200, fontPx, fitHeight });
        assert.ok(L.height <= fitHeight, `${name} at ${fontPx} px: ${L.height} px`);
      }
    }
  });

  test('a run already short enough is not stretched', () => {
    const tr = fixture('simultaneous-open');
    const natural = layout(tr.events, { endpoints: tr.endpoints, width: 1200 });
    assert.deepEqual(layout(tr.events, { endpoints: tr.endpoints, width: 1200, fitHeight: 5000 }).height, natural.height);
  });
});
