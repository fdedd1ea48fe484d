// Unit tests of errorText: a live session's error in the page's language.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Translator, errorText, fieldDetail } from '../files/js/i18n.js';

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

const fieldCatalogues = {
  en: { 'error.bad-field': '{field}: {detail}', 'field.range': 'must be between {min} and {max}' },
  zh: { 'error.bad-field': '{field} 有误：{detail}', 'field.range': '必须在 {min} 到 {max} 之间' },
};

test("a field error's rule is worded in the page language", () => {
  const answer = {
    error: 'steps[0].at_ms: must be between 0 and 3600000',
    code: 'bad-field',
    args: { field: 'steps[0].at_ms', detail: 'must be between 0 and 3600000', check: 'range', values: { min: 0, max: 3600000 } },
  };
  const zh = new Translator(fieldCatalogues, 'zh').t;
  assert.equal(errorText(answer, zh), 'steps[0].at_ms 有误：必须在 0 到 3600000 之间');
  assert.equal(fieldDetail(answer.args, zh), '必须在 0 到 3600000 之间');
  assert.equal(errorText(answer, new Translator(fieldCatalogues, 'en').t), 'steps[0].at_ms: must be between 0 and 3600000');
});

test("a field error without a rule, or with an unknown one, keeps the server's detail", () => {
  const zh = new Translator(fieldCatalogues, 'zh').t;
  const args = { field: 'seed', detail: 'must be a number in range, not string' };
  assert.equal(errorText({ error: 'seed: …', code: 'bad-field', args }, zh), 'seed 有误：must be a number in range, not string');
  assert.equal(fieldDetail({ ...args, check: 'brand-new', values: {} }, zh), 'must be a number in range, not string');
  assert.equal(fieldDetail(undefined, zh), undefined);
});
