// Unit tests of kernel.js: a run against the real kernel is read live from
// the kernel routes (?format=ndjson), drawn as its events arrive at their
// times, then played as a recorded run, without socket calls.

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
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** live is a fetch answer whose NDJSON body the test writes line by line. */
function live() {
  let ctl;
  const body = new ReadableStream({ start(c) { ctl = c; } });
  const enc = new TextEncoder();
  return {
    res: { ok: true, body },
    line: (obj) => ctl.enqueue(enc.encode(JSON.stringify(obj) + '\n')),
    raw: (text) => ctl.enqueue(enc.encode(text)),
    end: () => ctl.close(),
  };
}

/** whole is a finished run's live answer, all at once. */
function whole(tr) {
  const s = live();
  s.line({ type: 'loaded', scenario: tr.scenario, endpoints: tr.endpoints });
  s.line({ type: 'events', events: tr.events });
  s.line({ type: 'done', endpoints: tr.endpoints, truncated: false });
  s.end();
  return s.res;
}

test('kernel: a built-in scenario is fetched from the kernel route and played like a recording', async () => {
  const urls = [];
  globalThis.fetch = async (url, init) => {
    urls.push([url, init?.method ?? 'GET']);
    return whole(recorded);
  };
  const got = [];
  const running = [];
  const k = new KernelReplay((m) => got.push(m), tr.t, (on) => running.push(on));
  k.send({ type: 'load', scenario: 'client-closes-first' });
  // Paused at once: the recording's events would otherwise be drawn over
  // its 60 s, as they happened.
  k.send({ type: 'pause' });
  await k.loading;
  await sleep(20);
  k.send({ type: 'reset' });
  k.send({ type: 'step' });
  await tick();
  assert.deepEqual(urls, [['/api/kernel/scenarios/client-closes-first/trace?role=server&format=ndjson', 'GET']]);
  assert.deepEqual(running, [true, false]);
  assert.deepEqual(got.map((m) => m.type).slice(-2), ['rewound', 'event']);
  assert.equal(got[0].type, 'loaded');
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
  assert.deepEqual(posted, [['/api/kernel/run?role=server&format=ndjson', 'mine']]);
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
    return whole(recorded);
  };
  const k = new KernelReplay(() => {}, tr.t, () => {}, 'client');
  k.send({ type: 'load', scenario: 'syn-lost' });
  await k.loading;
  k.send({ type: 'load', scenario: { id: 'mine', steps: [{ at_ms: 0, endpoint: 'server', call: 'listen' }] } });
  k.send({ type: 'pause' });
  await k.loading;
  assert.deepEqual(urls, [['/api/kernel/scenarios/syn-lost/trace?role=client&format=ndjson', 'GET'], ['/api/kernel/run?role=client&format=ndjson', 'POST']]);
  k.stop();
});

test('kernel: events are drawn live, each at its time since the run started; the run\'s end says done', async () => {
  const s = live();
  globalThis.fetch = async () => s.res;
  const got = [];
  const running = [];
  const k = new KernelReplay((m) => got.push({ ...m, at: performance.now() }), tr.t, (on) => running.push(on));
  k.send({ type: 'load', scenario: 'syn-lost' });
  await tick();
  const t0 = performance.now();
  s.line({ type: 'loaded', scenario: { id: 'syn-lost' }, endpoints: recorded.endpoints });
  await k.loading;
  assert.deepEqual(got.map((m) => m.type), ['loaded']);
  assert.deepEqual(running, [true]);
  // One line split across two reads, a SYN at 0 and its retransmission at 60 ms.
  const syn = { kind: 'segment', t_ms: 0, from: 'client', flags: ['SYN'] };
  const text = JSON.stringify({ type: 'events', events: [syn, { ...syn, t_ms: 60 }] }) + '\n';
  s.raw(text.slice(0, 10));
  await tick();
  assert.equal(got.length, 1, 'half a line draws nothing');
  s.raw(text.slice(10));
  await sleep(20);
  assert.deepEqual(got.map((m) => m.type), ['loaded', 'event'], 'the first SYN is drawn at once, the second waits for its time');
  await sleep(70);
  assert.deepEqual(got.map((m) => m.type), ['loaded', 'event', 'event']);
  assert.ok(got[2].at - t0 >= 55, `the retransmission was drawn ${got[2].at - t0} ms after the start, want at its 60 ms`);
  // Pausing takes the ladder from the live run; play catches up and follows.
  k.send({ type: 'pause' });
  s.line({ type: 'events', events: [{ kind: 'state', t_ms: 0, endpoint: 'client', from: 'SYN-SENT', to: 'CLOSED' }] });
  await sleep(20);
  assert.equal(got.length, 3, 'paused: the new event waits');
  k.send({ type: 'play', speed: 'max' });
  await sleep(10);
  assert.deepEqual(got.map((m) => m.type), ['loaded', 'event', 'event', 'event'], 'no done while the run goes on');
  s.line({ type: 'events', events: [{ ...syn, t_ms: 0 }] });
  await sleep(10);
  assert.equal(got.length, 5, 'following again after play caught up');
  s.line({ type: 'done', endpoints: recorded.endpoints, truncated: false });
  s.end();
  await sleep(10);
  assert.equal(got.at(-1).type, 'done');
  assert.deepEqual(running, [true, false]);
  k.stop();
});

test('kernel: a run that fails once started, or is cut short, says why', async () => {
  for (const [lines, want] of [
    [[{ type: 'error', error: 'running "syn-lost" against the kernel: boom' }], 'running "syn-lost" against the kernel: boom'],
    [[], en['kernel.cut_short']],
  ]) {
    const s = live();
    globalThis.fetch = async () => s.res;
    const got = [];
    const k = new KernelReplay((m) => got.push(m), tr.t);
    k.send({ type: 'load', scenario: 'syn-lost' });
    await tick();
    s.line({ type: 'loaded', scenario: { id: 'syn-lost' }, endpoints: recorded.endpoints });
    for (const l of lines) s.line(l);
    s.end();
    await sleep(10);
    assert.deepEqual(got.map((m) => m.type), ['loaded', 'error']);
    assert.equal(got[1].message, want);
  }
});

test('kernelURL: turns ?peer=kernel and ?peer=kernel-client on and off, keeping the rest', () => {
  assert.equal(kernelURL('http://h/?scenario=syn-lost&lang=zh', 'kernel'), 'http://h/?scenario=syn-lost&lang=zh&peer=kernel');
  assert.equal(kernelURL('http://h/?peer=kernel&scenario=syn-lost', 'kernel-client'), 'http://h/?peer=kernel-client&scenario=syn-lost');
  assert.equal(kernelURL('http://h/?peer=kernel&scenario=syn-lost', ''), 'http://h/?scenario=syn-lost');
});
