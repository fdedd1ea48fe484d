// Unit tests of capture.js's comparison (a capture's segments against the
// model's) and of the inspector's IPv6 decoding, which only captures need.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compareSegments, decodeAny as decode, segmentLines } from '../files/js/capture.js';

const seg = (id, from, flags, seq, ack, len, extra = {}) => ({ kind: 'segment', id, from, to: from === 'client' ? 'server' : 'client', flags, seq, ack, len, ...extra });
const trace = (cISN, sISN, segs) => ({ endpoints: { client: { isn: cISN }, server: { isn: sISN } }, events: segs });

test('segmentLines: sequence numbers relative to each side, ack only with ACK, lost marked', () => {
  const tr = trace(1000, 5000, [
    seg(1, 'client', ['SYN'], 1000, 0, 0, { fate: 'dropped' }),
    { kind: 'state', endpoint: 'client', from: 'CLOSED', to: 'SYN-SENT' },
    seg(2, 'server', ['SYN', 'ACK'], 5000, 1001, 0),
    seg(3, 'client', ['ACK'], 4294967295 + 1002 - 4294967296, 5001, 0),
  ]);
  const lines = segmentLines(tr);
  assert.deepEqual(lines.map((l) => l.line), ['SYN seq=0 ack=- len=0 ✕', 'SYN,ACK seq=0 ack=1 len=0', 'ACK seq=1 ack=1 len=0']);
  assert.deepEqual(lines.map((l) => l.index), [0, 2, 3]);
});

test('segmentLines: sequence numbers wrap around 2^32', () => {
  const tr = trace(4294967290, 7, [seg(1, 'client', ['ACK', 'PSH'], 3, 8, 10)]);
  assert.equal(segmentLines(tr)[0].line, 'ACK,PSH seq=9 ack=1 len=10');
});

test('compareSegments: same, reordered, missing and extra segments', () => {
  const a = trace(0, 0, [seg(1, 'client', ['SYN'], 0, 0, 0), seg(2, 'server', ['SYN'], 0, 0, 0), seg(3, 'client', ['ACK'], 1, 1, 0)]);
  const same = compareSegments(segmentLines(a), segmentLines(a));
  assert.equal(same.same, true);
  const b = trace(0, 0, [seg(1, 'server', ['SYN'], 0, 0, 0), seg(2, 'client', ['SYN'], 0, 0, 0), seg(3, 'client', ['ACK'], 1, 1, 0), seg(4, 'server', ['ACK'], 1, 1, 0)]);
  const diff = compareSegments(segmentLines(a), segmentLines(b));
  assert.equal(diff.same, false);
  // The longest common run is two of the three; the model's extra ACK and
  // one of the crossed SYNs are left over.
  assert.equal(diff.onlyA.length, 1);
  assert.equal(diff.onlyB.length, 2);
  assert.ok(diff.onlyB.some((s) => s.id === 4));
});

test('decode: an IPv6 packet with TCP', () => {
  const hex = (s) => Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));
  // fd00:99::1 → fd00:99::2, SYN from port 49248 to 40502, MSS 1440.
  const pkt = hex('6000000000180640fd000099000000000000000000000001fd000099000000000000000000000002' +
    'c0609e3681513d1f0000000060021c20abcd000002040  5a0'.replace(/ /g, ''));
  const fields = decode(pkt);
  const get = (layer, key) => fields.find((f) => f.layer === layer && f.key === key);
  assert.equal(get('ip6', 'version').vars.v, 6);
  assert.equal(get('ip6', 'src').vars.v, 'fd00:99::1');
  assert.equal(get('ip6', 'dst').vars.v, 'fd00:99::2');
  assert.equal(get('ip6', 'payload_length').vars.v, 24);
  assert.equal(get('tcp', 'src_port').vars.v, 49248);
  assert.equal(get('tcp', 'dst_port').vars.v, 40502);
  assert.equal(get('tcp', 'flags').vars.set, 'SYN');
  assert.equal(get('opt', 'mss').vars.v, 1440);
  assert.equal(get('tcp', 'src_port').start, 40);
});
