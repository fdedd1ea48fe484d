// capture.js: "Open a capture…". A pcap or pcapng file the reader picks
// (or drops on the page) goes to POST /api/captures; each TCP connection in
// it comes back as a trace, which this view draws read-only with the
// page's own ladder and packet inspector, one connection at a time (a
// picker chooses when there are several). "Compare with the model" runs
// the scenario the capture implies (the trace's scenario) on POST /api/run,
// draws the model's ladder beside the capture's, and marks the segments
// that differ: in both diagrams (class seg--differs, data-differs, and the
// words "differs from the model" after the label, so that colour is not the
// only sign) and in a list whose items select them.
//
// Loaded on demand by app.js, which owns the button and the drop target.
// Every string comes from the page's catalogue (capture.* keys).

import { Ladder } from './ladder.js';
import { Inspector, decode, decodeTCP } from './panels/inspector.js';
import { isnRefs } from './numbers.js';
import { h } from './dom.js';

/** MAX_BYTES is the server's limit on a capture (capture.MaxFileBytes). */
export const MAX_BYTES = 8 << 20;

/** MAX_COMPARED bounds the segments the comparison aligns (LCS is n×m). */
const MAX_COMPARED = 3000;

/**
 * segmentLines are a trace's segments as the comparison sees them: sender,
 * flags, sequence and acknowledgment numbers relative to each side's ISN,
 * length, and whether the segment was lost. Each is {id, index, line}.
 */
export function segmentLines(trace) {
  const isn = { client: trace.endpoints?.client?.isn ?? 0, server: trace.endpoints?.server?.isn ?? 0 };
  const out = [];
  (trace.events ?? []).forEach((ev, index) => {
    if (ev.kind !== 'segment' || ev.spoofed) return;
    const peer = ev.from === 'server' ? 'client' : 'server';
    const flags = (ev.flags ?? []).join(',');
    const rel = (v, side) => ((v - isn[side]) >>> 0).toString();
    const ack = flags.split(',').includes('ACK') ? rel(ev.ack, peer) : '-';
    const lost = ev.fate === 'dropped' ? ' ✕' : '';
    out.push({ id: ev.id, index, from: ev.from, line: `${flags} seq=${rel(ev.seq, ev.from)} ack=${ack} len=${ev.len}${lost}`, key: `${ev.from} ${flags} ${rel(ev.seq, ev.from)} ${ack} ${ev.len}${lost}` });
  });
  return out;
}

/**
 * compareSegments aligns two segment lists by their longest common
 * subsequence and returns the segments of each that the other lacks:
 * {same, onlyA, onlyB} (onlyA and onlyB hold the unmatched entries).
 */
export function compareSegments(a, b) {
  const n = Math.min(a.length, MAX_COMPARED);
  const m = Math.min(b.length, MAX_COMPARED);
  const w = m + 1;
  const L = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i * w + j] = a[i].key === b[j].key ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
    }
  }
  const onlyA = [];
  const onlyB = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i].key === b[j].key) {
      i++;
      j++;
    } else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) onlyA.push(a[i++]);
    else onlyB.push(b[j++]);
  }
  while (i < a.length) onlyA.push(a[i++]);
  while (j < b.length) onlyB.push(b[j++]);
  return { same: onlyA.length === 0 && onlyB.length === 0, onlyA, onlyB };
}

/** decodeIPv6 splits an IPv6 packet (from a user's capture) carrying TCP
 * right after its fixed header. */
function decodeIPv6(b, fields, add) {
  const u16 = (x, i) => (x[i] << 8) | x[i + 1];
  const hex = (n, width) => '0x' + n.toString(16).padStart(width, '0');
  if (b.length < 40) return fields;
  const ip6 = (i) => {
    const groups = [];
    for (let j = 0; j < 16; j += 2) groups.push(u16(b, i + j).toString(16));
    // The longest run of zero groups becomes "::" (RFC 5952).
    let best = [-1, 0];
    for (let s = 0; s < 8; ) {
      if (groups[s] !== '0') { s++; continue; }
      let e = s;
      while (e < 8 && groups[e] === '0') e++;
      if (e - s > best[1] && e - s > 1) best = [s, e - s];
      s = e;
    }
    if (best[0] < 0) return groups.join(':');
    return `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0] + best[1]).join(':')}`;
  };
  add('ip6', 'version', 0, 1, { v: b[0] >> 4 });
  add('ip6', 'traffic_class', 0, 2, { v: hex(((b[0] & 15) << 4) | (b[1] >> 4), 2) });
  add('ip6', 'flow_label', 1, 4, { v: hex(((b[1] & 15) << 16) | u16(b, 2), 5) });
  add('ip6', 'payload_length', 4, 6, { v: u16(b, 4) });
  add('ip6', 'next_header', 6, 7, { v: b[6] });
  add('ip6', 'hop_limit', 7, 8, { v: b[7] });
  add('ip6', 'src', 8, 24, { v: ip6(8) });
  add('ip6', 'dst', 24, 40, { v: ip6(24) });
  if (b[6] !== 6) return fields;
  return decodeTCP(b, 40, fields, add);
}

/** decodeAny splits an IPv4 or IPv6 packet carrying TCP into the
 * inspector's fields. */
export function decodeAny(b) {
  if (b.length >= 40 && b[0] >> 4 === 6) {
    const fields = [];
    return decodeIPv6(b, fields, (layer, key, start, end, vars = {}) => fields.push({ layer, key, start, end, vars }));
  }
  return decode(b);
}

/** marker keeps the "differs" mark on a ladder's segments as it redraws them. */
class DiffMarker {
  constructor(root, t) {
    this.root = root;
    this.t = t;
    this.ids = new Set();
    this.obs = new MutationObserver(() => this.apply());
    this.obs.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  }

  set(ids) {
    this.ids = new Set(ids.map(String));
    this.apply();
  }

  apply() {
    for (const g of this.root.querySelectorAll('g[data-kind="segment"]')) {
      const on = this.ids.has(g.dataset.id);
      if (on && !g.classList.contains('seg--differs')) g.classList.add('seg--differs');
      if (on !== (g.dataset.differs === 'true')) {
        if (on) g.dataset.differs = 'true';
        else delete g.dataset.differs;
      }
      const label = g.querySelector('text.seg-label');
      const mark = label?.querySelector('tspan.seg-differs');
      if (on && label && !mark) {
        label.append(Object.assign(document.createElementNS('http://www.w3.org/2000/svg', 'tspan'), {
          textContent: ` ≠ ${this.t('capture.diff.tag')}`,
        }));
        label.lastChild.setAttribute('class', 'seg-differs');
      } else if (!on && mark) mark.remove();
    }
  }

  destroy() {
    this.obs.disconnect();
  }
}

/** CaptureView is the read-only view of an opened capture. */
export class CaptureView {
  /** create fetches the view's words, which the page does not carry
   * (GET /api/strings/capture), into the page's catalogues, and builds the
   * view. */
  static async create(app) {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = new URL('../capture.css', import.meta.url).href;
    const loaded = new Promise((resolve) => {
      css.onload = css.onerror = resolve;
    });
    document.head.append(css);
    let strings = {};
    try {
      const res = await fetch('/api/strings/capture');
      if (res.ok) strings = await res.json();
    } catch {
      // Without them the keys show; the view still works.
    }
    await loaded;
    const view = new CaptureView(app, strings);
    return view;
  }

  /** addStrings puts the view's words into the catalogues the page holds
   * (a language the page fetches later gets them in relabel). */
  addStrings() {
    for (const [lang, cat] of Object.entries(this.strings)) {
      if (this.app.tr.catalogues[lang]) Object.assign(this.app.tr.catalogues[lang], cat);
    }
  }

  constructor(app, strings = {}) {
    this.app = app;
    this.strings = strings;
    this.addStrings();
    this.t = app.tr.t;
    this.result = null;
    this.name = '';
    this.index = 0;
    this.selected = null;
    this.model = null;
    this.build();
  }

  build() {
    const t = this.t;
    this.input = h('input', { type: 'file', id: 'capture-file', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true', accept: '.pcap,.pcapng,.cap,.dmp,application/vnd.tcpdump.pcap,application/x-pcapng' });
    this.input.addEventListener('change', () => {
      const f = this.input.files?.[0];
      if (f) this.open(f);
      this.input.value = '';
    });
    this.status = h('p', { class: 'capture-status', role: 'status', 'aria-live': 'polite' });
    this.title = h('h2', { id: 'capture-h', tabindex: '-1' });
    this.summary = h('p', { class: 'capture-summary' });
    this.pickerLabel = h('label', { for: 'capture-conn', 'data-i18n': 'capture.connection', text: t('capture.connection') });
    this.picker = h('select', { id: 'capture-conn' });
    this.picker.addEventListener('change', () => this.show(+this.picker.value));
    this.pickerWrap = h('p', { class: 'capture-picker' }, this.pickerLabel, this.picker);
    this.compareBtn = h('button', { type: 'button', id: 'capture-compare', 'data-i18n': 'capture.compare', text: t('capture.compare') });
    this.compareBtn.addEventListener('click', () => this.compare());
    const another = h('button', { type: 'button', id: 'capture-another', 'data-i18n': 'capture.another', text: t('capture.another') });
    another.addEventListener('click', () => this.pick());
    const close = h('button', { type: 'button', id: 'capture-close', 'data-i18n': 'capture.close', text: t('capture.close') });
    close.addEventListener('click', () => this.close());
    this.note = h('p', { class: 'capture-note', 'data-i18n': 'capture.inferred_note', text: t('capture.inferred_note') });
    this.captureHost = h('div', { class: 'ladder-host capture-ladder', id: 'capture-ladder', tabindex: '-1', role: 'region', 'aria-labelledby': 'capture-pane-h' });
    this.modelHost = h('div', { class: 'ladder-host capture-ladder', id: 'capture-model-ladder', tabindex: '-1', role: 'region', 'aria-labelledby': 'capture-model-h' });
    this.modelPane = h('section', { class: 'capture-pane capture-pane--model', 'aria-labelledby': 'capture-model-h', hidden: true },
      h('h3', { id: 'capture-model-h', 'data-i18n': 'capture.model', text: t('capture.model') }), this.modelHost);
    this.diffList = h('ol', { class: 'capture-diffs' });
    this.diffSummary = h('p', { class: 'capture-diff-summary' });
    this.diffSection = h('section', { class: 'capture-diff', 'aria-labelledby': 'capture-diff-h', hidden: true },
      h('h3', { id: 'capture-diff-h', 'data-i18n': 'capture.diff.heading', text: t('capture.diff.heading') }), this.diffSummary, this.diffList);
    this.inspectorRoot = h('div', { id: 'capture-inspector' });
    this.stateNote = h('p', { class: 'capture-state-note', hidden: true });
    this.root = h('section', { id: 'capture-view', class: 'capture-view', 'aria-labelledby': 'capture-h', hidden: true },
      h('div', { class: 'capture-head' }, this.title, this.summary, this.pickerWrap,
        h('p', { class: 'capture-actions' }, this.compareBtn, another, close)),
      this.note,
      this.status,
      this.ladders = h('div', { class: 'capture-ladders' },
        h('section', { class: 'capture-pane', 'aria-labelledby': 'capture-pane-h' },
          h('h3', { id: 'capture-pane-h', 'data-i18n': 'capture.captured', text: t('capture.captured') }), this.captureHost),
        this.modelPane),
      this.diffSection,
      this.inspectorPanel = h('section', { class: 'panel capture-inspector', 'aria-labelledby': 'capture-insp-h' },
        h('h3', { id: 'capture-insp-h', 'data-i18n': 'panel.inspector', text: t('panel.inspector') }), this.stateNote, this.inspectorRoot));
    const main = document.getElementById('main');
    main.before(this.root);
    document.body.append(this.input);
    this.ladder = new Ladder(this.captureHost, { t, onSelect: (i) => this.select(i, 'capture') });
    this.modelLadder = new Ladder(this.modelHost, { t, onSelect: (i) => this.select(i, 'model') });
    this.inspector = new Inspector(this.inspectorRoot, { t, decoder: decodeAny });
    this.marks = [new DiffMarker(this.captureHost, t), new DiffMarker(this.modelHost, t)];
  }

  /** pick asks for a file. */
  pick() {
    this.input.click();
  }

  /** open sends file to the server and shows what it found. */
  async open(file) {
    const t = this.t;
    this.name = file.name || 'capture';
    this.reveal();
    this.title.textContent = t('capture.title', { name: this.name });
    this.summary.textContent = '';
    this.setStatus(t('capture.reading', { name: this.name }));
    if (file.size > MAX_BYTES) {
      this.fail(t('capture.error.too_large', { mib: MAX_BYTES >> 20 }));
      return;
    }
    let res;
    try {
      res = await fetch('/api/captures', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: file });
    } catch {
      this.fail(t('capture.error.offline'));
      return;
    }
    const body = await res.json().catch(() => null);
    if (!res.ok || !body || !Array.isArray(body.connections)) {
      const key = { 400: 'capture.error.unreadable', 413: 'capture.error.over_limit', 415: 'capture.error.unreadable', 422: 'capture.error.no_tcp' }[res.status] ?? 'capture.error.server';
      this.fail(t(key), body?.error);
      return;
    }
    this.result = body;
    this.setStatus('');
    this.fillPicker();
    this.show(0);
    this.title.focus();
  }

  reveal() {
    if (!this.root.hidden) return;
    this.hiddenByUs = [];
    for (const el of [document.getElementById('main'), document.querySelector('.toolbar'), document.getElementById('sandbox-calls')]) {
      if (el && !el.hidden) {
        el.hidden = true;
        this.hiddenByUs.push(el);
      }
    }
    this.root.hidden = false;
    this.app.session?.pause?.();
  }

  close() {
    this.root.hidden = true;
    for (const el of this.hiddenByUs ?? []) el.hidden = false;
    this.hiddenByUs = [];
    this.app.relayout?.();
    document.getElementById('capture-open')?.focus();
  }

  fail(text, detail) {
    this.result = null;
    this.setStatus(detail ? `${text} ${this.t('capture.error.detail', { detail })}` : text, true);
    this.pickerWrap.hidden = true;
    this.compareBtn.hidden = true;
    this.ladder.setEvents([], null);
    // Nothing to show: no empty diagram or inspector either.
    this.ladders.hidden = true;
    this.inspectorPanel.hidden = true;
    this.modelPane.hidden = true;
    this.diffSection.hidden = true;
    this.inspectorRoot.replaceChildren(h('p', { class: 'hint', text: this.t('insp.empty') }));
  }

  setStatus(text, error = false) {
    this.status.textContent = text;
    this.status.hidden = text === '';
    this.status.classList.toggle('is-error', error);
  }

  fillPicker() {
    const conns = this.result.connections;
    this.picker.replaceChildren(...conns.map((c, i) => h('option', { value: String(i), text: this.connLabel(c, i) })));
    this.pickerWrap.hidden = conns.length < 2;
    this.compareBtn.hidden = false;
  }

  connLabel(c, i) {
    const ep = (e) => (String(e.addr).includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);
    const segs = c.events.filter((e) => e.kind === 'segment').length;
    return this.t('capture.connection_item', { n: i + 1, client: ep(c.endpoints.client), server: ep(c.endpoints.server), segments: segs });
  }

  /** show draws connection i. */
  show(i) {
    const c = this.result?.connections?.[i];
    if (!c) return;
    this.index = i;
    this.picker.value = String(i);
    this.model = null;
    this.selected = null;
    const info = c.capture ?? {};
    this.summary.textContent = this.t((info.of ?? 1) === 1 ? 'capture.summary_one' : 'capture.summary', {
      format: info.format ?? '', packets: info.packets ?? 0, connections: info.of ?? 1, delay: info.one_way_delay_ms ?? 0,
    });
    this.ladder.setNumbering(this.app.store?.numbering ?? 'relative');
    this.ladders.hidden = false;
    this.inspectorPanel.hidden = false;
    this.ladder.setEvents(c.events, c.endpoints);
    this.ladder.setTime(Infinity);
    this.modelPane.hidden = true;
    this.diffSection.hidden = true;
    for (const m of this.marks) m.set([]);
    this.renderInspector();
  }

  /** select shows the event at index of the capture's or the model's trace. */
  select(index, which) {
    this.selected = { index, which };
    (which === 'model' ? this.modelLadder : this.ladder).select(index);
    this.renderInspector();
  }

  renderInspector() {
    const c = this.result?.connections?.[this.index];
    const tr = this.selected?.which === 'model' ? this.model : c;
    if (!tr) return;
    const store = { events: tr.events, selected: this.selected?.index ?? -1, numbering: this.app.store?.numbering ?? 'relative' };
    this.showStateNote(tr.events[store.selected]);
    this.inspector.shown = null;
    this.inspector.render(store, isnRefs(tr.endpoints, tr.events));
  }

  /** showStateNote says how a selected state of the capture was inferred. */
  showStateNote(ev) {
    const t = this.t;
    if (ev?.kind !== 'state' || !ev.inferred) {
      this.stateNote.hidden = true;
      return;
    }
    const head = t('capture.state_note', { endpoint: t(`ladder.endpoint.${ev.endpoint}`), from: ev.from, to: ev.to });
    const why = ev.inferred === 'assumed' ? t(`capture.reason.${ev.reason}`) : t('capture.state_by_segment', { id: ev.cause_segment });
    this.stateNote.textContent = `${head} ${why}`;
    this.stateNote.hidden = false;
  }

  /** compare runs the model and marks where it and the capture differ. */
  async compare() {
    const t = this.t;
    const c = this.result?.connections?.[this.index];
    if (!c) return;
    this.setStatus(t('capture.comparing'));
    let res;
    try {
      res = await fetch('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c.scenario) });
    } catch {
      this.setStatus(t('capture.error.offline'), true);
      return;
    }
    const body = await res.json().catch(() => null);
    if (!res.ok || !body?.events) {
      this.setStatus(`${t('capture.error.model')} ${body?.error ? t('capture.error.detail', { detail: body.error }) : ''}`.trim(), true);
      return;
    }
    this.model = body;
    this.modelPane.hidden = false;
    this.modelLadder.setNumbering(this.app.store?.numbering ?? 'relative');
    this.modelLadder.setEvents(body.events, body.endpoints);
    this.modelLadder.setTime(Infinity);
    const a = segmentLines(c);
    const b = segmentLines(body);
    const diff = compareSegments(a, b);
    this.marks[0].set(diff.onlyA.map((s) => s.id));
    this.marks[1].set(diff.onlyB.map((s) => s.id));
    this.showDiff(diff, a, b);
    this.setStatus('');
  }

  showDiff(diff, a, b) {
    const t = this.t;
    this.diffSection.hidden = false;
    this.root.dataset.compared = diff.same ? 'same' : 'differs';
    if (diff.same) {
      this.diffSummary.textContent = t('capture.diff.same', { n: a.length });
      this.diffList.replaceChildren();
      return;
    }
    this.diffSummary.textContent = t('capture.diff.differs', { a: diff.onlyA.length, b: diff.onlyB.length, total: a.length, model: b.length });
    const item = (s, which) => {
      const key = which === 'model' ? 'capture.diff.only_model' : 'capture.diff.only_capture';
      const btn = h('button', { type: 'button', class: 'link', 'data-which': which, 'data-id': String(s.id),
        text: t(key, { id: s.id, from: t(`ladder.endpoint.${s.from}`), label: s.line }) });
      btn.addEventListener('click', () => this.select(s.index, which));
      return h('li', {}, btn);
    };
    const all = [...diff.onlyA.map((s) => [s, 'capture']), ...diff.onlyB.map((s) => [s, 'model'])];
    all.sort((x, y) => x[0].index - y[0].index);
    this.diffList.replaceChildren(...all.slice(0, 200).map(([s, which]) => item(s, which)));
  }

  /** relabel redraws the view's words after the language changed. */
  relabel() {
    this.addStrings();
    if (this.root.hidden) return;
    this.app.tr.apply(this.root);
    if (this.result) {
      const i = this.index;
      const model = this.model;
      this.fillPicker();
      this.show(i);
      this.title.textContent = this.t('capture.title', { name: this.name });
      if (model) this.compare();
    }
  }
}
