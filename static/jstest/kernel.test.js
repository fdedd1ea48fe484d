// Unit tests of kernel.js: a run against the real kernel is fetched from the
// kernel routes, then played as a recorded run, without socket calls.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { Translator } from '../files/js/i18n.js';
import { KernelReplay, kernelURL } from '../files/js/kernel.js';

const en = JSON.parse(readFileSync(new URL('../../i18n/en.json', import.meta.url)));
const zh = JSON.parse(readFileSync(new URL('../../i18n/zh.json', import.meta.url)));
const tr = new Translator({ en, zh }, 'en');
const recorded = JSON.parse(readFileSync(new URL('./testdata/panels/client-closes-first.json', import.meta.url)));
const tick = () => new Promise((r) => setTimeout(r, 0));

test('kernel: a built-in scenario is fetched from the kernel route and played like a recording', async () => {
  const urls = [];
  globalThis.fetch = async (url, init) => {
    urls.push([url, init?.method ?? 'GET']);
    return { ok: true, json: async () => recorded };
  };
  const got = [];
  const running = [];
  const k = new KernelReplay((m) => got.push(m), tr.t, (on) => running.push(on));
  k.send({ type: 'load', scenario: 'client-closes-first' });
  k.send({ type: 'step' });
  await k.loading;
  await tick();
  assert.deepEqual(urls, [['/api/kernel/scenarios/client-closes-first/trace?role=server', 'GET']]);
  assert.deepEqual(running, [true, false]);
  assert.deepEqual(got.map((m) => m.type), ['loaded', 'event']);
  k.send({ type: 'call', endpoint: 'server', call: 'close' });
  k.send({ type: 'fault', drop: { segment: 1 } });
  await tick();
  assert.deepEqual(got.slice(-2), [
    { type: 'error', message: en['kernel.no_actions'] },
    { type: 'error', message: en['kernel.no_actions'] },
  ]);
  k.send({ type: 'play', speed: 'max' });
  await tick();
  assert.equal(got.at(-1).type, 'done');
  k.stop();
});

test('kernel: a custom scenario is posted; the sandbox and a refused run say why', async () => {
  const posted = [];
  globalThis.fetch = async (url, init) => {
    posted.push([url, JSON.parse(init.body).id]);
    return { ok: false, statusText: 'Service Unavailable', json: async () => ({ error: 'the server is busy' }) };
  };
  const got = [];
  const k = new KernelReplay((m) => got.push(m), tr.t);
  k.send({ type: 'load', scenario: { id: 'mine', steps: [{ at_ms: 0, endpoint: 'server', call: 'listen' }] } });
  await k.loading;
  assert.deepEqual(posted, [['/api/kernel/run?role=server', 'mine']]);
  assert.deepEqual(got, [{ type: 'error', message: 'the server is busy' }]);

  got.length = 0;
  k.send({ type: 'load', scenario: { id: 'sandbox', steps: [] } });
  await k.loading;
  assert.deepEqual(got.map((m) => m.type), ['loaded', 'error']);
  assert.equal(got[1].message, en['kernel.sandbox']);
});

test('kernel: with the kernel as the client, both routes are asked for role=client', async () => {
  const urls = [];
  globalThis.fetch = async (url, init) => {
    urls.push([url, init?.method ?? 'GET']);
    return { ok: true, json: async () => recorded };
  };
  const k = new KernelReplay(() => {}, tr.t, () => {}, 'client');
  k.send({ type: 'load', scenario: 'syn-lost' });
  await k.loading;
  k.send({ type: 'load', scenario: { id: 'mine', steps: [{ at_ms: 0, endpoint: 'server', call: 'listen' }] } });
  await k.loading;
  assert.deepEqual(urls, [['/api/kernel/scenarios/syn-lost/trace?role=client', 'GET'], ['/api/kernel/run?role=client', 'POST']]);
  k.stop();
});

test('kernelURL: turns ?peer=kernel and ?peer=kernel-client on and off, keeping the rest', () => {
  assert.equal(kernelURL('http://h/?scenario=syn-lost&lang=zh', 'kernel'), 'http://h/?scenario=syn-lost&lang=zh&peer=kernel');
  assert.equal(kernelURL('http://h/?peer=kernel&scenario=syn-lost', 'kernel-client'), 'http://h/?peer=kernel-client&scenario=syn-lost');
  assert.equal(kernelURL('http://h/?peer=kernel&scenario=syn-lost', ''), 'http://h/?scenario=syn-lost');
});
