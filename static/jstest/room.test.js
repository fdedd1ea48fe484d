// Unit tests of the classroom's results download (room.js resultsCSV).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkValue, resultsCSV } from '../files/js/room.js';

test('resultsCSV: one row per option, with counts, the right answer and quoting', () => {
  const results = [
    {
      id: 1,
      prompt: { en: 'Who sends the first FIN?', zh: '谁先发送 FIN？' },
      options: [{ en: 'the server', zh: '服务器' }, { en: 'the client, "usually"', zh: '客户端' }],
      counts: [3, 7],
      total: 10,
      answer: 1,
    },
    { id: 2, prompt: { en: 'A, or B?', zh: '' }, options: [{ en: 'A' }, { en: 'B' }], counts: [1], total: 1, answer: null },
  ];
  assert.equal(
    resultsCSV(results, 'en'),
    'question,prompt,option,answers,correct,total\r\n' +
      '1,Who sends the first FIN?,the server,3,no,10\r\n' +
      '1,Who sends the first FIN?,"the client, ""usually""",7,yes,10\r\n' +
      '2,"A, or B?",A,1,,1\r\n' +
      '2,"A, or B?",B,0,,1\r\n',
  );
  assert.ok(resultsCSV(results, 'zh').includes('1,谁先发送 FIN？,服务器,3,no,10'));
  assert.ok(resultsCSV(results, 'zh').includes('2,"A, or B?",A,1'), 'a text without Chinese falls back to English');
});

test('resultsCSV: a number question has one row per value given, and the right value', () => {
  const results = [
    { id: 3, kind: 'number', prompt: { en: 'Which ack?', zh: '哪个 ack？' }, options: [], counts: [], total: 4,
      values: [{ value: 1001, count: 2 }, { value: 1, count: 1 }, { value: 1000, count: 1 }], value: 1001 },
    { id: 4, kind: 'number', prompt: { en: 'Which seq?' }, options: [], counts: [], total: 1, values: [{ value: 5, count: 1 }], value: 0 },
    { id: 5, kind: 'number', prompt: { en: 'Any?' }, options: [], counts: [], total: 0, values: [], value: null },
  ];
  assert.equal(
    resultsCSV(results, 'en'),
    'question,prompt,option,answers,correct,total\r\n' +
      '3,Which ack?,1001,2,yes,4\r\n' +
      '3,Which ack?,1,1,no,4\r\n' +
      '3,Which ack?,1000,1,no,4\r\n' +
      '4,Which seq?,5,1,no,1\r\n' +
      '4,Which seq?,0,0,yes,1\r\n' +
      '5,Any?,,0,,0\r\n',
  );
  assert.ok(resultsCSV(results, 'zh').includes('3,哪个 ack？,1001,2,yes,4'));
});

test('checkValue: whole numbers in range; anything else names its fault', () => {
  for (const [text, want] of [
    ['1001', { value: 1001 }],
    [' -5 ', { value: -5 }],
    ['4294967295', { value: 4294967295 }],
    ['-2147483648', { value: -2147483648 }],
    ['4294967296', { error: 'room.value_range' }],
    ['-2147483649', { error: 'room.value_range' }],
    ['', { error: 'room.value_bad' }],
    ['1.5', { error: 'room.value_bad' }],
    ['abc', { error: 'room.value_bad' }],
    ['1e3', { error: 'room.value_bad' }],
  ]) {
    assert.deepEqual(checkValue(text), want, text);
  }
  assert.deepEqual(checkValue('', true), { error: 'room.value_bad' }, 'text the browser could not read');
});
