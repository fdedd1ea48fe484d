// Unit tests of the notation (numbers.js): Wireshark's flags, the textbook's
// bits, and the symbolic numbering's rule, on hand-made segments, on the
// fixtures here, and on every built-in scenario's trace when the Go test
// (web/jstest_test.go) hands them over in SYNACK_TRACES. The symbolic labels
// of every built-in are kept in testdata/notation.golden.txt;
// SYNACK_UPDATE=1 rewrites it (go test ./web -run JavaScript -update does).

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { Notation, flagsText, notationOf, segmentLabels, seqText } from '../files/js/numbers.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`testdata/${name}.json`, import.meta.url), 'utf8'));
const tracesDir = process.env.SYNACK_TRACES ?? '';
const builtins = () =>
  readdirSync(tracesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ id: f.slice(0, -5), trace: JSON.parse(readFileSync(`${tracesDir}/${f}`, 'utf8')) }));
const noTraces = tracesDir ? false : 'the built-in traces come from go test ./web (SYNACK_TRACES is not set)';

const labelsOf = (trace, notation) => segmentLabels(trace.events, notation, trace.endpoints).filter((l) => l !== null);
const segmentsOf = (trace) => trace.events.filter((e) => e.kind === 'segment');

describe('flags', () => {
  test("Wireshark's order and words, whatever order the trace lists them in", () => {
    for (const [flags, names, bits] of [
      [['SYN'], 'SYN', 'SYN=1'],
      [['ACK', 'SYN'], 'SYN, ACK', 'SYN=1, ACK=1'],
      [['ACK', 'FIN'], 'FIN, ACK', 'FIN=1, ACK=1'],
      [['ACK', 'PSH'], 'PSH, ACK', 'PSH=1, ACK=1'],
      [['ACK', 'RST'], 'RST, ACK', 'RST=1, ACK=1'],
      [['ACK', 'PSH', 'FIN'], 'FIN, PSH, ACK', 'FIN=1, PSH=1, ACK=1'],
      [['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'], 'FIN, SYN, RST, PSH, ACK, URG, ECE, CWR', 'FIN=1, SYN=1, RST=1, PSH=1, ACK=1, URG=1, ECE=1, CWR=1'],
      [[], '<None>', '<None>'],
      [undefined, '<None>', '<None>'],
    ]) {
      assert.equal(flagsText(flags), names, String(flags));
      assert.equal(flagsText(flags, 'bits'), bits, String(flags));
    }
  });

  test('notationOf falls back to relative numbers and flag names', () => {
    assert.deepEqual(notationOf('symbolic'), { numbering: 'symbolic', flags: 'names' });
    assert.deepEqual(notationOf({ numbering: 'absolute', flags: 'bits' }), { numbering: 'absolute', flags: 'bits' });
    assert.deepEqual(notationOf({ numbering: 'hex', flags: 'emoji' }), { numbering: 'relative', flags: 'names' });
    assert.deepEqual(notationOf(undefined), { numbering: 'relative', flags: 'names' });
  });
});

// seg makes a segment event.
const seg = (from, flags, seq, ack, len = 0, extra = {}) => ({ kind: 'segment', from, to: from === 'client' ? 'server' : 'client', flags, seq, ack, len, ...extra });

describe('symbolic numbering', () => {
  const eps = { client: { isn: 1000 }, server: { isn: 5000 } };
  const run = (events, notation = 'symbolic') => {
    const n = new Notation(notation, eps);
    return events.map((ev) => n.label(ev));
  };

  test("the textbook's handshake, data as x+1+n, and the four-way close's u, v, w", () => {
    const labels = run([
      seg('client', ['SYN'], 1000, 0),
      seg('server', ['SYN', 'ACK'], 5000, 1001),
      seg('client', ['ACK'], 1001, 5001),
      seg('client', ['PSH', 'ACK'], 1001, 5001, 5),
      seg('server', ['ACK'], 5001, 1006),
      seg('client', ['FIN', 'ACK'], 1006, 5001),
      seg('server', ['ACK'], 5001, 1007),
      seg('server', ['FIN', 'ACK'], 5001, 1007),
      seg('client', ['ACK'], 1007, 5002),
    ]);
    assert.deepEqual(labels, [
      'SYN seq=x',
      'SYN, ACK seq=y ack=x+1',
      'ACK seq=x+1 ack=y+1',
      'PSH, ACK seq=x+1 ack=y+1 len=5',
      'ACK seq=y+1 ack=x+1+5',
      'FIN, ACK seq=u ack=y+1',
      'ACK seq=v ack=u+1',
      'FIN, ACK seq=w ack=u+1',
      'ACK seq=u+1 ack=w+1',
    ]);
  });

  test('the bit style of the same textbooks', () => {
    const labels = run([seg('client', ['SYN'], 1000, 0), seg('server', ['SYN', 'ACK'], 5000, 1001), seg('client', ['PSH', 'ACK'], 1001, 5001, 5)], { numbering: 'symbolic', flags: 'bits' });
    assert.deepEqual(labels, ['SYN=1, seq=x', 'SYN=1, ACK=1, seq=y, ack=x+1', 'PSH=1, ACK=1, seq=x+1, ack=y+1, len=5']);
  });

  test('data sent in the half-close counts from v; the FIN is w whatever came before', () => {
    const labels = run([
      seg('client', ['SYN'], 1000, 0),
      seg('server', ['SYN', 'ACK'], 5000, 1001),
      seg('client', ['FIN', 'ACK'], 1001, 5001),
      seg('server', ['ACK'], 5001, 1002),
      seg('server', ['PSH', 'ACK'], 5001, 1002, 7),
      seg('client', ['ACK'], 1002, 5008),
      seg('server', ['FIN', 'ACK'], 5008, 1002),
      seg('client', ['ACK'], 1002, 5009),
    ]);
    assert.deepEqual(labels.slice(2), ['FIN, ACK seq=u ack=y+1', 'ACK seq=v ack=u+1', 'PSH, ACK seq=v ack=u+1 len=7', 'ACK seq=u+1 ack=v+7', 'FIN, ACK seq=w ack=u+1', 'ACK seq=u+1 ack=w+1']);
  });

  test('the side that closes first gets u, whichever it is; a FIN that acknowledges u is w, with no v', () => {
    const labels = run([
      seg('client', ['SYN'], 1000, 0),
      seg('server', ['SYN', 'ACK'], 5000, 1001),
      seg('server', ['FIN', 'ACK'], 5001, 1001),
      seg('client', ['FIN', 'ACK'], 1001, 5002),
      seg('server', ['ACK'], 5002, 1002),
    ]);
    assert.deepEqual(labels.slice(2), ['FIN, ACK seq=u ack=x+1', 'FIN, ACK seq=w ack=u+1', 'ACK seq=u+1 ack=w+1']);
  });

  test('a retransmitted FIN keeps its letter; an ACK that does not acknowledge the FIN sets no v', () => {
    const labels = run([
      seg('client', ['SYN'], 1000, 0),
      seg('server', ['SYN', 'ACK'], 5000, 1001),
      seg('client', ['FIN', 'ACK'], 1001, 5001),
      seg('server', ['ACK'], 5001, 1001),
      seg('client', ['FIN', 'ACK'], 1001, 5001, 0, { retransmit: true }),
      seg('server', ['ACK'], 5001, 1002),
    ]);
    assert.deepEqual(labels.slice(2), ['FIN, ACK seq=u ack=y+1', 'ACK seq=y+1 ack=u', 'FIN, ACK seq=u ack=y+1', 'ACK seq=v ack=u+1']);
  });

  test('injected segments use the letters but set none; spoofed ones stay absolute', () => {
    const labels = run([
      seg('client', ['SYN'], 1000, 0),
      seg('server', ['SYN', 'ACK'], 5000, 1001),
      seg('client', ['FIN', 'ACK'], 1101, 5001, 0, { injected: true }),
      seg('client', ['SYN'], 777, 0, 0, { spoofed: true }),
      seg('client', ['FIN', 'ACK'], 1001, 5001),
    ]);
    assert.deepEqual(labels.slice(2), ['FIN, ACK seq=x+1+100 ack=y+1', 'SYN seq=777', 'FIN, ACK seq=u ack=y+1']);
  });

  test('numbers wrap around 2^32; a side without a known ISN stays absolute', () => {
    const n = new Notation('symbolic', { client: { isn: 4294967290 }, server: { isn: 0 } });
    assert.equal(n.label(seg('client', ['ACK'], 5, 3)), 'ACK seq=x+1+10 ack=3');
    assert.equal(new Notation('relative', { client: { isn: 4294967290 } }).label(seg('client', ['ACK'], 5, 3)), 'ACK seq=11 ack=3');
    assert.equal(new Notation('absolute', eps).label(seg('client', ['ACK'], 5, 3, 2)), 'ACK seq=5 ack=3 len=2');
  });

  test('the panels write a control-block variable from the ISN', () => {
    const refs = { client: { isn: 1000, known: true, symbol: 'x' }, server: { isn: 0, known: false } };
    assert.equal(seqText(1006, 'client', refs, 'symbolic'), 'x+1+5');
    assert.equal(seqText(1001, 'client', refs, 'symbolic'), 'x+1');
    assert.equal(seqText(1006, 'client', refs, 'relative'), '6');
    assert.equal(seqText(42, 'server', refs, 'symbolic'), '42');
  });

  test("client-closes-first: the textbook's figure", () => {
    assert.deepEqual(labelsOf(fixture('client-closes-first'), 'symbolic'), [
      'SYN seq=x', 'SYN, ACK seq=y ack=x+1', 'ACK seq=x+1 ack=y+1', 'PSH, ACK seq=x+1 ack=y+1 len=5', 'ACK seq=y+1 ack=x+1+5',
      'FIN, ACK seq=u ack=y+1', 'ACK seq=v ack=u+1', 'FIN, ACK seq=w ack=u+1', 'ACK seq=u+1 ack=w+1',
    ]);
  });
});

// decode reads a symbolic number ("u+1+5", "x′-3", "4242") given the
// letters' values so far; it learns a letter's value the first time it
// reads it, and reports whether it agrees afterwards.
function decoder() {
  const letters = new Map();
  return (expr, wire, where) => {
    if (/^\d+$/.test(expr)) {
      assert.equal(Number(expr), wire >>> 0, `${where}: ${expr}`);
      return null;
    }
    const m = /^([a-z]′*)((?:[+-]\d+)*)$/.exec(expr);
    assert.ok(m, `${where}: "${expr}" is not a number or a letter with offsets`);
    const offset = [...m[2].matchAll(/[+-]\d+/g)].reduce((sum, [o]) => sum + Number(o), 0);
    const value = ((wire >>> 0) - offset) >>> 0;
    if (!letters.has(m[1])) letters.set(m[1], value);
    assert.equal(letters.get(m[1]), value, `${where}: ${expr} means ${wire}, so ${m[1]} = ${value}, but it was ${letters.get(m[1])} before`);
    return m[1];
  };
}

// checkRun checks the rule on one trace: every symbolic number stands for
// the number on the wire, each letter for one number throughout, and the
// letters are set where the rule says.
function checkRun(name, trace) {
  const segs = segmentsOf(trace);
  const labels = labelsOf(trace, 'symbolic');
  const relative = labelsOf(trace, 'relative');
  const bits = labelsOf(trace, { numbering: 'symbolic', flags: 'bits' });
  const decode = decoder();
  let firstFin = null;
  segs.forEach((ev, i) => {
    const where = `${name} #${ev.id} "${labels[i]}"`;
    const fields = Object.fromEntries([...labels[i].matchAll(/(seq|ack|len)=(\S+)/g)].map((m) => [m[1], m[2]]));
    assert.ok(labels[i].startsWith(flagsText(ev.flags)), where);
    assert.equal(fields.len, ev.len ? String(ev.len) : undefined, `${where}: len only with data`);
    assert.equal('ack' in fields, ev.flags.includes('ACK'), `${where}: ack only with the ACK flag`);
    const letter = decode(fields.seq, ev.seq, where);
    if ('ack' in fields) decode(fields.ack, ev.ack, where);
    if (!ev.injected && !ev.spoofed && ev.drop_reason !== 'unreachable') {
      // Where the letters are set: a side's own SYN is its x or y, the
      // close's first FIN u, the other side's FIN w.
      if (ev.flags.includes('SYN') && letter) assert.match(fields.seq, /^[xy]′*$/, `${where}: a SYN starts its side's letter`);
      if (ev.flags.includes('FIN') && !ev.retransmit) {
        firstFin ??= ev.from;
        assert.match(fields.seq, firstFin === ev.from ? /^u′*$/ : /^w′*$/, `${where}: the close's FINs are u and w`);
      }
    }
    assert.equal(bits[i], labels[i].replace(/^(\S+(?:, \S+)*?) (?=seq=)/, (m, f) => `${f.split(', ').map((x) => `${x}=1`).join(', ')}, `).replaceAll(' ack=', ', ack=').replaceAll(' len=', ', len='), `${where}: bits`);
    assert.ok(!/len=0\b/.test(relative[i]), `${where}: no len=0`);
  });
}

describe('the rule on every trace', () => {
  test('the fixtures here', () => {
    for (const name of ['client-closes-first', 'fin-lost', 'final-ack-lost', 'old-duplicate-syn', 'simultaneous-open', 'syn-flood-backlog', 'live-fin-dropped', 'rfc-syn-backoff']) {
      checkRun(name, fixture(name));
    }
  });

  test('every built-in scenario', { skip: noTraces }, () => {
    const all = builtins();
    assert.ok(all.length >= 27, `only ${all.length} traces in ${tracesDir}`);
    for (const { id, trace } of all) checkRun(id, trace);
  });

  test("every built-in scenario's symbolic labels, as kept in testdata/notation.golden.txt", { skip: noTraces }, () => {
    const lines = [];
    for (const { id, trace } of builtins()) {
      lines.push(`== ${id}`);
      const labels = labelsOf(trace, 'symbolic');
      segmentsOf(trace).forEach((ev, i) => {
        const notes = [ev.retransmit && 'retransmission', ev.injected && 'injected', ev.spoofed && 'spoofed', ev.fate === 'dropped' && 'lost'].filter(Boolean);
        lines.push(`#${ev.id} ${ev.from.padEnd(6)} ${labels[i]}${notes.length ? `  (${notes.join(', ')})` : ''}`);
      });
    }
    const got = lines.join('\n') + '\n';
    const file = new URL('testdata/notation.golden.txt', import.meta.url);
    if (process.env.SYNACK_UPDATE === '1' || !existsSync(file)) writeFileSync(file, got);
    assert.equal(got, readFileSync(file, 'utf8'), 'the symbolic labels changed: review, then rewrite with go test ./web -run JavaScript -update');
  });

  test('the handshake and the close of the textbook scenarios', { skip: noTraces }, () => {
    const want = {
      'three-way-handshake': ['SYN seq=x', 'SYN, ACK seq=y ack=x+1', 'ACK seq=x+1 ack=y+1'],
      'rfc-textbook-close': ['FIN, ACK seq=u ack=y+1', 'ACK seq=v ack=u+1', 'FIN, ACK seq=w ack=u+1', 'ACK seq=u+1 ack=w+1'],
      'three-segment-close': ['FIN, ACK seq=u ack=y+1', 'FIN, ACK seq=w ack=u+1', 'ACK seq=u+1 ack=w+1'],
      'server-closes-first': ['FIN, ACK seq=u ack=x+1+4', 'ACK seq=v ack=u+1', 'FIN, ACK seq=w ack=u+1', 'ACK seq=u+1 ack=w+1'],
      'simultaneous-close': ['FIN, ACK seq=u ack=y+1', 'FIN, ACK seq=w ack=u', 'ACK seq=w+1 ack=u+1', 'ACK seq=u+1 ack=w+1'],
    };
    const traces = new Map(builtins().map((b) => [b.id, b.trace]));
    for (const [id, labels] of Object.entries(want)) {
      const got = labelsOf(traces.get(id), 'symbolic');
      assert.deepEqual(id === 'three-way-handshake' ? got : got.slice(-labels.length), labels, id);
    }
  });
});
