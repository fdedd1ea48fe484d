// Unit tests of the number formatting shared by the diagram and the panels.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatAddr, formatDuration, formatSeq, formatTime, relativeSeq } from '../files/js/format.js';

test('durations: milliseconds below a second, seconds from one on', () => {
  const cases = [
    [0, '0 ms'],
    [0.5, '0.5 ms'],
    [40, '40 ms'],
    [220, '220 ms'],
    [999.94, '999.9 ms'],
    [1000, '1 s'],
    [1500, '1.5 s'],
    [60000, '60 s'],
    [59990, '59.99 s'],
    [60610, '60.61 s'],
    [240000, '240 s'],
    [-40, '-40 ms'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, `${ms}`);
  assert.equal(formatDuration(NaN), '');
  assert.equal(formatTime(610), '610 ms');
});

test('relative sequence numbers are signed 32-bit differences', () => {
  assert.equal(relativeSeq(101, 100), 1);
  assert.equal(relativeSeq(99, 100), -1);
  assert.equal(relativeSeq(4, 4294967295), 5); // across the wrap
  assert.equal(relativeSeq(4294967295, 4), -5);
});

test('formatSeq in each numbering', () => {
  const ref = { isn: 3001401510, known: true, symbol: 'x' };
  assert.equal(formatSeq(3001401511, 'absolute', ref), '3001401511');
  assert.equal(formatSeq(3001401511, 'relative', ref), '1');
  assert.equal(formatSeq(3001401511, 'symbolic', ref), 'x+1');
  assert.equal(formatSeq(3001401510, 'symbolic', ref), 'x');
  assert.equal(formatSeq(3000401510, 'symbolic', ref), 'x-1000000');
  assert.equal(formatSeq(7, 'symbolic', { isn: 5, known: true, symbol: 'y′' }), 'y′+2');
  // Unknown ISN (or no reference at all): the number stays absolute.
  assert.equal(formatSeq(12, 'relative', { isn: 0, known: false }), '12');
  assert.equal(formatSeq(12, 'symbolic', null), '12');
  // An unknown mode is absolute.
  assert.equal(formatSeq(12, 'hex', ref), '12');
});

test('addresses', () => {
  assert.equal(formatAddr({ addr: '10.0.0.1', port: 49152 }), '10.0.0.1:49152');
  assert.equal(formatAddr({ addr: '10.0.0.2' }), '10.0.0.2');
  assert.equal(formatAddr(null), '');
});
