// Unit tests of the exports (export.js): the diagram as a standalone SVG,
// and the scenario of a live run. Fixtures in testdata/ are real traces
// (see layout.test.js); live-fin-dropped.json is client-closes-first with
// its first FIN dropped in flight over /ws.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { compareRuns, diagramSVG, fileStem, liveScenario, pngScale, xml, MAX_CANVAS_SIDE } from '../files/js/export.js';

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

describe('liveScenario', () => {
  const suffix = { en: ' (with changes)', zh: '（含你的改动）' };
  const loaded = { id: 'client-closes-first', title: { en: 'Client closes first', zh: '客户端先关闭' }, steps: [{ at_ms: 0, endpoint: 'server', call: 'listen' }] };

  test("the reader's calls and faults go in the live list as the engine recorded them", () => {
    const live = [
      { step: 3, at_ms: 12.25, endpoint: 'client', call: 'send', data: 'hi' },
      { step: 10, at_ms: 400, fault: { drop: { segment: 6 } } },
    ];
    const { scenario, calls, drops } = liveScenario(loaded, live, { suffix });
    assert.equal(calls, 1);
    assert.equal(drops, 1);
    assert.deepEqual(scenario.live, live);
    assert.deepEqual(scenario.steps, loaded.steps);
    assert.equal(scenario.id, 'client-closes-first-custom');
    assert.equal(scenario.title.en, 'Client closes first (with changes)');
    assert.equal(scenario.title.zh, '客户端先关闭（含你的改动）');
    // The loaded scenario is not changed.
    assert.equal(loaded.live, undefined);
    assert.equal(loaded.title.en, 'Client closes first');
  });

  test("a loaded scenario's own live actions from the first changed step on are replaced", () => {
    const base = { ...loaded, id: 'x-custom', live: [{ step: 2, at_ms: 0, endpoint: 'client', call: 'connect' }, { step: 9, at_ms: 50, endpoint: 'client', call: 'close' }] };
    const { scenario } = liveScenario(base, [{ step: 5, at_ms: 20, endpoint: 'client', call: 'abort' }]);
    assert.deepEqual(scenario.live.map((a) => `${a.step} ${a.call}`), ['2 connect', '5 abort']);
    assert.equal(scenario.id, 'x-custom');
  });

  test('nothing done: the scenario as loaded', () => {
    const tr = fixture('client-closes-first');
    const { scenario, calls, drops } = liveScenario(tr.scenario, []);
    assert.equal(calls + drops, 0);
    assert.deepEqual(scenario, tr.scenario);
  });
});

describe('compareRuns', () => {
  test('a live drop event aside, a run is itself; another run differs from where it does', () => {
    const live = fixture('live-fin-dropped');
    const withoutDrop = live.events.filter((e) => e.kind !== 'drop');
    assert.deepEqual(compareRuns(live.events, withoutDrop), { same: true });
    const cmp = compareRuns(live.events, fixture('client-closes-first').events);
    assert.equal(cmp.same, false);
    assert.ok(cmp.at > 1);
  });
});
