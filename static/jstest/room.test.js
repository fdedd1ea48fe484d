// Unit tests of the classroom's results download (room.js resultsCSV).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { resultsCSV } from '../files/js/room.js';

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
