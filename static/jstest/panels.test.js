// Unit tests of the page's modules that need no browser: the packet
// decoder, sequence-number references, event descriptions, control-block
// snapshots, the state machine's transitions, explanations, the embed's
// target origin, the translator, the session store and the trace replay.
// Whole traces, bytes and control blocks included, are in testdata/panels/
// (GET /api/scenarios/{id}/trace); the diagram's shorter ones in testdata/.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { describe } from '../files/js/describe.js';
import { targetOrigin } from '../files/js/embed.js';
import { Translator } from '../files/js/i18n.js';
import { isnRefs, seqText, seqWriter } from '../files/js/numbers.js';
import { Explain } from '../files/js/panels/explain.js';
import { decode } from '../files/js/panels/inspector.js';
import { lastTransition } from '../files/js/panels/statediagram.js';
import { snapshots } from '../files/js/panels/tcb.js';
import { Replay } from '../files/js/replay.js';
import { Session, Store } from '../files/js/session.js';

const trace = (name) => JSON.parse(readFileSync(new URL(`./testdata/panels/${name}.json`, import.meta.url)));
const short = (name) => JSON.parse(readFileSync(new URL(`./testdata/${name}.json`, import.meta.url)));
const full = ['client-closes-first', 'old-duplicate-syn', 'data-lost', 'syn-flood-backlog', 'challenge-ack-rst',
  'simultaneous-open', 'rst-in-time-wait-rfc1337', 'fin-wait-2-timeout', 'close-with-unread-data'];
const all = () => [...full.map(trace), ...['fin-lost', 'final-ack-lost', 'live-fin-dropped', 'rfc-syn-backoff'].map(short)];
const en = JSON.parse(readFileSync(new URL('../../i18n/en.json', import.meta.url)));
const zh = JSON.parse(readFileSync(new URL('../../i18n/zh.json', import.meta.url)));
const tr = new Translator({ en, zh }, 'en');

const hex = (h) => Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));

test('decode: every IPv4 and TCP header field of a SYN with options', () => {
  const syn = '4500003cc0944000400666250a0000010a000002842b0050b2e5c0a600000000a002faf065450000020405b40402080a52e788d5000000000103030a';
  const fields = decode(hex(syn));
  const get = (layer, key) => fields.find((f) => f.layer === layer && f.key === key);
  assert.equal(get('ip', 'version').vars.v, 4);
  assert.equal(get('ip', 'ihl').vars.v, 20);
  assert.equal(get('ip', 'total_length').vars.v, 60);
  assert.equal(get('ip', 'flags').vars.df, 1);
  assert.equal(get('ip', 'ttl').vars.v, 64);
  assert.equal(get('ip', 'protocol').vars.v, 6);
  assert.equal(get('ip', 'src').vars.v, '10.0.0.1');
  assert.equal(get('ip', 'dst').vars.v, '10.0.0.2');
  assert.deepEqual([get('ip', 'src').start, get('ip', 'src').end], [12, 16]);
  assert.equal(get('tcp', 'src_port').vars.v, 33835);
  assert.equal(get('tcp', 'dst_port').vars.v, 80);
  assert.equal(get('tcp', 'seq').vars.v, 3001401510);
  assert.equal(get('tcp', 'doff').vars.v, 40);
  assert.equal(get('tcp', 'flags').vars.set, 'SYN');
  assert.equal(get('tcp', 'window').vars.v, 64240);
  const opts = fields.filter((f) => f.layer === 'opt').map((f) => f.key);
  assert.deepEqual(opts, ['mss', 'sack_perm', 'ts', 'nop', 'ws']);
  assert.equal(get('opt', 'mss').vars.v, 1460);
  assert.equal(get('opt', 'ws').vars.factor, 1024);
  assert.equal(get('opt', 'ts').vars.val, 1390905557);
  assert.equal(fields.at(-1).end, 60, 'the last option ends the packet');
  assert.equal(get('data', 'payload'), undefined);
});

test('decode: payload, flags and every field of the recorded traces', () => {
  for (const name of full) {
    for (const ev of trace(name).events) {
      if (ev.kind !== 'segment') continue;
      const b = hex(ev.bytes);
      const fields = decode(b);
      const get = (layer, key) => fields.find((f) => f.layer === layer && f.key === key);
      assert.equal(get('tcp', 'seq').vars.v, ev.seq, `${name} #${ev.id} seq`);
      assert.equal(get('tcp', 'ack').vars.v, ev.ack, `${name} #${ev.id} ack`);
      assert.equal(get('tcp', 'window').vars.v, ev.window, `${name} #${ev.id} window`);
      assert.deepEqual(get('tcp', 'flags').vars.set.split(', ').sort(), [...ev.flags].sort(), `${name} #${ev.id} flags`);
      const payload = get('data', 'payload');
      assert.equal(payload ? payload.vars.len : 0, ev.len, `${name} #${ev.id} len`);
      if (ev.len) assert.equal(payload.vars.text, ev.data.replace(/[^ -~]/g, '.'));
      for (const f of fields) assert.ok(f.start < f.end && f.end <= b.length, `${name} #${ev.id} ${f.key} in bounds`);
    }
  }
});

test('decode: short and malformed packets stop without throwing', () => {
  assert.deepEqual(decode(new Uint8Array(10)), []);
  const ipOnly = decode(hex('4500003cc0944000400666250a0000010a000002'));
  assert.ok(ipOnly.every((f) => f.layer === 'ip'));
  const badOption = hex('45000030000040004006000a0a0000010a000002842b0050000000010000000070020000000000000209ffff');
  const fields = decode(badOption);
  assert.equal(fields.at(-1).key, 'bad');
});

test('ISN references and the three numberings', () => {
  const { endpoints, events } = trace('client-closes-first');
  const refs = isnRefs(endpoints, events);
  assert.equal(refs.client.isn, endpoints.client.isn);
  assert.equal(seqText(endpoints.client.isn + 1, 'client', refs, 'relative'), '1');
  assert.equal(seqText(endpoints.client.isn + 1, 'client', refs, 'symbolic'), 'x+1');
  assert.equal(seqText(endpoints.server.isn, 'server', refs, 'symbolic'), 'y');
  assert.equal(seqText(endpoints.server.isn, 'server', refs, 'absolute'), String(endpoints.server.isn));
  // A live connect: the session's endpoints do not know the ISN yet.
  const live = isnRefs({ client: { isn: 0 }, server: { isn: 0 } }, events);
  assert.equal(live.client.isn, endpoints.client.isn);
  assert.equal(live.server.isn, endpoints.server.isn);
  assert.equal(isnRefs(null, []).client.known, false);
});

test('seqWriter: the panels write the close with the letters the diagram gives it', () => {
  const { endpoints, events } = trace('client-closes-first');
  const refs = isnRefs(endpoints, events);
  const fins = events.map((e, i) => [e, i]).filter(([e]) => e.kind === 'segment' && e.flags.includes('FIN'));
  assert.equal(fins.length, 2);
  const [[fin1, i1], [fin2, i2]] = fins;
  const at1 = seqWriter(events, i1, refs, 'symbolic');
  assert.equal(at1(fin1.seq, fin1.from), 'u');
  assert.equal(at1(fin1.seq + 1, fin1.from), 'u+1');
  // Before the FIN the same number is still x's.
  assert.match(seqWriter(events, i1 - 1, refs, 'symbolic')(fin1.seq, fin1.from), /^x\+/);
  const at2 = seqWriter(events, i2, refs, 'symbolic');
  assert.equal(at2(fin2.seq, fin2.from), 'w');
  assert.equal(at2(fin2.seq + 1, fin2.from), 'w+1');
  assert.equal(at2(fin1.seq + 1, fin1.from), 'u+1');
  // The other numberings are seqText's.
  for (const numbering of ['relative', 'absolute']) {
    assert.equal(seqWriter(events, i2, refs, numbering)(fin2.seq, fin2.from), seqText(fin2.seq, fin2.from, refs, numbering));
  }
});

test('describe: text for the screen and words for the live region', () => {
  const { endpoints, events } = trace('client-closes-first');
  const view = { t: tr.t, numbering: 'symbolic', refs: isnRefs(endpoints, events) };
  const synack = events.find((e) => e.kind === 'segment' && e.flags.join() === 'SYN,ACK');
  const d = describe(synack, view);
  assert.match(d.text, /^#2 Server → Client: SYN, ACK seq=y ack=x\+1/);
  assert.match(d.spoken, /^Server to Client: SYN, ACK seq=y ack=x\+1/);
  const state = events.find((e) => e.kind === 'state' && e.to === 'ESTABLISHED');
  assert.equal(describe(state, view).spoken, 'Client enters ESTABLISHED');
  const send = events.find((e) => e.kind === 'call' && e.call === 'send');
  assert.equal(describe(send, view).text, 'Client: send("hello")');
  const timer = events.find((e) => e.kind === 'timer' && e.action === 'set');
  assert.equal(describe(timer, view).text, 'Client: retransmission timer set, due at 1 s');
  const lost = { ...synack, fate: 'dropped', retransmit: true };
  assert.match(describe(lost, view).text, /\(retransmission, lost\)$/);
  assert.equal(describe({ kind: 'drop', cause_segment: 3 }, view).text, 'Segment #3 lost in flight: you dropped it');
  assert.equal(describe({ kind: 'surprise' }, view).text, 'surprise event');
  const zhView = { ...view, t: new Translator({ en, zh }, 'zh').t };
  assert.equal(describe(state, zhView).spoken, '客户端进入 ESTABLISHED');
});

test('every event of every recorded trace is described without a raw key', () => {
  for (const { scenario, endpoints, events } of all()) {
    const name = scenario?.id;
    for (const lang of ['en', 'zh']) {
      const view = { t: new Translator({ en, zh }, lang).t, numbering: 'relative', refs: isnRefs(endpoints, events) };
      for (const ev of events) {
        const { text, spoken } = describe(ev, view);
        assert.doesNotMatch(text + spoken, /\b(ev|ladder|timer|reason)\.[a-z]|\{[a-z_]+\}/, `${name} ${lang}: ${text}`);
      }
    }
  }
});

test('control blocks: the latest snapshot of each side, and what the event changed', () => {
  const { events } = trace('client-closes-first');
  const synack = events.findIndex((e) => e.kind === 'segment' && e.flags.join() === 'SYN,ACK');
  const s = snapshots(events, synack);
  assert.equal(s.server.at, synack);
  assert.equal(s.server.now.state, 'SYN-RECEIVED');
  assert.equal(s.client.now.state, 'SYN-SENT');
  assert.ok(s.client.at < synack);
  const none = snapshots(events, -1);
  assert.equal(none.client.now, null);
});

test('state machine: the last transition of each side', () => {
  const { events } = trace('client-closes-first');
  assert.equal(lastTransition(events, -1, 'client'), null);
  assert.equal(lastTransition(events, events.length - 1, 'client').to, 'CLOSED');
  assert.equal(lastTransition(events, events.length - 1, 'client').from, 'TIME-WAIT');
  const est = events.findIndex((e) => e.kind === 'state' && e.endpoint === 'server' && e.to === 'ESTABLISHED');
  assert.equal(lastTransition(events, est, 'server').from, 'SYN-RECEIVED');
});

test('explanations: every event of the recorded traces has one, with its citation, in both languages', () => {
  for (const lang of ['en', 'zh']) {
    const t = new Translator({ en, zh }, lang);
    const explain = new Explain(null, { t: t.t, has: (k) => t.has(k) });
    for (const { scenario, events } of all()) {
      const name = scenario?.id;
      for (const ev of events) {
        const keys = explain.keysFor(ev).map((k) => k.key);
        assert.ok(keys.some((k) => t.has(k)), `${name} ${lang}: nothing explains ${JSON.stringify(ev).slice(0, 120)}`);
        if (ev.reason) assert.ok(t.has(`why.${ev.reason}`), `${lang}: no why.${ev.reason}`);
        if (ev.kind === 'state') assert.ok(t.has(`explain.trans.${ev.from}>${ev.to}`), `${lang}: no explain.trans.${ev.from}>${ev.to}`);
      }
    }
  }
});

test('every transition of RFC 9293 Figure 5 has its label and its meaning', () => {
  const figure = [
    'CLOSED>LISTEN', 'LISTEN>CLOSED', 'CLOSED>SYN-SENT', 'SYN-SENT>CLOSED', 'LISTEN>SYN-SENT', 'LISTEN>SYN-RECEIVED',
    'SYN-RECEIVED>LISTEN', 'SYN-SENT>SYN-RECEIVED', 'SYN-RECEIVED>ESTABLISHED', 'SYN-SENT>ESTABLISHED',
    'SYN-RECEIVED>FIN-WAIT-1', 'ESTABLISHED>FIN-WAIT-1', 'ESTABLISHED>CLOSE-WAIT', 'FIN-WAIT-1>FIN-WAIT-2',
    'FIN-WAIT-1>CLOSING', 'CLOSE-WAIT>LAST-ACK', 'FIN-WAIT-2>TIME-WAIT', 'CLOSING>TIME-WAIT', 'LAST-ACK>CLOSED',
    'TIME-WAIT>CLOSED',
  ];
  for (const cat of [en, zh]) {
    for (const tr of figure) {
      assert.ok(cat[`trans.${tr}`], `trans.${tr}`);
      assert.ok(cat[`explain.trans.${tr}`], `explain.trans.${tr}`);
    }
    for (const s of ['CLOSED', 'LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK', 'TIME-WAIT']) {
      assert.ok(cat[`state.${s}`], `state.${s}`);
    }
  }
});

test('embed: messages go to the parent parameter, else the referrer origin, else nowhere', () => {
  assert.equal(targetOrigin('https://course.example.edu', 'https://other.example/x'), 'https://course.example.edu');
  assert.equal(targetOrigin('', 'https://course.example.edu/lesson/3?x=1'), 'https://course.example.edu');
  assert.equal(targetOrigin(undefined, 'http://localhost:8000/'), 'http://localhost:8000');
  assert.equal(targetOrigin('', ''), '');
  assert.equal(targetOrigin('', 'file:///home/me/page.html'), '');
  assert.equal(targetOrigin('', 'not a url'), '');
});

test('translator: placeholders, fallbacks and languages', () => {
  const t = new Translator({ en: { a: 'Hi {name}, {name}!', b: 'only English' }, zh: { a: '你好，{name}' } }, 'zh');
  assert.equal(t.t('a', { name: 'x' }), '你好，x');
  assert.equal(t.t('b'), 'only English');
  assert.equal(t.t('missing'), 'missing');
  assert.equal(t.t('a', { other: 1 }), '你好，{name}');
  t.lang = 'en';
  assert.equal(t.t('a', { name: 'x' }), 'Hi x, x!');
  assert.equal(new Translator({ en: {} }, 'fr').lang, 'en');
});

test('session: the store follows the server, back and reset', () => {
  const store = new Store();
  const sent = [];
  const session = new Session(store, { t: tr.t, totals: { demo: 3 } });
  session.transport = { send: (m) => sent.push(m) };
  store.stepBy = 'event'; // one event a step, as the protocol's step and back
  const changes = [];
  store.on((c) => changes.push(c.what));
  session.load('demo');
  assert.deepEqual(sent.at(-1), { type: 'load', scenario: 'demo' });
  assert.equal(store.total, 3);
  session.receive({ type: 'loaded', scenario: { id: 'demo' }, endpoints: {} });
  for (let i = 0; i < 3; i++) session.receive({ type: 'event', event: { kind: 'timer', t_ms: i } });
  assert.equal(store.selected, 2);
  session.back();
  assert.deepEqual(sent.at(-1), { type: 'back' });
  session.receive({ type: 'rewound', cursor: 2 });
  assert.equal(store.events.length, 2);
  assert.equal(store.selected, 1);
  session.play(10);
  assert.deepEqual(sent.at(-1), { type: 'play', speed: 10 });
  assert.equal(store.playing, true);
  session.receive({ type: 'done' });
  assert.equal(store.playing, false);
  assert.equal(store.done, true);
  session.drop(7);
  assert.deepEqual(sent.at(-1), { type: 'fault', drop: { segment: 7 } });
  assert.equal(store.total, null, 'a dropped segment changes the run');
  session.reset();
  assert.deepEqual(sent.at(-1), { type: 'reset' });
  assert.equal(store.events.length, 0);
  assert.equal(store.total, 3);
  session.receive({ type: 'error', message: 'no' });
  assert.equal(store.error, 'no');
  assert.ok(changes.includes('loaded') && changes.includes('rewound') && changes.includes('error'));
});

test('replay: plays a recorded trace as the live protocol would', async () => {
  const recorded = trace('client-closes-first');
  globalThis.fetch = async () => ({ ok: true, json: async () => recorded });
  const got = [];
  const replay = new Replay((m) => got.push(m), tr.t);
  replay.send({ type: 'load', scenario: 'client-closes-first' });
  replay.send({ type: 'step' });
  replay.send({ type: 'step' });
  await replay.loading;
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(got[0].type, 'loaded');
  assert.deepEqual(got.slice(1).map((m) => m.type), ['event', 'event']);
  replay.send({ type: 'back' });
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(got.at(-1), { type: 'rewound', cursor: 1 });
  replay.send({ type: 'play', speed: 'max' });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(got.at(-1).type, 'done');
  assert.equal(got.filter((m) => m.type === 'event').length, 2 + recorded.events.length - 1);
  replay.send({ type: 'call', endpoint: 'client', call: 'close' });
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(got.at(-1).type, 'error');
  replay.stop();
});
