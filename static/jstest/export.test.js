// Unit tests of the exports (export.js): the diagram as a standalone SVG,
// and the scenario rebuilt from a live run. Fixtures in testdata/ are real
// traces (see layout.test.js); live-fin-dropped-rebuilt.json is the trace
// POST /api/run gives for the scenario effectiveScenario rebuilds from
// live-fin-dropped.json (client-closes-first with its first FIN dropped in
// flight over /ws).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { compareRuns, diagramSVG, effectiveScenario, fileStem, pngScale, xml, MAX_CANVAS_SIDE } from '../files/js/export.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`testdata/${name}.json`, import.meta.url), 'utf8'));
const catalogue = JSON.parse(readFileSync(new URL('../../i18n/en.json', import.meta.url), 'utf8'));
const t = (key, vars) => (catalogue[key] ?? key).replace(/\{([a-z_]+)\}/g, (m, n) => (vars && n in vars ? String(vars[n]) : m));
const FIXTURES = ['client-closes-first', 'fin-lost', 'old-duplicate-syn', 'simultaneous-open', 'syn-flood-backlog', 'live-fin-dropped', 'rfc-syn-backoff'];

// wellFormed checks the XML the exporter writes: one root, tags that nest
// and close, attribute values quoted with no raw < or &, text with no raw
// & or <. It returns the element names in document order.
function wellFormed(doc) {
  const body = doc.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  const entity = /&(amp|lt|gt|quot|#\d+);/g;
  const stack = [];
  const names = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>|([^<]+)/gy;
  let m;
  let at = 0;
  while (at < body.length && (m = token.exec(body))) {
    at = token.lastIndex;
    const [, close, name, attrs, self, text] = m;
    if (text !== undefined) {
      assert.ok(stack.length > 0 || /^\s*$/.test(text), `text outside the root: ${text.slice(0, 40)}`);
      assert.doesNotMatch(text.replace(entity, ''), /&/, `a raw & in text: ${text.slice(0, 60)}`);
      continue;
    }
    for (const [, v] of attrs.matchAll(/="([^"]*)"/g)) {
      assert.doesNotMatch(v.replace(entity, ''), /[&<]/, `a raw & or < in an attribute of <${name}>: ${v}`);
    }
    if (close) {
      assert.equal(stack.pop(), name, `</${name}> closes another element`);
      continue;
    }
    if (stack.length === 0) roots++;
    names.push(name);
    if (!self) stack.push(name);
  }
  assert.equal(at, body.length, `cannot read the XML at ${at}: ${body.slice(at, at + 60)}`);
  assert.deepEqual(stack, [], 'unclosed elements');
  assert.equal(roots, 1, 'one root element');
  return names;
}

const segmentIds = (svg) => [...svg.matchAll(/<g [^>]*data-kind="segment"[^>]*>/g)].map((m) => /data-id="(\d+)"/.exec(m[0])[1]);

describe('diagramSVG', () => {
  for (const name of FIXTURES) {
    test(`${name}: one arrow per segment, one label per state change, well-formed, self-contained`, () => {
      const tr = fixture(name);
      const { svg, width, height } = diagramSVG(tr.events, { t, title: tr.scenario.title.en, endpoints: tr.endpoints, white: true, lang: 'en' });
      const names = wellFormed(svg);
      assert.equal(names[0], 'svg');
      const segs = tr.events.filter((e) => e.kind === 'segment').map((e) => String(e.id));
      assert.deepEqual(segmentIds(svg), segs);
      const states = tr.events.filter((e) => e.kind === 'state').length;
      assert.equal((svg.match(/data-kind="state"/g) || []).length, states);
      // Nothing outside the file: no links, no style sheets, no fonts, no
      // images. The namespace is a name, not an address.
      assert.doesNotMatch(svg.replace(' xmlns="http://www.w3.org/2000/svg"', ''), /href|url\(|@import|https?:|<image|<use|<style|<script|<foreignObject/i);
      assert.match(svg, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" xml:lang="en" /);
      assert.match(svg, new RegExp(`width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`));
      // Fonts are generic families only.
      for (const [, f] of svg.matchAll(/font-family="([^"]*)"/g)) assert.ok(['monospace', 'sans-serif'].includes(f), f);
      // Every string went through the catalogue.
      assert.doesNotMatch(svg, /ladder\.(tag|timer|gap|endpoint)|reason\.|export\./);
      assert.ok(svg.includes(`<title>${xml(tr.scenario.title.en)} · synack</title>`));
      assert.ok(svg.includes(xml(t('export.svg_desc', { events: tr.events.length, segments: segs.length }))));
    });
  }

  test('the same events give the same SVG', () => {
    const tr = fixture('fin-lost');
    const a = diagramSVG(tr.events, { t, title: 'x', endpoints: tr.endpoints });
    const b = diagramSVG(structuredClone(tr.events), { t, title: 'x', endpoints: tr.endpoints });
    assert.equal(a.svg, b.svg);
  });

  test('white background forces the light colours; otherwise the theme', () => {
    const tr = fixture('client-closes-first');
    const white = diagramSVG(tr.events, { t, endpoints: tr.endpoints, white: true, theme: 'dark' }).svg;
    assert.match(white, /<rect width="\d+" height="\d+" fill="#ffffff"\/>/);
    assert.match(white, /fill="#1b1f24"/);
    assert.doesNotMatch(white, /#0d1117|#e6edf3/);
    const dark = diagramSVG(tr.events, { t, endpoints: tr.endpoints, white: false, theme: 'dark' }).svg;
    assert.match(dark, /<rect width="\d+" height="\d+" fill="#0d1117"\/>/);
    assert.match(dark, /fill="#e6edf3"/);
  });

  test('lost, retransmitted and injected segments keep their marks in words and line style', () => {
    const tr = fixture('fin-lost');
    const { svg } = diagramSVG(tr.events, { t, endpoints: tr.endpoints });
    const lost = tr.events.filter((e) => e.kind === 'segment' && e.fate === 'dropped');
    assert.ok(lost.length > 0);
    for (const e of lost) assert.match(svg, new RegExp(`<g class="seg [^"]*seg--lost[^"]*" data-kind="segment" data-id="${e.id}"`));
    assert.ok(svg.includes(`(${t('ladder.tag.lost')})`));
    assert.ok(svg.includes(`(${t('ladder.tag.retransmit')})`));
    assert.match(svg, /stroke-dasharray="8 4"/);
    const old = fixture('old-duplicate-syn');
    assert.ok(diagramSVG(old.events, { t, endpoints: old.endpoints }).svg.includes(t('ladder.tag.injected')));
  });

  test('segments keep the page hooks', () => {
    const tr = fixture('client-closes-first');
    const { svg } = diagramSVG(tr.events, { t, endpoints: tr.endpoints });
    const first = tr.events.find((e) => e.kind === 'segment');
    assert.match(svg, new RegExp(`data-kind="segment" data-id="${first.id}" data-flags="${first.flags.join(',')}" data-from="${first.from}" data-to="${first.to}"`));
    assert.match(svg, /data-kind="state" data-endpoint="client" data-state="SYN-SENT"/);
  });

  test('hostile text is escaped', () => {
    const tr = fixture('client-closes-first');
    const title = '</title><script>alert("x")</script> & <b>';
    const events = tr.events.map((e) => (e.kind === 'call' && e.call === 'send' ? { ...e, data: '<&"\u0001>' } : e));
    const { svg } = diagramSVG(events, { t, title, endpoints: tr.endpoints });
    wellFormed(svg);
    assert.ok(!svg.includes('<script>'));
    assert.ok(svg.includes('&lt;/title&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;'));
  });

  test('no events: an empty diagram, still valid', () => {
    const { svg } = diagramSVG([], { t });
    wellFormed(svg);
    assert.deepEqual(segmentIds(svg), []);
  });
});

describe('pngScale and fileStem', () => {
  test('the scale asked for, unless the canvas would be too large', () => {
    assert.equal(pngScale(960, 1200, 2), 2);
    assert.equal(pngScale(960, 1200, 3), 3);
    const s = pngScale(960, 20000, 3);
    assert.ok(s < 1 && 20000 * s <= MAX_CANVAS_SIDE, String(s));
  });

  test('file names', () => {
    assert.equal(fileStem('client-closes-first'), 'client-closes-first');
    assert.equal(fileStem('Client closes: FIRST!'), 'client-closes-first');
    assert.equal(fileStem('客户端'), 'synack');
    assert.equal(fileStem(''), 'synack');
  });
});

describe('effectiveScenario', () => {
  test('a segment dropped in flight becomes a drop rule that reproduces the run', () => {
    const live = fixture('live-fin-dropped');
    const suffix = { en: ' (with changes)', zh: '（含你的改动）' };
    const { scenario, calls, drops } = effectiveScenario(live.scenario, live.events, { suffix });
    assert.equal(calls, 0);
    assert.equal(drops, 1);
    const dropped = live.events.find((e) => e.kind === 'drop');
    const seg = live.events.find((e) => e.kind === 'segment' && e.id === dropped.cause_segment);
    assert.deepEqual(scenario.faults, [{ drop: { from: seg.from, flags: seg.flags, nth: 1 } }]);
    assert.deepEqual(scenario.steps, live.scenario.steps);
    assert.equal(scenario.id, 'client-closes-first-custom');
    assert.equal(scenario.title.en, `${live.scenario.title.en} (with changes)`);
    assert.equal(scenario.title.zh, `${live.scenario.title.zh}（含你的改动）`);
    // The loaded scenario is not changed.
    assert.equal(live.scenario.faults, undefined);
    // The server's run of it is the run shown, drop event aside.
    assert.deepEqual(compareRuns(live.events, fixture('live-fin-dropped-rebuilt').events), { same: true });
    // The scenario as loaded is not.
    const cmp = compareRuns(live.events, fixture('client-closes-first').events);
    assert.equal(cmp.same, false);
    assert.ok(cmp.at > 1);
  });

  test('socket calls made live become steps at the time they were made', () => {
    const sandbox = { id: 'sandbox', title: { en: 'Sandbox', zh: '沙盒' }, steps: [], until_ms: 3600000 };
    const events = [
      { kind: 'call', t_ms: 0, endpoint: 'server', call: 'listen', result: 'ok' },
      { kind: 'state', t_ms: 0, endpoint: 'server', from: 'CLOSED', to: 'LISTEN' },
      { kind: 'call', t_ms: 12.25, endpoint: 'client', call: 'connect', result: 'ok' },
      { kind: 'call', t_ms: 40, endpoint: 'client', call: 'send', data: 'hi', result: 'ok' },
      { kind: 'call', t_ms: 50, endpoint: 'server', call: 'receive', data: 'hi', result: 'ok' },
    ];
    const { scenario, calls, drops } = effectiveScenario(sandbox, events);
    assert.equal(calls, 4);
    assert.equal(drops, 0);
    assert.deepEqual(scenario.steps, [
      { at_ms: 0, endpoint: 'server', call: 'listen' },
      { at_ms: 13, endpoint: 'client', call: 'connect' },
      { at_ms: 40, endpoint: 'client', call: 'send', data: 'hi' },
      { at_ms: 50, endpoint: 'server', call: 'receive' },
    ]);
    assert.equal(scenario.id, 'sandbox-custom');
    assert.equal(scenario.until_ms, 3600000);
  });

  test("a call between a scenario's steps goes between them; steps still to come stay", () => {
    const base = {
      id: 'x',
      steps: [
        { at_ms: 0, endpoint: 'server', call: 'listen' },
        { at_ms: 0, endpoint: 'client', call: 'connect' },
        { at_ms: 200, endpoint: 'client', call: 'close' },
        { at_ms: 400, endpoint: 'server', call: 'close' },
      ],
    };
    const events = [
      { kind: 'call', t_ms: 0, endpoint: 'server', call: 'listen', result: 'ok' },
      { kind: 'call', t_ms: 0, endpoint: 'client', call: 'connect', result: 'ok' },
      { kind: 'call', t_ms: 100, endpoint: 'client', call: 'send', data: 'late', result: 'ok' },
      { kind: 'call', t_ms: 200, endpoint: 'client', call: 'close', result: 'ok' },
    ];
    const { scenario, calls } = effectiveScenario(base, events);
    assert.equal(calls, 1);
    assert.deepEqual(scenario.steps.map((s) => `${s.at_ms} ${s.endpoint} ${s.call}`), ['0 server listen', '0 client connect', '100 client send', '200 client close', '400 server close']);
  });

  test('nothing done: the scenario as loaded', () => {
    const tr = fixture('client-closes-first');
    const { scenario, calls, drops } = effectiveScenario(tr.scenario, tr.events);
    assert.equal(calls + drops, 0);
    assert.deepEqual(scenario, tr.scenario);
  });

  test("a flood's spoofed SYNs do not count for a drop rule", () => {
    const events = [
      { kind: 'segment', t_ms: 0, id: 1, from: 'client', to: 'server', flags: ['SYN'], spoofed: true },
      { kind: 'segment', t_ms: 1, id: 2, from: 'client', to: 'server', flags: ['SYN'] },
      { kind: 'segment', t_ms: 2, id: 3, from: 'client', to: 'server', flags: ['SYN'], injected: true },
      { kind: 'drop', t_ms: 5, cause_segment: 3 },
    ];
    const { scenario } = effectiveScenario({ id: 'f', steps: [] }, events);
    assert.deepEqual(scenario.faults, [{ drop: { from: 'client', flags: ['SYN'], nth: 2 } }]);
  });
});
