// Unit tests of errorText: a live session's error in the page's language.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Translator, errorText } from '../files/js/i18n.js';

const catalogues = {
  en: { 'error.run-limit': 'This run has reached the limit of {max} events.' },
  zh: { 'error.run-limit': '这次运行已达到 {max} 个事件的上限。' },
};

test('a known code is said in the page language, with its args', () => {
  const msg = { type: 'error', message: 'English from the server', code: 'run-limit', args: { max: 5000 } };
  assert.equal(errorText(msg, new Translator(catalogues, 'zh').t), '这次运行已达到 5000 个事件的上限。');
  assert.equal(errorText(msg, new Translator(catalogues, 'en').t), 'This run has reached the limit of 5000 events.');
});

test("an unknown or missing code falls back to the server's message", () => {
  const { t } = new Translator(catalogues, 'zh');
  assert.equal(errorText({ type: 'error', message: 'Something new.', code: 'brand-new' }, t), 'Something new.');
  assert.equal(errorText({ type: 'error', message: 'Old server.' }, t), 'Old server.');
  assert.equal(errorText({ type: 'error', code: 'brand-new' }, t), '');
  assert.equal(errorText(null, t), '');
});

test('missing args leave the placeholders', () => {
  const { t } = new Translator(catalogues, 'en');
  assert.equal(errorText({ type: 'error', message: 'x', code: 'run-limit' }, t), 'This run has reached the limit of {max} events.');
});
