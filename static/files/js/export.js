// Exports of a run: the ladder diagram as a standalone SVG (and, drawn from
// it, a PNG), and the scenario that reproduces a live run, so that the
// server can give its trace, capture and Mermaid text.
//
// diagramSVG is a pure function of the events, like layout.js: it lays out
// every event of the run (the page's ladder keeps only the rows on screen in
// the DOM) and writes SVG text with every style as a presentation
// attribute, fonts as generic families and no reference to anything outside
// the file, so that it opens the same in a browser, Inkscape or a slide
// program. Each segment keeps the page's hooks (data-kind="segment",
// data-id, data-flags, data-from) and each state label its own.

import { STATE_GROUPS, arrowHead, layout } from './layout.js';
import { formatAddr, formatTime } from './format.js';

// PALETTES are the light and dark themes of ladder.css, as plain colours.
export const PALETTES = Object.freeze({
  light: { fg: '#1b1f24', bg: '#ffffff', muted: '#555d66', client: '#0a56a8', server: '#9a4400', lost: '#b3261e' },
  dark: { fg: '#e6edf3', bg: '#0d1117', muted: '#9ba3ad', client: '#6cb6ff', server: '#f0a35e', lost: '#ff8078' },
});

const BAND_OPACITY = { listen: 0.12, opening: 0.25, established: 0.5, closing: 0.25, 'time-wait': 0.45, other: 0.25 };
const DASH = { retransmit: '8 4', injected: '1.5 3.5', spoofed: '9 3 1.5 3' };
const MONO = 'monospace';
const SANS = 'sans-serif';

const f1 = (n) => (Math.round(n * 10) / 10).toString();

/** xml escapes text for an SVG element or a double-quoted attribute. */
export function xml(s) {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // Characters XML 1.0 does not allow at all.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd');
}

function tag(name, attrs, body) {
  let s = `<${name}`;
  for (const k in attrs) if (attrs[k] != null && attrs[k] !== false) s += ` ${k}="${xml(attrs[k])}"`;
  return body == null ? `${s}/>` : `${s}>${body}</${name}>`;
}


function cross(x, y, r) {
  return `M${f1(x - r)} ${f1(y - r)}L${f1(x + r)} ${f1(y + r)}M${f1(x - r)} ${f1(y + r)}L${f1(x + r)} ${f1(y - r)}`;
}

/**
 * diagramSVG draws the ladder diagram of events as one SVG document.
 * opts:
 *   t          t(key, vars): the page's translator (the ladder's keys,
 *              "reason.<key>", "export.svg_desc")
 *   title      the scenario's name, written above the diagram
 *   endpoints  the trace's endpoints (addresses, ISNs)
 *   numbering  'absolute' | 'relative' | 'symbolic'
 *   flags      'names' ("FIN, ACK") | 'bits' ("FIN=1, ACK=1")
 *   white      a white background and the light colours (for slides and
 *              print); otherwise the colours of theme on its background
 *   theme      'light' | 'dark' (without white)
 *   width      the width to lay out for, in px (default 960)
 *   fontPx     the type size (default 13)
 *   lang       the language of the text, for xml:lang
 * It returns {svg, width, height}.
 */
export function diagramSVG(events, opts = {}) {
  const t = typeof opts.t === 'function' ? (k, v) => String(opts.t(k, v) ?? k) : (k) => k;
  const c = opts.white || opts.theme !== 'dark' ? { ...PALETTES.light } : { ...PALETTES.dark };
  if (!opts.white && opts.theme !== 'dark') c.bg = '#fdfdfc';
  const L = layout(events, {
    numbering: opts.numbering,
    flags: opts.flags,
    endpoints: opts.endpoints || undefined,
    width: opts.width > 0 ? opts.width : 960,
    fontPx: opts.fontPx > 0 ? opts.fontPx : 13,
  });
  const m = L.metrics;
  const title = String(opts.title ?? '');
  // Above the diagram: the title, then who each lifeline is.
  const titleH = title ? Math.round(2.2 * m.lineH) : 0;
  const headH = Math.round(2.6 * m.lineH);
  const top = titleH + headH;
  const width = L.width;
  const height = top + L.height;
  const out = [];
  const halo = { stroke: c.bg, 'stroke-width': 4, 'stroke-linejoin': 'round', fill: c.bg, 'aria-hidden': 'true' };
  // label writes text with a halo of the background beneath it, so that it
  // reads over the lines it crosses (a second text, not paint-order, which
  // not every SVG reader knows).
  const label = (attrs, text, withHalo = true) =>
    (withHalo ? tag('text', { ...attrs, ...halo }, xml(text)) : '') + tag('text', attrs, xml(text));

  out.push(tag('rect', { width, height, fill: c.bg }));
  if (title) {
    out.push(tag('text', { x: f1(m.charW), y: f1(1.3 * m.lineH), 'font-family': SANS, 'font-size': f1(1.35 * m.fontPx), 'font-weight': 700, fill: c.fg }, xml(title)));
  }
  const head = [];
  for (const e of ['client', 'server']) {
    const x = f1(L.lanes[e]);
    head.push(tag('text', { x, y: f1(titleH + m.lineH * 1.05), 'text-anchor': 'middle', 'font-weight': 700, 'font-size': f1(1.1 * m.fontPx), fill: c.fg }, xml(t(`ladder.endpoint.${e}`))));
    const addr = formatAddr(opts.endpoints?.[e]);
    if (addr) head.push(tag('text', { x, y: f1(titleH + m.lineH * 2.1), 'text-anchor': 'middle', fill: c.muted }, xml(addr)));
  }
  out.push(tag('g', { class: 'head' }, head.join('')));
  out.push(tag('line', { x1: 0, x2: width, y1: f1(top - 0.5), y2: f1(top - 0.5), stroke: c.muted, 'stroke-opacity': 0.4 }));

  const d = []; // the diagram, below the head
  for (const e of ['client', 'server']) {
    d.push(tag('line', { class: `lifeline lifeline--${e}`, x1: f1(L.lanes[e]), x2: f1(L.lanes[e]), y1: f1(m.lineH * 0.5), y2: L.height, stroke: c.muted, 'stroke-width': 1 }));
  }

  // States: a band until the next change, a tick and the name.
  const states = L.states.map((s) => {
    const group = STATE_GROUPS[s.state];
    const colour = s.endpoint === 'server' ? c.server : c.client;
    const band = BAND_OPACITY[group] // CLOSED has no band
      ? tag('line', { class: 'band', x1: f1(s.x), x2: f1(s.x), y1: f1(s.y), y2: f1(s.yEnd), stroke: colour, 'stroke-opacity': BAND_OPACITY[group], 'stroke-width': f1(m.bandHalf * 2), 'stroke-dasharray': group === 'time-wait' ? '2 2' : null })
      : '';
    return tag('g', { class: `state state--of-${s.endpoint}`, 'data-index': s.index }, [
      band,
      tag('line', { class: 'state-tick', x1: f1(s.x - m.bandHalf - 3), x2: f1(s.x + m.bandHalf + 3), y1: f1(s.y), y2: f1(s.y), stroke: c.fg, 'stroke-width': 1.5 }),
      tag('text', { class: 'state-label', 'data-kind': 'state', 'data-endpoint': s.endpoint, 'data-state': s.state, x: f1(s.labelX), y: f1(s.labelY), dy: '0.35em', 'text-anchor': s.anchor, 'font-weight': 600, fill: c.fg }, xml(s.state)),
    ].join(''));
  });
  d.push(tag('g', { class: 'states' }, states.join('')));

  // Timers: a bracket from set to expiry or cancel; one still running when
  // the events end is dashed up to its due time.
  const timers = L.timers.map((tm) => {
    const dir = tm.endpoint === 'server' ? -1 : 1;
    const tick = m.timerCol * 0.45;
    const x = tm.x;
    const text = t(`ladder.timer.${tm.timer}`, { duration: tm.label });
    const k = [tag('title', null, xml(`${t(`timer.${tm.timer}`)}: ${tm.label} (${formatTime(tm.t1)} → ${formatTime(tm.t2)})`))];
    if (tm.timer === 'time-wait') k.push(tag('line', { x1: f1(x), x2: f1(x), y1: f1(tm.y1), y2: f1(tm.y2), stroke: c.muted, 'stroke-width': 4, 'stroke-opacity': 0.55 }));
    k.push(tag('path', { d: `M${f1(x + dir * tick)} ${f1(tm.y1)}H${f1(x)}V${f1(tm.y2)}H${f1(x + dir * tick)}`, fill: 'none', stroke: c.muted, 'stroke-width': 1.5, 'stroke-dasharray': tm.pending ? '2 3' : null }));
    if (tm.fired) k.push(tag('circle', { cx: f1(x), cy: f1(tm.y2), r: f1(m.fontPx * 0.25), fill: c.fg }));
    if (tm.cancelled || tm.replaced) k.push(tag('path', { d: `M${f1(x - tick)} ${f1(tm.y2)}H${f1(x + tick)}`, stroke: c.muted, 'stroke-width': 2 }));
    if (tm.labelY != null) k.push(tag('text', { x: f1(tm.labelX), y: f1(tm.labelY), dy: '0.35em', 'text-anchor': tm.anchor, fill: c.muted }, xml(text)));
    return tag('g', { class: 'timer', 'data-kind': 'timer', 'data-endpoint': tm.endpoint, 'data-timer': tm.timer, 'data-index': tm.index }, k.join(''));
  });
  d.push(tag('g', { class: 'timers' }, timers.join('')));

  // Compressed gaps: a break across each lifeline and the real length.
  const breaks = L.breaks.map((b) => {
    const ym = (b.y1 + b.y2) / 2;
    const reach = m.bandHalf + m.timerCols * m.timerCol + 2;
    const k = [];
    for (const e of ['client', 'server']) {
      const x0 = f1(L.lanes[e] - reach);
      const w = f1(2 * reach);
      k.push(tag('path', { d: `M${x0} ${f1(ym - 1)}l${w} -6v7l-${w} 6Z`, fill: c.bg }));
      k.push(tag('path', { d: `M${x0} ${f1(ym - 1)}l${w} -6M${x0} ${f1(ym + 6)}l${w} -6`, fill: 'none', stroke: c.muted, 'stroke-width': 1.5 }));
    }
    k.push(label({ x: f1((L.lanes.client + L.lanes.server) / 2), y: f1(ym), dy: '0.35em', 'text-anchor': 'middle', 'font-style': 'italic', fill: c.muted }, t('ladder.gap', { duration: b.label })));
    return tag('g', { class: 'gap' }, k.join(''));
  });
  d.push(tag('g', { class: 'breaks' }, breaks.join('')));

  const ticks = L.ticks.map((tk) => tag('text', { x: f1(m.gutter - m.charW), y: f1(tk.y), dy: '0.35em', 'text-anchor': 'end', 'font-size': f1(0.9 * m.fontPx), fill: c.muted }, xml(tk.label)));
  d.push(tag('g', { class: 'ticks' }, ticks.join('')));

  const calls = L.calls.map((cl) => tag('g', { class: 'call', 'data-kind': 'call', 'data-endpoint': cl.endpoint, 'data-call': cl.call, 'data-index': cl.index }, [
    tag('title', null, xml(cl.failed && cl.error ? `${cl.text} ${cl.error}` : cl.text)),
    tag('circle', { cx: f1(cl.x), cy: f1(cl.y), r: f1(m.fontPx * 0.25), fill: c.fg }),
    cl.labelY == null ? '' : tag('text', { x: f1(cl.labelX), y: f1(cl.labelY), dy: '0.35em', 'text-anchor': cl.anchor, fill: cl.failed ? c.lost : c.fg }, xml(cl.text)),
  ].join('')));
  d.push(tag('g', { class: 'calls' }, calls.join('')));

  const notes = L.notes.map((n) => {
    const text = t(`reason.${n.reason}`);
    const r = m.fontPx * 0.4;
    return tag('g', { class: 'note', 'data-kind': 'note', 'data-endpoint': n.endpoint, 'data-reason': n.reason, 'data-index': n.index }, [
      tag('title', null, xml(text)),
      tag('path', { d: `M${f1(n.x)} ${f1(n.y - r)}L${f1(n.x + r)} ${f1(n.y)}L${f1(n.x)} ${f1(n.y + r)}L${f1(n.x - r)} ${f1(n.y)}Z`, fill: c.bg, stroke: c.fg, 'stroke-width': 1.5 }),
      n.labelY == null ? '' : label({ x: f1(n.labelX), y: f1(n.labelY), dy: '0.35em', 'text-anchor': n.anchor, 'font-style': 'italic', fill: c.muted }, text),
    ].join(''));
  });
  d.push(tag('g', { class: 'notes' }, notes.join('')));

  // Segments, whole: every one drawn to where it arrived or was lost.
  const segments = L.segments.map((s) => {
    const colour = s.from === 'server' ? c.server : c.client;
    const tags = s.tags.map((x) => t(`ladder.tag.${x}`));
    const dash = s.tags.map((x) => DASH[x]).find(Boolean);
    const injected = s.tags.includes('injected');
    const flags = s.flags.split(',');
    const k = [
      tag('title', null, xml([s.label, ...tags].join(', '))),
      tag('line', { class: 'seg-line', x1: f1(s.x1), y1: f1(s.y1), x2: f1(s.x2), y2: f1(s.y2), stroke: colour, 'stroke-width': injected ? 2.25 : 1.75, 'stroke-dasharray': dash ?? null, 'stroke-linecap': injected ? 'round' : null, fill: 'none' }),
      s.lost
        ? tag('path', { class: 'seg-x', d: cross(s.lostAt.x, s.lostAt.y, m.fontPx * 0.45), stroke: c.lost, 'stroke-width': 2.5, 'stroke-linecap': 'round', fill: 'none' })
        : tag('path', { class: 'seg-head', d: arrowHead(s.x1, s.y1, s.x2, s.y2, m.fontPx * 0.8), fill: colour }),
    ];
    // A label the layout could only put over a fan of other arrows stays
    // in the title (a tooltip), as on the page.
    if (!s.crowded) {
      const at = { x: f1(s.labelX), y: f1(s.labelY), 'text-anchor': 'middle' };
      const weight = flags.includes('RST') ? 700 : null;
      const tagText = tags.length ? ` (${tags.join(', ')})` : '';
      k.push(tag('text', { ...at, ...halo, 'font-weight': weight }, xml(s.label + tagText)));
      const tagSpan = tags.length ? tag('tspan', { fill: s.lost ? c.lost : c.muted, 'font-style': 'italic' }, xml(tagText)) : '';
      k.push(tag('text', { class: 'seg-label', ...at, fill: colour, 'font-weight': weight }, xml(s.label) + tagSpan));
    }
    return tag('g', { class: `seg seg--from-${s.from}${s.tags.map((x) => ` seg--${x}`).join('')}`, 'data-kind': 'segment', 'data-id': s.id, 'data-flags': s.flags, 'data-from': s.from, 'data-to': s.to, 'data-index': s.index }, k.join(''));
  });
  d.push(tag('g', { class: 'segments' }, segments.join('')));

  out.push(tag('g', { class: 'ladder', transform: `translate(0 ${top})` }, d.join('')));

  const name = title ? `${title} · synack` : 'synack';
  const nSeg = L.segments.length;
  const desc = t('export.svg_desc', { segments: nSeg, events: Array.isArray(events) ? events.length : 0 });
  const svg =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    tag(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        'xml:lang': opts.lang || null,
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'font-family': MONO,
        'font-size': m.fontPx,
      },
      `\n${tag('title', null, xml(name))}${tag('desc', null, xml(desc))}\n${out.join('\n')}\n`,
    ) +
    '\n';
  return { svg, width, height };
}

/** MAX_CANVAS_SIDE and MAX_CANVAS_AREA are what browsers can draw on one
 * canvas (Chromium's limits; Firefox's and Safari's are close). */
export const MAX_CANVAS_SIDE = 16384;
export const MAX_CANVAS_AREA = 16384 * 16384 / 2;

/** pngScale is the scale a PNG of width × height px can be drawn at: the
 * scale asked for, or less when the canvas would be too large. */
export function pngScale(width, height, asked) {
  const bySide = MAX_CANVAS_SIDE / Math.max(width, height, 1);
  const byArea = Math.sqrt(MAX_CANVAS_AREA / Math.max(width * height, 1));
  const s = Math.min(asked, bySide, byArea);
  return Math.max(0.1, Math.floor(s * 100) / 100);
}

/**
 * svgToPNG draws an SVG document onto a canvas at scale (2 or 3 for print:
 * that many device pixels per CSS pixel) and returns the PNG as a Blob.
 * The SVG goes in as a data: address, which the pages' Content-Security-
 * Policy allows for images, and which leaves the canvas readable.
 */
export async function svgToPNG({ svg, width, height }, scale) {
  const img = new Image();
  img.decoding = 'async';
  const loaded = new Promise((resolve, reject) => {
    img.onload = resolve;
    img.onerror = () => reject(new Error('the SVG could not be drawn'));
  });
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  await loaded;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0, width, height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no PNG'))), 'image/png');
  });
}

/** fileStem makes a download's name, without its extension, from a
 * scenario's id or title. */
export function fileStem(base) {
  const stem = String(base ?? '')
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return stem || 'synack';
}

// ---- The scenario of a live run -------------------------------------------

const clone = (v) => JSON.parse(JSON.stringify(v));
const flagKey = (flags) => (Array.isArray(flags) ? [...flags].sort().join(',') : '');

/**
 * liveScenario is the scenario of a live run as the server's engine
 * recorded it: the scenario loaded, with the reader's socket calls and
 * faults in its `live` list, each at the engine step and time it was made
 * (the session's "recorded" messages), so that POST /api/run gives the run
 * shown. A loaded scenario's own live actions from the first step changed
 * on are replaced, as the engine replaces them. It returns {scenario,
 * calls, drops}: drops counts the faults.
 */
export function liveScenario(loaded, live, { suffix } = {}) {
  const base = clone(loaded ?? {});
  const acts = (Array.isArray(live) ? live : []).map(clone);
  const calls = acts.filter((a) => !a.fault).length;
  const drops = acts.length - calls;
  if (acts.length === 0) return { scenario: base, calls, drops };
  const kept = (Array.isArray(base.live) ? base.live : []).filter((a) => a.step < acts[0].step);
  base.live = kept.concat(acts);
  base.id = customID(base.id);
  if (suffix && base.title) {
    for (const lang of Object.keys(suffix)) {
      const title = base.title[lang];
      if (title != null && !title.endsWith(suffix[lang])) base.title[lang] = `${title}${suffix[lang]}`;
    }
  }
  return { scenario: base, calls, drops };
}

// customID names a changed scenario after the one it came from, as a
// scenario id may be written: 1-64 lower-case letters, digits and hyphens.
function customID(id) {
  const stem = String(id ?? '').replace(/-custom$/, '');
  return stem ? `${stem.slice(0, 57)}-custom` : 'custom';
}

// runKey is what two runs must agree on, event by event, to be the same
// run: a segment lost in flight and the same segment dropped by a rule
// differ only in its fate and in the live run's extra drop event.
function runKey(ev) {
  const base = [ev.kind, ev.t_ms, ev.endpoint ?? '', ev.from ?? '', ev.to ?? ''];
  switch (ev.kind) {
    case 'segment':
      return [...base, flagKey(ev.flags), ev.seq, ev.ack, ev.len].join('|');
    case 'call':
      return [...base, ev.call, ev.result].join('|');
    case 'timer':
      return [...base, ev.timer, ev.action, ev.due_ms].join('|');
    case 'note':
      return [...base, ev.reason].join('|');
    default:
      return base.join('|');
  }
}

/**
 * compareRuns checks that replayed (a trace's events) starts with the run
 * shown live, drop events aside. It returns {same: true} or {same: false,
 * at}: at is the number (1 for the first) of the first live event that
 * differs.
 */
export function compareRuns(live, replayed) {
  const a = (live ?? []).map((ev, i) => ({ ev, i })).filter((x) => x.ev && x.ev.kind !== 'drop');
  const b = (replayed ?? []).filter((ev) => ev && ev.kind !== 'drop');
  for (let k = 0; k < a.length; k++) {
    if (k >= b.length || runKey(a[k].ev) !== runKey(b[k])) return { same: false, at: a[k].i + 1 };
  }
  return { same: true };
}
